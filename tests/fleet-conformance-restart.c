/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-conformance-restart.c: the conformance cases of the restart policy
 * fleet creates containers with (tests/test-runtime-conformance.c runs them
 * against every backend).
 *
 * A service without a `restart` field gets podman's "always" policy, and
 * podman restarts whatever exits unless it was stopped on request.  Fleet's
 * stop must count as such a request whatever signal it sends: podman 4.3
 * forgets a kill with a signal other than SIGKILL, so a stop with another
 * signal would otherwise be undone by podman within a second.  The fake
 * restarts nothing on its own; to it these cases only check the states.
 */
#include "config.h"

#include <signal.h>

#include "fleet-conformance.h"
#include "fleet-test-runtime.h"
#include "fleet-test-utils.h"

/* How long a stopped container is watched for a restart: podman's cleanup
 * process restarts an exited one within a second or two. */
#define WATCH_SECS 6

/* The restart policy podman created @id with, or NULL on the fake. */
static char *
policy_of (ConfFixture *f, const char *id)
{
  g_autoptr(GError) error = NULL;
  char *out = NULL;

  if (f->h == NULL)
    return NULL;
  fleet_podman_harness_podman (f->h, &out, &error, "inspect", "--format",
                               "{{.HostConfig.RestartPolicy.Name}}", id, NULL);
  g_assert_no_error (error);
  return g_strstrip (out);
}

/* @ids stay exited for WATCH_SECS (podman), their restart counts as they
 * are. */
static void
assert_stay_exited (ConfFixture *f, const char *const *ids, guint n_ids)
{
  guint counts[4];
  gint64 until = g_get_monotonic_time () + (f->h != NULL ? WATCH_SECS * G_USEC_PER_SEC : 0);

  g_assert_cmpuint (n_ids, <=, G_N_ELEMENTS (counts));

  for (guint i = 0; i < n_ids; i++)
    {
      g_autoptr(FleetContainerInfo) info = conf_inspect (f, ids[i]);

      g_assert_cmpint (info->state, ==, FLEET_CONTAINER_STATE_EXITED);
      counts[i] = info->restart_count;
    }
  do
    {
      fleet_test_sleep_ms (f->h != NULL ? 250 : 0);
      for (guint i = 0; i < n_ids; i++)
        {
          g_autoptr(FleetContainerInfo) info = conf_inspect (f, ids[i]);

          g_assert_cmpint (info->state, ==, FLEET_CONTAINER_STATE_EXITED);
          g_assert_cmpuint (info->restart_count, ==, counts[i]);
        }
    }
  while (g_get_monotonic_time () < until);
}

/* Stopped by fleet, with its own signal or with another, a container with
 * the always policy stays stopped.  With its own signal podman never
 * restarts it; a workload that exits of another signal before podman's
 * stop marks it may be restarted once, and that run is stopped before the
 * stop returns. */
void
conf_test_policy_stays_stopped (ConfFixture *f, gconstpointer data)
{
  FleetServiceSpec *spec = conf_spec (f, "signals", "SIGINT", 30);
  g_autofree char *own = conf_run (f, "conf_own", spec, "conf");
  g_autofree char *other = conf_run (f, "conf_other", spec, "conf");
  g_autofree char *policy = policy_of (f, own);
  g_autoptr(FleetContainerInfo) own_info = NULL;
  const char *ids[] = { own, other };

  g_assert_true (policy == NULL || g_str_equal (policy, "always"));
  conf_stop_ok (f, own, 0, -1);
  conf_stop_ok (f, other, SIGHUP, 30);
  own_info = conf_inspect (f, own);
  g_assert_cmpint (own_info->exit_code, ==, 128 + SIGINT);
  g_assert_cmpuint (own_info->restart_count, ==, 0);
  assert_stay_exited (f, ids, G_N_ELEMENTS (ids));
}
