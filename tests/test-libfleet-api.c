/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-libfleet-api.c: libfleet-1 as a third party sees it.  Linked with
 * the shared library and built without FLEET_COMPILATION, so only
 * <fleet.h> and the exported API are at hand: the boxed types of plans and
 * states, and the argument checks of the public entry points (a NULL
 * where an object belongs is a critical warning and a harmless return,
 * never a crash).
 */
#include "config.h"

#include <fleet.h>

#define DOCUMENT                                                                 \
  "{\"generation\":3,\"deployments\":{\"app\":{\"type\":\"PodmanV0\",\"data\":{" \
  "\"services\":[{\"name\":\"web\",\"image\":\"img:1\"}]}}}}"

static FleetDocument *
load_document (void)
{
  g_autoptr(GError) error = NULL;
  FleetDocument *document = fleet_document_new_from_data (DOCUMENT, -1, NULL, &error);

  g_assert_no_error (error);
  return document;
}

static void
test_plan_is_boxed (void)
{
  g_autoptr(FleetFakeRuntime) runtime = fleet_fake_runtime_new ();
  g_autoptr(FleetReconciler) reconciler =
    fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (runtime), NULL);
  g_autoptr(FleetDocument) document = load_document ();
  g_autoptr(FleetPlan) plan = fleet_reconciler_plan (reconciler, document);
  g_autoptr(FleetPlan) copy = NULL;
  GPtrArray *actions;
  FleetPlanAction *start;

  g_assert_true (G_TYPE_IS_BOXED (FLEET_TYPE_PLAN));
  g_assert_true (G_TYPE_IS_BOXED (FLEET_TYPE_PLAN_ACTION));
  actions = fleet_plan_get_actions (plan);
  g_assert_cmpuint (actions->len, ==, 2);
  start = g_ptr_array_index (actions, 1);
  g_assert_cmpint (start->kind, ==, FLEET_PLAN_START);
  g_assert_cmpstr (start->deployment, ==, "app");
  g_assert_cmpstr (start->service, ==, "web");

  copy = g_boxed_copy (FLEET_TYPE_PLAN, plan);
  g_assert_true (copy != plan);
  g_assert_cmpuint (fleet_plan_get_actions (copy)->len, ==, 2);
  start = g_ptr_array_index (fleet_plan_get_actions (copy), 1);
  g_assert_cmpstr (start->image, ==, "img:1");
  g_assert_true (start->spec == ((FleetPlanAction *) actions->pdata[1])->spec);
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (runtime), ==, 0);
}

static void
test_state_is_boxed (void)
{
  g_autoptr(FleetState) state = fleet_state_new ();
  g_autoptr(FleetDocument) document = load_document ();
  FleetState *other;

  g_assert_true (G_TYPE_IS_BOXED (FLEET_TYPE_STATE));
  fleet_state_set_desired (state, document);
  /* a reference, not a copy: the state is one agent's record */
  other = g_boxed_copy (FLEET_TYPE_STATE, state);
  g_assert_true (other == state);
  g_boxed_free (FLEET_TYPE_STATE, other);
  g_assert_cmpint (fleet_state_get_generation (state), ==, 3);
}

/* Each call gets NULL where an object belongs: one critical, and the
 * return value the documentation gives for failure. */
static void
expect_critical (void)
{
  g_test_expect_message ("fleet", G_LOG_LEVEL_CRITICAL, "*assertion*failed*");
}

static void
test_null_arguments (void)
{
  g_autoptr(FleetFakeRuntime) runtime = fleet_fake_runtime_new ();
  g_autoptr(FleetDocument) document = load_document ();

  expect_critical ();
  g_assert_cmpuint (fleet_fake_runtime_count_calls (NULL, "create"), ==, 0);
  g_test_assert_expected_messages ();
  expect_critical ();
  g_assert_cmpuint (fleet_fake_runtime_count_calls (runtime, NULL), ==, 0);
  g_test_assert_expected_messages ();
  expect_critical ();
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (NULL), ==, 0);
  g_test_assert_expected_messages ();
  expect_critical ();
  g_assert_null (fleet_fake_runtime_format_calls (NULL));
  g_test_assert_expected_messages ();
  expect_critical ();
  g_assert_null (fleet_reconciler_plan (NULL, document));
  g_test_assert_expected_messages ();
  expect_critical ();
  g_assert_null (fleet_plan_compute (NULL, document, NULL));
  g_test_assert_expected_messages ();
  expect_critical ();
  g_assert_cmpuint (fleet_plan_count (NULL, FLEET_PLAN_START), ==, 0);
  g_test_assert_expected_messages ();
  expect_critical ();
  g_assert_null (fleet_state_lookup_service (NULL, "app", "web"));
  g_test_assert_expected_messages ();
  expect_critical ();
  g_assert_cmpuint (fleet_document_count_services (NULL), ==, 0);
  g_test_assert_expected_messages ();
  expect_critical ();
  g_assert_null (fleet_document_lookup_service (NULL, "app", "web"));
  g_test_assert_expected_messages ();
  expect_critical ();
  g_assert_null (fleet_canonical_json_digest (NULL));
  g_test_assert_expected_messages ();
  expect_critical ();
  g_assert_null (fleet_status_build (NULL, "device", NULL));
  g_test_assert_expected_messages ();
  expect_critical ();
  g_assert_null (fleet_container_info_new (NULL, "name"));
  g_test_assert_expected_messages ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/libfleet-api/plan-is-boxed", test_plan_is_boxed);
  g_test_add_func ("/libfleet-api/state-is-boxed", test_state_is_boxed);
  g_test_add_func ("/libfleet-api/null-arguments", test_null_arguments);
  return g_test_run ();
}
