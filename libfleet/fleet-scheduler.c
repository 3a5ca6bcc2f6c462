/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-scheduler.c: the reconciler's passes: when one starts, what it
 * does before the executor takes over, when it is over, and who learns
 * its outcome.
 *
 * Passes are started one at a time on the main context.  A pass accepts
 * the newest pending document (if any), asks the runtime for its
 * containers once, adopts labelled containers for services the agent has
 * no record of (after a lost state file), computes a plan (fleet-plan.c)
 * and hands it to the executor, which runs each deployment's actions in
 * that deployment's lane.  Applying a document, the liveness tick, retries
 * after failures and container-died events all just request a pass, so
 * they never race each other; requests made while a pass is being planned
 * are merged into the next one.  An idle pass costs the runtime a single
 * request.
 */
#include "config.h"

#include "fleet-reconciler-private.h"
#include "fleet-util-private.h"

/* While the state cannot be written: try again this often. */
#define SAVE_RETRY_SECS 2

void
fleet_reconciler_note_wakeup (FleetReconciler *self, gint64 at)
{
  if (self->wakeup_at == 0 || at < self->wakeup_at)
    self->wakeup_at = at;
}

static void
pass_free (FleetPass *pass)
{
  g_clear_pointer (&pass->plan, fleet_plan_free);
  g_ptr_array_unref (pass->waiters);
  g_hash_table_unref (pass->failed);
  g_hash_table_unref (pass->attempted);
  g_hash_table_unref (pass->unhealthy);
  g_hash_table_unref (pass->busy);
  g_clear_error (&pass->error);
  g_object_unref (pass->self);
  g_free (pass);
}

void
fleet_reconciler_complete_waiters (GPtrArray *waiters, FleetPhase phase, const GError *error)
{
  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = waiters->pdata[i];

      if (error)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_int (task, phase);
    }
  g_ptr_array_set_size (waiters, 0);
}

static gboolean
on_wakeup (gpointer user_data)
{
  FleetReconciler *self = user_data;

  self->wakeup_id = 0;
  fleet_reconciler_request_pass (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_wakeup (FleetReconciler *self)
{
  gint64 due = fleet_restart_policy_next_due (self->policy);
  gint64 now = g_get_monotonic_time ();

  /* Failed deployments retry when their backoff is over, even if it is over
   * already (a slow pass can outlast a short backoff). */
  if (due != 0)
    fleet_reconciler_note_wakeup (self, due);
  g_clear_handle_id (&self->wakeup_id, g_source_remove);
  if (self->wakeup_at != 0 && !self->stopping)
    {
      gint64 delay_ms = MAX (0, (self->wakeup_at - now + 999) / 1000);

      self->wakeup_id = g_timeout_add_full (G_PRIORITY_DEFAULT, (guint) MIN (delay_ms, G_MAXUINT),
                                            on_wakeup, self, NULL);
    }
  self->wakeup_at = 0;
}

static gboolean
on_save_retry (gpointer user_data)
{
  FleetReconciler *self = user_data;

  /* A document that could not be persisted: the pass accepts it again. */
  if (self->pending_document != NULL)
    {
      self->save_retry_id = 0;
      fleet_reconciler_request_pass (self);
      return G_SOURCE_REMOVE;
    }
  if (!fleet_reconciler_save_state (self))
    return G_SOURCE_CONTINUE;
  self->save_retry_id = 0;
  /* What waited for the state to be written can go on now. */
  fleet_reconciler_request_pass (self);
  return G_SOURCE_REMOVE;
}

/* A change could not be persisted: retry until it is. */
static void
schedule_save_retry (FleetReconciler *self)
{
  if (self->persist_error == NULL || self->save_retry_id != 0 || self->stopping)
    return;
  self->save_retry_id = g_timeout_add_seconds (SAVE_RETRY_SECS, on_save_retry, self);
}

void
fleet_reconciler_finish_shutdown (FleetReconciler *self)
{
  g_autoptr(GPtrArray) shutdown_tasks = NULL;
  g_autoptr(GError) cancelled =
    g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "the agent is shutting down");

  if (self->passes_running > 0)
    return;
  fleet_reconciler_complete_waiters (self->waiters, self->phase, cancelled);
  fleet_reconciler_save_state (self);
  if (self->state_dir != NULL)
    fleet_state_compact (self->state, self->state_dir, NULL);
  shutdown_tasks = g_steal_pointer (&self->shutdown_tasks);
  self->shutdown_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < shutdown_tasks->len; i++)
    g_task_return_boolean (shutdown_tasks->pdata[i], TRUE);
}

static gboolean
any_still_busy (FleetReconciler *self, GHashTable *deployments)
{
  GHashTableIter iter;
  gpointer name;

  g_hash_table_iter_init (&iter, deployments);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    if (g_hash_table_contains (self->lanes, name))
      return TRUE;
  return FALSE;
}

/* Appliers learn the outcome of a later pass; a tick is over with its own. */
static void
carry_over_waiters (FleetReconciler *self, FleetPass *pass)
{
  for (guint i = 0; i < pass->waiters->len; i++)
    {
      GTask *task = pass->waiters->pdata[i];

      if (g_task_get_source_tag (task) == fleet_reconciler_tick_async)
        g_task_return_int (task, self->phase);
      else
        g_ptr_array_add (self->waiters, g_object_ref (task));
    }
  g_ptr_array_set_size (pass->waiters, 0);
}

static void
finish_pass (FleetPass *pass)
{
  FleetReconciler *self = pass->self;

  if (pass->error == NULL && !self->stopping)
    {
      fleet_reconciler_sync_health (pass);
      fleet_reconciler_finalize_phases (pass);
    }
  if (pass->changed)
    {
      if (fleet_reconciler_save_state (self) && self->state_dir != NULL)
        fleet_state_compact (self->state, self->state_dir, NULL);
      fleet_reconciler_emit_changed (self);
    }
  fleet_reconciler_update_phase (self);
  self->passes_running--;
  schedule_wakeup (self);
  schedule_save_retry (self);

  if (self->stopping)
    {
      g_autoptr(GError) cancelled =
        g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "the agent is shutting down");

      fleet_reconciler_complete_waiters (pass->waiters, self->phase, pass->error ? pass->error : cancelled);
      fleet_reconciler_finish_shutdown (self);
    }
  else if (g_hash_table_size (pass->busy) > 0 && pass->error == NULL)
    {
      /* Deployments were left alone while their lanes were busy: the
       * waiters learn the outcome from the pass that takes them up, once
       * the lanes have drained. */
      carry_over_waiters (self, pass);
      if (any_still_busy (self, pass->busy))
        self->busy_skipped = TRUE;
      else
        fleet_reconciler_request_pass (self);
    }
  else
    fleet_reconciler_complete_waiters (pass->waiters, self->phase, pass->error);
  if (!self->stopping && self->pass_requested)
    fleet_reconciler_request_pass (self);
  pass_free (pass);
}

/* A lane of @pass has drained: a pass that left its deployment alone is
 * due again, and @pass is over when it was the last one. */
void
fleet_reconciler_pass_lane_drained (FleetPass *pass)
{
  FleetReconciler *self = pass->self;

  pass->lanes_running--;
  if (self->busy_skipped && !self->stopping)
    {
      self->busy_skipped = FALSE;
      fleet_reconciler_request_pass (self);
    }
  if (pass->lanes_running == 0 && !pass->planning)
    finish_pass (pass);
}

static void
on_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FleetPass *pass = user_data;
  FleetReconciler *self = pass->self;
  g_autoptr(GPtrArray) containers = NULL;
  FleetPlanContext context = { 0, };

  containers = fleet_container_runtime_list_finish (FLEET_CONTAINER_RUNTIME (source), result,
                                                    &pass->error);
  self->planning = NULL;
  if (containers == NULL)
    {
      g_autofree char *quoted = fleet_log_quote (pass->error->message);
      g_autofree char *detail = g_strdup_printf ("error=%s", quoted);

      /* the pass did nothing */
      if (!(self->stopping && g_error_matches (pass->error, G_IO_ERROR, G_IO_ERROR_CANCELLED)))
        {
          fleet_reconciler_log_action ("list-failed", NULL, NULL, NULL, detail);
          fleet_reconciler_fail_pending_deployments (pass);
        }
      pass->planning = FALSE;
      finish_pass (pass);
      return;
    }
  fleet_reconciler_adopt_containers (pass, containers);
  fleet_reconciler_note_runtime_restarts (pass, containers);
  fleet_reconciler_note_dead_containers (pass, containers);
  fleet_reconciler_note_attempted (pass);
  context.containers = containers;
  context.skip_rollout = fleet_reconciler_skip_rollout;
  context.skip_restart = fleet_reconciler_skip_restart;
  context.skip_deployment = fleet_reconciler_skip_busy;
  context.user_data = self;
  pass->plan = fleet_plan_compute (self->state, fleet_state_get_desired (self->state), &context);
  /* Lanes that drain at once must not end the pass while it dispatches. */
  if (!self->stopping)
    fleet_executor_dispatch (pass, pass->plan);
  pass->planning = FALSE;
  if (pass->lanes_running == 0)
    finish_pass (pass);
}

static void
retry_now (FleetReconciler *self)
{
  self->retry_now = FALSE;
  fleet_restart_policy_retry_now (self->policy);
}

static gboolean
start_pass (gpointer user_data)
{
  FleetReconciler *self = user_data;
  g_autoptr(GError) error = NULL;
  FleetPass *pass;

  self->start_idle_id = 0;
  if (self->planning != NULL || self->stopping)
    return G_SOURCE_REMOVE;

  pass = g_new0 (FleetPass, 1);
  pass->self = g_object_ref (self);
  pass->waiters = g_steal_pointer (&self->waiters);
  pass->failed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  pass->attempted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  pass->unhealthy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  pass->busy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  pass->planning = TRUE;
  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->planning = pass;
  self->passes_running++;
  self->pass_requested = FALSE;

  if (self->pending_document)
    {
      g_autoptr(FleetDocument) document = g_steal_pointer (&self->pending_document);

      /* Not on disk, not accepted: the pass fails, and the document is
       * accepted when it can be written (or a newer one comes). */
      if (!fleet_reconciler_accept_document (self, document, &pass->error))
        {
          self->pending_document = g_steal_pointer (&document);
          self->planning = NULL;
          pass->planning = FALSE;
          finish_pass (pass);
          return G_SOURCE_REMOVE;
        }
    }
  if (self->retry_now)
    retry_now (self);
  fleet_container_runtime_list_async (self->runtime, FLEET_LABEL_DEPLOYMENT, self->cancellable,
                                      on_listed, pass);
  return G_SOURCE_REMOVE;
}

void
fleet_reconciler_request_pass (FleetReconciler *self)
{
  if (self->stopping)
    return;
  self->pass_requested = TRUE;
  if (self->planning == NULL && self->start_idle_id == 0)
    self->start_idle_id = g_idle_add (start_pass, self);
}

