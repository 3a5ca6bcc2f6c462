/* fleet-reconciler.c: keep the runtime's containers as the desired document
 * says.
 *
 * All work happens in passes, one at a time, on the main context.  A pass
 * accepts the newest pending document (if any), asks the runtime for its
 * containers once, adopts labelled containers for services the agent has no
 * record of (after a lost state file), computes a plan (fleet-plan.c) and
 * executes it action by action, persisting the state after every change.
 * Applying a document, the liveness tick, retries after failures and
 * container-died events all just request a pass, so they can never race each
 * other; an idle pass costs the runtime a single request.
 *
 * Semantics (contract §2): container identity is the id the agent recorded.
 * A changed service is replaced by pulling its new image first, then stopping
 * the recorded container by id (gracefully: it was created with its stop
 * signal and grace period) and starting the new one.  A failure leaves the
 * deployment Failed and is retried with capped exponential backoff, always
 * towards the desired version: the old version is never started again.
 */
#include "config.h"

#include "fleet-backoff.h"
#include "fleet-reconciler.h"
#include "fleet-service-ops.h"
#include "fleet-util-private.h"

#define DEFAULT_RETRY_INITIAL_MSECS 2000
#define DEFAULT_RETRY_MAX_MSECS (5 * 60 * 1000)
#define RETRY_JITTER 0.1
/* Crash-loop backoff for restarting a dead container: the first restart is
 * immediate, then 1 s, 2 s, ... up to 5 min between restarts; a container
 * that stayed up for CRASH_RESET_USECS starts again from zero. */
#define CRASH_INITIAL_MSECS 1000
#define CRASH_MAX_MSECS (5 * 60 * 1000)
#define CRASH_RESET_USECS (10 * G_USEC_PER_SEC * 60)
#define RECHECK_AFTER_RESTART_USECS (5 * G_USEC_PER_SEC)

typedef struct
{
  FleetReconciler *self;
  FleetPlan *plan;
  guint next;
  GPtrArray *waiters;       /* GTask */
  GHashTable *failed;       /* deployments that failed in this pass */
  GHashTable *attempted;    /* deployments whose rollout ran in this pass */
  GHashTable *unhealthy;    /* deployments with a container found not running */
  GError *error;            /* why the pass could not run at all */
  GCancellable *cancellable; /* cancelled on shutdown: the list and pulls in flight */
  gboolean changed;
} Pass;

typedef struct
{
  FleetBackoff backoff;
  gint64 last_restart;
} CrashLoop;

struct _FleetReconciler
{
  GObject parent_instance;

  FleetContainerRuntime *runtime;
  char *state_dir;
  FleetState *state;
  FleetPhase phase;

  guint retry_initial_msecs;
  guint retry_max_msecs;
  GHashTable *backoffs;     /* deployment -> FleetBackoff */
  GHashTable *crash_loops;  /* "deployment/service" -> CrashLoop */

  Pass *pass;               /* in flight, or NULL */
  gboolean pass_requested;
  gboolean retry_now;
  guint start_idle_id;
  guint wakeup_id;
  gint64 wakeup_at;
  FleetDocument *pending_document;
  GPtrArray *waiters;       /* GTask, for the next pass */
  gboolean stopping;
  GPtrArray *shutdown_tasks;
  gulong died_handler_id;
  char *persist_error;      /* why the state could not be saved, or NULL */
};

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

static void request_pass (FleetReconciler *self);
static void run_next_action (Pass *pass);

/* Logging: one structured line per action. */

static void
log_action (const char *action, const char *deployment, const char *service,
            const char *container_id, const char *detail)
{
  g_autofree char *short_id = container_id ? g_strndup (container_id, 12) : NULL;

  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE,
                    "FLEET_ACTION", action,
                    "FLEET_DEPLOYMENT", deployment ? deployment : "",
                    "FLEET_SERVICE", service ? service : "",
                    "FLEET_CONTAINER_ID", container_id ? container_id : "",
                    "MESSAGE", "action=%s deployment=%s service=%s container=%s %s",
                    action, deployment ? deployment : "-", service ? service : "-",
                    short_id ? short_id : "-", detail ? detail : "");
}

/* State bookkeeping. */

static void
save_state (FleetReconciler *self)
{
  g_autoptr(GError) error = NULL;

  if (self->state_dir == NULL)
    return;
  if (fleet_state_save (self->state, self->state_dir, &error))
    {
      if (self->persist_error != NULL)
        log_action ("persist", NULL, NULL, NULL, "result=ok (recovered)");
      g_clear_pointer (&self->persist_error, g_free);
      return;
    }
  /* Logged once while it persists; reported in the status. */
  if (g_strcmp0 (self->persist_error, error->message) != 0)
    {
      g_autofree char *quoted = fleet_log_quote (error->message);
      g_autofree char *detail = g_strdup_printf ("result=error error=%s", quoted);

      log_action ("persist", NULL, NULL, NULL, detail);
      g_free (self->persist_error);
      self->persist_error = g_strdup (error->message);
    }
}

static void
touch (FleetDeploymentRecord *record)
{
  g_free (record->last_event_at);
  record->last_event_at = fleet_format_timestamp (NULL);
}

static void
set_phase (FleetReconciler *self, FleetDeploymentRecord *record, FleetPhase phase,
           const char *error_message)
{
  gboolean phase_changed = record->phase != phase;

  if (!phase_changed && g_strcmp0 (record->last_error, error_message) == 0)
    return;
  record->phase = phase;
  g_free (record->last_error);
  record->last_error = g_strdup (error_message);
  touch (record);
  if (phase_changed)
    g_signal_emit (self, signals[SIGNAL_DEPLOYMENT_PHASE_CHANGED], 0, record->name,
                   fleet_phase_to_string (phase));
}

static FleetPhase
compute_phase (FleetReconciler *self)
{
  GHashTableIter iter;
  FleetDeploymentRecord *record;
  FleetPhase phase = FLEET_PHASE_RUNNING;

  if (self->state->desired == NULL)
    return FLEET_PHASE_PENDING;
  g_hash_table_iter_init (&iter, self->state->deployments);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &record))
    {
      if (record->phase == FLEET_PHASE_FAILED)
        return FLEET_PHASE_FAILED;
      if (record->phase == FLEET_PHASE_PENDING)
        phase = FLEET_PHASE_PENDING;
    }
  return phase;
}

static void
update_phase (FleetReconciler *self)
{
  FleetPhase phase = compute_phase (self);

  if (phase != self->phase)
    {
      self->phase = phase;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PHASE]);
    }
}

static void
emit_changed (FleetReconciler *self)
{
  update_phase (self);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

/* Backoff bookkeeping. */

static FleetBackoff *
ensure_backoff (FleetReconciler *self, const char *deployment)
{
  FleetBackoff *backoff = g_hash_table_lookup (self->backoffs, deployment);

  if (backoff == NULL)
    {
      backoff = g_new0 (FleetBackoff, 1);
      fleet_backoff_init (backoff, self->retry_initial_msecs, self->retry_max_msecs,
                          RETRY_JITTER);
      g_hash_table_insert (self->backoffs, g_strdup (deployment), backoff);
    }
  return backoff;
}

static CrashLoop *
ensure_crash_loop (FleetReconciler *self, const char *deployment, const char *service)
{
  g_autofree char *key = g_strdup_printf ("%s/%s", deployment, service);
  CrashLoop *loop = g_hash_table_lookup (self->crash_loops, key);

  if (loop == NULL)
    {
      loop = g_new0 (CrashLoop, 1);
      fleet_backoff_init (&loop->backoff, CRASH_INITIAL_MSECS, CRASH_MAX_MSECS, 0);
      g_hash_table_insert (self->crash_loops, g_steal_pointer (&key), loop);
    }
  return loop;
}

static void
note_wakeup (FleetReconciler *self, gint64 at)
{
  if (self->wakeup_at == 0 || at < self->wakeup_at)
    self->wakeup_at = at;
}

static gboolean
skip_rollout (const char *deployment, const char *service, gpointer user_data)
{
  FleetReconciler *self = user_data;
  FleetBackoff *backoff = g_hash_table_lookup (self->backoffs, deployment);

  if (backoff == NULL || !fleet_backoff_is_waiting (backoff, g_get_monotonic_time ()))
    return FALSE;
  note_wakeup (self, backoff->next_at);
  return TRUE;
}

static gboolean
skip_restart (const char *deployment, const char *service, gpointer user_data)
{
  FleetReconciler *self = user_data;
  CrashLoop *loop = ensure_crash_loop (self, deployment, service);

  if (!fleet_backoff_is_waiting (&loop->backoff, g_get_monotonic_time ()))
    return FALSE;
  note_wakeup (self, loop->backoff.next_at);
  return TRUE;
}

static void
forget_crash_loop (FleetReconciler *self, const char *deployment, const char *service)
{
  g_autofree char *key = g_strdup_printf ("%s/%s", deployment, service);

  g_hash_table_remove (self->crash_loops, key);
}

static void
note_restart (FleetReconciler *self, const char *deployment, const char *service)
{
  CrashLoop *loop = ensure_crash_loop (self, deployment, service);
  gint64 now = g_get_monotonic_time ();

  if (loop->last_restart != 0 && now - loop->last_restart > CRASH_RESET_USECS)
    fleet_backoff_reset (&loop->backoff);
  loop->last_restart = now;
  fleet_backoff_failed (&loop->backoff, now);
}

/* Pass lifecycle. */

static void
pass_free (Pass *pass)
{
  g_clear_pointer (&pass->plan, fleet_plan_free);
  g_ptr_array_unref (pass->waiters);
  g_hash_table_unref (pass->failed);
  g_hash_table_unref (pass->attempted);
  g_hash_table_unref (pass->unhealthy);
  g_clear_error (&pass->error);
  g_clear_object (&pass->cancellable);
  g_object_unref (pass->self);
  g_free (pass);
}

static void
complete_waiters (GPtrArray *waiters, FleetPhase phase, const GError *error)
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

static void
fail_deployment (Pass *pass, const char *deployment, const char *message)
{
  FleetReconciler *self = pass->self;
  FleetDeploymentRecord *record = fleet_state_ensure_deployment (self->state, deployment);
  FleetBackoff *backoff = ensure_backoff (self, deployment);
  guint delay = fleet_backoff_failed (backoff, g_get_monotonic_time ());
  g_autofree char *quoted = fleet_log_quote (message);
  g_autofree char *detail = g_strdup_printf ("error=%s retry_in=%ums", quoted, delay);

  g_hash_table_add (pass->failed, g_strdup (deployment));
  set_phase (self, record, FLEET_PHASE_FAILED, message);
  log_action ("failed", deployment, NULL, NULL, detail);
  pass->changed = TRUE;
  save_state (self);
}

/* Phases of the deployments whose rollout ran without failure. */
static void
finalize_phases (Pass *pass)
{
  FleetReconciler *self = pass->self;
  FleetDocument *desired = self->state->desired;

  if (desired == NULL)
    return;
  for (guint i = 0; i < desired->deployments->len; i++)
    {
      FleetDeploymentSpec *deployment = desired->deployments->pdata[i];
      FleetDeploymentRecord *record;
      gboolean converged = TRUE;

      if (g_hash_table_contains (pass->failed, deployment->name)
          || g_hash_table_contains (pass->unhealthy, deployment->name)
          || !g_hash_table_contains (pass->attempted, deployment->name))
        continue;
      record = fleet_state_ensure_deployment (self->state, deployment->name);
      for (guint j = 0; j < deployment->services->len; j++)
        {
          FleetServiceSpec *spec = deployment->services->pdata[j];

          if (!fleet_service_record_is_converged (
                fleet_deployment_record_lookup_service (record, spec->name), spec))
            converged = FALSE;
        }
      if (converged && record->phase != FLEET_PHASE_RUNNING)
        {
          set_phase (self, record, FLEET_PHASE_RUNNING, NULL);
          log_action ("converged", deployment->name, NULL, NULL, NULL);
          pass->changed = TRUE;
        }
      if (converged)
        {
          FleetBackoff *backoff = g_hash_table_lookup (self->backoffs, deployment->name);

          if (backoff)
            fleet_backoff_reset (backoff);
        }
    }
}

static gboolean
on_wakeup (gpointer user_data)
{
  FleetReconciler *self = user_data;

  self->wakeup_id = 0;
  request_pass (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_wakeup (FleetReconciler *self)
{
  GHashTableIter iter;
  FleetBackoff *backoff;
  gint64 now = g_get_monotonic_time ();

  /* Failed deployments retry when their backoff is over, even if it is over
   * already (a slow pass can outlast a short backoff). */
  g_hash_table_iter_init (&iter, self->backoffs);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &backoff))
    if (backoff->next_at != 0)
      note_wakeup (self, backoff->next_at);

  g_clear_handle_id (&self->wakeup_id, g_source_remove);
  if (self->wakeup_at != 0 && !self->stopping)
    {
      gint64 delay_ms = MAX (0, (self->wakeup_at - now + 999) / 1000);

      self->wakeup_id = g_timeout_add_full (G_PRIORITY_DEFAULT, (guint) MIN (delay_ms, G_MAXUINT),
                                            on_wakeup, self, NULL);
    }
  self->wakeup_at = 0;
}

static void
finish_pass (Pass *pass)
{
  FleetReconciler *self = pass->self;
  g_autoptr(GPtrArray) shutdown_tasks = NULL;

  if (pass->error == NULL && !self->stopping)
    finalize_phases (pass);
  if (pass->changed)
    {
      save_state (self);
      emit_changed (self);
    }
  update_phase (self);
  self->pass = NULL;
  schedule_wakeup (self);

  if (self->stopping)
    {
      g_autoptr(GError) cancelled =
        g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "the agent is shutting down");

      complete_waiters (pass->waiters, self->phase, pass->error ? pass->error : cancelled);
      complete_waiters (self->waiters, self->phase, cancelled);
      shutdown_tasks = g_steal_pointer (&self->shutdown_tasks);
      self->shutdown_tasks = g_ptr_array_new_with_free_func (g_object_unref);
      for (guint i = 0; i < shutdown_tasks->len; i++)
        g_task_return_boolean (shutdown_tasks->pdata[i], TRUE);
    }
  else
    {
      complete_waiters (pass->waiters, self->phase, pass->error);
      if (self->pass_requested)
        request_pass (self);
    }
  pass_free (pass);
}

/* Actions. */

static void
record_container (Pass *pass, FleetPlanAction *action, const char *container_id,
                  const char *digest)
{
  FleetReconciler *self = pass->self;
  FleetDeploymentRecord *deployment =
    fleet_state_ensure_deployment (self->state, action->deployment);
  FleetServiceRecord *service = fleet_deployment_record_ensure_service (deployment,
                                                                        action->service);

  /* A container of another spec starts with a clean crash-loop record:
   * the old version's crashes say nothing about the new one. */
  if (g_strcmp0 (service->spec_digest, digest) != 0)
    forget_crash_loop (self, action->deployment, action->service);
  g_free (service->container_id);
  service->container_id = g_strdup (container_id);
  g_free (service->spec_digest);
  service->spec_digest = g_strdup (digest);
  touch (deployment);
  pass->changed = TRUE;
  save_state (self);
}

static void
forget_service (Pass *pass, FleetPlanAction *action)
{
  FleetReconciler *self = pass->self;
  FleetDeploymentRecord *record = fleet_state_lookup_deployment (self->state, action->deployment);

  if (record == NULL)
    return;
  g_hash_table_remove (record->services, action->service);
  forget_crash_loop (self, action->deployment, action->service);
  touch (record);
  if (g_hash_table_size (record->services) == 0 && self->state->desired
      && fleet_document_lookup_deployment (self->state->desired, action->deployment) == NULL)
    {
      fleet_state_remove_deployment (self->state, action->deployment);
      g_hash_table_remove (self->backoffs, action->deployment);
      log_action ("removed", action->deployment, NULL, NULL, "reason=\"dropped deployment\"");
    }
  pass->changed = TRUE;
  save_state (self);
}

static FleetPlanAction *
current_action (Pass *pass)
{
  return pass->plan->actions->pdata[pass->next - 1];
}

static void
on_orphan_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Pass *pass = user_data;
  FleetPlanAction *action = current_action (pass);
  g_autoptr(GError) error = NULL;

  if (!_fleet_service_stop_finish (FLEET_CONTAINER_RUNTIME (source), result, &error))
    {
      g_autofree char *quoted = fleet_log_quote (error->message);
      g_autofree char *detail = g_strdup_printf ("error=%s", quoted);

      log_action ("remove-orphan-failed", action->deployment, action->service,
                  action->container_id, detail);
    }
  run_next_action (pass);
}

static void
on_dropped_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Pass *pass = user_data;
  FleetPlanAction *action = current_action (pass);
  g_autoptr(GError) error = NULL;

  if (!_fleet_service_stop_finish (FLEET_CONTAINER_RUNTIME (source), result, &error))
    {
      g_autofree char *message = g_strdup_printf ("stopping dropped service %s: %s",
                                                  action->service, error->message);
      fail_deployment (pass, action->deployment, message);
    }
  else
    forget_service (pass, action);
  run_next_action (pass);
}

/* Whether @error only says that a shutdown cancelled the request (see
 * fleet_reconciler_shutdown_async()): that is no failure. */
static gboolean
cut_short_by_shutdown (Pass *pass, const GError *error)
{
  return pass->self->stopping && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
on_pulled (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Pass *pass = user_data;
  FleetPlanAction *action = current_action (pass);
  g_autoptr(GError) error = NULL;

  if (!fleet_container_runtime_pull_image_finish (FLEET_CONTAINER_RUNTIME (source), result,
                                                  &error))
    {
      g_autofree char *message = NULL;

      /* The deployment stays Pending; the next start pulls again. */
      if (cut_short_by_shutdown (pass, error))
        {
          log_action ("pull-cancelled", action->deployment, NULL, NULL, action->image);
          run_next_action (pass);
          return;
        }
      message = g_strdup_printf ("pulling %s: %s", action->image,
                                                  error->message);
      fail_deployment (pass, action->deployment, message);
    }
  run_next_action (pass);
}

static void
on_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Pass *pass = user_data;
  FleetPlanAction *action = current_action (pass);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = _fleet_service_start_finish (FLEET_CONTAINER_RUNTIME (source), result,
                                                     &error);

  if (id == NULL)
    {
      g_autofree char *message = g_strdup_printf ("starting %s (%s): %s", action->service,
                                                  action->image, error->message);
      fail_deployment (pass, action->deployment, message);
    }
  else
    {
      g_autofree char *detail = g_strdup_printf ("image=%s digest=%s", action->image,
                                                 action->spec->digest);

      record_container (pass, action, id, action->spec->digest);
      log_action ("started", action->deployment, action->service, id, detail);
    }
  run_next_action (pass);
}

static void
start_new_container (Pass *pass, FleetPlanAction *action)
{
  _fleet_service_start (pass->self->runtime, action->spec, NULL, on_started, pass);
}

static void
on_replaced_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Pass *pass = user_data;
  FleetPlanAction *action = current_action (pass);
  g_autoptr(GError) error = NULL;

  if (!_fleet_service_stop_finish (FLEET_CONTAINER_RUNTIME (source), result, &error))
    {
      g_autofree char *message = g_strdup_printf ("stopping old container of %s: %s",
                                                  action->service, error->message);
      fail_deployment (pass, action->deployment, message);
      run_next_action (pass);
      return;
    }
  log_action ("stopped", action->deployment, action->service, action->container_id,
              "reason=\"spec changed\"");
  /* The old container is gone: record that before starting the new one, so
   * that a crash in between never leaves a stale id behind. */
  record_container (pass, action, NULL, NULL);
  start_new_container (pass, action);
}

static void
on_ensured (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Pass *pass = user_data;
  FleetReconciler *self = pass->self;
  FleetPlanAction *action = current_action (pass);
  g_autoptr(GError) error = NULL;
  FleetLivenessAction what = FLEET_LIVENESS_NONE;
  g_autofree char *id = _fleet_service_ensure_running_finish (FLEET_CONTAINER_RUNTIME (source),
                                                              result, &what, &error);

  if (id == NULL)
    {
      g_autofree char *message = g_strdup_printf ("restarting %s: %s", action->service,
                                                  error->message);

      note_restart (self, action->deployment, action->service);
      fail_deployment (pass, action->deployment, message);
    }
  else if (what != FLEET_LIVENESS_NONE)
    {
      note_restart (self, action->deployment, action->service);
      record_container (pass, action, id, action->spec->digest);
      log_action (what == FLEET_LIVENESS_CREATED ? "recreated-missing" : "restarted",
                  action->deployment, action->service, id,
                  what == FLEET_LIVENESS_CREATED ? "reason=\"container was missing\""
                                                 : "reason=\"container was not running\"");
      /* Look again shortly: if it stays up, the deployment is Running
       * again then, not only at the next tick. */
      note_wakeup (self, g_get_monotonic_time () + RECHECK_AFTER_RESTART_USECS);
    }
  run_next_action (pass);
}

static gboolean
is_rollout_action (FleetPlanAction *action)
{
  return action->kind == FLEET_PLAN_STOP || action->kind == FLEET_PLAN_PULL
         || action->kind == FLEET_PLAN_START || action->kind == FLEET_PLAN_REPLACE;
}

static void
run_next_action (Pass *pass)
{
  FleetReconciler *self = pass->self;
  FleetPlanAction *action;

  while (TRUE)
    {
      /* On shutdown, finish the step in flight and stop there. */
      if (self->stopping || pass->next >= pass->plan->actions->len)
        {
          finish_pass (pass);
          return;
        }
      action = pass->plan->actions->pdata[pass->next++];
      if (action->deployment && is_rollout_action (action)
          && g_hash_table_contains (pass->failed, action->deployment))
        continue;
      /* Actions that need no runtime request. */
      if (action->kind == FLEET_PLAN_UNCHANGED)
        continue;
      if (action->kind == FLEET_PLAN_STOP && action->container_id == NULL)
        {
          forget_service (pass, action);
          continue;
        }
      break;
    }

  switch (action->kind)
    {
    case FLEET_PLAN_REMOVE_ORPHAN:
      log_action ("remove-orphan", action->deployment, action->service, action->container_id,
                  "reason=\"labelled container not recorded by the agent\"");
      _fleet_service_stop (self->runtime, action->container_id, NULL, on_orphan_stopped, pass);
      break;
    case FLEET_PLAN_STOP:
      log_action ("stop", action->deployment, action->service, action->container_id,
                  "reason=\"dropped from the document\"");
      _fleet_service_stop (self->runtime, action->container_id, NULL, on_dropped_stopped, pass);
      break;
    case FLEET_PLAN_PULL:
      log_action ("pull", action->deployment, NULL, NULL, action->image);
      fleet_container_runtime_pull_image (self->runtime, action->image, pass->cancellable,
                                          on_pulled, pass);
      break;
    case FLEET_PLAN_START:
      log_action ("start", action->deployment, action->service, NULL, "reason=\"new service\"");
      start_new_container (pass, action);
      break;
    case FLEET_PLAN_REPLACE:
      log_action ("replace", action->deployment, action->service, action->container_id,
                  "reason=\"spec changed\"");
      _fleet_service_stop (self->runtime, action->container_id, NULL, on_replaced_stopped, pass);
      break;
    case FLEET_PLAN_ENSURE_RUNNING:
      _fleet_service_ensure_running (self->runtime, action->spec, action->container_id, NULL,
                                     on_ensured, pass);
      break;
    case FLEET_PLAN_UNCHANGED:
    default:
      g_assert_not_reached ();
    }
}

/* After a lost state file: take over labelled containers for services with
 * no recorded container, preferring one created from the desired digest. */
static void
adopt_containers (Pass *pass, GPtrArray *containers)
{
  FleetReconciler *self = pass->self;
  FleetDocument *desired = self->state->desired;

  for (guint i = 0; desired && i < desired->deployments->len; i++)
    {
      FleetDeploymentSpec *deployment = desired->deployments->pdata[i];

      for (guint j = 0; j < deployment->services->len; j++)
        {
          FleetServiceSpec *spec = deployment->services->pdata[j];
          FleetDeploymentRecord *record = fleet_state_lookup_deployment (self->state,
                                                                         deployment->name);
          FleetServiceRecord *service =
            record ? fleet_deployment_record_lookup_service (record, spec->name) : NULL;
          FleetContainerInfo *best = NULL;
          int best_score = -1;

          if (service && service->container_id)
            continue;
          for (guint k = 0; k < containers->len; k++)
            {
              FleetContainerInfo *info = containers->pdata[k];
              int score;

              if (g_strcmp0 (info->deployment, deployment->name) != 0
                  || g_strcmp0 (info->service, spec->name) != 0
                  || fleet_state_has_container_id (self->state, info->id))
                continue;
              score = (g_strcmp0 (info->spec_digest, spec->digest) == 0 ? 2 : 0)
                      + (info->state == FLEET_CONTAINER_STATE_RUNNING ? 1 : 0);
              if (score > best_score)
                best = info, best_score = score;
            }
          if (best == NULL)
            continue;
          record = fleet_state_ensure_deployment (self->state, deployment->name);
          service = fleet_deployment_record_ensure_service (record, spec->name);
          g_free (service->container_id);
          service->container_id = g_strdup (best->id);
          g_free (service->spec_digest);
          service->spec_digest = g_strdup (best->spec_digest);
          touch (record);
          pass->changed = TRUE;
          log_action ("adopted", deployment->name, spec->name, best->id,
                      g_strcmp0 (best->spec_digest, spec->digest) == 0
                        ? "reason=\"labelled with the desired digest\""
                        : "reason=\"labelled container of an older spec\"");
        }
    }
  if (pass->changed)
    save_state (self);
}

/* The deployments whose rollout this pass will attempt; a retry that is
 * due is consumed here (a new failure schedules the next one). */
static void
note_attempted (Pass *pass)
{
  FleetReconciler *self = pass->self;
  g_autoptr(GPtrArray) recorded = fleet_state_get_deployment_names (self->state);
  FleetDocument *desired = self->state->desired;
  GHashTableIter iter;
  gpointer name;
  FleetBackoff *backoff;

  for (guint i = 0; desired && i < desired->deployments->len; i++)
    {
      FleetDeploymentSpec *deployment = desired->deployments->pdata[i];

      if (!skip_rollout (deployment->name, NULL, self))
        g_hash_table_add (pass->attempted, g_strdup (deployment->name));
    }
  for (guint i = 0; i < recorded->len; i++)
    if (!skip_rollout (recorded->pdata[i], NULL, self))
      g_hash_table_add (pass->attempted, g_strdup (recorded->pdata[i]));

  g_hash_table_iter_init (&iter, self->backoffs);
  while (g_hash_table_iter_next (&iter, &name, (gpointer *) &backoff))
    if (g_hash_table_contains (pass->attempted, name))
      backoff->next_at = 0;
}

/* The runtime could not be asked: whatever was due to be rolled out (or
 * retried) has failed again and backs off further; what was running is left
 * as it was recorded. */
static void
fail_pending_deployments (Pass *pass)
{
  FleetReconciler *self = pass->self;
  g_autoptr(GPtrArray) names = fleet_state_get_deployment_names (self->state);
  g_autofree char *message = g_strdup_printf ("container runtime: %s", pass->error->message);

  for (guint i = 0; i < names->len; i++)
    {
      FleetDeploymentRecord *record = fleet_state_lookup_deployment (self->state,
                                                                     names->pdata[i]);

      if (record->phase != FLEET_PHASE_RUNNING && !skip_rollout (record->name, NULL, self))
        fail_deployment (pass, record->name, message);
    }
}

/* Running means every service running at its desired digest: a service
 * whose recorded container is found exited or missing makes its deployment
 * Failed, even though this pass starts it again, until a later pass finds
 * it up — so that a crash loop never looks healthy. */
static void
note_dead_containers (Pass *pass, GPtrArray *containers)
{
  FleetReconciler *self = pass->self;
  FleetDocument *desired = self->state->desired;
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < containers->len; i++)
    g_hash_table_insert (by_id, ((FleetContainerInfo *) containers->pdata[i])->id,
                         containers->pdata[i]);
  for (guint i = 0; desired && i < desired->deployments->len; i++)
    {
      FleetDeploymentSpec *deployment = desired->deployments->pdata[i];
      FleetDeploymentRecord *record = fleet_state_lookup_deployment (self->state,
                                                                     deployment->name);

      for (guint j = 0; record && j < deployment->services->len; j++)
        {
          FleetServiceSpec *spec = deployment->services->pdata[j];
          FleetServiceRecord *service = fleet_deployment_record_lookup_service (record,
                                                                                spec->name);
          FleetContainerInfo *info;
          g_autofree char *message = NULL;

          if (!fleet_service_record_is_converged (service, spec))
            continue;
          info = g_hash_table_lookup (by_id, service->container_id);
          if (info && info->state == FLEET_CONTAINER_STATE_RUNNING)
            continue;
          message = info ? g_strdup_printf ("%s: container %.12s is not running (%s, exit code %d)",
                                            spec->name, info->id,
                                            fleet_container_state_to_string (info->state),
                                            info->exit_code)
                         : g_strdup_printf ("%s: container %.12s is missing", spec->name,
                                            service->container_id);
          g_hash_table_add (pass->unhealthy, g_strdup (deployment->name));
          if (record->phase != FLEET_PHASE_FAILED)
            {
              g_autofree char *quoted = fleet_log_quote (message);
              g_autofree char *detail = g_strdup_printf ("reason=%s", quoted);

              set_phase (self, record, FLEET_PHASE_FAILED, message);
              log_action ("unhealthy", deployment->name, spec->name, service->container_id,
                          detail);
              pass->changed = TRUE;
            }
        }
    }
}

static void
on_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Pass *pass = user_data;
  FleetReconciler *self = pass->self;
  g_autoptr(GPtrArray) containers = NULL;
  FleetPlanContext context = { 0, };

  containers = fleet_container_runtime_list_finish (FLEET_CONTAINER_RUNTIME (source), result,
                                                    &pass->error);
  if (containers == NULL)
    {
      g_autofree char *quoted = fleet_log_quote (pass->error->message);
      g_autofree char *detail = g_strdup_printf ("error=%s", quoted);

      /* the pass did nothing */
      if (!cut_short_by_shutdown (pass, pass->error))
        {
          log_action ("list-failed", NULL, NULL, NULL, detail);
          fail_pending_deployments (pass);
        }
      finish_pass (pass);
      return;
    }
  adopt_containers (pass, containers);
  note_dead_containers (pass, containers);
  note_attempted (pass);
  context.containers = containers;
  context.skip_rollout = skip_rollout;
  context.skip_restart = skip_restart;
  context.user_data = self;
  pass->plan = fleet_plan_compute (self->state, self->state->desired, &context);
  run_next_action (pass);
}

/* Make @document the desired one: persist it, and mark the deployments it
 * changes Pending with a fresh backoff. */
static void
accept_document (FleetReconciler *self, FleetDocument *document)
{
  FleetDocument *old = self->state->desired;

  for (guint i = 0; i < document->deployments->len; i++)
    {
      FleetDeploymentSpec *deployment = document->deployments->pdata[i];
      FleetDeploymentRecord *record = fleet_state_lookup_deployment (self->state,
                                                                     deployment->name);
      FleetDeploymentSpec *before = old ? fleet_document_lookup_deployment (old, deployment->name)
                                        : NULL;
      gboolean changed = before == NULL || before->services->len != deployment->services->len;

      for (guint j = 0; !changed && j < deployment->services->len; j++)
        {
          FleetServiceSpec *spec = deployment->services->pdata[j];
          FleetServiceSpec *prev = fleet_deployment_spec_lookup_service (before, spec->name);

          changed = prev == NULL || !g_str_equal (prev->digest, spec->digest);
        }
      if (record != NULL && !changed)
        continue;
      g_hash_table_remove (self->backoffs, deployment->name);
      if (record == NULL)
        {
          record = fleet_state_ensure_deployment (self->state, deployment->name);
          touch (record);
          g_signal_emit (self, signals[SIGNAL_DEPLOYMENT_PHASE_CHANGED], 0, record->name,
                         fleet_phase_to_string (record->phase));
        }
      set_phase (self, record, FLEET_PHASE_PENDING, NULL);
    }
  /* A newer document ends the retries of what it drops: it is stopped now,
   * not when its old backoff runs out. */
  {
    g_autoptr(GPtrArray) recorded = fleet_state_get_deployment_names (self->state);

    for (guint i = 0; i < recorded->len; i++)
      if (fleet_document_lookup_deployment (document, recorded->pdata[i]) == NULL)
        g_hash_table_remove (self->backoffs, recorded->pdata[i]);
  }
  if (document->generation > self->state->generation)
    self->state->generation = document->generation;
  self->state->desired = fleet_document_ref (document);
  g_clear_pointer (&old, fleet_document_unref);
  log_action ("accept", NULL, NULL, NULL, document->digest);
  save_state (self);
  emit_changed (self);
}

static gboolean
start_pass (gpointer user_data)
{
  FleetReconciler *self = user_data;
  Pass *pass;

  self->start_idle_id = 0;
  if (self->pass != NULL || self->stopping)
    return G_SOURCE_REMOVE;

  pass = g_new0 (Pass, 1);
  pass->self = g_object_ref (self);
  pass->waiters = g_steal_pointer (&self->waiters);
  pass->failed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  pass->attempted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  pass->unhealthy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  pass->cancellable = g_cancellable_new ();
  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->pass = pass;
  self->pass_requested = FALSE;

  if (self->pending_document)
    {
      g_autoptr(FleetDocument) document = g_steal_pointer (&self->pending_document);

      accept_document (self, document);
    }
  if (self->retry_now)
    {
      GHashTableIter iter;
      CrashLoop *loop;

      self->retry_now = FALSE;
      g_hash_table_remove_all (self->backoffs);
      g_hash_table_iter_init (&iter, self->crash_loops);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &loop))
        loop->backoff.next_at = 0;
    }
  fleet_container_runtime_list (self->runtime, FLEET_LABEL_DEPLOYMENT, pass->cancellable,
                                on_listed, pass);
  return G_SOURCE_REMOVE;
}

static void
request_pass (FleetReconciler *self)
{
  if (self->stopping)
    return;
  self->pass_requested = TRUE;
  if (self->pass == NULL && self->start_idle_id == 0)
    self->start_idle_id = g_idle_add (start_pass, self);
}

/* Public API. */

static void
fleet_reconciler_init (FleetReconciler *self)
{
  self->state = fleet_state_new ();
  self->phase = FLEET_PHASE_PENDING;
  self->retry_initial_msecs = DEFAULT_RETRY_INITIAL_MSECS;
  self->retry_max_msecs = DEFAULT_RETRY_MAX_MSECS;
  self->backoffs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->crash_loops = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->shutdown_tasks = g_ptr_array_new_with_free_func (g_object_unref);
}

static gboolean
is_being_stopped (FleetReconciler *self, const char *container_id)
{
  FleetPlanAction *action;

  if (self->pass == NULL || self->pass->plan == NULL || self->pass->next == 0)
    return FALSE;
  action = current_action (self->pass);
  return (action->kind == FLEET_PLAN_REPLACE || action->kind == FLEET_PLAN_STOP
          || action->kind == FLEET_PLAN_REMOVE_ORPHAN)
         && g_strcmp0 (action->container_id, container_id) == 0;
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
      || is_being_stopped (self, container_id))
    return;
  log_action ("died", deployment, service, container_id, "reason=\"runtime event\"");
  request_pass (self);
}

static void
fleet_reconciler_dispose (GObject *object)
{
  FleetReconciler *self = FLEET_RECONCILER (object);

  g_clear_handle_id (&self->start_idle_id, g_source_remove);
  g_clear_handle_id (&self->wakeup_id, g_source_remove);
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
  g_hash_table_unref (self->backoffs);
  g_hash_table_unref (self->crash_loops);
  g_ptr_array_unref (self->waiters);
  g_ptr_array_unref (self->shutdown_tasks);
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
 */
FleetReconciler *
fleet_reconciler_new (FleetContainerRuntime *runtime, const char *state_dir)
{
  g_return_val_if_fail (FLEET_IS_CONTAINER_RUNTIME (runtime), NULL);

  return g_object_new (FLEET_TYPE_RECONCILER, "runtime", runtime, "state-dir", state_dir, NULL);
}

/**
 * fleet_reconciler_load_state:
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
 */
gboolean
fleet_reconciler_load_state (FleetReconciler *self, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  FleetState *state;

  g_return_val_if_fail (FLEET_IS_RECONCILER (self), FALSE);
  g_return_val_if_fail (self->pass == NULL, FALSE);

  if (self->state_dir == NULL)
    return TRUE;
  state = fleet_state_load (self->state_dir, &local_error);
  if (state == NULL && g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    return TRUE;
  if (state == NULL)
    /* the records are lost, the document need not be */
    state = fleet_state_load_document (self->state_dir, NULL);
  if (state != NULL)
    {
      fleet_state_free (self->state);
      self->state = state;
      update_phase (self);
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
 *
 * Check that @document may be applied after what was applied before: its
 * generation must not be lower than the highest one applied.
 *
 * Returns: FALSE with FLEET_ERROR_GENERATION_BACKWARDS otherwise
 */
gboolean
fleet_reconciler_check_document (FleetReconciler *self, FleetDocument *document, GError **error)
{
  gint64 high;

  g_return_val_if_fail (FLEET_IS_RECONCILER (self), FALSE);
  g_return_val_if_fail (document != NULL, FALSE);

  high = self->state->generation;

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
 * @document: (nullable): the new desired document, or %NULL to reconcile
 *   towards the current one
 * @flags: %FLEET_APPLY_FLAGS_RETRY_NOW not to wait out failure backoffs
 *
 * Apply @document.  A document with the same canonical bytes as the current
 * one changes nothing and costs no runtime call.  Completes when the pass
 * that applies it has finished, with the aggregate phase.
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
  current = self->pending_document ? self->pending_document : self->state->desired;
  if (document != NULL && current != NULL && fleet_document_equal (document, current))
    document = NULL;
  else if (document != NULL && !fleet_reconciler_check_document (self, document, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (document == NULL && !(flags & FLEET_APPLY_FLAGS_RETRY_NOW) && self->pass == NULL
      && !self->pass_requested && current != NULL)
    {
      /* Unchanged: nothing to do, nothing to ask the runtime. */
      g_task_return_int (task, self->phase);
      return;
    }
  if (document != NULL)
    {
      g_clear_pointer (&self->pending_document, fleet_document_unref);
      self->pending_document = fleet_document_ref (document);
    }
  if (flags & FLEET_APPLY_FLAGS_RETRY_NOW)
    self->retry_now = TRUE;
  g_ptr_array_add (self->waiters, g_steal_pointer (&task));
  request_pass (self);
}

/**
 * fleet_reconciler_apply_finish:
 * @out_phase: (out) (optional): the aggregate phase after the pass
 *
 * Returns: FALSE with the error when the document was refused (generation
 *   went backwards), the runtime could not be reached, or the agent is
 *   shutting down
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
 *
 * The liveness tick: a running container is left alone, a stopped one is
 * started again, a missing one created; orphans are removed, and failed
 * deployments whose backoff is over are retried.  When nothing needs doing it
 * costs one runtime request.
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
  request_pass (self);
}

gboolean
fleet_reconciler_tick_finish (FleetReconciler *self, GAsyncResult *result, FleetPhase *out_phase,
                              GError **error)
{
  return fleet_reconciler_apply_finish (self, result, out_phase, error);
}

/**
 * fleet_reconciler_shutdown_async:
 *
 * Let the action in flight finish, persist, and do nothing more.  Containers
 * are left running.  Only what changes nothing is cut short: listing the
 * containers, and pulling an image, which can take minutes; a deployment
 * whose pull was cancelled stays Pending.  Creating, starting and stopping
 * a container run to their end, a graceful stop with its grace period.
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
  if (self->pass != NULL)
    {
      g_autoptr(GCancellable) in_flight = g_object_ref (self->pass->cancellable);

      g_ptr_array_add (self->shutdown_tasks, g_steal_pointer (&task));
      g_cancellable_cancel (in_flight);
      return;
    }
  {
    g_autoptr(GError) cancelled =
      g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "the agent is shutting down");

    complete_waiters (self->waiters, self->phase, cancelled);
  }
  save_state (self);
  g_task_return_boolean (task, TRUE);
}

gboolean
fleet_reconciler_shutdown_finish (FleetReconciler *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * fleet_reconciler_plan:
 * @document: a candidate document (already validated)
 *
 * A dry run: what applying @document would start, replace and stop, from
 * the recorded state alone.  Changes nothing and asks the runtime nothing.
 *
 * Returns: (transfer full): the plan, with UNCHANGED entries included
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
 *
 * React to containers that die as soon as the runtime reports it, instead
 * of at the next tick (still subject to the crash-loop backoff).
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
 *
 * Returns: (transfer none): the runtime
 */
FleetContainerRuntime *
fleet_reconciler_get_runtime (FleetReconciler *self)
{
  g_return_val_if_fail (FLEET_IS_RECONCILER (self), NULL);
  return self->runtime;
}

/**
 * fleet_reconciler_get_state:
 *
 * Returns: (transfer none): the recorded state; read-only
 */
FleetState *
fleet_reconciler_get_state (FleetReconciler *self)
{
  g_return_val_if_fail (FLEET_IS_RECONCILER (self), NULL);
  return self->state;
}

/**
 * fleet_reconciler_get_desired:
 *
 * Returns: (transfer none) (nullable): the document being applied
 */
FleetDocument *
fleet_reconciler_get_desired (FleetReconciler *self)
{
  g_return_val_if_fail (FLEET_IS_RECONCILER (self), NULL);
  return self->state->desired;
}

/**
 * fleet_reconciler_get_persist_error:
 *
 * Returns: (nullable): why the state could not be saved the last time, or
 *   %NULL when it was
 */
const char *
fleet_reconciler_get_persist_error (FleetReconciler *self)
{
  g_return_val_if_fail (FLEET_IS_RECONCILER (self), NULL);
  return self->persist_error;
}

FleetPhase
fleet_reconciler_get_phase (FleetReconciler *self)
{
  g_return_val_if_fail (FLEET_IS_RECONCILER (self), FLEET_PHASE_FAILED);
  return self->phase;
}

/* Whether a pass is running or about to. */
gboolean
fleet_reconciler_is_busy (FleetReconciler *self)
{
  g_return_val_if_fail (FLEET_IS_RECONCILER (self), FALSE);
  return self->pass != NULL || self->pass_requested;
}

/**
 * fleet_reconciler_set_retry_backoff:
 *
 * The backoff for retrying failed deployments (default 2 s doubling to 5 min).
 */
void
fleet_reconciler_set_retry_backoff (FleetReconciler *self, guint initial_msecs, guint max_msecs)
{
  g_return_if_fail (FLEET_IS_RECONCILER (self));

  self->retry_initial_msecs = initial_msecs;
  self->retry_max_msecs = max_msecs;
  g_hash_table_remove_all (self->backoffs);
}
