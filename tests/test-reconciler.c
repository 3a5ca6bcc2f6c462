/* test-reconciler.c: the reconcile semantics of contract §2, asserted on the
 * FakeRuntime's call log.  The first four are the tests from the product's
 * origin (the bug where env-bearing services were recreated every tick).
 */
#include "config.h"

#include <glib/gstdio.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "fleet-test-utils.h"
#include "fleet-util-private.h"

#define DOC_TMPL                                                                           \
  "{\"generation\":%d,\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{"          \
  "\"services\":[{\"name\":\"web\",\"image\":\"localhost/hello:%s\","                        \
  "\"env\":{\"GREETING\":\"%s\",\"MODE\":\"prod\"},"                                         \
  "\"volumes\":[\"/srv/hello:/data:ro\",\"hello-cache:/cache\"],"                            \
  "\"ports\":[\"8080:8080\"]}],"                                                             \
  "\"lifecycle\":{\"stop_signal\":\"%s\",\"grace_period_secs\":%d}}}}}"

typedef struct
{
  FleetFakeRuntime *runtime;
  FleetReconciler *reconciler;
  char *state_dir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->runtime = fleet_fake_runtime_new ();
  f->state_dir = fleet_test_make_tmpdir ();
  f->reconciler = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
  fleet_reconciler_set_retry_backoff (f->reconciler, 10, 40);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->reconciler);
  g_clear_object (&f->runtime);
  fleet_test_rm_rf (f->state_dir);
  g_free (f->state_dir);
}

static FleetDocument *
hello_doc (int generation, const char *version, const char *greeting, const char *signal,
           int grace)
{
  g_autofree char *json = g_strdup_printf (DOC_TMPL, generation, version, greeting, signal, grace);

  return fleet_test_document (json);
}

static guint
count_calls_matching (FleetFakeRuntime *runtime, const char *prefix)
{
  GPtrArray *calls = fleet_fake_runtime_get_calls (runtime);
  guint n = 0;

  for (guint i = 0; i < calls->len; i++)
    if (g_str_has_prefix (calls->pdata[i], prefix))
      n++;
  return n;
}

static int
call_index (FleetFakeRuntime *runtime, const char *call)
{
  GPtrArray *calls = fleet_fake_runtime_get_calls (runtime);

  for (guint i = 0; i < calls->len; i++)
    if (g_str_equal (calls->pdata[i], call))
      return (int) i;
  return -1;
}

static void
assert_calls (FleetFakeRuntime *runtime, const char *const *expected)
{
  GPtrArray *calls = fleet_fake_runtime_get_calls (runtime);
  g_autofree char *log = fleet_fake_runtime_format_calls (runtime);
  guint n = g_strv_length ((char **) expected);

  if (calls->len != n)
    g_error ("expected %u runtime calls, got %u:\n%s", n, calls->len, log);
  for (guint i = 0; i < n; i++)
    if (!g_str_equal (calls->pdata[i], expected[i]))
      g_error ("call %u: expected \"%s\", got:\n%s", i, expected[i], log);
}

static const FleetDeploymentRecord *
record (Fixture *f, const char *deployment)
{
  return fleet_state_lookup_deployment (fleet_reconciler_get_state (f->reconciler), deployment);
}

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
    const char *expected[] = { "list", "pull localhost/hello:v2", stop_old, remove_old,
                               "create hello_web localhost/hello:v2", start_new, NULL };
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

/* A new reconciler on the same state directory (an agent restart) recreates
 * nothing. */
static void
test_reload_recreates_nothing (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(FleetReconciler) restarted = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  FleetPhase phase;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  g_clear_object (&f->reconciler);
  fleet_fake_runtime_clear_calls (f->runtime);

  restarted = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
  g_assert_true (fleet_reconciler_load_state (restarted, &error));
  g_assert_no_error (error);
  g_assert_nonnull (fleet_reconciler_get_desired (restarted));
  g_assert_cmpstr (fleet_test_recorded_id (restarted, "hello", "web"), ==, id);

  /* recovery pass, then the same document fetched again, then a tick */
  g_assert_true (fleet_test_apply (restarted, NULL, FLEET_APPLY_FLAGS_RETRY_NOW, &phase, &error));
  g_assert_cmpint (phase, ==, FLEET_PHASE_RUNNING);
  g_assert_cmpint (fleet_test_apply_ok (restarted, v1), ==, FLEET_PHASE_RUNNING);
  g_assert_true (fleet_test_tick (restarted, &phase, &error));
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (f->runtime), ==, 0);
  g_assert_cmpstr (fleet_test_recorded_id (restarted, "hello", "web"), ==, id);
}


/* The agent stopped after it wrote the new document and before the records
 * that go with it: a restart carries on towards the new document, and the
 * records' spec digests say what to replace, gracefully, by id. */
static void
test_reload_after_crash_between_writes (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(FleetDocument) v2 = hello_doc (2, "v2", "hi", "SIGTERM", 10);
  g_autoptr(FleetReconciler) restarted = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *desired_path = g_build_filename (f->state_dir, FLEET_STATE_DESIRED_FILE_NAME,
                                                    NULL);
  g_autofree char *old_id = NULL;
  g_autofree char *stop_old = NULL;
  FleetPhase phase;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  old_id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  g_clear_object (&f->reconciler);
  g_assert_true (g_file_set_contents (desired_path, g_bytes_get_data (v2->canonical, NULL),
                                      g_bytes_get_size (v2->canonical), NULL));
  fleet_fake_runtime_clear_calls (f->runtime);

  restarted = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
  g_assert_true (fleet_reconciler_load_state (restarted, &error));
  g_assert_no_error (error);
  g_assert_true (fleet_document_equal (fleet_reconciler_get_desired (restarted), v2));
  g_assert_cmpint (fleet_reconciler_get_phase (restarted), ==, FLEET_PHASE_PENDING);
  g_assert_cmpstr (fleet_test_recorded_id (restarted, "hello", "web"), ==, old_id);

  g_assert_true (fleet_test_apply (restarted, NULL, FLEET_APPLY_FLAGS_RETRY_NOW, &phase, &error));
  g_assert_cmpint (phase, ==, FLEET_PHASE_RUNNING);
  stop_old = g_strdup_printf ("stop %s SIGTERM 10", old_id);
  g_assert_cmpint (call_index (f->runtime, stop_old), >=, 0);
  g_assert_cmpint (call_index (f->runtime, stop_old), <,
                   call_index (f->runtime, "create hello_web localhost/hello:v2"));
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "create"), ==, 1);
  /* the generation high-water mark is the new document's */
  g_assert_false (fleet_reconciler_check_document (restarted, v1, &error));
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_GENERATION_BACKWARDS);
}

/* desired.json lost or corrupt: no document until the next fetch, which
 * recreates nothing, as the records keep every container. */
static void
test_reload_desired_lost (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autofree char *desired_path = g_build_filename (f->state_dir, FLEET_STATE_DESIRED_FILE_NAME,
                                                    NULL);
  g_autofree char *id = NULL;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(FleetReconciler) restarted = NULL;
      g_autoptr(GError) error = NULL;
      FleetPhase phase;

      g_clear_object (&f->reconciler);
      if (i == 0)
        g_assert_cmpint (g_unlink (desired_path), ==, 0);
      else
        g_assert_true (g_file_set_contents (desired_path, "{\"deploym", -1, NULL));
      fleet_fake_runtime_clear_calls (f->runtime);

      restarted = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
      g_assert_true (fleet_reconciler_load_state (restarted, &error));
      g_assert_no_error (error);
      g_assert_null (fleet_reconciler_get_desired (restarted));
      g_assert_cmpstr (fleet_test_recorded_id (restarted, "hello", "web"), ==, id);
      g_assert_true (fleet_test_tick (restarted, &phase, &error));
      g_assert_cmpint (phase, ==, FLEET_PHASE_PENDING);

      g_assert_cmpint (fleet_test_apply_ok (restarted, v1), ==, FLEET_PHASE_RUNNING);
      g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (f->runtime), ==, 0);
      g_assert_cmpstr (fleet_test_recorded_id (restarted, "hello", "web"), ==, id);
      g_assert_true (g_file_test (desired_path, G_FILE_TEST_IS_REGULAR));
      f->reconciler = g_steal_pointer (&restarted);
    }
}

/* A device upgraded from the single-file state format (version 1) carries
 * on as it was, recreating nothing, and its next save writes both files. */
static void
test_reload_single_file (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(FleetReconciler) restarted = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *state_path = g_build_filename (f->state_dir, FLEET_STATE_FILE_NAME, NULL);
  g_autofree char *desired_path = g_build_filename (f->state_dir, FLEET_STATE_DESIRED_FILE_NAME,
                                                    NULL);
  g_autofree char *records = NULL;
  g_autofree char *document = NULL;
  g_autofree char *single = NULL;
  g_autofree char *id = NULL;
  FleetPhase phase;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  g_clear_object (&f->reconciler);

  /* what an agent of the single-file format would have written */
  g_assert_true (g_file_get_contents (state_path, &records, NULL, NULL));
  g_assert_true (g_file_get_contents (desired_path, &document, NULL, NULL));
  g_assert_true (g_str_has_prefix (records, "{\"version\":2,"));
  single = g_strdup_printf ("{\"version\":1,\"desired\":%s,%s", document,
                            records + strlen ("{\"version\":2,"));
  g_assert_true (g_file_set_contents (state_path, single, -1, NULL));
  g_assert_cmpint (g_unlink (desired_path), ==, 0);
  fleet_fake_runtime_clear_calls (f->runtime);

  restarted = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
  g_assert_true (fleet_reconciler_load_state (restarted, &error));
  g_assert_no_error (error);
  g_assert_true (fleet_document_equal (fleet_reconciler_get_desired (restarted), v1));
  g_assert_true (fleet_test_apply (restarted, NULL, FLEET_APPLY_FLAGS_RETRY_NOW, &phase, &error));
  g_assert_cmpint (phase, ==, FLEET_PHASE_RUNNING);
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (f->runtime), ==, 0);
  g_assert_cmpstr (fleet_test_recorded_id (restarted, "hello", "web"), ==, id);

  /* migrated at the next save */
  fleet_fake_runtime_kill_container (f->runtime, id, 1);
  g_assert_true (fleet_test_tick (restarted, &phase, &error));
  g_clear_pointer (&records, g_free);
  g_assert_true (g_file_get_contents (state_path, &records, NULL, NULL));
  g_assert_true (g_str_has_prefix (records, "{\"version\":2,"));
  g_assert_true (g_file_test (desired_path, G_FILE_TEST_IS_REGULAR));
}

/* A document of @n services of about 1 KiB each, all at @tag. */
static FleetDocument *
many_services_doc (guint n, int generation, const char *tag)
{
  g_autoptr(GString) json = g_string_new (NULL);
  g_autofree char *pad = g_strnfill (900, 'x');

  g_string_append_printf (json, "{\"generation\":%d,\"deployments\":{\"app\":{\"type\":"
                          "\"PodmanV0\",\"data\":{\"services\":[", generation);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (json, "%s{\"name\":\"s%u\",\"image\":\"localhost/app:%s\","
                            "\"env\":{\"PAD\":\"%s\"},\"ports\":[\"%u:8080\"]}",
                            i ? "," : "", i, tag, pad, 10000 + i);
  g_string_append (json, "]}}}}");
  return fleet_test_document (json->str);
}

/* Bytes this process has written with write(2) and friends, or -1. */
static gint64
bytes_written_by_process (void)
{
  g_autofree char *io = NULL;
  const char *wchar;

  if (!g_file_get_contents ("/proc/self/io", &io, NULL, NULL)
      || (wchar = strstr (io, "wchar: ")) == NULL)
    return -1;
  return g_ascii_strtoll (wchar + strlen ("wchar: "), NULL, 10);
}

/* How often each file of the state directory was replaced (a temporary
 * file renamed into its place), from the inotify events queued on @fd. */
static void
count_replacements (int fd, guint *out_state, guint *out_desired)
{
  char buf[64 * 1024] __attribute__ ((aligned (__alignof__ (struct inotify_event))));
  gssize len;

  *out_state = *out_desired = 0;
  while ((len = read (fd, buf, sizeof buf)) > 0)
    for (char *p = buf; p < buf + len;)
      {
        struct inotify_event *event = (struct inotify_event *) p;

        g_assert_false (event->mask & IN_Q_OVERFLOW);
        if (!(event->mask & IN_MOVED_TO))
          ;
        else if (event->len > 0 && g_str_equal (event->name, FLEET_STATE_FILE_NAME))
          (*out_state)++;
        else if (event->len > 0 && g_str_equal (event->name, FLEET_STATE_DESIRED_FILE_NAME))
          (*out_desired)++;
        p += sizeof (struct inotify_event) + event->len;
      }
}

/* An upgrade of many services writes the document once; every action
 * still persists what it changed (a container id is on disk before the
 * next action), but as a journal entry: the records are not all rewritten
 * per action, so the bytes written grow linearly with the services, not
 * with their square. */
static void
test_state_writes (Fixture *f, gconstpointer data)
{
  const guint n = 64;
  g_autoptr(FleetDocument) v1 = many_services_doc (n, 1, "v1");
  g_autoptr(FleetDocument) v2 = many_services_doc (n, 2, "v2");
  g_autofree char *state_path = g_build_filename (f->state_dir, FLEET_STATE_FILE_NAME, NULL);
  g_autofree char *journal = g_build_filename (f->state_dir, FLEET_STATE_JOURNAL_FILE_NAME, NULL);
  gsize document_size = g_bytes_get_size (v2->canonical);
  guint state_writes, desired_writes;
  gint64 written;
  GStatBuf st;
  int fd;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  /* IN_MOVED_FROM too: identical events in a row would be merged into one */
  g_assert_cmpint (inotify_add_watch (fd, f->state_dir, IN_MOVED_FROM | IN_MOVED_TO), >=, 0);
  written = bytes_written_by_process ();

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v2), ==, FLEET_PHASE_RUNNING);
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "stop"), ==, n);
  if (written >= 0)
    written = bytes_written_by_process () - written;
  count_replacements (fd, &state_writes, &desired_writes);
  close (fd);

  g_test_message ("upgrade of %u services, document %" G_GSIZE_FORMAT " bytes: state.json "
                  "written %u times, desired.json %u, %" G_GINT64_FORMAT " bytes written",
                  n, document_size, state_writes, desired_writes, written);
  g_assert_cmpuint (desired_writes, ==, 1);
  /* when the document is accepted, and once the pass is over */
  g_assert_cmpuint (state_writes, <=, 3);
  g_assert_cmpint (g_stat (state_path, &st), ==, 0);
  g_assert_cmpint (st.st_size, <, document_size / 4);
  /* the journal was folded into state.json */
  g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
  /* rewriting the records per action would write about 2n times their size */
  if (written >= 0)
    g_assert_cmpint (written, <, 16 * (gint64) st.st_size + (gint64) document_size);
  else
    g_test_message ("/proc/self/io not available: bytes written not checked");
}

/* How the state was lost, for test_lost_state_adopts_by_label(). */
typedef enum
{
  LOST_RECORDS,    /* state.json deleted */
  CORRUPT_RECORDS, /* state.json torn (a broken SD card) */
  LOST_EVERYTHING, /* the state directory emptied */
} LostState;

/* With the state lost, the running containers are adopted by their labels
 * instead of recreated: at once by fleetd's recovery pass when desired.json
 * survived, or when the next document arrives. */
static void
test_lost_state_adopts_by_label (Fixture *f, gconstpointer data)
{
  LostState how = GPOINTER_TO_INT (data);
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(FleetReconciler) fresh = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *state_path = g_build_filename (f->state_dir, FLEET_STATE_FILE_NAME, NULL);
  g_autofree char *desired_path = g_build_filename (f->state_dir, FLEET_STATE_DESIRED_FILE_NAME,
                                                    NULL);
  FleetPhase phase;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  g_clear_object (&f->reconciler);
  if (how == CORRUPT_RECORDS)
    g_assert_true (g_file_set_contents (state_path, "{\"version\":2,\"deploym", -1, NULL));
  else
    g_assert_cmpint (g_unlink (state_path), ==, 0);
  if (how == LOST_EVERYTHING)
    g_assert_cmpint (g_unlink (desired_path), ==, 0);
  fleet_fake_runtime_clear_calls (f->runtime);

  fresh = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
  if (how == CORRUPT_RECORDS)
    {
      g_assert_false (fleet_reconciler_load_state (fresh, &error));
      g_assert_error (error, FLEET_ERROR, FLEET_ERROR_STATE_CORRUPT);
      g_clear_error (&error);
    }
  else
    {
      g_assert_true (fleet_reconciler_load_state (fresh, &error));
      g_assert_no_error (error);
    }
  g_assert_null (fleet_test_recorded_id (fresh, "hello", "web"));
  if (how == LOST_EVERYTHING)
    {
      g_assert_null (fleet_reconciler_get_desired (fresh));
      /* nothing to go by until the next document: nothing is touched */
      g_assert_true (fleet_test_tick (fresh, &phase, &error));
      g_assert_no_error (error);
      g_assert_cmpint (fleet_test_apply_ok (fresh, v1), ==, FLEET_PHASE_RUNNING);
    }
  else
    {
      g_assert_true (fleet_document_equal (fleet_reconciler_get_desired (fresh), v1));
      /* fleetd's recovery pass */
      g_assert_true (fleet_test_apply (fresh, NULL, FLEET_APPLY_FLAGS_RETRY_NOW, &phase,
                                       &error));
      g_assert_no_error (error);
      g_assert_cmpint (phase, ==, FLEET_PHASE_RUNNING);
    }
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (f->runtime), ==, 0);
  g_assert_cmpstr (fleet_test_recorded_id (fresh, "hello", "web"), ==, id);
}

/* With the state lost, a labelled container of an older spec is adopted and
 * then replaced gracefully by its id, not left behind or duplicated. */
static void
test_lost_state_replaces_older_by_id (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(FleetDocument) v2 = hello_doc (2, "v2", "hi", "SIGTERM", 10);
  g_autoptr(FleetReconciler) fresh = NULL;
  g_autofree char *other_dir = fleet_test_make_tmpdir ();
  g_autofree char *old_id = NULL;
  g_autofree char *stop_old = NULL;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  old_id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  fleet_fake_runtime_clear_calls (f->runtime);

  fresh = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), other_dir);
  g_assert_cmpint (fleet_test_apply_ok (fresh, v2), ==, FLEET_PHASE_RUNNING);
  stop_old = g_strdup_printf ("stop %s SIGTERM 10", old_id);
  g_assert_cmpint (call_index (f->runtime, stop_old), >=, 0);
  g_assert_cmpint (call_index (f->runtime, stop_old), <,
                   call_index (f->runtime, "create hello_web localhost/hello:v2"));
  g_assert_cmpuint (fleet_fake_runtime_count_containers (f->runtime), ==, 1);
  fleet_test_rm_rf (other_dir);
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

static void
on_shutdown (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_assert_true (fleet_reconciler_shutdown_finish (FLEET_RECONCILER (source), result, NULL));
  *(gboolean *) user_data = TRUE;
}

/* An apply that a shutdown cut short reports the shutdown. */
static void
on_applied_cancelled (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (fleet_reconciler_apply_finish (FLEET_RECONCILER (source), result, NULL,
                                                 &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  *(gboolean *) user_data = TRUE;
}

/* Shutdown in the middle of a rollout: the step in flight finishes, the
 * state is persisted, nothing further happens, containers keep running. */
static void
test_shutdown_mid_pass (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) d = fleet_test_document (
    "{\"deployments\":{\"app\":{\"type\":\"PodmanV0\",\"data\":{\"services\":["
    "{\"name\":\"a\",\"image\":\"i\"},{\"name\":\"b\",\"image\":\"i\"},"
    "{\"name\":\"c\",\"image\":\"i\"}]}}}}");
  g_autoptr(FleetReconciler) restarted = NULL;
  gboolean done = FALSE;

  fleet_fake_runtime_set_latency (f->runtime, 20);
  fleet_reconciler_apply_async (f->reconciler, d, 0, NULL, NULL, NULL);
  /* a's container is up and b's start is in flight */
  while (fleet_fake_runtime_count_calls (f->runtime, "start") == 0)
    g_main_context_iteration (NULL, TRUE);
  fleet_reconciler_shutdown_async (f->reconciler, NULL, on_shutdown, &done);
  fleet_test_wait (&done);
  fleet_test_sleep_ms (100);
  /* b's start finished; c was never started */
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "create"), ==, 2);
  g_assert_cmpuint (fleet_fake_runtime_count_containers (f->runtime), ==, 2);
  g_assert_null (fleet_fake_runtime_lookup (f->runtime, "app_c"));

  /* what was started was persisted; a restart finishes the rollout */
  restarted = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
  g_assert_true (fleet_reconciler_load_state (restarted, NULL));
  g_assert_nonnull (fleet_test_recorded_id (restarted, "app", "a"));
  g_assert_nonnull (fleet_test_recorded_id (restarted, "app", "b"));
  g_assert_null (fleet_test_recorded_id (restarted, "app", "c"));
  g_assert_true (fleet_test_apply (restarted, NULL, FLEET_APPLY_FLAGS_RETRY_NOW, NULL, NULL));
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "create"), ==, 3);
  g_assert_cmpint (fleet_reconciler_get_phase (restarted), ==, FLEET_PHASE_RUNNING);
}

/* Shutdown while a pull takes its time: the pull is abandoned, not waited
 * for; nothing is marked Failed, the old container keeps running, and the
 * next start rolls the new version out. */
static void
test_shutdown_cancels_pull (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(FleetDocument) v2 = hello_doc (2, "v2", "hi", "SIGTERM", 10);
  g_autoptr(FleetReconciler) restarted = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *old_id = NULL;
  g_autofree char *stop_old = NULL;
  gboolean applied = FALSE;
  gboolean done = FALSE;
  const FleetDeploymentRecord *hello;
  FleetPhase phase;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  old_id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  fleet_fake_runtime_set_pull_hangs (f->runtime, "localhost/hello:v2", TRUE);
  fleet_fake_runtime_clear_calls (f->runtime);
  fleet_reconciler_apply_async (f->reconciler, v2, 0, NULL, on_applied_cancelled, &applied);
  while (fleet_fake_runtime_count_calls (f->runtime, "pull") == 0)
    g_main_context_iteration (NULL, TRUE);

  fleet_reconciler_shutdown_async (f->reconciler, NULL, on_shutdown, &done);
  fleet_test_wait (&done);
  fleet_test_wait (&applied);
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (f->runtime), ==, 0);
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, old_id)->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);
  hello = record (f, "hello");
  g_assert_cmpint (hello->phase, ==, FLEET_PHASE_PENDING);
  g_assert_null (hello->last_error);

  /* persisted as such: a restart carries on towards v2, by id, gracefully */
  fleet_fake_runtime_set_pull_hangs (f->runtime, "localhost/hello:v2", FALSE);
  restarted = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
  g_assert_true (fleet_reconciler_load_state (restarted, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fleet_reconciler_get_phase (restarted), ==, FLEET_PHASE_PENDING);
  g_assert_true (fleet_document_equal (fleet_reconciler_get_desired (restarted), v2));
  fleet_fake_runtime_clear_calls (f->runtime);
  /* fleetd's recovery pass */
  g_assert_true (fleet_test_apply (restarted, NULL, FLEET_APPLY_FLAGS_RETRY_NOW, &phase, &error));
  g_assert_no_error (error);
  g_assert_cmpint (phase, ==, FLEET_PHASE_RUNNING);
  stop_old = g_strdup_printf ("stop %s SIGTERM 10", old_id);
  g_assert_cmpint (call_index (f->runtime, "pull localhost/hello:v2"), <,
                   call_index (f->runtime, stop_old));
  g_assert_cmpint (call_index (f->runtime, stop_old), <,
                   call_index (f->runtime, "create hello_web localhost/hello:v2"));
}

#define TWO_DEPLOYMENTS_TMPL                                                               \
  "{\"generation\":%d,\"deployments\":{"                                                   \
  "\"fast\":{\"type\":\"PodmanV0\",\"data\":{\"services\":["                               \
  "{\"name\":\"web\",\"image\":\"localhost/fast:v1\"}]}},"                                 \
  "\"slow\":{\"type\":\"PodmanV0\",\"data\":{\"services\":["                               \
  "{\"name\":\"a\",\"image\":\"localhost/slow:%s\"},"                                      \
  "{\"name\":\"b\",\"image\":\"localhost/slow:%s\"}],"                                     \
  "\"lifecycle\":{\"grace_period_secs\":3600}}}}}"

static FleetDocument *
two_deployments_doc (int generation, const char *slow_version)
{
  g_autofree char *json = g_strdup_printf (TWO_DEPLOYMENTS_TMPL, generation, slow_version,
                                           slow_version);

  return fleet_test_document (json);
}

/* One deployment's rollout that takes its time (an hour's grace, a pull
 * that hangs) does not hold up the liveness of another: the other's dead
 * container is started again by the next tick, which completes. */
static void
test_deployments_do_not_wait (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = two_deployments_doc (1, "v1");
  g_autoptr(FleetDocument) v2 = two_deployments_doc (2, "v2");
  g_autofree char *fast_id = NULL;
  gboolean applied = FALSE, done = FALSE;
  FleetPhase phase;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  fast_id = g_strdup (fleet_test_recorded_id (f->reconciler, "fast", "web"));
  fleet_fake_runtime_set_pull_hangs (f->runtime, "localhost/slow:v2", TRUE);
  fleet_fake_runtime_clear_calls (f->runtime);
  fleet_reconciler_apply_async (f->reconciler, v2, 0, NULL, on_applied_cancelled, &applied);
  while (fleet_fake_runtime_count_calls (f->runtime, "pull") == 0)
    g_main_context_iteration (NULL, TRUE);

  fleet_fake_runtime_clear_calls (f->runtime);
  g_assert_true (fleet_fake_runtime_kill_container (f->runtime, fast_id, 137));
  g_assert_true (fleet_test_tick (f->reconciler, &phase, NULL));
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, fast_id)->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);
  g_assert_cmpuint (count_calls_matching (f->runtime, "start "), ==, 1);
  /* the slow deployment was left to its lane: nothing else asked of it */
  g_assert_cmpuint (count_calls_matching (f->runtime, "pull"), ==, 0);
  g_assert_cmpint (record (f, "slow")->phase, ==, FLEET_PHASE_PENDING);
  g_assert_false (applied);

  fleet_reconciler_shutdown_async (f->reconciler, NULL, on_shutdown, &done);
  fleet_test_wait (&done);
  fleet_test_wait (&applied);
}

/* A document that cannot be written to the state directory is not acted
 * on: nothing of it runs (a restart would not know of it and would take
 * its containers for orphans), the apply says why, and it is taken up as
 * soon as it can be written. */
static void
test_document_not_persisted (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(FleetDocument) v2 = hello_doc (2, "v2", "hi", "SIGTERM", 10);
  g_autofree char *desired = g_build_filename (f->state_dir, FLEET_STATE_DESIRED_FILE_NAME, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *old_id = NULL;
  gint64 start;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  old_id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  fleet_fake_runtime_clear_calls (f->runtime);
  /* a directory in its place: not even root can replace it with a file */
  g_assert_cmpint (g_unlink (desired), ==, 0);
  g_assert_cmpint (g_mkdir (desired, 0700), ==, 0);

  g_assert_false (fleet_test_apply (f->reconciler, v2, 0, NULL, &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "cannot persist the document"));
  g_assert_nonnull (fleet_reconciler_get_persist_error (f->reconciler));
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (f->runtime), ==, 0);
  g_assert_true (fleet_document_equal (fleet_reconciler_get_desired (f->reconciler), v1));
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, old_id)->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);

  /* space again: the document is written and rolled out, unasked */
  g_assert_cmpint (g_rmdir (desired), ==, 0);
  start = g_get_monotonic_time ();
  while (fleet_reconciler_get_phase (f->reconciler) != FLEET_PHASE_RUNNING
         || !fleet_document_equal (fleet_reconciler_get_desired (f->reconciler), v2))
    {
      g_assert_cmpint (g_get_monotonic_time () - start, <, 20 * G_USEC_PER_SEC);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_null (fleet_reconciler_get_persist_error (f->reconciler));
  g_assert_null (fleet_fake_runtime_lookup (f->runtime, old_id));
  g_assert_true (g_file_test (desired, G_FILE_TEST_IS_REGULAR));
}

/* Records that cannot be written stop the rollout before it acts on them,
 * and the save is retried until it works; then the rollout goes on. */
static void
test_records_not_persisted (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(FleetDocument) v2 = hello_doc (2, "v2", "hi", "SIGTERM", 10);
  g_autofree char *journal = g_build_filename (f->state_dir, FLEET_STATE_JOURNAL_FILE_NAME, NULL);
  g_autofree char *old_id = NULL;
  g_autoptr(FleetReconciler) restarted = NULL;
  gboolean applied = FALSE;
  gint64 start;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  old_id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  fleet_fake_runtime_clear_calls (f->runtime);
  g_assert_cmpint (g_mkdir (journal, 0700), ==, 0);

  fleet_reconciler_apply_async (f->reconciler, v2, 0, NULL, NULL, &applied);
  start = g_get_monotonic_time ();
  while (fleet_reconciler_get_persist_error (f->reconciler) == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
      g_main_context_iteration (NULL, TRUE);
    }
  fleet_test_sleep_ms (300);
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (f->runtime), ==, 0);
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, old_id)->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);
  /* a restart now knows the new document, and would roll it out */
  restarted = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
  g_assert_true (fleet_reconciler_load_state (restarted, NULL));
  g_assert_true (fleet_document_equal (fleet_reconciler_get_desired (restarted), v2));
  g_clear_object (&restarted);

  g_assert_cmpint (g_rmdir (journal), ==, 0);
  start = g_get_monotonic_time ();
  while (fleet_reconciler_get_phase (f->reconciler) != FLEET_PHASE_RUNNING)
    {
      g_assert_cmpint (g_get_monotonic_time () - start, <, 20 * G_USEC_PER_SEC);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_null (fleet_reconciler_get_persist_error (f->reconciler));
  g_assert_null (fleet_fake_runtime_lookup (f->runtime, old_id));
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "create"), ==, 1);
}

/* Records of a newer release are refused, and nothing is touched. */
static void
test_newer_state_refused (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->state_dir, FLEET_STATE_FILE_NAME, NULL);
  static const char newer[] = "{\"version\":3,\"future\":true,\"deployments\":{}}";
  g_autoptr(GError) error = NULL;
  g_autofree char *after = NULL;

  g_assert_true (g_file_set_contents (path, newer, -1, NULL));
  g_assert_false (fleet_reconciler_load_state (f->reconciler, &error));
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_STATE_UNSUPPORTED);
  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, newer);
  g_assert_null (fleet_reconciler_get_desired (f->reconciler));
}

#define INIT_JOB_DOC                                                                       \
  "{\"generation\":1,\"deployments\":{\"app\":{\"type\":\"PodmanV0\",\"data\":{"           \
  "\"services\":[{\"name\":\"web\",\"image\":\"localhost/web:v1\","                        \
  "\"depends_on\":{\"migrate\":{\"condition\":\"service_completed_successfully\"}}},"      \
  "{\"name\":\"migrate\",\"image\":\"localhost/migrate:v1\",\"restart\":\"no\"}]}}}}"

typedef struct
{
  gboolean done;
  gboolean ok;
  FleetPhase phase;
} Applied;

static void
on_applied_any (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Applied *applied = user_data;

  applied->ok = fleet_reconciler_apply_finish (FLEET_RECONCILER (source), result,
                                               &applied->phase, NULL);
  applied->done = TRUE;
}

/* Apply INIT_JOB_DOC and let the job exit with @exit_code once it was
 * started and is being waited for. */
static Applied
apply_init_job (Fixture *f, int exit_code)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (INIT_JOB_DOC);
  Applied applied = { 0, };
  g_autofree char *job = NULL;

  fleet_reconciler_apply_async (f->reconciler, doc, 0, NULL, on_applied_any, &applied);
  while (fleet_test_recorded_id (f->reconciler, "app", "migrate") == NULL)
    g_main_context_iteration (NULL, TRUE);
  job = g_strdup (fleet_test_recorded_id (f->reconciler, "app", "migrate"));
  /* the job runs; its dependant waits */
  fleet_test_sleep_ms (600);
  g_assert_false (applied.done);
  g_assert_cmpuint (count_calls_matching (f->runtime, "create app_web"), ==, 0);
  g_assert_true (fleet_fake_runtime_kill_container (f->runtime, job, exit_code));
  fleet_test_wait (&applied.done);
  return applied;
}

/* An init job runs to completion before the service that waits for it
 * starts, and is not run again by ticks or a restart of the agent. */
static void
test_init_job_before_dependant (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetReconciler) restarted = NULL;
  Applied applied = apply_init_job (f, 0);

  g_assert_true (applied.ok);
  g_assert_cmpint (applied.phase, ==, FLEET_PHASE_RUNNING);
  g_assert_cmpint (call_index (f->runtime, "create app_migrate localhost/migrate:v1"), <,
                   call_index (f->runtime, "create app_web localhost/web:v1"));
  g_assert_true (fleet_state_lookup_service (fleet_reconciler_get_state (f->reconciler), "app",
                                             "migrate")->completed);

  fleet_fake_runtime_clear_calls (f->runtime);
  for (guint i = 0; i < 3; i++)
    g_assert_true (fleet_test_tick (f->reconciler, NULL, NULL));
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (f->runtime), ==, 0);
  g_assert_cmpint (fleet_reconciler_get_phase (f->reconciler), ==, FLEET_PHASE_RUNNING);

  restarted = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
  g_assert_true (fleet_reconciler_load_state (restarted, NULL));
  g_assert_true (fleet_test_apply (restarted, NULL, FLEET_APPLY_FLAGS_RETRY_NOW, NULL, NULL));
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (f->runtime), ==, 0);
  g_assert_cmpint (fleet_reconciler_get_phase (restarted), ==, FLEET_PHASE_RUNNING);
}

/* A job that exits non-zero: the deployment is Failed with why, its
 * dependant is not started, and the retry runs the job again first. */
static void
test_init_job_fails (Fixture *f, gconstpointer data)
{
  Applied applied = apply_init_job (f, 3);
  const FleetDeploymentRecord *app = record (f, "app");
  gint64 deadline;

  g_assert_cmpint (applied.phase, ==, FLEET_PHASE_FAILED);
  g_assert_cmpint (app->phase, ==, FLEET_PHASE_FAILED);
  g_assert_nonnull (strstr (app->last_error, "job migrate exited with code 3"));
  g_assert_cmpuint (count_calls_matching (f->runtime, "create app_web"), ==, 0);

  /* the retry (after 10 ms here) creates the job anew and waits again */
  fleet_fake_runtime_clear_calls (f->runtime);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (count_calls_matching (f->runtime, "create app_migrate") == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  fleet_test_sleep_ms (300);
  g_assert_cmpuint (count_calls_matching (f->runtime, "create app_web"), ==, 0);
  g_assert_true (fleet_fake_runtime_kill_container (
    f->runtime, fleet_test_recorded_id (f->reconciler, "app", "migrate"), 0));
  while (fleet_reconciler_get_phase (f->reconciler) != FLEET_PHASE_RUNNING)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpuint (count_calls_matching (f->runtime, "create app_web"), ==, 1);
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
  ADD ("/reconciler/reload-recreates-nothing", test_reload_recreates_nothing);
  ADD ("/reconciler/reload-after-crash-between-writes", test_reload_after_crash_between_writes);
  ADD ("/reconciler/reload-desired-lost", test_reload_desired_lost);
  ADD ("/reconciler/reload-single-file", test_reload_single_file);
  ADD ("/reconciler/state-writes", test_state_writes);
  g_test_add ("/reconciler/lost-state-adopts-by-label", Fixture,
              GINT_TO_POINTER (LOST_EVERYTHING), fixture_setup, test_lost_state_adopts_by_label,
              fixture_teardown);
  g_test_add ("/reconciler/lost-records-adopts-by-label", Fixture,
              GINT_TO_POINTER (LOST_RECORDS), fixture_setup, test_lost_state_adopts_by_label,
              fixture_teardown);
  g_test_add ("/reconciler/corrupt-records-adopts-by-label", Fixture,
              GINT_TO_POINTER (CORRUPT_RECORDS), fixture_setup, test_lost_state_adopts_by_label,
              fixture_teardown);
  ADD ("/reconciler/lost-state-replaces-older-by-id", test_lost_state_replaces_older_by_id);
  ADD ("/reconciler/orphans", test_orphans);
  ADD ("/reconciler/name-held-by-stranger", test_name_held_by_stranger);
  ADD ("/reconciler/dropped-while-backing-off", test_dropped_while_backing_off);
  ADD ("/reconciler/generation-backwards", test_generation_backwards);
  ADD ("/reconciler/deployments-do-not-wait", test_deployments_do_not_wait);
  ADD ("/reconciler/document-not-persisted", test_document_not_persisted);
  ADD ("/reconciler/records-not-persisted", test_records_not_persisted);
  ADD ("/reconciler/newer-state-refused", test_newer_state_refused);
  ADD ("/reconciler/init-job-before-dependant", test_init_job_before_dependant);
  ADD ("/reconciler/init-job-fails", test_init_job_fails);
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
  ADD ("/reconciler/shutdown-mid-pass", test_shutdown_mid_pass);
  ADD ("/reconciler/shutdown-cancels-pull", test_shutdown_cancels_pull);
#undef ADD

  return g_test_run ();
}
