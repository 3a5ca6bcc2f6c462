/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-reconciler-lanes.c: deployments in lanes of their own, shutdown in the middle of
 * a rollout, and init jobs that others wait for. */
#include "config.h"

#include "fleet-reconciler-fixture.h"

/* Shutdown in the middle of a rollout: the step in flight finishes, the
 * state is persisted, nothing further happens, containers keep running. */
static void
test_shutdown_mid_pass (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) d = fleet_test_document (
    "{\"deployments\":{\"app\":{\"type\":\"PodmanV0\",\"data\":{\"services\":["
    "{\"name\":\"a\",\"image\":\"i\"},{\"name\":\"b\",\"image\":\"i\"},"
    "{\"name\":\"c\",\"image\":\"i\"}]}}}}");
  g_autoptr(FleetReconciler) restarted = NULL;
  gboolean done = FALSE;

  fleet_fake_runtime_set_latency (f->runtime, 20);
  fleet_reconciler_apply_async (f->reconciler, d, 0, NULL, NULL, NULL);
  /* a's container is up and b's start is in flight */
  while (fleet_fake_runtime_count_calls (f->runtime, "start") == 0)
    g_main_context_iteration (NULL, TRUE);
  fleet_reconciler_shutdown_async (f->reconciler, NULL, on_shutdown, &done);
  fleet_test_wait (&done);
  fleet_test_sleep_ms (100);
  /* b's start finished; c was never started */
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "create"), ==, 2);
  g_assert_cmpuint (fleet_fake_runtime_count_containers (f->runtime), ==, 2);
  g_assert_null (fleet_fake_runtime_lookup (f->runtime, "app_c"));

  /* what was started was persisted; a restart finishes the rollout */
  restarted = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
  g_assert_true (fleet_reconciler_load_state (restarted, NULL));
  g_assert_nonnull (fleet_test_recorded_id (restarted, "app", "a"));
  g_assert_nonnull (fleet_test_recorded_id (restarted, "app", "b"));
  g_assert_null (fleet_test_recorded_id (restarted, "app", "c"));
  g_assert_true (fleet_test_apply (restarted, NULL, FLEET_APPLY_FLAGS_RETRY_NOW, NULL, NULL));
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "create"), ==, 3);
  g_assert_cmpint (fleet_reconciler_get_phase (restarted), ==, FLEET_PHASE_RUNNING);
}

/* Shutdown while a pull takes its time: the pull is abandoned, not waited
 * for; nothing is marked Failed, the old container keeps running, and the
 * next start rolls the new version out. */
static void
test_shutdown_cancels_pull (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(FleetDocument) v2 = hello_doc (2, "v2", "hi", "SIGTERM", 10);
  g_autoptr(FleetReconciler) restarted = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *old_id = NULL;
  g_autofree char *stop_old = NULL;
  gboolean applied = FALSE;
  gboolean done = FALSE;
  const FleetDeploymentRecord *hello;
  FleetPhase phase;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  old_id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  fleet_fake_runtime_set_pull_hangs (f->runtime, "localhost/hello:v2", TRUE);
  fleet_fake_runtime_clear_calls (f->runtime);
  fleet_reconciler_apply_async (f->reconciler, v2, 0, NULL, on_applied_cancelled, &applied);
  while (fleet_fake_runtime_count_calls (f->runtime, "pull") == 0)
    g_main_context_iteration (NULL, TRUE);

  fleet_reconciler_shutdown_async (f->reconciler, NULL, on_shutdown, &done);
  fleet_test_wait (&done);
  fleet_test_wait (&applied);
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (f->runtime), ==, 0);
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, old_id)->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);
  hello = record (f, "hello");
  g_assert_cmpint (hello->phase, ==, FLEET_PHASE_PENDING);
  g_assert_null (hello->last_error);

  /* persisted as such: a restart carries on towards v2, by id, gracefully */
  fleet_fake_runtime_set_pull_hangs (f->runtime, "localhost/hello:v2", FALSE);
  restarted = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
  g_assert_true (fleet_reconciler_load_state (restarted, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fleet_reconciler_get_phase (restarted), ==, FLEET_PHASE_PENDING);
  g_assert_true (fleet_document_equal (fleet_reconciler_get_desired (restarted), v2));
  fleet_fake_runtime_clear_calls (f->runtime);
  /* fleetd's recovery pass */
  g_assert_true (fleet_test_apply (restarted, NULL, FLEET_APPLY_FLAGS_RETRY_NOW, &phase, &error));
  g_assert_no_error (error);
  g_assert_cmpint (phase, ==, FLEET_PHASE_RUNNING);
  stop_old = g_strdup_printf ("stop %s SIGTERM 10", old_id);
  g_assert_cmpint (call_index (f->runtime, "pull localhost/hello:v2"), <,
                   call_index (f->runtime, stop_old));
  g_assert_cmpint (call_index (f->runtime, stop_old), <,
                   call_index (f->runtime, "create hello_web localhost/hello:v2"));
}

#define TWO_DEPLOYMENTS_TMPL                                                               \
  "{\"generation\":%d,\"deployments\":{"                                                   \
  "\"fast\":{\"type\":\"PodmanV0\",\"data\":{\"services\":["                               \
  "{\"name\":\"web\",\"image\":\"localhost/fast:v1\"}]}},"                                 \
  "\"slow\":{\"type\":\"PodmanV0\",\"data\":{\"services\":["                               \
  "{\"name\":\"a\",\"image\":\"localhost/slow:%s\"},"                                      \
  "{\"name\":\"b\",\"image\":\"localhost/slow:%s\"}],"                                     \
  "\"lifecycle\":{\"grace_period_secs\":3600}}}}}"

static FleetDocument *
two_deployments_doc (int generation, const char *slow_version)
{
  g_autofree char *json = g_strdup_printf (TWO_DEPLOYMENTS_TMPL, generation, slow_version,
                                           slow_version);

  return fleet_test_document (json);
}

/* One deployment's rollout that takes its time (an hour's grace, a pull
 * that hangs) does not hold up the liveness of another: the other's dead
 * container is started again by the next tick, which completes. */
static void
test_deployments_do_not_wait (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = two_deployments_doc (1, "v1");
  g_autoptr(FleetDocument) v2 = two_deployments_doc (2, "v2");
  g_autofree char *fast_id = NULL;
  gboolean applied = FALSE, done = FALSE;
  FleetPhase phase;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  fast_id = g_strdup (fleet_test_recorded_id (f->reconciler, "fast", "web"));
  fleet_fake_runtime_set_pull_hangs (f->runtime, "localhost/slow:v2", TRUE);
  fleet_fake_runtime_clear_calls (f->runtime);
  fleet_reconciler_apply_async (f->reconciler, v2, 0, NULL, on_applied_cancelled, &applied);
  while (fleet_fake_runtime_count_calls (f->runtime, "pull") == 0)
    g_main_context_iteration (NULL, TRUE);

  fleet_fake_runtime_clear_calls (f->runtime);
  g_assert_true (fleet_fake_runtime_kill_container (f->runtime, fast_id, 137));
  g_assert_true (fleet_test_tick (f->reconciler, &phase, NULL));
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, fast_id)->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);
  g_assert_cmpuint (count_calls_matching (f->runtime, "start "), ==, 1);
  /* the slow deployment was left to its lane: nothing else asked of it */
  g_assert_cmpuint (count_calls_matching (f->runtime, "pull"), ==, 0);
  g_assert_cmpint (record (f, "slow")->phase, ==, FLEET_PHASE_PENDING);
  g_assert_false (applied);

  fleet_reconciler_shutdown_async (f->reconciler, NULL, on_shutdown, &done);
  fleet_test_wait (&done);
  fleet_test_wait (&applied);
}

#define INIT_JOB_DOC                                                                       \
  "{\"generation\":1,\"deployments\":{\"app\":{\"type\":\"PodmanV0\",\"data\":{"           \
  "\"services\":[{\"name\":\"web\",\"image\":\"localhost/web:v1\","                        \
  "\"depends_on\":{\"migrate\":{\"condition\":\"service_completed_successfully\"}}},"      \
  "{\"name\":\"migrate\",\"image\":\"localhost/migrate:v1\",\"restart\":\"no\"}]}}}}"

typedef struct
{
  gboolean done;
  gboolean ok;
  FleetPhase phase;
} Applied;

static void
on_applied_any (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Applied *applied = user_data;

  applied->ok = fleet_reconciler_apply_finish (FLEET_RECONCILER (source), result,
                                               &applied->phase, NULL);
  applied->done = TRUE;
}

/* Apply INIT_JOB_DOC and let the job exit with @exit_code once it was
 * started and is being waited for. */
static Applied
apply_init_job (Fixture *f, int exit_code)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (INIT_JOB_DOC);
  Applied applied = { 0, };
  g_autofree char *job = NULL;

  fleet_reconciler_apply_async (f->reconciler, doc, 0, NULL, on_applied_any, &applied);
  while (fleet_test_recorded_id (f->reconciler, "app", "migrate") == NULL)
    g_main_context_iteration (NULL, TRUE);
  job = g_strdup (fleet_test_recorded_id (f->reconciler, "app", "migrate"));
  /* the job runs; its dependant waits */
  fleet_test_sleep_ms (600);
  g_assert_false (applied.done);
  g_assert_cmpuint (count_calls_matching (f->runtime, "create app_web"), ==, 0);
  g_assert_true (fleet_fake_runtime_kill_container (f->runtime, job, exit_code));
  fleet_test_wait (&applied.done);
  return applied;
}

/* An init job runs to completion before the service that waits for it
 * starts, and is not run again by ticks or a restart of the agent. */
static void
test_init_job_before_dependant (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetReconciler) restarted = NULL;
  Applied applied = apply_init_job (f, 0);

  g_assert_true (applied.ok);
  g_assert_cmpint (applied.phase, ==, FLEET_PHASE_RUNNING);
  g_assert_cmpint (call_index (f->runtime, "create app_migrate localhost/migrate:v1"), <,
                   call_index (f->runtime, "create app_web localhost/web:v1"));
  g_assert_true (fleet_state_lookup_service (fleet_reconciler_get_state (f->reconciler), "app",
                                             "migrate")->completed);

  fleet_fake_runtime_clear_calls (f->runtime);
  for (guint i = 0; i < 3; i++)
    g_assert_true (fleet_test_tick (f->reconciler, NULL, NULL));
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (f->runtime), ==, 0);
  g_assert_cmpint (fleet_reconciler_get_phase (f->reconciler), ==, FLEET_PHASE_RUNNING);

  restarted = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
  g_assert_true (fleet_reconciler_load_state (restarted, NULL));
  g_assert_true (fleet_test_apply (restarted, NULL, FLEET_APPLY_FLAGS_RETRY_NOW, NULL, NULL));
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (f->runtime), ==, 0);
  g_assert_cmpint (fleet_reconciler_get_phase (restarted), ==, FLEET_PHASE_RUNNING);
}

/* A job that exits non-zero: the deployment is Failed with why, its
 * dependant is not started, and the retry runs the job again first. */
static void
test_init_job_fails (Fixture *f, gconstpointer data)
{
  Applied applied = apply_init_job (f, 3);
  const FleetDeploymentRecord *app = record (f, "app");
  gint64 deadline;

  g_assert_cmpint (applied.phase, ==, FLEET_PHASE_FAILED);
  g_assert_cmpint (app->phase, ==, FLEET_PHASE_FAILED);
  g_assert_nonnull (strstr (app->last_error, "job migrate exited with code 3"));
  g_assert_cmpuint (count_calls_matching (f->runtime, "create app_web"), ==, 0);

  /* the retry (after 10 ms here) creates the job anew and waits again */
  fleet_fake_runtime_clear_calls (f->runtime);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (count_calls_matching (f->runtime, "create app_migrate") == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  fleet_test_sleep_ms (300);
  g_assert_cmpuint (count_calls_matching (f->runtime, "create app_web"), ==, 0);
  g_assert_true (fleet_fake_runtime_kill_container (
    f->runtime, fleet_test_recorded_id (f->reconciler, "app", "migrate"), 0));
  while (fleet_reconciler_get_phase (f->reconciler) != FLEET_PHASE_RUNNING)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpuint (count_calls_matching (f->runtime, "create app_web"), ==, 1);
}

#define STOP_ORDER_DOC                                                                     \
  "{\"generation\":%d,\"deployments\":{\"%s\":{\"type\":\"PodmanV0\",\"data\":{"           \
  "\"services\":[{\"name\":\"a-db\",\"image\":\"localhost/db:v1\"},"                        \
  "{\"name\":\"m-api\",\"image\":\"localhost/api:v1\",\"depends_on\":[\"a-db\"]},"          \
  "{\"name\":\"z-web\",\"image\":\"localhost/web:v1\",\"depends_on\":[\"m-api\"]}]}}}}"

/* Where the stop of @service's recorded container is in the call log. */
static int
stop_index (Fixture *f, const char *service, const char *ids[3])
{
  g_autofree char *prefix = NULL;
  GPtrArray *calls = fleet_fake_runtime_get_calls (f->runtime);
  const char *names[] = { "a-db", "m-api", "z-web" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (names[i], service))
      prefix = g_strdup_printf ("stop %s ", ids[i]);
  g_assert_nonnull (prefix);
  for (guint i = 0; i < calls->len; i++)
    if (g_str_has_prefix (calls->pdata[i], prefix))
      return (int) i;
  g_assert_not_reached ();
}

/* A dropped deployment stops its dependants before their dependencies,
 * whatever the names' order. */
static void
test_dropped_stop_order (Fixture *f, gconstpointer data)
{
  g_autofree char *v1 = g_strdup_printf (STOP_ORDER_DOC, 1, "shop");
  g_autofree char *v2 = g_strdup_printf (STOP_ORDER_DOC, 2, "till");
  g_autoptr(FleetDocument) shop = fleet_test_document (v1);
  g_autoptr(FleetDocument) till = fleet_test_document (v2);
  g_autofree char *db = NULL, *api = NULL, *web = NULL;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, shop), ==, FLEET_PHASE_RUNNING);
  db = g_strdup (fleet_test_recorded_id (f->reconciler, "shop", "a-db"));
  api = g_strdup (fleet_test_recorded_id (f->reconciler, "shop", "m-api"));
  web = g_strdup (fleet_test_recorded_id (f->reconciler, "shop", "z-web"));
  fleet_fake_runtime_clear_calls (f->runtime);
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, till), ==, FLEET_PHASE_RUNNING);
  {
    const char *ids[3] = { db, api, web };

    g_assert_cmpint (stop_index (f, "z-web", ids), <,
                     stop_index (f, "m-api", ids));
    g_assert_cmpint (stop_index (f, "m-api", ids), <,
                     stop_index (f, "a-db", ids));
  }
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/reconciler/deployments-do-not-wait", test_deployments_do_not_wait);
  ADD ("/reconciler/init-job-before-dependant", test_init_job_before_dependant);
  ADD ("/reconciler/init-job-fails", test_init_job_fails);
  ADD ("/reconciler/dropped-stop-order", test_dropped_stop_order);
  ADD ("/reconciler/shutdown-mid-pass", test_shutdown_mid_pass);
  ADD ("/reconciler/shutdown-cancels-pull", test_shutdown_cancels_pull);
#undef ADD

  return g_test_run ();
}
