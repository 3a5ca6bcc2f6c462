/* test-canonical-json.c: the canonical form digests are taken of. */
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

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);

  g_test_add_func ("/canonical-json/sorted-members", test_sorted_members);
  g_test_add_func ("/canonical-json/escapes", test_escapes);
  g_test_add_func ("/canonical-json/numbers", test_numbers);
  g_test_add_func ("/canonical-json/digest", test_digest);

  return g_test_run ();
}
