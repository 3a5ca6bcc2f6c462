/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-faults.c: the built fleetd against hostile surroundings, one scenario
 * per defect of issue 9, each against a real podman (a private `podman
 * system service`, see fleet-podman-harness.c) or, where no container is
 * involved, the fake runtime:
 *
 *   1  a full state disk (a tiny tmpfs) during an upgrade: nothing runs that
 *      a restart would not know, the save is retried, and a restart with the
 *      source unreachable never brings the older version back;
 *   4  one deployment waiting out a long stop grace does not stall the
 *      liveness of another;
 *   5  the tick acts on the recorded id, never on the container's name;
 *   6  an unusable state directory is refused at start (one line, exit
 *      status not 0, no container touched); a later write failure is
 *      reported in the status;
 *   7  a state file of a newer format is refused, not overwritten.
 *
 * Podman crashing in the middle of an operation (defect 3 and later ones)
 * is test-faults-crash.c; the loop that kills fleetd and podman at random
 * points of upgrades is test-fault-loop.c.
 *
 * FLEET_FAULTS_PENDING="5 7 ..." lists the defects whose fix is not in the
 * tree: their scenarios are then reported as skipped (never as passed).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/mount.h>
#include <unistd.h>

#include "fleet-fault-fixture.h"
#include "fleet-test-processes.h"
#include "fleet-test-utils.h"

#define NOBODY_UID 65534

typedef FaultFixture Fixture;

static char *
app_document (guint version)
{
  return fault_app_document (version, FAULT_SCRIPT_POLITE);
}

static char *
app_digest (guint version)
{
  g_autofree char *doc = app_document (version);

  return fault_spec_digest (doc, "app", "web");
}

static gboolean
has_state_error (gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr(JsonObject) status = fleet_fault_rig_get_status (f->rig);

  return json_object_get_string_member_with_default (status, "state_error", NULL) != NULL;
}

/* A full state disk. */

/* Fill the file system of @dir up to its last byte. */
static void
fill_disk (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "fill", NULL);
  static const char zeros[65536];
  int fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  g_assert_cmpint (fd, >=, 0);
  for (gsize chunk = sizeof zeros; chunk > 0; chunk /= 2)
    while (write (fd, zeros, chunk) == (gssize) chunk)
      ;
  g_assert_cmpint (errno, ==, ENOSPC);
  g_assert_cmpint (fsync (fd), ==, 0);
  g_assert_cmpint (close (fd), ==, 0);
}

static void
free_disk (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "fill", NULL);

  g_assert_cmpint (g_unlink (path), ==, 0);
}

/* v1 running and recorded on a tiny tmpfs, then the tmpfs filled and v2
 * published.  Returns v1's container. */
static char *
upgrade_on_full_disk (Fixture *f)
{
  g_autofree char *v1 = app_document (1);
  g_autofree char *v2 = app_document (2);
  g_autofree char *digest = app_digest (1);
  char *id;

  fault_fixture_mount (f, "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, "size=256k,mode=0700");
  fleet_fault_rig_write_document (f->rig, v1);
  fleet_fault_rig_start_fleetd (f->rig);
  id = fault_wait_recorded (f, "app", "web", digest);
  fill_disk (fleet_fault_rig_get_state_dir (f->rig));
  fleet_fault_rig_write_document (f->rig, v2);
  return id;
}

/* Whether every running container fleet manages is one the state file
 * records: one a restart would know. */
static gboolean
all_running_recorded (Fixture *f)
{
  g_autoptr(GPtrArray) containers = fleet_fault_podman_list_managed (f->h);
  g_autofree char *records = fleet_fault_rig_read_state_file (f->rig, "state.json");

  for (guint i = 0; i < containers->len; i++)
    {
      JsonObject *container = containers->pdata[i];
      const char *id = json_object_get_string_member (container, "Id");

      if (g_strcmp0 (fleet_fault_container_state (container), "running") == 0
          && (records == NULL || strstr (records, id) == NULL))
        {
          g_test_message ("container %.12s (%s) runs but state.json does not hold it: %s", id,
                          fleet_fault_container_label (container, "fleet.spec-digest"),
                          records ? records : "(none)");
          return FALSE;
        }
    }
  return TRUE;
}

/* ENOSPC during an upgrade: reported in the status; nothing runs that the
 * state file does not hold; once space returns, the save is retried without
 * any other change, and v2 runs recorded. */
static void
test_enospc_save_retried (Fixture *f, gconstpointer data)
{
  g_autofree char *v2_digest = app_digest (2);
  g_autofree char *desired = NULL;
  g_autoptr(FleetDocument) persisted = NULL;
  g_autoptr(GError) error = NULL;

  if (!f->ready)
    return;
  g_free (upgrade_on_full_disk (f));
  g_assert_true (fleet_fault_wait_for (has_state_error, f, 20));
  for (guint i = 0; i < 20; i++)
    {
      g_assert_true (all_running_recorded (f));
      fleet_test_sleep_ms (250);
    }

  free_disk (fleet_fault_rig_get_state_dir (f->rig));
  g_free (fault_wait_recorded (f, "app", "web", v2_digest));
  desired = fleet_fault_rig_read_state_file (f->rig, "desired.json");
  g_assert_nonnull (desired);
  persisted = fleet_document_new_from_data (desired, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (persisted->generation, ==, 2);
  g_assert_false (has_state_error (f));
}

/* ENOSPC during an upgrade, then fleetd killed and started again with the
 * source unreachable: a v2 that ran is not removed, v1 does not start
 * again. */
static void
test_enospc_restart_keeps_newer (Fixture *f, gconstpointer data)
{
  g_autofree char *v1_digest = app_digest (1);
  g_autofree char *v2_digest = app_digest (2);
  g_autoptr(GHashTable) versions = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GString) problems = g_string_new (NULL);
  g_autofree char *v1_id = NULL;
  g_autofree char *v2_id = NULL;
  FaultServiceWait wait = { f, "app", "web", v2_digest, NULL };

  if (!f->ready)
    return;
  v1_id = upgrade_on_full_disk (f);
  /* Whatever fleetd does with v2 meanwhile (before the fix: starts it). */
  if (fleet_fault_wait_for (fault_service_is_running, &wait, 8))
    v2_id = g_steal_pointer (&wait.id);
  fleet_fault_rig_kill_fleetd (f->rig);
  fleet_fault_rig_remove_document (f->rig);
  free_disk (fleet_fault_rig_get_state_dir (f->rig));
  fleet_fault_rig_start_fleetd (f->rig);
  fleet_test_sleep_ms (8000);

  g_hash_table_insert (versions, v1_digest, GUINT_TO_POINTER (1));
  g_hash_table_insert (versions, v2_digest, GUINT_TO_POINTER (2));
  if (!fault_check_starts (f, versions, problems))
    {
      g_autofree char *log = fleet_fault_rig_read_log (f->rig);

      g_test_message ("fleetd's log:\n%s", log);
      g_error ("an older version started again: %s", problems->str);
    }
  wait.digest = v2_id != NULL ? v2_digest : v1_digest;
  g_assert_true (fault_service_is_running (&wait));
  g_assert_cmpstr (wait.id, ==, v2_id != NULL ? v2_id : v1_id);
  g_free (wait.id);
}

static gboolean
file_exists (gpointer user_data)
{
  return g_file_test (user_data, G_FILE_TEST_EXISTS);
}

/* A long stop grace. */

/* "slow" ignores its stop signal and has a 30 s grace; "quick" is not
 * upgraded. */
static char *
grace_document (guint version, const char *dir)
{
  g_autofree char *volume = g_strdup_printf (",\"volumes\":[\"%s:/data\"]", dir);
  g_autofree char *slow_web = fault_service_json ("web", version, FAULT_SCRIPT_STUBBORN, volume);
  g_autofree char *quick_web = fault_service_json ("web", 1, FAULT_SCRIPT_POLITE, NULL);
  g_autofree char *slow = fault_deployment_json ("slow", 30, slow_web, NULL);
  g_autofree char *quick = fault_deployment_json ("quick", 1, quick_web, NULL);

  return fault_document_json (version, slow, quick, NULL);
}

/* While "slow" waits out its grace in an upgrade, the container of "quick"
 * is killed: it runs again while the old "slow" one still waits to be
 * killed, not after. */
static void
test_grace_does_not_stall_others (Fixture *f, gconstpointer data)
{
  g_autofree char *marker = NULL;
  g_autofree char *v1 = NULL;
  g_autofree char *v2 = NULL;
  g_autofree char *slow_digest = NULL;
  g_autofree char *quick_digest = NULL;
  g_autofree char *slow_id = NULL;
  g_autofree char *quick_id = NULL;
  g_autofree char *slow_state = NULL;
  FaultServiceWait quick = { f, "quick", "web", NULL, NULL };

  if (!f->ready)
    return;
  marker = g_build_filename (fleet_fault_rig_get_dir (f->rig), "term", NULL);
  v1 = grace_document (1, fleet_fault_rig_get_dir (f->rig));
  v2 = grace_document (2, fleet_fault_rig_get_dir (f->rig));
  slow_digest = fault_spec_digest (v1, "slow", "web");
  quick_digest = fault_spec_digest (v1, "quick", "web");
  quick.digest = quick_digest;
  fleet_fault_rig_write_document (f->rig, v1);
  fleet_fault_rig_start_fleetd (f->rig);
  slow_id = fault_wait_recorded (f, "slow", "web", slow_digest);
  quick_id = fault_wait_recorded (f, "quick", "web", quick_digest);

  fleet_fault_rig_write_document (f->rig, v2);
  g_assert_true (fleet_fault_wait_for (file_exists, marker, 30));
  FAULT_PODMAN (f, NULL, "kill", quick_id);
  g_assert_true (fleet_fault_wait_for (fault_service_is_running, &quick, 25));
  /* The old "slow" container is still in its grace (podman says "stopping",
   * or "running" before it got to it): nothing waited for it. */
  slow_state = fault_container_state (f, slow_id);
  if (g_strcmp0 (slow_state, "stopping") != 0)
    g_assert_cmpstr (slow_state, ==, "running");
  g_free (quick.id);
  /* Ends the grace: podman leaves a container it is stopping behind when
   * removed with --force. */
  FAULT_PODMAN (f, NULL, "kill", slow_id);
}

/* Names are not identities. */

/* The recorded container renamed and an unlabelled one created in its
 * name's place: when the recorded one stops, fleetd starts it again by its
 * id and leaves the stranger alone. */
static void
test_tick_acts_on_ids (Fixture *f, gconstpointer data)
{
  g_autofree char *doc = app_document (1);
  g_autofree char *digest = app_digest (1);
  g_autofree char *id = NULL;
  g_autofree char *stranger = NULL;
  g_autofree char *stranger_state = NULL;
  FaultServiceWait wait = { f, "app", "web", digest, NULL };

  if (!f->ready)
    return;
  fleet_fault_rig_write_document (f->rig, doc);
  fleet_fault_rig_start_fleetd (f->rig);
  id = fault_wait_recorded (f, "app", "web", digest);

  FAULT_PODMAN (f, NULL, "rename", id, "app_web-renamed");
  FAULT_PODMAN (f, &stranger, "create", "--name", "app_web", "localhost/fleet-test:v1");
  g_strstrip (stranger);
  FAULT_PODMAN (f, NULL, "stop", "--time", "0", id);

  g_assert_true (fleet_fault_wait_for (fault_service_is_running, &wait, 20));
  fleet_test_sleep_ms (2000);
  g_assert_cmpuint (fault_count_starts_of (f, stranger), ==, 0);
  stranger_state = fault_container_state (f, stranger);
  g_assert_cmpstr (stranger_state, !=, "running");
  g_free (wait.id);
}

/* An unusable state directory. */

/* The line of fleetd's last run that starts with "fleetd: " and names
 * @what, or NULL. */
static char *
error_line_naming (Fixture *f, const char *what)
{
  g_autofree char *log = fleet_fault_rig_read_log (f->rig);
  const char *last_run = g_strrstr (log, "--- fleetd started by the test\n");
  g_auto(GStrv) lines = g_strsplit (last_run ? last_run : "", "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "fleetd: ") && strstr (lines[i], what) != NULL)
      return g_strdup (lines[i]);
  return NULL;
}

/* fleetd refuses to run: it exits with a status other than 0 and says why
 * in one line naming @what. */
static void
assert_refused (Fixture *f, const char *what)
{
  g_autofree char *line = NULL;
  int status = 0;

  fleet_fault_rig_spawn_fleetd (f->rig);
  if (!fleet_fault_rig_wait_fleetd_exit (f->rig, 20, &status))
    {
      g_autofree char *log = fleet_fault_rig_read_log (f->rig);

      g_test_message ("fleetd's log:\n%s", log);
      g_error ("fleetd still runs 20 s after its start; it should have refused to (%s)", what);
    }
  g_assert_cmpint (status, >, 0);
  line = error_line_naming (f, what);
  if (line == NULL)
    {
      g_autofree char *log = fleet_fault_rig_read_log (f->rig);

      g_error ("no line \"fleetd: ...%s...\" in fleetd's log:\n%s", what, log);
    }
  g_test_message ("%s", line);
}

/* Converged on v1, then fleetd stopped and @sabotage done to its state
 * directory: fleetd refuses to start, and no container is touched. */
static void
refuse_without_touching (Fixture *f, void (*sabotage) (Fixture *f), const char *what)
{
  g_autofree char *doc = app_document (1);
  g_autofree char *digest = app_digest (1);
  g_autofree char *id = NULL;
  g_autofree char *state = NULL;
  guint events;

  fleet_fault_rig_write_document (f->rig, doc);
  fleet_fault_rig_start_fleetd (f->rig);
  id = fault_wait_recorded (f, "app", "web", digest);
  g_assert_cmpint (fleet_fault_rig_stop_fleetd (f->rig), ==, 0);
  sabotage (f);
  events = fault_count_lifecycle_events (f);

  assert_refused (f, what);
  fleet_test_sleep_ms (1000);
  g_assert_cmpuint (fault_count_lifecycle_events (f), ==, events);
  state = fault_container_state (f, id);
  g_assert_cmpstr (state, ==, "running");
}

static void
make_read_only (Fixture *f)
{
  const char *dir = fleet_fault_rig_get_state_dir (f->rig);

  fault_fixture_mount (f, dir, NULL, MS_BIND, NULL);
  fault_fixture_mount (f, NULL, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
}

/* A read-only mount (root writes nowhere there either). */
static void
test_read_only_state_dir (Fixture *f, gconstpointer data)
{
  if (!f->ready)
    return;
  refuse_without_touching (f, make_read_only, fleet_fault_rig_get_state_dir (f->rig));
}

/* fleetd runs as nobody (when the test is root) with a state directory it
 * owns, of @mode; FALSE if that cannot be arranged here. */
static gboolean
own_state_dir (Fixture *f, int mode)
{
  const char *dir = fleet_fault_rig_get_state_dir (f->rig);
  g_autofree char *setpriv = g_find_program_in_path ("setpriv");

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  if (geteuid () == 0)
    {
      if (setpriv == NULL)
        {
          g_test_skip ("needs setpriv to run fleetd as nobody");
          return FALSE;
        }
      g_assert_cmpint (chown (dir, NOBODY_UID, NOBODY_UID), ==, 0);
      fleet_fault_rig_set_user (f->rig, NOBODY_UID);
    }
  g_assert_cmpint (g_chmod (dir, mode), ==, 0);
  return TRUE;
}

/* A state directory fleetd may read but not write, by its mode. */
static void
test_unwritable_state_dir (Fixture *f, gconstpointer data)
{
  if (!f->ready || !own_state_dir (f, 0500))
    return;
  fleet_fault_rig_write_document (f->rig, "{\"deployments\":{}}");
  assert_refused (f, fleet_fault_rig_get_state_dir (f->rig));
}

static gboolean
state_file_exists (gpointer user_data)
{
  g_autofree char *records = fleet_fault_rig_read_state_file (user_data, "state.json");

  return records != NULL;
}

static gboolean
log_names_persist_error (Fixture *f)
{
  g_autofree char *log = fleet_fault_rig_read_log (f->rig);
  g_auto(GStrv) lines = g_strsplit (log, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], "persist") != NULL && strstr (lines[i], "error") != NULL)
      return TRUE;
  return FALSE;
}

/* The state directory becomes unwritable while fleetd runs: the status and
 * the log say so. */
static void
test_later_write_failure_reported (Fixture *f, gconstpointer data)
{
  g_autofree char *v1 = app_document (1);
  g_autofree char *v2 = app_document (2);

  if (!f->ready || !own_state_dir (f, 0700))
    return;
  fleet_fault_rig_write_document (f->rig, v1);
  fleet_fault_rig_start_fleetd (f->rig);
  g_assert_true (fleet_fault_wait_for (state_file_exists, f->rig, 20));
  g_assert_false (has_state_error (f));
  g_assert_cmpint (g_chmod (fleet_fault_rig_get_state_dir (f->rig), 0500), ==, 0);
  fleet_fault_rig_write_document (f->rig, v2);
  g_assert_true (fleet_fault_wait_for (has_state_error, f, 20));
  g_assert_true (log_names_persist_error (f));
}

/* A state file from a newer release. */

static char *saved_state;
static char *saved_desired;

static void
bump_state_version (Fixture *f)
{
  g_autofree char *path = g_build_filename (fleet_fault_rig_get_state_dir (f->rig),
                                            "state.json", NULL);
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *state;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  node = json_from_string (text, &error);
  g_assert_no_error (error);
  state = json_node_get_object (node);
  json_object_set_int_member (state, "version", json_object_get_int_member (state, "version") + 1);
  json_object_set_string_member (state, "added_by_a_newer_release", "keep me");
  g_free (saved_state);
  saved_state = json_to_string (node, FALSE);
  g_file_set_contents (path, saved_state, -1, &error);
  g_assert_no_error (error);
  g_free (saved_desired);
  saved_desired = fleet_fault_rig_read_state_file (f->rig, "desired.json");
}

/* fleetd refuses to run, and leaves both state files as they were. */
static void
test_newer_state_version (Fixture *f, gconstpointer data)
{
  g_autofree char *state = NULL;
  g_autofree char *desired = NULL;

  if (!f->ready)
    return;
  refuse_without_touching (f, bump_state_version, "state.json");
  state = fleet_fault_rig_read_state_file (f->rig, "state.json");
  desired = fleet_fault_rig_read_state_file (f->rig, "desired.json");
  g_assert_cmpstr (state, ==, saved_state);
  g_assert_cmpstr (desired, ==, saved_desired);
  g_clear_pointer (&saved_state, g_free);
  g_clear_pointer (&saved_desired, g_free);
}

int
main (int argc, char **argv)
{
  static const FaultScenario enospc = { "1", FAULT_NEEDS_PODMAN | FAULT_NEEDS_ROOT };
  static const FaultScenario grace = { "4", FAULT_NEEDS_PODMAN };
  static const FaultScenario names = { "5", FAULT_NEEDS_PODMAN };
  static const FaultScenario read_only = { "6", FAULT_NEEDS_PODMAN | FAULT_NEEDS_ROOT };
  static const FaultScenario unwritable = { "6", FAULT_NEEDS_NOTHING };
  static const FaultScenario newer = { "7", FAULT_NEEDS_PODMAN };
  int ret;

  fault_private_mounts ();
  fleet_test_init (&argc, &argv);
#define ADD(path, scenario, func)                                                                  \
  g_test_add (path, Fixture, &scenario, fault_fixture_setup, func, fault_fixture_teardown)
  ADD ("/faults/defect1/enospc-save-retried", enospc, test_enospc_save_retried);
  ADD ("/faults/defect1/enospc-restart-keeps-newer", enospc, test_enospc_restart_keeps_newer);
  ADD ("/faults/defect4/grace-does-not-stall-others", grace, test_grace_does_not_stall_others);
  ADD ("/faults/defect5/tick-acts-on-ids", names, test_tick_acts_on_ids);
  ADD ("/faults/defect6/read-only-state-dir", read_only, test_read_only_state_dir);
  ADD ("/faults/defect6/unwritable-state-dir", unwritable, test_unwritable_state_dir);
  ADD ("/faults/defect6/later-write-failure-reported", unwritable,
       test_later_write_failure_reported);
  ADD ("/faults/defect7/newer-state-version", newer, test_newer_state_version);
#undef ADD

  g_assert_true (fleet_test_bus_start ());
  ret = g_test_run ();
  fleet_test_bus_stop ();
  fleet_fault_podman_shutdown ();
  fleet_podman_harness_shutdown ();
  return ret;
}
