/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-await-healthy.c: the AWAIT_HEALTHY action: a service others wait
 * for with depends_on's "service_healthy" has just been started (or
 * replaced); the lane waits until its container is healthy before it
 * starts them.  Other deployments go on meanwhile.
 *
 * It waits at most start_period + retries x interval + timeout: a
 * container unhealthy by then, or one that turns unhealthy before, fails
 * the deployment, and the services waiting for it are not started (the
 * retry, with the deployment's backoff, starts over).
 */
#include "config.h"

#include "fleet-reconciler-private.h"
#include "fleet-util-private.h"

#define POLL_MSECS 250

typedef struct
{
  FleetLane *lane;
  FleetPlanAction *action;
  gint64 deadline;
} AwaitHealthy;

static void await_poll (AwaitHealthy *await);

static gboolean
on_poll (gpointer user_data)
{
  await_poll (user_data);
  return G_SOURCE_REMOVE;
}

static void
await_done (AwaitHealthy *await, const char *failure)
{
  FleetLane *lane = await->lane;

  if (failure != NULL)
    fleet_lane_fail (lane, failure);
  else
    fleet_reconciler_log_action ("healthy", await->action->deployment, await->action->service,
                                 NULL, "reason=\"services wait for it to be healthy\"");
  g_free (await);
  fleet_lane_continue (lane);
}

static void
await_poll (AwaitHealthy *await)
{
  FleetReconciler *self = fleet_lane_get_pass (await->lane)->self;
  FleetPlanAction *action = await->action;
  const FleetServiceRecord *record = fleet_state_lookup_service (self->state, action->deployment,
                                                                 action->service);
  gboolean healthy = FALSE, unhealthy = FALSE;
  const char *output = NULL;
  g_autofree char *message = NULL;

  if (self->stopping)
    {
      await_done (await, NULL);
      return;
    }
  if (record == NULL || record->container_id == NULL)
    {
      await_done (await, "the service waited for has no container");
      return;
    }
  fleet_reconciler_watch_container (self, action->spec, record->container_id);
  output = fleet_reconciler_get_health (self, record->container_id, &healthy, &unhealthy);
  if (healthy)
    {
      await_done (await, NULL);
      return;
    }
  if (unhealthy || g_get_monotonic_time () > await->deadline)
    {
      message = g_strdup_printf ("%s did not become healthy%s%s; the services waiting for it "
                                 "were not started", action->service, output ? ": " : "",
                                 output ? output : "");
      await_done (await, message);
      return;
    }
  g_timeout_add (POLL_MSECS, on_poll, await);
}

/**
 * fleet_executor_run_await_healthy:
 *
 * AWAIT_HEALTHY: wait until the service just started is healthy.
 */
void
fleet_executor_run_await_healthy (FleetLane *lane, FleetPlanAction *action)
{
  const FleetHealthcheck *check = action->spec->healthcheck;
  AwaitHealthy *await = g_new0 (AwaitHealthy, 1);

  await->lane = lane;
  await->action = action;
  await->deadline = g_get_monotonic_time ()
                    + ((gint64) check->start_period_msecs
                       + (gint64) check->retries * check->interval_msecs
                       + (gint64) check->timeout_msecs) * 1000;
  fleet_reconciler_log_action ("await", action->deployment, action->service, NULL,
                               "reason=\"services wait for it to be healthy\"");
  await_poll (await);
}
