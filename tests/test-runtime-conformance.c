/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-runtime-conformance.c: one suite, every case run against every
 * FleetContainerRuntime: /runtime/fake/<case> and /runtime/podman/<case>
 * (a private `podman system service`, see fleet-podman-harness.c; skipped
 * without podman or root unless FLEET_REQUIRE_PODMAN=1).
 *
 * A case asserts what a caller can observe through the runtime: ids, states,
 * exit codes (the test images exit with 128 + the signal they got, so the
 * code names the signal delivered), the grace waited before SIGKILL, the
 * FLEET_ERROR codes of refusals, what list and inspect report, and the died
 * events.  The fake models podman; whatever it gets wrong fails here.  The
 * backends differ only in how they do things behind the runtime's back
 * (pause, crash) and in what images mean to the fake.
 */
#include "config.h"

#include <signal.h>

#include "fleet-conformance.h"
#include "fleet-podman-harness.h"
#include "fleet-test-runtime.h"
#include "fleet-test-utils.h"
#include "fleet-util-private.h"

/* pull */

static void
test_pull_local (ConfFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (fleet_test_runtime_pull (f->rt, "localhost/fleet-test:signals", &error));
  g_assert_no_error (error);
}

static void
test_pull_missing (ConfFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (fleet_test_runtime_pull (f->rt, "localhost/fleet-test:missing", &error));
  conf_assert_error (error, FLEET_ERROR_PULL_FAILED);
  g_assert_nonnull (strstr (error->message, "localhost/fleet-test:missing"));
}

/* create and inspect */

static void
test_create_reports (ConfFixture *f, gconstpointer data)
{
  FleetServiceSpec *spec = conf_spec (f, "signals", "SIGTERM", 10);
  g_autofree char *id = conf_create (f, "conf_svc", spec, "conf");
  g_autoptr(FleetContainerInfo) info = NULL;
  g_autoptr(FleetContainerInfo) by_name = NULL;

  info = conf_inspect (f, id);
  g_assert_cmpstr (info->id, ==, id);
  g_assert_cmpstr (info->name, ==, "conf_svc");
  g_assert_cmpstr (info->image, ==, "localhost/fleet-test:signals");
  g_assert_cmpint (info->state, ==, FLEET_CONTAINER_STATE_CREATED);
  g_assert_cmpstr (info->deployment, ==, "conf");
  g_assert_cmpstr (info->service, ==, "svc");
  g_assert_cmpstr (info->spec_digest, ==, spec->digest);
  g_assert_cmpstr (fleet_container_info_get_label (info, "conformance"), ==, "yes");
  g_assert_cmpuint (g_hash_table_size (info->labels), ==, 4);
  /* and by its name */
  by_name = conf_inspect (f, "conf_svc");
  g_assert_cmpstr (by_name->id, ==, id);
}

static void
test_create_name_taken (ConfFixture *f, gconstpointer data)
{
  FleetServiceSpec *spec = conf_spec (f, "signals", "SIGTERM", 10);
  g_autofree char *id = conf_create (f, "conf_svc", spec, "conf");
  g_autoptr(GHashTable) labels = conf_labels ("conf", spec);
  g_autoptr(GError) error = NULL;
  g_autofree char *again = fleet_test_runtime_create (f->rt, "conf_svc", spec, labels, &error);
  g_autoptr(GPtrArray) all = NULL;

  g_assert_null (again);
  conf_assert_error (error, FLEET_ERROR_EXISTS);
  all = conf_list (f, NULL);
  g_assert_cmpuint (all->len, ==, 1);
  g_assert_cmpint (conf_state (f, id), ==, FLEET_CONTAINER_STATE_CREATED);
}

/* A name held by a container the runtime does not list (podman killed in
 * the middle of a create leaves one in its storage): create reports it
 * taken, inspect does not find it, and removing the name clears it. */
static void
test_create_name_held_unlisted (ConfFixture *f, gconstpointer data)
{
  FleetServiceSpec *spec = conf_spec (f, "signals", "SIGTERM", 10);
  g_autoptr(GHashTable) labels = conf_labels ("conf", spec);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autoptr(FleetContainerInfo) info = NULL;
  g_autoptr(GPtrArray) all = NULL;

  if (!f->backend->hold_name (f, "conf_svc", spec->image))
    return;
  id = fleet_test_runtime_create (f->rt, "conf_svc", spec, labels, &error);
  g_assert_null (id);
  conf_assert_error (error, FLEET_ERROR_EXISTS);
  g_clear_error (&error);
  info = fleet_test_runtime_inspect (f->rt, "conf_svc", &error);
  g_assert_null (info);
  conf_assert_error (error, FLEET_ERROR_NOT_FOUND);
  g_clear_error (&error);
  all = conf_list (f, NULL);
  g_assert_cmpuint (all->len, ==, 0);

  g_assert_true (fleet_test_runtime_remove (f->rt, "conf_svc", TRUE, &error));
  g_assert_no_error (error);
  g_free (conf_create (f, "conf_svc", spec, "conf"));
}

static void
test_create_missing_image (ConfFixture *f, gconstpointer data)
{
  FleetServiceSpec *spec = conf_spec (f, "missing", "SIGTERM", 10);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = fleet_test_runtime_create (f->rt, "conf_svc", spec, NULL, &error);
  g_autoptr(GPtrArray) all = NULL;

  g_assert_null (id);
  conf_assert_error (error, FLEET_ERROR_START_FAILED);
  all = conf_list (f, NULL);
  g_assert_cmpuint (all->len, ==, 0);
}

static void
test_inspect_missing (ConfFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetContainerInfo) info = NULL;

  info = fleet_test_runtime_inspect (f->rt, CONF_NO_SUCH_ID, &error);
  g_assert_null (info);
  conf_assert_error (error, FLEET_ERROR_NOT_FOUND);
}

/* start */

static void
test_start_runs (ConfFixture *f, gconstpointer data)
{
  g_autofree char *id = conf_run (f, "conf_svc", conf_spec (f, "signals", "SIGTERM", 10), "conf");
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (conf_state (f, id), ==, FLEET_CONTAINER_STATE_RUNNING);
  /* a running container is left as it is */
  g_assert_true (fleet_test_runtime_start (f->rt, id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (conf_state (f, id), ==, FLEET_CONTAINER_STATE_RUNNING);
}

static void
test_start_missing (ConfFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (fleet_test_runtime_start (f->rt, CONF_NO_SUCH_ID, &error));
  conf_assert_error (error, FLEET_ERROR_NOT_FOUND);
}

/* A container whose command cannot run stays "created", and every start
 * fails the same way (what issue 9's podman crash mid-start leaves). */
static void
test_start_cannot_run (ConfFixture *f, gconstpointer data)
{
  g_autofree char *id = conf_create (f, "conf_svc", conf_spec (f, "broken", "SIGTERM", 10), "conf");

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (fleet_test_runtime_start (f->rt, id, &error));
      conf_assert_error (error, FLEET_ERROR_START_FAILED);
      g_assert_cmpint (conf_state (f, id), ==, FLEET_CONTAINER_STATE_CREATED);
    }
}

static void
test_start_exited_again (ConfFixture *f, gconstpointer data)
{
  g_autofree char *id = conf_run (f, "conf_svc", conf_spec (f, "signals", "SIGTERM", 10), "conf");
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetContainerInfo) info = NULL;

  conf_stop_ok (f, id, 0, -1);
  g_assert_cmpint (conf_exit_code (f, id), ==, 128 + SIGTERM);
  g_assert_true (fleet_test_runtime_start (f->rt, id, &error));
  g_assert_no_error (error);
  info = conf_inspect (f, id);
  g_assert_cmpstr (info->id, ==, id);
  g_assert_cmpint (info->state, ==, FLEET_CONTAINER_STATE_RUNNING);
}

static void
test_start_paused_refused (ConfFixture *f, gconstpointer data)
{
  g_autofree char *id = conf_run (f, "conf_svc", conf_spec (f, "signals", "SIGTERM", 10), "conf");
  g_autoptr(GError) error = NULL;

  f->backend->pause (f, id);
  g_assert_false (fleet_test_runtime_start (f->rt, id, &error));
  conf_assert_error (error, FLEET_ERROR_START_FAILED);
  g_assert_cmpint (conf_state (f, id), ==, FLEET_CONTAINER_STATE_PAUSED);
}

/* stop */

/* The container's own signal reaches it: it exits with 128 + SIGINT. */
static void
test_stop_own_signal (ConfFixture *f, gconstpointer data)
{
  g_autofree char *id = conf_run (f, "conf_svc", conf_spec (f, "signals", "SIGINT", 30), "conf");

  conf_stop_ok (f, id, 0, -1);
  g_assert_cmpint (conf_exit_code (f, id), ==, 128 + SIGINT);
}

static void
test_stop_given_signal (ConfFixture *f, gconstpointer data)
{
  /* without a restart policy: exactly the given signal reaches it (with
   * one, the stop ends with podman's own, see stop/policy-stays-stopped) */
  g_autofree char *id
      = conf_run (f, "conf_svc", conf_spec_restart (f, "signals", "SIGTERM", 30, "no"), "conf");

  conf_stop_ok (f, id, SIGHUP, 30);
  g_assert_cmpint (conf_exit_code (f, id), ==, 128 + SIGHUP);
}

/* A container that ignores its signal is killed once its own grace is
 * over, not before. */
static void
test_stop_kill_after_own_grace (ConfFixture *f, gconstpointer data)
{
  g_autofree char *id = conf_run (f, "conf_svc", conf_spec (f, "ignore-term", "SIGTERM", 2), "conf");
  gint64 start = g_get_monotonic_time ();

  conf_stop_ok (f, id, 0, -1);
  g_test_message ("stopping with a grace of 2 s took %.2f s",
                  (g_get_monotonic_time () - start) / 1e6);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 1800 * 1000);
  g_assert_cmpint (conf_exit_code (f, id), ==, 128 + SIGKILL);
}

/* The grace given overrides the container's own (30 s here). */
static void
test_stop_kill_after_given_grace (ConfFixture *f, gconstpointer data)
{
  g_autofree char *id = conf_run (f, "conf_svc", conf_spec (f, "ignore-term", "SIGTERM", 30), "conf");
  gint64 start = g_get_monotonic_time ();

  conf_stop_ok (f, id, SIGINT, 1);
  g_test_message ("stopping with a grace of 1 s took %.2f s",
                  (g_get_monotonic_time () - start) / 1e6);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 800 * 1000);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 20 * G_USEC_PER_SEC);
  g_assert_cmpint (conf_exit_code (f, id), ==, 128 + SIGKILL);
}

static void
test_stop_grace_zero_kills (ConfFixture *f, gconstpointer data)
{
  g_autofree char *id = conf_run (f, "conf_svc", conf_spec (f, "signals", "SIGTERM", 30), "conf");

  conf_stop_ok (f, id, 0, 0);
  g_assert_cmpint (conf_exit_code (f, id), ==, 128 + SIGKILL);
}

static void
test_stop_not_running (ConfFixture *f, gconstpointer data)
{
  FleetServiceSpec *spec = conf_spec_restart (f, "signals", "SIGTERM", 10, "no");
  g_autofree char *created = conf_create (f, "conf_created", spec, "conf");
  g_autofree char *exited = conf_run (f, "conf_exited", spec, "conf");

  conf_stop_ok (f, exited, SIGINT, 10);
  conf_stop_ok (f, created, 0, -1);
  g_assert_cmpint (conf_state (f, created), ==, FLEET_CONTAINER_STATE_CREATED);
  /* the second stop changes nothing: still the first one's exit code */
  conf_stop_ok (f, exited, SIGHUP, 10);
  g_assert_cmpint (conf_exit_code (f, exited), ==, 128 + SIGINT);
}

static void
test_stop_paused (ConfFixture *f, gconstpointer data)
{
  g_autofree char *id = conf_run (f, "conf_svc", conf_spec (f, "signals", "SIGTERM", 30), "conf");

  f->backend->pause (f, id);
  g_assert_cmpint (conf_state (f, id), ==, FLEET_CONTAINER_STATE_PAUSED);
  conf_stop_ok (f, id, 0, -1);
  g_assert_cmpint (conf_exit_code (f, id), ==, 128 + SIGTERM);
}

static void
test_stop_missing (ConfFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (fleet_test_runtime_stop (f->rt, CONF_NO_SUCH_ID, 0, -1, &error));
  conf_assert_error (error, FLEET_ERROR_NOT_FOUND);
}

/* remove */

static void
test_remove_running_refused (ConfFixture *f, gconstpointer data)
{
  FleetServiceSpec *spec = conf_spec (f, "signals", "SIGTERM", 30);
  g_autofree char *running = conf_run (f, "conf_running", spec, "conf");
  g_autofree char *paused = conf_run (f, "conf_paused", spec, "conf");

  f->backend->pause (f, paused);
  for (guint i = 0; i < 2; i++)
    {
      const char *id = i == 0 ? running : paused;
      FleetContainerState state = conf_state (f, id);
      g_autoptr(GError) error = NULL;

      g_assert_false (fleet_test_runtime_remove (f->rt, id, FALSE, &error));
      conf_assert_error (error, FLEET_ERROR_RUNTIME);
      g_clear_error (&error);
      g_assert_cmpint (conf_state (f, id), ==, state);
      g_assert_true (fleet_test_runtime_remove (f->rt, id, TRUE, &error));
      g_assert_no_error (error);
      g_assert_cmpint (conf_state (f, id), ==, FLEET_CONTAINER_STATE_UNKNOWN);
    }
}

/* Removed, its name is free again. */
static void
test_remove_exited (ConfFixture *f, gconstpointer data)
{
  FleetServiceSpec *spec = conf_spec (f, "signals", "SIGTERM", 30);
  g_autofree char *id = conf_run (f, "conf_svc", spec, "conf");
  g_autofree char *again = NULL;
  g_autoptr(GError) error = NULL;

  conf_stop_ok (f, id, 0, -1);
  g_assert_true (fleet_test_runtime_remove (f->rt, id, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpint (conf_state (f, id), ==, FLEET_CONTAINER_STATE_UNKNOWN);
  again = conf_create (f, "conf_svc", spec, "conf");
  g_assert_cmpstr (again, !=, id);
}

static void
test_remove_missing (ConfFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (fleet_test_runtime_remove (f->rt, CONF_NO_SUCH_ID, TRUE, &error));
  conf_assert_error (error, FLEET_ERROR_NOT_FOUND);
}

/* list */

static void
test_list_by_label (ConfFixture *f, gconstpointer data)
{
  FleetServiceSpec *spec = conf_spec (f, "signals", "SIGTERM", 30);
  g_autofree char *a = conf_run (f, "a_svc", spec, "a");
  g_autofree char *b = conf_create (f, "b_svc", spec, "b");
  g_autofree char *c = conf_create (f, "c_svc", spec, NULL);
  g_autoptr(GPtrArray) fleet = conf_list (f, FLEET_LABEL_DEPLOYMENT);
  g_autoptr(GPtrArray) only_b = conf_list (f, FLEET_LABEL_DEPLOYMENT "=b");
  g_autoptr(GPtrArray) all = conf_list (f, NULL);
  g_autoptr(GPtrArray) none = conf_list (f, "no.such.label");
  FleetContainerInfo *info;

  g_assert_cmpuint (fleet->len, ==, 2);
  info = conf_find (fleet, a);
  g_assert_nonnull (info);
  g_assert_cmpstr (info->name, ==, "a_svc");
  g_assert_cmpstr (info->image, ==, "localhost/fleet-test:signals");
  g_assert_cmpstr (info->deployment, ==, "a");
  g_assert_cmpstr (info->service, ==, "svc");
  g_assert_cmpstr (info->spec_digest, ==, spec->digest);
  g_assert_cmpstr (fleet_container_info_get_label (info, "conformance"), ==, "yes");
  g_assert_cmpint (info->state, ==, FLEET_CONTAINER_STATE_RUNNING);
  g_assert_cmpint (conf_find (fleet, b)->state, ==, FLEET_CONTAINER_STATE_CREATED);
  g_assert_null (conf_find (fleet, c));
  g_assert_cmpuint (only_b->len, ==, 1);
  g_assert_nonnull (conf_find (only_b, b));
  g_assert_cmpuint (all->len, ==, 3);
  g_assert_null (conf_find (all, c)->deployment);
  g_assert_cmpuint (none->len, ==, 0);
}

static void
test_list_exit_code (ConfFixture *f, gconstpointer data)
{
  g_autofree char *id
      = conf_run (f, "conf_svc", conf_spec_restart (f, "signals", "SIGTERM", 30, "no"), "conf");
  g_autoptr(GPtrArray) containers = NULL;

  conf_stop_ok (f, id, SIGUSR1, 30);
  containers = conf_list (f, FLEET_LABEL_DEPLOYMENT);
  g_assert_cmpuint (containers->len, ==, 1);
  g_assert_cmpint (conf_find (containers, id)->state, ==, FLEET_CONTAINER_STATE_EXITED);
  g_assert_cmpint (conf_find (containers, id)->exit_code, ==, 128 + SIGUSR1);
}

/* rename */

static void
test_rename (ConfFixture *f, gconstpointer data)
{
  FleetServiceSpec *spec = conf_spec (f, "signals", "SIGTERM", 30);
  g_autofree char *id = conf_run (f, "conf_svc", spec, "conf");
  g_autofree char *other = conf_create (f, "conf_other", spec, "conf");
  g_autofree char *beside = NULL;
  g_autoptr(FleetContainerInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (fleet_test_runtime_rename (f->rt, id, "conf_svc_old", &error));
  g_assert_no_error (error);
  info = conf_inspect (f, id);
  g_assert_cmpstr (info->name, ==, "conf_svc_old");
  g_assert_cmpint (info->state, ==, FLEET_CONTAINER_STATE_RUNNING);
  /* the old name is free */
  g_assert_cmpint (conf_state (f, "conf_svc"), ==, FLEET_CONTAINER_STATE_UNKNOWN);
  beside = conf_create (f, "conf_svc", spec, "conf");
  /* a taken name is refused, a missing container is not found */
  g_assert_false (fleet_test_runtime_rename (f->rt, other, "conf_svc", &error));
  conf_assert_error (error, FLEET_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_false (fleet_test_runtime_rename (f->rt, CONF_NO_SUCH_ID, "conf_new", &error));
  conf_assert_error (error, FLEET_ERROR_NOT_FOUND);
}

/* unpause */

static void
test_unpause (ConfFixture *f, gconstpointer data)
{
  g_autofree char *id = conf_run (f, "conf_svc", conf_spec (f, "signals", "SIGTERM", 30), "conf");
  g_autoptr(GError) error = NULL;

  f->backend->pause (f, id);
  g_assert_cmpint (conf_state (f, id), ==, FLEET_CONTAINER_STATE_PAUSED);
  g_assert_true (fleet_test_runtime_unpause (f->rt, id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (conf_state (f, id), ==, FLEET_CONTAINER_STATE_RUNNING);
  /* not paused */
  g_assert_false (fleet_test_runtime_unpause (f->rt, id, &error));
  conf_assert_error (error, FLEET_ERROR_RUNTIME);
  g_clear_error (&error);
  g_assert_false (fleet_test_runtime_unpause (f->rt, CONF_NO_SUCH_ID, &error));
  conf_assert_error (error, FLEET_ERROR_NOT_FOUND);
}

/* exits */

static void
test_exit_on_its_own (ConfFixture *f, gconstpointer data)
{
  /* a one-shot job: the always policy would run it again */
  g_autofree char *id
      = conf_create (f, "conf_svc", conf_spec_restart (f, "exits", "SIGTERM", 30, "no"), "conf");
  g_autoptr(GError) error = NULL;

  g_assert_true (fleet_test_runtime_start (f->rt, id, &error));
  g_assert_no_error (error);
  g_assert_true (fleet_test_runtime_wait_for_state (f->rt, id, FLEET_CONTAINER_STATE_EXITED, 20));
  g_assert_cmpint (conf_exit_code (f, id), ==, 3);
}

static void
test_exit_crash (ConfFixture *f, gconstpointer data)
{
  g_autofree char *id = conf_run (f, "conf_svc", conf_spec (f, "signals", "SIGTERM", 30), "conf");

  f->backend->crash (f, id);
  g_assert_true (fleet_test_runtime_wait_for_state (f->rt, id, FLEET_CONTAINER_STATE_EXITED, 20));
  g_assert_cmpint (conf_exit_code (f, id), ==, 128 + SIGKILL);
}

/* events */

static void
test_events_stop (ConfFixture *f, gconstpointer data)
{
  g_autofree char *id = conf_run (f, "conf_svc", conf_spec (f, "signals", "SIGTERM", 30), "conf");
  g_autofree char *expected = g_strdup_printf ("%s conf/svc", id);

  conf_watch (f);
  conf_stop_ok (f, id, 0, -1);
  conf_wait_for_death (f, id);
  g_assert_cmpstr (conf_died (f, id), ==, expected);
}

/* A crash is reported; a container without fleet's label is not (it died
 * first, so it would have been reported first). */
static void
test_events_crash (ConfFixture *f, gconstpointer data)
{
  FleetServiceSpec *spec = conf_spec (f, "signals", "SIGTERM", 30);
  g_autofree char *stranger = conf_run (f, "stranger", spec, NULL);
  g_autofree char *id = conf_run (f, "conf_svc", spec, "conf");

  conf_watch (f);
  f->backend->crash (f, stranger);
  f->backend->crash (f, id);
  conf_wait_for_death (f, id);
  g_assert_null (conf_died (f, stranger));
}

/* networks */

static gboolean
conf_on_network (ConfFixture *f, const char *id, const char *network)
{
  g_autoptr(FleetContainerInfo) info = conf_inspect (f, id);

  g_assert_nonnull (info->networks);
  return g_strv_contains ((const char *const *)info->networks, network);
}

static void
test_network_ensure (ConfFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gboolean dns = FALSE;

  g_assert_true (fleet_test_runtime_network_ensure (f->rt, "conf-ensure", &dns, &error));
  g_assert_no_error (error);
  g_assert_true (dns);
  /* an existing one is used as it is */
  dns = FALSE;
  g_assert_true (fleet_test_runtime_network_ensure (f->rt, "conf-ensure", &dns, &error));
  g_assert_no_error (error);
  g_assert_true (dns);
  g_assert_true (fleet_test_runtime_network_remove (f->rt, "conf-ensure", &error));
  g_assert_no_error (error);
  g_assert_false (fleet_test_runtime_network_remove (f->rt, "conf-ensure", &error));
  conf_assert_error (error, FLEET_ERROR_NOT_FOUND);
}

static void
test_network_connect_created (ConfFixture *f, gconstpointer data)
{
  g_autofree char *id = conf_create (f, "conf_svc", conf_spec (f, "signals", "SIGTERM", 10),
                                     "conf");
  g_autoptr(GError) error = NULL;

  g_assert_false (conf_on_network (f, id, "conf-created"));
  g_assert_true (fleet_test_runtime_network_ensure (f->rt, "conf-created", NULL, &error));
  g_assert_true (fleet_test_runtime_network_connect (f->rt, "conf-created", id, "svc", &error));
  g_assert_no_error (error);
  g_assert_true (conf_on_network (f, id, "conf-created"));
  /* again: it is on it already */
  g_assert_true (fleet_test_runtime_network_connect (f->rt, "conf-created", id, "svc", &error));
  g_assert_no_error (error);
  g_assert_true (fleet_test_runtime_start (f->rt, id, &error));
  g_assert_no_error (error);
  g_assert_true (conf_on_network (f, id, "conf-created"));
  /* in use: not removed */
  g_assert_false (fleet_test_runtime_network_remove (f->rt, "conf-created", &error));
  conf_assert_error (error, FLEET_ERROR_BUSY);
  g_clear_error (&error);
  g_assert_true (fleet_test_runtime_remove (f->rt, id, TRUE, &error));
  g_assert_true (fleet_test_runtime_network_remove (f->rt, "conf-created", &error));
  g_assert_no_error (error);
}

static void
test_network_connect_running (ConfFixture *f, gconstpointer data)
{
  g_autofree char *id = conf_run (f, "conf_svc", conf_spec (f, "signals", "SIGTERM", 10), "conf");
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;
  FleetContainerInfo *listed;

  g_assert_true (fleet_test_runtime_network_ensure (f->rt, "conf-running", NULL, &error));
  g_assert_true (fleet_test_runtime_network_connect (f->rt, "conf-running", id, "svc", &error));
  g_assert_no_error (error);
  g_assert_cmpint (conf_state (f, id), ==, FLEET_CONTAINER_STATE_RUNNING);
  g_assert_true (conf_on_network (f, id, "conf-running"));
  /* the list says so too */
  list = conf_list (f, FLEET_LABEL_DEPLOYMENT);
  listed = conf_find (list, id);
  g_assert_nonnull (listed);
  g_assert_nonnull (listed->networks);
  g_assert_true (g_strv_contains ((const char *const *)listed->networks, "conf-running"));
}

/* Off the network, a running container stays running; a second
 * disconnect, or one from a network it was never on, is NOT_FOUND. */
static void
test_network_disconnect (ConfFixture *f, gconstpointer data)
{
  g_autofree char *id = conf_run (f, "conf_svc", conf_spec (f, "signals", "SIGTERM", 10), "conf");
  g_autoptr(GError) error = NULL;

  g_assert_true (fleet_test_runtime_network_ensure (f->rt, "conf-off", NULL, &error));
  g_assert_true (fleet_test_runtime_network_connect (f->rt, "conf-off", id, "svc", &error));
  g_assert_no_error (error);
  g_assert_true (conf_on_network (f, id, "conf-off"));
  g_assert_true (fleet_test_runtime_network_disconnect (f->rt, "conf-off", id, &error));
  g_assert_no_error (error);
  g_assert_false (conf_on_network (f, id, "conf-off"));
  g_assert_cmpint (conf_state (f, id), ==, FLEET_CONTAINER_STATE_RUNNING);
  g_assert_false (fleet_test_runtime_network_disconnect (f->rt, "conf-off", id, &error));
  conf_assert_error (error, FLEET_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (fleet_test_runtime_network_disconnect (f->rt, "conf-no-such", id, &error));
  conf_assert_error (error, FLEET_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (fleet_test_runtime_network_disconnect (f->rt, "conf-off", CONF_NO_SUCH_ID,
                                                         &error));
  conf_assert_error (error, FLEET_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* off it, the container no longer holds the network */
  g_assert_true (fleet_test_runtime_network_remove (f->rt, "conf-off", &error));
  g_assert_no_error (error);
}

/* Created on a network, on that one only; by its name and alias there. */
static void
test_network_create_on (ConfFixture *f, gconstpointer data)
{
  FleetServiceSpec *spec = conf_spec (f, "signals", "SIGTERM", 10);
  g_autoptr(GHashTable) labels = conf_labels ("conf", spec);
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetContainerInfo) info = NULL;
  g_autofree char *id = NULL;
  g_autofree char *none = NULL;

  g_assert_true (fleet_test_runtime_network_ensure (f->rt, "conf-on", NULL, &error));
  id = fleet_test_runtime_create_on_network (f->rt, "conf_svc", spec, labels, "conf-on", "svc",
                                             &error);
  g_assert_no_error (error);
  g_assert_true (fleet_test_runtime_start (f->rt, id, &error));
  g_assert_no_error (error);
  info = conf_inspect (f, id);
  g_assert_cmpint (info->state, ==, FLEET_CONTAINER_STATE_RUNNING);
  g_assert_cmpstr (info->deployment, ==, "conf");
  g_assert_nonnull (info->networks);
  g_assert_cmpuint (g_strv_length (info->networks), ==, 1);
  g_assert_cmpstr (info->networks[0], ==, "conf-on");
  /* no such network */
  none = fleet_test_runtime_create_on_network (f->rt, "conf_other", spec, labels, "conf-no-such",
                                               NULL, &error);
  g_assert_null (none);
  conf_assert_error (error, FLEET_ERROR_START_FAILED);
  g_clear_error (&error);
  g_assert_true (fleet_test_runtime_remove (f->rt, id, TRUE, &error));
  g_assert_true (fleet_test_runtime_network_remove (f->rt, "conf-on", &error));
  g_assert_no_error (error);
}

static void
test_network_connect_missing (ConfFixture *f, gconstpointer data)
{
  g_autofree char *id = conf_create (f, "conf_svc", conf_spec (f, "signals", "SIGTERM", 10),
                                     "conf");
  g_autoptr(GError) error = NULL;

  g_assert_false (fleet_test_runtime_network_connect (f->rt, "conf-no-such", id, NULL, &error));
  conf_assert_error (error, FLEET_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (fleet_test_runtime_network_ensure (f->rt, "conf-missing", NULL, &error));
  g_assert_false (fleet_test_runtime_network_connect (f->rt, "conf-missing", CONF_NO_SUCH_ID,
                                                      NULL, &error));
  conf_assert_error (error, FLEET_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (fleet_test_runtime_network_remove (f->rt, "conf-missing", &error));
  g_assert_no_error (error);
}

static const struct
{
  const char *name;
  void (*func) (ConfFixture *f, gconstpointer data);
} cases[] = {
  { "pull/local", test_pull_local },
  { "pull/missing", test_pull_missing },
  { "create/reports", test_create_reports },
  { "create/name-taken", test_create_name_taken },
  { "create/name-held-unlisted", test_create_name_held_unlisted },
  { "create/missing-image", test_create_missing_image },
  { "inspect/missing", test_inspect_missing },
  { "start/runs", test_start_runs },
  { "start/missing", test_start_missing },
  { "start/cannot-run", test_start_cannot_run },
  { "start/exited-again", test_start_exited_again },
  { "start/paused-refused", test_start_paused_refused },
  { "stop/own-signal", test_stop_own_signal },
  { "stop/given-signal", test_stop_given_signal },
  { "stop/kill-after-own-grace", test_stop_kill_after_own_grace },
  { "stop/kill-after-given-grace", test_stop_kill_after_given_grace },
  { "stop/grace-zero-kills", test_stop_grace_zero_kills },
  { "stop/not-running", test_stop_not_running },
  { "stop/paused", test_stop_paused },
  { "stop/missing", test_stop_missing },
  { "stop/policy-stays-stopped", conf_test_policy_stays_stopped },
  { "remove/running-refused", test_remove_running_refused },
  { "remove/exited", test_remove_exited },
  { "remove/missing", test_remove_missing },
  { "list/by-label", test_list_by_label },
  { "list/exit-code", test_list_exit_code },
  { "rename/frees-old-name", test_rename },
  { "unpause/runs-again", test_unpause },
  { "exit/on-its-own", test_exit_on_its_own },
  { "exit/crash", test_exit_crash },
  { "events/stop", test_events_stop },
  { "events/crash", test_events_crash },
  { "network/ensure", test_network_ensure },
  { "network/connect-created", test_network_connect_created },
  { "network/connect-running", test_network_connect_running },
  { "network/connect-missing", test_network_connect_missing },
  { "network/create-on", test_network_create_on },
  { "network/disconnect", test_network_disconnect },
  { "healthcheck/passes", conf_test_healthcheck_passes },
  { "healthcheck/fails", conf_test_healthcheck_fails },
  { "healthcheck/not-running", conf_test_healthcheck_not_running },
};

/* A case for a backend; run only when the backend's runtime is there (the
 * cases create containers as they declare their variables). */
typedef struct
{
  const ConfBackend *backend;
  void (*func) (ConfFixture *f, gconstpointer data);
} Case;

static void
run_case (ConfFixture *f, gconstpointer data)
{
  const Case *c = data;

  if (f->rt != NULL)
    c->func (f, data);
}

static void
case_setup (ConfFixture *f, gconstpointer data)
{
  conf_fixture_setup (f, ((const Case *)data)->backend);
}

static void
case_teardown (ConfFixture *f, gconstpointer data)
{
  conf_fixture_teardown (f);
}

int
main (int argc, char **argv)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_free);
  int ret;

  fleet_test_init (&argc, &argv);
  for (gsize b = 0; b < CONF_N_BACKENDS; b++)
    for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        Case *c = g_new0 (Case, 1);
        g_autofree char *path
            = g_strdup_printf ("/runtime/%s/%s", conf_backends[b].name, cases[i].name);

        c->backend = &conf_backends[b];
        c->func = cases[i].func;
        g_ptr_array_add (all, c);
        g_test_add (path, ConfFixture, c, case_setup, run_case, case_teardown);
      }
  ret = g_test_run ();
  fleet_podman_harness_shutdown ();
  return ret;
}
