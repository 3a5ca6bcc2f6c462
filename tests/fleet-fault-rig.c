/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-fault-rig.c: the built fleetd as a process, for the fault tests:
 * started, SIGKILLed and started again on the same state directory, against
 * the harness's real podman (or the fake runtime), reading its document from
 * a file, publishing its API on a private dbus-daemon (tests/daemon-bus.conf)
 * so that its status can be read, and logging to one file across restarts.
 *
 * fleetd polls its source and ticks every second, so a test sees what it
 * does within a few seconds of any change.
 */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <unistd.h>

#include "fleet-fault-rig.h"
#include "fleet-test-processes.h"
#include "fleet-test-utils.h"

#define AGENT_NAME "dev.fleet.Agent1"
#define AGENT_PATH "/dev/fleet/Agent1"
#define START_TIMEOUT_SECS 30
#define STOP_TIMEOUT_SECS 90

struct _FleetFaultRig
{
  FleetPodmanHarness *podman; /* NULL: the fake runtime */
  char *dir;
  char *doc_path;
  char *state_dir;
  char *config;
  char *log_path;
  char *user; /* run fleetd as this uid (setpriv), or NULL */
  GSubprocess *fleetd;
};

/* The rig. */

FleetFaultRig *
fleet_fault_rig_new (FleetPodmanHarness *podman)
{
  FleetFaultRig *rig = g_new0 (FleetFaultRig, 1);
  g_autoptr(GError) error = NULL;

  rig->podman = podman;
  rig->dir = fleet_test_make_tmpdir ();
  g_chmod (rig->dir, 0755); /* fleetd run as nobody reads the document */
  rig->doc_path = g_build_filename (rig->dir, "device.json", NULL);
  rig->state_dir = g_build_filename (rig->dir, "state", NULL);
  rig->config = g_build_filename (rig->dir, "fleetd.conf", NULL);
  rig->log_path = g_build_filename (rig->dir, "fleetd.log", NULL);
  g_file_set_contents (rig->config, "# everything is on the command line\n", -1, &error);
  g_assert_no_error (error);
  g_chmod (rig->config, 0644);
  return rig;
}

void
fleet_fault_rig_free (FleetFaultRig *rig)
{
  if (rig->fleetd != NULL)
    {
      g_subprocess_force_exit (rig->fleetd);
      g_subprocess_wait (rig->fleetd, NULL, NULL);
      g_clear_object (&rig->fleetd);
    }
  if (g_getenv ("FLEET_TEST_VERBOSE") != NULL)
    {
      g_autofree char *log = fleet_fault_rig_read_log (rig);

      g_printerr ("fleetd's log:\n%s", log);
    }
  fleet_test_rm_rf (rig->dir);
  g_free (rig->dir);
  g_free (rig->doc_path);
  g_free (rig->state_dir);
  g_free (rig->config);
  g_free (rig->log_path);
  g_free (rig->user);
  g_free (rig);
}

const char *
fleet_fault_rig_get_dir (FleetFaultRig *rig)
{
  return rig->dir;
}

const char *
fleet_fault_rig_get_state_dir (FleetFaultRig *rig)
{
  return rig->state_dir;
}

/* Run fleetd as @uid from now on (needs root and setpriv). */
void
fleet_fault_rig_set_user (FleetFaultRig *rig, guint uid)
{
  g_free (rig->user);
  rig->user = g_strdup_printf ("%u", uid);
}

/* Replaced atomically: fleetd never reads half a document. */
void
fleet_fault_rig_write_document (FleetFaultRig *rig, const char *json)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (rig->doc_path, json, -1, &error);
  g_assert_no_error (error);
  g_chmod (rig->doc_path, 0644);
}

/* The source becomes unreachable. */
void
fleet_fault_rig_remove_document (FleetFaultRig *rig)
{
  g_assert_cmpint (g_unlink (rig->doc_path), ==, 0);
}

/* fleetd. */

static GPtrArray *
fleetd_argv (FleetFaultRig *rig)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  if (rig->user != NULL)
    {
      g_ptr_array_add (argv, g_strdup ("setpriv"));
      g_ptr_array_add (argv, g_strdup_printf ("--reuid=%s", rig->user));
      g_ptr_array_add (argv, g_strdup_printf ("--regid=%s", rig->user));
      g_ptr_array_add (argv, g_strdup ("--clear-groups"));
    }
  g_ptr_array_add (argv, g_strdup (fleet_test_fleetd_path ()));
  g_ptr_array_add (argv, g_strconcat ("--config=", rig->config, NULL));
  g_ptr_array_add (argv, g_strconcat ("--source=", rig->doc_path, NULL));
  g_ptr_array_add (argv, g_strconcat ("--state-dir=", rig->state_dir, NULL));
  g_ptr_array_add (argv, g_strdup ("--device-id=fault-device"));
  g_ptr_array_add (argv, g_strdup ("--poll-interval=1"));
  g_ptr_array_add (argv, g_strdup ("--tick-interval=1"));
  g_ptr_array_add (argv, g_strdup ("--bus=session"));
  if (rig->podman != NULL)
    g_ptr_array_add (argv, g_strconcat ("--podman-socket=",
                                        fleet_podman_harness_get_socket (rig->podman), NULL));
  else
    g_ptr_array_add (argv, g_strdup ("--runtime=fake"));
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* Start fleetd in the background, its output appended to the log. */
void
fleet_fault_rig_spawn_fleetd (FleetFaultRig *rig)
{
  g_autoptr(GSubprocessLauncher) launcher = fleet_test_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GPtrArray) argv = fleetd_argv (rig);
  g_autoptr(GError) error = NULL;
  const char banner[] = "--- fleetd started by the test\n";
  int fd;

  g_assert_null (rig->fleetd);
  fd = g_open (rig->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, banner, sizeof banner - 1), ==, sizeof banner - 1);
  g_subprocess_launcher_take_stderr_fd (launcher, dup (fd));
  g_subprocess_launcher_take_stdout_fd (launcher, fd);
  rig->fleetd = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
}

/* Start fleetd and wait until it serves its API. */
void
fleet_fault_rig_start_fleetd (FleetFaultRig *rig)
{
  gint64 deadline = g_get_monotonic_time () + START_TIMEOUT_SECS * G_USEC_PER_SEC;

  fleet_fault_rig_spawn_fleetd (rig);
  while (!fleet_test_bus_name_has_owner (AGENT_NAME))
    {
      if (g_subprocess_get_identifier (rig->fleetd) == NULL)
        {
          g_autofree char *log = fleet_fault_rig_read_log (rig);

          g_error ("fleetd exited at start; its log:\n%s", log);
        }
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20 * 1000);
    }
}

static void
on_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
on_deadline (gpointer user_data)
{
  g_cancellable_cancel (user_data);
}

/* Wait up to @timeout_secs for fleetd to exit: FALSE if it still runs.
 * @out_status is its exit status, or -1 if a signal ended it. */
gboolean
fleet_fault_rig_wait_fleetd_exit (FleetFaultRig *rig, guint timeout_secs, int *out_status)
{
  g_autoptr(GCancellable) late = g_cancellable_new ();
  gboolean done = FALSE;
  guint deadline = g_timeout_add_once (timeout_secs * 1000, on_deadline, late);
  g_autoptr(GSubprocess) fleetd = NULL;

  g_subprocess_wait_async (rig->fleetd, late, on_exited, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  if (g_subprocess_get_identifier (rig->fleetd) != NULL)
    return FALSE;
  if (!g_cancellable_is_cancelled (late))
    g_source_remove (deadline);
  fleetd = g_steal_pointer (&rig->fleetd);
  if (out_status)
    *out_status = g_subprocess_get_if_exited (fleetd) ? g_subprocess_get_exit_status (fleetd) : -1;
  /* The bus releases a dead fleetd's name a moment later. */
  while (fleet_test_bus_name_has_owner (AGENT_NAME))
    g_usleep (10 * 1000);
  return TRUE;
}

/* SIGKILL, as a crash or the OOM killer would. */
void
fleet_fault_rig_kill_fleetd (FleetFaultRig *rig)
{
  g_subprocess_send_signal (rig->fleetd, SIGKILL);
  g_assert_true (fleet_fault_rig_wait_fleetd_exit (rig, STOP_TIMEOUT_SECS, NULL));
}

void
fleet_fault_rig_kill_fleetd_if_running (FleetFaultRig *rig)
{
  if (rig->fleetd != NULL)
    fleet_fault_rig_kill_fleetd (rig);
}

/* SIGTERM; returns the exit status. */
int
fleet_fault_rig_stop_fleetd (FleetFaultRig *rig)
{
  int status = -1;

  g_subprocess_send_signal (rig->fleetd, SIGTERM);
  g_assert_true (fleet_fault_rig_wait_fleetd_exit (rig, STOP_TIMEOUT_SECS, &status));
  return status;
}

char *
fleet_fault_rig_read_log (FleetFaultRig *rig)
{
  char *log = NULL;

  if (!g_file_get_contents (rig->log_path, &log, NULL, NULL))
    return g_strdup ("");
  return log;
}

/* The status document fleetd serves on D-Bus. */
JsonObject *
fleet_fault_rig_get_status (FleetFaultRig *rig)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(JsonNode) node = NULL;
  const char *text = NULL;

  reply = g_dbus_connection_call_sync (fleet_test_bus_connection (), AGENT_NAME, AGENT_PATH, AGENT_NAME,
                                       "GetStatus", NULL, G_VARIANT_TYPE ("(s)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(&s)", &text);
  node = json_from_string (text, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (node));
}

/* A file of the state directory, or NULL when there is none. */
char *
fleet_fault_rig_read_state_file (FleetFaultRig *rig, const char *name)
{
  g_autofree char *path = g_build_filename (rig->state_dir, name, NULL);
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  return contents;
}

/* Poll @condition every 100 ms (running the main context) until it holds:
 * FALSE if it still does not after @timeout_secs. */
gboolean
fleet_fault_wait_for (FleetFaultCondition condition, gpointer user_data, guint timeout_secs)
{
  gint64 deadline = g_get_monotonic_time () + timeout_secs * G_USEC_PER_SEC;

  while (!condition (user_data))
    {
      if (g_get_monotonic_time () >= deadline)
        return FALSE;
      fleet_test_sleep_ms (100);
    }
  return TRUE;
}
