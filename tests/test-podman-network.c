/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-podman-network.c: the network of a deployment on a real podman (a
 * private `podman system service`, see fleet-podman-harness.c), through the
 * real FleetReconciler: its services resolve each other by name; containers
 * of an earlier release, which knew no such network, join it on the next
 * pass without being recreated or restarted; a dropped deployment's network
 * goes with it.  What happened is checked through podman itself.
 */
#include "config.h"

#include "fleet-podman-harness.h"
#include "fleet-test-utils.h"
#include "fleet-util-private.h"

#define DOC                                                                                   \
  "{\"generation\":%d,\"deployments\":{\"%s\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[" \
  "{\"name\":\"db\",\"image\":\"localhost/fleet-test:v1\"},"                                  \
  "{\"name\":\"web\",\"image\":\"localhost/fleet-test:v2\"},"                                 \
  "{\"name\":\"gw\",\"image\":\"localhost/fleet-test:v1\",\"network_mode\":\"host\"}],"       \
  "\"lifecycle\":{\"grace_period_secs\":1}}}}}"

typedef struct
{
  FleetPodmanHarness *h;
  FleetPodmanRuntime *runtime;
  FleetReconciler *reconciler;
  char *state_dir;
} Fixture;

static void
new_agent (Fixture *f)
{
  f->runtime = fleet_podman_runtime_new (fleet_podman_harness_get_socket (f->h));
  f->reconciler = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->state_dir = fleet_test_make_tmpdir ();
  f->h = fleet_podman_harness_require ();
  if (f->h != NULL)
    new_agent (f);
}

static void
on_shut_down (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  fleet_reconciler_shutdown_finish (FLEET_RECONCILER (source), result, &error);
  g_assert_no_error (error);
  *(gboolean *)user_data = TRUE;
}

static void
stop_agent (Fixture *f)
{
  gboolean done = FALSE;

  fleet_reconciler_shutdown_async (f->reconciler, NULL, on_shut_down, &done);
  fleet_test_wait (&done);
  g_clear_object (&f->reconciler);
  g_clear_object (&f->runtime);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->h != NULL)
    {
      stop_agent (f);
      fleet_podman_harness_reset (f->h);
    }
  fleet_test_rm_rf (f->state_dir);
  g_free (f->state_dir);
}

static FleetDocument *
doc (int generation, const char *deployment)
{
  g_autofree char *json = g_strdup_printf (DOC, generation, deployment);

  return fleet_test_document (json);
}

/* `podman ARGS...`, which must succeed; its output stripped. */
static char *
podman (Fixture *f, const char *arg0, const char *arg1, const char *arg2, const char *arg3,
        const char *arg4, const char *arg5)
{
  g_autoptr(GError) error = NULL;
  char *out = NULL;

  fleet_podman_harness_podman (f->h, &out, &error, arg0, arg1, arg2, arg3, arg4, arg5, NULL);
  g_assert_no_error (error);
  return g_strstrip (out);
}

/* The networks podman has the container on, space-separated and sorted. */
static char *
networks_of (Fixture *f, const char *id)
{
  g_autofree char *out = podman (f, "inspect", "--format",
                                 "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}",
                                 id, NULL, NULL);

  return g_strdup (g_strstrip (out));
}

static gboolean
network_exists (Fixture *f, const char *name)
{
  g_autofree char *out = podman (f, "network", "ls", "--format", "{{.Name}}", NULL, NULL);
  g_auto(GStrv) names = g_strsplit (out, "\n", -1);

  return g_strv_contains ((const char *const *)names, name);
}

/* Whether @from resolves and reaches @name (busybox nslookup and ping). */
static gboolean
resolves_now (Fixture *f, const char *from, const char *name)
{
  g_autofree char *script = g_strdup_printf (
      "timeout 10 nslookup %s >/dev/null && timeout 10 ping -c1 -W5 %s >/dev/null && echo ok",
      name, name);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  if (!fleet_podman_harness_podman (f->h, &out, &error, "exec", from, "/bin/sh", "-c", script,
                                    NULL))
    {
      g_test_message ("%.12s does not resolve %s (yet)", from, name);
      return FALSE;
    }
  return g_str_equal (g_strstrip (out), "ok");
}

/* Within a few seconds: aardvark-dns learns of a container that just
 * started a moment later, later still on a loaded machine. */
static gboolean
resolves (Fixture *f, const char *from, const char *name)
{
  for (guint i = 0; i < 20; i++)
    {
      if (resolves_now (f, from, name))
        return TRUE;
      fleet_test_sleep_ms (500);
    }
  return FALSE;
}

static void
test_by_name (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) d = doc (1, "shop");
  const char *db, *web, *gw;
  g_autofree char *db_networks = NULL;
  g_autofree char *gw_networks = NULL;

  if (f->h == NULL)
    return;
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, d), ==, FLEET_PHASE_RUNNING);
  db = fleet_test_recorded_id (f->reconciler, "shop", "db");
  web = fleet_test_recorded_id (f->reconciler, "shop", "web");
  gw = fleet_test_recorded_id (f->reconciler, "shop", "gw");
  db_networks = networks_of (f, db);
  g_assert_nonnull (strstr (db_networks, "fleet-shop"));
  gw_networks = networks_of (f, gw);
  g_assert_null (strstr (gw_networks, "fleet-shop"));
  g_assert_true (resolves (f, web, "db"));
  g_assert_true (resolves (f, db, "web"));
  /* the container's name too */
  g_assert_true (resolves (f, web, "shop_db"));
}

/* The containers of an earlier release are on podman's default network
 * only (here: moved there behind fleet's back): the next pass puts them on
 * their deployment's, as they run. */
static void
test_upgrade_joins (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) d = doc (1, "shop");
  g_autofree char *db = NULL;
  g_autofree char *web = NULL;
  g_autofree char *left = NULL;
  g_autofree char *pid = NULL;
  g_autofree char *pid_after = NULL;
  g_autoptr(GError) error = NULL;
  FleetPhase phase = FLEET_PHASE_PENDING;
  guint creates, deaths;

  if (f->h == NULL)
    return;
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, d), ==, FLEET_PHASE_RUNNING);
  db = g_strdup (fleet_test_recorded_id (f->reconciler, "shop", "db"));
  web = g_strdup (fleet_test_recorded_id (f->reconciler, "shop", "web"));
  stop_agent (f);
  g_free (podman (f, "network", "connect", "podman", db, NULL, NULL));
  g_free (podman (f, "network", "connect", "podman", web, NULL, NULL));
  g_free (podman (f, "network", "disconnect", "fleet-shop", db, NULL, NULL));
  g_free (podman (f, "network", "disconnect", "fleet-shop", web, NULL, NULL));
  left = networks_of (f, db);
  g_assert_null (strstr (left, "fleet-shop"));
  g_assert_false (resolves_now (f, web, "db"));
  pid = podman (f, "inspect", "--format", "{{.State.Pid}}", db, NULL, NULL);
  creates = fleet_podman_harness_count_events (f->h, "create", NULL);
  deaths = fleet_podman_harness_count_events (f->h, "died", NULL);

  /* the new fleetd: its first tick */
  new_agent (f);
  g_assert_true (fleet_reconciler_load_state (f->reconciler, &error));
  g_assert_no_error (error);
  g_assert_true (fleet_test_tick (f->reconciler, &phase, &error));
  g_assert_no_error (error);
  g_assert_cmpint (phase, ==, FLEET_PHASE_RUNNING);
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, d), ==, FLEET_PHASE_RUNNING);

  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "shop", "db"), ==, db);
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "shop", "web"), ==, web);
  g_assert_cmpuint (fleet_podman_harness_count_events (f->h, "create", NULL), ==, creates);
  g_assert_cmpuint (fleet_podman_harness_count_events (f->h, "died", NULL), ==, deaths);
  pid_after = podman (f, "inspect", "--format", "{{.State.Pid}}", db, NULL, NULL);
  g_assert_cmpstr (pid_after, ==, pid);
  g_assert_true (resolves (f, web, "db"));
  g_assert_true (resolves (f, db, "web"));
}

/* A dropped deployment's network goes after its containers; another
 * deployment's stays. */
static void
test_dropped_removes (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) shop = doc (1, "shop");
  g_autoptr(FleetDocument) till = doc (2, "till");

  if (f->h == NULL)
    return;
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, shop), ==, FLEET_PHASE_RUNNING);
  g_assert_true (network_exists (f, "fleet-shop"));
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, till), ==, FLEET_PHASE_RUNNING);
  g_assert_false (network_exists (f, "fleet-shop"));
  g_assert_true (network_exists (f, "fleet-till"));
  g_assert_true (resolves (f, fleet_test_recorded_id (f->reconciler, "till", "web"), "db"));
}

int
main (int argc, char **argv)
{
  int ret;

  fleet_test_init (&argc, &argv);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/podman/network/by-name", test_by_name);
  ADD ("/podman/network/upgrade-joins", test_upgrade_joins);
  ADD ("/podman/network/dropped-removes", test_dropped_removes);
  ret = g_test_run ();
  fleet_podman_harness_shutdown ();
  return ret;
}
