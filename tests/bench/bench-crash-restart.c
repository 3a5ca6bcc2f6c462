/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-crash-restart.c: how long a crashed container takes to run again,
 * fleet's against podman's own --restart=always, in the same run.
 *
 * On a private podman (as in the tests), ROUNDS services of one fleet
 * deployment and ROUNDS identical containers created by `podman run
 * --restart=always` are each SIGKILLed once (once each, so that no crash
 * loop backoff is involved), alternately; the time from the kill to the
 * container running again with a new process is taken by polling podman's
 * inspect, while the agent's main loop runs.  Printed: the median of each,
 * their ratio (the target: within 1.2), and how many crashes fleet had to
 * restart itself (none, when podman's policy restarts them all).  Fifteen
 * rounds: with seven, the ratio of one run to the next spread from 0.9 to
 * 1.25 on the same build.  Run by `make bench`.
 */
#include "config.h"

#include <signal.h>

#include "fleet-podman-harness.h"
#include "fleet-test-utils.h"

#define ROUNDS 15
#define POLL_USECS 2000

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return (x > y) - (x < y);
}

/* @id's process, and whether it runs; 0 when podman cannot say just now
 * (its inspect fails now and then while its cleanup process restarts the
 * container). */
static gint64
pid_of (FleetPodmanHarness *h, const char *id, gboolean *out_running)
{
  g_autofree char *path = g_strdup_printf ("/containers/%s/json", id);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  guint status = 0;
  g_autoptr(GBytes) body = fleet_podman_harness_request (h, "GET", path, &status, &error);
  JsonObject *state;

  *out_running = FALSE;
  g_assert_no_error (error);
  if (status != 200)
    {
      g_printerr ("bench-crash-restart: inspect %.12s: %u %.*s\n", id, status,
                  (int)g_bytes_get_size (body), (const char *)g_bytes_get_data (body, NULL));
      return 0;
    }
  json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                              (gssize)g_bytes_get_size (body), &error);
  g_assert_no_error (error);
  state = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                         "State");
  *out_running = g_strcmp0 (json_object_get_string_member (state, "Status"), "running") == 0;
  return json_object_get_int_member (state, "Pid");
}

/* Kill @id's process; the milliseconds until it runs again, anew. */
static double
crash_to_running (FleetPodmanHarness *h, const char *id)
{
  gboolean running = FALSE;
  gint64 pid = pid_of (h, id, &running);
  gint64 start, deadline;

  if (!running || pid <= 1)
    g_error ("%s is not running", id);
  start = g_get_monotonic_time ();
  if (kill ((pid_t)pid, SIGKILL) != 0)
    g_error ("kill %" G_GINT64_FORMAT ": %s", pid, g_strerror (errno));
  deadline = start + 30 * G_USEC_PER_SEC;
  for (;;)
    {
      gint64 now_pid;

      while (g_main_context_iteration (NULL, FALSE))
        ;
      now_pid = pid_of (h, id, &running);
      if (running && now_pid > 1 && now_pid != pid)
        return (g_get_monotonic_time () - start) / 1000.0;
      if (g_get_monotonic_time () > deadline)
        g_error ("%s did not run again within 30 s", id);
      g_usleep (POLL_USECS);
    }
}

static FleetDocument *
bench_doc (void)
{
  g_autoptr(GString) json = g_string_new (
      "{\"generation\":1,\"deployments\":{\"bench\":{\"type\":\"PodmanV0\",\"data\":{"
      "\"services\":[");

  for (guint i = 0; i < ROUNDS; i++)
    g_string_append_printf (json, "%s{\"name\":\"s%u\",\"image\":\"localhost/fleet-test:v1\"}",
                            i ? "," : "", i);
  g_string_append (json, "],\"lifecycle\":{\"grace_period_secs\":1}}}}}");
  return fleet_test_document (json->str);
}

static char *
podman_own (FleetPodmanHarness *h, guint i)
{
  g_autofree char *name = g_strdup_printf ("own%u", i);
  g_autoptr(GError) error = NULL;
  char *out = NULL;

  if (!fleet_podman_harness_podman (h, &out, &error, "run", "-d", "--restart=always", "--name",
                                    name, "localhost/fleet-test:v1", NULL))
    g_error ("podman run: %s", error->message);
  return g_strstrip (out);
}

/* Liveness starts of fleet's own ("restarted"): none, when podman's policy
 * restarts every crash. */
static guint fleet_restarts;

static GLogWriterOutput
quiet_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "FLEET_ACTION") && fields[i].length < 0
        && g_str_equal (fields[i].value, "restarted"))
      fleet_restarts++;
  if ((level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG)) != 0)
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_standard_streams (level, fields, n_fields, user_data);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetPodmanRuntime) runtime = NULL;
  g_autoptr(FleetReconciler) reconciler = NULL;
  g_autoptr(FleetDocument) doc = NULL;
  double fleet_ms[ROUNDS], own_ms[ROUNDS];
  FleetPodmanHarness *h;

  g_log_set_writer_func (quiet_writer, NULL, NULL);
  h = fleet_podman_harness_get (&error);
  if (h == NULL)
    {
      g_printerr ("bench-crash-restart: cannot run podman: %s\n", error->message);
      return 1;
    }
  runtime = fleet_podman_runtime_new (fleet_podman_harness_get_socket (h));
  reconciler = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (runtime), NULL);
  doc = bench_doc ();
  if (fleet_test_apply_ok (reconciler, doc) != FLEET_PHASE_RUNNING)
    g_error ("the document did not converge");
  for (guint i = 0; i < ROUNDS; i++)
    {
      g_autofree char *service = g_strdup_printf ("s%u", i);
      g_autofree char *fleet_id
          = g_strdup (fleet_test_recorded_id (reconciler, "bench", service));
      g_autofree char *own_id = podman_own (h, i);

      fleet_podman_harness_wait_for_signal_handlers (h, own_id);
      /* alternately first, so that neither always follows the other */
      if (i % 2 == 0)
        {
          fleet_ms[i] = crash_to_running (h, fleet_id);
          own_ms[i] = crash_to_running (h, own_id);
        }
      else
        {
          own_ms[i] = crash_to_running (h, own_id);
          fleet_ms[i] = crash_to_running (h, fleet_id);
        }
    }
  qsort (fleet_ms, ROUNDS, sizeof (double), compare_doubles);
  qsort (own_ms, ROUNDS, sizeof (double), compare_doubles);
  g_print ("bench-crash-restart: SIGKILL to running again, %d crashes each (median, min..max)\n",
           ROUNDS);
  g_print ("  fleet service:              %8.1f ms  (%.1f..%.1f)\n", fleet_ms[ROUNDS / 2],
           fleet_ms[0], fleet_ms[ROUNDS - 1]);
  g_print ("  podman --restart=always:    %8.1f ms  (%.1f..%.1f)\n", own_ms[ROUNDS / 2], own_ms[0],
           own_ms[ROUNDS - 1]);
  g_print ("  ratio fleet/podman:         %8.2f  (target: at most 1.20)\n",
           fleet_ms[ROUNDS / 2] / own_ms[ROUNDS / 2]);
  g_print ("  restarts fleet made itself:  %8u\n", fleet_restarts);
  g_clear_object (&reconciler);
  g_clear_object (&runtime);
  fleet_podman_harness_shutdown ();
  return 0;
}
