/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-reconciler-health.c: what the reconciler makes of health checks.
 *
 * Each pass ends by handing the health monitor (fleet-health-monitor.c)
 * the containers to check: the recorded container of each desired service
 * with a check, at its desired digest, unless the pass found it dead.  A
 * deployment counts as converged (Running) only when each of those is
 * healthy.  A container that turns unhealthy makes its deployment Failed
 * with the last check's output; with `on_unhealthy: restart` it is stopped
 * gracefully (its own signal and grace period) and from then on handled as
 * a container that died: the next pass starts it again under the
 * crash-loop backoff.
 *
 * update_config.monitor holds a deployment in Pending until each new
 * container has been healthy that long, or, for a service without a check,
 * running that long since fleetd started it; a container that dies in the
 * window makes the deployment Failed, and its start again opens a new one.
 */
#include "config.h"

#include "fleet-health-monitor-private.h"
#include "fleet-reconciler-private.h"
#include "fleet-util-private.h"

static void
on_unhealthy_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(FleetReconciler) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!fleet_container_runtime_stop_finish (FLEET_CONTAINER_RUNTIME (source), result, &error))
    fleet_log_notice ("unhealthy-stop", "stopping an unhealthy container failed: %s",
                      error->message);
  if (!self->stopping)
    fleet_reconciler_request_pass (self);
}

static gboolean
is_recorded (FleetReconciler *self, FleetServiceSpec *spec, const char *container_id)
{
  const FleetServiceRecord *record = fleet_state_lookup_service (self->state, spec->deployment,
                                                                 spec->name);

  return record != NULL && g_strcmp0 (record->container_id, container_id) == 0;
}

static void
handle_unhealthy (FleetReconciler *self, FleetServiceSpec *spec, const char *container_id,
                  const char *output)
{
  g_autofree char *message = g_strdup_printf ("%s: unhealthy: %s", spec->name,
                                              output && *output ? output : "the check failed");
  g_autofree char *quoted = fleet_log_quote (message);
  g_autofree char *detail = g_strdup_printf ("reason=%s", quoted);

  fleet_reconciler_set_phase (self, spec->deployment, FLEET_PHASE_FAILED, message);
  if (spec->healthcheck->on_unhealthy != FLEET_ON_UNHEALTHY_RESTART
      || fleet_executor_is_stopping (self, container_id))
    {
      fleet_reconciler_log_action ("unhealthy", spec->deployment, spec->name, container_id,
                                   detail);
      return;
    }
  fleet_reconciler_log_action ("restart-unhealthy", spec->deployment, spec->name, container_id,
                               detail);
  fleet_container_runtime_stop_async (
      self->runtime, container_id, spec->lifecycle.stop_signal_number,
      spec->lifecycle.grace_period_secs, NULL, on_unhealthy_stopped, g_object_ref (self));
}

static void
on_health_changed (FleetServiceSpec *spec, const char *container_id, FleetHealthStatus status,
                   const char *output, gpointer user_data)
{
  FleetReconciler *self = user_data;

  if (self->stopping || !is_recorded (self, spec, container_id))
    return;
  if (status == FLEET_HEALTH_UNHEALTHY)
    handle_unhealthy (self, spec, container_id, output);
  else
    fleet_reconciler_log_action ("health", spec->deployment, spec->name, container_id,
                                 status == FLEET_HEALTH_HEALTHY ? "status=healthy"
                                                                : "status=starting");
  fleet_reconciler_emit_changed (self);
  /* a healthy container may complete its deployment's rollout */
  fleet_reconciler_request_pass (self);
}

static FleetHealthMonitor *
ensure_monitor (FleetReconciler *self)
{
  if (self->health == NULL)
    self->health = fleet_health_monitor_new (self->runtime, on_health_changed, self);
  return self->health;
}

/* fleetd has just started @container_id (a new container, or the same one
 * again): a service without a check must now stay running for
 * update_config.monitor before it counts as up. */
void
fleet_reconciler_note_started (FleetReconciler *self, FleetServiceSpec *spec,
                               const char *container_id)
{
  gint64 *since;

  if (fleet_healthcheck_is_active (spec->healthcheck) || spec->update_config.monitor_secs == 0)
    return;
  since = g_new (gint64, 1);
  *since = g_get_monotonic_time ();
  if (self->up_since == NULL)
    self->up_since = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_replace (self->up_since, g_strdup (container_id), since);
}

/* Start times of containers no longer recorded (replaced, dropped) are
 * of no use any more. */
static void
forget_unrecorded_starts (FleetReconciler *self)
{
  GHashTableIter iter;
  const char *container_id;

  if (self->up_since == NULL)
    return;
  g_hash_table_iter_init (&iter, self->up_since);
  while (g_hash_table_iter_next (&iter, (gpointer *) &container_id, NULL))
    if (!fleet_state_has_container_id (self->state, container_id))
      g_hash_table_iter_remove (&iter);
}

/* The containers checked from now on: those of this pass's outcome. */
void
fleet_reconciler_sync_health (FleetPass *pass)
{
  FleetReconciler *self = pass->self;
  FleetDocument *desired = fleet_state_get_desired (self->state);

  forget_unrecorded_starts (self);
  if (self->health == NULL && desired == NULL)
    return;
  fleet_health_monitor_begin_sync (ensure_monitor (self));
  for (guint i = 0; desired && i < desired->deployments->len; i++)
    {
      FleetDeploymentSpec *deployment = desired->deployments->pdata[i];

      for (guint j = 0; j < deployment->services->len; j++)
        {
          FleetServiceSpec *spec = deployment->services->pdata[j];
          const FleetServiceRecord *record =
            fleet_state_lookup_service (self->state, deployment->name, spec->name);

          /* a job that ran to completion has nothing left to check */
          if (!fleet_healthcheck_is_active (spec->healthcheck)
              || (record != NULL && record->completed))
            continue;
          if (fleet_service_record_is_converged (record, spec)
              && !g_hash_table_contains (pass->unhealthy, record->container_id))
            fleet_health_monitor_watch (self->health, spec, record->container_id);
          /* a start-first candidate being waited for */
          if (record != NULL && record->candidate_id != NULL
              && g_strcmp0 (record->candidate_digest, spec->digest) == 0)
            fleet_health_monitor_watch (self->health, spec, record->candidate_id);
        }
    }
  fleet_health_monitor_end_sync (self->health);
}

/* Whether the monitor window that opened at @since is over; if not, a pass
 * is due when it is. */
static gboolean
monitor_served (FleetReconciler *self, FleetServiceSpec *spec, gint64 since)
{
  gint64 until = since + (gint64) spec->update_config.monitor_secs * G_USEC_PER_SEC;

  if (g_get_monotonic_time () >= until)
    return TRUE;
  fleet_reconciler_note_wakeup (self, until);
  return FALSE;
}

/* A service without a check: up unless fleetd started it less than
 * update_config.monitor ago (one it did not start in this process, adopted
 * or found after a restart of fleetd, has served its window). */
static gboolean
is_up_without_check (FleetReconciler *self, FleetServiceSpec *spec, const char *container_id)
{
  const gint64 *since = self->up_since ? g_hash_table_lookup (self->up_since, container_id)
                                       : NULL;

  if (since == NULL)
    return TRUE;
  if (!monitor_served (self, spec, *since))
    return FALSE;
  g_hash_table_remove (self->up_since, container_id);
  return TRUE;
}

/* Whether @container_id counts as up for its deployment's phase: it is a
 * job that ran to completion, or it has passed its check (without one: it
 * runs) and stayed so for update_config.monitor. */
gboolean
fleet_reconciler_is_healthy (FleetReconciler *self, FleetServiceSpec *spec,
                             const char *container_id)
{
  const FleetServiceRecord *record = fleet_state_lookup_service (self->state, spec->deployment,
                                                                 spec->name);
  gint64 since;

  if (record != NULL && record->completed)
    return TRUE;
  if (!fleet_healthcheck_is_active (spec->healthcheck))
    return is_up_without_check (self, spec, container_id);
  since = self->health ? fleet_health_monitor_get_healthy_since (self->health, container_id) : 0;
  return since != 0 && monitor_served (self, spec, since);
}

/* Check @container_id from now on (a start-first candidate, a service
 * others wait for), until the next pass says otherwise. */
void
fleet_reconciler_watch_container (FleetReconciler *self, FleetServiceSpec *spec,
                                  const char *container_id)
{
  if (!self->stopping && fleet_healthcheck_is_active (spec->healthcheck))
    fleet_health_monitor_watch (ensure_monitor (self), spec, container_id);
}

/* The health of any watched container: whether it is healthy, or
 * unhealthy, and the last check's output. */
const char *
fleet_reconciler_get_health (FleetReconciler *self, const char *container_id,
                             gboolean *out_healthy, gboolean *out_unhealthy)
{
  const char *output = NULL;
  FleetHealthStatus status = self->health != NULL
                               ? fleet_health_monitor_get (self->health, container_id, &output)
                               : FLEET_HEALTH_NONE;

  *out_healthy = status == FLEET_HEALTH_HEALTHY;
  *out_unhealthy = status == FLEET_HEALTH_UNHEALTHY;
  return output;
}

void
fleet_reconciler_stop_health (FleetReconciler *self)
{
  g_clear_pointer (&self->health, fleet_health_monitor_free);
  g_clear_pointer (&self->up_since, g_hash_table_unref);
}

/**
 * fleet_reconciler_get_service_health:
 * @self: a #FleetReconciler
 * @deployment: the deployment's name
 * @service: the service's name
 * @out_output: (out) (optional) (transfer none) (nullable): the last
 *   check's output, or %NULL before the first
 *
 * Returns: (nullable): "starting", "healthy" or "unhealthy" for a service
 *   whose recorded container is checked; %NULL when it has no check
 *
 * Since: 0.2
 */
const char *
fleet_reconciler_get_service_health (FleetReconciler *self, const char *deployment,
                                     const char *service, const char **out_output)
{
  const FleetServiceRecord *record;

  g_return_val_if_fail (FLEET_IS_RECONCILER (self), NULL);
  g_return_val_if_fail (deployment != NULL && service != NULL, NULL);

  if (out_output)
    *out_output = NULL;
  record = fleet_state_lookup_service (self->state, deployment, service);
  if (self->health == NULL || record == NULL)
    return NULL;
  return fleet_health_status_to_string (
    fleet_health_monitor_get (self->health, record->container_id, out_output));
}
