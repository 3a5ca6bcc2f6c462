/* test-daemon.c: the real fleetd and fleetctl binaries, as processes, on a
 * private dbus-daemon (tests/daemon-bus.conf), with the fake runtime and a
 * file:// source in a scratch directory: --once exit codes, fleetctl's
 * commands and errors, root-only Reconcile (fleetctl run as nobody), SIGTERM,
 * carrying on from persisted state with the source unreachable, fetch
 * failures that change nothing, status reports to a real HTTP server and
 * systemd notifications on a real datagram socket.
 *
 * The fake runtime keeps its containers in memory, so a restarted fleetd
 * finds none of them: restart tests check what fleetd persisted and that it
 * resumes from it, not that containers survive (the podman tests do that).
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

#define TIMEOUT_MSECS (20 * 1000)
#define NOBODY_UID 65534

#define DOC_TMPL                                                                            \
  "{\"generation\":%d,\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{"          \
  "\"services\":[{\"name\":\"web\",\"image\":\"%s\",\"env\":{\"GREETING\":\"hi\"}}]}}}}"

/* The private bus, for the whole program. */
static struct
{
  char *dir;
  char *address;
  GSubprocess *daemon;
  GDBusConnection *connection;
} bus;

typedef struct
{
  char *dir;
  char *doc_path;
  char *source;
  char *state_dir;
  char *config;
  char *log_path;
  GSubprocess *fleetd;
} Fixture;

static const char *
fleetd_path (void)
{
  static char *path;

  if (path == NULL)
    path = g_test_build_filename (G_TEST_BUILT, "..", "fleetd", "fleetd", NULL);
  return path;
}

static const char *
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
static int
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

static GSubprocessLauncher *
new_launcher (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", bus.address, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "NOTIFY_SOCKET");
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  return launcher;
}

/* Run a command to completion, capturing its output. */
static int
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
static int
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
static GPtrArray *
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
static int
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

static gboolean
name_has_owner (void)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean has_owner = FALSE;

  reply = g_dbus_connection_call_sync (bus.connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "NameHasOwner", g_variant_new ("(s)", FLEET_DBUS_NAME),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                       NULL);
  if (reply)
    g_variant_get (reply, "(b)", &has_owner);
  return has_owner;
}

/* Start fleetd in the background and wait until it owns its bus name. */
static void
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
static int
stop_fleetd (Fixture *f)
{
  g_autoptr(GSubprocess) fleetd = g_steal_pointer (&f->fleetd);

  g_subprocess_send_signal (fleetd, SIGTERM);
  return wait_exit (fleetd);
}

static char *
read_log (Fixture *f)
{
  g_autofree char *log = NULL;

  g_file_get_contents (f->log_path, &log, NULL, NULL);
  return log ? g_steal_pointer (&log) : g_strdup ("");
}

/* Status. */

static JsonNode *
get_status (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetAgent1) proxy = NULL;
  g_autofree char *text = NULL;

  proxy = fleet_agent1_proxy_new_sync (bus.connection, G_DBUS_PROXY_FLAGS_NONE, FLEET_DBUS_NAME,
                                       FLEET_DBUS_PATH, NULL, &error);
  g_assert_no_error (error);
  fleet_agent1_call_get_status_sync (proxy, &text, NULL, &error);
  g_assert_no_error (error);
  return json_from_string (text, &error);
}

static const char *
status_string (JsonNode *status, const char *member)
{
  return json_object_get_string_member (json_node_get_object (status), member);
}

static const char *
last_fetch_string (JsonNode *status, const char *member)
{
  JsonObject *fetch = json_object_get_object_member (json_node_get_object (status), "last_fetch");

  return fetch ? json_object_get_string_member_with_default (fetch, member, NULL) : NULL;
}

/* Wait until the status says @phase (and @generation, unless -1). */
static JsonNode *
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

static void
write_doc (Fixture *f, int generation, const char *image)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *doc = g_strdup_printf (DOC_TMPL, generation, image);

  g_file_set_contents (f->doc_path, doc, -1, &error);
  g_assert_no_error (error);
}

static void
write_file (const char *path, const char *contents)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
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

static FleetState *
load_state (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  FleetState *state = fleet_state_load (f->state_dir, &error);

  g_assert_no_error (error);
  return state;
}

static gboolean
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

static void
test_once_running (Fixture *f, gconstpointer data)
{
  g_autofree char *err = NULL;
  g_autoptr(FleetState) state = NULL;
  const FleetDeploymentRecord *record;

  g_assert_cmpint (fleetd_once (f, NULL, &err, NULL), ==, 0);
  g_assert_nonnull (strstr (err, "action=once result=Running"));
  state = load_state (f);
  g_assert_nonnull (fleet_state_get_desired (state));
  g_assert_cmpint (fleet_state_get_generation (state), ==, 1);
  record = fleet_state_lookup_deployment (state, "hello");
  g_assert_nonnull (record);
  g_assert_cmpint (record->phase, ==, FLEET_PHASE_RUNNING);
  g_assert_true (fleet_is_container_id (
    fleet_deployment_record_lookup_service (record, "web")->container_id));
}

/* An invalid document: exit 1 naming the path; the persisted state stays
 * exactly as it was. */
static void
test_once_invalid_document (Fixture *f, gconstpointer data)
{
  g_autofree char *err = NULL;
  g_autofree char *path = g_build_filename (f->state_dir, FLEET_STATE_FILE_NAME, NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  g_assert_cmpint (fleetd_once (f, NULL, NULL, NULL), ==, 0);
  g_assert_true (g_file_get_contents (path, &before, NULL, NULL));
  write_file (f->doc_path, "{\"generation\":2,\"deployments\":{\"hello\":{\"type\":\"PodmanV0\","
                           "\"data\":{\"services\":[{\"name\":\"web\",\"image\":\"\"}]}}}}");
  g_assert_cmpint (fleetd_once (f, NULL, &err, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "deployments.hello.data.services[0].image"));
  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, before);
}

static void
test_once_unreachable_source (Fixture *f, gconstpointer data)
{
  g_autofree char *err = NULL;

  g_unlink (f->doc_path);
  g_assert_cmpint (fleetd_once (f, NULL, &err, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "action=fetch"));
  g_assert_nonnull (strstr (err, "result=error"));
}

static void
test_once_start_failure (Fixture *f, gconstpointer data)
{
  const char *const env[] = { "FLEET_TEST_FAKE_START_FAILS", "localhost/hello:v1", NULL };
  g_autofree char *err = NULL;
  g_autoptr(FleetState) state = NULL;
  const FleetDeploymentRecord *record;

  g_assert_cmpint (fleetd_once (f, env, &err, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "action=once result=Failed"));
  state = load_state (f);
  record = fleet_state_lookup_deployment (state, "hello");
  g_assert_cmpint (record->phase, ==, FLEET_PHASE_FAILED);
  g_assert_nonnull (record->last_error);
}

/* A container that starts but dies at once is not Running: --once looks
 * again after a moment and exits 1. */
static void
test_once_exits_at_once (Fixture *f, gconstpointer data)
{
  const char *const env[] = { "FLEET_TEST_FAKE_EXITS", "localhost/hello:v1", NULL };
  g_autofree char *err = NULL;
  g_autoptr(FleetState) state = NULL;
  const FleetDeploymentRecord *record;

  g_assert_cmpint (fleetd_once (f, env, &err, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "action=once result=Failed"));
  state = load_state (f);
  record = fleet_state_lookup_deployment (state, "hello");
  g_assert_cmpint (record->phase, ==, FLEET_PHASE_FAILED);
  g_assert_nonnull (strstr (record->last_error, "is not running (exited, exit code 1)"));
}

/* Converged but the state cannot be written (here the state file's place
 * is taken by a directory): not a success, and said why. */
static void
test_once_cannot_persist (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->state_dir, FLEET_STATE_FILE_NAME, NULL);
  g_autofree char *err = NULL;

  g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
  g_assert_cmpint (fleetd_once (f, NULL, &err, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "action=once result=error error=\"cannot persist state: "));
  g_assert_nonnull (strstr (err, "action=persist"));
}

/* Bad settings: one line naming the option or file, exit 2. */
static void
test_bad_settings (Fixture *f, gconstpointer data)
{
  g_autofree char *err = NULL;
  g_autofree char *err2 = NULL;
  g_autofree char *missing = g_build_filename (f->dir, "missing.conf", NULL);

  g_assert_cmpint (fleetd_once (f, NULL, &err, "--poll-interval", "0", NULL), ==, 2);
  g_assert_cmpstr (err, ==,
                   "fleetd: --poll-interval: expected a number of seconds from 1 to 86400, "
                   "got \"0\"\n");
  g_assert_cmpint (fleetd_once (f, NULL, &err2, "--config", missing, NULL), ==, 2);
  g_assert_true (g_str_has_prefix (err2, "fleetd: "));
  g_assert_nonnull (strstr (err2, missing));
  g_assert_cmpuint (strlen (strchr (err2, '\n')), ==, 1);
}

static void
test_version (void)
{
  g_autoptr(GSubprocessLauncher) launcher = new_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  const char *const argv[] = { fleetd_path (), "--version", NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (run (launcher, argv, &out, NULL), ==, 0);
  g_assert_cmpstr (out, ==, "fleetd " PACKAGE_VERSION "\n");
}

/* fleetctl against a running fleetd. */

static void
test_status (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonNode) status = NULL;
  g_autoptr(JsonNode) parsed = NULL;
  g_autofree char *out = NULL;
  g_autofree char *json = NULL;
  g_autofree char *line = NULL;
  JsonObject *hello;
  const char *id;

  start_fleetd (f, NULL, NULL);
  status = wait_for_status ("Running", 1);
  hello = json_object_get_object_member (
    json_object_get_object_member (json_node_get_object (status), "deployments"), "hello");
  id = json_object_get_string_member (json_object_get_object_member (hello, "container_ids"),
                                      "web");

  g_assert_cmpint (fleetctl (FALSE, &out, NULL, "status", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "Device:      test-device\n"));
  g_assert_nonnull (strstr (out, "Phase:       Running\n"));
  g_assert_nonnull (strstr (out, "Generation:  1\n"));
  g_assert_nonnull (strstr (out, "DEPLOYMENT  SERVICE  PHASE    CONTAINER     IMAGE"));
  line = g_strdup_printf ("hello       web      Running  %.12s  localhost/hello:v1  -\n", id);
  g_assert_nonnull (strstr (out, line));

  g_assert_cmpint (fleetctl (FALSE, &json, NULL, "status", "--json", NULL), ==, 0);
  parsed = json_from_string (json, NULL);
  g_assert_nonnull (parsed);
  g_assert_cmpstr (status_string (parsed, "device_id"), ==, "test-device");
  g_assert_cmpstr (status_string (parsed, "agent_version"), ==, PACKAGE_VERSION);
  g_assert_cmpstr (status_string (parsed, "phase"), ==, "Running");
  g_assert_cmpstr (last_fetch_string (parsed, "result"), !=, NULL);
  g_assert_cmpint (stop_fleetd (f), ==, 0);
}

static void
test_plan (Fixture *f, gconstpointer data)
{
  g_autofree char *v2 = g_build_filename (f->dir, "v2.json", NULL);
  g_autofree char *bad = g_build_filename (f->dir, "bad.json", NULL);
  g_autofree char *out = NULL;
  g_autofree char *json = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *doc = g_strdup_printf (DOC_TMPL, 2, "localhost/hello:v2");
  g_autoptr(JsonNode) parsed = NULL;
  g_autoptr(FleetState) before = NULL;
  g_autoptr(FleetState) after = NULL;

  write_file (v2, doc);
  write_file (bad, "{\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{"
                   "\"services\":[{\"name\":\"web\",\"image\":\"x\",\"ports\":[\"80:x\"]}]}}}}");
  start_fleetd (f, NULL, NULL);
  g_clear_pointer (&parsed, json_node_unref);
  parsed = wait_for_status ("Running", 1);
  g_clear_pointer (&parsed, json_node_unref);
  before = load_state (f);

  g_assert_cmpint (fleetctl (FALSE, &out, NULL, "plan", v2, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "pull      hello  localhost/hello:v2\n"));
  g_assert_nonnull (strstr (out, "replace   hello/web  "));
  g_assert_nonnull (strstr (out, " -> localhost/hello:v2\n"));

  g_assert_cmpint (fleetctl (FALSE, &json, NULL, "plan", "--json", v2, NULL), ==, 0);
  parsed = json_from_string (json, NULL);
  g_assert_nonnull (parsed);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      json_node_get_object (parsed), "actions")), ==, 2);

  g_assert_cmpint (fleetctl (FALSE, NULL, &err, "plan", bad, NULL), ==, 1);
  expected = g_strdup_printf ("fleetctl: %s: deployments.hello.data.services[0].ports[0]: ", bad);
  g_assert_true (g_str_has_prefix (err, expected));
  g_assert_cmpuint (strlen (strchr (err, '\n')), ==, 1);

  /* What is not a document file is said in one line, and not read whole. */
  {
    const char *not_files[] = { "/dev/zero", f->dir };

    for (guint i = 0; i < G_N_ELEMENTS (not_files); i++)
      {
        g_autofree char *line = NULL;
        g_autofree char *want = g_strdup_printf ("fleetctl: %s: not a regular file\n",
                                                 not_files[i]);

        g_assert_cmpint (fleetctl (FALSE, NULL, &line, "plan", not_files[i], NULL), ==, 1);
        g_assert_cmpstr (line, ==, want);
      }
  }

  /* A dry run changes nothing. */
  after = load_state (f);
  g_assert_true (fleet_document_equal (fleet_state_get_desired (before), fleet_state_get_desired (after)));
  g_assert_cmpstr (fleet_deployment_record_lookup_service (
                     fleet_state_lookup_deployment (after, "hello"), "web")->container_id, ==,
                   fleet_deployment_record_lookup_service (
                     fleet_state_lookup_deployment (before, "hello"), "web")->container_id);
  g_assert_cmpint (stop_fleetd (f), ==, 0);
}

static void
test_reconcile (Fixture *f, gconstpointer data)
{
  const char *const env[] = { "FLEET_TEST_FAKE_START_FAILS", "localhost/hello:broken", NULL };
  g_autofree char *out = NULL;
  g_autofree char *failed = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonNode) status = NULL;

  start_fleetd (f, env, (const char *const[]){ "--poll-interval", "3600", NULL });
  status = wait_for_status ("Running", 1);
  g_clear_pointer (&status, json_node_unref);

  write_doc (f, 2, "localhost/hello:v2");
  g_assert_cmpint (fleetctl (FALSE, &out, NULL, "reconcile", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "Running\n");
  status = get_status ();
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (status), "generation"), ==,
                   2);

  write_doc (f, 3, "localhost/hello:broken");
  g_assert_cmpint (fleetctl (FALSE, &failed, &err, "reconcile", NULL), ==, 1);
  g_assert_cmpstr (failed, ==, "Failed\n");
  g_assert_cmpint (stop_fleetd (f), ==, 0);
}

/* Mutating calls are root's; reading is everybody's. */
static void
test_not_root (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *status = NULL;
  g_autofree char *version = NULL;
  g_autofree char *log = NULL;

  if (!can_switch_users ())
    return;
  start_fleetd (f, NULL, NULL);
  json_node_unref (wait_for_status ("Running", 1));

  g_assert_cmpint (fleetctl (TRUE, &out, &err, "reconcile", NULL), ==, 1);
  g_assert_cmpstr (out, ==, "");
  g_assert_cmpstr (err, ==, "fleetctl: Reconcile requires root\n");
  log = read_log (f);
  g_assert_nonnull (strstr (log, "action=refuse method=Reconcile"));

  g_assert_cmpint (fleetctl (TRUE, &status, NULL, "status", NULL), ==, 0);
  g_assert_nonnull (strstr (status, "Phase:       Running\n"));
  g_assert_cmpint (fleetctl (TRUE, &version, NULL, "version", NULL), ==, 0);
  g_assert_cmpstr (version, ==, "fleetctl " PACKAGE_VERSION "\nfleetd " PACKAGE_VERSION "\n");
  g_assert_cmpint (stop_fleetd (f), ==, 0);
}

static void
test_not_running (Fixture *f, gconstpointer data)
{
  const char *commands[] = { "status", "reconcile", "version" };

  g_assert_false (name_has_owner ());
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;

      g_assert_cmpint (fleetctl (FALSE, &out, &err, commands[i], NULL), ==, 1);
      g_assert_cmpstr (err, ==, "fleetctl: fleetd is not running on the session bus\n");
      if (g_str_equal (commands[i], "version"))
        g_assert_cmpstr (out, ==, "fleetctl " PACKAGE_VERSION "\n");
      else
        g_assert_cmpstr (out, ==, "");
    }
}

/* No bus at all: the bus, not fleetd, is named as what cannot be reached. */
static void
test_bus_unreachable (Fixture *f, gconstpointer data)
{
  g_autoptr(GSubprocessLauncher) launcher =
    new_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *address = g_strdup_printf ("unix:path=%s/no-such-bus", f->dir);
  const char *argv[] = { fleetctl_path (), "--bus=session", "status", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", address, TRUE);
  g_assert_cmpint (run (launcher, argv, &out, &err), ==, 1);
  g_assert_cmpstr (out, ==, "");
  g_assert_true (g_str_has_prefix (err, "fleetctl: cannot connect to the session bus, so fleetd "
                                        "cannot be reached: "));
  g_assert_nonnull (strchr (err, '\n'));
  g_assert_true (strchr (err, '\n')[1] == '\0');
}

static void
test_second_instance (Fixture *f, gconstpointer data)
{
  g_autofree char *err = NULL;

  start_fleetd (f, NULL, NULL);
  g_assert_cmpint (fleetd_once (f, NULL, &err, "--bus", "session", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "fleetd: cannot own the name dev.fleet.Agent1 on the session "
                                 "bus"));
  g_assert_cmpint (stop_fleetd (f), ==, 0);
}

/* Lifecycle. */

/* SIGTERM: exit 0 with the state persisted; a restart with the source gone
 * carries on from it. */
static void
test_sigterm_and_restart (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetState) state = NULL;
  g_autoptr(JsonNode) running = NULL;
  g_autoptr(JsonNode) resumed = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *log = NULL;
  g_autofree char *log2 = NULL;

  start_fleetd (f, NULL, NULL);
  running = wait_for_status ("Running", 1);
  digest = g_strdup (status_string (running, "desired_digest"));
  g_assert_cmpint (stop_fleetd (f), ==, 0);
  log = read_log (f);
  g_assert_nonnull (strstr (log, "action=stop result=ok"));

  state = load_state (f);
  g_assert_nonnull (fleet_state_get_desired (state));
  g_assert_cmpstr (fleet_state_get_desired (state)->digest, ==, digest);
  g_assert_true (fleet_is_container_id (fleet_deployment_record_lookup_service (
    fleet_state_lookup_deployment (state, "hello"), "web")->container_id));

  g_unlink (f->doc_path);
  start_fleetd (f, NULL, NULL);
  resumed = wait_for_status ("Running", 1);
  g_assert_cmpstr (status_string (resumed, "desired_digest"), ==, digest);
  log2 = read_log (f);
  g_assert_nonnull (strstr (log2, "action=recover"));
  while (g_strcmp0 (last_fetch_string (resumed, "result"), "error") != 0)
    {
      g_clear_pointer (&resumed, json_node_unref);
      fleet_test_sleep_ms (50);
      resumed = get_status ();
    }
  g_assert_cmpstr (status_string (resumed, "phase"), ==, "Running");
  g_assert_cmpint (stop_fleetd (f), ==, 0);
}

static guint
count_occurrences (const char *haystack, const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (haystack, needle); p; p = strstr (p + 1, needle))
    n++;
  return n;
}

/* An invalid document changes nothing, shows in the status, and is logged
 * once however often it is fetched; the next valid one is applied. */
static void
test_fetch_failure (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonNode) running = NULL;
  g_autoptr(JsonNode) failing = NULL;
  g_autoptr(JsonNode) recovered = NULL;
  g_autofree char *log = NULL;
  g_autofree char *err = NULL;

  start_fleetd (f, NULL, NULL);
  running = wait_for_status ("Running", 1);
  write_file (f->doc_path, "{\"generation\":2,\"deployments\":{\"hello\":{\"type\":\"Docker\"}}}");
  failing = get_status ();
  while (g_strcmp0 (last_fetch_string (failing, "result"), "error") != 0)
    {
      g_clear_pointer (&failing, json_node_unref);
      fleet_test_sleep_ms (50);
      failing = get_status ();
    }
  g_assert_nonnull (strstr (last_fetch_string (failing, "error"), "deployments.hello"));
  g_assert_cmpstr (status_string (failing, "phase"), ==, "Running");
  g_assert_cmpstr (status_string (failing, "desired_digest"), ==,
                   status_string (running, "desired_digest"));

  /* fleetctl reconcile reports the cause. */
  g_assert_cmpint (fleetctl (FALSE, NULL, &err, "reconcile", NULL), ==, 1);
  g_assert_true (g_str_has_prefix (err, "fleetctl: "));
  g_assert_nonnull (strstr (err, "deployments.hello"));

  /* Several polls and backoff retries later (last_fetch.at moves on),
   * still logged once. */
  {
    g_autofree char *first_at = g_strdup (last_fetch_string (failing, "at"));
    g_autoptr(JsonNode) later = NULL;

    fleet_test_sleep_ms (3500);
    later = get_status ();
    g_assert_cmpstr (last_fetch_string (later, "result"), ==, "error");
    g_assert_cmpstr (last_fetch_string (later, "at"), >, first_at);
  }
  log = read_log (f);
  g_assert_cmpuint (count_occurrences (log, "result=error"), ==, 1);

  write_doc (f, 2, "localhost/hello:v2");
  recovered = wait_for_status ("Running", 2);
  g_assert_cmpstr (last_fetch_string (recovered, "result"), ==, "ok");
  g_assert_cmpint (stop_fleetd (f), ==, 0);
}

/* Reporting. */

typedef struct
{
  guint puts;
  char *last_body;
} StatusServer;

static void
on_status_put (SoupServer *server, SoupServerMessage *message, const char *path,
               GHashTable *query, gpointer user_data)
{
  StatusServer *s = user_data;
  g_autoptr(GBytes) body = soup_message_body_flatten (
    soup_server_message_get_request_body (message));

  if (g_str_equal (soup_server_message_get_method (message), "PUT"))
    {
      s->puts++;
      g_free (s->last_body);
      s->last_body = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
    }
  soup_server_message_set_status (message, SOUP_STATUS_NO_CONTENT, NULL);
}

static void
test_status_url (Fixture *f, gconstpointer data)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoslist(GUri) uris = NULL;
  g_autofree char *base = NULL;
  g_autofree char *url = NULL;
  StatusServer s = { 0, };
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_MSECS * 1000;

  soup_server_add_handler (server, "/status/test-device", on_status_put, &s, NULL);
  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  base = g_uri_to_string (uris->data);
  url = g_strconcat (base, "status/{device}", NULL);

  start_fleetd (f, NULL, (const char *const[]){ "--status-url", url, NULL });
  while (s.last_body == NULL || strstr (s.last_body, "\"phase\":\"Running\"") == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_nonnull (strstr (s.last_body, "\"device_id\":\"test-device\""));
  g_assert_nonnull (strstr (s.last_body, "\"generation\":1"));
  g_assert_cmpint (stop_fleetd (f), ==, 0);
  g_free (s.last_body);
}

static char *
receive_notification (GSocket *socket)
{
  g_autoptr(GError) error = NULL;
  char buffer[4096];
  gssize n;

  g_socket_set_timeout (socket, TIMEOUT_MSECS / 1000);
  n = g_socket_receive (socket, buffer, sizeof buffer, NULL, &error);
  g_assert_no_error (error);
  return g_strndup (buffer, n);
}

/* Wait for a notification starting with @prefix, skipping others. */
static void
expect_notification (GSocket *socket, const char *prefix)
{
  while (TRUE)
    {
      g_autofree char *message = receive_notification (socket);

      if (g_str_has_prefix (message, prefix))
        return;
    }
}

static void
test_systemd_notify (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "notify", NULL);
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM,
                                            G_SOCKET_PROTOCOL_DEFAULT, &error);
  const char *env[] = { "NOTIFY_SOCKET", path, "WATCHDOG_USEC", "400000", NULL };

  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);

  start_fleetd (f, env, NULL);
  expect_notification (socket, "READY=1");
  expect_notification (socket, "STATUS=Running, generation 1");
  expect_notification (socket, "WATCHDOG=1");
  expect_notification (socket, "WATCHDOG=1");
  g_subprocess_send_signal (f->fleetd, SIGTERM);
  expect_notification (socket, "STOPPING=1");
  g_assert_cmpint (stop_fleetd (f), ==, 0);
}

/* The private bus. */

static void
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
  bus.dir = fleet_test_make_tmpdir ();
  g_chmod (bus.dir, 0755); /* nobody connects too */
  listen = g_strdup_printf ("--address=unix:path=%s/bus", bus.dir);
  bus.daemon = g_subprocess_launcher_spawn (launcher, &error, "dbus-daemon", "--nofork",
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
}

static void
stop_bus (void)
{
  g_dbus_connection_close_sync (bus.connection, NULL, NULL);
  g_clear_object (&bus.connection);
  g_subprocess_force_exit (bus.daemon);
  g_subprocess_wait (bus.daemon, NULL, NULL);
  g_clear_object (&bus.daemon);
  fleet_test_rm_rf (bus.dir);
  g_free (bus.dir);
  g_free (bus.address);
}

int
main (int argc, char **argv)
{
  g_autofree char *dbus_daemon = g_find_program_in_path ("dbus-daemon");
  int ret;

  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  fleet_test_init (&argc, &argv);
  (void) fleet_error_quark ();

#define ADD(name, func) g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/daemon/once/running", test_once_running);
  ADD ("/daemon/once/invalid-document", test_once_invalid_document);
  ADD ("/daemon/once/unreachable-source", test_once_unreachable_source);
  ADD ("/daemon/once/start-failure", test_once_start_failure);
  ADD ("/daemon/once/exits-at-once", test_once_exits_at_once);
  ADD ("/daemon/once/cannot-persist", test_once_cannot_persist);
  ADD ("/daemon/bad-settings", test_bad_settings);
  g_test_add_func ("/daemon/version", test_version);
  ADD ("/daemon/fleetctl/status", test_status);
  ADD ("/daemon/fleetctl/plan", test_plan);
  ADD ("/daemon/fleetctl/reconcile", test_reconcile);
  ADD ("/daemon/fleetctl/not-root", test_not_root);
  ADD ("/daemon/fleetctl/not-running", test_not_running);
  ADD ("/daemon/fleetctl/bus-unreachable", test_bus_unreachable);
  ADD ("/daemon/second-instance", test_second_instance);
  ADD ("/daemon/sigterm-and-restart", test_sigterm_and_restart);
  ADD ("/daemon/fetch-failure", test_fetch_failure);
  ADD ("/daemon/status-url", test_status_url);
  ADD ("/daemon/systemd-notify", test_systemd_notify);
#undef ADD

  if (dbus_daemon == NULL)
    {
      g_print ("1..0 # SKIP dbus-daemon is not installed\n");
      return 0;
    }
  start_bus ();
  ret = g_test_run ();
  stop_bus ();
  return ret;
}
