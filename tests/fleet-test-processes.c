/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-test-processes.c: the built fleetd and fleetctl run as processes,
 * on a private dbus-daemon.  The bus is the program's (started once, in
 * main); each child dies with the test program even when a test fails
 * half-way, and a child that does not exit in time fails the test instead
 * of hanging it.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>

#include "fleet-test-processes.h"
#include "fleet-test-utils.h"

static struct
{
  char *dir;
  char *address;
  GSubprocess *daemon;
  GDBusConnection *connection;
} bus;

const char *
fleet_test_fleetd_path (void)
{
  static char *path;

  if (path == NULL)
    path = g_test_build_filename (G_TEST_BUILT, "..", "fleetd", "fleetd", NULL);
  return path;
}

const char *
fleet_test_fleetctl_path (void)
{
  static char *path;

  if (path == NULL)
    path = g_test_build_filename (G_TEST_BUILT, "..", "fleetctl", "fleetctl", NULL);
  return path;
}

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/**
 * fleet_test_launcher_new:
 *
 * Returns: (transfer full): a launcher whose children talk to the private
 *   bus as their session bus, are not told they run under systemd, and
 *   die with the test program
 */
GSubprocessLauncher *
fleet_test_launcher_new (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  if (bus.address)
    g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", bus.address, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "NOTIFY_SOCKET");
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  return launcher;
}

static void
on_flag (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
on_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* Wait for @process to exit; returns its exit status.  Fails the test when
 * it takes too long or dies from a signal. */
int
fleet_test_wait_exit (GSubprocess *process)
{
  gboolean exited = FALSE;
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_once (FLEET_TEST_PROCESS_TIMEOUT_MSECS, on_flag, &timed_out);

  g_subprocess_wait_async (process, NULL, on_exited, &exited);
  while (!exited && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    {
      g_subprocess_force_exit (process);
      fleet_test_wait (&exited);
      g_error ("process did not exit within %u ms", FLEET_TEST_PROCESS_TIMEOUT_MSECS);
    }
  g_source_remove (id);
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

/**
 * fleet_test_run:
 * @input: (nullable): what to write to its standard input (the launcher
 *   must have %G_SUBPROCESS_FLAGS_STDIN_PIPE)
 * @out: (out) (optional): its standard output
 * @err: (out) (optional): its standard error
 *
 * Run a command to completion.
 *
 * Returns: its exit status
 */
int
fleet_test_run (GSubprocessLauncher *launcher, const char *const *argv, const char *input,
                char **out, char **err)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;

  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input, NULL, &stdout_text, &stderr_text, &error);
  g_assert_no_error (error);
  if (g_getenv ("FLEET_TEST_VERBOSE"))
    g_printerr ("$ %s\n%s%s", argv[0], stdout_text ? stdout_text : "",
                stderr_text ? stderr_text : "");
  if (out)
    *out = g_steal_pointer (&stdout_text);
  if (err)
    *err = g_steal_pointer (&stderr_text);
  return fleet_test_wait_exit (process);
}

gboolean
fleet_test_bus_name_has_owner (const char *name)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean has_owner = FALSE;

  reply = g_dbus_connection_call_sync (bus.connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "NameHasOwner", g_variant_new ("(s)", name),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                       NULL);
  if (reply)
    g_variant_get (reply, "(b)", &has_owner);
  return has_owner;
}

/**
 * fleet_test_fleetd_start:
 * @argv: fleetd's command line, with --bus session
 * @env: (nullable): NAME, VALUE, ... NULL: more environment
 * @log_path: where its output goes
 *
 * Start fleetd in the background and wait until it owns its bus name.
 *
 * Returns: (transfer full): the process
 */
GSubprocess *
fleet_test_fleetd_start (const char *const *argv, const char *const *env, const char *log_path)
{
  g_autoptr(GSubprocessLauncher) launcher = fleet_test_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) fleetd = NULL;
  gint64 deadline = g_get_monotonic_time () + FLEET_TEST_PROCESS_TIMEOUT_MSECS * 1000;

  for (guint i = 0; env && env[i]; i += 2)
    g_subprocess_launcher_setenv (launcher, env[i], env[i + 1], TRUE);
  g_subprocess_launcher_set_stdout_file_path (launcher, log_path);
  g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
  fleetd = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  while (!fleet_test_bus_name_has_owner ("dev.fleet.Agent1"))
    {
      g_assert_nonnull (g_subprocess_get_identifier (fleetd));
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      fleet_test_sleep_ms (20);
    }
  return g_steal_pointer (&fleetd);
}

/* SIGTERM; returns fleetd's exit status. */
int
fleet_test_fleetd_stop (GSubprocess *fleetd)
{
  g_subprocess_send_signal (fleetd, SIGTERM);
  return fleet_test_wait_exit (fleetd);
}

/* The private bus. */

/**
 * fleet_test_bus_start:
 *
 * Start the private bus, if dbus-daemon is installed.
 *
 * Returns: %FALSE when it is not
 */
gboolean
fleet_test_bus_start (void)
{
  g_autofree char *dbus_daemon = g_find_program_in_path ("dbus-daemon");
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *config = g_test_build_filename (G_TEST_DIST, "daemon-bus.conf", NULL);
  g_autofree char *listen = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;

  if (dbus_daemon == NULL)
    return FALSE;
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  bus.dir = fleet_test_make_tmpdir ();
  g_chmod (bus.dir, 0755); /* other users connect too */
  listen = g_strdup_printf ("--address=unix:path=%s/bus", bus.dir);
  bus.daemon = g_subprocess_launcher_spawn (launcher, &error, dbus_daemon, "--nofork",
                                            "--print-address=1", "--config-file", config, listen,
                                            NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (bus.daemon));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  bus.address = g_strdup (g_strstrip (line));
  bus.connection = g_dbus_connection_new_for_address_sync (
    bus.address,
    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
    NULL, NULL, &error);
  g_assert_no_error (error);
  return TRUE;
}

void
fleet_test_bus_stop (void)
{
  if (bus.daemon == NULL)
    return;
  g_dbus_connection_close_sync (bus.connection, NULL, NULL);
  g_clear_object (&bus.connection);
  g_subprocess_force_exit (bus.daemon);
  g_subprocess_wait (bus.daemon, NULL, NULL);
  g_clear_object (&bus.daemon);
  fleet_test_rm_rf (bus.dir);
  g_clear_pointer (&bus.dir, g_free);
  g_clear_pointer (&bus.address, g_free);
}

const char *
fleet_test_bus_address (void)
{
  return bus.address;
}

GDBusConnection *
fleet_test_bus_connection (void)
{
  return bus.connection;
}
