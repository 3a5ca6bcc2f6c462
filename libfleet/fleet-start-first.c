/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-start-first.c: the REPLACE action of a service whose update order
 * is "start-first": the new container starts beside the old one, which is
 * stopped only once the new one is healthy.
 *
 *   1. The candidate is recorded (its digest; no id yet) and persisted
 *      BEFORE it is created, under a name no service's container can have
 *      ("<deployment>_<service>_<12 hex digits of its digest>": service
 *      containers have one "_"), and that differs from version to version,
 *      so that a container promoted but not renamed is never taken for a
 *      leftover by the next replacement.
 *   2. It is created and started, and its id recorded and persisted.
 *   3. The lane waits until it is healthy (within start_period + retries x
 *      interval + timeout) and has stayed so for `monitor`; without a
 *      check, until it has been running for `monitor`.
 *   4. The old container is stopped gracefully (its own signal and grace)
 *      and removed; the candidate is renamed to the service's name and
 *      promoted: it is the service's recorded container from then on.
 *
 * A candidate that never becomes healthy is stopped and removed, the old
 * container left serving, and the deployment Failed (retried with the
 * backoff, towards the new version: nothing is reverted).  After a crash
 * at any point, the next attempt first removes whatever candidate the
 * state names, and a created candidate the state has no id for is a
 * labelled container nobody recorded, which the orphan sweep removes: the
 * service ends with one container, the new version.
 */
#include "config.h"

#include <string.h>

#include "fleet-reconciler-private.h"
#include "fleet-service-ops.h"
#include "fleet-util-private.h"

#define POLL_MSECS 250
#define log_action fleet_reconciler_log_action

typedef struct
{
  FleetLane *lane;
  FleetPlanAction *action;
  char *candidate_id;
  gint64 deadline;      /* monotonic: give up waiting */
  gint64 healthy_since; /* monotonic, or 0 */
  guint poll_id;
} StartFirst;

static void
start_first_free (StartFirst *sf)
{
  g_clear_handle_id (&sf->poll_id, g_source_remove);
  g_free (sf->candidate_id);
  g_free (sf);
}

static FleetReconciler *
reconciler_of (StartFirst *sf)
{
  return fleet_lane_get_pass (sf->lane)->self;
}

static gboolean
persist (StartFirst *sf)
{
  fleet_lane_get_pass (sf->lane)->changed = TRUE;
  if (fleet_reconciler_save_state (reconciler_of (sf)))
    return TRUE;
  fleet_lane_halt (sf->lane);
  return FALSE;
}

/* The lane goes on with its next action. */
static void
finish (StartFirst *sf)
{
  FleetLane *lane = sf->lane;

  start_first_free (sf);
  fleet_lane_continue (lane);
}

/* Failure: the candidate is gone (or was never made), the old container
 * serves on. */

static void
on_candidate_removed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StartFirst *sf = user_data;
  FleetPlanAction *action = sf->action;
  g_autoptr(GError) error = NULL;

  if (!_fleet_service_stop_finish (FLEET_CONTAINER_RUNTIME (source), result, &error))
    fleet_log_notice ("candidate-remove", "removing the start-first candidate of %s: %s",
                      action->service, error->message);
  else
    {
      fleet_state_forget_candidate (reconciler_of (sf)->state, action->deployment,
                                    action->service);
      persist (sf);
    }
  log_action ("candidate-removed", action->deployment, action->service, sf->candidate_id, NULL);
  finish (sf);
}

static void
give_up (StartFirst *sf, const char *message)
{
  FleetReconciler *self = reconciler_of (sf);

  fleet_lane_fail (sf->lane, message);
  if (sf->candidate_id == NULL)
    {
      fleet_state_forget_candidate (self->state, sf->action->deployment, sf->action->service);
      persist (sf);
      finish (sf);
      return;
    }
  _fleet_service_stop (self->runtime, sf->candidate_id, NULL, on_candidate_removed, sf);
}

/* 4: retire the old container, promote the candidate. */

static void
on_renamed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StartFirst *sf = user_data;
  FleetReconciler *self = reconciler_of (sf);
  FleetPlanAction *action = sf->action;
  g_autoptr(GError) error = NULL;

  if (!fleet_container_runtime_rename_finish (FLEET_CONTAINER_RUNTIME (source), result, &error))
    /* It serves all the same; a name is only a name (the id is recorded). */
    fleet_log_notice ("candidate-rename", "renaming the new container of %s: %s",
                      action->service, error->message);
  fleet_restart_policy_forget_service (self->policy, action->deployment, action->service);
  fleet_state_promote_candidate (self->state, action->deployment, action->service);
  persist (sf);
  log_action ("promoted", action->deployment, action->service, sf->candidate_id,
              "reason=\"start-first: healthy\"");
  finish (sf);
}

static void
on_old_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StartFirst *sf = user_data;
  FleetReconciler *self = reconciler_of (sf);
  FleetPlanAction *action = sf->action;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;

  if (!_fleet_service_stop_finish (FLEET_CONTAINER_RUNTIME (source), result, &error))
    {
      g_autofree char *message = g_strdup_printf ("stopping old container of %s: %s",
                                                  action->service, error->message);

      /* Both run; the next attempt removes the candidate and starts over. */
      fleet_lane_fail (sf->lane, message);
      finish (sf);
      return;
    }
  log_action ("stopped", action->deployment, action->service, action->container_id,
              "reason=\"spec changed\"");
  fleet_state_record_container (self->state, action->deployment, action->service, NULL,
                                NULL);
  name = g_strdup_printf ("%s_%s", action->deployment, action->service);
  fleet_container_runtime_rename_async (self->runtime, sf->candidate_id, name, NULL, on_renamed,
                                        sf);
}

static void
retire_old (StartFirst *sf)
{
  log_action ("candidate-healthy", sf->action->deployment, sf->action->service,
              sf->candidate_id, NULL);
  _fleet_service_stop (reconciler_of (sf)->runtime, sf->action->container_id, NULL,
                       on_old_stopped, sf);
}

/* 3: wait for the candidate. */

static void poll_candidate (StartFirst *sf);

static gboolean
on_poll (gpointer user_data)
{
  StartFirst *sf = user_data;

  sf->poll_id = 0;
  poll_candidate (sf);
  return G_SOURCE_REMOVE;
}

/* Whether the candidate has been up (healthy, or running without a check)
 * for `monitor`, noting when it came up. */
static gboolean
stayed_up (StartFirst *sf, gboolean up)
{
  gint64 now = g_get_monotonic_time ();

  if (!up)
    sf->healthy_since = 0;
  else if (sf->healthy_since == 0)
    sf->healthy_since = now;
  return up && now - sf->healthy_since
                   >= (gint64) sf->action->spec->update_config.monitor_secs * G_USEC_PER_SEC;
}

static void
on_candidate_inspected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StartFirst *sf = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetContainerInfo) info =
    fleet_container_runtime_inspect_finish (FLEET_CONTAINER_RUNTIME (source), result, &error);
  g_autofree char *message = NULL;

  if (info == NULL || info->state != FLEET_CONTAINER_STATE_RUNNING)
    {
      message = g_strdup_printf ("%s: the new container is not running (%s): the old one "
                                 "serves on", sf->action->service,
                                 info ? fleet_container_state_to_string (info->state)
                                      : error->message);
      give_up (sf, message);
    }
  else if (stayed_up (sf, TRUE))
    retire_old (sf);
  else
    sf->poll_id = g_timeout_add (POLL_MSECS, on_poll, sf);
}

static void
poll_candidate (StartFirst *sf)
{
  FleetReconciler *self = reconciler_of (sf);
  FleetServiceSpec *spec = sf->action->spec;
  gboolean healthy = FALSE, unhealthy = FALSE;
  const char *output;
  g_autofree char *message = NULL;

  if (self->stopping)
    {
      /* the candidate stays recorded: the next start removes it */
      finish (sf);
      return;
    }
  if (!fleet_healthcheck_is_active (spec->healthcheck))
    {
      fleet_container_runtime_inspect_async (self->runtime, sf->candidate_id, NULL,
                                             on_candidate_inspected, sf);
      return;
    }
  output = fleet_reconciler_get_health (self, sf->candidate_id, &healthy, &unhealthy);
  if (stayed_up (sf, healthy))
    {
      retire_old (sf);
      return;
    }
  if (unhealthy || g_get_monotonic_time () > sf->deadline)
    {
      message = g_strdup_printf ("%s: the new container did not become healthy%s%s: the old "
                                 "one serves on", spec->name, output ? ": " : "",
                                 output ? output : "");
      give_up (sf, message);
      return;
    }
  sf->poll_id = g_timeout_add (POLL_MSECS, on_poll, sf);
}

/* 2: create and start it. */

static void
on_candidate_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StartFirst *sf = user_data;
  FleetReconciler *self = reconciler_of (sf);
  FleetPlanAction *action = sf->action;
  const FleetHealthcheck *check = action->spec->healthcheck;
  g_autoptr(GError) error = NULL;
  g_autofree char *detail = NULL;

  sf->candidate_id = _fleet_service_start_finish (FLEET_CONTAINER_RUNTIME (source), result,
                                                  &error);
  if (sf->candidate_id == NULL)
    {
      g_autofree char *message = g_strdup_printf ("starting %s (%s): %s", action->service,
                                                  action->image, error->message);

      give_up (sf, message);
      return;
    }
  fleet_state_record_candidate (self->state, action->deployment, action->service,
                                sf->candidate_id, action->spec->digest);
  detail = g_strdup_printf ("image=%s digest=%s", action->image, action->spec->digest);
  log_action ("candidate-started", action->deployment, action->service, sf->candidate_id,
              detail);
  if (!persist (sf))
    {
      finish (sf);
      return;
    }
  sf->deadline = g_get_monotonic_time ()
                 + (fleet_healthcheck_is_active (check)
                      ? (gint64) check->start_period_msecs * 1000
                          + (gint64) check->retries * check->interval_msecs * 1000
                          + (gint64) check->timeout_msecs * 1000
                      : 0)
                 + (gint64) action->spec->update_config.monitor_secs * G_USEC_PER_SEC;
  fleet_reconciler_watch_container (self, action->spec, sf->candidate_id);
  poll_candidate (sf);
}

/* 1: record, then create. */
static void
create_candidate (StartFirst *sf)
{
  FleetReconciler *self = reconciler_of (sf);
  FleetPlanAction *action = sf->action;
  const char *digest = action->spec->digest;
  g_autofree char *name = g_strdup_printf ("%s_%s_%.12s", action->deployment, action->service,
                                           g_str_has_prefix (digest, "sha256:")
                                             ? digest + strlen ("sha256:") : digest);

  fleet_state_record_candidate (self->state, action->deployment, action->service, NULL,
                                action->spec->digest);
  if (!persist (sf))
    {
      finish (sf);
      return;
    }
  _fleet_service_start_as (self->runtime, action->spec, name, NULL, on_candidate_started, sf);
}

/* 0: a candidate left by an earlier attempt goes first. */
static void
on_stale_candidate_removed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StartFirst *sf = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  if (!_fleet_service_stop_finish (FLEET_CONTAINER_RUNTIME (source), result, &error))
    {
      message = g_strdup_printf ("removing the earlier candidate of %s: %s",
                                 sf->action->service, error->message);
      fleet_lane_fail (sf->lane, message);
      finish (sf);
      return;
    }
  create_candidate (sf);
}

/**
 * fleet_executor_run_start_first:
 *
 * REPLACE for a service whose update order is "start-first".
 */
void
fleet_executor_run_start_first (FleetLane *lane, FleetPlanAction *action)
{
  FleetReconciler *self = fleet_lane_get_pass (lane)->self;
  const FleetServiceRecord *record = fleet_state_lookup_service (self->state, action->deployment,
                                                                 action->service);
  StartFirst *sf = g_new0 (StartFirst, 1);

  sf->lane = lane;
  sf->action = action;
  log_action ("replace", action->deployment, action->service, action->container_id,
              "reason=\"spec changed\" order=start-first");
  if (record != NULL && record->candidate_id != NULL)
    {
      log_action ("remove-candidate", action->deployment, action->service, record->candidate_id,
                  "reason=\"left by an earlier attempt\"");
      _fleet_service_stop (self->runtime, record->candidate_id, NULL, on_stale_candidate_removed,
                           sf);
      return;
    }
  create_candidate (sf);
}
