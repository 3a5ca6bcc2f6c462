/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-daemon-fixture.c: what the daemon test programs share: the real
 * fleetd and fleetctl as processes on the program's private bus
 * (fleet-test-processes.c), and a scratch directory with a file:// source
 * per test.  See test-daemon.c and test-daemon-run.c.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <unistd.h>

#include "fleet-test-utils.h"
#include "fleet-util-private.h"
#include "fleet-dbus.h"
#include "fleet-daemon-fixture.h"

/* fleetctl --bus session ARGS..., as root or as nobody. */
int
fleetctl (gboolean as_nobody, char **out, char **err, ...)
{
  g_autoptr(GSubprocessLauncher) launcher =
    fleet_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
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
  g_ptr_array_add (argv, (gpointer) fleet_test_fleetctl_path ());
  g_ptr_array_add (argv, (gpointer) "--bus=session");
  va_start (ap, err);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  return fleet_test_run (launcher, (const char *const *) argv->pdata, NULL, out, err);
}

/* The fleetd arguments every test uses, then @extra (NULL-terminated). */
GPtrArray *
fleetd_argv (Fixture *f, const char *const *extra)
{
  GPtrArray *argv = g_ptr_array_new ();
  const char *const common[] = {
    fleet_test_fleetd_path (), "--config",      f->config,      "--runtime",  "fake",
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
    fleet_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
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
  return fleet_test_run (launcher, (const char *const *) argv->pdata, NULL, NULL, err);
}

/* Start fleetd in the background and wait until it owns its bus name. */
void
start_fleetd (Fixture *f, const char *const *env, const char *const *extra)
{
  g_autoptr(GPtrArray) all_extra = g_ptr_array_new ();
  g_autoptr(GPtrArray) argv = NULL;

  g_ptr_array_add (all_extra, (gpointer) "--bus=session");
  for (guint i = 0; extra && extra[i]; i++)
    g_ptr_array_add (all_extra, (gpointer) extra[i]);
  g_ptr_array_add (all_extra, NULL);
  argv = fleetd_argv (f, (const char *const *) all_extra->pdata);
  g_assert_null (f->fleetd);
  f->fleetd = fleet_test_fleetd_start ((const char *const *) argv->pdata, env, f->log_path);
}

/* SIGTERM; returns fleetd's exit status. */
int
stop_fleetd (Fixture *f)
{
  g_autoptr(GSubprocess) fleetd = g_steal_pointer (&f->fleetd);

  return fleet_test_fleetd_stop (fleetd);
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

  proxy = fleet_agent1_proxy_new_sync (fleet_test_bus_connection (), G_DBUS_PROXY_FLAGS_NONE,
                                       FLEET_DBUS_NAME, FLEET_DBUS_PATH, NULL, &error);
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
  gint64 deadline = g_get_monotonic_time () + FLEET_TEST_PROCESS_TIMEOUT_MSECS * 1000;

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
