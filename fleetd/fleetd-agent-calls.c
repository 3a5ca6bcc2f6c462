/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-agent-calls.c: what others ask of the agent at a time of their
 * choosing: a fetch and pass now (`fleetctl reconcile`), or a fetch now
 * (the trusted keys changed).
 */
#include "config.h"

#include "fleetd-agent-private.h"
#include "fleet-util-private.h"

/**
 * fleetd_agent_reconcile_async:
 *
 * Fetch the source and apply now, retrying failed deployments without
 * waiting out their backoff.  Completes when the pass is over, with the
 * aggregate phase, or with the error the fetch or validation failed with.
 */
void
fleetd_agent_reconcile_async (FleetdAgent *self, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FLEETD_IS_AGENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fleetd_agent_reconcile_async);
  fleetd_request_queue_add (_fleetd_agent_get_queue (self), FLEETD_REQUEST_REASON_CALL,
                            FLEETD_REQUEST_FETCH | FLEETD_REQUEST_RETRY_NOW, task);
}

/**
 * fleetd_agent_fetch_now:
 *
 * Fetch the document again now rather than at the next poll or retry: what
 * decides whether it is accepted changed (the trusted keys).
 */
void
fleetd_agent_fetch_now (FleetdAgent *self)
{
  g_return_if_fail (FLEETD_IS_AGENT (self));

  fleetd_request_queue_add (_fleetd_agent_get_queue (self), FLEETD_REQUEST_REASON_DOCUMENT, FLEETD_REQUEST_FETCH,
                            NULL);
}

gboolean
fleetd_agent_reconcile_finish (FleetdAgent *self, GAsyncResult *result, FleetPhase *out_phase,
                               GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return fleet_task_propagate_phase (G_TASK (result), out_phase, error);
}
