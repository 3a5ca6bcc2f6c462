/* test-podman.c: FleetPodmanRuntime against a real podman (a private
 * `podman system service` per run, see fleet-podman-harness.c), first on its
 * own, then under the real FleetReconciler for the contract's reconcile
 * scenarios.  What podman did is checked through podman itself (inspect, its
 * event log, marker files written by the containers), not through the
 * runtime under test.
 */
#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "fleet-podman-harness.h"
#include "fleet-podman-private.h"
#include "fleet-test-utils.h"
#include "fleet-util-private.h"

#define SERVICE_DOC                                                                                \
  "{\"generation\":%d,\"deployments\":{\"%s\":{\"type\":\"PodmanV0\",\"data\":{"                   \
  "\"services\":[%s],\"lifecycle\":{\"stop_signal\":\"%s\",\"grace_period_secs\":%d}}}}}"

typedef struct
{
  FleetPodmanHarness *h;
  FleetPodmanRuntime *runtime;
  FleetReconciler *reconciler;
  char *state_dir;
  char *data_dir;
} Fixture;

#define RT(f) FLEET_CONTAINER_RUNTIME ((f)->runtime)

static void
new_agent (Fixture *f)
{
  f->runtime = fleet_podman_runtime_new (fleet_podman_harness_get_socket (f->h));
  f->reconciler = fleet_reconciler_new (RT (f), f->state_dir);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  /* The directories exist even when the test is skipped: documents name them. */
  f->state_dir = fleet_test_make_tmpdir ();
  f->data_dir = fleet_test_make_tmpdir ();
  f->h = fleet_podman_harness_require ();
  if (f->h != NULL)
    new_agent (f);
}

static void
on_shut_down (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  fleet_reconciler_shutdown_finish (FLEET_RECONCILER (source), result, &error);
  g_assert_no_error (error);
  *(gboolean *)user_data = TRUE;
}

/* Let the agent finish what it is doing, as fleetd does on SIGTERM, so that
 * nothing of it runs on into the next test. */
static void
stop_agent (Fixture *f)
{
  gboolean done = FALSE;

  fleet_reconciler_shutdown_async (f->reconciler, NULL, on_shut_down, &done);
  fleet_test_wait (&done);
  g_clear_object (&f->reconciler);
  g_clear_object (&f->runtime);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->h != NULL)
    {
      stop_agent (f);
      fleet_podman_harness_reset (f->h);
    }
  fleet_test_rm_rf (f->state_dir);
  fleet_test_rm_rf (f->data_dir);
  g_free (f->state_dir);
  g_free (f->data_dir);
}

static FleetDocument *
service_doc (int generation, const char *deployment, const char *services, const char *signal,
             int grace)
{
  g_autofree char *json
      = g_strdup_printf (SERVICE_DOC, generation, deployment, services, signal, grace);

  return fleet_test_document (json);
}

/* hello/web from @image, with the fixture's data directory on /data. */
static FleetDocument *
web_doc (Fixture *f, int generation, const char *image, int grace)
{
  g_autofree char *service = g_strdup_printf (
      "{\"name\":\"web\",\"image\":\"localhost/fleet-test:%s\",\"volumes\":[\"%s:/data\"]}", image,
      f->data_dir);

  return service_doc (generation, "hello", service, "SIGTERM", grace);
}

static char *
read_marker (Fixture *f)
{
  g_autofree char *path = g_build_filename (f->data_dir, "marker", NULL);
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return g_strdup ("");
  return contents;
}

/* Running runtime calls to completion. */

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **)user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static char *
run_start (FleetContainerRuntime *rt, FleetServiceSpec *spec, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  fleet_container_runtime_start_service (rt, spec, NULL, on_done, &result);
  return fleet_container_runtime_start_service_finish (rt, wait_for (&result), error);
}

static gboolean
run_stop (FleetContainerRuntime *rt, const char *id, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  fleet_container_runtime_stop_service (rt, id, NULL, on_done, &result);
  return fleet_container_runtime_stop_service_finish (rt, wait_for (&result), error);
}

static FleetContainerInfo *
run_status (FleetContainerRuntime *rt, const char *id, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  fleet_container_runtime_container_status (rt, id, NULL, on_done, &result);
  return fleet_container_runtime_container_status_finish (rt, wait_for (&result), error);
}

static GPtrArray *
run_list (FleetContainerRuntime *rt, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  fleet_container_runtime_list_services (rt, NULL, on_done, &result);
  return fleet_container_runtime_list_services_finish (rt, wait_for (&result), error);
}

static char *
run_ensure (FleetContainerRuntime *rt, FleetServiceSpec *spec, const char *id,
            FleetLivenessAction *out_action, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  fleet_container_runtime_ensure_service_running (rt, spec, id, NULL, on_done, &result);
  return fleet_container_runtime_ensure_service_running_finish (rt, wait_for (&result), out_action,
                                                                error);
}

static gboolean
run_pull (FleetContainerRuntime *rt, const char *image, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  fleet_container_runtime_pull_image (rt, image, NULL, on_done, &result);
  return fleet_container_runtime_pull_image_finish (rt, wait_for (&result), error);
}

/* The container's state as podman reports it through the runtime. */
static FleetContainerState
state_of (Fixture *f, const char *id_or_name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetContainerInfo) info = run_status (RT (f), id_or_name, &error);

  if (g_error_matches (error, FLEET_ERROR, FLEET_ERROR_NOT_FOUND))
    return FLEET_CONTAINER_STATE_UNKNOWN;
  g_assert_no_error (error);
  return info->state;
}

static void
podman_cli (Fixture *f, char **out_stdout, const char *first_arg, ...)
{
  g_autoptr(GError) error = NULL;
  const char *args[16] = {
    0,
  };
  va_list ap;
  guint n = 0;

  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL && n < G_N_ELEMENTS (args) - 1;
       arg = va_arg (ap, const char *))
    args[n++] = arg;
  va_end (ap);
  fleet_podman_harness_podman (f->h, out_stdout, &error, args[0], args[1], args[2], args[3],
                               args[4], args[5], args[6], args[7], args[8], args[9], args[10],
                               args[11], args[12], args[13], args[14], NULL);
  g_assert_no_error (error);
}

/* Wait, running the main context, until the container reaches @state. */
static gboolean
wait_for_state (Fixture *f, const char *id, FleetContainerState state, guint timeout_secs)
{
  gint64 deadline = g_get_monotonic_time () + timeout_secs * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      if (state_of (f, id) == state)
        return TRUE;
      fleet_test_sleep_ms (100);
    }
  return FALSE;
}

static guint16
free_port (void)
{
  g_autoptr(GSocket) socket
      = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  g_socket_bind (socket, any, TRUE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static JsonObject *
member_object (JsonObject *object, const char *name)
{
  g_assert_true (json_object_has_member (object, name));
  return json_object_get_object_member (object, name);
}

static JsonObject *
find_mount (JsonArray *mounts, const char *destination)
{
  for (guint i = 0; i < json_array_get_length (mounts); i++)
    {
      JsonObject *mount = json_array_get_object_element (mounts, i);

      if (g_strcmp0 (json_object_get_string_member (mount, "Destination"), destination) == 0)
        return mount;
    }
  g_error ("no mount on %s", destination);
}

static gboolean
strv_contains_json (JsonArray *array, const char *value)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (g_strcmp0 (json_array_get_string_element (array, i), value) == 0)
      return TRUE;
  return FALSE;
}

/* Unit tests of the JSON either side of podman; no podman needed. */

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
  g_autoptr(JsonNode) node = _fleet_podman_spec_to_create_json (spec);
  g_autofree char *expected = g_strdup_printf (
      "{\"name\":\"hello_web\",\"image\":\"localhost/hello:v2\",\"entrypoint\":[\"/bin/"
      "httpd\",\"-f\"],"
      "\"env\":{\"GREETING\":\"a=b c\",\"MODE\":\"prod\"},"
      "\"labels\":{\"fleet.deployment\":\"hello\",\"fleet.service\":\"web\","
      "\"fleet.spec-digest\":\"%s\"},"
      "\"portmappings\":[{\"host_port\":8080,\"container_port\":80,\"protocol\":\"tcp\"},"
      "{\"host_ip\":\"127.0.0.1\",\"host_port\":9000,\"container_port\":9000,\"protocol\":\"udp\"}]"
      ","
      "\"mounts\":[{\"type\":\"bind\",\"source\":\"/srv/hello\",\"destination\":\"/data\","
      "\"options\":[\"ro\"]},"
      "{\"type\":\"bind\",\"source\":\"/srv/rw\",\"destination\":\"/rw\",\"options\":[\"rw\"]}],"
      "\"volumes\":[{\"Name\":\"hello-cache\",\"Dest\":\"/cache\",\"Options\":[]},"
      "{\"Name\":\"logs\",\"Dest\":\"/logs\",\"Options\":[\"ro\"]}],"
      "\"stop_signal\":2,\"stop_timeout\":7}",
      spec->digest);

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
               "\"fleet.spec-digest\":\"sha256:x\"},\"StopTimeout\":7}}");
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
  g_assert_cmpint (_fleet_podman_parse_state ("paused"), ==, FLEET_CONTAINER_STATE_RUNNING);
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

/* Direct runtime tests. */

static void
assert_unavailable (FleetContainerRuntime *rt, FleetServiceSpec *spec, const char *socket_path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = run_list (rt, &error);
  g_autofree char *id = NULL;

  g_assert_null (list);
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_RUNTIME_UNAVAILABLE);
  g_assert_true (g_str_has_prefix (error->message, "podman: listing containers: "));
  g_assert_nonnull (strstr (error->message, socket_path));
  g_clear_error (&error);

  id = run_start (rt, spec, &error);
  g_assert_null (id);
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_RUNTIME_UNAVAILABLE);
  g_assert_true (g_str_has_prefix (error->message, "podman: creating hello_web ("));
  g_clear_error (&error);

  g_assert_false (run_stop (rt, "hello_web", &error));
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_RUNTIME_UNAVAILABLE);
}

/* A missing socket and a dead one (nobody listening) are
 * FLEET_ERROR_RUNTIME_UNAVAILABLE, never a crash, and the reconciler
 * reports the deployment Failed.  Needs no podman. */
static void
test_socket_missing (void)
{
  g_autofree char *dir = fleet_test_make_tmpdir ();
  g_autofree char *missing = g_build_filename (dir, "missing.sock", NULL);
  g_autofree char *dead = g_build_filename (dir, "dead.sock", NULL);
  g_autoptr(FleetDocument) doc = service_doc (
      1, "hello", "{\"name\":\"web\",\"image\":\"localhost/fleet-test:v1\"}", "SIGTERM", 1);
  FleetServiceSpec *spec = fleet_document_lookup_service (doc, "hello", "web");
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(FleetPodmanRuntime) runtime = fleet_podman_runtime_new (missing);
    g_autoptr(FleetReconciler) reconciler
        = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (runtime), NULL);
    const FleetDeploymentRecord *record;

    assert_unavailable (FLEET_CONTAINER_RUNTIME (runtime), spec, missing);
    g_assert_false (fleet_test_apply (reconciler, doc, 0, NULL, &error));
    g_assert_error (error, FLEET_ERROR, FLEET_ERROR_RUNTIME_UNAVAILABLE);
    record = fleet_state_lookup_deployment (fleet_reconciler_get_state (reconciler), "hello");
    g_assert_cmpint (record->phase, ==, FLEET_PHASE_FAILED);
    g_assert_nonnull (strstr (record->last_error, missing));
  }
  {
    g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                                               G_SOCKET_PROTOCOL_DEFAULT, NULL);
    g_autoptr(GSocketAddress) address = g_unix_socket_address_new (dead);
    g_autoptr(FleetPodmanRuntime) runtime = NULL;

    /* Bound, never listening: connect() is refused, as with a dead podman. */
    g_assert_true (g_socket_bind (socket, address, FALSE, NULL));
    runtime = fleet_podman_runtime_new (dead);
    assert_unavailable (FLEET_CONTAINER_RUNTIME (runtime), spec, dead);
  }
  fleet_test_rm_rf (dir);
}

/* The create request carries everything of the spec: labels, env, command,
 * ports, bind mounts and named volumes, the stop signal and the grace. */
static void
test_create_json (Fixture *f, gconstpointer data)
{
  guint16 tcp_port = free_port ();
  guint16 udp_port = free_port ();
  g_autofree char *services = g_strdup_printf (
      "{\"name\":\"web\",\"image\":\"localhost/fleet-test:entrypoint\","
      "\"command\":[\"/bin/sh\",\"-c\",\"trap 'exit 0' INT; while :; do sleep 1 & wait; done\"],"
      "\"env\":{\"GREETING\":\"hi there\",\"MODE\":\"prod\"},"
      "\"ports\":[\"127.0.0.1:%u:8080\",\"127.0.0.1:%u:9000/udp\"],"
      "\"volumes\":[\"%s:/data:ro\",\"fleet-test-cache:/cache\"]}",
      tcp_port, udp_port, f->data_dir);
  g_autoptr(FleetDocument) doc = service_doc (1, "hello", services, "SIGINT", 3);
  FleetServiceSpec *spec = fleet_document_lookup_service (doc, "hello", "web");
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *tcp = g_strdup_printf ("%u", tcp_port);
  g_autoptr(JsonNode) node = NULL;
  JsonObject *config, *labels, *bindings, *binding;
  JsonArray *mounts;
  g_autoptr(FleetContainerInfo) info = NULL;

  if (f->h == NULL)
    return;
  id = run_start (RT (f), spec, &error);
  g_assert_no_error (error);
  g_assert_true (fleet_is_container_id (id));

  path = g_strdup_printf ("/containers/%s/json", id);
  node = fleet_podman_harness_get_json (f->h, path);
  config = member_object (json_node_get_object (node), "Config");
  labels = member_object (config, "Labels");
  g_assert_cmpstr (json_object_get_string_member (labels, FLEET_LABEL_DEPLOYMENT), ==, "hello");
  g_assert_cmpstr (json_object_get_string_member (labels, FLEET_LABEL_SERVICE), ==, "web");
  g_assert_cmpstr (json_object_get_string_member (labels, FLEET_LABEL_SPEC_DIGEST), ==,
                   spec->digest);
  g_assert_true (
      strv_contains_json (json_object_get_array_member (config, "Env"), "GREETING=hi there"));
  g_assert_true (strv_contains_json (json_object_get_array_member (config, "Env"), "MODE=prod"));
  /* the command is the full argv: the image's ENTRYPOINT is not run */
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "Path"), ==,
                   "/bin/sh");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (node),
                                                                         "Args")), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (
                     json_object_get_array_member (json_node_get_object (node), "Args"), 0), ==,
                   "-c");
  g_assert_cmpint (json_object_get_int_member (config, "StopSignal"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (config, "StopTimeout"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "Name"), ==,
                   "hello_web");

  bindings
      = member_object (member_object (json_node_get_object (node), "HostConfig"), "PortBindings");
  binding = json_array_get_object_element (json_object_get_array_member (bindings, "8080/tcp"), 0);
  g_assert_cmpstr (json_object_get_string_member (binding, "HostIp"), ==, "127.0.0.1");
  g_assert_cmpstr (json_object_get_string_member (binding, "HostPort"), ==, tcp);
  g_assert_true (json_object_has_member (bindings, "9000/udp"));

  mounts = json_object_get_array_member (json_node_get_object (node), "Mounts");
  g_assert_cmpstr (json_object_get_string_member (find_mount (mounts, "/data"), "Type"), ==,
                   "bind");
  g_assert_cmpstr (json_object_get_string_member (find_mount (mounts, "/data"), "Source"), ==,
                   f->data_dir);
  g_assert_false (json_object_get_boolean_member (find_mount (mounts, "/data"), "RW"));
  g_assert_cmpstr (json_object_get_string_member (find_mount (mounts, "/cache"), "Type"), ==,
                   "volume");
  g_assert_cmpstr (json_object_get_string_member (find_mount (mounts, "/cache"), "Name"), ==,
                   "fleet-test-cache");
  g_assert_true (json_object_get_boolean_member (find_mount (mounts, "/cache"), "RW"));

  /* and the runtime reads it back the same way */
  info = run_status (RT (f), id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->id, ==, id);
  g_assert_cmpstr (info->name, ==, "hello_web");
  g_assert_cmpstr (info->deployment, ==, "hello");
  g_assert_cmpstr (info->service, ==, "web");
  g_assert_cmpstr (info->spec_digest, ==, spec->digest);
  g_assert_cmpstr (info->image, ==, "localhost/fleet-test:entrypoint");
  g_assert_cmpint (info->state, ==, FLEET_CONTAINER_STATE_RUNNING);
}

/* Listing is one request and reports only labelled containers. */
static void
test_list (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = web_doc (f, 1, "v1", 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autoptr(GPtrArray) list = NULL;
  guint64 before;
  FleetContainerInfo *info;

  if (f->h == NULL)
    return;
  id = run_start (RT (f), fleet_document_lookup_service (doc, "hello", "web"), &error);
  g_assert_no_error (error);
  podman_cli (f, NULL, "create", "--name", "bystander", "localhost/fleet-test:v1", NULL);

  before = fleet_podman_runtime_get_request_count (f->runtime);
  list = run_list (RT (f), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fleet_podman_runtime_get_request_count (f->runtime) - before, ==, 1);
  g_assert_cmpuint (list->len, ==, 1);
  info = list->pdata[0];
  g_assert_cmpstr (info->id, ==, id);
  g_assert_cmpstr (info->name, ==, "hello_web");
  g_assert_cmpstr (info->deployment, ==, "hello");
  g_assert_cmpstr (info->service, ==, "web");
  g_assert_nonnull (info->spec_digest);
  g_assert_cmpstr (info->image, ==, "localhost/fleet-test:v1");
  g_assert_cmpint (info->state, ==, FLEET_CONTAINER_STATE_RUNNING);

  podman_cli (f, NULL, "kill", id, NULL);
  g_assert_true (wait_for_state (f, id, FLEET_CONTAINER_STATE_EXITED, 10));
  g_clear_pointer (&list, g_ptr_array_unref);
  list = run_list (RT (f), &error);
  g_assert_no_error (error);
  g_assert_cmpint (((FleetContainerInfo *)list->pdata[0])->state, ==, FLEET_CONTAINER_STATE_EXITED);
  g_assert_cmpint (((FleetContainerInfo *)list->pdata[0])->exit_code, ==, 137);
}

/* A container that does not exist: status is NOT_FOUND, stop succeeds. */
static void
test_not_found (Fixture *f, gconstpointer data)
{
  const char *missing = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetContainerInfo) info = NULL;

  if (f->h == NULL)
    return;
  info = run_status (RT (f), missing, &error);
  g_assert_null (info);
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_NOT_FOUND);
  g_assert_true (g_str_has_prefix (error->message, "podman: inspecting "));
  g_assert_nonnull (strstr (error->message, "no such container"));
  g_clear_error (&error);

  g_assert_true (run_stop (RT (f), missing, &error));
  g_assert_no_error (error);
}

/* Liveness: missing -> created, running -> nothing, stopped -> started
 * again by name, keeping its id. */
static void
test_ensure_running (Fixture *f, gconstpointer data)
{
  const char *missing = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  g_autoptr(FleetDocument) doc = web_doc (f, 1, "v1", 1);
  FleetServiceSpec *spec = fleet_document_lookup_service (doc, "hello", "web");
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *again = NULL;
  g_autofree char *restarted = NULL;
  FleetLivenessAction action = FLEET_LIVENESS_NONE;
  guint64 before;

  if (f->h == NULL)
    return;
  id = run_ensure (RT (f), spec, missing, &action, &error);
  g_assert_no_error (error);
  g_assert_cmpint (action, ==, FLEET_LIVENESS_CREATED);
  g_assert_true (fleet_is_container_id (id));
  g_assert_cmpint (state_of (f, id), ==, FLEET_CONTAINER_STATE_RUNNING);

  before = fleet_podman_runtime_get_request_count (f->runtime);
  again = run_ensure (RT (f), spec, id, &action, &error);
  g_assert_no_error (error);
  g_assert_cmpint (action, ==, FLEET_LIVENESS_NONE);
  g_assert_cmpstr (again, ==, id);
  g_assert_cmpuint (fleet_podman_runtime_get_request_count (f->runtime) - before, ==, 1);

  podman_cli (f, NULL, "stop", "--time", "0", id, NULL);
  g_assert_cmpint (state_of (f, id), ==, FLEET_CONTAINER_STATE_EXITED);
  restarted = run_ensure (RT (f), spec, id, &action, &error);
  g_assert_no_error (error);
  g_assert_cmpint (action, ==, FLEET_LIVENESS_STARTED);
  g_assert_cmpstr (restarted, ==, id);
  g_assert_cmpint (state_of (f, id), ==, FLEET_CONTAINER_STATE_RUNNING);
}

/* A leftover container holding the name (the agent has no record of it) is
 * stopped gracefully and removed, and the new one is created. */
static void
test_name_conflict (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = web_doc (f, 1, "v2", 5);
  g_autofree char *volume = g_strdup_printf ("%s:/data", f->data_dir);
  g_autofree char *leftover = NULL;
  g_autofree char *id = NULL;
  g_autofree char *marker = NULL;
  g_autoptr(GError) error = NULL;

  if (f->h == NULL)
    return;
  podman_cli (f, &leftover, "run", "-d", "--name", "hello_web", "--label", "fleet.deployment=hello",
              "-v", volume, "localhost/fleet-test:v1", NULL);
  g_strstrip (leftover);
  g_assert_true (fleet_is_container_id (leftover));

  id = run_start (RT (f), fleet_document_lookup_service (doc, "hello", "web"), &error);
  g_assert_no_error (error);
  g_assert_true (fleet_is_container_id (id));
  g_assert_cmpstr (id, !=, leftover);
  g_assert_cmpint (state_of (f, leftover), ==, FLEET_CONTAINER_STATE_UNKNOWN);
  g_assert_cmpint (state_of (f, id), ==, FLEET_CONTAINER_STATE_RUNNING);
  marker = read_marker (f);
  g_assert_cmpstr (marker, ==, "v1 TERM\n");
  g_assert_cmpint (fleet_podman_harness_exit_code (f->h, leftover), ==, 0);
}

/* A container without fleet's label holding the name is left alone: the
 * start fails, saying so. */
static void
test_name_held_by_stranger (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = web_doc (f, 1, "v2", 5);
  g_autofree char *stranger = NULL;
  g_autofree char *id = NULL;
  g_autoptr(GError) error = NULL;

  if (f->h == NULL)
    return;
  podman_cli (f, &stranger, "run", "-d", "--name", "hello_web", "localhost/fleet-test:v1", NULL);
  g_strstrip (stranger);
  g_assert_true (fleet_is_container_id (stranger));

  id = run_start (RT (f), fleet_document_lookup_service (doc, "hello", "web"), &error);
  g_assert_null (id);
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_START_FAILED);
  g_assert_nonnull (strstr (error->message, "fleet does not manage"));
  g_assert_null (strchr (error->message, '\n'));
  g_assert_cmpint (state_of (f, stranger), ==, FLEET_CONTAINER_STATE_RUNNING);
}

/* A container that cannot start is removed again; the error is
 * START_FAILED with podman's message. */
static void
test_start_failure (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = service_doc (
      1, "hello",
      "{\"name\":\"web\",\"image\":\"localhost/fleet-test:v1\",\"command\":[\"/nonexistent\"]}",
      "SIGTERM", 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autoptr(GPtrArray) list = NULL;

  if (f->h == NULL)
    return;
  id = run_start (RT (f), fleet_document_lookup_service (doc, "hello", "web"), &error);
  g_assert_null (id);
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_START_FAILED);
  g_test_message ("%s", error->message);
  g_assert_true (
      g_str_has_prefix (error->message, "podman: starting hello_web (localhost/fleet-test:v1): "));
  g_assert_nonnull (strstr (error->message, "/nonexistent"));
  g_assert_null (strchr (error->message, '\n'));
  g_clear_error (&error);

  list = run_list (RT (f), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 0);
  g_assert_cmpuint (fleet_podman_harness_count_events (f->h, "remove", "hello_web"), >=, 1);
}

/* Creating from an image that is not there: START_FAILED naming it. */
static void
test_missing_image (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = web_doc (f, 1, "missing", 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;

  if (f->h == NULL)
    return;
  id = run_start (RT (f), fleet_document_lookup_service (doc, "hello", "web"), &error);
  g_assert_null (id);
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_START_FAILED);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message,
                                   "podman: creating hello_web (localhost/fleet-test:missing): "));
  g_assert_nonnull (strstr (error->message, "image not known"));
}

/* A local image pulls without a registry; one that cannot be had fails
 * with podman's reason, on one line. */
static void
test_pull (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  if (f->h == NULL)
    return;
  g_assert_true (run_pull (RT (f), "localhost/fleet-test:v1", &error));
  g_assert_no_error (error);

  g_assert_false (run_pull (RT (f), "localhost/x:nope", &error));
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_PULL_FAILED);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "podman: pulling localhost/x:nope: "));
  g_assert_nonnull (strstr (error->message, "localhost/x:nope"));
  g_assert_null (strchr (error->message, '\n'));
}

/* The event stream. */

typedef struct
{
  GPtrArray *ids;
  GPtrArray *services;
} Deaths;

static void
on_died (FleetContainerRuntime *runtime, const char *id, const char *deployment,
         const char *service, gpointer user_data)
{
  Deaths *deaths = user_data;

  g_ptr_array_add (deaths->ids, g_strdup (id));
  g_ptr_array_add (deaths->services, g_strdup_printf ("%s/%s", deployment, service));
}

static guint
count_deaths (Deaths *deaths, const char *id)
{
  guint n = 0;

  for (guint i = 0; i < deaths->ids->len; i++)
    if (g_str_equal (deaths->ids->pdata[i], id))
      n++;
  return n;
}

static gboolean
wait_for_deaths (Deaths *deaths, const char *id, guint n, guint timeout_secs)
{
  gint64 deadline = g_get_monotonic_time () + timeout_secs * G_USEC_PER_SEC;

  while (count_deaths (deaths, id) < n && g_get_monotonic_time () < deadline)
    fleet_test_sleep_ms (50);
  return count_deaths (deaths, id) >= n;
}

/* The stream reconnects with backoff while the socket is missing, replays
 * what died meanwhile, then follows live; unlabelled containers are not
 * reported. */
static void
test_events_reconnect (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = web_doc (f, 1, "v1", 1);
  g_autofree char *link = NULL;
  g_autoptr(FleetPodmanRuntime) watcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *bystander = NULL;
  Deaths deaths
      = { g_ptr_array_new_with_free_func (g_free), g_ptr_array_new_with_free_func (g_free) };

  if (f->h == NULL)
    return;
  link = g_build_filename (f->data_dir, "link.sock", NULL);
  watcher = fleet_podman_runtime_new (link);
  g_signal_connect (watcher, "container-died", G_CALLBACK (on_died), &deaths);
  fleet_container_runtime_watch_events (FLEET_CONTAINER_RUNTIME (watcher));

  id = run_start (RT (f), fleet_document_lookup_service (doc, "hello", "web"), &error);
  g_assert_no_error (error);
  podman_cli (f, &bystander, "run", "-d", "localhost/fleet-test:v1", NULL);
  g_strstrip (bystander);
  /* at least one retry has failed too before the socket appears */
  for (guint i = 0; i < 100 && fleet_podman_runtime_get_request_count (watcher) < 2; i++)
    fleet_test_sleep_ms (50);
  g_assert_cmpuint (fleet_podman_runtime_get_request_count (watcher), >=, 2);

  /* dies while nobody listens */
  podman_cli (f, NULL, "kill", id, NULL);
  podman_cli (f, NULL, "kill", bystander, NULL);
  g_assert_no_errno (symlink (fleet_podman_harness_get_socket (f->h), link));
  g_assert_true (wait_for_deaths (&deaths, id, 1, 20));
  g_assert_cmpstr (deaths.services->pdata[0], ==, "hello/web");

  /* and live */
  podman_cli (f, NULL, "start", id, NULL);
  podman_cli (f, NULL, "kill", id, NULL);
  g_assert_true (wait_for_deaths (&deaths, id, 2, 20));
  g_assert_cmpuint (count_deaths (&deaths, bystander), ==, 0);

  g_clear_object (&watcher);
  g_ptr_array_unref (deaths.ids);
  g_ptr_array_unref (deaths.services);
}

/* Reconcile scenarios. */

/* A changed service: SIGTERM reaches the old container (it writes its
 * marker and exits 0, well before its grace), and the new id is recorded. */
static void
test_graceful_replace (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = web_doc (f, 1, "v1", 10);
  g_autoptr(FleetDocument) v2 = web_doc (f, 2, "v2", 10);
  g_autofree char *old_id = NULL;
  g_autofree char *marker = NULL;
  g_autoptr(FleetContainerInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  const char *new_id;
  gint64 start;

  if (f->h == NULL)
    return;
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  old_id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  g_assert_true (fleet_is_container_id (old_id));
  g_assert_cmpint (state_of (f, old_id), ==, FLEET_CONTAINER_STATE_RUNNING);

  start = g_get_monotonic_time ();
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v2), ==, FLEET_PHASE_RUNNING);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 8 * G_USEC_PER_SEC);

  new_id = fleet_test_recorded_id (f->reconciler, "hello", "web");
  g_assert_true (fleet_is_container_id (new_id));
  g_assert_cmpstr (new_id, !=, old_id);
  marker = read_marker (f);
  g_assert_cmpstr (marker, ==, "v1 TERM\n");
  g_assert_cmpint (fleet_podman_harness_exit_code (f->h, old_id), ==, 0);
  g_assert_cmpint (state_of (f, old_id), ==, FLEET_CONTAINER_STATE_UNKNOWN);

  info = run_status (RT (f), new_id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (info->state, ==, FLEET_CONTAINER_STATE_RUNNING);
  g_assert_cmpstr (info->image, ==, "localhost/fleet-test:v2");
  g_assert_cmpstr (info->spec_digest, ==,
                   fleet_document_lookup_service (v2, "hello", "web")->digest);
}

/* The old container is stopped by the id the agent recorded, not by its
 * name: renamed behind the agent's back, it is still the one replaced. */
static void
test_replace_by_recorded_id (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = web_doc (f, 1, "v1", 10);
  g_autoptr(FleetDocument) v2 = web_doc (f, 2, "v2", 10);
  g_autofree char *old_id = NULL;
  g_autofree char *marker = NULL;

  if (f->h == NULL)
    return;
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  old_id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  podman_cli (f, NULL, "rename", old_id, "hello_web_renamed", NULL);

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v2), ==, FLEET_PHASE_RUNNING);
  marker = read_marker (f);
  g_assert_cmpstr (marker, ==, "v1 TERM\n");
  g_assert_cmpint (state_of (f, old_id), ==, FLEET_CONTAINER_STATE_UNKNOWN);
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "hello", "web"), !=, old_id);
}

/* A container that ignores its stop signal is killed after its grace. */
static void
test_kill_after_grace (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = web_doc (f, 1, "ignore-term", 2);
  g_autoptr(FleetDocument) empty = fleet_test_document ("{\"generation\":2,\"deployments\":{}}");
  g_autofree char *id = NULL;
  gint64 start, elapsed;

  if (f->h == NULL)
    return;
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  /* let the shell set its trap before it is signalled */
  fleet_test_sleep_ms (300);

  start = g_get_monotonic_time ();
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, empty), ==, FLEET_PHASE_RUNNING);
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("stopping a TERM-ignoring container with grace 2 s took %.2f s", elapsed / 1e6);
  g_assert_cmpint (elapsed, >=, 1500 * 1000);
  g_assert_cmpint (elapsed, <, 20 * G_USEC_PER_SEC);
  g_assert_cmpint (fleet_podman_harness_exit_code (f->h, id), ==, 137);
  g_assert_cmpint (state_of (f, id), ==, FLEET_CONTAINER_STATE_UNKNOWN);
  g_assert_null (
      fleet_state_lookup_deployment (fleet_reconciler_get_state (f->reconciler), "hello"));
}

/* A service with env and volumes, ticked 20 times: the same container,
 * one request per tick, and podman created nothing. */
static void
test_idle_ticks (Fixture *f, gconstpointer data)
{
  g_autofree char *services
      = g_strdup_printf ("{\"name\":\"web\",\"image\":\"localhost/fleet-test:v1\","
                         "\"env\":{\"GREETING\":\"hi\",\"MODE\":\"prod\"},"
                         "\"volumes\":[\"%s:/data\",\"fleet-test-cache:/cache:ro\"]}",
                         f->data_dir);
  g_autoptr(FleetDocument) doc = service_doc (1, "hello", services, "SIGTERM", 1);
  g_autofree char *id = NULL;
  guint creates, starts;

  if (f->h == NULL)
    return;
  /* podman's event log spans the whole test program: count differences */
  creates = fleet_podman_harness_count_events (f->h, "create", NULL);
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, doc), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  g_assert_cmpuint (fleet_podman_harness_count_events (f->h, "create", NULL), ==, creates + 1);
  creates++;
  starts = fleet_podman_harness_count_events (f->h, "start", NULL);

  for (guint i = 0; i < 20; i++)
    {
      guint64 before = fleet_podman_runtime_get_request_count (f->runtime);
      FleetPhase phase = FLEET_PHASE_PENDING;
      g_autoptr(GError) error = NULL;

      g_assert_true (fleet_test_tick (f->reconciler, &phase, &error));
      g_assert_no_error (error);
      g_assert_cmpint (phase, ==, FLEET_PHASE_RUNNING);
      g_assert_cmpuint (fleet_podman_runtime_get_request_count (f->runtime) - before, ==, 1);
      g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "hello", "web"), ==, id);
    }
  /* the unchanged document again: no request at all */
  {
    guint64 before = fleet_podman_runtime_get_request_count (f->runtime);

    g_assert_cmpint (fleet_test_apply_ok (f->reconciler, doc), ==, FLEET_PHASE_RUNNING);
    g_assert_cmpuint (fleet_podman_runtime_get_request_count (f->runtime), ==, before);
  }
  g_assert_cmpuint (fleet_podman_harness_count_events (f->h, "create", NULL), ==, creates);
  g_assert_cmpuint (fleet_podman_harness_count_events (f->h, "start", NULL), ==, starts);
  g_assert_cmpint (state_of (f, id), ==, FLEET_CONTAINER_STATE_RUNNING);
}

static FleetDocument *
two_services_doc (Fixture *f)
{
  g_autofree char *services = g_strdup_printf (
      "{\"name\":\"web\",\"image\":\"localhost/fleet-test:v1\",\"env\":{\"A\":\"1\"},"
      "\"volumes\":[\"%s:/data\"]},"
      "{\"name\":\"worker\",\"image\":\"localhost/fleet-test:v2\",\"volumes\":[\"fleet-test-w:/"
      "w\"]}",
      f->data_dir);

  return service_doc (1, "hello", services, "SIGTERM", 1);
}

/* A new agent (new runtime, new reconciler) on the persisted state adopts
 * the running containers: nothing is created, started or stopped. */
static void
test_agent_restart (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = two_services_doc (f);
  g_autofree char *web = NULL;
  g_autofree char *worker = NULL;
  g_autoptr(GError) error = NULL;
  guint creates, stops;
  FleetPhase phase = FLEET_PHASE_PENDING;

  if (f->h == NULL)
    return;
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, doc), ==, FLEET_PHASE_RUNNING);
  web = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  worker = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "worker"));
  creates = fleet_podman_harness_count_events (f->h, "create", NULL);
  stops = fleet_podman_harness_count_events (f->h, "died", NULL);

  stop_agent (f);
  new_agent (f);
  g_assert_true (fleet_reconciler_load_state (f->reconciler, &error));
  g_assert_no_error (error);
  g_assert_true (fleet_test_tick (f->reconciler, &phase, &error));
  g_assert_no_error (error);
  g_assert_cmpint (phase, ==, FLEET_PHASE_RUNNING);
  /* fleetd then applies the document it fetches: unchanged, so free */
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, doc), ==, FLEET_PHASE_RUNNING);
  g_assert_cmpuint (fleet_podman_runtime_get_request_count (f->runtime), ==, 1);

  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "hello", "web"), ==, web);
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "hello", "worker"), ==, worker);
  g_assert_cmpuint (fleet_podman_harness_count_events (f->h, "create", NULL), ==, creates);
  g_assert_cmpuint (fleet_podman_harness_count_events (f->h, "died", NULL), ==, stops);
}

/* Even with the state files lost, a new agent adopts the labelled
 * containers created from the desired digest instead of recreating them. */
static void
test_lost_state_adopts (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = two_services_doc (f);
  g_autofree char *web = NULL;
  g_autofree char *state_file = NULL;
  g_autofree char *desired_file = NULL;
  g_autoptr(GError) error = NULL;
  guint creates;

  if (f->h == NULL)
    return;
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, doc), ==, FLEET_PHASE_RUNNING);
  web = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  creates = fleet_podman_harness_count_events (f->h, "create", NULL);

  stop_agent (f);
  state_file = g_build_filename (f->state_dir, FLEET_STATE_FILE_NAME, NULL);
  g_assert_no_errno (g_unlink (state_file));
  desired_file = g_build_filename (f->state_dir, FLEET_STATE_DESIRED_FILE_NAME, NULL);
  g_assert_no_errno (g_unlink (desired_file));
  new_agent (f);
  g_assert_true (fleet_reconciler_load_state (f->reconciler, &error));
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, doc), ==, FLEET_PHASE_RUNNING);
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "hello", "web"), ==, web);
  g_assert_cmpuint (fleet_podman_harness_count_events (f->h, "create", NULL), ==, creates);
}

/* A labelled container nobody recorded is stopped (gracefully) and
 * removed; an unlabelled one is never touched. */
static void
test_orphans (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = service_doc (
      1, "hello", "{\"name\":\"web\",\"image\":\"localhost/fleet-test:v2\"}", "SIGTERM", 1);
  g_autofree char *volume = g_strdup_printf ("%s:/data", f->data_dir);
  g_autofree char *orphan = NULL;
  g_autofree char *bystander = NULL;
  g_autofree char *marker = NULL;

  if (f->h == NULL)
    return;
  podman_cli (f, &orphan, "run", "-d", "--name", "old_web", "--label", "fleet.deployment=old",
              "--label", "fleet.service=web", "-v", volume, "localhost/fleet-test:v1", NULL);
  podman_cli (f, &bystander, "run", "-d", "--name", "bystander", "-v", volume,
              "localhost/fleet-test:v1", NULL);
  g_strstrip (orphan);
  g_strstrip (bystander);
  fleet_test_sleep_ms (300);

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, doc), ==, FLEET_PHASE_RUNNING);
  g_assert_cmpint (state_of (f, orphan), ==, FLEET_CONTAINER_STATE_UNKNOWN);
  g_assert_cmpint (fleet_podman_harness_exit_code (f->h, orphan), ==, 0);
  marker = read_marker (f);
  g_assert_cmpstr (marker, ==, "v1 TERM\n");
  g_assert_cmpint (state_of (f, bystander), ==, FLEET_CONTAINER_STATE_RUNNING);
  g_assert_cmpint (state_of (f, "hello_web"), ==, FLEET_CONTAINER_STATE_RUNNING);
}

/* The new image cannot be pulled: the deployment is Failed with podman's
 * reason, and the old container keeps running under its recorded id. */
static void
test_pull_failure (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = web_doc (f, 1, "v1", 1);
  g_autofree char *services = g_strdup_printf (
      "{\"name\":\"web\",\"image\":\"localhost/x:nope\",\"volumes\":[\"%s:/data\"]}", f->data_dir);
  g_autoptr(FleetDocument) v2 = service_doc (2, "hello", services, "SIGTERM", 1);
  g_autofree char *id = NULL;
  g_autofree char *marker = NULL;
  const FleetDeploymentRecord *record;

  if (f->h == NULL)
    return;
  /* no retry while we look */
  fleet_reconciler_set_retry_backoff (f->reconciler, 600 * 1000, 600 * 1000);
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v2), ==, FLEET_PHASE_FAILED);
  record = fleet_state_lookup_deployment (fleet_reconciler_get_state (f->reconciler), "hello");
  g_assert_cmpint (record->phase, ==, FLEET_PHASE_FAILED);
  g_test_message ("last_error: %s", record->last_error);
  g_assert_true (g_str_has_prefix (record->last_error, "pulling localhost/x:nope: podman: "));
  g_assert_nonnull (strstr (record->last_error, "initializing source"));
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "hello", "web"), ==, id);
  g_assert_cmpint (state_of (f, id), ==, FLEET_CONTAINER_STATE_RUNNING);
  marker = read_marker (f);
  g_assert_cmpstr (marker, ==, "");
}

/* Killed behind the agent's back: the tick starts it again by name (same
 * id); removed behind its back: the tick creates a new one. */
static void
test_restart_on_tick (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = web_doc (f, 1, "v1", 1);
  g_autofree char *id = NULL;
  const char *new_id;
  FleetPhase phase = FLEET_PHASE_PENDING;
  g_autoptr(GError) error = NULL;
  guint creates;

  if (f->h == NULL)
    return;
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  creates = fleet_podman_harness_count_events (f->h, "create", NULL);

  podman_cli (f, NULL, "kill", id, NULL);
  g_assert_true (wait_for_state (f, id, FLEET_CONTAINER_STATE_EXITED, 10));
  g_assert_true (fleet_test_tick (f->reconciler, &phase, &error));
  g_assert_no_error (error);
  /* it was found dead: not Running until a look finds it up again */
  g_assert_cmpint (phase, ==, FLEET_PHASE_FAILED);
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "hello", "web"), ==, id);
  g_assert_cmpint (state_of (f, id), ==, FLEET_CONTAINER_STATE_RUNNING);
  g_assert_cmpuint (fleet_podman_harness_count_events (f->h, "create", NULL), ==, creates);
  g_assert_true (fleet_test_tick (f->reconciler, &phase, &error));
  g_assert_cmpint (phase, ==, FLEET_PHASE_RUNNING);

  podman_cli (f, NULL, "rm", "--force", "--time", "0", id, NULL);
  /* the crash-loop backoff allows the next restart after about a second */
  fleet_test_sleep_ms (1200);
  g_assert_true (fleet_test_tick (f->reconciler, &phase, &error));
  g_assert_no_error (error);
  new_id = fleet_test_recorded_id (f->reconciler, "hello", "web");
  g_assert_true (fleet_is_container_id (new_id));
  g_assert_cmpstr (new_id, !=, id);
  g_assert_cmpint (state_of (f, new_id), ==, FLEET_CONTAINER_STATE_RUNNING);
}

/* Killed behind the agent's back while it watches podman's events: started
 * again without a tick. */
static void
test_restart_on_event (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = web_doc (f, 1, "v1", 1);
  g_autofree char *id = NULL;
  guint creates;

  if (f->h == NULL)
    return;
  fleet_reconciler_watch_runtime_events (f->reconciler);
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  creates = fleet_podman_harness_count_events (f->h, "create", NULL);

  podman_cli (f, NULL, "kill", id, NULL);
  g_assert_true (wait_for_state (f, id, FLEET_CONTAINER_STATE_EXITED, 10));
  g_assert_true (wait_for_state (f, id, FLEET_CONTAINER_STATE_RUNNING, 20));
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "hello", "web"), ==, id);
  g_assert_cmpuint (fleet_podman_harness_count_events (f->h, "create", NULL), ==, creates);
}

int
main (int argc, char **argv)
{
  int ret;

  fleet_test_init (&argc, &argv);

  g_test_add_func ("/podman/unit/create-json", test_unit_create_json);
  g_test_add_func ("/podman/unit/parse-answers", test_unit_parse_answers);
  g_test_add_func ("/podman/unit/pull-error", test_unit_pull_error);
  g_test_add_func ("/podman/unit/parse-event", test_unit_parse_event);
  g_test_add_func ("/podman/runtime/socket-missing", test_socket_missing);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/podman/runtime/create-json", test_create_json);
  ADD ("/podman/runtime/list", test_list);
  ADD ("/podman/runtime/not-found", test_not_found);
  ADD ("/podman/runtime/ensure-running", test_ensure_running);
  ADD ("/podman/runtime/name-conflict", test_name_conflict);
  ADD ("/podman/runtime/name-held-by-stranger", test_name_held_by_stranger);
  ADD ("/podman/runtime/start-failure", test_start_failure);
  ADD ("/podman/runtime/missing-image", test_missing_image);
  ADD ("/podman/runtime/pull", test_pull);
  ADD ("/podman/runtime/events-reconnect", test_events_reconnect);
  ADD ("/podman/reconcile/graceful-replace", test_graceful_replace);
  ADD ("/podman/reconcile/replace-by-recorded-id", test_replace_by_recorded_id);
  ADD ("/podman/reconcile/kill-after-grace", test_kill_after_grace);
  ADD ("/podman/reconcile/idle-ticks", test_idle_ticks);
  ADD ("/podman/reconcile/agent-restart", test_agent_restart);
  ADD ("/podman/reconcile/lost-state-adopts", test_lost_state_adopts);
  ADD ("/podman/reconcile/orphans", test_orphans);
  ADD ("/podman/reconcile/pull-failure", test_pull_failure);
  ADD ("/podman/reconcile/restart-on-tick", test_restart_on_tick);
  ADD ("/podman/reconcile/restart-on-event", test_restart_on_event);
#undef ADD

  ret = g_test_run ();
  fleet_podman_harness_shutdown ();
  return ret;
}
