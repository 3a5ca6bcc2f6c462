/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-service-ops.c: the service operations (fleet-service-ops.c) over the
 * fake runtime, asserted on its call log: the name and labels a service's
 * container gets, the leftover rule, and liveness by the recorded id.  The
 * same operations against real podman are in test-podman.c.
 */
#include "config.h"

#include "fleet-test-runtime.h"
#include "fleet-test-utils.h"
#include "fleet-util-private.h"

#define NO_SUCH_ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

typedef struct
{
  FleetFakeRuntime *fake;
  FleetContainerRuntime *rt;
  FleetDocument *doc;
  FleetServiceSpec *spec;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->fake = fleet_fake_runtime_new ();
  f->rt = FLEET_CONTAINER_RUNTIME (f->fake);
  f->doc = fleet_test_document (
      "{\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":"
      "\"web\",\"image\":\"localhost/hello:v1\"}],\"lifecycle\":{\"stop_signal\":\"SIGINT\","
      "\"grace_period_secs\":7}}}}}");
  f->spec = fleet_document_lookup_service (f->doc, "hello", "web");
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  fleet_document_unref (f->doc);
  g_clear_object (&f->fake);
}

static void
assert_calls (Fixture *f, const char *const *expected)
{
  GPtrArray *calls = fleet_fake_runtime_get_calls (f->fake);
  g_autofree char *log = fleet_fake_runtime_format_calls (f->fake);
  guint n = g_strv_length ((char **)expected);

  if (calls->len != n)
    g_error ("expected %u runtime calls, got %u:\n%s", n, calls->len, log);
  for (guint i = 0; i < n; i++)
    if (!g_str_equal (calls->pdata[i], expected[i]))
      g_error ("call %u: expected \"%s\", got:\n%s", i, expected[i], log);
}

static char *
start_ok (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  char *id = fleet_test_service_start (f->rt, f->spec, &error);

  g_assert_no_error (error);
  g_assert_true (fleet_is_container_id (id));
  return id;
}

static char *
ensure (Fixture *f, const char *id, FleetLivenessAction expected)
{
  g_autoptr(GError) error = NULL;
  FleetLivenessAction action = FLEET_LIVENESS_NONE;
  char *now = fleet_test_service_ensure_running (f->rt, f->spec, id, &action, &error);

  g_assert_no_error (error);
  g_assert_cmpint (action, ==, expected);
  g_assert_cmpint (fleet_fake_runtime_lookup (f->fake, now)->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);
  return now;
}

/* "<deployment>_<service>", the fleet labels, the spec's lifecycle. */
static void
test_start_names_and_labels (Fixture *f, gconstpointer data)
{
  g_autofree char *id = start_ok (f);
  g_autofree char *start = g_strdup_printf ("start %s", id);
  FleetContainerInfo *info = fleet_fake_runtime_lookup (f->fake, id);
  const char *expected[] = { "network-ensure fleet-hello", "create hello_web localhost/hello:v1",
                             start, NULL };

  assert_calls (f, expected);
  g_assert_cmpstr (info->name, ==, "hello_web");
  g_assert_cmpstr (info->deployment, ==, "hello");
  g_assert_cmpstr (info->service, ==, "web");
  g_assert_cmpstr (info->spec_digest, ==, f->spec->digest);
  g_assert_cmpuint (g_hash_table_size (info->labels), ==, 3);
}

/* A labelled leftover holding the name is stopped with its own signal and
 * grace, removed, and the name taken. */
static void
test_start_removes_leftover (Fixture *f, gconstpointer data)
{
  g_autofree char *leftover = fleet_fake_runtime_add_container (
      f->fake, "hello_web", "localhost/hello:v0", "hello", "web", "sha256:00", TRUE);
  g_autofree char *id = start_ok (f);
  g_autofree char *stop = g_strdup_printf ("stop %s SIGTERM 30", leftover);
  g_autofree char *remove = g_strdup_printf ("remove %s", leftover);
  g_autofree char *start = g_strdup_printf ("start %s", id);
  const char *expected[] = { "network-ensure fleet-hello", "create hello_web localhost/hello:v1",
                             "inspect hello_web", stop, remove,
                             "create hello_web localhost/hello:v1", start, NULL };

  assert_calls (f, expected);
  g_assert_null (fleet_fake_runtime_lookup (f->fake, leftover));
}

/* A name held by a container the runtime does not list (podman killed in
 * the middle of a create) is cleared, and the service created: without
 * that, every create of the service failed and it stayed down for good. */
static void
test_start_clears_unlisted_name (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autofree char *start = NULL;

  fleet_fake_runtime_hold_name (f->fake, "hello_web");
  id = start_ok (f);
  start = g_strdup_printf ("start %s", id);
  {
    const char *expected[] = { "network-ensure fleet-hello",
                               "create hello_web localhost/hello:v1",
                               "inspect hello_web",
                               "remove hello_web force",
                               "create hello_web localhost/hello:v1",
                               start,
                               NULL };
    assert_calls (f, expected);
  }
  g_assert_cmpstr (fleet_fake_runtime_lookup (f->fake, "hello_web")->id, ==, id);
}

/* A container fleet does not manage holding the name is never touched. */
static void
test_start_refuses_stranger (Fixture *f, gconstpointer data)
{
  g_autofree char *stranger = fleet_fake_runtime_add_container (
      f->fake, "hello_web", "localhost/other:v1", NULL, NULL, NULL, TRUE);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = fleet_test_service_start (f->rt, f->spec, &error);
  const char *expected[] = { "network-ensure fleet-hello", "create hello_web localhost/hello:v1",
                             "inspect hello_web", NULL };

  g_assert_null (id);
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_START_FAILED);
  g_assert_nonnull (strstr (error->message, "fleet does not manage"));
  assert_calls (f, expected);
  g_assert_cmpint (fleet_fake_runtime_lookup (f->fake, stranger)->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);
}

/* A container that would not start is removed again. */
static void
test_start_failure_removes (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;

  fleet_fake_runtime_set_start_fails (f->fake, "localhost/hello:v1", TRUE);
  id = fleet_test_service_start (f->rt, f->spec, &error);
  g_assert_null (id);
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_START_FAILED);
  g_assert_cmpuint (fleet_fake_runtime_count_containers (f->fake), ==, 0);
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->fake, "remove"), ==, 1);
}

/* By id, with the signal and grace it was created with; gone counts as
 * stopped (after a forced removal, for what podman lost half removed). */
static void
test_stop (Fixture *f, gconstpointer data)
{
  g_autofree char *id = start_ok (f);
  g_autofree char *stop = g_strdup_printf ("stop %s SIGINT 7", id);
  g_autofree char *remove = g_strdup_printf ("remove %s", id);
  g_autoptr(GError) error = NULL;
  const char *expected[] = { stop, remove, "stop " NO_SUCH_ID, "remove " NO_SUCH_ID " force",
                             NULL };

  fleet_fake_runtime_clear_calls (f->fake);
  g_assert_true (fleet_test_service_stop (f->rt, id, &error));
  g_assert_no_error (error);
  g_assert_true (fleet_test_service_stop (f->rt, NO_SUCH_ID, &error));
  g_assert_no_error (error);
  assert_calls (f, expected);
  g_assert_cmpuint (fleet_fake_runtime_count_containers (f->fake), ==, 0);
}

/* A container podman half removed when it was killed refuses a stop
 * ("container state improper"): it is removed by force, or the upgrade that
 * stops it would fail for good (found by test-fault-loop.c).  A runtime that
 * cannot be reached is not forced: that is retried. */
static void
test_stop_half_removed (Fixture *f, gconstpointer data)
{
  g_autofree char *id = start_ok (f);
  g_autofree char *stop = g_strdup_printf ("stop %s SIGINT 7", id);
  g_autofree char *remove = g_strdup_printf ("remove %s force", id);
  g_autoptr(GError) error = NULL;
  const char *expected[] = { stop, remove, NULL };

  g_assert_true (fleet_fake_runtime_half_remove_container (f->fake, id));
  fleet_fake_runtime_clear_calls (f->fake);
  g_assert_true (fleet_test_service_stop (f->rt, id, &error));
  g_assert_no_error (error);
  assert_calls (f, expected);
  g_assert_cmpuint (fleet_fake_runtime_count_containers (f->fake), ==, 0);

  g_free (id);
  id = start_ok (f);
  fleet_fake_runtime_set_unreachable (f->fake, TRUE);
  g_assert_false (fleet_test_service_stop (f->rt, id, &error));
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_RUNTIME_UNAVAILABLE);
  fleet_fake_runtime_set_unreachable (f->fake, FALSE);
  g_assert_nonnull (fleet_fake_runtime_lookup (f->fake, id));
}

/* Running: one look; exited: started by id; paused: let run again;
 * missing: created under the service's name. */
static void
test_liveness (Fixture *f, gconstpointer data)
{
  g_autofree char *id = start_ok (f);
  g_autofree char *same = NULL, *started = NULL, *unpaused = NULL, *created = NULL;

  fleet_fake_runtime_clear_calls (f->fake);
  same = ensure (f, id, FLEET_LIVENESS_NONE);
  g_assert_cmpuint (fleet_fake_runtime_get_calls (f->fake)->len, ==, 1);
  g_assert_true (fleet_fake_runtime_kill_container (f->fake, id, 1));
  started = ensure (f, id, FLEET_LIVENESS_STARTED);
  g_assert_true (fleet_fake_runtime_pause_container (f->fake, id));
  unpaused = ensure (f, id, FLEET_LIVENESS_UNPAUSED);
  g_assert_cmpstr (same, ==, id);
  g_assert_cmpstr (started, ==, id);
  g_assert_cmpstr (unpaused, ==, id);
  g_assert_true (fleet_fake_runtime_remove_container (f->fake, id));
  created = ensure (f, id, FLEET_LIVENESS_CREATED);
  g_assert_cmpstr (created, !=, id);
  g_assert_cmpstr (fleet_fake_runtime_lookup (f->fake, created)->name, ==, "hello_web");
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->fake, "unpause"), ==, 1);
}

/* Issue 9, defect 5: renamed, and a stranger holds the name: the recorded
 * container is started by id; the stranger is not touched. */
static void
test_liveness_by_id (Fixture *f, gconstpointer data)
{
  g_autofree char *id = start_ok (f);
  g_autofree char *stranger = NULL;
  g_autofree char *now = NULL;
  g_autofree char *start = g_strdup_printf ("start %s", id);

  g_assert_true (fleet_fake_runtime_kill_container (f->fake, id, 0));
  g_free (fleet_fake_runtime_lookup (f->fake, id)->name);
  fleet_fake_runtime_lookup (f->fake, id)->name = g_strdup ("hello_web_renamed");
  stranger = fleet_fake_runtime_add_container (f->fake, "hello_web", "localhost/other:v1", NULL,
                                               NULL, NULL, FALSE);
  fleet_fake_runtime_clear_calls (f->fake);

  now = ensure (f, id, FLEET_LIVENESS_STARTED);
  g_assert_cmpstr (now, ==, id);
  g_assert_cmpstr ((const char *)fleet_fake_runtime_get_calls (f->fake)->pdata[1], ==, start);
  g_assert_cmpint (fleet_fake_runtime_lookup (f->fake, stranger)->state, ==,
                   FLEET_CONTAINER_STATE_EXITED);
}

/* Issue 9, defect 3: a container every start of which fails (as one left
 * "created" by a runtime that died while starting it) is removed and
 * created anew, not retried for ever. */
static void
test_liveness_replaces_unstartable (Fixture *f, gconstpointer data)
{
  g_autofree char *stuck = fleet_fake_runtime_add_container (
      f->fake, "hello_web", "localhost/hello:stuck", "hello", "web", f->spec->digest, FALSE);
  g_autofree char *inspect = g_strdup_printf ("inspect %s", stuck);
  g_autofree char *start = g_strdup_printf ("start %s", stuck);
  g_autofree char *remove = g_strdup_printf ("remove %s force", stuck);
  g_autofree char *now = NULL;
  g_autofree char *start_new = NULL;

  fleet_fake_runtime_lookup (f->fake, stuck)->state = FLEET_CONTAINER_STATE_CREATED;
  fleet_fake_runtime_set_start_fails (f->fake, "localhost/hello:stuck", TRUE);
  now = ensure (f, stuck, FLEET_LIVENESS_RECREATED);
  start_new = g_strdup_printf ("start %s", now);
  {
    const char *expected[] = { inspect, start, remove, "network-ensure fleet-hello",
                               "create hello_web localhost/hello:v1", start_new, NULL };
    assert_calls (f, expected);
  }
  g_assert_null (fleet_fake_runtime_lookup (f->fake, stuck));
}

/* A container in a passing state (podman's "stopping"...) that cannot be
 * started now is not replaced: the error is reported, it is tried again. */
static void
test_liveness_keeps_passing_state (Fixture *f, gconstpointer data)
{
  g_autofree char *id = fleet_fake_runtime_add_container (
      f->fake, "hello_web", "localhost/hello:v1", "hello", "web", f->spec->digest, TRUE);
  g_autofree char *now = NULL;
  g_autoptr(GError) error = NULL;

  fleet_fake_runtime_lookup (f->fake, id)->state = FLEET_CONTAINER_STATE_UNKNOWN;
  fleet_fake_runtime_set_start_fails (f->fake, "localhost/hello:v1", TRUE);
  now = fleet_test_service_ensure_running (f->rt, f->spec, id, NULL, &error);
  g_assert_null (now);
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_START_FAILED);
  g_assert_nonnull (fleet_fake_runtime_lookup (f->fake, id));
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->fake, "remove"), ==, 0);
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/service-ops/start/names-and-labels", test_start_names_and_labels);
  ADD ("/service-ops/start/removes-leftover", test_start_removes_leftover);
  ADD ("/service-ops/start/clears-unlisted-name", test_start_clears_unlisted_name);
  ADD ("/service-ops/start/refuses-stranger", test_start_refuses_stranger);
  ADD ("/service-ops/start/failure-removes", test_start_failure_removes);
  ADD ("/service-ops/stop", test_stop);
  ADD ("/service-ops/stop/half-removed", test_stop_half_removed);
  ADD ("/service-ops/liveness/states", test_liveness);
  ADD ("/service-ops/liveness/by-id", test_liveness_by_id);
  ADD ("/service-ops/liveness/replaces-unstartable", test_liveness_replaces_unstartable);
  ADD ("/service-ops/liveness/keeps-passing-state", test_liveness_keeps_passing_state);
#undef ADD
  return g_test_run ();
}
