/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-daemon-fixture.c: what the daemon test programs share: the real
 * fleetd and fleetctl as processes, a private dbus-daemon for the whole
 * program (tests/daemon-bus.conf), and a scratch directory with a file://
 * source per test.  See test-daemon.c and test-daemon-run.c.
 */
#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "fleet-test-utils.h"
#include "fleet-util-private.h"
#include "fleet-dbus.h"
#include "fleet-daemon-fixture.h"

FleetTestBus test_bus;
const char *
fleetd_path (void)
{
  static char *path;

  if (path == NULL)
    path = g_test_build_filename (G_TEST_BUILT, "..", "fleetd", "fleetd", NULL);
  return path;
}

const char *
fleetctl_path (void)
{
  static char *path;

  if (path == NULL)
    path = g_test_build_filename (G_TEST_BUILT, "..", "fleetctl", "fleetctl", NULL);
  return path;
}

/* Processes. */

static void
on_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
on_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* Wait for @process to exit; returns its exit status.  Fails the test if it
 * takes longer than TIMEOUT_MSECS or dies from a signal. */
int
wait_exit (GSubprocess *process)
{
  gboolean exited = FALSE;
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_once (TIMEOUT_MSECS, on_timeout, &timed_out);

  g_subprocess_wait_async (process, NULL, on_exited, &exited);
  while (!exited && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    {
      g_subprocess_force_exit (process);
      fleet_test_wait (&exited);
      g_error ("process did not exit within %u ms", TIMEOUT_MSECS);
    }
  g_source_remove (id);
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

/* Children die with the test, even when it fails half-way. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

GSubprocessLauncher *
new_launcher (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", test_bus.address, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "NOTIFY_SOCKET");
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  return launcher;
}

/* Run a command to completion, capturing its output. */
int
run (GSubprocessLauncher *launcher, const char *const *argv, char **out, char **err)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;

  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &stdout_text, &stderr_text, &error);
  g_assert_no_error (error);
  if (g_getenv ("FLEET_TEST_VERBOSE"))
    g_printerr ("$ %s\n%s%s", argv[0], stdout_text, stderr_text);
  if (out)
    *out = g_steal_pointer (&stdout_text);
  if (err)
    *err = g_steal_pointer (&stderr_text);
  return wait_exit (process);
}

/* fleetctl --bus session ARGS..., as root or as nobody. */
int
fleetctl (gboolean as_nobody, char **out, char **err, ...)
{
  g_autoptr(GSubprocessLauncher) launcher =
    new_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const char *arg;
  va_list ap;

  if (as_nobody)
    {
      g_ptr_array_add (argv, (gpointer) "setpriv");
      g_ptr_array_add (argv, (gpointer) "--reuid=65534");
      g_ptr_array_add (argv, (gpointer) "--regid=65534");
      g_ptr_array_add (argv, (gpointer) "--clear-groups");
    }
  g_ptr_array_add (argv, (gpointer) fleetctl_path ());
  g_ptr_array_add (argv, (gpointer) "--bus=session");
  va_start (ap, err);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  return run (launcher, (const char *const *) argv->pdata, out, err);
}

/* The fleetd arguments every test uses, then @extra (NULL-terminated). */
GPtrArray *
fleetd_argv (Fixture *f, const char *const *extra)
{
  GPtrArray *argv = g_ptr_array_new ();
  const char *const common[] = {
    fleetd_path (),  "--config",      f->config,      "--runtime",  "fake",
    "--source",      f->source,       "--state-dir",  f->state_dir, "--device-id",
    "test-device",   "--poll-interval", "1",          "--tick-interval", "1",
  };

  for (guint i = 0; i < G_N_ELEMENTS (common); i++)
    g_ptr_array_add (argv, (gpointer) common[i]);
  for (guint i = 0; extra && extra[i]; i++)
    g_ptr_array_add (argv, (gpointer) extra[i]);
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* fleetd --once [EXTRA...]; returns its exit status. */
int
fleetd_once (Fixture *f, const char *const *env, char **err, ...)
{
  g_autoptr(GSubprocessLauncher) launcher =
    new_launcher (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) extra = g_ptr_array_new ();
  g_autoptr(GPtrArray) argv = NULL;
  const char *arg;
  va_list ap;

  g_ptr_array_add (extra, (gpointer) "--once");
  va_start (ap, err);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (extra, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (extra, NULL);
  for (guint i = 0; env && env[i]; i += 2)
    g_subprocess_launcher_setenv (launcher, env[i], env[i + 1], TRUE);
  argv = fleetd_argv (f, (const char *const *) extra->pdata);
  return run (launcher, (const char *const *) argv->pdata, NULL, err);
}

gboolean
name_has_owner (void)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean has_owner = FALSE;

  reply = g_dbus_connection_call_sync (test_bus.connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "NameHasOwner", g_variant_new ("(s)", FLEET_DBUS_NAME),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                       NULL);
  if (reply)
    g_variant_get (reply, "(b)", &has_owner);
  return has_owner;
}

/* Start fleetd in the background and wait until it owns its bus name. */
void
start_fleetd (Fixture *f, const char *const *env, const char *const *extra)
{
  g_autoptr(GSubprocessLauncher) launcher = new_launcher (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GPtrArray) argv = NULL;
  g_autoptr(GError) error = NULL;
  const char *bus_args[] = { "--bus", "session", NULL };
  g_autoptr(GPtrArray) all_extra = g_ptr_array_new ();
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_MSECS * 1000;

  for (guint i = 0; bus_args[i]; i++)
    g_ptr_array_add (all_extra, (gpointer) bus_args[i]);
  for (guint i = 0; extra && extra[i]; i++)
    g_ptr_array_add (all_extra, (gpointer) extra[i]);
  g_ptr_array_add (all_extra, NULL);
  for (guint i = 0; env && env[i]; i += 2)
    g_subprocess_launcher_setenv (launcher, env[i], env[i + 1], TRUE);
  g_subprocess_launcher_set_stdout_file_path (launcher, f->log_path);
  g_subprocess_launcher_set_stderr_file_path (launcher, f->log_path);
  argv = fleetd_argv (f, (const char *const *) all_extra->pdata);
  g_assert_null (f->fleetd);
  f->fleetd = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  while (!name_has_owner ())
    {
      g_assert_nonnull (g_subprocess_get_identifier (f->fleetd));
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      fleet_test_sleep_ms (20);
    }
}

/* SIGTERM; returns fleetd's exit status. */
int
stop_fleetd (Fixture *f)
{
  g_autoptr(GSubprocess) fleetd = g_steal_pointer (&f->fleetd);

  g_subprocess_send_signal (fleetd, SIGTERM);
  return wait_exit (fleetd);
}

char *
read_log (Fixture *f)
{
  g_autofree char *log = NULL;

  g_file_get_contents (f->log_path, &log, NULL, NULL);
  return log ? g_steal_pointer (&log) : g_strdup ("");
}

/* Status. */

JsonNode *
get_status (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetAgent1) proxy = NULL;
  g_autofree char *text = NULL;

  proxy = fleet_agent1_proxy_new_sync (test_bus.connection, G_DBUS_PROXY_FLAGS_NONE, FLEET_DBUS_NAME,
                                       FLEET_DBUS_PATH, NULL, &error);
  g_assert_no_error (error);
  fleet_agent1_call_get_status_sync (proxy, &text, NULL, &error);
  g_assert_no_error (error);
  return json_from_string (text, &error);
}

const char *
status_string (JsonNode *status, const char *member)
{
  return json_object_get_string_member (json_node_get_object (status), member);
}

const char *
last_fetch_string (JsonNode *status, const char *member)
{
  JsonObject *fetch = json_object_get_object_member (json_node_get_object (status), "last_fetch");

  return fetch ? json_object_get_string_member_with_default (fetch, member, NULL) : NULL;
}

/* Wait until the status says @phase (and @generation, unless -1). */
JsonNode *
wait_for_status (const char *phase, gint64 generation)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_MSECS * 1000;

  while (TRUE)
    {
      g_autoptr(JsonNode) status = get_status ();
      JsonObject *object = json_node_get_object (status);

      if (g_strcmp0 (json_object_get_string_member (object, "phase"), phase) == 0
          && (generation < 0
              || json_object_get_int_member_with_default (object, "generation", -1) == generation))
        return g_steal_pointer (&status);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      fleet_test_sleep_ms (50);
    }
}

/* Fixture. */

void
write_doc (Fixture *f, int generation, const char *image)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *doc = g_strdup_printf (DOC_TMPL, generation, image);

  g_file_set_contents (f->doc_path, doc, -1, &error);
  g_assert_no_error (error);
}

void
write_file (const char *path, const char *contents)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = fleet_test_make_tmpdir ();
  g_chmod (f->dir, 0755);
  f->doc_path = g_build_filename (f->dir, "device.json", NULL);
  f->source = g_filename_to_uri (f->doc_path, NULL, NULL);
  f->state_dir = g_build_filename (f->dir, "state", NULL);
  f->config = g_build_filename (f->dir, "fleetd.conf", NULL);
  f->log_path = g_build_filename (f->dir, "fleetd.log", NULL);
  write_file (f->config, "# the tests pass everything on the command line\n");
  write_doc (f, 1, "localhost/hello:v1");
}

void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->fleetd)
    {
      g_subprocess_force_exit (f->fleetd);
      g_subprocess_wait (f->fleetd, NULL, NULL);
      g_clear_object (&f->fleetd);
    }
  if (g_getenv ("FLEET_TEST_VERBOSE"))
    {
      g_autofree char *log = read_log (f);

      g_printerr ("fleetd log:\n%s", log);
    }
  fleet_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->doc_path);
  g_free (f->source);
  g_free (f->state_dir);
  g_free (f->config);
  g_free (f->log_path);
}

FleetState *
load_state (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  FleetState *state = fleet_state_load (f->state_dir, &error);

  g_assert_no_error (error);
  return state;
}

gboolean
can_switch_users (void)
{
  g_autofree char *setpriv = g_find_program_in_path ("setpriv");

  if (getuid () != 0 || setpriv == NULL)
    {
      g_test_skip ("needs root and setpriv to run fleetctl as another user");
      return FALSE;
    }
  return TRUE;
}

/* --once. */

void
start_bus (void)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GError) error = NULL;
  g_autofree char *config = g_test_build_filename (G_TEST_DIST, "daemon-bus.conf", NULL);
  g_autofree char *listen = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  test_bus.dir = fleet_test_make_tmpdir ();
  g_chmod (test_bus.dir, 0755); /* nobody connects too */
  listen = g_strdup_printf ("--address=unix:path=%s/bus", test_bus.dir);
  test_bus.daemon = g_subprocess_launcher_spawn (launcher, &error, "dbus-daemon", "--nofork",
                                                 "--print-address=1", "--config-file", config,
                                                 listen, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (test_bus.daemon));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  test_bus.address = g_strdup (g_strstrip (line));
  test_bus.connection = g_dbus_connection_new_for_address_sync (
    test_bus.address,
    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
    NULL, NULL, &error);
  g_assert_no_error (error);
}

void
stop_bus (void)
{
  g_dbus_connection_close_sync (test_bus.connection, NULL, NULL);
  g_clear_object (&test_bus.connection);
  g_subprocess_force_exit (test_bus.daemon);
  g_subprocess_wait (test_bus.daemon, NULL, NULL);
  g_clear_object (&test_bus.daemon);
  fleet_test_rm_rf (test_bus.dir);
  g_free (test_bus.dir);
  g_free (test_bus.address);
}
