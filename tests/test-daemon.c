/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-daemon.c: the real fleetd and fleetctl binaries, as processes, on a
 * private dbus-daemon, with the fake runtime and a file:// source in a
 * scratch directory: --once exit codes, settings, and fleetctl's commands
 * and errors.  The rest of fleetd's life as a process is in
 * test-daemon-run.c. */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <unistd.h>

#include "fleet-daemon-fixture.h"
#include "fleet-util-private.h"
#include "fleet-dbus.h"

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
  g_autoptr(GSubprocessLauncher) launcher = fleet_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  const char *const argv[] = { fleet_test_fleetd_path (), "--version", NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (fleet_test_run (launcher, argv, NULL, &out, NULL), ==, 0);
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
  g_assert_nonnull (strstr (out, "DEPLOYMENT  SERVICE  PHASE    CONTAINER     IMAGE               HEALTH  LAST ERROR\n"));
  line = g_strdup_printf ("hello       web      Running  %.12s  localhost/hello:v1  -       -\n", id);
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

  g_assert_false (fleet_test_bus_name_has_owner (FLEET_DBUS_NAME));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;

      /* status: 4, the phase is not known (fleetctl(1)). */
      g_assert_cmpint (fleetctl (FALSE, &out, &err, commands[i], NULL), ==,
                       g_str_equal (commands[i], "status") ? 4 : 1);
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
    fleet_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *address = g_strdup_printf ("unix:path=%s/no-such-bus", f->dir);
  const char *argv[] = { fleet_test_fleetctl_path (), "--bus=session", "status", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", address, TRUE);
  g_assert_cmpint (fleet_test_run (launcher, argv, NULL, &out, &err), ==, 4);
  g_assert_cmpstr (out, ==, "");
  g_assert_true (g_str_has_prefix (err, "fleetctl: cannot connect to the session bus, so fleetd "
                                        "cannot be reached: "));
  g_assert_nonnull (strchr (err, '\n'));
  g_assert_true (strchr (err, '\n')[1] == '\0');
}

int
main (int argc, char **argv)
{
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
