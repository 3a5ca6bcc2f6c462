/* SPDX-License-Identifier: LGPL-2.1-or-later */
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

#define EDGE(gw_fields)                                                                     \
  "{\"deployments\":{\"edge\":{\"type\":\"PodmanV0\",\"data\":{\"services\":["                \
  "{\"name\":\"gw\",\"image\":\"gw:1\"" gw_fields "}]}}}}"

/* What a replacement changes, the restart policy and the dependencies of
 * what is started: in the plan's JSON and in its text. */
static void
test_service_details (void)
{
  g_autoptr(FleetFakeRuntime) runtime = fleet_fake_runtime_new ();
  g_autoptr(FleetReconciler) reconciler =
    fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (runtime), NULL);
  g_autoptr(FleetDocument) current = fleet_test_document (EDGE (",\"mem_limit\":\"64m\""));
  g_autoptr(FleetDocument) next = fleet_test_document (
    "{\"deployments\":{\"edge\":{\"type\":\"PodmanV0\",\"data\":{\"services\":["
    "{\"name\":\"gw\",\"image\":\"gw:2\",\"mem_limit\":\"128m\",\"network_mode\":\"host\","
    "\"depends_on\":{\"migrate\":{\"condition\":\"service_completed_successfully\"},"
    "\"db\":{\"condition\":\"service_started\"}}},"
    "{\"name\":\"migrate\",\"image\":\"gw:2\",\"restart\":\"no\"},"
    "{\"name\":\"db\",\"image\":\"db:1\",\"restart\":\"on-failure:3\"}]}}}}");
  g_autoptr(FleetPlan) plan = NULL;
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *text = NULL;
  g_autofree char *json_text = NULL;

  g_assert_cmpint (fleet_test_apply_ok (reconciler, current), ==, FLEET_PHASE_RUNNING);
  plan = fleet_reconciler_plan (reconciler, next);
  text = fleet_plan_to_text (plan);
  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, " -> gw:2\n          changed: depends_on, image, mem_limit, "
                                  "network_mode; after migrate (completed), db\n"));
  g_assert_nonnull (strstr (text, "start     edge/migrate  gw:2\n          restart no\n"));
  g_assert_nonnull (strstr (text, "start     edge/db  db:1\n          restart on-failure:3\n"));

  json = fleet_plan_to_json (plan);
  json_text = json_to_string (json, FALSE);
  g_assert_nonnull (strstr (json_text, "\"restart\":\"always\",\"depends_on\":[{\"service\":"
                                       "\"migrate\",\"condition\":\"service_completed_"
                                       "successfully\"},{\"service\":\"db\",\"condition\":"
                                       "\"service_started\"}],\"changes\":[\"depends_on\","
                                       "\"image\",\"mem_limit\",\"network_mode\"]}"));
  g_assert_nonnull (strstr (json_text, "\"service\":\"migrate\",\"container_id\":null,"
                                       "\"image\":\"gw:2\",\"restart\":\"no\",\"depends_on\":[]}"));
}

/* Without the spec the recorded container came from, a replacement's
 * changes are not known: null, and nothing in the text. */
static void
test_changes_unknown (void)
{
  g_autoptr(FleetState) state = fleet_state_new ();
  g_autoptr(FleetDocument) doc = fleet_test_document (EDGE (""));
  FleetPlanContext context = { 0, };
  g_autoptr(FleetPlan) plan = NULL;
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *json_text = NULL;
  g_autofree char *text = NULL;

  fleet_state_add_deployment (state, "edge");
  fleet_state_record_container (state, "edge", "gw",
                                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                                "sha256:old");
  plan = fleet_plan_compute (state, doc, &context);
  g_assert_cmpuint (fleet_plan_count (plan, FLEET_PLAN_REPLACE), ==, 1);
  json = fleet_plan_to_json (plan);
  json_text = json_to_string (json, FALSE);
  g_assert_nonnull (strstr (json_text, "\"changes\":null"));
  text = fleet_plan_to_text (plan);
  g_assert_nonnull (strstr (text, "replace   edge/gw  0123456789ab -> gw:1\n"));
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);

  g_test_add_func ("/plan/dry-run", test_dry_run);
  g_test_add_func ("/plan/pull-before-stop-order", test_pull_before_stop_order);
  g_test_add_func ("/plan/service-details", test_service_details);
  g_test_add_func ("/plan/changes-unknown", test_changes_unknown);

  return g_test_run ();
}
