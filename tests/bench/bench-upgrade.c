/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-upgrade.c: what an upgrade costs the agent as the device grows,
 * with the state persisted as fleetd persists it (fake runtime, so only
 * the agent's own work is measured), and what a cold start with persisted
 * state costs the runtime.  Run by `make bench`, not `make check`.
 *
 * Targets (issue 8): the per-service cost of upgrading 1000 services is at
 * most 1.5 times that of 100 services (a pass is linear), and a cold start
 * with persisted state asks the runtime for one list.
 */
#include "config.h"

#include "fleet-test-utils.h"

#define TARGET_RATIO 1.5

static GString *
make_document (guint n, int generation, const char *tag)
{
  GString *json = g_string_new (NULL);

  g_string_append_printf (json, "{\"generation\":%d,\"deployments\":{\"app\":{\"type\":"
                          "\"PodmanV0\",\"data\":{\"services\":[", generation);
  for (guint s = 0; s < n; s++)
    g_string_append_printf (json,
                            "%s{\"name\":\"s%u\",\"image\":\"localhost/app:%s\","
                            "\"env\":{\"INDEX\":\"%u\"},\"ports\":[\"127.0.0.1:%u:8080\"]}",
                            s ? "," : "", s, tag, s, 10000 + s);
  g_string_append (json, "]}}}}");
  return json;
}

static FleetDocument *
document (guint n, int generation, const char *tag)
{
  g_autoptr(GString) json = make_document (n, generation, tag);

  return fleet_test_document (json->str);
}

/* Returns: milliseconds per service of upgrading @n services, best of @runs */
static double
upgrade_per_service (guint n, guint runs)
{
  double best = G_MAXDOUBLE;

  for (guint run = 0; run < runs; run++)
    {
      g_autofree char *dir = fleet_test_make_tmpdir ();
      g_autoptr(FleetFakeRuntime) runtime = fleet_fake_runtime_new ();
      g_autoptr(FleetReconciler) reconciler =
        fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (runtime), dir);
      g_autoptr(FleetDocument) v1 = document (n, 1, "v1");
      g_autoptr(FleetDocument) v2 = document (n, 2, "v2");
      gint64 start;
      double ms;

      if (fleet_test_apply_ok (reconciler, v1) != FLEET_PHASE_RUNNING)
        g_error ("v1 did not converge");
      start = g_get_monotonic_time ();
      if (fleet_test_apply_ok (reconciler, v2) != FLEET_PHASE_RUNNING)
        g_error ("v2 did not converge");
      ms = (g_get_monotonic_time () - start) / 1000.0;
      g_assert_cmpuint (fleet_fake_runtime_count_calls (runtime, "stop"), ==, n);
      best = MIN (best, ms / n);
      g_clear_object (&reconciler);
      fleet_test_rm_rf (dir);
    }
  return best;
}

typedef struct
{
  guint pending;
} Waiting;

static void
on_applied (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Waiting *waiting = user_data;

  if (!fleet_reconciler_apply_finish (FLEET_RECONCILER (source), result, NULL, NULL))
    g_error ("apply failed");
  waiting->pending--;
}

/* fleetd's start: the recovery pass from the persisted state, and the
 * first fetch bringing the same document while that pass runs. */
static guint
cold_start_lists (guint n)
{
  g_autofree char *dir = fleet_test_make_tmpdir ();
  g_autoptr(FleetFakeRuntime) runtime = fleet_fake_runtime_new ();
  g_autoptr(FleetReconciler) before =
    fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (runtime), dir);
  g_autoptr(FleetReconciler) after = NULL;
  g_autoptr(FleetDocument) v1 = document (n, 1, "v1");
  g_autoptr(FleetDocument) fetched = document (n, 1, "v1");
  Waiting waiting = { 2 };
  guint lists;

  if (fleet_test_apply_ok (before, v1) != FLEET_PHASE_RUNNING)
    g_error ("v1 did not converge");
  g_clear_object (&before);

  after = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (runtime), dir);
  if (!fleet_reconciler_load_state (after, NULL))
    g_error ("state not loaded");
  fleet_fake_runtime_clear_calls (runtime);
  fleet_reconciler_apply_async (after, NULL, FLEET_APPLY_FLAGS_RETRY_NOW, NULL, on_applied,
                                &waiting);
  /* the pass has started and asked for the list when the fetch is done */
  g_main_context_iteration (NULL, FALSE);
  fleet_reconciler_apply_async (after, fetched, 0, NULL, on_applied, &waiting);
  while (waiting.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  lists = fleet_fake_runtime_count_calls (runtime, "list");
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (runtime), ==, 0);
  g_clear_object (&after);
  fleet_test_rm_rf (dir);
  return lists;
}

int
main (int argc, char **argv)
{
  double small, large, ratio;
  guint lists;

  fleet_test_init (&argc, &argv);

  g_print ("Upgrade of every service, state persisted (fake runtime; best of 3)\n");
  small = upgrade_per_service (100, 3);
  g_print ("  %5u services: %8.3f ms per service\n", 100, small);
  large = upgrade_per_service (1000, 3);
  g_print ("  %5u services: %8.3f ms per service\n", 1000, large);
  ratio = large / small;
  g_print ("  ratio 1000/100: %.2f (target <= %.1f: %s)\n", ratio, TARGET_RATIO,
           ratio <= TARGET_RATIO ? "met" : "NOT MET");

  lists = cold_start_lists (100);
  g_print ("Cold start with persisted state (100 services): %u list request%s to the runtime "
           "(target 1: %s)\n",
           lists, lists == 1 ? "" : "s", lists == 1 ? "met" : "NOT MET");
  return 0;
}
