/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-reconciler.c: keep the runtime's containers as the desired document
 * says.  This file holds the object and its API; fleet-reconciler-private.h
 * says where the other parts are.
 *
 * All work happens in passes, started one at a time on the main context.
 * A pass accepts the newest pending document (if any), asks the runtime
 * for its containers once, adopts labelled containers for services the
 * agent has no record of (after a lost state file), computes a plan
 * (fleet-plan.c) and hands it to the executor, which runs each
 * deployment's actions in that deployment's lane.  Applying a document,
 * the liveness tick, retries after failures and container-died events all
 * just request a pass, so they never race each other; requests made while
 * a pass is being planned are merged into the next one.  An idle pass
 * costs the runtime a single request.
 *
 * Semantics (contract §2): container identity is the id the agent recorded.
 * A changed service is replaced by pulling its new image first, then stopping
 * the recorded container by id (gracefully: it was created with its stop
 * signal and grace period) and starting the new one.  A failure leaves the
 * deployment Failed and is retried with capped exponential backoff, always
 * towards the desired version: the old version is never started again.
 */
#include "config.h"

#include "fleet-reconciler-private.h"
#include "fleet-util-private.h"

#define DEFAULT_RETRY_INITIAL_MSECS 2000
#define DEFAULT_RETRY_MAX_MSECS (5 * 60 * 1000)

enum
{
  PROP_0,
  PROP_RUNTIME,
  PROP_STATE_DIR,
  PROP_PHASE,
  N_PROPS
};

enum
{
  SIGNAL_CHANGED,
  SIGNAL_DEPLOYMENT_PHASE_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (FleetReconciler, fleet_reconciler, G_TYPE_OBJECT)

/* Public API. */

static void
fleet_reconciler_init (FleetReconciler *self)
{
  self->state = fleet_state_new ();
  self->phase = FLEET_PHASE_PENDING;
  self->policy = fleet_restart_policy_new (DEFAULT_RETRY_INITIAL_MSECS, DEFAULT_RETRY_MAX_MSECS);
  self->lanes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                       (GDestroyNotify) fleet_lane_free);
  self->unhealthy_stops = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->cancellable = g_cancellable_new ();
  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->shutdown_tasks = g_ptr_array_new_with_free_func (g_object_unref);
}

static void
on_container_died (FleetContainerRuntime *runtime, const char *container_id,
                   const char *deployment, const char *service, gpointer user_data)
{
  FleetReconciler *self = user_data;

  /* Only the containers the agent recorded are its business, and not the
   * one it is stopping itself right now (the old container of a
   * replacement, a dropped service). */
  if (!fleet_state_has_container_id (self->state, container_id)
      || fleet_executor_is_stopping (self, container_id))
    return;
  fleet_reconciler_log_action ("died", deployment, service, container_id,
                               "reason=\"runtime event\"");
  fleet_reconciler_request_pass (self);
}

static void
fleet_reconciler_dispose (GObject *object)
{
  FleetReconciler *self = FLEET_RECONCILER (object);

  g_clear_handle_id (&self->start_idle_id, g_source_remove);
  g_clear_handle_id (&self->wakeup_id, g_source_remove);
  g_clear_handle_id (&self->save_retry_id, g_source_remove);
  fleet_reconciler_stop_health (self);
  if (self->runtime && self->died_handler_id)
    g_clear_signal_handler (&self->died_handler_id, self->runtime);
  g_clear_object (&self->runtime);
  G_OBJECT_CLASS (fleet_reconciler_parent_class)->dispose (object);
}

static void
fleet_reconciler_finalize (GObject *object)
{
  FleetReconciler *self = FLEET_RECONCILER (object);

  g_free (self->state_dir);
  g_free (self->persist_error);
  fleet_state_free (self->state);
  g_clear_pointer (&self->pending_document, fleet_document_unref);
  fleet_restart_policy_free (self->policy);
  g_hash_table_unref (self->lanes);
  g_hash_table_unref (self->unhealthy_stops);
  g_clear_object (&self->cancellable);
  g_ptr_array_unref (self->waiters);
  g_ptr_array_unref (self->shutdown_tasks);
  g_clear_pointer (&self->restart_counts, g_hash_table_unref);
  G_OBJECT_CLASS (fleet_reconciler_parent_class)->finalize (object);
}

static void
fleet_reconciler_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  FleetReconciler *self = FLEET_RECONCILER (object);

  switch (prop_id)
    {
    case PROP_RUNTIME:
      g_value_set_object (value, self->runtime);
      break;
    case PROP_STATE_DIR:
      g_value_set_string (value, self->state_dir);
      break;
    case PROP_PHASE:
      g_value_set_enum (value, self->phase);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fleet_reconciler_set_property (GObject *object, guint prop_id, const GValue *value,
                               GParamSpec *pspec)
{
  FleetReconciler *self = FLEET_RECONCILER (object);

  switch (prop_id)
    {
    case PROP_RUNTIME:
      self->runtime = g_value_dup_object (value);
      break;
    case PROP_STATE_DIR:
      self->state_dir = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fleet_reconciler_class_init (FleetReconcilerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fleet_reconciler_dispose;
  object_class->finalize = fleet_reconciler_finalize;
  object_class->get_property = fleet_reconciler_get_property;
  object_class->set_property = fleet_reconciler_set_property;

  properties[PROP_RUNTIME] =
    g_param_spec_object ("runtime", NULL, NULL, FLEET_TYPE_CONTAINER_RUNTIME,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE_DIR] =
    g_param_spec_string ("state-dir", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PHASE] =
    g_param_spec_enum ("phase", NULL, NULL, FLEET_TYPE_PHASE, FLEET_PHASE_PENDING,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * FleetReconciler::changed:
   *
   * Something in the status changed: a phase, a container id, an error, or
   * the desired document.
   */
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * FleetReconciler::deployment-phase-changed:
   * @reconciler: the reconciler
   * @name: the deployment
   * @phase: its new phase, as in the status document ("Running", ...)
   */
  signals[SIGNAL_DEPLOYMENT_PHASE_CHANGED] =
    g_signal_new ("deployment-phase-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

/**
 * fleet_reconciler_new:
 * @runtime: the container runtime to drive
 * @state_dir: (nullable): where to persist state, or %NULL not to persist
 *
 * Returns: (transfer full): a reconciler with empty state; call
 *   fleet_reconciler_load_state() to carry on from a persisted one
 *
 * Since: 0.2
 */
FleetReconciler *
fleet_reconciler_new (FleetContainerRuntime *runtime, const char *state_dir)
{
  g_return_val_if_fail (FLEET_IS_CONTAINER_RUNTIME (runtime), NULL);

  return g_object_new (FLEET_TYPE_RECONCILER, "runtime", runtime, "state-dir", state_dir, NULL);
}

/**
 * fleet_reconciler_load_state:
 * @self: a #FleetReconciler
 * @error: return location for a #GError, or %NULL
 *
 * Load the persisted state.  Missing files are not an error.  Records
 * (state.json) that cannot be read are reported, and the reconciler starts
 * without them, from the desired document alone when desired.json is
 * intact: the next pass adopts the running containers by their labels
 * instead of recreating them.  A desired document that was lost is logged,
 * and the reconciler waits for the next one, keeping the recorded
 * containers.
 *
 * Returns: FALSE when state.json exists but could not be read
 *
 * Since: 0.2
 */
gboolean
fleet_reconciler_load_state (FleetReconciler *self, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  FleetState *state;

  g_return_val_if_fail (FLEET_IS_RECONCILER (self), FALSE);
  g_return_val_if_fail (self->passes_running == 0, FALSE);

  if (self->state_dir == NULL)
    return TRUE;
  state = fleet_state_load (self->state_dir, &local_error);
  if (state == NULL && g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    return TRUE;
  if (state == NULL && g_error_matches (local_error, FLEET_ERROR, FLEET_ERROR_STATE_UNSUPPORTED))
    {
      /* Written by a newer release: refuse, and touch nothing. */
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (state == NULL)
    /* the records are lost, the document need not be */
    state = fleet_state_load_document (self->state_dir, NULL);
  if (state != NULL)
    {
      fleet_state_free (self->state);
      self->state = state;
      fleet_reconciler_update_phase (self);
    }
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

/**
 * fleet_reconciler_check_document:
 * @self: a #FleetReconciler
 * @document: the document
 * @error: return location for a #GError, or %NULL
 *
 * Check that @document may be applied after what was applied before: its
 * generation must not be lower than the highest one applied.
 *
 * Returns: FALSE with FLEET_ERROR_GENERATION_BACKWARDS otherwise
 *
 * Since: 0.2
 */
gboolean
fleet_reconciler_check_document (FleetReconciler *self, FleetDocument *document, GError **error)
{
  gint64 high;

  g_return_val_if_fail (FLEET_IS_RECONCILER (self), FALSE);
  g_return_val_if_fail (document != NULL, FALSE);

  high = fleet_state_get_generation (self->state);

  if (self->pending_document)
    high = MAX (high, self->pending_document->generation);
  if (document->generation >= 0 && document->generation < high)
    return fleet_throw (error, FLEET_ERROR_GENERATION_BACKWARDS,
                        "generation went backwards (document has %" G_GINT64_FORMAT
                        ", %" G_GINT64_FORMAT " was applied)",
                        document->generation, high);
  return TRUE;
}

/**
 * fleet_reconciler_apply_async:
 * @self: a #FleetReconciler
 * @document: (nullable): the new desired document, or %NULL to reconcile
 *   towards the current one
 * @flags: %FLEET_APPLY_FLAGS_RETRY_NOW not to wait out failure backoffs
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Apply @document.  A document with the same canonical bytes as the current
 * one changes nothing and costs no runtime call.  Completes when the pass
 * that applies it has finished, with the aggregate phase.
 *
 * Since: 0.2
 */
void
fleet_reconciler_apply_async (FleetReconciler *self, FleetDocument *document,
                              FleetApplyFlags flags, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  FleetDocument *current;

  g_return_if_fail (FLEET_IS_RECONCILER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fleet_reconciler_apply_async);

  if (self->stopping)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "the agent is shutting down");
      return;
    }
  current = self->pending_document ? self->pending_document
                                   : fleet_state_get_desired (self->state);
  if (document != NULL && current != NULL && fleet_document_equal (document, current))
    document = NULL;
  else if (document != NULL && !fleet_reconciler_check_document (self, document, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (document == NULL && !(flags & FLEET_APPLY_FLAGS_RETRY_NOW) && current != NULL)
    {
      /* Unchanged: nothing to do, nothing more to ask the runtime. */
      if (self->passes_running == 0 && !self->pass_requested)
        {
          g_task_return_int (task, self->phase);
          return;
        }
      if (self->planning != NULL && !self->pass_requested)
        {
          g_ptr_array_add (self->planning->waiters, g_steal_pointer (&task));
          return;
        }
    }
  if (document != NULL)
    {
      g_clear_pointer (&self->pending_document, fleet_document_unref);
      self->pending_document = fleet_document_ref (document);
    }
  if (flags & FLEET_APPLY_FLAGS_RETRY_NOW)
    self->retry_now = TRUE;
  g_ptr_array_add (self->waiters, g_steal_pointer (&task));
  fleet_reconciler_request_pass (self);
}

/**
 * fleet_reconciler_apply_finish:
 * @self: a #FleetReconciler
 * @result: the #GAsyncResult passed to the callback
 * @out_phase: (out) (optional): the aggregate phase after the pass
 * @error: return location for a #GError, or %NULL
 *
 * Returns: FALSE with the error when the document was refused (generation
 *   went backwards), the runtime could not be reached, or the agent is
 *   shutting down
 *
 * Since: 0.2
 */
gboolean
fleet_reconciler_apply_finish (FleetReconciler *self, GAsyncResult *result, FleetPhase *out_phase,
                               GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return fleet_task_propagate_phase (G_TASK (result), out_phase, error);
}

/**
 * fleet_reconciler_tick_async:
 * @self: a #FleetReconciler
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * The liveness tick: a running container is left alone, a stopped one is
 * started again, a missing one created; orphans are removed, and failed
 * deployments whose backoff is over are retried.  When nothing needs doing it
 * costs one runtime request.
 *
 * Since: 0.2
 */
void
fleet_reconciler_tick_async (FleetReconciler *self, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FLEET_IS_RECONCILER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fleet_reconciler_tick_async);
  if (self->stopping)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "the agent is shutting down");
      return;
    }
  g_ptr_array_add (self->waiters, g_steal_pointer (&task));
  fleet_reconciler_request_pass (self);
}

/**
 * fleet_reconciler_tick_finish:
 * @self: a #FleetReconciler
 * @result: the #GAsyncResult passed to the callback
 * @out_phase: (out) (optional): the phase after the pass
 * @error: return location for a #GError, or %NULL
 *
 * Complete fleet_reconciler_tick_async().
 *
 * Returns: %TRUE when the pass ran, %FALSE with @error set otherwise
 *
 * Since: 0.2
 */
gboolean
fleet_reconciler_tick_finish (FleetReconciler *self, GAsyncResult *result, FleetPhase *out_phase,
                              GError **error)
{
  g_return_val_if_fail (FLEET_IS_RECONCILER (self), FALSE);

  return fleet_reconciler_apply_finish (self, result, out_phase, error);
}

/**
 * fleet_reconciler_shutdown_async:
 * @self: a #FleetReconciler
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Let the action in flight finish, persist, and do nothing more.  Containers
 * are left running.  Only what changes nothing is cut short: listing the
 * containers, and pulling an image, which can take minutes; a deployment
 * whose pull was cancelled stays Pending.  Creating, starting and stopping
 * a container run to their end, a graceful stop with its grace period.
 *
 * Since: 0.2
 */
void
fleet_reconciler_shutdown_async (FleetReconciler *self, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FLEET_IS_RECONCILER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fleet_reconciler_shutdown_async);
  self->stopping = TRUE;
  g_clear_handle_id (&self->start_idle_id, g_source_remove);
  g_clear_handle_id (&self->wakeup_id, g_source_remove);
  g_clear_handle_id (&self->save_retry_id, g_source_remove);
  g_ptr_array_add (self->shutdown_tasks, g_steal_pointer (&task));
  fleet_reconciler_stop_health (self);
  /* Lists and pulls in flight end now; the lanes end after their step. */
  g_cancellable_cancel (self->cancellable);
  fleet_reconciler_finish_shutdown (self);
}

/**
 * fleet_reconciler_shutdown_finish:
 * @self: a #FleetReconciler
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError, or %NULL
 *
 * Complete fleet_reconciler_shutdown_async().
 *
 * Returns: %TRUE when the reconciler has stopped, %FALSE with @error set
 *   otherwise
 *
 * Since: 0.2
 */
gboolean
fleet_reconciler_shutdown_finish (FleetReconciler *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * fleet_reconciler_plan:
 * @self: a #FleetReconciler
 * @document: a candidate document (already validated)
 *
 * A dry run: what applying @document would start, replace and stop, from
 * the recorded state alone.  Changes nothing and asks the runtime nothing.
 *
 * Returns: (transfer full): the plan, with UNCHANGED entries included
 *
 * Since: 0.2
 */
FleetPlan *
fleet_reconciler_plan (FleetReconciler *self, FleetDocument *document)
{
  FleetPlanContext context = { .include_unchanged = TRUE };

  g_return_val_if_fail (FLEET_IS_RECONCILER (self), NULL);
  g_return_val_if_fail (document != NULL, NULL);

  return fleet_plan_compute (self->state, document, &context);
}

/**
 * fleet_reconciler_watch_runtime_events:
 * @self: a #FleetReconciler
 *
 * React to containers that die as soon as the runtime reports it, instead
 * of at the next tick (still subject to the crash-loop backoff).
 *
 * Since: 0.2
 */
void
fleet_reconciler_watch_runtime_events (FleetReconciler *self)
{
  g_return_if_fail (FLEET_IS_RECONCILER (self));

  if (self->died_handler_id != 0)
    return;
  self->died_handler_id = g_signal_connect (self->runtime, "container-died",
                                            G_CALLBACK (on_container_died), self);
  fleet_container_runtime_watch_events (self->runtime);
}

/**
 * fleet_reconciler_get_runtime:
 * @self: a #FleetReconciler
 *
 * Returns: (transfer none): the runtime
 *
 * Since: 0.2
 */
FleetContainerRuntime *
fleet_reconciler_get_runtime (FleetReconciler *self)
{
  g_return_val_if_fail (FLEET_IS_RECONCILER (self), NULL);
  return self->runtime;
}

/**
 * fleet_reconciler_get_state:
 * @self: a #FleetReconciler
 *
 * Returns: (transfer none): the recorded state; read-only
 *
 * Since: 0.2
 */
FleetState *
fleet_reconciler_get_state (FleetReconciler *self)
{
  g_return_val_if_fail (FLEET_IS_RECONCILER (self), NULL);
  return self->state;
}

/**
 * fleet_reconciler_get_desired:
 * @self: a #FleetReconciler
 *
 * Returns: (transfer none) (nullable): the document being applied
 *
 * Since: 0.2
 */
FleetDocument *
fleet_reconciler_get_desired (FleetReconciler *self)
{
  g_return_val_if_fail (FLEET_IS_RECONCILER (self), NULL);
  return fleet_state_get_desired (self->state);
}

/**
 * fleet_reconciler_get_persist_error:
 * @self: a #FleetReconciler
 *
 * Returns: (nullable): why the state could not be saved the last time, or
 *   %NULL when it was
 *
 * Since: 0.2
 */
const char *
fleet_reconciler_get_persist_error (FleetReconciler *self)
{
  g_return_val_if_fail (FLEET_IS_RECONCILER (self), NULL);
  return self->persist_error;
}

/**
 * fleet_reconciler_get_phase:
 * @self: a #FleetReconciler
 *
 * The phase of the device as a whole, from its deployments' phases.
 *
 * Returns: the phase
 *
 * Since: 0.2
 */
FleetPhase
fleet_reconciler_get_phase (FleetReconciler *self)
{
  g_return_val_if_fail (FLEET_IS_RECONCILER (self), FLEET_PHASE_FAILED);
  return self->phase;
}

/**
 * fleet_reconciler_is_busy:
 * @self: a #FleetReconciler
 *
 * Whether a pass is running or about to.
 *
 * Returns: %TRUE while a pass runs or is requested
 *
 * Since: 0.2
 */
gboolean
fleet_reconciler_is_busy (FleetReconciler *self)
{
  g_return_val_if_fail (FLEET_IS_RECONCILER (self), FALSE);
  return self->passes_running > 0 || self->pass_requested;
}

/**
 * fleet_reconciler_set_retry_backoff:
 * @self: a #FleetReconciler
 * @initial_msecs: the delay after the first failure, in milliseconds
 * @max_msecs: the longest delay, in milliseconds
 *
 * The backoff for retrying failed deployments (default 2 s doubling to 5 min).
 *
 * Since: 0.2
 */
void
fleet_reconciler_set_retry_backoff (FleetReconciler *self, guint initial_msecs, guint max_msecs)
{
  g_return_if_fail (FLEET_IS_RECONCILER (self));

  fleet_restart_policy_set_retry_backoff (self->policy, initial_msecs, max_msecs);
}
