/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-faults-crash.c: podman's service killed (SIGKILL, as a crash would)
 * in the middle of an operation fleetd asked of it during an upgrade, then
 * started again: whatever podman left half-done, the service must end up
 * running at the new version, with no other container of it.
 *
 *   3        podman killed right after runc started the new container, before
 *            podman recorded the start: podman then believes the container
 *            initialized, and every later start fails;
 *   removal  podman killed while it removes the old container: podman then
 *            lists it as "removing" and cannot stop, inspect or remove it
 *            the usual way (found by test-fault-loop.c);
 *   storage-leftover
 *            podman killed while it creates a container: the name is then
 *            held by a container only podman's storage knows (found by
 *            test-fault-loop.c under valgrind's timing).
 *
 * The moment is made certain rather than hit by chance: a runc that lingers
 * after a start, an old container with many files to delete, and what an
 * interrupted create leaves made by buildah, whose working containers are
 * exactly that.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "fleet-fault-fixture.h"
#include "fleet-test-processes.h"
#include "fleet-test-utils.h"

typedef FaultFixture Fixture;

static gboolean
file_exists (gpointer user_data)
{
  return g_file_test (user_data, G_FILE_TEST_EXISTS);
}

/* Podman killed mid-start. */

/* Installs a runc that, while DIR/armed exists, lingers after starting a
 * container, having created DIR/started: a podman killed then has started
 * the container (runc did) but never recorded it, as when a crash hits
 * during `runc start`.  Returns DIR. */
static char *
install_lingering_runc (Fixture *f)
{
  g_autofree char *dir = g_build_filename (fleet_podman_harness_get_dir (f->h), "lingering",
                                           NULL);
  g_autofree char *path = g_build_filename (dir, "runc", NULL);
  g_autofree char *runc = g_find_program_in_path ("runc");
  g_autofree char *script = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (runc);
  script = g_strdup_printf ("#!/bin/sh\n"
                            "case \" $* \" in\n"
                            "  *\" start \"*)\n"
                            "    %s \"$@\" || exit\n"
                            "    if [ -e %s/armed ]; then : >%s/started; sleep 10; fi\n"
                            "    exit 0 ;;\n"
                            "esac\n"
                            "exec %s \"$@\"\n",
                            runc, dir, dir, runc);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_file_set_contents (path, script, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, 0755), ==, 0);
  /* The containers keep this runtime: it lives as long as the harness. */
  fleet_fault_podman_set_runtime (path);
  fleet_fault_podman_kill (f->h);
  fleet_fault_podman_restart (f->h);
  return g_steal_pointer (&dir);
}

static void
touch (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, "", 0, &error);
  g_assert_no_error (error);
}

static void
remove_file (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  g_assert_cmpint (g_unlink (path), ==, 0);
}

/* podman killed right after runc started the new container of an upgrade,
 * before podman recorded it: the service runs at the new version in the
 * end.  Three times, so that a retry that works by chance does not hide a
 * failure. */
static void
test_podman_killed_mid_start (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = NULL;
  g_autofree char *started = NULL;
  g_autofree char *v1 = fault_app_document (1, FAULT_SCRIPT_POLITE);
  g_autofree char *v1_digest = fault_spec_digest (v1, "app", "web");

  if (!f->ready)
    return;
  dir = install_lingering_runc (f);
  started = g_build_filename (dir, "started", NULL);
  fleet_fault_rig_write_document (f->rig, v1);
  fleet_fault_rig_start_fleetd (f->rig);
  g_free (fault_wait_recorded (f, "app", "web", v1_digest));
  for (guint version = 2; version <= 4; version++)
    {
      g_autofree char *doc = fault_app_document (version, FAULT_SCRIPT_POLITE);
      g_autofree char *digest = fault_spec_digest (doc, "app", "web");
      FaultServiceWait wait = { f, "app", "web", digest, NULL };

      touch (dir, "armed");
      fleet_fault_rig_write_document (f->rig, doc);
      g_assert_true (fleet_fault_wait_for (file_exists, started, 30));
      fleet_fault_podman_kill (f->h);
      remove_file (dir, "armed");
      remove_file (dir, "started");
      fleet_fault_podman_restart (f->h);
      if (!fleet_fault_wait_for (fault_service_is_running, &wait, 60))
        {
          g_autofree char *log = fleet_fault_rig_read_log (f->rig);

          g_test_message ("fleetd's log:\n%s", log);
          /* Not fatal: the teardown ends the container podman lost. */
          g_test_fail_printf ("v%u does not run 60 s after podman was killed while starting it",
                              version);
          break;
        }
      g_free (wait.id);
    }
  fleet_fault_podman_set_runtime (NULL);
}

/* Podman killed mid-removal. */

/* Fills /data with many files, which take podman a moment to delete, then
 * creates /data/ready. */
#define HEAVY_FILES 20000
#define SCRIPT_HEAVY                                                                               \
  "i=0; while [ $i -lt 20000 ]; do : >/data/f$i; i=$((i+1)); done; : >/data/ready; "             \
  FAULT_SCRIPT_POLITE

static guint
count_entries (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* podman killed while it deletes the files of the old container of an
 * upgrade: the service runs at the new version in the end, and the old
 * container is gone. */
static void
test_podman_killed_mid_removal (Fixture *f, gconstpointer data)
{
  g_autofree char *v1 = fault_app_document (1, SCRIPT_HEAVY);
  g_autofree char *v2 = fault_app_document (2, FAULT_SCRIPT_POLITE);
  g_autofree char *v1_digest = fault_spec_digest (v1, "app", "web");
  g_autofree char *v2_digest = fault_spec_digest (v2, "app", "web");
  g_autofree char *old_id = NULL;
  g_autofree char *upper = NULL;
  g_autofree char *files = NULL;
  g_autofree char *ready = NULL;
  g_autofree char *state = NULL;
  FaultServiceWait wait = { f, "app", "web", v2_digest, NULL };
  gint64 deadline;

  if (!f->ready)
    return;
  fleet_fault_rig_write_document (f->rig, v1);
  fleet_fault_rig_start_fleetd (f->rig);
  old_id = fault_wait_recorded (f, "app", "web", v1_digest);
  upper = fleet_fault_podman_upper_dir (f->h, old_id);
  files = g_build_filename (upper, "data", NULL);
  ready = g_build_filename (files, "ready", NULL);
  g_assert_true (fleet_fault_wait_for (file_exists, ready, 120));

  fleet_fault_rig_write_document (f->rig, v2);
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (count_entries (files) > HEAVY_FILES) /* the removal has not begun */
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (2 * 1000);
    }
  fleet_fault_podman_kill (f->h);
  fleet_fault_podman_restart (f->h);
  state = fault_container_state (f, old_id);
  g_test_message ("podman killed while removing the old container, then %s", state);
  if (!fleet_fault_wait_for (fault_service_is_running, &wait, 60))
    {
      g_autofree char *log = fleet_fault_rig_read_log (f->rig);

      g_test_message ("fleetd's log:\n%s", log);
      g_test_fail_printf ("v2 does not run alone 60 s after podman was killed while removing "
                          "v1's container (which it then had as %s)",
                          state);
    }
  g_free (wait.id);
}

/* Podman killed mid-create. */

/* The service's name held in podman's storage by a container podman does
 * not list, as a create interrupted by a crash leaves it: fleetd (started
 * again after the crash) clears the name and the service runs. */
static void
test_storage_leftover (Fixture *f, gconstpointer data)
{
  g_autofree char *v1 = fault_app_document (1, FAULT_SCRIPT_POLITE);
  g_autofree char *v1_digest = fault_spec_digest (v1, "app", "web");
  g_autofree char *external = NULL;
  g_auto(GStrv) lines = NULL;
  FaultServiceWait wait = { f, "app", "web", v1_digest, NULL };
  g_autoptr(GError) error = NULL;

  if (!f->ready)
    return;
  if (!fleet_podman_harness_hold_name (f->h, "app_web", "localhost/fleet-test:v1", &error))
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
      g_test_skip (error->message);
      return;
    }
  fleet_fault_rig_write_document (f->rig, v1);
  fleet_fault_rig_start_fleetd (f->rig);
  if (!fleet_fault_wait_for (fault_service_is_running, &wait, 60))
    {
      g_autofree char *log = fleet_fault_rig_read_log (f->rig);

      g_test_message ("fleetd's log:\n%s", log);
      g_test_fail_printf ("the service does not run 60 s after fleetd started with its name "
                          "held in podman's storage");
      return;
    }
  /* Only the service's own container is left: podman lists it, storage
   * has nothing more. */
  fleet_podman_harness_podman (f->h, &external, &error, "ps", "--all", "--external",
                               "--format", "{{.ID}} {{.Names}}", NULL);
  g_assert_no_error (error);
  lines = g_strsplit (g_strstrip (external), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1);
  g_assert_cmpint (strncmp (lines[0], wait.id, 12), ==, 0);
  g_assert_true (g_str_has_suffix (lines[0], " app_web"));
  g_free (wait.id);
}

int
main (int argc, char **argv)
{
  static const FaultScenario mid_start = { "3", FAULT_NEEDS_PODMAN };
  static const FaultScenario mid_removal = { "removal", FAULT_NEEDS_PODMAN };
  static const FaultScenario leftover = { "storage-leftover", FAULT_NEEDS_PODMAN };
  int ret;

  fleet_test_init (&argc, &argv);
  g_test_add ("/faults/defect3/podman-killed-mid-start", Fixture, &mid_start,
              fault_fixture_setup, test_podman_killed_mid_start, fault_fixture_teardown);
  g_test_add ("/faults/removal/podman-killed-mid-removal", Fixture, &mid_removal,
              fault_fixture_setup, test_podman_killed_mid_removal, fault_fixture_teardown);
  g_test_add ("/faults/storage-leftover/name-held-in-storage", Fixture, &leftover,
              fault_fixture_setup, test_storage_leftover, fault_fixture_teardown);

  g_assert_true (fleet_test_bus_start ());
  ret = g_test_run ();
  fleet_test_bus_stop ();
  fleet_fault_podman_shutdown ();
  fleet_podman_harness_shutdown ();
  return ret;
}
