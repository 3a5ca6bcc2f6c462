/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-fleetctl.c: what scripts rely on in the built fleetctl, against the
 * built fleetd (fake runtime, file:// source) on a private bus:
 * `fleetctl --version`, the exit status of `fleetctl status` for each
 * phase and for a fleetd that cannot be reached, and `fleetctl plan -`
 * reading the document from standard input.  tests/test-daemon.c has the
 * other fleetctl tests.
 */
#include "config.h"

#include <glib/gstdio.h>

#include "fleet-dbus.h"
#include "fleet-test-processes.h"
#include "fleet-test-utils.h"

#define DOC_TMPL                                                                            \
  "{\"generation\":%d,\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{"          \
  "\"services\":[{\"name\":\"web\",\"image\":\"%s\"}]}}}}"

/* The exit statuses of fleetctl(1). */
enum
{
  EXIT_FAILURE_OR_FAILED = 1,
  EXIT_USAGE = 2,
  EXIT_PENDING = 3,
  EXIT_UNKNOWN = 4,
};

typedef struct
{
  char *dir;
  char *doc_path;
  char *log_path;
  GSubprocess *fleetd;
} Fixture;

static void
write_file (const char *path, const char *contents)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
write_doc (Fixture *f, int generation, const char *image)
{
  g_autofree char *doc = g_strdup_printf (DOC_TMPL, generation, image);

  write_file (f->doc_path, doc);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = fleet_test_make_tmpdir ();
  f->doc_path = g_build_filename (f->dir, "device.json", NULL);
  f->log_path = g_build_filename (f->dir, "fleetd.log", NULL);
  write_doc (f, 1, "localhost/hello:v1");
}

static void
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
      g_autofree char *log = NULL;

      g_file_get_contents (f->log_path, &log, NULL, NULL);
      g_printerr ("fleetd log:\n%s", log ? log : "");
    }
  fleet_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->doc_path);
  g_free (f->log_path);
}

/* fleetd on the private bus, with the fake runtime and @env. */
static void
start_fleetd (Fixture *f, const char *const *env)
{
  g_autofree char *config = g_build_filename (f->dir, "fleetd.conf", NULL);
  g_autofree char *state_dir = g_build_filename (f->dir, "state", NULL);
  g_autofree char *source = g_filename_to_uri (f->doc_path, NULL, NULL);
  const char *const argv[] = {
    fleet_test_fleetd_path (), "--config", config, "--runtime", "fake", "--bus", "session",
    "--source", source, "--state-dir", state_dir, "--device-id", "test-device",
    "--poll-interval", "1", "--tick-interval", "1", NULL,
  };

  write_file (config, "# the tests pass everything on the command line\n");
  f->fleetd = fleet_test_fleetd_start (argv, env, f->log_path);
}

static void
stop_fleetd (Fixture *f)
{
  g_autoptr(GSubprocess) fleetd = g_steal_pointer (&f->fleetd);

  g_assert_cmpint (fleet_test_fleetd_stop (fleetd), ==, 0);
}

static char *
get_phase (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetAgent1) proxy = NULL;

  proxy = fleet_agent1_proxy_new_sync (fleet_test_bus_connection (), G_DBUS_PROXY_FLAGS_NONE,
                                       FLEET_DBUS_NAME, FLEET_DBUS_PATH, NULL, &error);
  g_assert_no_error (error);
  return fleet_agent1_dup_phase (proxy);
}

/* Wait until fleetd says @phase. */
static void
wait_for_phase (const char *phase)
{
  gint64 deadline = g_get_monotonic_time () + FLEET_TEST_PROCESS_TIMEOUT_MSECS * 1000;

  while (TRUE)
    {
      g_autofree char *now = get_phase ();

      if (g_strcmp0 (now, phase) == 0)
        return;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      fleet_test_sleep_ms (50);
    }
}

/* fleetctl --bus=session ARGS...; @input: (nullable): its standard input. */
static int
fleetctl (const char *input, char **out, char **err, ...)
{
  g_autoptr(GSubprocessLauncher) launcher = fleet_test_launcher_new (
    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE
    | (input ? G_SUBPROCESS_FLAGS_STDIN_PIPE : G_SUBPROCESS_FLAGS_NONE));
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const char *arg;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) fleet_test_fleetctl_path ());
  g_ptr_array_add (argv, (gpointer) "--bus=session");
  va_start (ap, err);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  return fleet_test_run (launcher, (const char *const *) argv->pdata, input, out, err);
}

/* --version: fleetctl's own, without fleetd, even without a bus. */
static void
test_version_option (Fixture *f, gconstpointer data)
{
  g_autoptr(GSubprocessLauncher) launcher =
    fleet_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *address = g_strdup_printf ("unix:path=%s/no-such-bus", f->dir);
  const char *const argv[] = { fleet_test_fleetctl_path (), "--version", NULL };
  const char *const with_bus[] = { fleet_test_fleetctl_path (), "--bus", "session", "--version",
                                   NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *out2 = NULL;

  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", address, TRUE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SYSTEM_BUS_ADDRESS", address, TRUE);
  g_assert_cmpint (fleet_test_run (launcher, argv, NULL, &out, &err), ==, 0);
  g_assert_cmpstr (out, ==, "fleetctl " PACKAGE_VERSION "\n");
  g_assert_cmpstr (err, ==, "");
  g_assert_cmpint (fleet_test_run (launcher, with_bus, NULL, &out2, NULL), ==, 0);
  g_assert_cmpstr (out2, ==, "fleetctl " PACKAGE_VERSION "\n");
}

/* status: 0 Running, 1 Failed, 3 Pending, with or without --json; the
 * status is printed either way. */
static void
expect_status (int expected, const char *phase)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *json = NULL;
  g_autofree char *line = g_strdup_printf ("Phase:       %s\n", phase);
  g_autofree char *member = g_strdup_printf ("\"phase\" : \"%s\"", phase);

  g_assert_cmpint (fleetctl (NULL, &out, &err, "status", NULL), ==, expected);
  g_assert_nonnull (strstr (out, line));
  g_assert_cmpstr (err, ==, "");
  g_assert_cmpint (fleetctl (NULL, &json, NULL, "status", "--json", NULL), ==, expected);
  g_assert_nonnull (strstr (json, member));
}

static void
test_status_running (Fixture *f, gconstpointer data)
{
  start_fleetd (f, NULL);
  wait_for_phase ("Running");
  expect_status (0, "Running");
  stop_fleetd (f);
}

static void
test_status_failed (Fixture *f, gconstpointer data)
{
  const char *const env[] = { "FLEET_TEST_FAKE_START_FAILS", "localhost/hello:v1", NULL };

  start_fleetd (f, env);
  wait_for_phase ("Failed");
  expect_status (EXIT_FAILURE_OR_FAILED, "Failed");
  stop_fleetd (f);
}

/* No document yet (the source is missing): Pending. */
static void
test_status_pending (Fixture *f, gconstpointer data)
{
  g_autofree char *phase = NULL;

  g_assert_cmpint (g_unlink (f->doc_path), ==, 0);
  start_fleetd (f, NULL);
  phase = get_phase ();
  g_assert_cmpstr (phase, ==, "Pending");
  expect_status (EXIT_PENDING, "Pending");
  stop_fleetd (f);
}

/* Nothing known: 4, never 1 (which would read as Failed), with one line. */
static void
test_status_unreachable (Fixture *f, gconstpointer data)
{
  g_autoptr(GSubprocessLauncher) launcher =
    fleet_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *address = g_strdup_printf ("unix:path=%s/no-such-bus", f->dir);
  const char *const argv[] = { fleet_test_fleetctl_path (), "--bus=session", "status", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *no_bus = NULL;
  g_autofree char *usage = NULL;

  g_assert_false (fleet_test_bus_name_has_owner ("dev.fleet.Agent1"));
  g_assert_cmpint (fleetctl (NULL, &out, &err, "status", NULL), ==, EXIT_UNKNOWN);
  g_assert_cmpstr (out, ==, "");
  g_assert_cmpstr (err, ==, "fleetctl: fleetd is not running on the session bus\n");

  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", address, TRUE);
  g_assert_cmpint (fleet_test_run (launcher, argv, NULL, NULL, &no_bus), ==, EXIT_UNKNOWN);
  g_assert_true (g_str_has_prefix (no_bus, "fleetctl: cannot connect to the session bus"));

  g_assert_cmpint (fleetctl (NULL, NULL, &usage, "status", "extra", NULL), ==, EXIT_USAGE);
  g_assert_cmpstr (usage, ==, "fleetctl: status: unexpected argument \"extra\"\n");
}

/* plan -: the document on standard input, validated and planned as a
 * file's, errors naming "standard input". */
static void
test_plan_stdin (Fixture *f, gconstpointer data)
{
  g_autofree char *v2 = g_strdup_printf (DOC_TMPL, 2, "localhost/hello:v2");
  g_autofree char *out = NULL;
  g_autofree char *json = NULL;
  g_autofree char *err = NULL;
  g_autofree char *empty_err = NULL;

  start_fleetd (f, NULL);
  wait_for_phase ("Running");

  g_assert_cmpint (fleetctl (v2, &out, NULL, "plan", "-", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "pull      hello  localhost/hello:v2\n"));
  g_assert_nonnull (strstr (out, " -> localhost/hello:v2\n"));
  g_assert_cmpint (fleetctl (v2, &json, NULL, "plan", "--json", "-", NULL), ==, 0);
  g_assert_nonnull (strstr (json, "\"action\" : \"replace\""));

  g_assert_cmpint (fleetctl ("{\"deployments\":{\"hello\":{\"type\":\"Docker\"}}}", NULL, &err,
                             "plan", "-", NULL),
                   ==, EXIT_FAILURE_OR_FAILED);
  g_assert_true (g_str_has_prefix (err, "fleetctl: standard input: deployments.hello"));
  g_assert_cmpuint (strlen (strchr (err, '\n')), ==, 1);

  g_assert_cmpint (fleetctl ("", NULL, &empty_err, "plan", "-", NULL), ==,
                   EXIT_FAILURE_OR_FAILED);
  g_assert_true (g_str_has_prefix (empty_err, "fleetctl: standard input: "));
  stop_fleetd (f);
}

/* Standard input is read up to the same limit as a file, not forever. */
static void
test_plan_stdin_endless (Fixture *f, gconstpointer data)
{
  g_autoptr(GSubprocessLauncher) launcher =
    fleet_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  const char *const argv[] = { fleet_test_fleetctl_path (), "--bus=session", "plan", "-", NULL };
  g_autofree char *err = NULL;

  g_subprocess_launcher_set_stdin_file_path (launcher, "/dev/zero");
  g_assert_cmpint (fleet_test_run (launcher, argv, NULL, NULL, &err), ==,
                   EXIT_FAILURE_OR_FAILED);
  g_assert_cmpstr (err, ==,
                   "fleetctl: standard input: more than 67108864 bytes, too large for a "
                   "desired-state document\n");
}

int
main (int argc, char **argv)
{
  int ret;

  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  fleet_test_init (&argc, &argv);

#define ADD(name, func) g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/fleetctl/version-option", test_version_option);
  ADD ("/fleetctl/status/running", test_status_running);
  ADD ("/fleetctl/status/failed", test_status_failed);
  ADD ("/fleetctl/status/pending", test_status_pending);
  ADD ("/fleetctl/status/unreachable", test_status_unreachable);
  ADD ("/fleetctl/plan/stdin", test_plan_stdin);
  ADD ("/fleetctl/plan/stdin-endless", test_plan_stdin_endless);
#undef ADD

  if (!fleet_test_bus_start ())
    {
      g_print ("1..0 # SKIP dbus-daemon is not installed\n");
      return 0;
    }
  ret = g_test_run ();
  fleet_test_bus_stop ();
  return ret;
}
