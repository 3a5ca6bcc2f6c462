/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-agent-once.c: `fleetd --once`: fetch, then reconcile until the
 * device has converged or failed, through the agent's request queue like
 * everything else.
 */
#include "config.h"

#include "fleetd-agent-private.h"
#include "fleet-util-private.h"

/* A pass normally ends Running or Failed; this bounds the passes that end
 * Pending. */
#define ONCE_MAX_PASSES 5
/* Once Running, look again after this long before saying so. */
#define ONCE_SETTLE_SECS 2

typedef struct
{
  guint passes;
  gboolean confirmed;
} OnceData;

static void continue_once (GTask *task);

static void
on_once_step (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  OnceData *d = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  FleetPhase phase = FLEET_PHASE_FAILED;

  if (!fleet_task_propagate_phase (G_TASK (result), &phase, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else if (d->confirmed)
    g_task_return_int (task, phase);
  else
    continue_once (g_steal_pointer (&task));
}

/* Queue a step of `--once`; @task is answered when it is over. */
static void
once_step (GTask *task, FleetdRequestFlags flags)
{
  FleetdAgent *self = g_task_get_source_object (task);
  g_autoptr(GTask) step = g_task_new (self, NULL, on_once_step, task);

  fleetd_request_queue_add (_fleetd_agent_get_queue (self), FLEETD_REQUEST_REASON_ONCE, flags,
                            step);
}

static gboolean
on_once_settled (gpointer user_data)
{
  once_step (user_data, FLEETD_REQUEST_TICK);
  return G_SOURCE_REMOVE;
}

/* Another pass while the last one ended neither Running nor Failed; once
 * Running, a last look after a moment, so that a container that dies as
 * soon as it is started does not pass for Running. */
static void
continue_once (GTask *task)
{
  FleetdAgent *self = g_task_get_source_object (task);
  FleetPhase phase = fleet_reconciler_get_phase (fleetd_agent_get_reconciler (self));
  OnceData *d = g_task_get_task_data (task);

  d->passes++;
  if (phase == FLEET_PHASE_RUNNING)
    {
      d->confirmed = TRUE;
      g_timeout_add_seconds (ONCE_SETTLE_SECS, on_once_settled, task);
      return;
    }
  if (phase != FLEET_PHASE_PENDING || d->passes >= ONCE_MAX_PASSES)
    {
      g_task_return_int (task, phase);
      g_object_unref (task);
      return;
    }
  once_step (task, FLEETD_REQUEST_RETRY_NOW);
}

/**
 * fleetd_agent_run_once_async:
 *
 * `fleetd --once`: fetch, and reconcile until converged or failed.  Call
 * fleetd_agent_load_state() first, and not fleetd_agent_start().
 */
void
fleetd_agent_run_once_async (FleetdAgent *self, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (FLEETD_IS_AGENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fleetd_agent_run_once_async);
  g_task_set_task_data (task, g_new0 (OnceData, 1), g_free);
  once_step (task, FLEETD_REQUEST_FETCH | FLEETD_REQUEST_RETRY_NOW);
}

gboolean
fleetd_agent_run_once_finish (FleetdAgent *self, GAsyncResult *result, FleetPhase *out_phase,
                              GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return fleet_task_propagate_phase (G_TASK (result), out_phase, error);
}
