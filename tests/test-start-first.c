/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-start-first.c: start-first replacements with the fake runtime: the
 * old container is stopped only after the new one is healthy; a new one
 * that never is gets removed while the old one serves on; an agent that
 * dies while it waits leaves one container, the new version, once it is
 * back.
 */
#include "config.h"

#include "fleet-test-utils.h"

#define DOC(version, check)                                                                \
  "{\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{\"services\":["           \
  "{\"name\":\"web\",\"image\":\"img:" version "\",\"update_config\":{\"order\":"           \
  "\"start-first\"}" check "}]}}}}"
#define CHECK ",\"healthcheck\":{\"tcp\":{\"port\":80},\"interval\":\"1s\",\"retries\":2}"

typedef struct
{
  FleetFakeRuntime *runtime;
  FleetReconciler *reconciler;
  char *dir;
} Fixture;

static FleetReconciler *
new_reconciler (Fixture *f)
{
  FleetReconciler *reconciler = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime),
                                                      f->dir);

  g_assert_true (fleet_reconciler_load_state (reconciler, NULL));
  fleet_reconciler_set_retry_backoff (reconciler, 100, 100);
  return reconciler;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->runtime = fleet_fake_runtime_new ();
  f->dir = fleet_test_make_tmpdir ();
  f->reconciler = new_reconciler (f);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->reconciler);
  g_clear_object (&f->runtime);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  fleet_test_rm_rf (f->dir);
  g_free (f->dir);
}

static const FleetServiceRecord *
web_record (Fixture *f)
{
  return fleet_state_lookup_service (fleet_reconciler_get_state (f->reconciler), "hello", "web");
}

static FleetPhase
phase_of (Fixture *f)
{
  return fleet_state_lookup_deployment (fleet_reconciler_get_state (f->reconciler), "hello")->phase;
}

static gboolean
on_deadline (gpointer user_data)
{
  g_error ("%s did not happen within 60 s", (const char *) user_data);
  return G_SOURCE_REMOVE;
}

static void
wait_for_phase (Fixture *f, FleetPhase phase, const char *what)
{
  guint deadline = g_timeout_add_seconds (60, on_deadline, (gpointer) what);

  while (phase_of (f) != phase)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (deadline);
}

/* The position of the first call starting with @prefix, or -1. */
static int
call_index (Fixture *f, const char *prefix)
{
  GPtrArray *calls = fleet_fake_runtime_get_calls (f->runtime);

  for (guint i = 0; i < calls->len; i++)
    if (g_str_has_prefix (calls->pdata[i], prefix))
      return (int) i;
  return -1;
}

static char *
apply_v1 (Fixture *f, const char *check)
{
  g_autofree char *json = g_strdup_printf (DOC ("v1", "%s"), check);
  g_autoptr(FleetDocument) v1 = fleet_test_document (json);

  fleet_test_apply_ok (f->reconciler, v1);
  wait_for_phase (f, FLEET_PHASE_RUNNING, "v1 Running");
  fleet_fake_runtime_clear_calls (f->runtime);
  return g_strdup (web_record (f)->container_id);
}

static void
test_healthy (Fixture *f, gconstpointer data)
{
  g_autofree char *old_id = apply_v1 (f, CHECK);
  g_autoptr(FleetDocument) v2 = fleet_test_document (DOC ("v2", CHECK));
  g_autofree char *stop_old = g_strdup_printf ("stop %s", old_id);
  g_autofree char *leave_old = g_strdup_printf ("network-disconnect fleet-hello %s", old_id);
  g_autofree char *join_old = g_strdup_printf ("network-connect fleet-hello %s", old_id);
  g_autofree char *new_id = NULL;
  g_autofree char *rename = NULL;
  FleetContainerInfo *info;

  fleet_test_apply_ok (f->reconciler, v2);
  wait_for_phase (f, FLEET_PHASE_RUNNING, "v2 Running");
  new_id = g_strdup (web_record (f)->container_id);
  g_assert_cmpstr (new_id, !=, old_id);
  g_assert_cmpstr (web_record (f)->spec_digest, ==,
                   fleet_document_lookup_service (v2, "hello", "web")->digest);
  g_assert_null (web_record (f)->candidate_id);
  g_assert_null (web_record (f)->candidate_digest);
  /* created beside the old one, checked, and only then the old one stopped */
  g_assert_cmpint (call_index (f, "create hello_web_"), >=, 0);
  g_assert_nonnull (strstr (fleet_fake_runtime_get_calls (f->runtime)->pdata[call_index (
                              f, "create hello_web_")], " img:v2"));
  g_assert_cmpint (call_index (f, "create hello_web_"), <, call_index (f, "healthcheck"));
  g_assert_cmpint (call_index (f, "healthcheck"), <, call_index (f, stop_old));
  /* the old one gave up the service's name before its stop, and kept the
   * network for it */
  g_assert_cmpint (call_index (f, "healthcheck"), <, call_index (f, leave_old));
  g_assert_cmpint (call_index (f, leave_old), <, call_index (f, join_old));
  g_assert_cmpint (call_index (f, join_old), <, call_index (f, stop_old));
  rename = g_strdup_printf ("rename %s hello_web", new_id);
  g_assert_cmpint (call_index (f, stop_old), <, call_index (f, rename));
  /* one container, the new one, under the service's name */
  g_assert_cmpuint (fleet_fake_runtime_count_containers (f->runtime), ==, 1);
  info = fleet_fake_runtime_lookup (f->runtime, "hello_web");
  g_assert_nonnull (info);
  g_assert_cmpstr (info->id, ==, new_id);
  g_assert_cmpstr (info->image, ==, "img:v2");
}

/* Without a check: up (running) is enough. */
static void
test_without_check (Fixture *f, gconstpointer data)
{
  g_autofree char *old_id = apply_v1 (f, "");
  g_autoptr(FleetDocument) v2 = fleet_test_document (DOC ("v2", ""));

  fleet_test_apply_ok (f->reconciler, v2);
  wait_for_phase (f, FLEET_PHASE_RUNNING, "v2 Running");
  g_assert_cmpstr (web_record (f)->container_id, !=, old_id);
  g_assert_cmpuint (fleet_fake_runtime_count_containers (f->runtime), ==, 1);
  g_assert_cmpint (call_index (f, "create hello_web_"), <, call_index (f, "stop"));
}

static gboolean
candidate_recorded (Fixture *f)
{
  return web_record (f)->candidate_id != NULL;
}

static void
test_never_healthy (Fixture *f, gconstpointer data)
{
  g_autofree char *old_id = apply_v1 (f, CHECK);
  g_autoptr(FleetDocument) v2 = fleet_test_document (DOC ("v2", CHECK));
  g_autofree char *stop_old = g_strdup_printf ("stop %s", old_id);
  FleetContainerInfo *info;

  fleet_fake_runtime_set_unhealthy (f->runtime, "img:v2", "503 Service Unavailable");
  fleet_test_apply_ok (f->reconciler, v2);
  /* while the candidate is checked, the service's health is the old
   * container's, which serves and is still checked */
  while (!candidate_recorded (f) || fleet_fake_runtime_count_calls (f->runtime, "healthcheck") < 2)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (fleet_reconciler_get_service_health (f->reconciler, "hello", "web", NULL), ==,
                   "healthy");
  wait_for_phase (f, FLEET_PHASE_FAILED, "Failed");
  g_assert_cmpstr (fleet_state_lookup_deployment (fleet_reconciler_get_state (f->reconciler),
                                                  "hello")->last_error,
                   ==, "web: the new container did not become healthy: 503 Service Unavailable: "
                       "the old one serves on");
  /* wait until the candidate is gone */
  while (web_record (f)->candidate_digest != NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (web_record (f)->container_id, ==, old_id);
  g_assert_cmpint (call_index (f, stop_old), ==, -1);
  info = fleet_fake_runtime_lookup (f->runtime, old_id);
  g_assert_cmpint (info->state, ==, FLEET_CONTAINER_STATE_RUNNING);
  {
    g_autofree char *candidate = g_strdup_printf (
      "hello_web_%.12s", fleet_document_lookup_service (v2, "hello", "web")->digest + 7);

    g_assert_null (fleet_fake_runtime_lookup (f->runtime, candidate));
  }

  /* the retry goes towards v2, and gets there once it is healthy */
  fleet_fake_runtime_set_unhealthy (f->runtime, "img:v2", NULL);
  wait_for_phase (f, FLEET_PHASE_RUNNING, "v2 Running after the retry");
  g_assert_cmpstr (web_record (f)->spec_digest, ==,
                   fleet_document_lookup_service (v2, "hello", "web")->digest);
  g_assert_cmpuint (fleet_fake_runtime_count_containers (f->runtime), ==, 1);
}

/* The agent dies while it waits for the candidate (the reconciler is
 * dropped without a shutdown, as by kill -9): the next one removes the
 * candidate and starts over, and ends with one container, v2. */
static void
test_agent_dies_while_waiting (Fixture *f, gconstpointer data)
{
  g_autofree char *old_id = apply_v1 (f, CHECK);
  g_autoptr(FleetDocument) v2 = fleet_test_document (DOC ("v2", CHECK));
  g_autofree char *candidate = NULL;
  g_autofree char *remove_candidate = NULL;

  fleet_fake_runtime_set_unhealthy (f->runtime, "img:v2", "warming up");
  fleet_reconciler_apply_async (f->reconciler, v2, FLEET_APPLY_FLAGS_NONE, NULL, NULL, NULL);
  while (!candidate_recorded (f))
    g_main_context_iteration (NULL, TRUE);
  candidate = g_strdup (web_record (f)->candidate_id);
  g_assert_cmpuint (fleet_fake_runtime_count_containers (f->runtime), ==, 2);
  g_clear_object (&f->reconciler);
  while (g_main_context_iteration (NULL, FALSE))
    ;

  fleet_fake_runtime_set_unhealthy (f->runtime, "img:v2", NULL);
  fleet_fake_runtime_clear_calls (f->runtime);
  f->reconciler = new_reconciler (f);
  g_assert_cmpstr (web_record (f)->candidate_id, ==, candidate);
  fleet_test_tick (f->reconciler, NULL, NULL);
  wait_for_phase (f, FLEET_PHASE_RUNNING, "v2 Running after the restart");
  remove_candidate = g_strdup_printf ("remove %s", candidate);
  g_assert_cmpint (call_index (f, remove_candidate), >=, 0);
  g_assert_cmpuint (fleet_fake_runtime_count_containers (f->runtime), ==, 1);
  g_assert_cmpstr (fleet_fake_runtime_lookup (f->runtime, "hello_web")->image, ==, "img:v2");
  g_assert_null (web_record (f)->candidate_id);
}

/* fleetctl plan's text: the order and what the replacement waits for. */
static void
test_plan_shows_order_and_gate (Fixture *f, gconstpointer data)
{
  g_autofree char *old_id = apply_v1 (f, CHECK);
  g_autoptr(FleetDocument) v2 = fleet_test_document (DOC ("v2", CHECK));
  g_autoptr(FleetPlan) plan = fleet_reconciler_plan (f->reconciler, v2);
  g_autofree char *text = fleet_plan_to_text (plan);
  g_autoptr(JsonNode) json = fleet_plan_to_json (plan);
  g_autofree char *json_text = json_to_string (json, FALSE);

  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, "changed: image; order start-first; gate: healthy (tcp :80) "
                                  "within 32s\n"));
  /* 2 retries x 1s + the 30s timeout */
  g_assert_nonnull (strstr (json_text, "\"order\":\"start-first\",\"health_gate\":\"healthy "
                                       "(tcp :80) within 32s\""));
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (f->runtime), ==, 0);
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/start-first/healthy", test_healthy);
  ADD ("/start-first/without-check", test_without_check);
  ADD ("/start-first/never-healthy", test_never_healthy);
  ADD ("/start-first/agent-dies-while-waiting", test_agent_dies_while_waiting);
  ADD ("/start-first/plan-shows-order-and-gate", test_plan_shows_order_and_gate);
#undef ADD

  return g_test_run ();
}
