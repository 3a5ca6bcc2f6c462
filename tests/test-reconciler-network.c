/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-reconciler-network.c: the network of a deployment, through the
 * reconciler over the fake runtime: a new container is created on it; a running container of an earlier release joins it without being
 * recreated or restarted, once; a dropped deployment's network goes after
 * its containers; host-mode services stay out of it; a network without DNS
 * is said once and changes nothing else.
 */
#include "config.h"

#include "fleet-reconciler-fixture.h"

#define TWO_MODES_DOC                                                                         \
  "{\"generation\":%d,\"deployments\":{\"%s\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[" \
  "{\"name\":\"web\",\"image\":\"localhost/hello:v1\"},"                                      \
  "{\"name\":\"gw\",\"image\":\"localhost/hello:v1\",\"network_mode\":\"host\"}]}}}}"

static FleetDocument *
two_modes_doc (int generation, const char *deployment)
{
  g_autofree char *json = g_strdup_printf (TWO_MODES_DOC, generation, deployment);

  return fleet_test_document (json);
}

static gboolean
is_on (FleetFakeRuntime *runtime, const char *id, const char *network)
{
  FleetContainerInfo *info = fleet_fake_runtime_lookup (runtime, id);

  return info->networks != NULL && g_strv_contains ((const char *const *)info->networks, network);
}

/* Bridge services are created on it, and on no other network; host-mode
 * ones never are. */
static void
test_created_on_network (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = two_modes_doc (1, "shop");
  const char *web, *gw;
  FleetContainerInfo *info;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, doc), ==, FLEET_PHASE_RUNNING);
  web = fleet_test_recorded_id (f->reconciler, "shop", "web");
  gw = fleet_test_recorded_id (f->reconciler, "shop", "gw");
  g_assert_cmpint (call_index (f->runtime, "network-ensure fleet-shop"), <,
                   call_index (f->runtime, "create shop_web localhost/hello:v1"));
  g_assert_cmpuint (count_calls_matching (f->runtime, "network-connect"), ==, 0);
  info = fleet_fake_runtime_lookup (f->runtime, web);
  g_assert_cmpuint (g_strv_length (info->networks), ==, 1);
  g_assert_true (is_on (f->runtime, web, "fleet-shop"));
  g_assert_false (is_on (f->runtime, gw, "fleet-shop"));
}

/* fleetd upgraded in place: the running container of the earlier release
 * is on no network of its deployment.  It joins on the first pass, and is
 * neither stopped, recreated nor started; the pass after does nothing. */
static void
test_upgrade_joins_once (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *join = NULL;
  FleetContainerInfo *info;
  FleetPhase phase = FLEET_PHASE_PENDING;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, doc), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  info = fleet_fake_runtime_lookup (f->runtime, id);
  g_strfreev (info->networks);
  info->networks = g_new0 (char *, 1);

  g_clear_object (&f->reconciler);
  f->reconciler = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
  g_assert_true (fleet_reconciler_load_state (f->reconciler, &error));
  g_assert_no_error (error);
  fleet_fake_runtime_clear_calls (f->runtime);
  g_assert_true (fleet_test_tick (f->reconciler, &phase, &error));
  g_assert_no_error (error);
  g_assert_cmpint (phase, ==, FLEET_PHASE_RUNNING);
  join = g_strdup_printf ("network-connect fleet-hello %s", id);
  {
    const char *expected[] = { "list", "network-ensure fleet-hello", join, NULL };
    assert_calls (f->runtime, expected);
  }
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "hello", "web"), ==, id);
  g_assert_true (is_on (f->runtime, id, "fleet-hello"));

  /* the document, unchanged, and the next tick: nothing more */
  fleet_fake_runtime_clear_calls (f->runtime);
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, doc), ==, FLEET_PHASE_RUNNING);
  g_assert_true (fleet_test_tick (f->reconciler, &phase, &error));
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (f->runtime), ==, 0);
  g_assert_cmpuint (count_calls_matching (f->runtime, "network-"), ==, 0);
}

/* The network of a dropped deployment is removed after its containers;
 * the other deployment's stays. */
static void
test_dropped_removes_network (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) shop = two_modes_doc (1, "shop");
  g_autoptr(FleetDocument) till = two_modes_doc (2, "till");
  g_autofree char *web = NULL;
  g_autofree char *remove_web = NULL;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, shop), ==, FLEET_PHASE_RUNNING);
  web = g_strdup (fleet_test_recorded_id (f->reconciler, "shop", "web"));
  remove_web = g_strdup_printf ("remove %s", web);
  fleet_fake_runtime_clear_calls (f->runtime);
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, till), ==, FLEET_PHASE_RUNNING);
  g_assert_cmpint (call_index (f->runtime, remove_web), >=, 0);
  g_assert_cmpint (call_index (f->runtime, remove_web), <,
                   call_index (f->runtime, "network-remove fleet-shop"));
  g_assert_cmpuint (count_calls_matching (f->runtime, "network-remove"), ==, 1);
}

/* A network that does not resolve names is said once; the services run. */
static void
test_no_dns_said_once (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) shop = two_modes_doc (1, "shop");
  g_autoptr(FleetDocument) till = two_modes_doc (2, "till");

  fleet_fake_runtime_set_networks_without_dns (f->runtime, TRUE);
  g_assert_cmpuint (fleet_test_count_log_action ("network-no-dns"), ==, 0);
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, shop), ==, FLEET_PHASE_RUNNING);
  g_assert_cmpuint (fleet_test_count_log_action ("network-no-dns"), ==, 1);
  /* not again, for another deployment's network */
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, till), ==, FLEET_PHASE_RUNNING);
  g_assert_cmpuint (fleet_test_count_log_action ("network-no-dns"), ==, 1);
  g_assert_cmpuint (count_calls_matching (f->runtime, "network-ensure fleet-till"), >=, 1);
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/reconciler/network/created-on-network", test_created_on_network);
  ADD ("/reconciler/network/upgrade-joins-once", test_upgrade_joins_once);
  ADD ("/reconciler/network/dropped-removes-network", test_dropped_removes_network);
  ADD ("/reconciler/network/no-dns-said-once", test_no_dns_said_once);
  return g_test_run ();
}
