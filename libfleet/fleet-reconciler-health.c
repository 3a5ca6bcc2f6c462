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

/* The containers checked from now on: those of this pass's outcome. */
void
fleet_reconciler_sync_health (FleetPass *pass)
{
  FleetReconciler *self = pass->self;
  FleetDocument *desired = fleet_state_get_desired (self->state);

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

/* Whether @container_id counts as up for its deployment's phase: it has no
 * check, it is a job that ran to completion, or it has passed its check
 * and stayed healthy for update_config.monitor. */
gboolean
fleet_reconciler_is_healthy (FleetReconciler *self, FleetServiceSpec *spec,
                             const char *container_id)
{
  const FleetServiceRecord *record = fleet_state_lookup_service (self->state, spec->deployment,
                                                                 spec->name);

  gint64 since, until;

  if (!fleet_healthcheck_is_active (spec->healthcheck) || (record != NULL && record->completed))
    return TRUE;
  since = self->health ? fleet_health_monitor_get_healthy_since (self->health, container_id) : 0;
  if (since == 0)
    return FALSE;
  /* update_config.monitor: healthy for that long before it counts */
  until = since + (gint64) spec->update_config.monitor_secs * G_USEC_PER_SEC;
  if (g_get_monotonic_time () >= until)
    return TRUE;
  fleet_reconciler_note_wakeup (self, until);
  return FALSE;
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
