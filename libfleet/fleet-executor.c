/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-executor.c: lanes, and how each kind of action runs.
 *
 * A lane holds one deployment's actions of one pass and runs them in
 * order, one at a time; lanes of different deployments run side by side.
 * Each kind of action is one entry of the table at the end: how it runs
 * and, in its completion, what it records.  Adding an action (say,
 * "start the candidate, wait until healthy, retire the old one") is one
 * more entry.
 *
 * A lane stops early when the agent shuts down (the step in flight is
 * finished), and when a change it made cannot be persisted: nothing may
 * act on a record that is not on disk.
 */
#include "config.h"

#include "fleet-reconciler-private.h"
#include "fleet-service-ops.h"
#include "fleet-util-private.h"

#define RECHECK_AFTER_RESTART_USECS (5 * G_USEC_PER_SEC)
#define log_action fleet_reconciler_log_action

struct _FleetLane
{
  FleetPass *pass;
  char *deployment;
  GPtrArray *actions;       /* FleetPlanAction, owned by the pass's plan */
  guint next;
  FleetPlanAction *current; /* in flight, or NULL */
  guint await_id;           /* the next look at a job being waited for */
  gboolean halted;          /* a change could not be persisted */
};

static void lane_next (FleetLane *lane);

void
fleet_lane_free (FleetLane *lane)
{
  g_clear_handle_id (&lane->await_id, g_source_remove);
  g_free (lane->deployment);
  g_ptr_array_unref (lane->actions);
  g_free (lane);
}

static FleetReconciler *
lane_reconciler (FleetLane *lane)
{
  return lane->pass->self;
}

/* Whether @error only says that a shutdown cancelled the request (see
 * fleet_reconciler_shutdown_async()): that is no failure. */
static gboolean
cut_short_by_shutdown (FleetLane *lane, const GError *error)
{
  return lane_reconciler (lane)->stopping
         && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
fail (FleetLane *lane, const char *message)
{
  fleet_reconciler_fail_deployment (lane->pass, lane->deployment, message);
}

static void
record (FleetLane *lane, FleetPlanAction *action, const char *id, const char *digest)
{
  if (!fleet_reconciler_record_container (lane->pass, action, id, digest))
    lane->halted = TRUE;
}

/* REMOVE_ORPHAN: a labelled container nobody recorded. */

static void
on_orphan_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FleetLane *lane = user_data;
  FleetPlanAction *action = lane->current;
  g_autoptr(GError) error = NULL;

  if (!_fleet_service_stop_finish (FLEET_CONTAINER_RUNTIME (source), result, &error))
    {
      g_autofree char *quoted = fleet_log_quote (error->message);
      g_autofree char *detail = g_strdup_printf ("error=%s", quoted);

      log_action ("remove-orphan-failed", action->deployment, action->service,
                  action->container_id, detail);
    }
  lane_next (lane);
}

static void
run_remove_orphan (FleetLane *lane, FleetPlanAction *action)
{
  log_action ("remove-orphan", action->deployment, action->service, action->container_id,
              "reason=\"labelled container not recorded by the agent\"");
  _fleet_service_stop (lane_reconciler (lane)->runtime, action->container_id, NULL,
                       on_orphan_stopped, lane);
}

/* STOP: the recorded container of a dropped service. */

static void
on_dropped_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FleetLane *lane = user_data;
  FleetPlanAction *action = lane->current;
  g_autoptr(GError) error = NULL;

  if (!_fleet_service_stop_finish (FLEET_CONTAINER_RUNTIME (source), result, &error))
    {
      g_autofree char *message = g_strdup_printf ("stopping dropped service %s: %s",
                                                  action->service, error->message);
      fail (lane, message);
    }
  else if (!fleet_reconciler_forget_service (lane->pass, action))
    lane->halted = TRUE;
  lane_next (lane);
}

static void
run_stop (FleetLane *lane, FleetPlanAction *action)
{
  log_action ("stop", action->deployment, action->service, action->container_id,
              "reason=\"dropped from the document\"");
  _fleet_service_stop (lane_reconciler (lane)->runtime, action->container_id, NULL,
                       on_dropped_stopped, lane);
}

/* PULL: a new image, before anything of the deployment is stopped. */

static void
on_pulled (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FleetLane *lane = user_data;
  FleetPlanAction *action = lane->current;
  g_autoptr(GError) error = NULL;

  if (!fleet_container_runtime_pull_image_finish (FLEET_CONTAINER_RUNTIME (source), result,
                                                  &error))
    {
      g_autofree char *message = NULL;

      /* The deployment stays Pending; the next start pulls again. */
      if (cut_short_by_shutdown (lane, error))
        {
          log_action ("pull-cancelled", action->deployment, NULL, NULL, action->image);
          lane_next (lane);
          return;
        }
      message = g_strdup_printf ("pulling %s: %s", action->image, error->message);
      fail (lane, message);
    }
  lane_next (lane);
}

static void
run_pull (FleetLane *lane, FleetPlanAction *action)
{
  FleetReconciler *self = lane_reconciler (lane);

  log_action ("pull", action->deployment, NULL, NULL, action->image);
  fleet_container_runtime_pull_image_async (self->runtime, action->image, self->cancellable,
                                            on_pulled, lane);
}

/* START, and the second half of REPLACE: create and start the new container. */

static void
on_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FleetLane *lane = user_data;
  FleetPlanAction *action = lane->current;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = _fleet_service_start_finish (FLEET_CONTAINER_RUNTIME (source), result,
                                                     &error);

  if (id == NULL)
    {
      g_autofree char *message = g_strdup_printf ("starting %s (%s): %s", action->service,
                                                  action->image, error->message);
      fail (lane, message);
    }
  else
    {
      g_autofree char *detail = g_strdup_printf ("image=%s digest=%s", action->image,
                                                 action->spec->digest);

      log_action ("started", action->deployment, action->service, id, detail);
      record (lane, action, id, action->spec->digest);
      fleet_reconciler_note_started (lane_reconciler (lane), action->spec, id);
    }
  lane_next (lane);
}

static void
start_new_container (FleetLane *lane, FleetPlanAction *action)
{
  _fleet_service_start (lane_reconciler (lane)->runtime, action->spec, NULL, on_started, lane);
}

static void
run_start (FleetLane *lane, FleetPlanAction *action)
{
  log_action ("start", action->deployment, action->service, NULL, "reason=\"new service\"");
  start_new_container (lane, action);
}

/* REPLACE: stop the recorded container gracefully, then start the new one. */

static void
on_replaced_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FleetLane *lane = user_data;
  FleetPlanAction *action = lane->current;
  g_autoptr(GError) error = NULL;

  if (!_fleet_service_stop_finish (FLEET_CONTAINER_RUNTIME (source), result, &error))
    {
      g_autofree char *message = g_strdup_printf ("stopping old container of %s: %s",
                                                  action->service, error->message);
      fail (lane, message);
      lane_next (lane);
      return;
    }
  log_action ("stopped", action->deployment, action->service, action->container_id,
              "reason=\"spec changed\"");
  /* The old container is gone.  That need not be on disk before the start:
   * after a crash in between, the recorded spec digest still says the
   * service must be replaced, and stopping a container that is gone
   * counts as stopped. */
  fleet_state_record_container (lane_reconciler (lane)->state, action->deployment,
                                action->service, NULL, NULL);
  start_new_container (lane, action);
}

static void
run_replace (FleetLane *lane, FleetPlanAction *action)
{
  if (action->spec->update_config.order == FLEET_UPDATE_START_FIRST)
    {
      fleet_executor_run_start_first (lane, action);
      return;
    }
  log_action ("replace", action->deployment, action->service, action->container_id,
              "reason=\"spec changed\"");
  _fleet_service_stop (lane_reconciler (lane)->runtime, action->container_id, NULL,
                       on_replaced_stopped, lane);
}

/* ENSURE_RUNNING: liveness of a converged service. */

/* How the log tells what liveness did. */
static const struct
{
  const char *action;
  const char *reason;
} liveness_actions[] = {
  [FLEET_LIVENESS_NONE] = { "running", NULL },
  [FLEET_LIVENESS_STARTED] = { "restarted", "reason=\"container was not running\"" },
  [FLEET_LIVENESS_CREATED] = { "recreated-missing", "reason=\"container was missing\"" },
  [FLEET_LIVENESS_UNPAUSED] = { "unpaused", "reason=\"container was paused\"" },
  [FLEET_LIVENESS_RECREATED] = { "recreated", "reason=\"container could not be started\"" },
  [FLEET_LIVENESS_RESTARTED_BY_RUNTIME]
  = { "running", "reason=\"the runtime's restart policy restarted it first\"" },
};

static void
on_ensured (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FleetLane *lane = user_data;
  FleetReconciler *self = lane_reconciler (lane);
  FleetPlanAction *action = lane->current;
  g_autoptr(GError) error = NULL;
  FleetLivenessAction what = FLEET_LIVENESS_NONE;
  g_autofree char *id = _fleet_service_ensure_running_finish (FLEET_CONTAINER_RUNTIME (source),
                                                              result, &what, &error);

  if (id == NULL)
    {
      g_autofree char *message = g_strdup_printf ("restarting %s: %s", action->service,
                                                  error->message);

      fleet_restart_policy_restarted (self->policy, action->deployment, action->service);
      fail (lane, message);
    }
  else if (what == FLEET_LIVENESS_NONE || what == FLEET_LIVENESS_RESTARTED_BY_RUNTIME)
    {
      /* The pass found it dead, and the runtime's policy restarted it
       * since: the next pass counts that restart (its restart count), and
       * finds it up. */
      if (what != FLEET_LIVENESS_NONE)
        log_action (liveness_actions[what].action, action->deployment, action->service, id,
                    liveness_actions[what].reason);
      fleet_reconciler_note_wakeup (self, g_get_monotonic_time () + RECHECK_AFTER_RESTART_USECS);
    }
  else
    {
      fleet_restart_policy_restarted (self->policy, action->deployment, action->service);
      log_action (liveness_actions[what].action, action->deployment, action->service, id,
                  liveness_actions[what].reason);
      if (g_strcmp0 (id, action->container_id) != 0)
        record (lane, action, id, action->spec->digest);
      fleet_reconciler_note_started (self, action->spec, id);
      /* Look again shortly: if it stays up, the deployment is Running
       * again then, not only at the next tick. */
      fleet_reconciler_note_wakeup (self, g_get_monotonic_time () + RECHECK_AFTER_RESTART_USECS);
    }
  lane_next (lane);
}

static void
run_ensure_running (FleetLane *lane, FleetPlanAction *action)
{
  /* Being stopped for being unhealthy: started again once the stop is
   * over (it asks for a pass), not while podman is still stopping it. */
  if (action->container_id != NULL
      && g_hash_table_contains (lane_reconciler (lane)->unhealthy_stops, action->container_id))
    {
      lane_next (lane);
      return;
    }
  _fleet_service_ensure_running (lane_reconciler (lane)->runtime, action->spec,
                                 action->container_id, NULL, on_ensured, lane);
}

/* AWAIT_COMPLETION: the job just started must exit 0 before the services
 * waiting for it start.  Its container is looked at every so often (the
 * lane waits; other deployments go on). */

#define AWAIT_POLL_MSECS 250

static void await_poll (FleetLane *lane);

static gboolean
on_await_timeout (gpointer user_data)
{
  FleetLane *lane = user_data;

  lane->await_id = 0;
  await_poll (lane);
  return G_SOURCE_REMOVE;
}

static void
on_await_status (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FleetLane *lane = user_data;
  FleetReconciler *self = lane_reconciler (lane);
  FleetPlanAction *action = lane->current;
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetContainerInfo) info =
    fleet_container_runtime_inspect_finish (FLEET_CONTAINER_RUNTIME (source), result,
                                                     &error);
  g_autofree char *message = NULL;

  if (info != NULL && info->state != FLEET_CONTAINER_STATE_EXITED && !self->stopping)
    {
      lane->await_id = g_timeout_add (AWAIT_POLL_MSECS, on_await_timeout, lane);
      return;
    }
  if (info == NULL && !self->stopping)
    message = g_strdup_printf ("job %s: %s", action->service, error->message);
  else if (info != NULL && info->state == FLEET_CONTAINER_STATE_EXITED && info->exit_code != 0)
    message = g_strdup_printf ("job %s exited with code %d; the services waiting for it were "
                               "not started", action->service, info->exit_code);
  if (message != NULL)
    fail (lane, message);
  else if (info != NULL && info->state == FLEET_CONTAINER_STATE_EXITED)
    {
      log_action ("completed", action->deployment, action->service, info->id, "exit_code=0");
      fleet_state_set_completed (self->state, action->deployment, action->service, TRUE);
      lane->pass->changed = TRUE;
      if (!fleet_reconciler_save_state (self))
        lane->halted = TRUE;
    }
  lane_next (lane);
}

static void
await_poll (FleetLane *lane)
{
  FleetReconciler *self = lane_reconciler (lane);
  FleetPlanAction *action = lane->current;
  const FleetServiceRecord *service = fleet_state_lookup_service (self->state, action->deployment,
                                                                  action->service);

  if (service == NULL || service->container_id == NULL)
    {
      fail (lane, "job has no container to wait for");
      lane_next (lane);
      return;
    }
  fleet_container_runtime_inspect_async (self->runtime, service->container_id, NULL,
                                         on_await_status, lane);
}

static void
run_await_completion (FleetLane *lane, FleetPlanAction *action)
{
  log_action ("await", action->deployment, action->service, NULL,
              "reason=\"services wait for it to complete\"");
  await_poll (lane);
}

/* JOIN_NETWORK: a running container an earlier release created joins its
 * deployment's network, without a restart.  Not joining is no failure of the
 * deployment (its services run, by address): the next pass tries again. */

static void
on_network_joined (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FleetLane *lane = user_data;
  FleetPlanAction *action = lane->current;
  g_autoptr(GError) error = NULL;

  if (!_fleet_service_join_network_finish (FLEET_CONTAINER_RUNTIME (source), result, &error))
    {
      g_autofree char *quoted = fleet_log_quote (error->message);
      g_autofree char *detail = g_strdup_printf ("error=%s", quoted);

      log_action ("join-network-failed", action->deployment, action->service,
                  action->container_id, detail);
    }
  lane_next (lane);
}

static void
run_join_network (FleetLane *lane, FleetPlanAction *action)
{
  g_autofree char *network = _fleet_service_network_name (action->deployment);
  g_autofree char *detail = g_strdup_printf ("network=%s", network);

  log_action ("join-network", action->deployment, action->service, action->container_id,
              detail);
  _fleet_service_join_network (lane_reconciler (lane)->runtime, action->spec,
                               action->container_id, NULL, on_network_joined, lane);
}

/* REMOVE_NETWORK: a dropped deployment's, once its containers are gone.  One
 * still in use (by a container fleet does not manage) is left. */

static void
on_network_removed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FleetLane *lane = user_data;
  FleetPlanAction *action = lane->current;
  g_autoptr(GError) error = NULL;

  if (!_fleet_service_remove_network_finish (FLEET_CONTAINER_RUNTIME (source), result, &error))
    {
      g_autofree char *quoted = fleet_log_quote (error->message);
      g_autofree char *detail = g_strdup_printf ("error=%s", quoted);

      log_action ("remove-network-failed", action->deployment, NULL, NULL, detail);
    }
  lane_next (lane);
}

static void
run_remove_network (FleetLane *lane, FleetPlanAction *action)
{
  g_autofree char *network = _fleet_service_network_name (action->deployment);
  g_autofree char *detail = g_strdup_printf ("network=%s", network);

  log_action ("remove-network", action->deployment, NULL, NULL, detail);
  _fleet_service_remove_network (lane_reconciler (lane)->runtime, action->deployment, NULL,
                                 on_network_removed, lane);
}

typedef void (*FleetActionRunFunc) (FleetLane *lane, FleetPlanAction *action);

static const struct
{
  FleetPlanActionKind kind;
  FleetActionRunFunc run;
  gboolean rollout; /* skipped once its deployment failed in this pass */
} entries[] = {
  { FLEET_PLAN_REMOVE_ORPHAN, run_remove_orphan, FALSE },
  { FLEET_PLAN_STOP, run_stop, TRUE },
  { FLEET_PLAN_PULL, run_pull, TRUE },
  { FLEET_PLAN_START, run_start, TRUE },
  { FLEET_PLAN_REPLACE, run_replace, TRUE },
  { FLEET_PLAN_ENSURE_RUNNING, run_ensure_running, FALSE },
  { FLEET_PLAN_AWAIT_COMPLETION, run_await_completion, TRUE },
  { FLEET_PLAN_JOIN_NETWORK, run_join_network, FALSE },
  { FLEET_PLAN_REMOVE_NETWORK, run_remove_network, TRUE },
  { FLEET_PLAN_AWAIT_HEALTHY, fleet_executor_run_await_healthy, TRUE },
  { FLEET_PLAN_UNCHANGED, NULL, FALSE },
};

G_STATIC_ASSERT (G_N_ELEMENTS (entries) == FLEET_PLAN_UNCHANGED + 1);

/* Whether @action needs no runtime request; if so it is done here. */
static gboolean
done_without_runtime (FleetLane *lane, FleetPlanAction *action)
{
  if (entries[action->kind].rollout && g_hash_table_contains (lane->pass->failed,
                                                              action->deployment))
    return TRUE;
  if (action->kind == FLEET_PLAN_UNCHANGED)
    return TRUE;
  if (action->kind == FLEET_PLAN_STOP && action->container_id == NULL)
    {
      if (!fleet_reconciler_forget_service (lane->pass, action))
        lane->halted = TRUE;
      return TRUE;
    }
  /* While the state cannot be written, only what records nothing new. */
  if (entries[action->kind].rollout && lane_reconciler (lane)->persist_error != NULL)
    return TRUE;
  return FALSE;
}

static void
lane_drained (FleetLane *lane)
{
  FleetReconciler *self = lane_reconciler (lane);
  FleetPass *pass = lane->pass;

  /* frees the lane */
  g_hash_table_remove (self->lanes, lane->deployment);
  fleet_reconciler_pass_lane_drained (pass);
}

static void
lane_next (FleetLane *lane)
{
  FleetReconciler *self = lane_reconciler (lane);
  FleetPlanAction *action = NULL;

  lane->current = NULL;
  while (action == NULL)
    {
      /* On shutdown, finish the step in flight and stop there. */
      if (self->stopping || lane->halted || lane->next >= lane->actions->len)
        {
          lane_drained (lane);
          return;
        }
      action = lane->actions->pdata[lane->next++];
      if (done_without_runtime (lane, action))
        action = NULL;
    }
  lane->current = action;
  entries[action->kind].run (lane, action);
}

/* For the actions that live in files of their own (fleet-start-first.c). */

FleetPass *
fleet_lane_get_pass (FleetLane *lane)
{
  return lane->pass;
}

void
fleet_lane_fail (FleetLane *lane, const char *message)
{
  fail (lane, message);
}

void
fleet_lane_halt (FleetLane *lane)
{
  lane->halted = TRUE;
}

void
fleet_lane_continue (FleetLane *lane)
{
  lane_next (lane);
}

/**
 * fleet_executor_dispatch:
 *
 * Hand @plan's actions to one lane per deployment, in plan order, and start
 * the lanes.  The pass must own @plan until its lanes have drained.
 */
void
fleet_executor_dispatch (FleetPass *pass, FleetPlan *plan)
{
  FleetReconciler *self = pass->self;
  g_autoptr(GPtrArray) started = g_ptr_array_new ();

  for (guint i = 0; i < plan->actions->len; i++)
    {
      FleetPlanAction *action = plan->actions->pdata[i];
      FleetLane *lane = g_hash_table_lookup (self->lanes, action->deployment);

      if (lane == NULL)
        {
          g_assert (action->deployment != NULL);
          lane = g_new0 (FleetLane, 1);
          lane->pass = pass;
          lane->deployment = g_strdup (action->deployment);
          lane->actions = g_ptr_array_new ();
          g_hash_table_insert (self->lanes, lane->deployment, lane);
          g_ptr_array_add (started, lane);
          pass->lanes_running++;
        }
      g_assert (lane->pass == pass);
      g_ptr_array_add (lane->actions, action);
    }
  for (guint i = 0; i < started->len; i++)
    lane_next (started->pdata[i]);
}

/* Whether @deployment still has actions of an earlier pass to run. */
gboolean
fleet_executor_is_busy (FleetReconciler *self, const char *deployment)
{
  FleetLane *lane = g_hash_table_lookup (self->lanes, deployment);

  return lane != NULL && lane->pass != self->planning;
}

/* Whether the reconciler is stopping @container_id itself right now: a
 * lane (the old container of a replacement, a dropped service, an
 * orphan), or the health monitor's verdict (an unhealthy container). */
gboolean
fleet_executor_is_stopping (FleetReconciler *self, const char *container_id)
{
  GHashTableIter iter;
  FleetLane *lane;

  if (container_id != NULL && g_hash_table_contains (self->unhealthy_stops, container_id))
    return TRUE;
  g_hash_table_iter_init (&iter, self->lanes);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &lane))
    {
      FleetPlanAction *action = lane->current;

      if (action != NULL
          && (action->kind == FLEET_PLAN_REPLACE || action->kind == FLEET_PLAN_STOP
              || action->kind == FLEET_PLAN_REMOVE_ORPHAN)
          && g_strcmp0 (action->container_id, container_id) == 0)
        return TRUE;
    }
  return FALSE;
}
