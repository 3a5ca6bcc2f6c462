/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-fleetd-agent.c: fleetd's agent in-process, with the file source and
 * the fake runtime: polling, "not modified" costing nothing, bad documents
 * and failed fetches changing nothing (and backing off), restarts from the
 * persisted state recreating nothing (the fake runtime outlives the agent
 * here, as podman outlives fleetd), on-demand reconcile, dead containers
 * and shutdown.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <sys/stat.h>

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

/* A new agent (as after a restart of fleetd) on the same runtime and state,
 * with the source at @uri (the fixture's file when NULL), polled every
 * @poll_secs (the default when 0). */
static void
new_agent_for (Fixture *f, const char *uri, guint poll_secs)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetSource) source = NULL;

  g_clear_object (&f->agent);
  g_clear_object (&f->reconciler);
  source = fleet_source_new_for_uri (uri ? uri : f->source_uri, "test-device", &error);
  g_assert_no_error (error);
  f->reconciler = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
  fleet_reconciler_set_retry_backoff (f->reconciler, 10, 40);
  f->agent = fleetd_agent_new (f->reconciler, source, "test-device", NULL);
  if (poll_secs != 0)
    fleetd_agent_set_intervals (f->agent, poll_secs, 3600);
  fleetd_agent_set_fetch_backoff (f->agent, 10, 40);
  f->fetches = 0;
  g_signal_connect (f->agent, "fetched", G_CALLBACK (on_fetched), f);
}

static void
new_agent (Fixture *f, guint poll_secs)
{
  new_agent_for (f, NULL, poll_secs);
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

static gboolean
on_late (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Run the main loop until the reconciler runs @generation, converged, or
 * @secs have passed; whether it got there. */
static gboolean
wait_for_generation (Fixture *f, gint64 generation, guint secs)
{
  gboolean late = FALSE;
  guint late_id = g_timeout_add_seconds (secs, on_late, &late);
  FleetDocument *desired;

  while (!late
         && ((desired = fleet_reconciler_get_desired (f->reconciler)) == NULL
             || desired->generation != generation
             || fleet_reconciler_get_phase (f->reconciler) != FLEET_PHASE_RUNNING
             || fleet_reconciler_is_busy (f->reconciler)))
    g_main_context_iteration (NULL, TRUE);
  if (!late)
    g_source_remove (late_id);
  return !late;
}

/* With the default poll interval (30 s), a file edit is applied within
 * 2 s: the file source watches the file's directory. */
static void
test_file_edit_applied_at_once (Fixture *f, gconstpointer data)
{
  new_agent (f, 0);
  fleetd_agent_start (f->agent);
  wait_for_fetches (f, 1);
  g_assert_true (wait_for_generation (f, 1, 10));

  write_doc (f, 2, "localhost/hello:v2");
  g_assert_true (wait_for_generation (f, 2, 2));
  g_assert_cmpstr (last_fetch (f)->result, ==, "ok");
}

/* A FIFO at the source path (whose opening would block) is refused at once:
 * `fleetctl reconcile` answers with the cause, nothing that runs changes,
 * and the document put back is applied. */
static void
test_fifo_at_source (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *fifo = g_build_filename (f->dir, "fifo", NULL);

  new_agent (f, 0);
  fleetd_agent_start (f->agent);
  wait_for_fetches (f, 1);
  g_assert_true (wait_for_generation (f, 1, 10));
  fleet_fake_runtime_clear_calls (f->runtime);

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_cmpint (g_rename (fifo, f->doc_path), ==, 0);
  g_assert_cmpint (reconcile (f, &error), ==, -1);
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_FETCH_FAILED);
  g_assert_nonnull (strstr (error->message, f->doc_path));
  g_assert_nonnull (strstr (error->message, "is a FIFO, not a regular file"));
  g_assert_cmpstr (last_fetch (f)->result, ==, "error");
  g_assert_cmpint (fleet_reconciler_get_phase (f->reconciler), ==, FLEET_PHASE_RUNNING);
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (f->runtime), ==, 0);

  write_doc (f, 2, "localhost/hello:v2");
  g_assert_true (wait_for_generation (f, 2, 10));
  g_assert_cmpstr (last_fetch (f)->result, ==, "ok");
}

/* A restart with persisted state and the same document at the source
 * costs the runtime one list: the fetched document joins the queue behind
 * the recovery instead of asking for a second pass. */
static void
test_cold_start_one_list (Fixture *f, gconstpointer data)
{
  fleetd_agent_start (f->agent);
  wait_for_fetches (f, 1);
  wait_for_phase (f, FLEET_PHASE_RUNNING);
  shutdown_agent (f);

  new_agent (f, 3600);
  fleet_fake_runtime_clear_calls (f->runtime);
  g_assert_true (fleetd_agent_load_state (f->agent, NULL));
  fleetd_agent_start (f->agent);
  wait_for_fetches (f, 1);
  wait_for_phase (f, FLEET_PHASE_RUNNING);
  g_assert_cmpstr (last_fetch (f)->result, ==, "ok");
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "list"), ==, 1);
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (f->runtime), ==, 0);
}

/* The file goes back to the applied version while a new one is being
 * applied: once that one is, the file's is applied again, without waiting
 * for a poll (an hour here).  Same generation, so that it may. */
static void
test_revert_during_apply (Fixture *f, gconstpointer data)
{
  g_autofree char *v1 = NULL;

  fleetd_agent_start (f->agent);
  wait_for_fetches (f, 1);
  g_assert_true (wait_for_generation (f, 1, 10));
  v1 = g_strdup (fleet_reconciler_get_desired (f->reconciler)->digest);

  fleet_fake_runtime_set_latency (f->runtime, 300);
  write_doc (f, 1, "localhost/hello:v2");
  while (g_str_equal (fleet_reconciler_get_desired (f->reconciler)->digest, v1))
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (fleet_reconciler_is_busy (f->reconciler));
  write_doc (f, 1, "localhost/hello:v1");
  {
    gboolean late = FALSE;
    guint late_id = g_timeout_add_seconds (10, on_late, &late);

    while (!late && (!g_str_equal (fleet_reconciler_get_desired (f->reconciler)->digest, v1)
                     || fleet_reconciler_is_busy (f->reconciler)))
      g_main_context_iteration (NULL, TRUE);
    g_assert_false (late);
    g_source_remove (late_id);
  }
  g_assert_cmpint (fleet_reconciler_get_phase (f->reconciler), ==, FLEET_PHASE_RUNNING);
}

#define TWO_DEPLOYMENTS                                                                    \
  "{\"generation\":%d,\"deployments\":{"                                                   \
  "\"fast\":{\"type\":\"PodmanV0\",\"data\":{\"services\":["                               \
  "{\"name\":\"web\",\"image\":\"localhost/fast:v1\"}]}},"                                 \
  "\"slow\":{\"type\":\"PodmanV0\",\"data\":{\"services\":["                               \
  "{\"name\":\"a\",\"image\":\"localhost/slow:%s\"}],"                                     \
  "\"lifecycle\":{\"grace_period_secs\":3600}}}}}"

/* One deployment's rollout that takes its time does not hold up the ticks
 * of the others: the request queue hands a document to the reconciler and
 * goes on, and the next tick brings the other deployment's lost container
 * back (issue 9, defect 4). */
static void
test_ticks_do_not_wait_for_rollouts (Fixture *f, gconstpointer data)
{
  g_autofree char *v1 = g_strdup_printf (TWO_DEPLOYMENTS, 1, "v1");
  g_autofree char *v2 = g_strdup_printf (TWO_DEPLOYMENTS, 2, "v2");
  g_autofree char *fast = NULL;
  gint64 deadline;

  g_assert_true (g_file_set_contents (f->doc_path, v1, -1, NULL));
  fleetd_agent_set_intervals (f->agent, 3600, 1);
  fleetd_agent_start (f->agent);
  g_assert_true (wait_for_generation (f, 1, 10));
  fast = g_strdup (fleet_test_recorded_id (f->reconciler, "fast", "web"));

  fleet_fake_runtime_set_pull_hangs (f->runtime, "localhost/slow:v2", TRUE);
  fleet_fake_runtime_clear_calls (f->runtime);
  g_assert_true (g_file_set_contents (f->doc_path, v2, -1, NULL));
  while (fleet_fake_runtime_count_calls (f->runtime, "pull") == 0)
    g_main_context_iteration (NULL, TRUE);

  /* gone behind the agent's back, without an event */
  g_assert_true (fleet_fake_runtime_remove_container (f->runtime, fast));
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (fleet_fake_runtime_count_calls (f->runtime, "start") == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, "fast_web")->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);
  shutdown_agent (f);
}

/* An HTTP server that answers what the tests below need. */
static void
handle_http (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
             gpointer user_data)
{
  static const char html[] = "<html><body><h1>Please sign in</h1></body></html>";
  static const char truncated[] = "{\"generation\":1,\"deployments\":{\"hello\":";

  if (g_str_equal (path, "/html"))
    soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_STATIC, html, strlen (html));
  else if (g_str_equal (path, "/truncated"))
    soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, truncated,
                                      strlen (truncated));
  else if (g_str_equal (path, "/always-304"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_MODIFIED, NULL);
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}

static SoupServer *
start_http_server (char **base)
{
  g_autoptr(GError) error = NULL;
  SoupServer *server = soup_server_new (NULL, NULL);
  GSList *uris;

  soup_server_add_handler (server, NULL, handle_http, NULL, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  *base = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return server;
}

static void
stop_http_server (SoupServer *server)
{
  soup_server_disconnect (server);
  g_object_unref (server);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* A body that is not a document (a captive portal's page, a cut-off
 * answer) is reported as transport errors are: naming the source. */
static void
test_bad_body_names_source (Fixture *f, gconstpointer data)
{
  static const char *const paths[] = { "/html", "/truncated" };
  g_autofree char *base = NULL;
  SoupServer *server = start_http_server (&base);

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *uri = g_strconcat (base, paths[i], NULL);
      g_autofree char *prefix = g_strdup_printf ("fetching %s: document: ", uri);
      g_autoptr(GError) error = NULL;

      new_agent_for (f, uri, 3600);
      g_assert_cmpint (reconcile (f, &error), ==, -1);
      g_assert_error (error, FLEET_ERROR, FLEET_ERROR_INVALID_DOCUMENT);
      if (!g_str_has_prefix (error->message, prefix))
        g_error ("expected \"%s\" at the start of \"%s\"", prefix, error->message);
      g_assert_cmpstr (last_fetch (f)->error, ==, error->message);
    }
  g_clear_object (&f->agent);
  stop_http_server (server);
}

/* A 304 before fleetd has any document is a failed fetch, not a silent
 * "not modified" that leaves the device Pending for good. */
static void
test_304_with_nothing_cached (Fixture *f, gconstpointer data)
{
  g_autofree char *base = NULL;
  SoupServer *server = start_http_server (&base);
  g_autofree char *uri = g_strconcat (base, "/always-304", NULL);
  g_autoptr(GError) error = NULL;

  new_agent_for (f, uri, 3600);
  g_assert_cmpint (reconcile (f, &error), ==, -1);
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_FETCH_FAILED);
  g_assert_nonnull (strstr (error->message, "HTTP 304 Not Modified"));
  g_assert_cmpstr (last_fetch (f)->result, ==, "error");
  g_assert_null (fleet_reconciler_get_desired (f->reconciler));
  g_clear_object (&f->agent);
  stop_http_server (server);
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
  ADD ("/fleetd-agent/file-edit-applied-at-once", test_file_edit_applied_at_once);
  ADD ("/fleetd-agent/fifo-at-source", test_fifo_at_source);
  ADD ("/fleetd-agent/cold-start-one-list", test_cold_start_one_list);
  ADD ("/fleetd-agent/revert-during-apply", test_revert_during_apply);
  ADD ("/fleetd-agent/ticks-do-not-wait-for-rollouts", test_ticks_do_not_wait_for_rollouts);
  ADD ("/fleetd-agent/bad-body-names-source", test_bad_body_names_source);
  ADD ("/fleetd-agent/304-with-nothing-cached", test_304_with_nothing_cached);
#undef ADD

  return g_test_run ();
}
