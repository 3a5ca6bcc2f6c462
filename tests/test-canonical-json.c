/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-canonical-json.c: the canonical form digests are taken of, and the
 * digests of documents, pinned to what the released parser computed.
 */
#include "config.h"

#include "fleet-test-utils.h"

static char *
canonical (const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (json, &error);
  g_autoptr(GBytes) bytes = NULL;

  g_assert_no_error (error);
  bytes = fleet_canonical_json (node);
  return g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
test_sorted_members (void)
{
  g_autofree char *out = canonical ("{ \"b\": 1, \"a\": { \"z\": [3, 2, 1], \"y\": null },"
                                    " \"B\": true, \"aa\": false }");

  g_assert_cmpstr (out, ==, "{\"B\":true,\"a\":{\"y\":null,\"z\":[3,2,1]},\"aa\":false,\"b\":1}");
}

static void
test_escapes (void)
{
  g_autofree char *out = canonical ("{\"s\":\"q\\\" b\\\\ n\\n t\\t c\\u0001 u\\u00e9 \\/\"}");

  g_assert_cmpstr (out, ==, "{\"s\":\"q\\\" b\\\\ n\\n t\\t c\\u0001 u\xc3\xa9 /\"}");
}

static void
test_numbers (void)
{
  g_autofree char *out = canonical ("[0, -7, 9007199254740993, 1.5]");

  g_assert_cmpstr (out, ==, "[0,-7,9007199254740993,1.5]");
}

static void
test_digest (void)
{
  g_autoptr(JsonNode) node = json_from_string ("{\"a\":1}", NULL);
  g_autofree char *digest = fleet_canonical_json_digest (node);
  g_autofree char *hex = g_compute_checksum_for_string (G_CHECKSUM_SHA256, "{\"a\":1}", -1);
  g_autofree char *expected = g_strconcat ("sha256:", hex, NULL);

  g_assert_cmpstr (digest, ==, expected);
}

/* Digests must never change for a document a released fleetd accepted: a
 * fleetd upgraded in place compares the digests it recorded with the ones it
 * computes, and would recreate every container whose digest moved.  These
 * are the values the released parser computed for documents that exercise
 * what the canonical form must get right: escapes (decoded, then written
 * back canonically), numbers, member order at every level, defaults and
 * empty members, whitespace. */
typedef struct
{
  const char *name;
  const char *json;
  const char *document_digest;
  const char *service_digests[8]; /* "deployment/service=digest", in document order */
} PinnedDigests;

static const PinnedDigests pinned_digests[] = {
  { "unicode",
    "{\"deployments\":{\"u\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":\"s"
    "\",\"image\":\"localhost/caf\303\251:v1\",\"command\":[\"\\u002d\\u002dflag\",\"\\/u"
    "sr\\/bin\",\"x\\\"y\\\\z\"],\"env\":{\"\\u0041_KEY\":\"caf\\u00e9 caf\\u00E9 caf\303"
    "\251\",\"EMOJI\":\"\\ud83d\\ude00 \360\237\230\200\",\"CTRL\":\"\\b\\f\\n\\r\\t\\u00"
    "1f\\u0001\\u007f\177\",\"SEP\":\"\\u2028\\u2029\\ufeff\\uffff\",\"QUOTE\":\"\\\"\\\\"
    "\\/\"}}]}}}}",
    "sha256:5261c0031c57c2cbfb8ea4c8b576f501bf159ee9e925debc86936b4fda15bc93",
    { "u/s=sha256:67aae72c034c636fa7a2f2dc3542060c867acaf2395341b1fd80747d9ed51b0c" } },
  { "numbers",
    "{\"generation\" : 9223372036854775807 ,\"deployments\":{\"a\":{\"type\":\"PodmanV0\""
    ",\"data\":{\"services\":[{\"name\":\"s\",\"image\":\"i\"}],\"lifecycle\":{\"grace_pe"
    "riod_secs\":3600}}},\"b\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":"
    "\"s\",\"image\":\"i\"}],\"lifecycle\":{\"grace_period_secs\":0,\"stop_signal\":\"SIG"
    "KILL\"}}}}}",
    "sha256:87bcb7498ac7580cd7cc2db008e42ccfde5d6cc720c7bbaf4648d9f0a96a6421",
    { "a/s=sha256:1e94fd8eaaed854c4908400d0fdee97935bcb1cd3482bfe683b08475fcddac1b",
      "b/s=sha256:47d64688c98b65df3eab670964cb22bc24af511faead0d116b8c20814ac33da6" } },
  { "negative-zero",
    "{\"generation\":-0,\"deployments\":{\"a\":{\"type\":\"PodmanV0\",\"data\":{\"service"
    "s\":[{\"name\":\"s\",\"image\":\"i\"}],\"lifecycle\":{\"grace_period_secs\":-0}}}}}",
    "sha256:33dda959ad4d31cbc7f5dabc8a11fef1930d275e2daf3abdabe8e83734d73f23",
    { "a/s=sha256:fbdc30ff4b1bfc94f1bbccf4572ca80ad2a069cae3006096ef9a496247f76fb1" } },
  { "nested",
    "{\"generation\":3,\"deployments\":{\"n\":{\"type\":\"PodmanV0\",\"data\":{\"services"
    "\":[{\"name\":\"web\",\"image\":\"docker.io/library/nginx:1.27\",\"env\":{\"_X\":\"1"
    "\",\"a\":\"2\",\"A\":\"3\",\"Z9\":\"4\",\"a_b\":\"5\",\"B\":\"6\",\"_\":\"7\",\"aa\""
    ":\"8\",\"AB\":\"9\",\"z\":\"\"},\"ports\":[\"8080:80\",\"127.0.0.1:9000:9000/udp\","
    "\"[::1]:8443:443/tcp\",\"[2001:db8::1]:53:53/udp\"],\"volumes\":[\"/srv/a:/a:ro\",\""
    "/srv/b:/b:rw\",\"cache-1.x_y:/cache\",\"/srv/c:/c\"],\"command\":[\"/bin/sh\",\"-c\""
    ",\"echo $A && sleep 1\"]}]}}}}",
    "sha256:03834e21ca27462f66961229f630378f688940bcc55ec94f21c61f12d7041500",
    { "n/web=sha256:80da6574c94d63313658d54aefb9faae964fe663ef349fc22bcf71f027b0a003" } },
  { "key-order",
    "{\"deployments\":{\"b\":{\"data\":{\"lifecycle\":{\"stop_signal\":\"TERM\"},\"servic"
    "es\":[{\"volumes\":[\"/x:/y\"],\"ports\":[\"81:81\"],\"name\":\"z\",\"image\":\"i\","
    "\"env\":{\"K\":\"v\"},\"command\":[\"c\"]},{\"image\":\"j\",\"name\":\"a\"},{\"name"
    "\":\"m\",\"image\":\"k\"}]},\"type\":\"PodmanV0\"},\"a-1\":{\"type\":\"PodmanV0\",\""
    "data\":{\"services\":[{\"name\":\"s\",\"image\":\"i\"}]}},\"a\":{\"type\":\"PodmanV0"
    "\",\"data\":{\"services\":[{\"name\":\"s\",\"image\":\"i\"}]}},\"a0\":{\"type\":\"Po"
    "dmanV0\",\"data\":{\"services\":[{\"name\":\"s\",\"image\":\"i\"}]}},\"9z\":{\"type"
    "\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":\"s\",\"image\":\"i\"}]}}},\"gener"
    "ation\":12}",
    "sha256:dcabbd9a1f0e72cef7d7a6e1af95ba4d702bac6595bd6d75cc17833b1f5ebd45",
    { "9z/s=sha256:afe449e5fd6d37ec25033cfcc591f0bb0e0d2ba27c79c0de83a208d014d268b7",
      "a/s=sha256:afe449e5fd6d37ec25033cfcc591f0bb0e0d2ba27c79c0de83a208d014d268b7",
      "a-1/s=sha256:afe449e5fd6d37ec25033cfcc591f0bb0e0d2ba27c79c0de83a208d014d268b7",
      "a0/s=sha256:afe449e5fd6d37ec25033cfcc591f0bb0e0d2ba27c79c0de83a208d014d268b7",
      "b/z=sha256:e8add08c1b3116fc265f8cf68f5868aee07876cbf376720d3400b2ab01c07e98",
      "b/a=sha256:ec120de26768d442ad7dcdb741bae5ba3ae23b094452cb4af91801f420e75d86",
      "b/m=sha256:042cff18d3d295a01986f20401ecafe16f8204374cf8e4723a25ff7fd3695d81" } },
  { "lifecycles",
    "{\"deployments\":{\"a\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":\"s"
    "\",\"image\":\"i\"}],\"lifecycle\":{}}},\"b\":{\"type\":\"PodmanV0\",\"data\":{\"ser"
    "vices\":[{\"name\":\"s\",\"image\":\"i\"}],\"lifecycle\":{\"stop_signal\":\"HUP\"}}}"
    ",\"c\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":\"s\",\"image\":\"i"
    "\"}],\"lifecycle\":{\"stop_signal\":\"SIGUSR1\",\"grace_period_secs\":5}}}}}",
    "sha256:c841af6018ed9e950e3adbad3befaffd3782b269a191767f98c64d65792c74b7",
    { "a/s=sha256:afe449e5fd6d37ec25033cfcc591f0bb0e0d2ba27c79c0de83a208d014d268b7",
      "b/s=sha256:2376a82536a8a0f957e8cdab978b6579856fdc5c7b302e3a61113f517b872a8b",
      "c/s=sha256:e08c52cf604e759f580458b3908ba8ca45316c15b6eb32ab30168ac5e11f4d53" } },
  { "empty-members",
    "{\"deployments\":{\"e\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":\"s"
    "\",\"image\":\"i\",\"command\":[],\"env\":{},\"ports\":[],\"volumes\":[]},{\"name\":"
    "\"t\",\"image\":\"i\"}]}}}}",
    "sha256:d80cc9d1067cc4648c00f6bed9e075c1d94f96ccbd71f73f7006e5d5c67a734d",
    { "e/s=sha256:f86975123234cd10da318b14ea266c404c345903f08e118fac1f81aa2c128564",
      "e/t=sha256:42943be2a2e0294d6748ae244dd3c6569e2d2d71312891fa3e5efe72024fb463" } },
  { "whitespace",
    " \015\012\011{\015\012\011\"deployments\" :\011{ \"w\" : { \"type\" : \"PodmanV0\" ,"
    " \"data\" : { \"services\" : [ { \"name\" : \"s\" , \"image\" : \"i\" , \"env\" : { "
    "\"A\" : \"1\" } } ] } } } , \"generation\" : 5 }\012\012 ",
    "sha256:0607fd71fc0bb107ba0248b02ac0721423d2e16c32b6e46057a65eccf44f04cb",
    { "w/s=sha256:5b810fa752003f556bfb8ae286f06087147ae78d888a8312affab10caaa2bdcc" } },
  { "no-deployments",
    "{\"deployments\":{}}",
    "sha256:eb5d634c0e31d4a3aa0eee1bd5b54f5496dec9afa35923b5fcc06432bcb0d9c0",
    { NULL } },
};

static GPtrArray *
service_digests_of (FleetDocument *document)
{
  GPtrArray *digests = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < document->deployments->len; i++)
    {
      FleetDeploymentSpec *deployment = document->deployments->pdata[i];

      for (guint j = 0; j < deployment->services->len; j++)
        {
          FleetServiceSpec *service = deployment->services->pdata[j];

          g_ptr_array_add (digests, g_strdup_printf ("%s/%s=%s", deployment->name, service->name,
                                                     service->digest));
        }
    }
  return digests;
}

static void
test_digests_pinned (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (pinned_digests); i++)
    {
      const PinnedDigests *pinned = &pinned_digests[i];
      g_autoptr(FleetDocument) document = NULL;
      g_autoptr(GPtrArray) digests = NULL;
      guint n = 0;

      g_test_message ("%s", pinned->name);
      document = fleet_test_document (pinned->json);
      digests = service_digests_of (document);
      g_assert_cmpstr (document->digest, ==, pinned->document_digest);
      for (; n < G_N_ELEMENTS (pinned->service_digests) && pinned->service_digests[n]; n++)
        {
          g_assert_cmpuint (n, <, digests->len);
          g_assert_cmpstr (digests->pdata[n], ==, pinned->service_digests[n]);
        }
      g_assert_cmpuint (digests->len, ==, n);
    }
}

/* Strings at the limit of 4096 bytes, and a name at 63. */
static void
test_digests_pinned_long_strings (void)
{
  g_autofree char *name = g_strnfill (63, 'a');
  g_autofree char *image = g_strnfill (4096, 'i');
  g_autofree char *key = g_strnfill (4096, 'K');
  g_autofree char *value = g_strnfill (4096, 'v');
  g_autoptr(GString) e_acute = g_string_new (NULL);
  g_autofree char *json = NULL;
  g_autoptr(FleetDocument) document = NULL;

  for (guint i = 0; i < 2048; i++)
    g_string_append (e_acute, "\303\251");
  json = g_strdup_printf ("{\"deployments\":{\"l\":{\"type\":\"PodmanV0\",\"data\":{\"services\":"
                          "[{\"name\":\"%s\",\"image\":\"%s\",\"env\":{\"%s\":\"%s\"},"
                          "\"command\":[\"%s\"]}]}}}}",
                          name, image, key, value, e_acute->str);
  document = fleet_test_document (json);
  g_assert_cmpstr (document->digest, ==,
                   "sha256:3b4d9ed7888c9d6b1ecfb1d8d630c2f6a2fb75e072c93023259875252ab1255c");
  g_assert_cmpstr (fleet_document_lookup_service (document, "l", name)->digest, ==,
                   "sha256:a40901acfab5bded848586c022fe7e4c9b6adf6444daad83e17921e75623b53d");
}

/* A large document with some of everything, built the same way every time:
 * its digest, and one digest over all its service digests. */
static GString *
make_varied_document (void)
{
  static const char *const signals[] = { "TERM", "SIGINT", "HUP", "SIGKILL" };
  GString *json = g_string_new ("{\"deployments\":{");

  for (guint d = 0; d < 40; d++)
    {
      g_string_append_printf (json, "%s\"dep-%u\":{\"data\":{\"services\":[", d ? "," : "",
                              (d * 7919) % 40);
      for (guint s = 0; s < 8; s++)
        {
          guint n = d * 8 + s;

          g_string_append_printf (json,
                                  "%s{\"image\":\"registry.example.com/app-%u:v%u\","
                                  "\"name\":\"svc-%u\",\"env\":{\"Z_%u\":\"z\\u00e9\\n%u\","
                                  "\"A_%u\":\"\\ud83d\\ude00 \\\"%u\\\"\",\"m\":\"\\/\\t\"},"
                                  "\"ports\":[\"%u:80\",\"127.0.0.1:%u:53/udp\"],"
                                  "\"volumes\":[\"/srv/%u:/data:ro\",\"v-%u:/cache\"]%s}",
                                  s ? "," : "", n % 13, n, 8 - s, n, n, n, n, 10000 + n,
                                  20000 + n, n, n, s % 3 ? ",\"command\":[\"/bin/app\",\"-v\"]" : "");
        }
      g_string_append_printf (json, "],\"lifecycle\":{\"stop_signal\":\"%s\","
                              "\"grace_period_secs\":%u}},\"type\":\"PodmanV0\"}",
                              signals[d % G_N_ELEMENTS (signals)], d * 90);
    }
  g_string_append (json, "},\"generation\":4242}");
  return json;
}

static void
test_digests_pinned_large (void)
{
  g_autoptr(GString) json = make_varied_document ();
  g_autoptr(FleetDocument) document = fleet_test_document (json->str);
  g_autoptr(GPtrArray) digests = service_digests_of (document);
  g_autoptr(GChecksum) all = g_checksum_new (G_CHECKSUM_SHA256);

  g_assert_cmpuint (digests->len, ==, 320);
  for (guint i = 0; i < digests->len; i++)
    g_checksum_update (all, digests->pdata[i], -1);
  g_assert_cmpstr (document->digest, ==,
                   "sha256:29cc6b5029dc2d839ea97b3df777b736ecb59691299a5b5afaa5db2174a86165");
  g_assert_cmpstr (g_checksum_get_string (all), ==,
                   "c99cca37a88e4468063ee2cc6bbd9d15d101565cc9aeeed900fc5ed5c98124c6");
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);

  g_test_add_func ("/canonical-json/sorted-members", test_sorted_members);
  g_test_add_func ("/canonical-json/escapes", test_escapes);
  g_test_add_func ("/canonical-json/numbers", test_numbers);
  g_test_add_func ("/canonical-json/digest", test_digest);
  g_test_add_func ("/canonical-json/digests-pinned", test_digests_pinned);
  g_test_add_func ("/canonical-json/digests-pinned-long-strings",
                   test_digests_pinned_long_strings);
  g_test_add_func ("/canonical-json/digests-pinned-large", test_digests_pinned_large);

  return g_test_run ();
}
