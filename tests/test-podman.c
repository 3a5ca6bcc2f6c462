/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-podman.c: FleetPodmanRuntime against a real podman (a private
 * `podman system service` per run, see fleet-podman-harness.c): what only
 * podman has (its socket, the create request's effect, its event stream), and
 * the service operations composed from the runtime's primitives (naming,
 * leftovers, liveness by id).  The primitives themselves are held to the
 * fake's behaviour by test-runtime-conformance.c; the reconciler on podman
 * is test-podman-reconcile.c, the JSON either side of podman
 * test-podman-json.c.  What podman did is checked through podman
 * itself where it matters (inspect, its event log, marker files written by
 * the containers).
 */
#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <unistd.h>

#include "fleet-podman-harness.h"
#include "fleet-podman-private.h"
#include "fleet-test-runtime.h"
#include "fleet-test-utils.h"
#include "fleet-util-private.h"

#define SERVICE_DOC                                                                                \
  "{\"generation\":%d,\"deployments\":{\"%s\":{\"type\":\"PodmanV0\",\"data\":{"                   \
  "\"services\":[%s],\"lifecycle\":{\"stop_signal\":\"%s\",\"grace_period_secs\":%d}}}}}"

#define NO_SUCH_ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

typedef struct
{
  FleetPodmanHarness *h;
  FleetPodmanRuntime *runtime;
  char *data_dir;
} Fixture;

#define RT(f) FLEET_CONTAINER_RUNTIME ((f)->runtime)

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  /* The directory exists even when the test is skipped: documents name it. */
  f->data_dir = fleet_test_make_tmpdir ();
  f->h = fleet_podman_harness_require ();
  if (f->h != NULL)
    f->runtime = fleet_podman_runtime_new (fleet_podman_harness_get_socket (f->h));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->runtime);
  if (f->h != NULL)
    fleet_podman_harness_reset (f->h);
  fleet_test_rm_rf (f->data_dir);
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

static FleetContainerState
state_of (Fixture *f, const char *id_or_name)
{
  return fleet_test_runtime_state (RT (f), id_or_name);
}

/* The podman CLI, behind the runtime's back; its output stripped. */
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
  if (out_stdout != NULL)
    g_strstrip (*out_stdout);
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

/* The runtime on podman. */

static void
assert_unavailable (FleetContainerRuntime *rt, FleetServiceSpec *spec, const char *socket_path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = fleet_test_runtime_list (rt, FLEET_LABEL_DEPLOYMENT, &error);
  g_autofree char *id = NULL;

  g_assert_null (list);
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_RUNTIME_UNAVAILABLE);
  g_assert_true (g_str_has_prefix (error->message, "podman: listing containers: "));
  g_assert_nonnull (strstr (error->message, socket_path));
  g_clear_error (&error);

  id = fleet_test_service_start (rt, spec, &error);
  g_assert_null (id);
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_RUNTIME_UNAVAILABLE);
  /* its deployment's network first */
  g_assert_true (g_str_has_prefix (error->message, "creating hello_web ("));
  g_assert_nonnull (strstr (error->message, "podman: creating network fleet-hello: "));
  g_clear_error (&error);

  g_assert_false (fleet_test_runtime_stop (rt, "hello_web", 0, -1, &error));
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

/* What podman made of the ports and volumes of test_create_json(). */
static void
assert_ports_and_mounts (Fixture *f, JsonObject *inspect, guint16 tcp_port)
{
  g_autofree char *tcp = g_strdup_printf ("%u", tcp_port);
  JsonObject *bindings = member_object (member_object (inspect, "HostConfig"), "PortBindings");
  JsonObject *binding
      = json_array_get_object_element (json_object_get_array_member (bindings, "8080/tcp"), 0);
  JsonArray *mounts = json_object_get_array_member (inspect, "Mounts");

  g_assert_cmpstr (json_object_get_string_member (binding, "HostIp"), ==, "127.0.0.1");
  g_assert_cmpstr (json_object_get_string_member (binding, "HostPort"), ==, tcp);
  g_assert_true (json_object_has_member (bindings, "9000/udp"));
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
}

/* A service's container is called <deployment>_<service> and carries the
 * fleet labels; the create request carries everything of the spec: env,
 * command, ports, bind mounts and named volumes, the stop signal and the
 * grace. */
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
  g_autoptr(JsonNode) node = NULL;
  JsonObject *config, *labels;
  g_autoptr(FleetContainerInfo) info = NULL;

  if (f->h == NULL)
    return;
  id = fleet_test_service_start (RT (f), spec, &error);
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

  assert_ports_and_mounts (f, json_node_get_object (node), tcp_port);

  /* and the runtime reads it back the same way */
  info = fleet_test_runtime_inspect (RT (f), id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->id, ==, id);
  g_assert_cmpstr (info->name, ==, "hello_web");
  g_assert_cmpstr (info->deployment, ==, "hello");
  g_assert_cmpstr (info->service, ==, "web");
  g_assert_cmpstr (info->spec_digest, ==, spec->digest);
  g_assert_cmpstr (info->image, ==, "localhost/fleet-test:entrypoint");
  g_assert_cmpint (info->state, ==, FLEET_CONTAINER_STATE_RUNNING);
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

  id = fleet_test_service_start (RT (f), fleet_document_lookup_service (doc, "hello", "web"), &error);
  g_assert_no_error (error);
  podman_cli (f, &bystander, "run", "-d", "localhost/fleet-test:v1", NULL);
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

/* The service operations on podman. */

static FleetServiceSpec *
web_spec (FleetDocument *doc)
{
  return fleet_document_lookup_service (doc, "hello", "web");
}

/* A leftover of fleet's holding the name (the agent has no record of it) is
 * stopped gracefully and removed, and the new one is created. */
static void
test_service_leftover_removed (Fixture *f, gconstpointer data)
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
  fleet_podman_harness_wait_for_signal_handlers (f->h, leftover);

  id = fleet_test_service_start (RT (f), web_spec (doc), &error);
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
test_service_name_held_by_stranger (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = web_doc (f, 1, "v2", 5);
  g_autofree char *stranger = NULL;
  g_autofree char *id = NULL;
  g_autoptr(GError) error = NULL;

  if (f->h == NULL)
    return;
  podman_cli (f, &stranger, "run", "-d", "--name", "hello_web", "localhost/fleet-test:v1", NULL);

  id = fleet_test_service_start (RT (f), web_spec (doc), &error);
  g_assert_null (id);
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_START_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "fleet does not manage"));
  g_assert_null (strchr (error->message, '\n'));
  g_assert_cmpint (state_of (f, stranger), ==, FLEET_CONTAINER_STATE_RUNNING);
}

/* A container that cannot start is removed again; the error is
 * START_FAILED with podman's message. */
static void
test_service_start_failure (Fixture *f, gconstpointer data)
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
  id = fleet_test_service_start (RT (f), web_spec (doc), &error);
  g_assert_null (id);
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_START_FAILED);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "podman: starting "));
  g_assert_nonnull (strstr (error->message, "/nonexistent"));
  g_assert_null (strchr (error->message, '\n'));
  g_clear_error (&error);

  list = fleet_test_runtime_list (RT (f), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 0);
  g_assert_cmpuint (fleet_podman_harness_count_events (f->h, "remove", "hello_web"), >=, 1);
}

/* Stopped with its own signal (its marker says TERM), then removed; a
 * container that does not exist counts as stopped. */
static void
test_service_stop (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = web_doc (f, 1, "v1", 10);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *marker = NULL;

  if (f->h == NULL)
    return;
  id = fleet_test_service_start (RT (f), web_spec (doc), &error);
  g_assert_no_error (error);
  fleet_podman_harness_wait_for_signal_handlers (f->h, id);
  g_assert_true (fleet_test_service_stop (RT (f), id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (state_of (f, id), ==, FLEET_CONTAINER_STATE_UNKNOWN);
  marker = read_marker (f);
  g_assert_cmpstr (marker, ==, "v1 TERM\n");
  g_assert_true (fleet_test_service_stop (RT (f), NO_SUCH_ID, &error));
  g_assert_no_error (error);
}

static char *
ensure (Fixture *f, FleetServiceSpec *spec, const char *id, FleetLivenessAction expected)
{
  g_autoptr(GError) error = NULL;
  FleetLivenessAction action = FLEET_LIVENESS_NONE;
  char *now = fleet_test_service_ensure_running (RT (f), spec, id, &action, &error);

  g_assert_no_error (error);
  g_assert_cmpint (action, ==, expected);
  g_assert_true (fleet_is_container_id (now));
  g_assert_cmpint (state_of (f, now), ==, FLEET_CONTAINER_STATE_RUNNING);
  return now;
}

/* Liveness: missing -> created, running -> nothing (one request), stopped
 * -> started again, by id, keeping its id; paused -> let run again. */
static void
test_service_liveness (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = web_doc (f, 1, "v1", 1);
  g_autofree char *id = NULL;
  g_autofree char *again = NULL;
  g_autofree char *restarted = NULL;
  g_autofree char *unpaused = NULL;
  guint64 before;

  if (f->h == NULL)
    return;
  id = ensure (f, web_spec (doc), NO_SUCH_ID, FLEET_LIVENESS_CREATED);
  before = fleet_podman_runtime_get_request_count (f->runtime);
  again = ensure (f, web_spec (doc), id, FLEET_LIVENESS_NONE);
  g_assert_cmpstr (again, ==, id);
  g_assert_cmpuint (fleet_podman_runtime_get_request_count (f->runtime) - before, ==, 2);

  podman_cli (f, NULL, "stop", "--time", "0", id, NULL);
  restarted = ensure (f, web_spec (doc), id, FLEET_LIVENESS_STARTED);
  g_assert_cmpstr (restarted, ==, id);

  podman_cli (f, NULL, "pause", id, NULL);
  g_assert_cmpint (state_of (f, id), ==, FLEET_CONTAINER_STATE_PAUSED);
  unpaused = ensure (f, web_spec (doc), id, FLEET_LIVENESS_UNPAUSED);
  g_assert_cmpstr (unpaused, ==, id);
}

/* Issue 9, defect 5: the recorded container was renamed and stopped, and a
 * container fleet does not manage took the name: the recorded one is
 * started, by id; the other is not touched. */
static void
test_service_liveness_by_id (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = web_doc (f, 1, "v1", 1);
  g_autofree char *id = NULL;
  g_autofree char *stranger = NULL;
  g_autofree char *now = NULL;

  if (f->h == NULL)
    return;
  id = ensure (f, web_spec (doc), NO_SUCH_ID, FLEET_LIVENESS_CREATED);
  podman_cli (f, NULL, "stop", "--time", "0", id, NULL);
  podman_cli (f, NULL, "rename", id, "hello_web_renamed", NULL);
  podman_cli (f, &stranger, "create", "--name", "hello_web", "localhost/fleet-test:v2", NULL);

  now = ensure (f, web_spec (doc), id, FLEET_LIVENESS_STARTED);
  g_assert_cmpstr (now, ==, id);
  g_assert_cmpint (state_of (f, stranger), ==, FLEET_CONTAINER_STATE_CREATED);
}

/* Issue 9, defect 3: a container left "created" where every start fails
 * (as a podman that died while starting it leaves it) is removed and
 * created anew. */
static void
test_service_liveness_stuck (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = web_doc (f, 1, "v1", 1);
  g_autofree char *stuck = NULL;
  g_autofree char *now = NULL;

  if (f->h == NULL)
    return;
  podman_cli (f, &stuck, "create", "--name", "hello_web", "--label", "fleet.deployment=hello",
              "--entrypoint", "/nonexistent", "localhost/fleet-test:v1", NULL);

  now = ensure (f, web_spec (doc), stuck, FLEET_LIVENESS_RECREATED);
  g_assert_cmpstr (now, !=, stuck);
  g_assert_cmpint (state_of (f, stuck), ==, FLEET_CONTAINER_STATE_UNKNOWN);
}

/* Missing, and a container fleet does not manage holds the name: refused,
 * saying why, and the holder is not touched. */
static void
test_service_liveness_name_held (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = web_doc (f, 1, "v1", 1);
  g_autofree char *stranger = NULL;
  g_autofree char *now = NULL;
  g_autoptr(GError) error = NULL;

  if (f->h == NULL)
    return;
  podman_cli (f, &stranger, "create", "--name", "hello_web", "localhost/fleet-test:v2", NULL);
  now = fleet_test_service_ensure_running (RT (f), web_spec (doc), NO_SUCH_ID, NULL, &error);
  g_assert_null (now);
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_START_FAILED);
  g_assert_nonnull (strstr (error->message, "fleet does not manage"));
  g_assert_cmpint (state_of (f, stranger), ==, FLEET_CONTAINER_STATE_CREATED);
}

int
main (int argc, char **argv)
{
  int ret;

  fleet_test_init (&argc, &argv);

  g_test_add_func ("/podman/runtime/socket-missing", test_socket_missing);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/podman/runtime/create-json", test_create_json);
  ADD ("/podman/runtime/events-reconnect", test_events_reconnect);
  ADD ("/podman/service/leftover-removed", test_service_leftover_removed);
  ADD ("/podman/service/name-held-by-stranger", test_service_name_held_by_stranger);
  ADD ("/podman/service/start-failure", test_service_start_failure);
  ADD ("/podman/service/stop", test_service_stop);
  ADD ("/podman/service/liveness", test_service_liveness);
  ADD ("/podman/service/liveness-by-id", test_service_liveness_by_id);
  ADD ("/podman/service/liveness-stuck", test_service_liveness_stuck);
  ADD ("/podman/service/liveness-name-held", test_service_liveness_name_held);
#undef ADD

  ret = g_test_run ();
  fleet_podman_harness_shutdown ();
  return ret;
}
