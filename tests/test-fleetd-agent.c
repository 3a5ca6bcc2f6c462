/* test-fleetd-agent.c: fleetd's agent in-process, with the file source and
 * the fake runtime: polling, "not modified" costing nothing, bad documents
 * and failed fetches changing nothing (and backing off), restarts from the
 * persisted state recreating nothing (the fake runtime outlives the agent
 * here, as podman outlives fleetd), on-demand reconcile, dead containers
 * and shutdown.
 */
#include "config.h"

#include <glib/gstdio.h>

#include "fleet-test-utils.h"
#include "fleet-util-private.h"
#include "fleetd-agent.h"

#define DOC_TMPL                                                                            \
  "{\"generation\":%d,\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{"          \
  "\"services\":[{\"name\":\"web\",\"image\":\"%s\",\"env\":{\"GREETING\":\"hi\"}}]}}}}"

typedef struct
{
  char *dir;
  char *doc_path;
  char *source_uri;
  char *state_dir;
  FleetFakeRuntime *runtime;
  FleetReconciler *reconciler;
  FleetdAgent *agent;
  guint fetches;
} Fixture;

static void
write_doc (Fixture *f, int generation, const char *image)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *doc = g_strdup_printf (DOC_TMPL, generation, image);

  g_file_set_contents (f->doc_path, doc, -1, &error);
  g_assert_no_error (error);
}

static void
on_fetched (FleetdAgent *agent, gpointer user_data)
{
  ((Fixture *) user_data)->fetches++;
}

/* A new agent (as after a restart of fleetd) on the same runtime and state. */
static void
new_agent (Fixture *f, guint poll_secs)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetSource) source = NULL;
  FleetSourceOptions options;

  g_clear_object (&f->agent);
  g_clear_object (&f->reconciler);
  fleet_source_options_init (&options);
  options.device_id = "test-device";
  source = fleet_source_new_for_uri (f->source_uri, &options, &error);
  g_assert_no_error (error);
  f->reconciler = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
  fleet_reconciler_set_retry_backoff (f->reconciler, 10, 40);
  f->agent = fleetd_agent_new (f->reconciler, source, "test-device", NULL);
  fleetd_agent_set_intervals (f->agent, poll_secs, 3600);
  fleetd_agent_set_fetch_backoff (f->agent, 10, 40);
  f->fetches = 0;
  g_signal_connect (f->agent, "fetched", G_CALLBACK (on_fetched), f);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = fleet_test_make_tmpdir ();
  f->doc_path = g_build_filename (f->dir, "device.json", NULL);
  f->source_uri = g_filename_to_uri (f->doc_path, NULL, NULL);
  f->state_dir = g_build_filename (f->dir, "state", NULL);
  g_mkdir (f->state_dir, 0700);
  f->runtime = fleet_fake_runtime_new ();
  write_doc (f, 1, "localhost/hello:v1");
  new_agent (f, 3600);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->agent);
  g_clear_object (&f->reconciler);
  g_clear_object (&f->runtime);
  fleet_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->doc_path);
  g_free (f->source_uri);
  g_free (f->state_dir);
}

typedef struct
{
  gboolean done;
  gboolean ok;
  FleetPhase phase;
  GError *error;
} Result;

static void
on_reconciled (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Result *r = user_data;

  r->ok = fleetd_agent_reconcile_finish (FLEETD_AGENT (source), result, &r->phase, &r->error);
  r->done = TRUE;
}

/* The phase, or -1 on error. */
static int
reconcile (Fixture *f, GError **error)
{
  Result r = { 0, };

  fleetd_agent_reconcile_async (f->agent, NULL, on_reconciled, &r);
  fleet_test_wait (&r.done);
  if (r.error)
    g_propagate_error (error, r.error);
  return r.ok ? (int) r.phase : -1;
}

static void
on_shut_down (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Result *r = user_data;

  r->ok = fleetd_agent_shutdown_finish (FLEETD_AGENT (source), result, &r->error);
  r->done = TRUE;
}

static void
shutdown_agent (Fixture *f)
{
  Result r = { 0, };

  fleetd_agent_shutdown_async (f->agent, NULL, on_shut_down, &r);
  fleet_test_wait (&r.done);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
}

static void
wait_for_fetches (Fixture *f, guint n)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (f->fetches < n)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
wait_for_phase (Fixture *f, FleetPhase phase)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (fleet_reconciler_get_phase (f->reconciler) != phase
         || fleet_reconciler_is_busy (f->reconciler))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static const FleetFetchStatus *
last_fetch (Fixture *f)
{
  return fleetd_agent_get_last_fetch (f->agent);
}

/* Started, the agent fetches and applies at once. */
static void
test_start_applies (Fixture *f, gconstpointer data)
{
  g_assert_true (fleetd_agent_load_state (f->agent, NULL));
  fleetd_agent_start (f->agent);
  wait_for_fetches (f, 1);
  wait_for_phase (f, FLEET_PHASE_RUNNING);
  g_assert_cmpstr (last_fetch (f)->result, ==, "ok");
  g_assert_null (last_fetch (f)->error);
  g_assert_nonnull (last_fetch (f)->at);
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "create"), ==, 1);
  g_assert_true (fleet_is_container_id (fleet_test_recorded_id (f->reconciler, "hello", "web")));
}

/* An unchanged source: "not-modified", no parsing, no runtime call. */
static void
test_not_modified (Fixture *f, gconstpointer data)
{
  new_agent (f, 1);
  fleetd_agent_start (f->agent);
  wait_for_fetches (f, 1);
  wait_for_phase (f, FLEET_PHASE_RUNNING);
  fleet_fake_runtime_clear_calls (f->runtime);

  wait_for_fetches (f, 3);
  g_assert_cmpstr (last_fetch (f)->result, ==, "not-modified");
  g_assert_cmpuint (fleet_fake_runtime_get_calls (f->runtime)->len, ==, 0);

  /* A new version is picked up at the next poll. */
  write_doc (f, 2, "localhost/hello:v2");
  wait_for_fetches (f, 4);
  wait_for_phase (f, FLEET_PHASE_RUNNING);
  g_assert_cmpint (fleet_reconciler_get_desired (f->reconciler)->generation, ==, 2);
  g_assert_cmpstr (last_fetch (f)->result, ==, "ok");
}

/* A bad document or a failed fetch changes nothing, is reported, and the
 * source is retried with backoff instead of the (here hour-long) poll. */
static void
test_failures_change_nothing (Fixture *f, gconstpointer data)
{
  static const char *const bad[] = {
    "{\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[]}}}}",
    "{\"deployments\": [",
    "{\"generation\":0,\"deployments\":{}}", /* went backwards */
    NULL,                                      /* the file is gone */
  };
  static const char *const expected[] = {
    "deployments.hello.data.services", "", "generation went backwards", "",
  };
  g_autofree char *digest = NULL;

  fleetd_agent_start (f->agent);
  wait_for_fetches (f, 1);
  wait_for_phase (f, FLEET_PHASE_RUNNING);
  digest = g_strdup (fleet_reconciler_get_desired (f->reconciler)->digest);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      guint before = f->fetches;
      g_autoptr(GError) error = NULL;

      if (bad[i])
        g_file_set_contents (f->doc_path, bad[i], -1, NULL);
      else
        g_unlink (f->doc_path);
      fleet_fake_runtime_clear_calls (f->runtime);
      g_assert_cmpint (reconcile (f, &error), ==, -1);
      g_assert_nonnull (error);
      g_assert_true (error->domain == FLEET_ERROR);
      g_assert_nonnull (strstr (error->message, expected[i]));
      g_assert_cmpstr (last_fetch (f)->result, ==, "error");
      g_assert_cmpstr (last_fetch (f)->error, ==, error->message);

      /* Retried with backoff, well before the poll interval. */
      wait_for_fetches (f, before + 4);
      g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (f->runtime), ==, 0);
      g_assert_cmpstr (fleet_reconciler_get_desired (f->reconciler)->digest, ==, digest);
      g_assert_cmpint (fleet_reconciler_get_phase (f->reconciler), ==, FLEET_PHASE_RUNNING);
    }

  /* Fixed: applied at the next retry. */
  write_doc (f, 2, "localhost/hello:v2");
  while (g_strcmp0 (last_fetch (f)->result, "ok") != 0)
    g_main_context_iteration (NULL, TRUE);
  wait_for_phase (f, FLEET_PHASE_RUNNING);
  g_assert_cmpint (fleet_reconciler_get_desired (f->reconciler)->generation, ==, 2);
}

/* While failing, the fetch backoff never waits longer than the poll
 * interval: here a backoff of minutes, a poll of one second. */
static void
test_backoff_capped_by_poll (Fixture *f, gconstpointer data)
{
  gint64 start;

  new_agent (f, 1);
  fleetd_agent_set_fetch_backoff (f->agent, 60 * 1000, 5 * 60 * 1000);
  g_file_set_contents (f->doc_path, "{\"deployments\": [", -1, NULL);
  fleetd_agent_start (f->agent);
  wait_for_fetches (f, 1);
  g_assert_cmpstr (last_fetch (f)->result, ==, "error");
  start = g_get_monotonic_time ();
  wait_for_fetches (f, 3);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
}

/* A restart carries on from the persisted state, with the source gone,
 * and recreates nothing that runs. */
static void
test_restart_recreates_nothing (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autofree char *digest = NULL;

  fleetd_agent_start (f->agent);
  wait_for_fetches (f, 1);
  wait_for_phase (f, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  digest = g_strdup (fleet_reconciler_get_desired (f->reconciler)->digest);
  shutdown_agent (f);

  g_unlink (f->doc_path);
  new_agent (f, 3600);
  fleet_fake_runtime_clear_calls (f->runtime);
  g_assert_true (fleetd_agent_load_state (f->agent, NULL));
  g_assert_cmpstr (fleet_reconciler_get_desired (f->reconciler)->digest, ==, digest);
  fleetd_agent_start (f->agent);
  wait_for_fetches (f, 1);
  wait_for_phase (f, FLEET_PHASE_RUNNING);
  g_assert_cmpstr (last_fetch (f)->result, ==, "error");
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "hello", "web"), ==, id);
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (f->runtime), ==, 0);
}

/* A corrupt state file is survived: running containers are adopted. */
static void
test_corrupt_state (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autofree char *state_path = g_build_filename (f->state_dir, FLEET_STATE_FILE_NAME, NULL);

  fleetd_agent_start (f->agent);
  wait_for_fetches (f, 1);
  wait_for_phase (f, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  shutdown_agent (f);

  g_file_set_contents (state_path, "{ not json", -1, NULL);
  new_agent (f, 3600);
  fleet_fake_runtime_clear_calls (f->runtime);
  g_assert_true (fleetd_agent_load_state (f->agent, NULL));
  fleetd_agent_start (f->agent);
  wait_for_fetches (f, 1);
  wait_for_phase (f, FLEET_PHASE_RUNNING);
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "hello", "web"), ==, id);
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "create"), ==, 0);
}

/* Reconcile on demand retries a failed deployment now. */
static void
test_reconcile_retries (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  fleet_fake_runtime_set_start_fails (f->runtime, "localhost/hello:v1", TRUE);
  g_assert_cmpint (reconcile (f, &error), ==, FLEET_PHASE_FAILED);
  g_assert_no_error (error);
  fleet_fake_runtime_set_start_fails (f->runtime, "localhost/hello:v1", FALSE);
  g_assert_cmpint (reconcile (f, &error), ==, FLEET_PHASE_RUNNING);
  g_assert_no_error (error);
  /* Unchanged file, but a requested reconcile still applies. */
  g_assert_cmpstr (last_fetch (f)->result, ==, "not-modified");
}

/* Reconcile calls during a cycle get the next one, so each sees a fresh
 * fetch, and none is lost. */
static void
test_concurrent_reconciles (Fixture *f, gconstpointer data)
{
  Result r[3] = { { 0, } };

  fleet_fake_runtime_set_latency (f->runtime, 20);
  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    fleetd_agent_reconcile_async (f->agent, NULL, on_reconciled, &r[i]);
  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    {
      fleet_test_wait (&r[i].done);
      g_assert_no_error (r[i].error);
      g_assert_cmpint (r[i].phase, ==, FLEET_PHASE_RUNNING);
    }
  g_assert_cmpuint (f->fetches, ==, 2);
}

/* A container that dies is started again at once, not at the next tick. */
static void
test_dead_container_restarted (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  gint64 deadline;

  fleetd_agent_start (f->agent);
  wait_for_fetches (f, 1);
  wait_for_phase (f, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  fleet_fake_runtime_clear_calls (f->runtime);
  g_assert_true (fleet_fake_runtime_kill_container (f->runtime, id, 137));
  deadline = g_get_monotonic_time () + G_USEC_PER_SEC;
  while (fleet_fake_runtime_lookup (f->runtime, id)->state != FLEET_CONTAINER_STATE_RUNNING)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "create"), ==, 0);
}

/* Shutdown persists the state; nothing is done afterwards. */
static void
test_shutdown (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetState) state = NULL;

  fleetd_agent_start (f->agent);
  wait_for_fetches (f, 1);
  wait_for_phase (f, FLEET_PHASE_RUNNING);
  shutdown_agent (f);
  state = fleet_state_load (f->state_dir, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fleet_state_get_desired (state));

  fleet_fake_runtime_clear_calls (f->runtime);
  g_assert_cmpint (reconcile (f, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (fleet_fake_runtime_get_calls (f->runtime)->len, ==, 0);
}

/* The status document and plan come from the agent. */
static void
test_status_and_plan (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autofree char *v2 = g_strdup_printf (DOC_TMPL, 2, "localhost/hello:v2");
  g_autoptr(FleetPlan) plan = NULL;
  g_autoptr(FleetPlan) invalid = NULL;

  g_assert_cmpint (reconcile (f, &error), ==, FLEET_PHASE_RUNNING);
  json = fleetd_agent_build_status_json (f->agent, FALSE);
  g_assert_nonnull (strstr (json, "\"device_id\":\"test-device\""));
  g_assert_nonnull (strstr (json, "\"result\":\"ok\""));

  fleet_fake_runtime_clear_calls (f->runtime);
  plan = fleetd_agent_plan (f->agent, v2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fleet_plan_count (plan, FLEET_PLAN_REPLACE), ==, 1);
  invalid = fleetd_agent_plan (f->agent, "{\"deployments\":{\"Bad\":{}}}", NULL, &error);
  g_assert_null (invalid);
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_INVALID_DOCUMENT);
  g_assert_cmpuint (fleet_fake_runtime_get_calls (f->runtime)->len, ==, 0);
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);

#define ADD(name, func) g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/fleetd-agent/start-applies", test_start_applies);
  ADD ("/fleetd-agent/not-modified", test_not_modified);
  ADD ("/fleetd-agent/failures-change-nothing", test_failures_change_nothing);
  ADD ("/fleetd-agent/backoff-capped-by-poll", test_backoff_capped_by_poll);
  ADD ("/fleetd-agent/restart-recreates-nothing", test_restart_recreates_nothing);
  ADD ("/fleetd-agent/corrupt-state", test_corrupt_state);
  ADD ("/fleetd-agent/reconcile-retries", test_reconcile_retries);
  ADD ("/fleetd-agent/concurrent-reconciles", test_concurrent_reconciles);
  ADD ("/fleetd-agent/dead-container-restarted", test_dead_container_restarted);
  ADD ("/fleetd-agent/shutdown", test_shutdown);
  ADD ("/fleetd-agent/status-and-plan", test_status_and_plan);
#undef ADD

  return g_test_run ();
}
