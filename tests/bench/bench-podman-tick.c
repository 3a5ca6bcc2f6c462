/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-podman-tick.c: what an idle liveness tick costs with real podman.
 *
 * For 1, 10 and 50 real containers (a private podman, as in the tests), the
 * reconciler is ticked 20 times with nothing to do; printed are the HTTP
 * requests each tick sent (the promise: exactly one, whatever the number of
 * containers) and the time per tick.  Run by `make bench`, not `make check`.
 */
#include "config.h"

#include "fleet-podman-harness.h"
#include "fleet-test-utils.h"

#define TICKS 20

static const guint sizes[] = { 1, 10, 50 };

static FleetDocument *
bench_doc (int generation, guint n_services)
{
  g_autoptr(GString) json = g_string_new (NULL);

  g_string_append_printf (json,
                          "{\"generation\":%d,\"deployments\":{\"bench\":{\"type\":\"PodmanV0\","
                          "\"data\":{\"services\":[",
                          generation);
  for (guint i = 0; i < n_services; i++)
    g_string_append_printf (json,
                            "%s{\"name\":\"s%u\",\"image\":\"localhost/fleet-test:v1\","
                            "\"env\":{\"INDEX\":\"%u\"}}",
                            i ? "," : "", i, i);
  g_string_append (json, "],\"lifecycle\":{\"grace_period_secs\":2}}}}}");
  return fleet_test_document (json->str);
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return (x > y) - (x < y);
}

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC;
}

static void
apply_or_die (FleetReconciler *reconciler, FleetDocument *doc)
{
  if (fleet_test_apply_ok (reconciler, doc) != FLEET_PHASE_RUNNING)
    g_error ("the document did not converge");
}

static void
bench_size (FleetReconciler *reconciler, FleetPodmanRuntime *runtime, guint n, int generation)
{
  g_autoptr(FleetDocument) doc = bench_doc (generation, n);
  g_autoptr(FleetDocument) empty = NULL;
  double ms[TICKS], sum = 0, start_secs;
  guint64 min_requests = G_MAXUINT64, max_requests = 0;
  gint64 start = g_get_monotonic_time ();
  g_autofree char *empty_json = NULL;
  g_autofree char *requests_range = NULL;

  apply_or_die (reconciler, doc);
  start_secs = seconds_since (start);
  fleet_test_tick (reconciler, NULL, NULL); /* warm the connection */

  for (guint i = 0; i < TICKS; i++)
    {
      guint64 before = fleet_podman_runtime_get_request_count (runtime);
      gint64 t0 = g_get_monotonic_time ();
      FleetPhase phase = FLEET_PHASE_PENDING;
      guint64 requests;

      if (!fleet_test_tick (reconciler, &phase, NULL) || phase != FLEET_PHASE_RUNNING)
        g_error ("tick %u with %u containers did not leave everything running", i, n);
      ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
      requests = fleet_podman_runtime_get_request_count (runtime) - before;
      min_requests = MIN (min_requests, requests);
      max_requests = MAX (max_requests, requests);
      sum += ms[i];
    }
  qsort (ms, TICKS, sizeof ms[0], compare_doubles);

  empty_json = g_strdup_printf ("{\"generation\":%d,\"deployments\":{}}", generation + 1);
  empty = fleet_test_document (empty_json);
  start = g_get_monotonic_time ();
  apply_or_die (reconciler, empty);

  requests_range
      = g_strdup_printf ("%" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT, min_requests, max_requests);
  g_print ("%10u  %13s %8.2f %8.2f %8.2f %10.1fs %10.1fs\n", n, requests_range, sum / TICKS,
           ms[TICKS / 2], ms[TICKS - 1], start_secs, seconds_since (start));
}

/* Figures only: the agent's action log and GLib's debug chatter go. */
static GLogWriterOutput
quiet_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  if ((level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG)) != 0)
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_standard_streams (level, fields, n_fields, user_data);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  FleetPodmanHarness *h;
  g_autoptr(FleetPodmanRuntime) runtime = NULL;
  g_autoptr(FleetReconciler) reconciler = NULL;

  g_log_set_writer_func (quiet_writer, NULL, NULL);
  h = fleet_podman_harness_get (&error);
  if (h == NULL)
    {
      g_printerr ("bench-podman-tick: cannot run podman: %s\n", error->message);
      return 1;
    }
  runtime = fleet_podman_runtime_new (fleet_podman_harness_get_socket (h));
  reconciler = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (runtime), NULL);

  g_print ("bench-podman-tick: idle liveness ticks against a private podman, %d ticks per size\n",
           TICKS);
  g_print ("%10s  %13s %8s %8s %8s %11s %11s\n", "containers", "requests/tick", "mean ms", "p50 ms",
           "max ms", "start all", "stop all");
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    bench_size (reconciler, runtime, sizes[i], (int)(2 * i + 1));

  g_clear_object (&reconciler);
  g_clear_object (&runtime);
  fleet_podman_harness_shutdown ();
  return 0;
}
