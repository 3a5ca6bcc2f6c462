/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-document.c: parsing and validation of desired-state documents
 * (contract §1): the valid forms, the digests, and the invalid forms with the
 * exact JSON path each error must name.
 */
#include "config.h"

#include <glib/gstdio.h>

#include "fleet-test-utils.h"

static const char example_document[] =
  "{\n"
  "  \"generation\": 7,\n"
  "  \"deployments\": {\n"
  "    \"hello\": {\n"
  "      \"type\": \"PodmanV0\",\n"
  "      \"data\": {\n"
  "        \"services\": [\n"
  "          {\n"
  "            \"name\": \"web\",\n"
  "            \"image\": \"localhost/hello:v2\",\n"
  "            \"command\": [\"/bin/httpd\", \"-f\", \"-p\", \"8080\"],\n"
  "            \"env\": { \"GREETING\": \"hi\", \"A_FIRST\": \"1\" },\n"
  "            \"ports\": [\"8080:8080\", \"127.0.0.1:9000:9000/udp\"],\n"
  "            \"volumes\": [\"/srv/hello:/data:ro\", \"hello-cache:/cache\"]\n"
  "          }\n"
  "        ],\n"
  "        \"lifecycle\": { \"stop_signal\": \"SIGTERM\", \"grace_period_secs\": 30 }\n"
  "      }\n"
  "    }\n"
  "  }\n"
  "}\n";

/* Documents of one deployment "hello", for the cases below. */
#define SVC(body)                                                                          \
  "{\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[" body "]}}}}"
#define WEB(extra) SVC ("{\"name\":\"web\",\"image\":\"img\"" extra "}")
#define LIFECYCLE(lc)                                                                       \
  "{\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":"  \
  "\"web\",\"image\":\"img\"}],\"lifecycle\":" lc "}}}}"
#define P "deployments.hello.data.services[0]"

static void
test_parse_example (void)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (example_document);
  FleetServiceSpec *web;
  FleetPortMapping *port;
  FleetVolumeMount *mount;

  g_assert_cmpint (doc->generation, ==, 7);
  g_assert_cmpuint (doc->deployments->len, ==, 1);
  web = fleet_document_lookup_service (doc, "hello", "web");
  g_assert_nonnull (web);
  g_assert_cmpstr (web->deployment, ==, "hello");
  g_assert_cmpstr (web->container_name, ==, "hello_web");
  g_assert_cmpstr (web->image, ==, "localhost/hello:v2");
  g_assert_cmpuint (g_strv_length (web->command), ==, 4);
  g_assert_cmpstr (web->command[0], ==, "/bin/httpd");
  /* env sorted by key */
  g_assert_cmpuint (g_strv_length (web->env), ==, 2);
  g_assert_cmpstr (web->env[0], ==, "A_FIRST=1");
  g_assert_cmpstr (web->env[1], ==, "GREETING=hi");

  g_assert_cmpuint (web->ports->len, ==, 2);
  port = web->ports->pdata[0];
  g_assert_null (port->host_ip);
  g_assert_cmpuint (port->host_port, ==, 8080);
  g_assert_cmpuint (port->container_port, ==, 8080);
  g_assert_cmpstr (port->protocol, ==, "tcp");
  port = web->ports->pdata[1];
  g_assert_cmpstr (port->host_ip, ==, "127.0.0.1");
  g_assert_cmpuint (port->host_port, ==, 9000);
  g_assert_cmpstr (port->protocol, ==, "udp");

  g_assert_cmpuint (web->volumes->len, ==, 2);
  mount = web->volumes->pdata[0];
  g_assert_cmpstr (mount->source, ==, "/srv/hello");
  g_assert_cmpstr (mount->destination, ==, "/data");
  g_assert_true (mount->read_only);
  g_assert_false (fleet_volume_mount_is_named_volume (mount));
  mount = web->volumes->pdata[1];
  g_assert_cmpstr (mount->source, ==, "hello-cache");
  g_assert_false (mount->read_only);
  g_assert_true (fleet_volume_mount_is_named_volume (mount));

  g_assert_cmpstr (web->lifecycle.stop_signal, ==, "SIGTERM");
  g_assert_cmpint (web->lifecycle.stop_signal_number, ==, 15);
  g_assert_cmpuint (web->lifecycle.grace_period_secs, ==, 30);
  g_assert_true (g_str_has_prefix (web->digest, "sha256:"));
  g_assert_cmpuint (strlen (web->digest), ==, 7 + 64);
  g_assert_true (g_str_has_prefix (doc->digest, "sha256:"));
}

static void
test_parse_defaults (void)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (
    "{\"deployments\":{\"a\":{\"type\":\"PodmanV0\",\"data\":{\"services\":"
    "[{\"name\":\"s\",\"image\":\"img\"}]}}}}");
  FleetServiceSpec *s = fleet_document_lookup_service (doc, "a", "s");

  g_assert_cmpint (doc->generation, ==, -1);
  g_assert_null (s->command);
  g_assert_nonnull (s->env);
  g_assert_cmpuint (g_strv_length (s->env), ==, 0);
  g_assert_cmpuint (s->ports->len, ==, 0);
  g_assert_cmpuint (s->volumes->len, ==, 0);
  g_assert_cmpstr (s->lifecycle.stop_signal, ==, "SIGTERM");
  g_assert_cmpuint (s->lifecycle.grace_period_secs, ==, 30);
}

static void
test_parse_empty_deployments (void)
{
  g_autoptr(FleetDocument) doc = fleet_test_document ("{\"generation\":0,\"deployments\":{}}");

  g_assert_cmpint (doc->generation, ==, 0);
  g_assert_cmpuint (doc->deployments->len, ==, 0);
}

static void
test_parse_signal_short_name (void)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (
    "{\"deployments\":{\"a\":{\"type\":\"PodmanV0\",\"data\":{\"services\":"
    "[{\"name\":\"s\",\"image\":\"img\"}],\"lifecycle\":{\"stop_signal\":\"QUIT\","
    "\"grace_period_secs\":0}}}}}");
  FleetServiceSpec *s = fleet_document_lookup_service (doc, "a", "s");

  g_assert_cmpstr (s->lifecycle.stop_signal, ==, "SIGQUIT");
  g_assert_cmpint (s->lifecycle.stop_signal_number, ==, 3);
  g_assert_cmpuint (s->lifecycle.grace_period_secs, ==, 0);
}

static void
test_parse_ipv6_port (void)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (
    "{\"deployments\":{\"a\":{\"type\":\"PodmanV0\",\"data\":{\"services\":"
    "[{\"name\":\"s\",\"image\":\"img\",\"ports\":[\"[::1]:80:8080/tcp\"]}]}}}}");
  FleetPortMapping *port = fleet_document_lookup_service (doc, "a", "s")->ports->pdata[0];

  g_assert_cmpstr (port->host_ip, ==, "::1");
  g_assert_cmpuint (port->host_port, ==, 80);
  g_assert_cmpuint (port->container_port, ==, 8080);
}

/* What the contract allows is accepted, even where the runtime will refuse
 * it later (the deployment then fails, the document as a whole stands). */
static void
test_parse_contract_allows (void)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (
    "{\"deployments\":{\"a\":{\"type\":\"PodmanV0\",\"data\":{\"services\":["
    "{\"name\":\"s\",\"image\":\"i\",\"command\":[],\"ports\":[\"80:80\"],"
    "\"volumes\":[\"/a:/b\",\"v:/b\"]},"
    "{\"name\":\"t\",\"image\":\"i\",\"ports\":[\"127.0.0.1:80:80\"]}]}}}}");
  FleetServiceSpec *s = fleet_document_lookup_service (doc, "a", "s");

  /* an empty command is the image's own */
  g_assert_null (s->command);
  g_assert_cmpuint (s->volumes->len, ==, 2);
}

/* A port may be written with leading zeros, in every position and however
 * many: "080" is port 80, as the released parser read it where the number
 * had at most five characters. */
static void
test_parse_port_leading_zeros (void)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (WEB (
    ",\"ports\":[\"080:08080\",\"127.0.0.1:000000000443:0000443/udp\",\"[::1]:009000:9\"]"));
  GPtrArray *ports = fleet_document_lookup_service (doc, "hello", "web")->ports;
  FleetPortMapping *port;

  g_assert_cmpuint (ports->len, ==, 3);
  port = ports->pdata[0];
  g_assert_cmpuint (port->host_port, ==, 80);
  g_assert_cmpuint (port->container_port, ==, 8080);
  port = ports->pdata[1];
  g_assert_cmpuint (port->host_port, ==, 443);
  g_assert_cmpuint (port->container_port, ==, 443);
  g_assert_cmpstr (port->protocol, ==, "udp");
  port = ports->pdata[2];
  g_assert_cmpstr (port->host_ip, ==, "::1");
  g_assert_cmpuint (port->host_port, ==, 9000);
  g_assert_cmpuint (port->container_port, ==, 9);
}

/* A host port is published once per service; the same port number with
 * another protocol or another host address is another host port, and two
 * services may claim the same one (the second fails to start in podman). */
static void
test_parse_distinct_host_ports (void)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (SVC (
    "{\"name\":\"web\",\"image\":\"img\",\"ports\":[\"8080:80\",\"8080:80/udp\","
    "\"127.0.0.1:8080:80\",\"127.0.0.2:8080:80\",\"[::1]:8080:80\",\"9090:80\"]},"
    "{\"name\":\"api\",\"image\":\"img\",\"ports\":[\"8080:80\"]}"));

  g_assert_cmpuint (fleet_document_lookup_service (doc, "hello", "web")->ports->len, ==, 6);
  g_assert_cmpuint (fleet_document_lookup_service (doc, "hello", "api")->ports->len, ==, 1);
}

/* The service digest is sha256 of the canonical service object with the
 * effective lifecycle added under "lifecycle". */
static void
test_service_digest_definition (void)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (
    "{\"deployments\":{\"a\":{\"type\":\"PodmanV0\",\"data\":{\"services\":"
    "[{\"name\":\"web\",\"image\":\"x\", \"env\": {\"B\":\"2\",\"A\":\"1\"}}]}}}}");
  const char *canonical = "{\"env\":{\"A\":\"1\",\"B\":\"2\"},\"image\":\"x\",\"lifecycle\":"
                          "{\"grace_period_secs\":30,\"stop_signal\":\"SIGTERM\"},\"name\":\"web\"}";
  g_autofree char *hex = g_compute_checksum_for_string (G_CHECKSUM_SHA256, canonical, -1);
  g_autofree char *expected = g_strconcat ("sha256:", hex, NULL);

  g_assert_cmpstr (fleet_document_lookup_service (doc, "a", "web")->digest, ==, expected);
}

static void
test_digest_ignores_formatting (void)
{
  g_autoptr(FleetDocument) a = fleet_test_document (
    "{\"deployments\":{\"a\":{\"type\":\"PodmanV0\",\"data\":{\"services\":"
    "[{\"name\":\"s\",\"image\":\"img\",\"env\":{\"X\":\"1\",\"Y\":\"2\"}}]}}},\"generation\":1}");
  g_autoptr(FleetDocument) b = fleet_test_document (
    "{ \"generation\" : 1,\n \"deployments\": { \"a\": { \"data\": { \"services\": [ {"
    " \"env\": { \"Y\": \"2\", \"X\": \"1\" }, \"image\": \"img\", \"name\": \"s\" } ] },"
    " \"type\": \"PodmanV0\" } } }");

  g_assert_true (fleet_document_equal (a, b));
  g_assert_cmpstr (a->digest, ==, b->digest);
  g_assert_cmpstr (fleet_document_lookup_service (a, "a", "s")->digest, ==,
                   fleet_document_lookup_service (b, "a", "s")->digest);
}

static void
test_digest_changes (void)
{
#define TMPL                                                                                \
  "{\"deployments\":{\"a\":{\"type\":\"PodmanV0\",\"data\":{\"services\":"                     \
  "[{\"name\":\"s\",\"image\":\"img\",\"env\":{\"X\":\"%s\"}},"                            \
  "{\"name\":\"t\",\"image\":\"other\"}]%s}}}}"
  g_autofree char *j1 = g_strdup_printf (TMPL, "1", "");
  g_autofree char *j2 = g_strdup_printf (TMPL, "2", "");
  g_autofree char *j3 = g_strdup_printf (TMPL, "1", ",\"lifecycle\":{\"grace_period_secs\":5}");
  g_autofree char *j4 = g_strdup_printf (TMPL, "1", ",\"lifecycle\":{\"stop_signal\":\"TERM\"}");
  g_autoptr(FleetDocument) d1 = fleet_test_document (j1);
  g_autoptr(FleetDocument) d2 = fleet_test_document (j2);
  g_autoptr(FleetDocument) d3 = fleet_test_document (j3);
  g_autoptr(FleetDocument) d4 = fleet_test_document (j4);

  /* env changed: only that service's digest changes */
  g_assert_cmpstr (fleet_document_lookup_service (d1, "a", "s")->digest, !=,
                   fleet_document_lookup_service (d2, "a", "s")->digest);
  g_assert_cmpstr (fleet_document_lookup_service (d1, "a", "t")->digest, ==,
                   fleet_document_lookup_service (d2, "a", "t")->digest);
  /* the lifecycle is part of every service's digest */
  g_assert_cmpstr (fleet_document_lookup_service (d1, "a", "t")->digest, !=,
                   fleet_document_lookup_service (d3, "a", "t")->digest);
  /* ... as its effective value: "TERM" is the default SIGTERM */
  g_assert_cmpstr (fleet_document_lookup_service (d1, "a", "t")->digest, ==,
                   fleet_document_lookup_service (d4, "a", "t")->digest);
  g_assert_false (fleet_document_equal (d1, d4));
}

/* Invalid documents: each must fail with the path and the rule named. */

typedef struct
{
  const char *json;
  const char *message; /* expected prefix of the error message */
} InvalidCase;


static const InvalidCase invalid_cases[] = {
  { "{", "document: invalid JSON at 1:" },
  { "", "document: empty" },
  { "   ", "document: empty" },
  { "[]", "document: expected an object, got an array" },
  { "\"x\"", "document: expected an object, got a string" },
  { "{\"deployments\":{},\"foo\":1}", "foo: unknown field" },
  { "{}", "deployments: required field is missing" },
  { "{\"deployments\":[]}", "deployments: expected an object, got an array" },
  { "{\"deployments\":null}", "deployments: expected an object, got null" },
  { "{\"generation\":-1,\"deployments\":{}}", "generation: -1 is out of range" },
  { "{\"generation\":\"7\",\"deployments\":{}}", "generation: expected an integer, got a string" },
  { "{\"generation\":1.5,\"deployments\":{}}", "generation: expected an integer, got a number" },
  { "{\"generation\":18446744073709551617,\"deployments\":{}}",
    "generation: integer 18446744073709551617 does not fit in 64 bits" },
  { "{\"generation\":9223372036854775808,\"deployments\":{}}",
    "generation: integer 9223372036854775808 does not fit in 64 bits" },
  { "{\"deployments\":{\"Hello\":{}}}", "deployments: \"Hello\" is not a valid deployment name" },
  { "{\"deployments\":{\"-a\":{}}}", "deployments: \"-a\" is not a valid deployment name" },
  { "{\"deployments\":{\"a-\":{}}}", "deployments: \"a-\" is not a valid deployment name" },
  { "{\"deployments\":{\"a_b\":{}}}", "deployments: \"a_b\" is not a valid deployment name" },
  { "{\"deployments\":{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":{}}}",
    "deployments: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" is not" },
  { "{\"deployments\":{\"hello\":[]}}", "deployments.hello: expected an object, got an array" },
  { "{\"deployments\":{\"hello\":{\"data\":{}}}}", "deployments.hello.type: required field is missing" },
  { "{\"deployments\":{\"hello\":{\"type\":\"DockerV1\",\"data\":{}}}}",
    "deployments.hello.type: unsupported type \"DockerV1\" (expected \"PodmanV0\")" },
  { "{\"deployments\":{\"hello\":{\"type\":0,\"data\":{}}}}",
    "deployments.hello.type: expected a string, got an integer" },
  { "{\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{},\"extra\":1}}}",
    "deployments.hello.extra: unknown field" },
  { "{\"deployments\":{\"hello\":{\"type\":\"PodmanV0\"}}}",
    "deployments.hello.data: required field is missing" },
  { "{\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":[]}}}",
    "deployments.hello.data: expected an object, got an array" },
  { "{\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[],\"replicas\":2}}}}",
    "deployments.hello.data.replicas: unknown field" },
  { "{\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{}}}}",
    "deployments.hello.data.services: required field is missing" },
  { SVC (""), "deployments.hello.data.services: expected at least one service" },
  { "{\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{\"services\":{}}}}}",
    "deployments.hello.data.services: expected an array, got an object" },
  { SVC ("\"web\""), P ": expected an object, got a string" },
  { WEB (",\"deploy\":{}"), P ".deploy: unknown field" },
  { SVC ("{\"image\":\"img\"}"), P ".name: required field is missing" },
  { SVC ("{\"name\":\"Web\",\"image\":\"img\"}"), P ".name: \"Web\" is not a valid name" },
  { SVC ("{\"name\":7,\"image\":\"img\"}"), P ".name: expected a string, got an integer" },
  { SVC ("{\"name\":\"web\",\"image\":\"a\"},{\"name\":\"web\",\"image\":\"b\"}"),
    "deployments.hello.data.services[1]: duplicate service name \"web\" (also "
    "deployments.hello.data.services[0])" },
  { SVC ("{\"name\":\"web\"}"), P ".image: required field is missing" },
  { SVC ("{\"name\":\"web\",\"image\":\"\"}"), P ".image: \"\" is not a valid image reference" },
  { SVC ("{\"name\":\"web\",\"image\":\"a b\"}"), P ".image: \"a b\" is not a valid image" },
  { SVC ("{\"name\":\"web\",\"image\":\"a\\tb\"}"), P ".image: \"a\\tb\" is not a valid image" },
  { SVC ("{\"name\":\"web\",\"image\":\"a\\nb\"}"), P ".image: \"a\\nb\" is not a valid image" },
  { WEB (",\"x\\ny\":1"), P ".x\\ny: unknown field" },
  { "{\"deployments\":{\"a\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":\"x\",\"image\":\"local{\n  \"}]}}}}",
    "document: invalid JSON at 1:87: control character in a string (it must be escaped)" },
  { SVC ("{\"name\":\"web\",\"image\":null}"), P ".image: expected a string, got null" },
  { SVC ("{\"name\":\"web\",\"image\":\"a\\666b\"}"), "document: invalid JSON at 1:88: invalid escape" },
  /* what json-glib alone would have accepted */
  { "{'deployments':{}}", "document: invalid JSON at 1:2: expected a member name in double quotes" },
  { "{\"generation\":0x10,\"deployments\":{}}", "document: invalid JSON at 1:15: invalid number" },
  { "{\"generation\":010,\"deployments\":{}}", "document: invalid JSON at 1:15: invalid number" },
  { "{/* c */\"deployments\":{}}", "document: invalid JSON at 1:2: expected a member name" },
  { "{\"deployments\":{},}", "document: invalid JSON at 1:19: expected a member name" },
  { "{\"deployments\":{\"h\\u0000X\":{}}}", "document: invalid JSON at 1:19: \\u0000 (a NUL character)" },
  { SVC ("{\"name\":\"web\",\"image\":\"a\\x41\"}"), "document: invalid JSON at 1:88: invalid escape" },
  { "{\"deployments\":{\"h\":{\"type\":\"X\"},\"h\":{\"type\":\"PodmanV0\",\"data\":{}}}}",
    "deployments: duplicate member name \"h\"" },
  { "{\"deployments\":{},\"deployments\":{}}", "document: duplicate member name \"deployments\"" },
  { "{\"deployments\":{\"a\\nb\":{\"type\":\"PodmanV0\",\"type\":\"x\"}}}",
    "deployments.a\\nb: duplicate member name \"type\"" },
  { "{\"deployments\":{\"a\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":\"s\","
    "\"image\":\"i\",\"env\":{\"A\":\"1\",\"\\u0041\":\"2\"}}]}}}}",
    "deployments.a.data.services[0].env: duplicate member name \"A\"" },
  { WEB (",\"env\":{\"A\":\"\\ud800\"}"), "document: invalid JSON at 1:" },
  /* an object large enough to find duplicates through a table */
  { WEB (",\"env\":{\"K0\":\"\",\"K1\":\"\",\"K2\":\"\",\"K3\":\"\",\"K4\":\"\",\"K5\":\"\",\"K6\":\"\",\"K7\":\"\",\"K8\":\"\",\"K9\":\"\",\"K10\":\"\",\"K11\":\"\",\"K12\":\"\",\"K13\":\"\",\"K14\":\"\",\"K15\":\"\",\"K16\":\"\",\"K17\":\"\",\"K18\":\"\",\"K19\":\"\",\"K3\":\"\"}"), P ".env: duplicate member name \"K3\"" },
  { WEB (",\"command\":\"/bin/sh\""), P ".command: expected an array, got a string" },
  { WEB (",\"command\":[\"/bin/sh\",1]"), P ".command[1]: expected a string, got an integer" },
  { WEB (",\"env\":[]"), P ".env: expected an object, got an array" },
  { WEB (",\"env\":{\"1X\":\"a\"}"), P ".env: key \"1X\" is not a valid name" },
  { WEB (",\"env\":{\"A-B\":\"a\"}"), P ".env: key \"A-B\" is not a valid name" },
  { WEB (",\"env\":{\"PORT\":8080}"), P ".env.PORT: expected a string, got an integer" },
  { WEB (",\"ports\":\"80:80\""), P ".ports: expected an array, got a string" },
  { WEB (",\"ports\":[\"80:x\"]"), P ".ports[0]: expected [HOST_IP:]HOST_PORT:CONTAINER_PORT" },
  { WEB (",\"ports\":[\"80\"]"), P ".ports[0]: expected [HOST_IP:]HOST_PORT:CONTAINER_PORT" },
  { WEB (",\"ports\":[\"80:80\",\"70000:80\"]"), P ".ports[1]: expected [HOST_IP:]HOST_PORT" },
  { WEB (",\"ports\":[\"0:80\"]"), P ".ports[0]: expected [HOST_IP:]HOST_PORT" },
  { WEB (",\"ports\":[\"80:80/sctp\"]"), P ".ports[0]: expected [HOST_IP:]HOST_PORT" },
  { WEB (",\"ports\":[\"999.1.1.1:80:80\"]"), P ".ports[0]: expected [HOST_IP:]HOST_PORT" },
  { WEB (",\"ports\":[\"a:b:80:80\"]"), P ".ports[0]: expected [HOST_IP:]HOST_PORT" },
  { WEB (",\"ports\":[80]"), P ".ports[0]: expected a string, got an integer" },
  { WEB (",\"ports\":[\"00000:80\"]"), P ".ports[0]: expected [HOST_IP:]HOST_PORT" },
  { WEB (",\"ports\":[\"80:000\"]"), P ".ports[0]: expected [HOST_IP:]HOST_PORT" },
  { WEB (",\"ports\":[\"80:0065536\"]"), P ".ports[0]: expected [HOST_IP:]HOST_PORT" },
  { WEB (",\"ports\":[\"80:+80\"]"), P ".ports[0]: expected [HOST_IP:]HOST_PORT" },
  /* the same host port twice in one service */
  { WEB (",\"ports\":[\"8080:80\",\"8080:81\"]"),
    P ".ports[1]: host port 8080/tcp is published twice (also " P ".ports[0])" },
  { WEB (",\"ports\":[\"8080:80\",\"8080:80\"]"),
    P ".ports[1]: host port 8080/tcp is published twice (also " P ".ports[0])" },
  { WEB (",\"ports\":[\"127.0.0.1:53:53/udp\",\"53:53/udp\",\"127.0.0.1:053:54/udp\"]"),
    P ".ports[2]: host port 127.0.0.1:53/udp is published twice (also " P ".ports[0])" },
  { WEB (",\"ports\":[\"1:1\",\"[::1]:443:443\",\"2:2\",\"[0:0::1]:443:8443/tcp\",\"1:3\"]"),
    P ".ports[3]: host port [0:0::1]:443/tcp is published twice (also " P ".ports[1])" },
  { WEB (",\"volumes\":[\"data\"]"), P ".volumes[0]: expected SOURCE:DEST[:ro|:rw], got \"data\"" },
  { WEB (",\"volumes\":[\"/a:rel\"]"), P ".volumes[0]: destination \"rel\" is not an absolute path" },
  { WEB (",\"volumes\":[\"/a:/b:rx\"]"), P ".volumes[0]: expected SOURCE:DEST[:ro|:rw]" },
  { WEB (",\"volumes\":[\"../x:/b\"]"), P ".volumes[0]: source \"../x\" is neither" },
  { WEB (",\"volumes\":[{}]"), P ".volumes[0]: expected a string, got an object" },
  { LIFECYCLE ("{\"timeout\":1}"), "deployments.hello.data.lifecycle.timeout: unknown field" },
  { LIFECYCLE ("{\"stop_signal\":\"SIGFOO\"}"),
    "deployments.hello.data.lifecycle.stop_signal: unknown signal \"SIGFOO\"" },
  { LIFECYCLE ("{\"stop_signal\":15}"),
    "deployments.hello.data.lifecycle.stop_signal: expected a string, got an integer" },
  { LIFECYCLE ("{\"grace_period_secs\":3601}"),
    "deployments.hello.data.lifecycle.grace_period_secs: 3601 is out of range 0..3600" },
  { LIFECYCLE ("{\"grace_period_secs\":-1}"),
    "deployments.hello.data.lifecycle.grace_period_secs: -1 is out of range" },
  { LIFECYCLE ("{\"grace_period_secs\":\"30\"}"),
    "deployments.hello.data.lifecycle.grace_period_secs: expected an integer, got a string" },
  { LIFECYCLE ("[]"), "deployments.hello.data.lifecycle: expected an object, got an array" },
  /* the service fields of compose: restart */
  { WEB (",\"restart\":\"unless-stopped\""), P ".restart: unknown restart policy \"unless-stopped\"" },
  { WEB (",\"restart\":\"on-failure:0\""), P ".restart: unknown restart policy \"on-failure:0\"" },
  { WEB (",\"restart\":\"on-failure:x\""), P ".restart: unknown restart policy" },
  { WEB (",\"restart\":\"on-failure:10001\""), P ".restart: unknown restart policy" },
  { WEB (",\"restart\":false"), P ".restart: expected a string, got a boolean" },
  /* devices and device cgroup rules */
  { WEB (",\"devices\":[\"ttyUSB0\"]"), P ".devices[0]: host device \"ttyUSB0\" is not an absolute path" },
  { WEB (",\"devices\":[\"/dev/ttyUSB0:dev/x\"]"), P ".devices[0]: container path \"dev/x\" is not an absolute" },
  { WEB (",\"devices\":[\"/dev/../etc/shadow\"]"), P ".devices[0]: host device \"/dev/../etc/shadow\" has a \"..\"" },
  { WEB (",\"devices\":[\"/dev/a:/dev/a:rwx\"]"), P ".devices[0]: permissions \"rwx\" are not a combination of r, w and m" },
  { WEB (",\"devices\":[\"/dev/a:/dev/a:rr\"]"), P ".devices[0]: permissions \"rr\"" },
  { WEB (",\"devices\":[\"/dev/a:/dev/b:rw:x\"]"), P ".devices[0]: expected HOST_PATH[:CONTAINER_PATH[:PERMISSIONS]]" },
  { WEB (",\"devices\":[\"/dev/a::r\"]"), P ".devices[0]: expected HOST_PATH[:CONTAINER_PATH[:PERMISSIONS]]" },
  { WEB (",\"devices\":[\"/dev/a\",\"/dev/b:/dev/a\"]"), P ".devices[1]: /dev/a is already a device of the container (" P ".devices[0])" },
  { WEB (",\"devices\":[{\"source\":\"/dev/a\"}]"), P ".devices[0]: expected a string, got an object" },
  { WEB (",\"device_cgroup_rules\":[\"c 1:3\"]"), P ".device_cgroup_rules[0]: expected \"TYPE MAJOR:MINOR ACCESS\"" },
  { WEB (",\"device_cgroup_rules\":[\"x 1:3 rwm\"]"), P ".device_cgroup_rules[0]: expected \"TYPE MAJOR:MINOR ACCESS\"" },
  { WEB (",\"device_cgroup_rules\":[\"c 1:-3 rw\"]"), P ".device_cgroup_rules[0]: expected \"TYPE" },
  { WEB (",\"device_cgroup_rules\":[\"c 189:* rq\"]"), P ".device_cgroup_rules[0]: expected \"TYPE" },
  /* privileges and capabilities */
  { WEB (",\"privileged\":\"true\""), P ".privileged: expected true or false, got a string" },
  { WEB (",\"cap_add\":[\"NET_ADMIN\",\"CAP_FLY\"]"), P ".cap_add[1]: unknown capability \"CAP_FLY\"" },
  { WEB (",\"cap_drop\":[\"SYS_ADMINISTRATOR\"]"), P ".cap_drop[0]: unknown capability \"SYS_ADMINISTRATOR\"" },
  { WEB (",\"cap_add\":[\"NET_RAW\",\"cap_net_raw\"]"), P ".cap_add[1]: CAP_NET_RAW is listed twice (also " P ".cap_add[0])" },
  { WEB (",\"cap_add\":\"NET_ADMIN\""), P ".cap_add: expected an array, got a string" },
  { WEB (",\"cap_add\":[\"NET_ADMIN\"],\"cap_drop\":[\"CHOWN\",\"CAP_NET_ADMIN\"]"), P ".cap_drop[1]: CAP_NET_ADMIN is both added (cap_add) and dropped" },
  /* network mode */
  { WEB (",\"network_mode\":\"service:db\""), P ".network_mode: unknown network mode \"service:db\"" },
  { WEB (",\"network_mode\":\"host\",\"ports\":[\"80:80\"]"), P ".ports: ports cannot be published with network_mode \"host\"" },
  { WEB (",\"ports\":[\"80:80\"],\"network_mode\":\"none\""), P ".ports: ports cannot be published with network_mode \"none\"" },
  /* resources */
  { WEB (",\"mem_limit\":\"512x\""), P ".mem_limit: expected a byte value such as \"512m\"" },
  { WEB (",\"mem_limit\":\"1.5g\""), P ".mem_limit: expected a byte value such as \"512m\"" },
  { WEB (",\"mem_limit\":\"m\""), P ".mem_limit: expected a byte value such as \"512m\"" },
  { WEB (",\"mem_limit\":\"1m\""), P ".mem_limit: 1048576 bytes is below the smallest memory limit, 6m" },
  { WEB (",\"mem_limit\":-1"), P ".mem_limit: -1 is not a size" },
  { WEB (",\"mem_limit\":\"99999999999g\""), P ".mem_limit: expected a byte value" },
  { WEB (",\"cpus\":0"), P ".cpus: 0 CPUs is no limit (expected more than 0)" },
  { WEB (",\"cpus\":-0.5"), P ".cpus: -0.5 CPUs is no limit" },
  { WEB (",\"cpus\":0.001"), P ".cpus: 0.001 CPUs is out of range 0.01..1024" },
  { WEB (",\"cpus\":4096"), P ".cpus: 4096 CPUs is out of range 0.01..1024" },
  { WEB (",\"cpus\":\"half\""), P ".cpus: expected a number of CPUs such as 0.5, got \"half\"" },
  { WEB (",\"pids_limit\":0"), P ".pids_limit: 0 is not a limit" },
  { WEB (",\"pids_limit\":-2"), P ".pids_limit: -2 is out of range 1..4194304" },
  { WEB (",\"pids_limit\":\"100\""), P ".pids_limit: expected an integer, got a string" },
  /* the process and its filesystem */
  { WEB (",\"user\":\"\""), P ".user: expected USER[:GROUP]" },
  { WEB (",\"user\":\"app:app:app\""), P ".user: expected USER[:GROUP]" },
  { WEB (",\"user\":\"a b\""), P ".user: expected USER[:GROUP]" },
  { WEB (",\"working_dir\":\"app\""), P ".working_dir: working directory \"app\" is not an absolute path" },
  { WEB (",\"read_only\":1"), P ".read_only: expected true or false, got an integer" },
  { WEB (",\"tmpfs\":\"run\""), P ".tmpfs: tmpfs path \"run\" is not an absolute path" },
  { WEB (",\"tmpfs\":[\"/run\",\"/tmp:size=64q\"]"), P ".tmpfs[1]: tmpfs option \"size=64q\" is not valid" },
  { WEB (",\"tmpfs\":[\"/tmp:exec,noexec\"]"), P ".tmpfs[0]: tmpfs option \"noexec\" contradicts or repeats \"exec\"" },
  { WEB (",\"tmpfs\":[\"/tmp:uid=0,bogus\"]"), P ".tmpfs[0]: unknown tmpfs option \"bogus\"" },
  { WEB (",\"tmpfs\":[\"/tmp\",\"/tmp:ro\"]"), P ".tmpfs[1]: /tmp is mounted twice" },
  { WEB (",\"volumes\":[\"/srv:/data\"],\"tmpfs\":[\"/data\"]"), P ".tmpfs[0]: /data is already mounted (" P ".volumes[0])" },
  { WEB (",\"tmpfs\":7"), P ".tmpfs: expected a string or an array of strings" },
  /* labels */
  { WEB (",\"labels\":{\"fleet.deployment\":\"other\"}"), P ".labels: label \"fleet.deployment\" is in the fleet.* namespace" },
  { WEB (",\"labels\":[\"fleet.spec-digest=sha256:x\"]"), P ".labels[0]: label \"fleet.spec-digest\" is in the fleet.* namespace" },
  { WEB (",\"labels\":[\"a=1\",\"a=2\"]"), P ".labels[1]: label \"a\" is set twice" },
  { WEB (",\"labels\":{\"a b\":\"1\"}"), P ".labels: label \"a b\" is not a valid key" },
  { WEB (",\"labels\":[\"=x\"]"), P ".labels[0]: label \"\" is not a valid key" },
  { WEB (",\"labels\":{\"a\":1}"), P ".labels.a: expected a string, got an integer" },
  /* hostname */
  { WEB (",\"hostname\":\"gw_1\""), P ".hostname: \"gw_1\" is not a valid host name" },
  { WEB (",\"hostname\":\"-gw\""), P ".hostname: \"-gw\" is not a valid host name" },
  { WEB (",\"hostname\":\"a..b\""), P ".hostname: \"a..b\" is not a valid host name" },
  { WEB (",\"hostname\":\"aaaaaaaaaa.aaaaaaaaaa.aaaaaaaaaa.aaaaaaaaaa.aaaaaaaaaa.aaaaaaaaaa.a\""), P ".hostname: \"aaaaaaaaaa." },
  /* logging */
  { WEB (",\"logging\":{\"driver\":\"syslog\"}"), P ".logging.driver: unknown log driver \"syslog\"" },
  { WEB (",\"logging\":{\"driver\":\"journald\",\"options\":{\"max-size\":\"10m\"}}"), P ".logging.options.max-size: a size limit needs \"driver\": \"k8s-file\"" },
  { WEB (",\"logging\":{\"driver\":\"k8s-file\",\"options\":{\"max-file\":\"3\"}}"), P ".logging.options.max-file: unknown field" },
  { WEB (",\"logging\":{\"driver\":\"k8s-file\",\"options\":{\"max-size\":\"10q\"}}"), P ".logging.options.max-size: expected a byte value" },
  { WEB (",\"logging\":{\"format\":\"json\"}"), P ".logging.format: unknown field" },
  { WEB (",\"logging\":\"journald\""), P ".logging: expected an object, got a string" },
  /* depends_on */
  { SVC ("{\"name\":\"web\",\"image\":\"i\",\"depends_on\":[\"db\"]}"), P ".depends_on[0]: unknown service \"db\" (deployment \"hello\" has none of that name)" },
  { SVC ("{\"name\":\"web\",\"image\":\"i\",\"depends_on\":[\"web\"]}"), P ".depends_on[0]: service \"web\" cannot depend on itself" },
  { SVC ("{\"name\":\"web\",\"image\":\"i\",\"depends_on\":{\"web\":{\"condition\":\"service_started\"}}}"), P ".depends_on.web: service \"web\" cannot depend on itself" },
  { SVC ("{\"name\":\"a\",\"image\":\"i\",\"depends_on\":[\"b\"]},{\"name\":\"b\",\"image\":\"i\",\"depends_on\":[\"c\"]},{\"name\":\"c\",\"image\":\"i\",\"depends_on\":{\"a\":{\"condition\":\"service_started\"}}}"),
    "deployments.hello.data.services[2].depends_on.a: dependency cycle: a -> b -> c -> a" },
  { SVC ("{\"name\":\"a\",\"image\":\"i\"},{\"name\":\"b\",\"image\":\"i\",\"depends_on\":[\"a\",\"c\"]},{\"name\":\"c\",\"image\":\"i\",\"depends_on\":[\"b\"]}"),
    "deployments.hello.data.services[2].depends_on[0]: dependency cycle: b -> c -> b" },
  { SVC ("{\"name\":\"web\",\"image\":\"i\",\"depends_on\":[\"db\",\"db\"]},{\"name\":\"db\",\"image\":\"i\"}"), P ".depends_on[1]: \"db\" is listed twice (also " P ".depends_on[0])" },
  { SVC ("{\"name\":\"web\",\"image\":\"i\",\"depends_on\":{\"db\":{\"condition\":\"service_healthy\"}}},{\"name\":\"db\",\"image\":\"i\"}"), P ".depends_on.db.condition: \"service_healthy\" needs a health check" },
  { SVC ("{\"name\":\"web\",\"image\":\"i\",\"depends_on\":{\"db\":{}}},{\"name\":\"db\",\"image\":\"i\"}"), P ".depends_on.db.condition: required field is missing" },
  { SVC ("{\"name\":\"web\",\"image\":\"i\",\"depends_on\":{\"db\":{\"condition\":\"started\"}}},{\"name\":\"db\",\"image\":\"i\"}"), P ".depends_on.db.condition: unknown condition \"started\"" },
  { SVC ("{\"name\":\"web\",\"image\":\"i\",\"depends_on\":{\"db\":{\"condition\":\"service_started\",\"restart\":true}}},{\"name\":\"db\",\"image\":\"i\"}"), P ".depends_on.db.restart: unknown field" },
  { SVC ("{\"name\":\"web\",\"image\":\"i\",\"depends_on\":{\"migrate\":{\"condition\":\"service_completed_successfully\"}}},{\"name\":\"migrate\",\"image\":\"i\"}"),
    P ".depends_on.migrate: service \"migrate\" is restarted always, so it never completes" },
  { SVC ("{\"name\":\"web\",\"image\":\"i\",\"depends_on\":[\"Db\"]}"), P ".depends_on[0]: \"Db\" is not a valid service name" },
  { SVC ("{\"name\":\"web\",\"image\":\"i\",\"depends_on\":\"db\"}"), P ".depends_on: expected an array of service names or an object" },
  { "{\"deployments\":{\"a\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":\"x\",\"image\":\"i\"}]}},"
    "\"b\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":\"y\",\"image\":\"i\",\"depends_on\":[\"x\"]}]}}}}",
    "deployments.b.data.services[0].depends_on[0]: unknown service \"x\" (deployment \"b\" has none" },
  /* healthcheck, update_config */
#define HC(body) WEB (",\"healthcheck\":" body)
  { HC ("[]"), P ".healthcheck: expected an object, got an array" },
  { HC ("{}"), P ".healthcheck: expected one of \"test\", \"http\" and \"tcp\"" },
  { HC ("{\"test\":[\"NONE\"],\"tcp\":{\"port\":1}}"), P ".healthcheck: \"test\", \"http\" and \"tcp\" exclude each other" },
  { HC ("{\"test\":[\"CMD\"]}"), P ".healthcheck.test: expected [\"CMD\", ARG...], [\"CMD-SHELL\", COMMAND] or [\"NONE\"]" },
  { HC ("{\"test\":[\"CMD-SHELL\",\"a\",\"b\"]}"), P ".healthcheck.test: expected [\"CMD\"" },
  { HC ("{\"test\":[\"RUN\",\"x\"]}"), P ".healthcheck.test: expected [\"CMD\"" },
  { HC ("{\"test\":[\"CMD\",7]}"), P ".healthcheck.test[1]: expected a string, got an integer" },
  { HC ("{\"test\":\"\"}"), P ".healthcheck.test: the command is empty" },
  { HC ("{\"test\":7}"), P ".healthcheck.test: expected an array, got an integer" },
  { HC ("{\"test\":[\"NONE\"],\"interval\":\"10\"}"), P ".healthcheck.interval: expected a duration such as \"30s\"" },
  { HC ("{\"test\":[\"NONE\"],\"interval\":\"1x\"}"), P ".healthcheck.interval: expected a duration" },
  { HC ("{\"test\":[\"NONE\"],\"interval\":\"25h\"}"), P ".healthcheck.interval: expected a duration" },
  { HC ("{\"test\":[\"NONE\"],\"interval\":\"500ms\"}"), P ".healthcheck.interval: \"500ms\" is too short (at least 1000 ms)" },
  { HC ("{\"test\":[\"NONE\"],\"interval\":30}"), P ".healthcheck.interval: expected a string, got an integer" },
  { HC ("{\"test\":[\"NONE\"],\"timeout\":\"0\"}"), P ".healthcheck.timeout: \"0\" is too short" },
  { HC ("{\"test\":[\"NONE\"],\"retries\":0}"), P ".healthcheck.retries: 0 is out of range 1..1000" },
  { HC ("{\"test\":[\"NONE\"],\"start_period\":\"-1s\"}"), P ".healthcheck.start_period: expected a duration" },
  { HC ("{\"test\":[\"NONE\"],\"start_interval\":\"1s\"}"), P ".healthcheck.start_interval: unknown field" },
  { HC ("{\"test\":[\"NONE\"],\"on_unhealthy\":\"stop\"}"), P ".healthcheck.on_unhealthy: unknown action \"stop\" (expected \"restart\" or \"none\")" },
  { HC ("{\"disable\":true,\"retries\":2}"), P ".healthcheck: \"disable\": true excludes \"retries\"" },
  { HC ("{\"disable\":\"yes\"}"), P ".healthcheck.disable: expected true or false, got a string" },
  { HC ("{\"http\":{}}"), P ".healthcheck.http.port: required field is missing" },
  { HC ("{\"http\":{\"port\":0}}"), P ".healthcheck.http.port: 0 is out of range 1..65535" },
  { HC ("{\"http\":{\"port\":80,\"path\":\"healthz\"}}"), P ".healthcheck.http.path: expected a path starting with /" },
  { HC ("{\"http\":{\"port\":80,\"status\":\"299-200\"}}"), P ".healthcheck.http.status: expected an HTTP status or a range" },
  { HC ("{\"http\":{\"port\":80,\"status\":\"2xx\"}}"), P ".healthcheck.http.status: expected an HTTP status or a range" },
  { HC ("{\"http\":{\"port\":80,\"status\":99}}"), P ".healthcheck.http.status: 99 is not an HTTP status (100..599)" },
  { HC ("{\"http\":{\"port\":80,\"method\":\"HEAD\"}}"), P ".healthcheck.http.method: unknown field" },
  { HC ("{\"tcp\":{\"port\":80,\"path\":\"/\"}}"), P ".healthcheck.tcp.path: unknown field" },
  { HC ("{\"tcp\":[]}"), P ".healthcheck.tcp: expected an object, got an array" },
#undef HC
  { WEB (",\"update_config\":{\"order\":\"rolling\"}"), P ".update_config.order: unknown order \"rolling\" (expected \"stop-first\" or \"start-first\")" },
  { WEB (",\"update_config\":{\"parallelism\":2}"), P ".update_config.parallelism: unknown field" },
  { WEB (",\"update_config\":{\"monitor\":\"2h\"}"), P ".update_config.monitor: at most 3600 seconds" },
  { WEB (",\"update_config\":{\"monitor\":5}"), P ".update_config.monitor: expected a string, got an integer" },
  { WEB (",\"ports\":[\"80:80\"],\"update_config\":{\"order\":\"start-first\"}"), P ".update_config.order: \"start-first\" runs two containers of the service at once, and it publishes host ports" },
  { WEB (",\"network_mode\":\"host\",\"update_config\":{\"order\":\"start-first\"}"), P ".update_config.order: \"start-first\" runs two containers of the service at once, and it uses the host's network" },
  { WEB (",\"devices\":[\"/dev/ttyUSB0\"],\"update_config\":{\"order\":\"start-first\"}"), P ".update_config.order: \"start-first\" runs two containers of the service at once, and it takes host devices" },
  { "{\"deployments\":{}}\xff", "document: not valid UTF-8 (at byte 18)" },
  { "{\"deployments\":{}} {}", "document: unexpected data after the JSON value (at byte 19)" },
  { "{\"deployments\":{}}}", "document: unexpected data after the JSON value (at byte 18)" },
};

/* The same sequence fleetd follows: a document that fails validation never
 * reaches the reconciler, so nothing running is touched and nothing persisted
 * changes. */
static void
test_invalid_documents (void)
{
  g_autoptr(FleetFakeRuntime) runtime = fleet_fake_runtime_new ();
  g_autofree char *dir = fleet_test_make_tmpdir ();
  g_autoptr(FleetReconciler) reconciler = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (runtime),
                                                               dir);
  g_autoptr(FleetDocument) v1 = fleet_test_document (WEB (",\"env\":{\"A\":\"1\"}"));
  g_autofree char *state_path = g_build_filename (dir, FLEET_STATE_FILE_NAME, NULL);
  g_autofree char *state_before = NULL;
  const char *id_before;

  g_assert_cmpint (fleet_test_apply_ok (reconciler, v1), ==, FLEET_PHASE_RUNNING);
  id_before = fleet_test_recorded_id (reconciler, "hello", "web");
  g_assert_nonnull (id_before);
  g_assert_true (g_file_get_contents (state_path, &state_before, NULL, NULL));
  fleet_fake_runtime_clear_calls (runtime);

  for (gsize i = 0; i < G_N_ELEMENTS (invalid_cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(FleetDocument) doc = NULL;
      g_autofree char *state_after = NULL;

      g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, invalid_cases[i].json);
      doc = fleet_document_new_from_data (invalid_cases[i].json, -1, NULL, &error);
      g_assert_null (doc);
      g_assert_error (error, FLEET_ERROR, FLEET_ERROR_INVALID_DOCUMENT);
      if (!g_str_has_prefix (error->message, invalid_cases[i].message))
        g_error ("case %" G_GSIZE_FORMAT ": expected \"%s...\", got \"%s\"", i,
                 invalid_cases[i].message, error->message);
      /* one line */
      g_assert_null (strchr (error->message, '\n'));

      /* nothing reached the runtime, the state file is as it was */
      g_main_context_iteration (NULL, FALSE);
      g_assert_cmpuint (fleet_fake_runtime_get_calls (runtime)->len, ==, 0);
      g_assert_true (g_file_get_contents (state_path, &state_after, NULL, NULL));
      g_assert_cmpstr (state_after, ==, state_before);
      g_assert_cmpstr (fleet_test_recorded_id (reconciler, "hello", "web"), ==, id_before);
    }
  /* the contract's cases, and more than 80 for the fields added since */
  g_assert_cmpuint (G_N_ELEMENTS (invalid_cases), >=, 175);
  fleet_test_rm_rf (dir);
}

/* @json must be refused with @code and a message that starts with @prefix. */
static void
assert_refused (const char *json, gssize len, const FleetLimits *limits, int code,
                const char *prefix)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetDocument) doc = fleet_document_new_from_data (json, len, limits, &error);

  g_assert_null (doc);
  g_assert_error (error, FLEET_ERROR, code);
  if (!g_str_has_prefix (error->message, prefix))
    g_error ("expected \"%s...\", got \"%s\"", prefix, error->message);
}

static void
test_limits (void)
{
  FleetLimits limits;

  fleet_limits_init_default (&limits);
  g_assert_cmpuint (limits.max_document_bytes, ==, 1024 * 1024);
  g_assert_cmpuint (limits.max_deployments, ==, 256);
  g_assert_cmpuint (limits.max_services, ==, 1024);
  g_assert_cmpuint (limits.max_string_bytes, ==, 4096);

  /* document size */
  limits.max_document_bytes = 64;
  assert_refused (example_document, -1, &limits, FLEET_ERROR_TOO_LARGE, "document: ");

  /* too many deployments */
  fleet_limits_init_default (&limits);
  limits.max_deployments = 2;
  assert_refused ("{\"deployments\":{\"a\":{},\"b\":{},\"c\":{}}}", -1, &limits,
                  FLEET_ERROR_INVALID_DOCUMENT, "deployments: too many deployments (3, at most 2)");

  /* too many services in all */
  fleet_limits_init_default (&limits);
  limits.max_services = 1;
  assert_refused (SVC ("{\"name\":\"a\",\"image\":\"i\"},{\"name\":\"b\",\"image\":\"i\"}"), -1,
                  &limits, FLEET_ERROR_INVALID_DOCUMENT,
                  "deployments.hello.data.services: too many services");
}

static void
test_limits_strings (void)
{
  g_autofree char *long_value = g_strnfill (4097, 'x');
  g_autofree char *long_string = g_strdup_printf (WEB (",\"env\":{\"A\":\"%s\"}"), long_value);
  g_autofree char *long_root_key = g_strdup_printf ("{\"%s\":1}", long_value);
  g_autofree char *long_env_key = g_strdup_printf (WEB (",\"env\":{\"%s\":\"x\"}"), long_value);

  assert_refused (long_string, -1, NULL, FLEET_ERROR_INVALID_DOCUMENT,
                  P ".env.A: string longer than 4096 bytes");
  /* member names, at the top and further down */
  assert_refused (long_root_key, -1, NULL, FLEET_ERROR_INVALID_DOCUMENT,
                  "document: member name longer than 4096 bytes");
  assert_refused (long_env_key, -1, NULL, FLEET_ERROR_INVALID_DOCUMENT,
                  P ".env: member name longer than 4096 bytes");
}

/* The default limits: 1024 services pass, 1025 do not. */
static void
test_limits_services (void)
{
  g_autoptr(GString) big = g_string_new (NULL);

  for (guint n = 1024; n <= 1025; n++)
    {
      g_string_assign (big, "{\"deployments\":{");
      for (guint d = 0; d < 4; d++)
        {
          g_string_append_printf (big, "%s\"d%u\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[",
                                  d ? "," : "", d);
          for (guint s = 0; s < n / 4 + (d == 3 ? n % 4 : 0); s++)
            g_string_append_printf (big, "%s{\"name\":\"s%u\",\"image\":\"i\"}", s ? "," : "", s);
          g_string_append (big, "]}}");
        }
      g_string_append (big, "}}");
      if (n == 1024)
        {
          g_autoptr(FleetDocument) doc = fleet_test_document (big->str);

          g_assert_cmpuint (fleet_document_count_services (doc), ==, 1024);
        }
      else
        assert_refused (big->str, big->len, NULL, FLEET_ERROR_INVALID_DOCUMENT,
                        "deployments.d3.data.services: too many services");
    }
}

static void
test_limits_text (void)
{
  g_autoptr(GString) deep = g_string_new ("{\"deployments\":{},\"x\":");

  /* a NUL byte is not JSON text (a parser would stop reading there) */
  assert_refused ("{\"deployments\":{}}\n\0{}", 21, NULL, FLEET_ERROR_INVALID_DOCUMENT,
                  "document: NUL byte at byte 19 (not JSON text)");

  /* absurd nesting is refused before the reader recurses into it */
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  assert_refused (deep->str, deep->len, NULL, FLEET_ERROR_INVALID_DOCUMENT,
                  "document: nested deeper than 32 levels");
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);

  g_test_add_func ("/document/parse-example", test_parse_example);
  g_test_add_func ("/document/parse-defaults", test_parse_defaults);
  g_test_add_func ("/document/parse-empty-deployments", test_parse_empty_deployments);
  g_test_add_func ("/document/parse-signal-short-name", test_parse_signal_short_name);
  g_test_add_func ("/document/parse-ipv6-port", test_parse_ipv6_port);
  g_test_add_func ("/document/parse-contract-allows", test_parse_contract_allows);
  g_test_add_func ("/document/parse-port-leading-zeros", test_parse_port_leading_zeros);
  g_test_add_func ("/document/parse-distinct-host-ports", test_parse_distinct_host_ports);
  g_test_add_func ("/document/service-digest-definition", test_service_digest_definition);
  g_test_add_func ("/document/digest-ignores-formatting", test_digest_ignores_formatting);
  g_test_add_func ("/document/digest-changes", test_digest_changes);
  g_test_add_func ("/document/invalid-documents", test_invalid_documents);
  g_test_add_func ("/document/limits", test_limits);
  g_test_add_func ("/document/limits-strings", test_limits_strings);
  g_test_add_func ("/document/limits-services", test_limits_services);
  g_test_add_func ("/document/limits-text", test_limits_text);

  return g_test_run ();
}
