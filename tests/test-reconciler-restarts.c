/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-reconciler-restarts.c: the runtime's own restarts and fleet's
 * crash-loop backoff, through the reconciler over the fake runtime: a
 * restart by the runtime's policy is counted and left alone; one sooner
 * than the backoff allows stops the container until the backoff is over,
 * when the liveness pass starts the same container again.
 */
#include "config.h"

#include "fleet-reconciler-fixture.h"

static guint
count_call (FleetFakeRuntime *runtime, const char *verb, const char *id)
{
  g_autofree char *call = g_strdup_printf ("%s %s", verb, id);

  return count_calls_matching (runtime, call);
}

static void
test_runtime_restarts_throttled (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  gint64 deadline;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, doc), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  /* the first pass notes the count the container has */
  g_assert_true (fleet_test_tick (f->reconciler, NULL, &error));
  fleet_fake_runtime_clear_calls (f->runtime);

  /* one crash, restarted by the runtime: counted, left running */
  g_assert_true (fleet_fake_runtime_restart_by_policy (f->runtime, id));
  g_assert_true (fleet_test_tick (f->reconciler, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_call (f->runtime, "stop", id), ==, 0);
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, id)->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);

  /* another at once, sooner than the backoff's second: held stopped */
  g_assert_true (fleet_fake_runtime_restart_by_policy (f->runtime, id));
  g_assert_true (fleet_test_tick (f->reconciler, NULL, &error));
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (fleet_fake_runtime_lookup (f->runtime, id)->state == FLEET_CONTAINER_STATE_RUNNING)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpuint (count_call (f->runtime, "stop", id), ==, 1);
  g_assert_cmpuint (count_call (f->runtime, "start", id), ==, 0);

  /* liveness ticks leave it stopped until the backoff is over; then the
   * same container runs again */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (fleet_fake_runtime_lookup (f->runtime, id)->state != FLEET_CONTAINER_STATE_RUNNING)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_assert_true (fleet_test_tick (f->reconciler, NULL, NULL));
      fleet_test_sleep_ms (100);
    }
  g_assert_cmpuint (count_call (f->runtime, "start", id), ==, 1);
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "hello", "web"), ==, id);
  g_assert_cmpuint (count_calls_matching (f->runtime, "create"), ==, 0);
}

/* A crash the pass finds exited, and whose restart by the runtime lands
 * just before fleet's own start (podman's cleanup winning the race): one
 * restart, counted once, as the runtime's, so the backoff stays at its
 * first step and another crash after it is left to the runtime. */
static void
test_runtime_restart_counted_once (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  guint by_fleet = fleet_test_count_log_action ("restarted");
  guint by_runtime = fleet_test_count_log_action ("restarted-by-runtime");
  FleetPhase phase;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, doc), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  g_assert_true (fleet_test_tick (f->reconciler, NULL, &error));
  g_assert_no_error (error);

  g_assert_true (fleet_fake_runtime_restart_by_policy_late (f->runtime, id));
  g_assert_true (fleet_test_tick (f->reconciler, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, id)->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);
  g_assert_cmpuint (fleet_fake_runtime_lookup (f->runtime, id)->restart_count, ==, 1);
  /* fleet's start found it running: not a restart of fleet's */
  g_assert_cmpuint (fleet_test_count_log_action ("restarted"), ==, by_fleet);
  /* the next pass counts the runtime's, and finds the deployment up */
  g_assert_true (fleet_test_tick (f->reconciler, &phase, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fleet_test_count_log_action ("restarted-by-runtime"), ==, by_runtime + 1);
  g_assert_cmpint (phase, ==, FLEET_PHASE_RUNNING);

  /* one count is a backoff of a second: past it, a crash is not throttled
   * (two counts would hold it stopped for two) */
  fleet_test_sleep_ms (1300);
  fleet_fake_runtime_clear_calls (f->runtime);
  g_assert_true (fleet_fake_runtime_restart_by_policy (f->runtime, id));
  g_assert_true (fleet_test_tick (f->reconciler, NULL, &error));
  g_assert_no_error (error);
  fleet_test_sleep_ms (50);
  g_assert_cmpuint (count_call (f->runtime, "stop", id), ==, 0);
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, id)->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);
  g_assert_cmpuint (fleet_test_count_log_action ("restarted-by-runtime"), ==, by_runtime + 2);
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/reconciler/restarts/runtime-restarts-throttled", test_runtime_restarts_throttled);
  ADD ("/reconciler/restarts/runtime-restart-counted-once", test_runtime_restart_counted_once);
  return g_test_run ();
}
