/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-faults-start-first.c: fleetd killed (SIGKILL) at several moments of
 * a start-first upgrade, then started again: the service must end with
 * exactly one container, running the new version under the service's
 * name, recorded, and no candidate left in the state.
 *
 *   created   as soon as the candidate container exists
 *   waiting   while the candidate runs and is not healthy yet
 *   stopping  while the old container is being stopped (it ignores its
 *             stop signal, so the grace period is long enough to hit)
 *
 * Health is switched from outside: the new version's check passes once
 * the test writes /data/ok in a volume.
 */
#include "config.h"

#include <glib/gstdio.h>

#include "fleet-fault-fixture.h"
#include "fleet-test-processes.h"
#include "fleet-test-utils.h"

typedef FaultFixture Fixture;

typedef enum
{
  KILL_CREATED,
  KILL_WAITING,
  KILL_STOPPING,
} KillPoint;

/* app/web at @version; v2 has a check on DIR/ok and is start-first. */
static char *
app_document (guint version, const char *dir)
{
  g_autofree char *extra = g_strdup_printf (
    ",\"volumes\":[\"%s:/data\"]%s", dir,
    version == 1 ? ""
                 : ",\"healthcheck\":{\"test\":[\"CMD-SHELL\",\"test -e /data/ok\"],"
                   "\"interval\":\"1s\",\"retries\":2,\"start_period\":\"2m\"},"
                   "\"update_config\":{\"order\":\"start-first\"}");
  g_autofree char *web = fault_service_json ("web", version, version == 1 ? FAULT_SCRIPT_STUBBORN
                                                                          : FAULT_SCRIPT_POLITE,
                                             extra);
  g_autofree char *app = fault_deployment_json ("app", 10, web, NULL);

  return fault_document_json (version, app, NULL);
}

static gboolean
candidate_exists (gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr(GPtrArray) containers = fleet_fault_podman_list_managed (f->h);

  for (guint i = 0; i < containers->len; i++)
    {
      JsonArray *names = json_object_get_array_member (containers->pdata[i], "Names");

      if (names && json_array_get_length (names) > 0
          && g_str_equal (json_array_get_string_element (names, 0), "app_web_next"))
        return TRUE;
    }
  return FALSE;
}

static gboolean
candidate_recorded (gpointer user_data)
{
  Fixture *f = user_data;
  g_autofree char *records = fleet_fault_rig_read_state_file (f->rig, "state.json");
  g_autofree char *journal = fleet_fault_rig_read_state_file (f->rig, "state.journal");

  /* saved as a whole, or appended to the journal */
  return (records != NULL && strstr (records, "\"candidate_id\":\"") != NULL)
         || (journal != NULL && strstr (journal, "\"candidate_id\":\"") != NULL);
}

static gboolean
file_exists (gpointer user_data)
{
  return g_file_test (user_data, G_FILE_TEST_EXISTS);
}

/* Brings the upgrade to @point, then kills fleetd. */
static void
kill_at (Fixture *f, KillPoint point, const char *dir)
{
  g_autofree char *ok = g_build_filename (dir, "ok", NULL);
  g_autofree char *term = g_build_filename (dir, "term", NULL);
  gboolean reached = FALSE;

  if (point == KILL_STOPPING)
    g_assert_true (g_file_set_contents (ok, "", 0, NULL));
  switch (point)
    {
    case KILL_CREATED:
      reached = fleet_fault_wait_for (candidate_exists, f, 60);
      break;
    case KILL_WAITING:
      reached = fleet_fault_wait_for (candidate_recorded, f, 60);
      fleet_test_sleep_ms (1500);
      break;
    case KILL_STOPPING:
      reached = fleet_fault_wait_for (file_exists, term, 60);
      break;
    }
  g_assert_true (reached);
  fleet_fault_rig_kill_fleetd (f->rig);
}

static void
test_kill (Fixture *f, gconstpointer data, KillPoint point)
{
  g_autofree char *dir = NULL;
  g_autofree char *v1 = NULL;
  g_autofree char *v2 = NULL;
  g_autofree char *v2_digest = NULL;
  g_autofree char *records = NULL;
  g_autofree char *id = NULL;
  g_autofree char *ok = NULL;

  if (!f->ready)
    return;
  dir = g_build_filename (fleet_fault_rig_get_dir (f->rig), "data", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  ok = g_build_filename (dir, "ok", NULL);
  v1 = app_document (1, dir);
  v2 = app_document (2, dir);
  v2_digest = fault_spec_digest (v2, "app", "web");
  fleet_fault_rig_write_document (f->rig, v1);
  fleet_fault_rig_start_fleetd (f->rig);
  g_free (fault_wait_recorded (f, "app", "web", NULL));

  fleet_fault_rig_write_document (f->rig, v2);
  kill_at (f, point, dir);

  g_assert_true (g_file_set_contents (ok, "", 0, NULL));
  fleet_fault_rig_start_fleetd (f->rig);
  /* one container of app/web, v2, running and recorded */
  id = fault_wait_recorded (f, "app", "web", v2_digest);
  fleet_test_sleep_ms (3000);
  {
    FaultServiceWait wait = { f, "app", "web", v2_digest, NULL };

    g_assert_true (fault_service_is_running (&wait));
    g_assert_cmpstr (wait.id, ==, id);
    g_free (wait.id);
  }
  g_assert_false (candidate_exists (f));
  records = fleet_fault_rig_read_state_file (f->rig, "state.json");
  g_assert_null (strstr (records, "candidate"));
}

static void
test_kill_created (Fixture *f, gconstpointer data)
{
  test_kill (f, data, KILL_CREATED);
}

static void
test_kill_waiting (Fixture *f, gconstpointer data)
{
  test_kill (f, data, KILL_WAITING);
}

static void
test_kill_stopping (Fixture *f, gconstpointer data)
{
  test_kill (f, data, KILL_STOPPING);
}

int
main (int argc, char **argv)
{
  static const FaultScenario scenario = { NULL, FAULT_NEEDS_PODMAN };
  int ret;

  fault_private_mounts ();
  fleet_test_init (&argc, &argv);
#define ADD(path, func)                                                                    \
  g_test_add (path, Fixture, &scenario, fault_fixture_setup, func, fault_fixture_teardown)
  ADD ("/faults/start-first/kill-when-created", test_kill_created);
  ADD ("/faults/start-first/kill-while-waiting", test_kill_waiting);
  ADD ("/faults/start-first/kill-while-stopping-old", test_kill_stopping);
#undef ADD

  g_assert_true (fleet_test_bus_start ());
  ret = g_test_run ();
  fleet_test_bus_stop ();
  fleet_fault_podman_shutdown ();
  fleet_podman_harness_shutdown ();
  return ret;
}
