/* test-plan.c: dry-run plans: what a document would start, replace and
 * stop, computed from the recorded state alone.
 */
#include "config.h"

#include "fleet-test-utils.h"

#define DOC2(a_image, b_image)                                                              \
  "{\"deployments\":{\"app\":{\"type\":\"PodmanV0\",\"data\":{\"services\":["                \
  "{\"name\":\"a\",\"image\":\"" a_image "\"},{\"name\":\"b\",\"image\":\"" b_image "\"}]}}," \
  "\"old\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":\"x\",\"image\":\"i\"}]}}}}"

static void
test_dry_run (void)
{
  g_autoptr(FleetFakeRuntime) runtime = fleet_fake_runtime_new ();
  g_autoptr(FleetReconciler) reconciler =
    fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (runtime), NULL);
  g_autoptr(FleetDocument) current = fleet_test_document (DOC2 ("img:1", "img:1"));
  g_autoptr(FleetDocument) next = fleet_test_document (
    "{\"deployments\":{\"app\":{\"type\":\"PodmanV0\",\"data\":{\"services\":["
    "{\"name\":\"a\",\"image\":\"img:1\"},{\"name\":\"b\",\"image\":\"img:2\"},"
    "{\"name\":\"c\",\"image\":\"img:3\"}]}}}}");
  g_autoptr(FleetPlan) plan = NULL;
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *text = NULL;
  g_autofree char *json_text = NULL;

  g_assert_cmpint (fleet_test_apply_ok (reconciler, current), ==, FLEET_PHASE_RUNNING);
  fleet_fake_runtime_clear_calls (runtime);

  plan = fleet_reconciler_plan (reconciler, next);
  g_assert_cmpuint (fleet_plan_count (plan, FLEET_PLAN_UNCHANGED), ==, 1);
  g_assert_cmpuint (fleet_plan_count (plan, FLEET_PLAN_REPLACE), ==, 1);
  g_assert_cmpuint (fleet_plan_count (plan, FLEET_PLAN_START), ==, 1);
  g_assert_cmpuint (fleet_plan_count (plan, FLEET_PLAN_STOP), ==, 1);
  g_assert_cmpuint (fleet_plan_count (plan, FLEET_PLAN_PULL), ==, 2);
  g_assert_cmpuint (fleet_plan_count (plan, FLEET_PLAN_ENSURE_RUNNING), ==, 0);
  g_assert_cmpuint (fleet_plan_count (plan, FLEET_PLAN_REMOVE_ORPHAN), ==, 0);

  text = fleet_plan_to_text (plan);
  g_assert_nonnull (strstr (text, "replace   app/b  "));
  g_assert_nonnull (strstr (text, " -> img:2\n"));
  g_assert_nonnull (strstr (text, "start     app/c  img:3\n"));
  g_assert_nonnull (strstr (text, "stop      old/x  "));
  g_assert_nonnull (strstr (text, "unchanged app/a  "));
  json = fleet_plan_to_json (plan);
  json_text = json_to_string (json, FALSE);
  g_assert_nonnull (strstr (json_text, "\"action\":\"replace\",\"deployment\":\"app\","
                                       "\"service\":\"b\""));

  /* a dry run changes nothing and asks the runtime nothing */
  g_assert_cmpuint (fleet_fake_runtime_get_calls (runtime)->len, ==, 0);
  g_assert_true (fleet_document_equal (fleet_reconciler_get_desired (reconciler), current));
}

static void
test_pull_before_stop_order (void)
{
  g_autoptr(FleetState) state = fleet_state_new ();
  g_autoptr(FleetDocument) doc = fleet_test_document (DOC2 ("img:1", "img:2"));
  FleetPlanContext context = { 0, };
  g_autoptr(FleetPlan) plan = fleet_plan_compute (state, doc, &context);
  FleetPlanAction *first = plan->actions->pdata[0];

  /* nothing recorded: pulls for app first, then starts */
  g_assert_cmpint (first->kind, ==, FLEET_PLAN_PULL);
  g_assert_cmpuint (fleet_plan_count (plan, FLEET_PLAN_PULL), ==, 3);
  g_assert_cmpuint (fleet_plan_count (plan, FLEET_PLAN_START), ==, 3);
  g_assert_cmpint (((FleetPlanAction *) plan->actions->pdata[2])->kind, ==, FLEET_PLAN_START);
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);

  g_test_add_func ("/plan/dry-run", test_dry_run);
  g_test_add_func ("/plan/pull-before-stop-order", test_pull_before_stop_order);

  return g_test_run ();
}
