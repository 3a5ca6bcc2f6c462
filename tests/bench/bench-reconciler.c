/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-reconciler.c: what the agent's own work costs, without a container
 * runtime in the way (the fake runtime answers at once): parsing and
 * validating documents up to the contract's limits, applying them, an idle
 * liveness tick over many services, a no-op re-apply, and a dry-run plan.
 * Run by `make bench`, not `make check`; it prints figures.
 */
#include "config.h"

#include "fleet-test-utils.h"

static const guint sizes[] = { 1, 64, 256, 1024 };

/* A document of @n services spread over up to 256 deployments, each with
 * env, ports and volumes, as a device would have. */
static GString *
make_document (guint n, int generation, const char *tag)
{
  GString *json = g_string_new (NULL);
  guint per_deployment = MAX (1, (n + 255) / 256);
  guint made = 0;

  g_string_append_printf (json, "{\"generation\":%d,\"deployments\":{", generation);
  for (guint d = 0; made < n; d++)
    {
      g_string_append_printf (json, "%s\"d%u\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[",
                              d ? "," : "", d);
      for (guint s = 0; s < per_deployment && made < n; s++, made++)
        g_string_append_printf (
          json,
          "%s{\"name\":\"s%u\",\"image\":\"localhost/app:%s\",\"command\":[\"/bin/app\","
          "\"--serve\"],\"env\":{\"INDEX\":\"%u\",\"MODE\":\"prod\",\"GREETING\":\"hello\"},"
          "\"ports\":[\"127.0.0.1:%u:8080\"],\"volumes\":[\"/srv/d%u-s%u:/data:ro\","
          "\"cache-%u:/cache\"]}",
          s ? "," : "", s, tag, made, 10000 + made, d, s, made);
      g_string_append (json, "],\"lifecycle\":{\"grace_period_secs\":10}}}");
    }
  g_string_append (json, "}}");
  return json;
}

static double
msecs_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

static void
bench_size (guint n)
{
  g_autoptr(GString) v1 = make_document (n, 1, "v1");
  g_autoptr(GString) v2 = make_document (n, 2, "v2");
  g_autoptr(FleetFakeRuntime) runtime = fleet_fake_runtime_new ();
  g_autoptr(FleetReconciler) reconciler =
    fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (runtime), NULL);
  g_autoptr(FleetDocument) doc1 = NULL;
  g_autoptr(FleetDocument) doc2 = NULL;
  g_autoptr(FleetDocument) again = NULL;
  g_autoptr(FleetPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  const guint ticks = 20;
  double parse_ms, apply_ms, tick_ms, noop_ms, plan_ms, upgrade_ms, requests_per_tick;
  gint64 start;

  start = g_get_monotonic_time ();
  doc1 = fleet_document_new_from_data (v1->str, v1->len, NULL, &error);
  parse_ms = msecs_since (start);
  g_assert_no_error (error);
  doc2 = fleet_document_new_from_data (v2->str, v2->len, NULL, &error);
  g_assert_no_error (error);

  start = g_get_monotonic_time ();
  if (fleet_test_apply_ok (reconciler, doc1) != FLEET_PHASE_RUNNING)
    g_error ("did not converge");
  apply_ms = msecs_since (start);

  fleet_fake_runtime_clear_calls (runtime);
  start = g_get_monotonic_time ();
  for (guint i = 0; i < ticks; i++)
    fleet_test_tick (reconciler, NULL, NULL);
  tick_ms = msecs_since (start) / ticks;
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (runtime), ==, 0);
  requests_per_tick = fleet_fake_runtime_get_calls (runtime)->len / (double) ticks;

  again = fleet_document_new_from_data (v1->str, v1->len, NULL, &error);
  start = g_get_monotonic_time ();
  fleet_test_apply_ok (reconciler, again);
  noop_ms = msecs_since (start);

  start = g_get_monotonic_time ();
  plan = fleet_reconciler_plan (reconciler, doc2);
  plan_ms = msecs_since (start);

  fleet_fake_runtime_clear_calls (runtime);
  start = g_get_monotonic_time ();
  if (fleet_test_apply_ok (reconciler, doc2) != FLEET_PHASE_RUNNING)
    g_error ("did not converge");
  upgrade_ms = msecs_since (start);
  /* every service was replaced, gracefully */
  g_assert_cmpuint (fleet_fake_runtime_count_calls (runtime, "stop"), ==, n);
  g_assert_cmpuint (fleet_fake_runtime_count_calls (runtime, "create"), ==, n);

  g_print ("%8u %9.1f %9.2f %9.2f %9.2f %9.3f %9.2f %9.2f %9.2f\n", n, v1->len / 1024.0,
           parse_ms, apply_ms, upgrade_ms, tick_ms, noop_ms, plan_ms, requests_per_tick);
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);

  g_print ("Reconciler over the fake runtime (times in ms; tick = mean of 20 idle ticks)\n");
  g_print ("%8s %9s %9s %9s %9s %9s %9s %9s %9s\n", "services", "doc KiB", "parse", "apply",
           "upgrade", "tick", "re-apply", "plan", "req/tick");
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    bench_size (sizes[i]);
  return 0;
}
