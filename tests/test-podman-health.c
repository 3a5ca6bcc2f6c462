/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-podman-health.c: health checks and start-first replacements with
 * the real reconciler on a real podman (a private `podman system service`,
 * see fleet-podman-harness.c).  Health is switched from outside: the exec
 * checks test for a file in a volume the test writes and removes; the HTTP
 * and TCP probes reach busybox's httpd serving that volume.  What podman
 * did is read from podman itself (its inspect answers and event log).
 */
#include "config.h"

#include <glib/gstdio.h>

#include "fleet-podman-harness.h"
#include "fleet-test-utils.h"

#define DOC(services)                                                                      \
  "{\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[" services  \
  "],\"lifecycle\":{\"grace_period_secs\":5}}}}}"

typedef struct
{
  FleetPodmanHarness *h;
  FleetPodmanRuntime *runtime;
  FleetReconciler *reconciler;
  char *state_dir;
  char *data_dir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->state_dir = fleet_test_make_tmpdir ();
  f->data_dir = fleet_test_make_tmpdir ();
  f->h = fleet_podman_harness_require ();
  if (f->h == NULL)
    return;
  f->runtime = fleet_podman_runtime_new (fleet_podman_harness_get_socket (f->h));
  f->reconciler = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
  fleet_reconciler_watch_runtime_events (f->reconciler);
  fleet_reconciler_set_retry_backoff (f->reconciler, 500, 1000);
}

static void
on_shut_down (GObject *source, GAsyncResult *result, gpointer user_data)
{
  fleet_reconciler_shutdown_finish (FLEET_RECONCILER (source), result, NULL);
  *(gboolean *) user_data = TRUE;
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->h != NULL)
    {
      gboolean done = FALSE;

      fleet_reconciler_shutdown_async (f->reconciler, NULL, on_shut_down, &done);
      fleet_test_wait (&done);
      g_clear_object (&f->reconciler);
      g_clear_object (&f->runtime);
      fleet_podman_harness_reset (f->h);
    }
  fleet_test_rm_rf (f->state_dir);
  fleet_test_rm_rf (f->data_dir);
  g_free (f->state_dir);
  g_free (f->data_dir);
}

static void
touch (Fixture *f, const char *name, gboolean present)
{
  g_autofree char *path = g_build_filename (f->data_dir, name, NULL);

  if (present)
    g_assert_true (g_file_set_contents (path, "ok\n", -1, NULL));
  else
    g_unlink (path);
}

/* hello/web from fleet-test:@tag with @extra members, the data directory on /data. */
static FleetDocument *
web_doc (Fixture *f, const char *tag, const char *extra)
{
  g_autofree char *json = g_strdup_printf (
    DOC ("{\"name\":\"web\",\"image\":\"localhost/fleet-test:%s\",\"volumes\":[\"%s:/data\"]%s}"),
    tag, f->data_dir, extra);

  return fleet_test_document (json);
}

/* An exec check that passes while /data/@file exists. */
static char *
file_check (const char *file, const char *more)
{
  return g_strdup_printf (",\"healthcheck\":{\"test\":[\"CMD-SHELL\",\"test -e /data/%s\"],"
                          "\"interval\":\"1s\",\"retries\":2,\"timeout\":\"5s\"%s}",
                          file, more);
}

static FleetPhase
phase_of (Fixture *f)
{
  const FleetDeploymentRecord *record =
    fleet_state_lookup_deployment (fleet_reconciler_get_state (f->reconciler), "hello");

  return record ? record->phase : FLEET_PHASE_PENDING;
}

static const FleetServiceRecord *
web_record (Fixture *f)
{
  return fleet_state_lookup_service (fleet_reconciler_get_state (f->reconciler), "hello", "web");
}

static gboolean
on_deadline (gpointer user_data)
{
  g_error ("%s did not happen within 90 s", (const char *) user_data);
  return G_SOURCE_REMOVE;
}

static void
wait_for_phase (Fixture *f, FleetPhase phase, const char *what)
{
  guint deadline = g_timeout_add_seconds (90, on_deadline, (gpointer) what);

  while (phase_of (f) != phase)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (deadline);
}

static void
apply (Fixture *f, FleetDocument *doc)
{
  fleet_reconciler_apply_async (f->reconciler, doc, FLEET_APPLY_FLAGS_NONE, NULL, NULL, NULL);
}

/* When podman logged @event for @id (its first such event), in ns; 0 if never. */
static gint64
event_time (Fixture *f, const char *event, const char *id)
{
  g_autoptr(GPtrArray) events = fleet_podman_harness_events (f->h, event);

  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *object = json_node_get_object (events->pdata[i]);
      JsonObject *actor = json_object_get_object_member (object, "Actor");

      if (g_strcmp0 (json_object_get_string_member (actor, "ID"), id) == 0)
        return json_object_get_int_member (object, "timeNano");
    }
  return 0;
}

static const char *
container_state (Fixture *f, const char *id)
{
  g_autofree char *path = g_strdup_printf ("/containers/%s/json", id);
  g_autoptr(JsonNode) node = fleet_podman_harness_get_json (f->h, path);
  JsonObject *state = json_object_get_object_member (json_node_get_object (node), "State");
  static char status[32];

  g_strlcpy (status, json_object_get_string_member (state, "Status"), sizeof status);
  return status;
}

static gboolean
container_exists (Fixture *f, const char *name)
{
  g_autofree char *path = g_strdup_printf ("/containers/%s/exists", name);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = fleet_podman_harness_request (f->h, "GET", path, NULL, &error);

  return body != NULL && error == NULL && g_bytes_get_size (body) == 0;
}

static void
test_unhealthy_restarted (Fixture *f, gconstpointer data)
{
  g_autofree char *check = file_check ("ok", "");
  g_autoptr(FleetDocument) doc = NULL;
  g_autofree char *id = NULL;
  guint deadline;

  if (f->h == NULL)
    return;
  doc = web_doc (f, "v1", check);
  touch (f, "ok", TRUE);
  apply (f, doc);
  wait_for_phase (f, FLEET_PHASE_RUNNING, "Running (healthy)");
  id = g_strdup (web_record (f)->container_id);
  g_assert_cmpstr (fleet_reconciler_get_service_health (f->reconciler, "hello", "web", NULL), ==,
                   "healthy");

  touch (f, "ok", FALSE);
  wait_for_phase (f, FLEET_PHASE_FAILED, "Failed (unhealthy)");
  g_assert_true (g_str_has_prefix (
    fleet_state_lookup_deployment (fleet_reconciler_get_state (f->reconciler), "hello")->last_error,
    "web: unhealthy:"));
  /* podman saw it die and start again: the same container */
  deadline = g_timeout_add_seconds (90, on_deadline, "the restart");
  while (fleet_podman_harness_count_events (f->h, "start", "hello_web") < 2)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (deadline);
  g_assert_cmpint (event_time (f, "died", id), >, 0);
  g_assert_cmpstr (web_record (f)->container_id, ==, id);
  touch (f, "ok", TRUE);
  wait_for_phase (f, FLEET_PHASE_RUNNING, "Running again");
  g_assert_cmpstr (container_state (f, id), ==, "running");
}

/* The old container stops only once the new one is healthy, which it
 * cannot be before the test writes its file. */
static void
test_start_first_healthy (Fixture *f, gconstpointer data)
{
  g_autofree char *check1 = file_check ("ok-v1", ",\"start_period\":\"1m\"");
  g_autofree char *check2 = g_strdup_printf ("%s,\"update_config\":{\"order\":\"start-first\"}",
                                             file_check ("ok-v2", ",\"start_period\":\"1m\""));
  g_autoptr(FleetDocument) v1 = NULL;
  g_autoptr(FleetDocument) v2 = NULL;
  g_autofree char *old_id = NULL;
  g_autofree char *new_id = NULL;
  gint64 healthy_at;

  if (f->h == NULL)
    return;
  v1 = web_doc (f, "v1", check1);
  v2 = web_doc (f, "v2", check2);
  touch (f, "ok-v1", TRUE);
  apply (f, v1);
  wait_for_phase (f, FLEET_PHASE_RUNNING, "v1 Running");
  old_id = g_strdup (web_record (f)->container_id);
  apply (f, v2);
  while (web_record (f)->candidate_id == NULL)
    g_main_context_iteration (NULL, TRUE);
  fleet_test_sleep_ms (2500);
  /* both run meanwhile */
  g_assert_cmpstr (container_state (f, old_id), ==, "running");
  healthy_at = g_get_real_time () * 1000;
  touch (f, "ok-v2", TRUE);
  wait_for_phase (f, FLEET_PHASE_RUNNING, "v2 Running");
  new_id = g_strdup (web_record (f)->container_id);
  g_assert_cmpstr (new_id, !=, old_id);
  g_assert_cmpint (event_time (f, "start", new_id), <, event_time (f, "died", old_id));
  g_assert_cmpint (event_time (f, "died", old_id), >, healthy_at);
  g_assert_false (container_exists (f, old_id));
  g_assert_false (container_exists (f, "hello_web_next"));
  g_assert_true (container_exists (f, "hello_web"));
  g_assert_cmpstr (container_state (f, "hello_web"), ==, "running");
}

static void
test_start_first_never_healthy (Fixture *f, gconstpointer data)
{
  g_autofree char *check1 = file_check ("ok-v1", "");
  g_autofree char *check2 = g_strdup_printf ("%s,\"update_config\":{\"order\":\"start-first\"}",
                                             file_check ("ok-v2", ""));
  g_autoptr(FleetDocument) v1 = NULL;
  g_autoptr(FleetDocument) v2 = NULL;
  g_autofree char *old_id = NULL;

  if (f->h == NULL)
    return;
  v1 = web_doc (f, "v1", check1);
  v2 = web_doc (f, "v2", check2);
  /* no retry while the test looks */
  fleet_reconciler_set_retry_backoff (f->reconciler, 600000, 600000);
  touch (f, "ok-v1", TRUE);
  apply (f, v1);
  wait_for_phase (f, FLEET_PHASE_RUNNING, "v1 Running");
  old_id = g_strdup (web_record (f)->container_id);
  apply (f, v2);
  wait_for_phase (f, FLEET_PHASE_FAILED, "Failed");
  while (web_record (f)->candidate_digest != NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (strstr (
    fleet_state_lookup_deployment (fleet_reconciler_get_state (f->reconciler), "hello")->last_error,
    "the new container did not become healthy"));
  g_assert_cmpstr (web_record (f)->container_id, ==, old_id);
  g_assert_cmpstr (container_state (f, old_id), ==, "running");
  g_assert_cmpint (event_time (f, "died", old_id), ==, 0);
  g_assert_false (container_exists (f, "hello_web_next"));
}

/* A TCP port nothing listens on now. */
static guint16
free_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (socket, any, TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* HTTP and TCP probes against httpd in the container.  On the host's
 * network, so that the probes reach 127.0.0.1: the machines these tests
 * run on may not route to podman's bridge. */
static void
test_http_tcp_probes (Fixture *f, gconstpointer data)
{
  guint16 port = free_port ();
  guint16 closed = free_port ();
  g_autofree char *httpd = g_strdup_printf (
    ",\"network_mode\":\"host\",\"command\":[\"/bin/httpd\",\"-f\",\"-p\",\"127.0.0.1:%u\","
    "\"-h\",\"/data\"]", port);
  g_autofree char *http = g_strdup_printf (
    "%s,\"healthcheck\":{\"http\":{\"port\":%u,\"path\":\"/ok.html\",\"status\":200},"
    "\"interval\":\"1s\",\"retries\":2,\"timeout\":\"2s\",\"on_unhealthy\":\"none\"}", httpd,
    port);
  g_autofree char *tcp = g_strdup_printf (
    "%s,\"healthcheck\":{\"tcp\":{\"port\":%u},\"interval\":\"1s\",\"timeout\":\"2s\"}",
    httpd, port);
  g_autofree char *tcp_closed = g_strdup_printf (
    "%s,\"healthcheck\":{\"tcp\":{\"port\":%u},\"interval\":\"1s\",\"retries\":1,"
    "\"timeout\":\"2s\",\"on_unhealthy\":\"none\"}", httpd, closed);
  const char *output = NULL;
  g_autoptr(FleetDocument) http_doc = NULL;
  g_autoptr(FleetDocument) tcp_doc = NULL;
  g_autoptr(FleetDocument) closed_doc = NULL;

  if (f->h == NULL)
    return;
  while (closed == port)
    closed = free_port ();
  http_doc = web_doc (f, "v1", http);
  tcp_doc = web_doc (f, "v1", tcp);
  closed_doc = web_doc (f, "v1", tcp_closed);
  touch (f, "ok.html", TRUE);
  apply (f, http_doc);
  wait_for_phase (f, FLEET_PHASE_RUNNING, "Running (HTTP 200)");
  touch (f, "ok.html", FALSE);
  wait_for_phase (f, FLEET_PHASE_FAILED, "Failed (HTTP 404)");
  fleet_reconciler_get_service_health (f->reconciler, "hello", "web", &output);
  g_assert_nonnull (strstr (output, "404"));

  apply (f, tcp_doc);
  wait_for_phase (f, FLEET_PHASE_RUNNING, "Running (TCP)");
  apply (f, closed_doc);
  wait_for_phase (f, FLEET_PHASE_FAILED, "Failed (TCP port closed)");
}

/* A check that hangs is cut at its timeout and counts as failed. */
static void
test_hanging_check_cut (Fixture *f, gconstpointer data)
{
  static const char check[] = ",\"healthcheck\":{\"test\":[\"CMD-SHELL\",\"sleep 60\"],"
                              "\"interval\":\"1s\",\"retries\":1,\"timeout\":\"1s\","
                              "\"on_unhealthy\":\"none\"}";
  g_autoptr(FleetDocument) doc = NULL;
  const char *output = NULL;

  if (f->h == NULL)
    return;
  doc = web_doc (f, "v1", check);
  apply (f, doc);
  wait_for_phase (f, FLEET_PHASE_FAILED, "Failed (check cut)");
  /* cut by fleetd: podman would only answer after the 60 s */
  g_assert_cmpstr (fleet_reconciler_get_service_health (f->reconciler, "hello", "web", &output),
                   ==, "unhealthy");
  g_assert_cmpstr (output, ==, "the check did not finish within 1000 ms");
}

int
main (int argc, char **argv)
{
  int ret;

  fleet_test_init (&argc, &argv);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/podman-health/unhealthy-restarted", test_unhealthy_restarted);
  ADD ("/podman-health/start-first-healthy", test_start_first_healthy);
  ADD ("/podman-health/start-first-never-healthy", test_start_first_never_healthy);
  ADD ("/podman-health/http-tcp-probes", test_http_tcp_probes);
  ADD ("/podman-health/hanging-check-cut", test_hanging_check_cut);
#undef ADD
  ret = g_test_run ();
  fleet_podman_harness_shutdown ();
  return ret;
}
