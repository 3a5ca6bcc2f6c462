/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-podman-reconcile.c: the real FleetReconciler on a real podman (a
 * private `podman system service` per run, see fleet-podman-harness.c): the
 * contract's reconcile scenarios, and the faults of issue 9 that involve
 * podman.  What podman did is checked through podman itself (its inspect
 * answers, its event log, marker files written by the containers), never
 * through the runtime under test.
 */
#include "config.h"

#include <glib/gstdio.h>

#include "fleet-podman-harness.h"
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

static void
new_agent (Fixture *f)
{
  f->runtime = fleet_podman_runtime_new (fleet_podman_harness_get_socket (f->h));
  f->reconciler = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
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

/* Podman's own view. */

/* Its inspect answer, or NULL when podman knows no such container. */
static JsonNode *
podman_inspect (Fixture *f, const char *id)
{
  g_autofree char *escaped = g_uri_escape_string (id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/containers/%s/json", escaped);
  g_autoptr(GError) error = NULL;
  guint status = 0;
  g_autoptr(GBytes) body = fleet_podman_harness_request (f->h, "GET", path, &status, &error);

  g_assert_no_error (error);
  if (status == 404)
    return NULL;
  g_assert_cmpuint (status, ==, 200);
  return fleet_podman_harness_get_json (f->h, path);
}

/* "running", "exited", "paused", "created"... or "missing". */
static const char *
status_of (Fixture *f, const char *id)
{
  g_autoptr(JsonNode) node = podman_inspect (f, id);
  JsonObject *state;

  if (node == NULL)
    return "missing";
  state = json_object_get_object_member (json_node_get_object (node), "State");
  return g_intern_string (json_object_get_string_member (state, "Status"));
}

static const char *
label_of (JsonNode *node, const char *label)
{
  JsonObject *config = json_object_get_object_member (json_node_get_object (node), "Config");
  JsonObject *labels = json_object_get_object_member (config, "Labels");

  return labels ? json_object_get_string_member_with_default (labels, label, NULL) : NULL;
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
  if (out_stdout != NULL)
    g_strstrip (*out_stdout);
}

/* Wait, running the main context, until podman says @status. */
static gboolean
wait_for_status (Fixture *f, const char *id, const char *status, guint timeout_secs)
{
  gint64 deadline = g_get_monotonic_time () + timeout_secs * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      if (g_str_equal (status_of (f, id), status))
        return TRUE;
      fleet_test_sleep_ms (100);
    }
  return FALSE;
}

/* A changed service: SIGTERM reaches the old container (it writes its
 * marker and exits 0, well before its grace), and the new id is recorded. */
static void
test_graceful_replace (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = web_doc (f, 1, "v1", 10);
  g_autoptr(FleetDocument) v2 = web_doc (f, 2, "v2", 10);
  g_autofree char *old_id = NULL;
  g_autofree char *marker = NULL;
  g_autoptr(JsonNode) info = NULL;
  const char *new_id;
  gint64 start;

  if (f->h == NULL)
    return;
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  old_id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  g_assert_true (fleet_is_container_id (old_id));
  g_assert_cmpstr (status_of (f, old_id), ==, "running");

  start = g_get_monotonic_time ();
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v2), ==, FLEET_PHASE_RUNNING);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 8 * G_USEC_PER_SEC);

  new_id = fleet_test_recorded_id (f->reconciler, "hello", "web");
  g_assert_true (fleet_is_container_id (new_id));
  g_assert_cmpstr (new_id, !=, old_id);
  marker = read_marker (f);
  g_assert_cmpstr (marker, ==, "v1 TERM\n");
  g_assert_cmpint (fleet_podman_harness_exit_code (f->h, old_id), ==, 0);
  g_assert_cmpstr (status_of (f, old_id), ==, "missing");

  g_assert_cmpstr (status_of (f, new_id), ==, "running");
  info = podman_inspect (f, new_id);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (info), "ImageName"), ==,
                   "localhost/fleet-test:v2");
  g_assert_cmpstr (label_of (info, FLEET_LABEL_SPEC_DIGEST), ==,
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
  g_assert_cmpstr (status_of (f, old_id), ==, "missing");
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
  g_assert_cmpstr (status_of (f, id), ==, "missing");
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
  g_assert_cmpstr (status_of (f, id), ==, "running");
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
  g_assert_cmpstr (status_of (f, orphan), ==, "missing");
  g_assert_cmpint (fleet_podman_harness_exit_code (f->h, orphan), ==, 0);
  marker = read_marker (f);
  g_assert_cmpstr (marker, ==, "v1 TERM\n");
  g_assert_cmpstr (status_of (f, bystander), ==, "running");
  g_assert_cmpstr (status_of (f, "hello_web"), ==, "running");
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
  g_assert_cmpstr (status_of (f, id), ==, "running");
  marker = read_marker (f);
  g_assert_cmpstr (marker, ==, "");
}

/* Killed behind the agent's back: the tick starts it again by id (same
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
  g_assert_true (wait_for_status (f, id, "exited", 10));
  g_assert_true (fleet_test_tick (f->reconciler, &phase, &error));
  g_assert_no_error (error);
  /* it was found dead: not Running until a look finds it up again */
  g_assert_cmpint (phase, ==, FLEET_PHASE_FAILED);
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "hello", "web"), ==, id);
  g_assert_cmpstr (status_of (f, id), ==, "running");
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
  g_assert_cmpstr (status_of (f, new_id), ==, "running");
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
  /* It died (as podman's log says: it may be up again before a look at its
   * state would find it down), and is up again, without a tick. */
  for (guint i = 0; i < 100 && fleet_podman_harness_exit_code (f->h, id) != 137; i++)
    fleet_test_sleep_ms (100);
  g_assert_cmpint (fleet_podman_harness_exit_code (f->h, id), ==, 137);
  g_assert_true (wait_for_status (f, id, "running", 20));
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "hello", "web"), ==, id);
  g_assert_cmpuint (fleet_podman_harness_count_events (f->h, "create", NULL), ==, creates);
}

/* Issue 9, defect 3: a container left "created" by a podman that died while
 * starting it, where every start fails, was adopted and only ever started
 * again, with backoff growing to minutes.  It is replaced instead. */
static void
test_stuck_in_created (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = web_doc (f, 1, "v1", 1);
  FleetServiceSpec *spec = fleet_document_lookup_service (doc, "hello", "web");
  g_autofree char *digest_label = g_strdup_printf ("%s=%s", FLEET_LABEL_SPEC_DIGEST, spec->digest);
  g_autofree char *stuck = NULL;
  const char *id = NULL;
  FleetPhase phase = FLEET_PHASE_PENDING;

  if (f->h == NULL)
    return;
  podman_cli (f, &stuck, "create", "--name", "hello_web", "--label", "fleet.deployment=hello",
              "--label", "fleet.service=web", "--label", digest_label, "--entrypoint",
              "/nonexistent", "localhost/fleet-test:v1", NULL);
  g_assert_cmpstr (status_of (f, stuck), ==, "created");

  /* adopted (its labels say it is the desired version), found not running */
  fleet_test_apply_ok (f->reconciler, doc);
  for (guint i = 0; i < 20 && phase != FLEET_PHASE_RUNNING; i++)
    {
      fleet_test_sleep_ms (250);
      g_assert_true (fleet_test_tick (f->reconciler, &phase, NULL));
    }
  g_assert_cmpint (phase, ==, FLEET_PHASE_RUNNING);
  id = fleet_test_recorded_id (f->reconciler, "hello", "web");
  g_assert_cmpstr (id, !=, stuck);
  g_assert_cmpstr (status_of (f, id), ==, "running");
  g_assert_cmpstr (status_of (f, stuck), ==, "missing");
}

/* Issue 9, defect 5: the managed container was renamed and stopped, and a
 * container fleet does not manage took the service's name.  The tick starts
 * the recorded container, by id, and leaves the other one alone. */
static void
test_liveness_by_id (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = web_doc (f, 1, "v1", 1);
  g_autofree char *id = NULL;
  g_autofree char *stranger = NULL;
  FleetPhase phase = FLEET_PHASE_PENDING;
  g_autoptr(GError) error = NULL;

  if (f->h == NULL)
    return;
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  podman_cli (f, NULL, "stop", "--time", "0", id, NULL);
  podman_cli (f, NULL, "rename", id, "hello_web_renamed", NULL);
  podman_cli (f, &stranger, "create", "--name", "hello_web", "localhost/fleet-test:v2", NULL);

  g_assert_true (fleet_test_tick (f->reconciler, &phase, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "hello", "web"), ==, id);
  g_assert_cmpstr (status_of (f, id), ==, "running");
  g_assert_cmpstr (status_of (f, stranger), ==, "created");
}

/* A paused container does not count as running: the tick lets it run
 * again, the same container. */
static void
test_paused_unpaused (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = web_doc (f, 1, "v1", 1);
  g_autofree char *id = NULL;
  FleetPhase phase = FLEET_PHASE_PENDING;
  guint creates;

  if (f->h == NULL)
    return;
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  creates = fleet_podman_harness_count_events (f->h, "create", NULL);
  podman_cli (f, NULL, "pause", id, NULL);
  g_assert_cmpstr (status_of (f, id), ==, "paused");

  g_assert_true (fleet_test_tick (f->reconciler, &phase, NULL));
  g_assert_cmpint (phase, ==, FLEET_PHASE_FAILED);
  g_assert_cmpstr (status_of (f, id), ==, "running");
  g_assert_true (fleet_test_tick (f->reconciler, &phase, NULL));
  g_assert_cmpint (phase, ==, FLEET_PHASE_RUNNING);
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "hello", "web"), ==, id);
  g_assert_cmpuint (fleet_podman_harness_count_events (f->h, "create", NULL), ==, creates);
}

int
main (int argc, char **argv)
{
  int ret;

  fleet_test_init (&argc, &argv);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
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
  ADD ("/podman/reconcile/stuck-in-created", test_stuck_in_created);
  ADD ("/podman/reconcile/liveness-by-id", test_liveness_by_id);
  ADD ("/podman/reconcile/paused-unpaused", test_paused_unpaused);
#undef ADD

  ret = g_test_run ();
  fleet_podman_harness_shutdown ();
  return ret;
}
