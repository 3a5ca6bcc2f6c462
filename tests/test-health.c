/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-health.c: health checks with the fake runtime: a deployment is
 * Running only once its checked services are healthy, an unhealthy
 * container is restarted (or only reported), a check that hangs is cut at
 * its timeout, and the status document tells the health.
 */
#include "config.h"

#include "fleet-test-utils.h"

#define SVC(body)                                                                          \
  "{\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[" body "]}}}}"
#define CHECKED(check)                                                                     \
  SVC ("{\"name\":\"web\",\"image\":\"img:v1\",\"healthcheck\":{\"test\":[\"CMD\",\"true\"]," \
       "\"interval\":\"1s\",\"retries\":2" check "}}")

typedef struct
{
  FleetFakeRuntime *runtime;
  FleetReconciler *reconciler;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->runtime = fleet_fake_runtime_new ();
  f->reconciler = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), NULL);
  fleet_reconciler_watch_runtime_events (f->reconciler);
  fleet_reconciler_set_retry_backoff (f->reconciler, 100, 100);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->reconciler);
  g_clear_object (&f->runtime);
  /* let the checks cancelled with the reconciler complete */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static FleetPhase
phase_of (Fixture *f)
{
  return fleet_state_lookup_deployment (fleet_reconciler_get_state (f->reconciler), "hello")->phase;
}

static const char *
last_error_of (Fixture *f)
{
  return fleet_state_lookup_deployment (fleet_reconciler_get_state (f->reconciler), "hello")
    ->last_error;
}

static gboolean
on_deadline (gpointer user_data)
{
  g_error ("%s did not happen within 30 s", (const char *) user_data);
  return G_SOURCE_REMOVE;
}

/* Run the main context until @done (@f) holds. */
static void
wait_until (Fixture *f, gboolean (*done) (Fixture *f), const char *what)
{
  guint deadline = g_timeout_add_seconds (30, on_deadline, (gpointer) what);

  while (!done (f))
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (deadline);
}

static gboolean
is_running (Fixture *f)
{
  return phase_of (f) == FLEET_PHASE_RUNNING;
}

static gboolean
is_failed (Fixture *f)
{
  return phase_of (f) == FLEET_PHASE_FAILED;
}

static gboolean
was_restarted (Fixture *f)
{
  return fleet_fake_runtime_count_calls (f->runtime, "start") >= 2;
}

static const char *
health_of (Fixture *f, const char **out_output)
{
  return fleet_reconciler_get_service_health (f->reconciler, "hello", "web", out_output);
}

/* A service without a check is Running once started, as always. */
static void
test_no_check (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (SVC ("{\"name\":\"web\",\"image\":\"i\"}"));

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, doc), ==, FLEET_PHASE_RUNNING);
  g_assert_null (health_of (f, NULL));
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "healthcheck"), ==, 0);
}

/* Started is not enough: Running waits for the first check that passes. */
static void
test_running_once_healthy (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (CHECKED (""));
  g_autoptr(JsonNode) status = NULL;
  JsonObject *web;
  const char *output = NULL;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, doc), ==, FLEET_PHASE_PENDING);
  g_assert_cmpstr (health_of (f, NULL), ==, "starting");
  wait_until (f, is_running, "Running");
  g_assert_cmpstr (health_of (f, &output), ==, "healthy");
  g_assert_cmpstr (output, ==, "ok");
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "healthcheck"), >=, 1);

  status = fleet_status_build (f->reconciler, "dev", NULL);
  web = json_object_get_object_member (
    json_object_get_object_member (
      json_object_get_object_member (
        json_object_get_object_member (json_node_get_object (status), "deployments"), "hello"),
      "services"),
    "web");
  g_assert_cmpstr (json_object_get_string_member (web, "health"), ==, "healthy");
  g_assert_cmpstr (json_object_get_string_member (web, "health_output"), ==, "ok");
}

/* `retries` failures in a row: Failed with the output, and restarted. */
static void
test_unhealthy_restarted (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (CHECKED (""));
  g_autofree char *id = NULL;
  g_autofree char *stop = NULL;
  g_autofree char *calls = NULL;

  fleet_fake_runtime_set_unhealthy (f->runtime, "img:v1", "no serial port");
  fleet_test_apply_ok (f->reconciler, doc);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  wait_until (f, is_failed, "Failed");
  g_assert_cmpstr (last_error_of (f), ==, "web: unhealthy: no serial port");
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "healthcheck"), >=, 2);
  wait_until (f, was_restarted, "the restart");
  /* stopped gracefully, by id, then started again: the same container */
  stop = g_strdup_printf ("stop %s SIGTERM 30", id);
  calls = fleet_fake_runtime_format_calls (f->runtime);
  g_assert_nonnull (strstr (calls, stop));
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "hello", "web"), ==, id);

  /* healthy again: Running */
  fleet_fake_runtime_set_unhealthy (f->runtime, "img:v1", NULL);
  wait_until (f, is_running, "Running after the restart");
}

static gboolean
is_being_stopped (Fixture *f)
{
  return fleet_fake_runtime_count_calls (f->runtime, "stop") >= 1;
}

/* While the unhealthy container is being stopped (its grace running), its
 * exit is not taken for a crash: nothing starts it before the stop is
 * over (podman would refuse: "container state improper"). */
static void
test_unhealthy_stop_not_raced (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (
    "{\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{\"services\":["
    "{\"name\":\"web\",\"image\":\"img:v1\",\"healthcheck\":{\"test\":[\"CMD\",\"true\"],"
    "\"interval\":\"1s\",\"retries\":2}}],\"lifecycle\":{\"grace_period_secs\":3}}}}}");
  g_autofree char *id = NULL;

  fleet_fake_runtime_set_ignores_stop_signal (f->runtime, "img:v1", TRUE);
  fleet_fake_runtime_set_unhealthy (f->runtime, "img:v1", "no serial port");
  fleet_test_apply_ok (f->reconciler, doc);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  wait_until (f, is_being_stopped, "the stop");
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "stop"), ==, 1);
  /* the workload exits in the middle of its grace */
  fleet_fake_runtime_kill_container (f->runtime, id, 143);
  fleet_test_sleep_ms (1000);
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "start"), ==, 1);
  /* once the stop is over, started again: the same container */
  wait_until (f, was_restarted, "the restart");
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "hello", "web"), ==, id);
}

/* on_unhealthy "none": reported, never stopped. */
static void
test_unhealthy_reported_only (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (CHECKED (",\"on_unhealthy\":\"none\""));

  fleet_test_apply_ok (f->reconciler, doc);
  wait_until (f, is_running, "Running");
  fleet_fake_runtime_set_unhealthy (f->runtime, "img:v1", "HTTP 500");
  wait_until (f, is_failed, "Failed");
  g_assert_cmpstr (health_of (f, NULL), ==, "unhealthy");
  g_assert_cmpstr (last_error_of (f), ==, "web: unhealthy: HTTP 500");
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "stop"), ==, 0);
  fleet_fake_runtime_set_unhealthy (f->runtime, "img:v1", NULL);
  wait_until (f, is_running, "Running again");
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "start"), ==, 1);
}

/* A check that never answers is cut at its timeout, and counts as failed. */
static void
test_hanging_check_cut (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (
    CHECKED (",\"timeout\":\"200ms\",\"on_unhealthy\":\"none\""));
  const char *output = NULL;

  fleet_fake_runtime_set_health_hangs (f->runtime, "img:v1", TRUE);
  fleet_test_apply_ok (f->reconciler, doc);
  wait_until (f, is_failed, "Failed");
  g_assert_cmpstr (health_of (f, &output), ==, "unhealthy");
  g_assert_cmpstr (output, ==, "the check did not finish within 200 ms");
}

/* Failures within start_period do not count; a pass still makes it healthy. */
static void
test_start_period (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (
    CHECKED (",\"start_period\":\"1h\",\"on_unhealthy\":\"none\""));

  fleet_fake_runtime_set_unhealthy (f->runtime, "img:v1", "not yet");
  fleet_test_apply_ok (f->reconciler, doc);
  while (fleet_fake_runtime_count_calls (f->runtime, "healthcheck") < 3)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (health_of (f, NULL), ==, "starting");
  g_assert_cmpint (phase_of (f), ==, FLEET_PHASE_PENDING);
  fleet_fake_runtime_set_unhealthy (f->runtime, "img:v1", NULL);
  wait_until (f, is_running, "Running");
}

/* A job with a check that ran to completion is done, not unhealthy. */
static void
test_completed_job (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (
    SVC ("{\"name\":\"job\",\"image\":\"job:1\",\"restart\":\"no\",\"healthcheck\":"
         "{\"tcp\":{\"port\":80},\"interval\":\"1s\"}}"));

  fleet_fake_runtime_set_exit_code (f->runtime, "job:1", 0);
  fleet_test_apply_ok (f->reconciler, doc);
  fleet_test_tick (f->reconciler, NULL, NULL);
  wait_until (f, is_running, "Running");
  g_assert_null (fleet_reconciler_get_service_health (f->reconciler, "hello", "job", NULL));
}

/* update_config.monitor: Running only once healthy for that long. */
static void
test_monitor_period (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (
    SVC ("{\"name\":\"web\",\"image\":\"img:v1\",\"healthcheck\":{\"tcp\":{\"port\":80},"
         "\"interval\":\"1s\"},\"update_config\":{\"monitor\":\"3s\"}}"));

  fleet_test_apply_ok (f->reconciler, doc);
  while (g_strcmp0 (health_of (f, NULL), "healthy") != 0)
    g_main_context_iteration (NULL, TRUE);
  /* healthy, but not for 3 s yet */
  g_assert_cmpint (phase_of (f), ==, FLEET_PHASE_PENDING);
  wait_until (f, is_running, "Running after the monitor period");
}

#define MONITORED SVC ("{\"name\":\"web\",\"image\":\"img:v1\",\"update_config\":{\"monitor\":\"3s\"}}")

/* update_config.monitor without a check: Running once the container has
 * run that long. */
static void
test_monitor_without_check (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (MONITORED);

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, doc), ==, FLEET_PHASE_PENDING);
  g_assert_null (health_of (f, NULL));
  wait_until (f, is_running, "Running after the monitor period");
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "start"), ==, 1);
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "healthcheck"), ==, 0);
}

/* A crash within the window fails the rollout; the container is started
 * again under the backoff, and must then run for the whole window. */
static void
test_monitor_crash_in_window (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (MONITORED);
  g_autofree char *id = NULL;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, doc), ==, FLEET_PHASE_PENDING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  g_assert_true (fleet_fake_runtime_kill_container (f->runtime, id, 1));
  wait_until (f, is_failed, "Failed");
  wait_until (f, was_restarted, "the restart");
  /* started again just now: not yet up for 3 s */
  g_assert_cmpint (phase_of (f), ==, FLEET_PHASE_FAILED);
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "hello", "web"), ==, id);
  wait_until (f, is_running, "Running after the monitor period");
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "start"), ==, 2);
}

#define WAITS_FOR_DB(check)                                                                \
  SVC ("{\"name\":\"web\",\"image\":\"web:1\",\"depends_on\":{\"db\":{\"condition\":"          \
       "\"service_healthy\"}}},{\"name\":\"db\",\"image\":\"db:1\",\"healthcheck\":{\"tcp\":"     \
       "{\"port\":5432},\"interval\":\"1s\",\"retries\":2" check "}}")

/* depends_on service_healthy: web starts only once db's check passes. */
static void
test_depends_on_healthy (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (WAITS_FOR_DB (",\"start_period\":\"1h\""));

  fleet_fake_runtime_set_unhealthy (f->runtime, "db:1", "connection refused");
  fleet_reconciler_apply_async (f->reconciler, doc, FLEET_APPLY_FLAGS_NONE, NULL, NULL, NULL);
  while (fleet_fake_runtime_count_calls (f->runtime, "healthcheck") < 2)
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (fleet_fake_runtime_lookup (f->runtime, "hello_web"));
  fleet_fake_runtime_set_unhealthy (f->runtime, "db:1", NULL);
  wait_until (f, is_running, "Running");
  g_assert_nonnull (fleet_fake_runtime_lookup (f->runtime, "hello_web"));
}

/* One that never becomes healthy: Failed, and web is not started. */
static void
test_depends_on_never_healthy (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (
    WAITS_FOR_DB (",\"on_unhealthy\":\"none\""));

  fleet_reconciler_set_retry_backoff (f->reconciler, 600000, 600000);
  fleet_fake_runtime_set_unhealthy (f->runtime, "db:1", "connection refused");
  fleet_test_apply_ok (f->reconciler, doc);
  wait_until (f, is_failed, "Failed");
  g_assert_cmpstr (last_error_of (f), ==, "db did not become healthy: connection refused; the "
                                          "services waiting for it were not started");
  g_assert_null (fleet_fake_runtime_lookup (f->runtime, "hello_web"));
}

/* A check that hangs holds up neither the main loop nor the other
 * services' checks: b is found healthy while a's first check is still
 * waiting for its 30 s timeout. */
static void
test_hanging_check_blocks_nothing (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (SVC (
    "{\"name\":\"a\",\"image\":\"a:1\",\"healthcheck\":{\"tcp\":{\"port\":1},"
    "\"interval\":\"1s\",\"timeout\":\"30s\"}},"
    "{\"name\":\"b\",\"image\":\"b:1\",\"healthcheck\":{\"tcp\":{\"port\":1},"
    "\"interval\":\"1s\"}}"));

  fleet_fake_runtime_set_health_hangs (f->runtime, "a:1", TRUE);
  fleet_test_apply_ok (f->reconciler, doc);
  while (g_strcmp0 (fleet_reconciler_get_service_health (f->reconciler, "hello", "b", NULL),
                    "healthy") != 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (fleet_reconciler_get_service_health (f->reconciler, "hello", "a", NULL), ==,
                   "starting");
  g_assert_cmpint (phase_of (f), ==, FLEET_PHASE_PENDING);
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/health/no-check", test_no_check);
  ADD ("/health/running-once-healthy", test_running_once_healthy);
  ADD ("/health/unhealthy-restarted", test_unhealthy_restarted);
  ADD ("/health/unhealthy-stop-not-raced", test_unhealthy_stop_not_raced);
  ADD ("/health/unhealthy-reported-only", test_unhealthy_reported_only);
  ADD ("/health/hanging-check-cut", test_hanging_check_cut);
  ADD ("/health/hanging-check-blocks-nothing", test_hanging_check_blocks_nothing);
  ADD ("/health/start-period", test_start_period);
  ADD ("/health/completed-job", test_completed_job);
  ADD ("/health/monitor-period", test_monitor_period);
  ADD ("/health/monitor-without-check", test_monitor_without_check);
  ADD ("/health/monitor-crash-in-window", test_monitor_crash_in_window);
  ADD ("/health/depends-on-healthy", test_depends_on_healthy);
  ADD ("/health/depends-on-never-healthy", test_depends_on_never_healthy);
#undef ADD

  return g_test_run ();
}
