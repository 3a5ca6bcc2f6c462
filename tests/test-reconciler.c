/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-reconciler.c: the reconcile semantics of contract §2, asserted on the
 * FakeRuntime's call log.  The first four are the tests from the product's
 * origin (the bug where env-bearing services were recreated every tick).
 */
#include "config.h"

#include "fleet-reconciler-fixture.h"

/* A running service with env and volumes: 1000 ticks create, start, stop
 * and remove nothing. */
static void
test_tick_idempotency (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autofree char *id = NULL;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  g_assert_true (fleet_is_container_id (id));
  fleet_fake_runtime_clear_calls (f->runtime);

  for (guint i = 0; i < 1000; i++)
    {
      FleetPhase phase;
      g_autoptr(GError) error = NULL;

      g_assert_true (fleet_test_tick (f->reconciler, &phase, &error));
      g_assert_no_error (error);
      g_assert_cmpint (phase, ==, FLEET_PHASE_RUNNING);
    }

  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "create"), ==, 0);
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "start"), ==, 0);
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "stop"), ==, 0);
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "remove"), ==, 0);
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "kill"), ==, 0);
  /* one request per idle tick */
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "list"), ==, 1000);
  g_assert_cmpuint (fleet_fake_runtime_get_calls (f->runtime)->len, ==, 1000);
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "hello", "web"), ==, id);
}

/* A changed spec stops exactly the recorded old id, with the signal and
 * grace it was created with, before the new container is started. */
static void
test_graceful_replace_by_id (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(FleetDocument) v2 = hello_doc (2, "v2", "hello", "SIGINT", 5);
  g_autofree char *old_id = NULL;
  g_autofree char *stop_old = NULL;
  g_autofree char *remove_old = NULL;
  g_autofree char *start_new = NULL;
  const char *new_id;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  old_id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  fleet_fake_runtime_clear_calls (f->runtime);

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v2), ==, FLEET_PHASE_RUNNING);
  new_id = fleet_test_recorded_id (f->reconciler, "hello", "web");
  g_assert_nonnull (new_id);
  g_assert_cmpstr (new_id, !=, old_id);

  /* v1 baked SIGTERM/10 into the old container; v2's SIGINT/5 must not be used on it */
  stop_old = g_strdup_printf ("stop %s SIGTERM 10", old_id);
  remove_old = g_strdup_printf ("remove %s", old_id);
  start_new = g_strdup_printf ("start %s", new_id);
  {
    const char *expected[] = { "list",
                               "pull localhost/hello:v2",
                               stop_old,
                               remove_old,
                               "network-ensure fleet-hello",
                               "create hello_web localhost/hello:v2",
                               start_new,
                               NULL };
    assert_calls (f->runtime, expected);
  }
  g_assert_null (fleet_fake_runtime_lookup (f->runtime, old_id));
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, new_id)->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);
  /* the new container carries v2's lifecycle for its own later stop */
  g_assert_cmpstr (fleet_fake_runtime_lookup_spec (f->runtime, new_id)->lifecycle.stop_signal, ==,
                   "SIGINT");
  g_assert_cmpstr (fleet_fake_runtime_lookup (f->runtime, new_id)->spec_digest, ==,
                   fleet_document_lookup_service (v2, "hello", "web")->digest);
}

/* The new container fails to start: Failed with last_error, the old
 * version is never started again, and retries target the new version. */
static void
test_roll_forward_no_revert (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(FleetDocument) v2 = hello_doc (2, "v2", "hi", "SIGTERM", 10);
  const FleetDeploymentRecord *r;
  FleetPhase phase;
  guint creates;
  const char *new_id;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  fleet_fake_runtime_clear_calls (f->runtime);
  fleet_fake_runtime_set_start_fails (f->runtime, "localhost/hello:v2", TRUE);

  phase = fleet_test_apply_ok (f->reconciler, v2);
  g_assert_cmpint (phase, ==, FLEET_PHASE_FAILED);
  r = record (f, "hello");
  g_assert_cmpint (r->phase, ==, FLEET_PHASE_FAILED);
  g_assert_nonnull (r->last_error);
  g_assert_nonnull (strstr (r->last_error, "starting web (localhost/hello:v2)"));
  g_assert_null (fleet_test_recorded_id (f->reconciler, "hello", "web"));

  /* let the backoff retry a few times, with ticks in between */
  for (guint i = 0; i < 5; i++)
    {
      fleet_test_sleep_ms (50);
      fleet_test_tick (f->reconciler, NULL, NULL);
    }
  creates = fleet_fake_runtime_count_calls (f->runtime, "create");
  g_assert_cmpuint (creates, >=, 3);
  g_assert_cmpuint (count_calls_matching (f->runtime, "create hello_web localhost/hello:v2"), ==,
                    creates);
  g_assert_cmpuint (count_calls_matching (f->runtime, "create hello_web localhost/hello:v1"), ==, 0);
  g_assert_cmpuint (count_calls_matching (f->runtime, "pull localhost/hello:v1"), ==, 0);
  g_assert_cmpint (fleet_reconciler_get_phase (f->reconciler), ==, FLEET_PHASE_FAILED);

  /* the fault clears: the next retry converges on v2 */
  fleet_fake_runtime_set_start_fails (f->runtime, "localhost/hello:v2", FALSE);
  for (guint i = 0; i < 100 && fleet_reconciler_get_phase (f->reconciler) != FLEET_PHASE_RUNNING;
       i++)
    fleet_test_sleep_ms (10);
  g_assert_cmpint (fleet_reconciler_get_phase (f->reconciler), ==, FLEET_PHASE_RUNNING);
  new_id = fleet_test_recorded_id (f->reconciler, "hello", "web");
  g_assert_nonnull (new_id);
  g_assert_cmpstr (fleet_fake_runtime_lookup (f->runtime, new_id)->image, ==,
                   "localhost/hello:v2");
  g_assert_null (record (f, "hello")->last_error);
}

/* The same document again, however formatted: zero runtime calls. */
static void
test_unchanged_noop (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(FleetDocument) again = NULL;
  g_autofree char *pretty = NULL;
  FleetPhase phase;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  fleet_fake_runtime_clear_calls (f->runtime);

  /* re-serialise with different member order and whitespace */
  {
    g_autoptr(JsonNode) node = json_from_string (g_bytes_get_data (v1->canonical, NULL), NULL);
    pretty = json_to_string (node, TRUE);
  }
  again = fleet_test_document (pretty);
  phase = fleet_test_apply_ok (f->reconciler, again);
  g_assert_cmpint (phase, ==, FLEET_PHASE_RUNNING);
  phase = fleet_test_apply_ok (f->reconciler, v1);
  g_assert_cmpint (phase, ==, FLEET_PHASE_RUNNING);
  for (guint i = 0; i < 10; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (fleet_fake_runtime_get_calls (f->runtime)->len, ==, 0);
}

static void
test_pull_failure_keeps_old (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(FleetDocument) v2 = hello_doc (2, "v2", "hi", "SIGTERM", 10);
  g_autofree char *old_id = NULL;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  old_id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  fleet_fake_runtime_clear_calls (f->runtime);
  fleet_fake_runtime_set_pull_fails (f->runtime, "localhost/hello:v2", TRUE);

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v2), ==, FLEET_PHASE_FAILED);
  g_assert_nonnull (strstr (record (f, "hello")->last_error, "pulling localhost/hello:v2"));
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (f->runtime), ==, 0);
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "hello", "web"), ==, old_id);
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, old_id)->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);

  /* ticks keep the old one alive, and do not stop it */
  fleet_test_tick (f->reconciler, NULL, NULL);
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "stop"), ==, 0);
}

#define TWO_SERVICES                                                                        \
  "{\"deployments\":{\"app\":{\"type\":\"PodmanV0\",\"data\":{\"services\":["                \
  "{\"name\":\"a\",\"image\":\"img-a\",\"env\":{\"V\":\"%s\"}},"                             \
  "{\"name\":\"b\",\"image\":\"img-b\",\"env\":{\"V\":\"%s\"}}]}}}}"

static void
test_only_changed_services_replaced (Fixture *f, gconstpointer data)
{
  g_autofree char *j1 = g_strdup_printf (TWO_SERVICES, "1", "1");
  g_autofree char *j2 = g_strdup_printf (TWO_SERVICES, "1", "2");
  g_autoptr(FleetDocument) d1 = fleet_test_document (j1);
  g_autoptr(FleetDocument) d2 = fleet_test_document (j2);
  g_autofree char *a_id = NULL;
  g_autofree char *b_id = NULL;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, d1), ==, FLEET_PHASE_RUNNING);
  a_id = g_strdup (fleet_test_recorded_id (f->reconciler, "app", "a"));
  b_id = g_strdup (fleet_test_recorded_id (f->reconciler, "app", "b"));
  fleet_fake_runtime_clear_calls (f->runtime);

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, d2), ==, FLEET_PHASE_RUNNING);
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "app", "a"), ==, a_id);
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "app", "b"), !=, b_id);
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "create"), ==, 1);
  g_assert_cmpuint (count_calls_matching (f->runtime, "create app_b"), ==, 1);
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "stop"), ==, 1);
  {
    g_autofree char *stop_b = g_strdup_printf ("stop %s SIGTERM 30", b_id);
    g_assert_cmpint (call_index (f->runtime, stop_b), >=, 0);
  }
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, a_id)->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);
}

static void
test_dropped_service (Fixture *f, gconstpointer data)
{
  g_autofree char *j1 = g_strdup_printf (TWO_SERVICES, "1", "1");
  g_autoptr(FleetDocument) d1 = fleet_test_document (j1);
  g_autoptr(FleetDocument) d2 = fleet_test_document (
    "{\"deployments\":{\"app\":{\"type\":\"PodmanV0\",\"data\":{\"services\":["
    "{\"name\":\"a\",\"image\":\"img-a\",\"env\":{\"V\":\"1\"}}]}}}}");
  g_autofree char *a_id = NULL;
  g_autofree char *b_id = NULL;
  g_autofree char *stop_b = NULL;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, d1), ==, FLEET_PHASE_RUNNING);
  a_id = g_strdup (fleet_test_recorded_id (f->reconciler, "app", "a"));
  b_id = g_strdup (fleet_test_recorded_id (f->reconciler, "app", "b"));
  fleet_fake_runtime_clear_calls (f->runtime);

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, d2), ==, FLEET_PHASE_RUNNING);
  stop_b = g_strdup_printf ("stop %s SIGTERM 30", b_id);
  g_assert_cmpint (call_index (f->runtime, stop_b), >=, 0);
  g_assert_null (fleet_fake_runtime_lookup (f->runtime, b_id));
  g_assert_null (fleet_test_recorded_id (f->reconciler, "app", "b"));
  g_assert_null (fleet_deployment_record_lookup_service (record (f, "app"), "b"));
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "app", "a"), ==, a_id);
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "create"), ==, 0);
}

static void
test_dropped_deployment (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) both = fleet_test_document (
    "{\"deployments\":{"
    "\"x\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":\"s\",\"image\":\"i\"}]}},"
    "\"y\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":\"s\",\"image\":\"i\"},"
    "{\"name\":\"t\",\"image\":\"i\"}]}}}}");
  g_autoptr(FleetDocument) only_x = fleet_test_document (
    "{\"deployments\":{"
    "\"x\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":\"s\",\"image\":\"i\"}]}}}}");
  g_autoptr(FleetDocument) none = fleet_test_document ("{\"deployments\":{}}");
  g_autofree char *x_id = NULL;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, both), ==, FLEET_PHASE_RUNNING);
  g_assert_cmpuint (fleet_fake_runtime_count_containers (f->runtime), ==, 3);
  x_id = g_strdup (fleet_test_recorded_id (f->reconciler, "x", "s"));
  fleet_fake_runtime_clear_calls (f->runtime);

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, only_x), ==, FLEET_PHASE_RUNNING);
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "stop"), ==, 2);
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "remove"), ==, 2);
  g_assert_cmpuint (fleet_fake_runtime_count_containers (f->runtime), ==, 1);
  g_assert_null (record (f, "y"));
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "x", "s"), ==, x_id);

  /* an empty document stops everything managed */
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, none), ==, FLEET_PHASE_RUNNING);
  g_assert_cmpuint (fleet_fake_runtime_count_containers (f->runtime), ==, 0);
  g_assert_null (record (f, "x"));
}

static void
test_orphans (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autofree char *orphan = NULL;
  g_autofree char *stranger = NULL;
  g_autofree char *stop_orphan = NULL;
  GPtrArray *calls;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  orphan = fleet_fake_runtime_add_container (f->runtime, "old_thing", "img", "old", "thing",
                                             "sha256:00", TRUE);
  stranger = fleet_fake_runtime_add_container (f->runtime, "someone-elses", "img", NULL, NULL,
                                               NULL, TRUE);
  fleet_fake_runtime_clear_calls (f->runtime);

  g_assert_true (fleet_test_tick (f->reconciler, NULL, NULL));
  stop_orphan = g_strdup_printf ("stop %s SIGTERM 30", orphan);
  g_assert_cmpint (call_index (f->runtime, stop_orphan), >=, 0);
  g_assert_null (fleet_fake_runtime_lookup (f->runtime, orphan));
  g_assert_nonnull (fleet_fake_runtime_lookup (f->runtime, stranger));
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, stranger)->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);
  calls = fleet_fake_runtime_get_calls (f->runtime);
  for (guint i = 0; i < calls->len; i++)
    g_assert_null (strstr (calls->pdata[i], stranger));
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "create"), ==, 0);
}

/* The crash history of the old version does not slow the new one down. */
static void
test_crash_loop_not_inherited (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(FleetDocument) v2 = hello_doc (2, "v2", "hi", "SIGTERM", 10);
  g_autofree char *id = NULL;
  g_autofree char *new_id = NULL;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  /* v1 crashes and is restarted: its next restart would have to wait */
  g_assert_true (fleet_fake_runtime_kill_container (f->runtime, id, 1));
  g_assert_true (fleet_test_tick (f->reconciler, NULL, NULL));
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, id)->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v2), ==, FLEET_PHASE_RUNNING);
  /* a copy: the tick below records the id afresh */
  new_id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  g_assert_true (fleet_fake_runtime_kill_container (f->runtime, new_id, 1));
  /* v2's first crash: started again at once */
  g_assert_true (fleet_test_tick (f->reconciler, NULL, NULL));
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, new_id)->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);
}

/* A deployment backing off after a failure is stopped at once when a newer
 * document drops it. */
static void
test_dropped_while_backing_off (Fixture *f, gconstpointer data)
{
  g_autofree char *j1 = g_strdup_printf (TWO_SERVICES, "1", "1");
  g_autoptr(FleetDocument) d1 = fleet_test_document (j1);
  g_autoptr(FleetDocument) d2 = fleet_test_document (
    "{\"deployments\":{\"app\":{\"type\":\"PodmanV0\",\"data\":{\"services\":["
    "{\"name\":\"a\",\"image\":\"img-a\",\"env\":{\"V\":\"1\"}},"
    "{\"name\":\"b\",\"image\":\"img-b2\",\"env\":{\"V\":\"1\"}}]}}}}");
  g_autoptr(FleetDocument) none = fleet_test_document ("{\"deployments\":{}}");

  fleet_reconciler_set_retry_backoff (f->reconciler, 60 * 1000, 60 * 1000);
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, d1), ==, FLEET_PHASE_RUNNING);
  fleet_fake_runtime_set_start_fails (f->runtime, "img-b2", TRUE);
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, d2), ==, FLEET_PHASE_FAILED);

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, none), ==, FLEET_PHASE_RUNNING);
  g_assert_cmpuint (fleet_fake_runtime_count_containers (f->runtime), ==, 0);
  g_assert_null (record (f, "app"));
}

/* A container fleet does not manage that holds a service's name is never
 * touched: the start fails (and is retried) until the name is free. */
static void
test_name_held_by_stranger (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autofree char *stranger = fleet_fake_runtime_add_container (f->runtime, "hello_web", "img",
                                                                NULL, NULL, NULL, TRUE);
  GPtrArray *calls;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_FAILED);
  g_assert_nonnull (strstr (record (f, "hello")->last_error, "fleet does not manage"));
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, stranger)->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);
  calls = fleet_fake_runtime_get_calls (f->runtime);
  for (guint i = 0; i < calls->len; i++)
    g_assert_null (strstr (calls->pdata[i], stranger));

  /* its owner removes it: the retry converges */
  g_assert_true (fleet_fake_runtime_remove_container (f->runtime, stranger));
  for (guint i = 0; i < 100 && fleet_reconciler_get_phase (f->reconciler) != FLEET_PHASE_RUNNING;
       i++)
    fleet_test_sleep_ms (10);
  g_assert_cmpint (fleet_reconciler_get_phase (f->reconciler), ==, FLEET_PHASE_RUNNING);
}

static void
test_generation_backwards (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) g5 = hello_doc (5, "v1", "hi", "SIGTERM", 10);
  g_autoptr(FleetDocument) g3 = hello_doc (3, "v2", "hi", "SIGTERM", 10);
  g_autoptr(FleetDocument) g5b = hello_doc (5, "v3", "hi", "SIGTERM", 10);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  FleetPhase phase;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, g5), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  fleet_fake_runtime_clear_calls (f->runtime);

  g_assert_false (fleet_test_apply (f->reconciler, g3, 0, &phase, &error));
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_GENERATION_BACKWARDS);
  g_assert_true (g_str_has_prefix (error->message, "generation went backwards"));
  g_assert_cmpuint (fleet_fake_runtime_get_calls (f->runtime)->len, ==, 0);
  g_assert_true (fleet_document_equal (fleet_reconciler_get_desired (f->reconciler), g5));
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "hello", "web"), ==, id);
  g_clear_error (&error);

  /* the same generation with other content is accepted */
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, g5b), ==, FLEET_PHASE_RUNNING);
  g_assert_cmpint (fleet_state_get_generation (fleet_reconciler_get_state (f->reconciler)), ==, 5);
}

static void
test_liveness_restarts_stopped (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autofree char *id = NULL;
  g_autofree char *start_id = NULL;
  FleetPhase phase;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  start_id = g_strdup_printf ("start %s", id);
  g_assert_true (fleet_fake_runtime_kill_container (f->runtime, id, 1));
  fleet_fake_runtime_clear_calls (f->runtime);

  /* found exited: started again by id, and the deployment is not Running
   * while that is so */
  g_assert_true (fleet_test_tick (f->reconciler, &phase, NULL));
  g_assert_cmpint (phase, ==, FLEET_PHASE_FAILED);
  g_assert_nonnull (strstr (record (f, "hello")->last_error, "is not running (exited, exit code 1)"));
  g_assert_cmpint (call_index (f->runtime, start_id), >=, 0);
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "create"), ==, 0);
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "hello", "web"), ==, id);
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, id)->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);

  /* the next look finds it up: Running again */
  g_assert_true (fleet_test_tick (f->reconciler, &phase, NULL));
  g_assert_cmpint (phase, ==, FLEET_PHASE_RUNNING);
  g_assert_null (record (f, "hello")->last_error);
}

/* A container that keeps dying is never reported Running: between its
 * restarts (crash-loop backoff) the deployment stays Failed. */
static void
test_crash_loop_not_running (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autofree char *id = NULL;
  FleetPhase phase;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));

  /* dies: restarted at once, Failed */
  g_assert_true (fleet_fake_runtime_kill_container (f->runtime, id, 1));
  g_assert_true (fleet_test_tick (f->reconciler, &phase, NULL));
  g_assert_cmpint (phase, ==, FLEET_PHASE_FAILED);
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, id)->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);

  /* dies again at once: within the crash-loop backoff it stays down, and
   * however often we look, it is not Running */
  g_assert_true (fleet_fake_runtime_kill_container (f->runtime, id, 1));
  for (guint i = 0; i < 3; i++)
    {
      g_assert_true (fleet_test_tick (f->reconciler, &phase, NULL));
      g_assert_cmpint (phase, ==, FLEET_PHASE_FAILED);
    }
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, id)->state, ==,
                   FLEET_CONTAINER_STATE_EXITED);

  /* the backoff (1 s) over, it is started again and stays up: Running */
  fleet_test_sleep_ms (1500);
  g_assert_true (fleet_test_tick (f->reconciler, &phase, NULL));
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, id)->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);
  g_assert_true (fleet_test_tick (f->reconciler, &phase, NULL));
  g_assert_cmpint (phase, ==, FLEET_PHASE_RUNNING);
}

static void
test_liveness_recreates_missing (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autofree char *id = NULL;
  const char *new_id;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  g_assert_true (fleet_fake_runtime_remove_container (f->runtime, id));
  fleet_fake_runtime_clear_calls (f->runtime);

  g_assert_true (fleet_test_tick (f->reconciler, NULL, NULL));
  g_assert_cmpuint (count_calls_matching (f->runtime, "create hello_web localhost/hello:v1"), ==, 1);
  new_id = fleet_test_recorded_id (f->reconciler, "hello", "web");
  g_assert_cmpstr (new_id, !=, id);
  g_assert_nonnull (fleet_fake_runtime_lookup (f->runtime, new_id));
}

/* A container that ignores its stop signal is killed after the grace. */
static void
test_stop_hang_killed (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 3);
  g_autoptr(FleetDocument) v2 = hello_doc (2, "v2", "hi", "SIGTERM", 3);
  g_autofree char *old_id = NULL;
  g_autofree char *stop = NULL;
  g_autofree char *kill = NULL;

  fleet_fake_runtime_set_ignores_stop_signal (f->runtime, "localhost/hello:v1", TRUE);
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  old_id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  fleet_fake_runtime_clear_calls (f->runtime);

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v2), ==, FLEET_PHASE_RUNNING);
  stop = g_strdup_printf ("stop %s SIGTERM 3", old_id);
  kill = g_strdup_printf ("kill %s SIGKILL", old_id);
  g_assert_cmpint (call_index (f->runtime, stop), >=, 0);
  g_assert_cmpint (call_index (f->runtime, kill), ==, call_index (f->runtime, stop) + 1);
  g_assert_cmpint (call_index (f->runtime, kill), <,
                   call_index (f->runtime, "create hello_web localhost/hello:v2"));
}

static void
test_runtime_unreachable (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(GError) error = NULL;
  FleetPhase phase;

  fleet_fake_runtime_set_unreachable (f->runtime, TRUE);
  g_assert_false (fleet_test_apply (f->reconciler, v1, 0, &phase, &error));
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_RUNTIME_UNAVAILABLE);
  g_assert_cmpint (record (f, "hello")->phase, ==, FLEET_PHASE_FAILED);
  g_assert_nonnull (strstr (record (f, "hello")->last_error, "container runtime"));
  g_assert_cmpint (fleet_reconciler_get_phase (f->reconciler), ==, FLEET_PHASE_FAILED);

  /* still down: retries keep failing, further and further apart (backoff
   * 10 ms doubling to 40 ms: a handful in 300 ms, not a busy loop) */
  fleet_test_sleep_ms (300);
  g_assert_cmpuint (fleet_fake_runtime_count_refused (f->runtime), >=, 3);
  g_assert_cmpuint (fleet_fake_runtime_count_refused (f->runtime), <=, 20);
  g_assert_cmpint (record (f, "hello")->phase, ==, FLEET_PHASE_FAILED);

  /* the runtime comes back: the backoff retry converges without a new document */
  fleet_fake_runtime_set_unreachable (f->runtime, FALSE);
  for (guint i = 0; i < 100 && fleet_reconciler_get_phase (f->reconciler) != FLEET_PHASE_RUNNING;
       i++)
    fleet_test_sleep_ms (10);
  g_assert_cmpint (fleet_reconciler_get_phase (f->reconciler), ==, FLEET_PHASE_RUNNING);
  g_assert_nonnull (fleet_test_recorded_id (f->reconciler, "hello", "web"));
}

/* A container that dies is started again on the runtime's event, without
 * waiting for a tick; a crash loop is slowed down by backoff. */
static void
test_container_died_event (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autofree char *id = NULL;
  gint64 start;

  fleet_reconciler_watch_runtime_events (f->reconciler);
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  fleet_fake_runtime_clear_calls (f->runtime);

  g_assert_true (fleet_fake_runtime_kill_container (f->runtime, id, 137));
  start = g_get_monotonic_time ();
  while (fleet_fake_runtime_lookup (f->runtime, id)->state != FLEET_CONTAINER_STATE_RUNNING
         && g_get_monotonic_time () - start < 5 * G_USEC_PER_SEC)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, id)->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "start"), ==, 1);

  /* it dies again at once: the restart waits for the crash-loop backoff */
  g_assert_true (fleet_fake_runtime_kill_container (f->runtime, id, 137));
  fleet_test_sleep_ms (200);
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, id)->state, ==,
                   FLEET_CONTAINER_STATE_EXITED);
  g_assert_true (fleet_test_tick (f->reconciler, NULL, NULL));
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, id)->state, ==,
                   FLEET_CONTAINER_STATE_EXITED);
  start = g_get_monotonic_time ();
  while (fleet_fake_runtime_lookup (f->runtime, id)->state != FLEET_CONTAINER_STATE_RUNNING
         && g_get_monotonic_time () - start < 10 * G_USEC_PER_SEC)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, id)->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "start"), ==, 2);
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "create"), ==, 0);
}

/* The container the agent stops itself is reported dead by the runtime
 * too; that is no reason for another pass, nor a "died" in the log. */
static void
test_own_stop_is_not_a_death (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(FleetDocument) v2 = hello_doc (2, "v2", "hi", "SIGTERM", 10);
  g_autoptr(FleetDocument) none = fleet_test_document ("{\"deployments\":{}}");

  fleet_reconciler_watch_runtime_events (f->reconciler);
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  fleet_fake_runtime_clear_calls (f->runtime);

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v2), ==, FLEET_PHASE_RUNNING);
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, none), ==, FLEET_PHASE_RUNNING);
  fleet_test_sleep_ms (50);
  /* one pass each: no extra pass triggered by the stops */
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "list"), ==, 2);
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "stop"), ==, 2);
}

static void
on_phase_changed (FleetReconciler *reconciler, const char *name, const char *phase,
                  gpointer user_data)
{
  g_ptr_array_add (user_data, g_strdup_printf ("%s=%s", name, phase));
}

static void
test_phase_signals (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(FleetDocument) v2 = hello_doc (2, "v2", "hi", "SIGTERM", 10);
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);

  g_signal_connect (f->reconciler, "deployment-phase-changed", G_CALLBACK (on_phase_changed),
                    seen);
  fleet_test_apply_ok (f->reconciler, v1);
  fleet_fake_runtime_set_pull_fails (f->runtime, "localhost/hello:v2", TRUE);
  fleet_test_apply_ok (f->reconciler, v2);
  g_assert_cmpuint (seen->len, ==, 4);
  g_assert_cmpstr (seen->pdata[0], ==, "hello=Pending");
  g_assert_cmpstr (seen->pdata[1], ==, "hello=Running");
  g_assert_cmpstr (seen->pdata[2], ==, "hello=Pending");
  g_assert_cmpstr (seen->pdata[3], ==, "hello=Failed");
  g_assert_nonnull (record (f, "hello")->last_event_at);
}

/* While a failed rollout backs off, an operator's reconcile retries now. */
static void
test_retry_now (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  FleetPhase phase;

  fleet_reconciler_set_retry_backoff (f->reconciler, 60 * 1000, 60 * 1000);
  fleet_fake_runtime_set_pull_fails (f->runtime, "localhost/hello:v1", TRUE);
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_FAILED);
  fleet_fake_runtime_set_pull_fails (f->runtime, "localhost/hello:v1", FALSE);

  /* a tick does not bypass the backoff ... */
  g_assert_true (fleet_test_tick (f->reconciler, &phase, NULL));
  g_assert_cmpint (phase, ==, FLEET_PHASE_FAILED);
  /* ... an explicit retry does */
  g_assert_true (fleet_test_apply (f->reconciler, NULL, FLEET_APPLY_FLAGS_RETRY_NOW, &phase, NULL));
  g_assert_cmpint (phase, ==, FLEET_PHASE_RUNNING);
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/reconciler/tick-idempotency", test_tick_idempotency);
  ADD ("/reconciler/graceful-replace-by-id", test_graceful_replace_by_id);
  ADD ("/reconciler/roll-forward-no-revert", test_roll_forward_no_revert);
  ADD ("/reconciler/unchanged-noop", test_unchanged_noop);
  ADD ("/reconciler/pull-failure-keeps-old", test_pull_failure_keeps_old);
  ADD ("/reconciler/only-changed-services-replaced", test_only_changed_services_replaced);
  ADD ("/reconciler/dropped-service", test_dropped_service);
  ADD ("/reconciler/dropped-deployment", test_dropped_deployment);
  ADD ("/reconciler/orphans", test_orphans);
  ADD ("/reconciler/name-held-by-stranger", test_name_held_by_stranger);
  ADD ("/reconciler/dropped-while-backing-off", test_dropped_while_backing_off);
  ADD ("/reconciler/generation-backwards", test_generation_backwards);
  ADD ("/reconciler/liveness-restarts-stopped", test_liveness_restarts_stopped);
  ADD ("/reconciler/liveness-recreates-missing", test_liveness_recreates_missing);
  ADD ("/reconciler/crash-loop-not-running", test_crash_loop_not_running);
  ADD ("/reconciler/crash-loop-not-inherited", test_crash_loop_not_inherited);
  ADD ("/reconciler/stop-hang-killed", test_stop_hang_killed);
  ADD ("/reconciler/runtime-unreachable", test_runtime_unreachable);
  ADD ("/reconciler/container-died-event", test_container_died_event);
  ADD ("/reconciler/own-stop-is-not-a-death", test_own_stop_is_not_a_death);
  ADD ("/reconciler/phase-signals", test_phase_signals);
  ADD ("/reconciler/retry-now", test_retry_now);
#undef ADD

  return g_test_run ();
}
