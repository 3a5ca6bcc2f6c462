/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-podman-json.c: the JSON either side of podman, read and written by
 * FleetPodmanRuntime's parts: the create request built from a spec, inspect
 * and list answers, pull streams and events.  No podman needed: the answers
 * are podman 4.3's, trimmed.
 */
#include "config.h"

#include "fleet-podman-private.h"
#include "fleet-service-ops.h"
#include "fleet-test-utils.h"

#define SERVICE_DOC                                                                                \
  "{\"generation\":%d,\"deployments\":{\"%s\":{\"type\":\"PodmanV0\",\"data\":{"                   \
  "\"services\":[%s],\"lifecycle\":{\"stop_signal\":\"%s\",\"grace_period_secs\":%d}}}}}"

static FleetDocument *
service_doc (int generation, const char *deployment, const char *services, const char *signal,
             int grace)
{
  g_autofree char *json
      = g_strdup_printf (SERVICE_DOC, generation, deployment, services, signal, grace);

  return fleet_test_document (json);
}

static JsonNode *
parse (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  return json_parser_steal_root (parser);
}

static void
assert_json_equal (JsonNode *node, const char *expected)
{
  g_autoptr(JsonNode) want = parse (expected);
  g_autofree char *got = json_to_string (node, FALSE);

  if (!json_node_equal (node, want))
    g_error ("JSON differs:\n  got      %s\n  expected %s", got, expected);
}

/* Every member of the create request, exactly. */
static void
test_unit_create_json (void)
{
  g_autoptr(FleetDocument) doc = service_doc (
      1, "hello",
      "{\"name\":\"web\",\"image\":\"localhost/hello:v2\",\"command\":[\"/bin/httpd\",\"-f\"],"
      "\"env\":{\"GREETING\":\"a=b c\",\"MODE\":\"prod\"},"
      "\"ports\":[\"8080:80\",\"127.0.0.1:9000:9000/udp\"],"
      "\"volumes\":[\"/srv/hello:/data:ro\",\"hello-cache:/cache\",\"logs:/logs:ro\","
      "\"/srv/rw:/rw\"]}",
      "SIGINT", 7);
  FleetServiceSpec *spec = fleet_document_lookup_service (doc, "hello", "web");
  g_autoptr(GHashTable) labels = _fleet_service_labels (spec);
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *expected = g_strdup_printf (
      "{\"name\":\"hello_web\",\"image\":\"localhost/hello:v2\",\"entrypoint\":[\"/bin/"
      "httpd\",\"-f\"],"
      "\"env\":{\"GREETING\":\"a=b c\",\"MODE\":\"prod\"},"
      "\"labels\":{\"fleet.deployment\":\"hello\",\"fleet.service\":\"web\","
      "\"fleet.spec-digest\":\"%s\",\"zz.extra\":\"last\"},"
      "\"portmappings\":[{\"host_port\":8080,\"container_port\":80,\"protocol\":\"tcp\"},"
      "{\"host_ip\":\"127.0.0.1\",\"host_port\":9000,\"container_port\":9000,\"protocol\":\"udp\"}]"
      ","
      "\"mounts\":[{\"type\":\"bind\",\"source\":\"/srv/hello\",\"destination\":\"/data\","
      "\"options\":[\"ro\"]},"
      "{\"type\":\"bind\",\"source\":\"/srv/rw\",\"destination\":\"/rw\",\"options\":[\"rw\"]}],"
      "\"volumes\":[{\"Name\":\"hello-cache\",\"Dest\":\"/cache\",\"Options\":[]},"
      "{\"Name\":\"logs\",\"Dest\":\"/logs\",\"Options\":[\"ro\"]}],"
      "\"restart_policy\":\"always\",\"stop_signal\":2,\"stop_timeout\":7}",
      spec->digest);

  g_hash_table_insert (labels, g_strdup ("zz.extra"), g_strdup ("last"));
  node = _fleet_podman_spec_to_create_json ("hello_web", spec, labels);
  assert_json_equal (node, expected);
}

/* Inspect and list answers (as podman 4.3 gives them, trimmed), read
 * defensively; podman's states mapped onto fleet's. */
static void
test_unit_parse_answers (void)
{
  g_autoptr(JsonNode) inspect
      = parse ("{\"Id\":\"aaaa\",\"Name\":\"hello_web\",\"ImageName\":\"localhost/hello:v2\","
               "\"State\":{\"Status\":\"exited\",\"ExitCode\":137},"
               "\"Config\":{\"Labels\":{\"fleet.deployment\":\"hello\",\"fleet.service\":\"web\","
               "\"fleet.spec-digest\":\"sha256:x\",\"other\":\"o\",\"bad\":1},\"StopTimeout\":7,"
               "\"StopSignal\":2}}");
  g_autoptr(JsonNode) list
      = parse ("[{\"Id\":\"bbbb\",\"Names\":[\"hello_web\"],\"Image\":\"localhost/hello:v2\","
               "\"Labels\":{\"fleet.deployment\":\"hello\"},\"State\":\"running\",\"ExitCode\":0},"
               "{\"Id\":\"cccc\",\"Names\":[5],\"Labels\":null,\"State\":42},"
               "{\"Names\":[\"no-id\"]}, 7]");
  g_autoptr(JsonNode) bare = parse ("{\"Id\":\"dddd\"}");
  g_autoptr(JsonNode) not_object = parse ("[]");
  g_autoptr(FleetContainerInfo) info = NULL;
  g_autoptr(GPtrArray) infos = NULL;
  g_autoptr(GError) error = NULL;

  info = _fleet_podman_info_from_inspect (inspect, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->id, ==, "aaaa");
  g_assert_cmpstr (info->name, ==, "hello_web");
  g_assert_cmpstr (info->deployment, ==, "hello");
  g_assert_cmpstr (info->service, ==, "web");
  g_assert_cmpstr (info->spec_digest, ==, "sha256:x");
  g_assert_cmpstr (info->image, ==, "localhost/hello:v2");
  g_assert_cmpint (info->state, ==, FLEET_CONTAINER_STATE_EXITED);
  g_assert_cmpint (info->exit_code, ==, 137);
  g_assert_cmpuint (_fleet_podman_inspect_get_stop_timeout (inspect), ==, 7);
  g_assert_cmpuint (_fleet_podman_inspect_get_stop_timeout (bare), ==, 10);
  g_assert_cmpint (_fleet_podman_inspect_get_stop_signal (inspect), ==, 2);
  g_assert_cmpint (_fleet_podman_inspect_get_stop_signal (bare), ==, 15);
  g_assert_cmpstr (fleet_container_info_get_label (info, "other"), ==, "o");
  g_assert_null (fleet_container_info_get_label (info, "bad"));
  g_assert_cmpuint (g_hash_table_size (info->labels), ==, 4);
  g_clear_pointer (&info, fleet_container_info_unref);

  info = _fleet_podman_info_from_inspect (not_object, &error);
  g_assert_null (info);
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_RUNTIME);
  g_clear_error (&error);

  infos = _fleet_podman_info_list_from_json (list, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (infos->len, ==, 2);
  info = fleet_container_info_ref (infos->pdata[0]);
  g_assert_cmpstr (info->id, ==, "bbbb");
  g_assert_cmpstr (info->deployment, ==, "hello");
  g_assert_null (info->service);
  g_assert_cmpint (info->state, ==, FLEET_CONTAINER_STATE_RUNNING);
  g_assert_cmpstr (((FleetContainerInfo *)infos->pdata[1])->name, ==, "");
  g_assert_null (((FleetContainerInfo *)infos->pdata[1])->deployment);
  g_assert_cmpint (((FleetContainerInfo *)infos->pdata[1])->state, ==,
                   FLEET_CONTAINER_STATE_UNKNOWN);

  g_assert_cmpint (_fleet_podman_parse_state ("running"), ==, FLEET_CONTAINER_STATE_RUNNING);
  g_assert_cmpint (_fleet_podman_parse_state ("paused"), ==, FLEET_CONTAINER_STATE_PAUSED);
  g_assert_cmpint (_fleet_podman_parse_state ("initialized"), ==, FLEET_CONTAINER_STATE_CREATED);
  g_assert_cmpint (_fleet_podman_parse_state ("created"), ==, FLEET_CONTAINER_STATE_CREATED);
  g_assert_cmpint (_fleet_podman_parse_state ("configured"), ==, FLEET_CONTAINER_STATE_CREATED);
  g_assert_cmpint (_fleet_podman_parse_state ("exited"), ==, FLEET_CONTAINER_STATE_EXITED);
  g_assert_cmpint (_fleet_podman_parse_state ("stopped"), ==, FLEET_CONTAINER_STATE_EXITED);
  g_assert_cmpint (_fleet_podman_parse_state ("dead"), ==, FLEET_CONTAINER_STATE_EXITED);
  g_assert_cmpint (_fleet_podman_parse_state ("removing"), ==, FLEET_CONTAINER_STATE_UNKNOWN);
  g_assert_cmpint (_fleet_podman_parse_state (NULL), ==, FLEET_CONTAINER_STATE_UNKNOWN);
}

/* A pull's JSON lines: the error line is the failure, on one line. */
static void
test_unit_pull_error (void)
{
  const char *ok = "{\"stream\":\"Trying to pull localhost/a:b...\\n\"}\n"
                   "{\"images\":[\"abc\"],\"id\":\"abc\"}\n";
  const char *failed = "{\"stream\":\"Trying to pull localhost/x:nope...\\n\"}\n"
                       "{\"error\":\"initializing source docker://localhost/x:nope:\\nrefused\"}\n";
  g_autoptr(GBytes) ok_bytes = g_bytes_new_static (ok, strlen (ok));
  g_autoptr(GBytes) failed_bytes = g_bytes_new_static (failed, strlen (failed));
  g_autoptr(GBytes) garbage = g_bytes_new_static ("not json\n", 9);
  g_autofree char *message = NULL;

  g_assert_null (_fleet_podman_pull_get_error (ok_bytes));
  g_assert_null (_fleet_podman_pull_get_error (garbage));
  message = _fleet_podman_pull_get_error (failed_bytes);
  g_assert_cmpstr (message, ==, "initializing source docker://localhost/x:nope: refused");
}

/* Died events: podman's verified shape, with the labels in Attributes. */
static void
test_unit_parse_event (void)
{
  const char *died
      = "{\"status\":\"died\",\"id\":\"abc\",\"Type\":\"container\",\"Action\":\"died\","
        "\"Actor\":{\"ID\":\"abc\",\"Attributes\":{\"containerExitCode\":\"137\","
        "\"fleet.deployment\":\"hello\",\"fleet.service\":\"web\",\"name\":\"hello_web\"}}}";
  const char *unlabelled = "{\"Type\":\"container\",\"Action\":\"died\","
                           "\"Actor\":{\"ID\":\"def\",\"Attributes\":{\"name\":\"t2\"}}}";
  const char *started = "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"abc\"}}";
  const char *image = "{\"Type\":\"image\",\"Action\":\"died\",\"Actor\":{\"ID\":\"abc\"}}";
  g_autofree char *id = NULL, *deployment = NULL, *service = NULL;
  char *unused_id = NULL, *unused_deployment = NULL, *unused_service = NULL;

  g_assert_true (_fleet_podman_events_parse_died (died, &id, &deployment, &service));
  g_assert_cmpstr (id, ==, "abc");
  g_assert_cmpstr (deployment, ==, "hello");
  g_assert_cmpstr (service, ==, "web");
  g_clear_pointer (&id, g_free);
  g_clear_pointer (&deployment, g_free);
  g_clear_pointer (&service, g_free);

  g_assert_true (_fleet_podman_events_parse_died (unlabelled, &id, &deployment, &service));
  g_assert_cmpstr (id, ==, "def");
  g_assert_null (deployment);
  g_assert_false (
      _fleet_podman_events_parse_died (started, &unused_id, &unused_deployment, &unused_service));
  g_assert_false (
      _fleet_podman_events_parse_died (image, &unused_id, &unused_deployment, &unused_service));
  g_assert_false (_fleet_podman_events_parse_died ("{\"Type\":", &unused_id, &unused_deployment,
                                                   &unused_service));
  g_assert_null (unused_id);
}

/* auth.json becomes X-Registry-Auth: base64url of a map of credentials. */
static void
test_unit_registry_auth (void)
{
  /* "fleet:s3cr/t?" and "robot:pw" */
  static const char good[]
      = "{\"auths\":{\"127.0.0.1:5000\":{\"auth\":\"ZmxlZXQ6czNjci90Pw==\"},"
        "\"quay.io/org\":{\"auth\":\"cm9ib3Q6cHc=\"}}}";
  static const struct
  {
    const char *json;
    const char *message;
  } bad[] = {
    { "[]", "not a JSON object" },
    { "{\"auths\":1}", "no \"auths\" object" },
    { "{\"auths\":{\"r\":{}}}", "auths.\"r\": expected an object with \"auth\"" },
    { "{\"auths\":{\"r\":{\"auth\":\"bm9jb2xvbg==\"}}}",
      "auths.\"r\".auth: expected base64 of USER:PASSWORD" },
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *header = _fleet_podman_registry_auth_header (good, strlen (good), &error);
  g_autofree guchar *decoded = NULL;
  g_autofree char *json = NULL;
  gsize len = 0;

  g_assert_no_error (error);
  g_assert_null (strpbrk (header, "+/"));
  g_strdelimit (header, "-", '+');
  g_strdelimit (header, "_", '/');
  decoded = g_base64_decode (header, &len);
  json = g_strndup ((const char *)decoded, len);
  g_assert_cmpstr (json, ==,
                   "{\"127.0.0.1:5000\":{\"username\":\"fleet\",\"password\":\"s3cr/t?\"},"
                   "\"quay.io/org\":{\"username\":\"robot\",\"password\":\"pw\"}}");
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) refused = NULL;

      g_assert_null (_fleet_podman_registry_auth_header (bad[i].json, strlen (bad[i].json),
                                                         &refused));
      g_assert_error (refused, FLEET_ERROR, FLEET_ERROR_PULL_FAILED);
      g_assert_cmpstr (refused->message, ==, bad[i].message);
    }
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);

  g_test_add_func ("/podman/json/create", test_unit_create_json);
  g_test_add_func ("/podman/json/answers", test_unit_parse_answers);
  g_test_add_func ("/podman/json/pull-error", test_unit_pull_error);
  g_test_add_func ("/podman/json/event", test_unit_parse_event);
  g_test_add_func ("/podman/json/registry-auth", test_unit_registry_auth);
  return g_test_run ();
}
