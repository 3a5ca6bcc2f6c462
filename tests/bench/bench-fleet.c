/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-fleet.c: a fleet of simulated devices, one rollout, two ways.
 * Run by `make bench-fleet`, not `make check` nor `make bench`.
 *
 * FLEET_BENCH_DEVICES (default 1000) fleetd processes run with the fake
 * runtime, each with its own device id, state directory and connection.
 * First they watch one local nats-server (JetStream key-value bucket): every
 * device's document is replaced by a new generation, and the time from each
 * put until the device's status in the status bucket says that generation
 * is Running is collected (p50, p99, max), with nats-server's CPU time and
 * memory, and fleetd's memory per device (RSS, and PSS, which shares the
 * libraries out).  Then the same fleet polls one local HTTP server with
 * ETags every 30 s (FLEET_BENCH_POLL_SECS), PUTting its status to it, and
 * the same rollout is timed from the moment the server has the new
 * documents.
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <nats/nats.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "bench-fleet.h"
#include "fleet-test-nats.h"
#include "fleet-test-utils.h"

#define BUCKET "desired"
#define STATUS_BUCKET "fleet-status"
#define SPAWN_BATCH 50

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

char *
bench_device_id (guint i)
{
  return g_strdup_printf ("dev-%05u", i);
}

char *
bench_document (int generation)
{
  return g_strdup_printf ("{\"generation\":%d,\"deployments\":{\"app\":{\"type\":\"PodmanV0\","
                          "\"data\":{\"services\":[{\"name\":\"web\",\"image\":"
                          "\"localhost/app:v%d\"}]}}}}",
                          generation, generation);
}

/* Note a status document: the device's latency once it is Running at the
 * generation waited for. */
void
bench_note_status (BenchFleet *fleet, const char *device_id, const char *json, gsize length)
{
  g_autoptr(JsonNode) node = NULL;
  JsonObject *status;
  guint64 index;

  if (!g_str_has_prefix (device_id, "dev-")
      || !g_ascii_string_to_unsigned (device_id + 4, 10, 0, fleet->n - 1, &index, NULL))
    return;
  node = json_from_string (json, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node) || fleet->running_at[index] != 0)
    return;
  status = json_node_get_object (node);
  if (json_object_get_int_member_with_default (status, "generation", -1) != fleet->generation
      || g_strcmp0 (json_object_get_string_member_with_default (status, "phase", ""), "Running")
           != 0)
    return;
  fleet->running_at[index] = g_get_monotonic_time ();
  fleet->n_running++;
}

void
bench_fleet_expect (BenchFleet *fleet, int generation)
{
  fleet->generation = generation;
  fleet->n_running = 0;
  memset (fleet->running_at, 0, fleet->n * sizeof (gint64));
  memset (fleet->published_at, 0, fleet->n * sizeof (gint64));
}

/* Spawning. */

static void
spawn (BenchFleet *fleet, guint i, const char *source, const char *status_url)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (
    G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autofree char *id = bench_device_id (i);
  g_autofree char *state = g_strdup_printf ("%s/state-%u", fleet->dir, i);
  const char *const fixed[] = { fleet->fleetd, "--config", fleet->config, "--runtime", "fake",
                                "--bus", "none", "--device-id", id, "--state-dir", state,
                                "--source", source, "--tick-interval", "3600",
                                "--poll-interval", fleet->poll_secs };
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_subprocess_launcher_unsetenv (launcher, "NOTIFY_SOCKET");
  fleet_test_rm_rf (state);
  for (guint k = 0; k < G_N_ELEMENTS (fixed); k++)
    g_ptr_array_add (argv, (gpointer) fixed[k]);
  if (status_url != NULL)
    {
      g_ptr_array_add (argv, "--status-url");
      g_ptr_array_add (argv, (gpointer) status_url);
    }
  g_ptr_array_add (argv, NULL);
  fleet->processes[i] = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata,
                                                      &error);
  g_assert_no_error (error);
}

/* Start the fleet, a batch at a time (as devices boot, not all in one
 * instant), letting @pump run between batches. */
void
bench_fleet_spawn (BenchFleet *fleet, const char *source, const char *status_url,
                   BenchPumpFunc pump, gpointer pump_data)
{
  for (guint i = 0; i < fleet->n; i++)
    {
      spawn (fleet, i, source, status_url);
      if (i % SPAWN_BATCH == SPAWN_BATCH - 1)
        pump (fleet, 50, pump_data);
    }
}

void
bench_fleet_stop (BenchFleet *fleet)
{
  for (guint i = 0; i < fleet->n; i++)
    if (fleet->processes[i] != NULL)
      g_subprocess_send_signal (fleet->processes[i], SIGTERM);
  for (guint i = 0; i < fleet->n; i++)
    if (fleet->processes[i] != NULL)
      {
        g_subprocess_wait (fleet->processes[i], NULL, NULL);
        g_clear_object (&fleet->processes[i]);
      }
}

/* Until every device is Running at the expected generation, or @timeout_secs. */
gboolean
bench_fleet_wait_running (BenchFleet *fleet, guint timeout_secs, BenchPumpFunc pump,
                          gpointer pump_data)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_secs * G_TIME_SPAN_SECOND;

  while (fleet->n_running < fleet->n && g_get_monotonic_time () < deadline)
    pump (fleet, 200, pump_data);
  if (fleet->n_running < fleet->n)
    g_print ("  only %u of %u devices were Running at generation %d after %u s\n",
             fleet->n_running, fleet->n, fleet->generation, timeout_secs);
  return fleet->n_running == fleet->n;
}

/* Figures. */

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

void
bench_fleet_print_latency (BenchFleet *fleet, const char *label)
{
  g_autoptr(GArray) ms = g_array_new (FALSE, FALSE, sizeof (double));
  double p50, p99, max;

  for (guint i = 0; i < fleet->n; i++)
    if (fleet->running_at[i] != 0 && fleet->published_at[i] != 0)
      {
        double value = (fleet->running_at[i] - fleet->published_at[i]) / 1000.0;

        g_array_append_val (ms, value);
      }
  if (ms->len == 0)
    {
      g_print ("  %s: no device reached the new generation\n", label);
      return;
    }
  g_array_sort (ms, compare_doubles);
  p50 = g_array_index (ms, double, ms->len / 2);
  p99 = g_array_index (ms, double, MIN (ms->len - 1, (ms->len * 99) / 100));
  max = g_array_index (ms, double, ms->len - 1);
  g_print ("  %s: publish to Running over %u devices: p50 %.0f ms, p99 %.0f ms, max %.0f ms\n",
           label, ms->len, p50, p99, max);
}

static guint64
read_status_kib (guint pid, const char *file, const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%u/%s", pid, file);
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (line = strstr (text, field)) == NULL)
    return 0;
  return g_ascii_strtoull (line + strlen (field), NULL, 10);
}

/* Seconds of CPU (user + system) a process used so far. */
double
bench_process_cpu_secs (guint pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%u/stat", pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (after = strrchr (text, ')')) == NULL)
    return 0;
  fields = g_strsplit (after + 2, " ", -1);
  if (g_strv_length (fields) < 13)
    return 0;
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL))
         / sysconf (_SC_CLK_TCK);
}

guint64
bench_process_rss_kib (guint pid)
{
  return read_status_kib (pid, "status", "VmRSS:");
}

void
bench_fleet_print_memory (BenchFleet *fleet, const char *label)
{
  guint64 rss = 0, pss = 0;
  guint n = 0;

  for (guint i = 0; i < fleet->n; i++)
    {
      const char *id = fleet->processes[i] ? g_subprocess_get_identifier (fleet->processes[i])
                                           : NULL;
      guint64 pid;

      if (id == NULL || !g_ascii_string_to_unsigned (id, 10, 1, G_MAXUINT, &pid, NULL))
        continue;
      rss += read_status_kib ((guint) pid, "status", "VmRSS:");
      pss += read_status_kib ((guint) pid, "smaps_rollup", "Pss:");
      n++;
    }
  if (n > 0)
    g_print ("  %s: fleetd memory per device: RSS %.1f MiB, PSS %.1f MiB (%u processes)\n", label,
             rss / 1024.0 / n, pss / 1024.0 / n, n);
}

static guint
env_uint (const char *name, guint fallback)
{
  const char *value = g_getenv (name);
  guint64 number;

  if (value && g_ascii_string_to_unsigned (value, 10, 1, G_MAXUINT, &number, NULL))
    return (guint) number;
  return fallback;
}

int
main (int argc, char **argv)
{
  BenchFleet fleet = { 0 };

  fleet_test_init (&argc, &argv);
  if (g_find_program_in_path ("nats-server") == NULL)
    {
      g_print ("bench-fleet: skipped: nats-server is not installed\n");
      return 0;
    }
  fleet.n = env_uint ("FLEET_BENCH_DEVICES", 1000);
  fleet.http_poll_secs = env_uint ("FLEET_BENCH_POLL_SECS", 30);
  fleet.dir = fleet_test_make_tmpdir ();
  fleet.fleetd = g_test_build_filename (G_TEST_BUILT, "..", "..", "fleetd", "fleetd", NULL);
  fleet.config = g_build_filename (fleet.dir, "fleetd.conf", NULL);
  g_assert_true (g_file_set_contents (fleet.config, "[fleetd]\n", -1, NULL));
  fleet.processes = g_new0 (GSubprocess *, fleet.n);
  fleet.running_at = g_new0 (gint64, fleet.n);
  fleet.published_at = g_new0 (gint64, fleet.n);
  g_print ("bench-fleet: %u simulated devices (fake runtime), %u CPUs\n", fleet.n,
           (guint) sysconf (_SC_NPROCESSORS_ONLN));

  bench_fleet_run_nats (&fleet);
  bench_fleet_run_http (&fleet);

  fleet_test_rm_rf (fleet.dir);
  g_free (fleet.dir);
  g_free (fleet.fleetd);
  g_free (fleet.config);
  g_free (fleet.processes);
  g_free (fleet.running_at);
  g_free (fleet.published_at);
  nats_CloseAndWait (5000);
  return 0;
}
