/* fleetd-agent.c: what fleetd does, without the process around it (options,
 * D-Bus, signals), so that tests can drive it directly.
 *
 * Work happens in *cycles*, one at a time: fetch the source; when the
 * document is not modified, stop there (no parsing, no runtime work);
 * otherwise parse and validate it, check its generation, and hand it to the
 * reconciler; when the reconciler has accepted it, commit its validator to
 * the source so that the next fetch of the same version is "not modified".
 * A cycle runs every poll interval, and on demand (`fleetctl reconcile`),
 * which also retries failed deployments now; a demand during a cycle gets
 * the next one, so it always sees a fresh fetch.
 *
 * A failed fetch, an invalid document or a generation that went backwards
 * changes nothing that runs: the reconciler keeps the last applied document.
 * The failure is logged once (not at every retry while it persists), shown
 * in last_fetch, and the source is retried with capped exponential backoff
 * with jitter instead of the poll interval until a fetch succeeds.
 *
 * Besides cycles: at start, a recovery pass carries on from the persisted
 * state (even when the source is unreachable); a liveness tick every tick
 * interval; and runtime events, so that a container that dies is started
 * again at once (the reconciler applies the crash-loop backoff).
 */
#include "config.h"

#include "fleetd-agent.h"
#include "fleet-util-private.h"
#include "fleetd-log.h"

#define FETCH_RETRY_JITTER 0.2
/* `fleetd --once` reconciles until converged or failed; a pass normally
 * ends there, this bounds the passes that end Pending. */
#define ONCE_MAX_PASSES 5
/* ... and, once Running, looks again after this long before it says so. */
#define ONCE_SETTLE_SECS 2

typedef struct
{
  FleetdAgent *self;
  FleetApplyFlags flags;
  GPtrArray *waiters; /* GTask */
  FleetDocument *document;
  char *validator;
} Cycle;

struct _FleetdAgent
{
  GObject parent_instance;

  FleetReconciler *reconciler;
  FleetSource *source;
  FleetDocumentVerifier *verifier;
  char *device_id;
  FleetLimits limits;
  guint poll_secs;
  guint tick_secs;

  FleetFetchStatus last_fetch;
  FleetBackoff fetch_backoff;
  char *logged_fetch_error;

  GCancellable *cancellable;
  Cycle *cycle;               /* in flight, or NULL */
  gboolean next_requested;
  FleetApplyFlags next_flags;
  GPtrArray *next_waiters;    /* GTask, for the next cycle */
  guint poll_id;
  guint tick_id;
  gboolean started;           /* polling, as opposed to --once */
  gboolean stopping;
};

enum
{
  SIGNAL_CHANGED,
  SIGNAL_FETCHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (FleetdAgent, fleetd_agent, G_TYPE_OBJECT)

static void start_cycle (FleetdAgent *self);


static void
complete_tasks (GPtrArray *tasks, FleetPhase phase, const GError *error)
{
  for (guint i = 0; i < tasks->len; i++)
    {
      if (error)
        g_task_return_error (tasks->pdata[i], g_error_copy (error));
      else
        g_task_return_int (tasks->pdata[i], phase);
    }
  g_ptr_array_set_size (tasks, 0);
}

static void
cycle_free (Cycle *cycle)
{
  g_ptr_array_unref (cycle->waiters);
  g_clear_pointer (&cycle->document, fleet_document_unref);
  g_free (cycle->validator);
  g_object_unref (cycle->self);
  g_free (cycle);
}

static void
on_reconciler_changed (FleetReconciler *reconciler, gpointer user_data)
{
  g_signal_emit (user_data, signals[SIGNAL_CHANGED], 0);
}

static void
fleetd_agent_dispose (GObject *object)
{
  FleetdAgent *self = FLEETD_AGENT (object);

  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  if (self->reconciler)
    g_signal_handlers_disconnect_by_data (self->reconciler, self);
  g_clear_object (&self->reconciler);
  g_clear_object (&self->source);
  g_clear_object (&self->verifier);
  G_OBJECT_CLASS (fleetd_agent_parent_class)->dispose (object);
}

static void
fleetd_agent_finalize (GObject *object)
{
  FleetdAgent *self = FLEETD_AGENT (object);

  g_free (self->device_id);
  fleet_fetch_status_clear (&self->last_fetch);
  g_free (self->logged_fetch_error);
  g_object_unref (self->cancellable);
  g_ptr_array_unref (self->next_waiters);
  G_OBJECT_CLASS (fleetd_agent_parent_class)->finalize (object);
}

static void
fleetd_agent_class_init (FleetdAgentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fleetd_agent_dispose;
  object_class->finalize = fleetd_agent_finalize;

  /**
   * FleetdAgent::changed:
   *
   * The status document changed in a way worth reporting: the reconciler's
   * state, or the result (not just the time) of the last fetch.
   */
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * FleetdAgent::fetched:
   *
   * A fetch completed (last_fetch was updated, if only its time).
   */
  signals[SIGNAL_FETCHED] = g_signal_new ("fetched", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
fleetd_agent_init (FleetdAgent *self)
{
  self->poll_secs = 30;
  self->tick_secs = 30;
  self->cancellable = g_cancellable_new ();
  self->next_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->verifier = fleet_document_verifier_new_unchecked ();
  fleet_backoff_init (&self->fetch_backoff, FLEETD_FETCH_RETRY_INITIAL_MSECS,
                      FLEETD_FETCH_RETRY_MAX_MSECS, FETCH_RETRY_JITTER);
}

/**
 * fleetd_agent_new:
 * @limits: (nullable): the limits documents are validated with
 *
 * Returns: (transfer full): an agent; nothing happens before
 *   fleetd_agent_start(), fleetd_agent_reconcile_async() or
 *   fleetd_agent_run_once_async()
 */
FleetdAgent *
fleetd_agent_new (FleetReconciler *reconciler, FleetSource *source, const char *device_id,
                  const FleetLimits *limits)
{
  FleetdAgent *self;

  g_return_val_if_fail (FLEET_IS_RECONCILER (reconciler), NULL);
  g_return_val_if_fail (FLEET_IS_SOURCE (source), NULL);
  g_return_val_if_fail (device_id != NULL, NULL);

  self = g_object_new (FLEETD_TYPE_AGENT, NULL);
  self->reconciler = g_object_ref (reconciler);
  self->source = g_object_ref (source);
  self->device_id = g_strdup (device_id);
  if (limits)
    self->limits = *limits;
  else
    fleet_limits_init_default (&self->limits);
  g_signal_connect (reconciler, "changed", G_CALLBACK (on_reconciler_changed), self);
  return self;
}

void
fleetd_agent_set_intervals (FleetdAgent *self, guint poll_secs, guint tick_secs)
{
  g_return_if_fail (FLEETD_IS_AGENT (self));

  self->poll_secs = MAX (poll_secs, 1);
  self->tick_secs = MAX (tick_secs, 1);
}

/* Signed documents: every fetched document (and every plan) goes through
 * @verifier first (by default one that requires no signature). */
void
fleetd_agent_set_verifier (FleetdAgent *self, FleetDocumentVerifier *verifier)
{
  g_return_if_fail (FLEETD_IS_AGENT (self));
  g_return_if_fail (FLEET_IS_DOCUMENT_VERIFIER (verifier));

  g_set_object (&self->verifier, verifier);
}

/* How failed fetches are retried (default 1 s doubling to 5 min). */
void
fleetd_agent_set_fetch_backoff (FleetdAgent *self, guint initial_msecs, guint max_msecs)
{
  g_return_if_fail (FLEETD_IS_AGENT (self));

  fleet_backoff_init (&self->fetch_backoff, initial_msecs, max_msecs, FETCH_RETRY_JITTER);
}

/* Fetch bookkeeping. */

static void
record_fetch (FleetdAgent *self, const char *result, const char *error_message)
{
  gboolean changed = g_strcmp0 (self->last_fetch.result, result) != 0
                     || g_strcmp0 (self->last_fetch.error, error_message) != 0;

  fleet_fetch_status_set (&self->last_fetch, result, error_message);
  g_signal_emit (self, signals[SIGNAL_FETCHED], 0);
  if (changed)
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

/* The error a fetch failed with, as reported to callers: in FLEET_ERROR,
 * so that it crosses D-Bus with a dev.fleet.Error name. */
static GError *
normalize_fetch_error (FleetdAgent *self, const GError *error)
{
  if (error->domain == FLEET_ERROR)
    return g_error_copy (error);
  return g_error_new (FLEET_ERROR, FLEET_ERROR_FETCH_FAILED, "%s: %s",
                      fleet_source_get_uri (self->source), error->message);
}

static void
note_fetch_failed (FleetdAgent *self, const GError *error)
{
  guint delay = MIN (fleet_backoff_failed (&self->fetch_backoff, g_get_monotonic_time ()),
                     self->poll_secs * 1000);
  GLogLevelFlags level = G_LOG_LEVEL_MESSAGE;
  g_autofree char *quoted = NULL;

  /* Logged once with its cause; the same error again is only debug noise. */
  if (g_strcmp0 (self->logged_fetch_error, error->message) == 0)
    level = G_LOG_LEVEL_DEBUG;
  quoted = fleet_log_quote (error->message);
  if (self->started)
    fleetd_log_event (level, "fetch",
                      "source=%s result=error error=%s retry_in=%ums (running containers are "
                      "left as they are%s)",
                      fleet_source_get_uri (self->source), quoted, delay,
                      level == G_LOG_LEVEL_DEBUG ? "" : "; not logged again while it persists");
  else
    fleetd_log_event (level, "fetch",
                      "source=%s result=error error=%s (running containers are left as they are)",
                      fleet_source_get_uri (self->source), quoted);
  g_free (self->logged_fetch_error);
  self->logged_fetch_error = g_strdup (error->message);
  record_fetch (self, "error", error->message);
}

static void
note_fetch_succeeded (FleetdAgent *self, const char *result, FleetDocument *document)
{
  FleetDocument *current = fleet_reconciler_get_desired (self->reconciler);
  gboolean is_new = document != NULL
                    && (current == NULL || !fleet_document_equal (document, current));
  GLogLevelFlags level = is_new ? G_LOG_LEVEL_MESSAGE : G_LOG_LEVEL_DEBUG;

  if (self->logged_fetch_error != NULL)
    level = G_LOG_LEVEL_MESSAGE;
  if (document != NULL)
    fleetd_log_event (level, "fetch",
                      "source=%s result=%s generation=%" G_GINT64_FORMAT " digest=%s%s%s",
                      fleet_source_get_uri (self->source), result, document->generation,
                      document->digest, is_new ? " (new document)" : "",
                      self->logged_fetch_error ? " (recovered)" : "");
  else
    fleetd_log_event (level, "fetch", "source=%s result=%s%s", fleet_source_get_uri (self->source),
                      result, self->logged_fetch_error ? " (recovered)" : "");
  g_clear_pointer (&self->logged_fetch_error, g_free);
  fleet_backoff_reset (&self->fetch_backoff);
  record_fetch (self, result, NULL);
}

/* Cycles. */

static gboolean
on_poll (gpointer user_data)
{
  FleetdAgent *self = user_data;

  self->poll_id = 0;
  self->next_requested = TRUE;
  start_cycle (self);
  return G_SOURCE_REMOVE;
}

/* The next poll: the poll interval, or the fetch backoff while failing —
 * which retries sooner at first, but never later than the poll interval:
 * a fixed document is picked up as soon as a working one would be. */
static void
schedule_poll (FleetdAgent *self)
{
  gint64 now = g_get_monotonic_time ();
  guint delay_msecs = self->poll_secs * 1000;

  g_clear_handle_id (&self->poll_id, g_source_remove);
  if (self->stopping)
    return;
  if (fleet_backoff_is_waiting (&self->fetch_backoff, now))
    delay_msecs = (guint) MIN ((self->fetch_backoff.next_at - now + 999) / 1000,
                               (gint64) delay_msecs);
  self->poll_id = g_timeout_add (delay_msecs, on_poll, self);
}

static void
finish_cycle (Cycle *cycle, FleetPhase phase, const GError *error)
{
  FleetdAgent *self = cycle->self;

  self->cycle = NULL;
  complete_tasks (cycle->waiters, phase, error);
  if (self->next_requested && !self->stopping)
    start_cycle (self);
  else if (self->started)
    schedule_poll (self);
  cycle_free (cycle);
}

static void
fail_cycle (Cycle *cycle, const GError *error)
{
  FleetdAgent *self = cycle->self;
  g_autoptr(GError) reply = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      finish_cycle (cycle, fleet_reconciler_get_phase (self->reconciler), error);
      return;
    }
  reply = normalize_fetch_error (self, error);
  note_fetch_failed (self, reply);
  finish_cycle (cycle, fleet_reconciler_get_phase (self->reconciler), reply);
}

static void
on_applied (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Cycle *cycle = user_data;
  FleetdAgent *self = cycle->self;
  g_autoptr(GError) error = NULL;
  FleetPhase phase = fleet_reconciler_get_phase (self->reconciler);
  FleetDocument *desired = fleet_reconciler_get_desired (self->reconciler);

  fleet_reconciler_apply_finish (self->reconciler, result, &phase, &error);
  /* Once the reconciler holds the document (even if the runtime could not
   * be reached yet), the same version need not be fetched again. */
  if (cycle->document != NULL && desired != NULL
      && fleet_document_equal (cycle->document, desired))
    fleet_source_commit (self->source, cycle->validator);
  finish_cycle (cycle, phase, error);
}

static void
apply (Cycle *cycle)
{
  fleet_reconciler_apply_async (cycle->self->reconciler, cycle->document, cycle->flags,
                                NULL, on_applied, cycle);
}

/* From now on nothing issued before @document is accepted. */
static void
remember_accepted (FleetdAgent *self, FleetDocument *document, const char *signed_by)
{
  g_autoptr(GError) error = NULL;

  if (!fleet_document_verifier_accept (self->verifier, document, signed_by, &error))
    {
      g_autofree char *quoted = fleet_log_quote (error->message);

      fleetd_log_event (G_LOG_LEVEL_WARNING, "signature", "result=error error=%s", quoted);
    }
}

/* Validation is atomic: a document that fails any check (its signature
 * included) is not applied at all, and what runs is left as it is. */
static void
handle_document (Cycle *cycle, FleetDocument *document, const char *signed_by,
                 const GError *open_error)
{
  FleetdAgent *self = cycle->self;
  g_autoptr(GError) error = NULL;

  if (open_error != NULL
      || !fleet_reconciler_check_document (self->reconciler, document, &error))
    {
      fail_cycle (cycle, open_error ? open_error : error);
      return;
    }
  remember_accepted (self, document, signed_by);
  note_fetch_succeeded (self, "ok", document);
  cycle->document = fleet_document_ref (document);
  apply (cycle);
}

static void
on_document_opened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Cycle *cycle = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *signed_by = NULL;
  g_autoptr(FleetDocument) document =
    fleet_document_verifier_open_finish (FLEET_DOCUMENT_VERIFIER (source), result, &signed_by,
                                         &error);

  if (cycle->self->stopping)
    finish_cycle (cycle, fleet_reconciler_get_phase (cycle->self->reconciler), NULL);
  else
    handle_document (cycle, document, signed_by, error);
}

/* The signature (a local file's may be beside it, in PATH.sig) and the
 * freshness, then the document itself. */
static void
open_document (Cycle *cycle, FleetFetchResult *fetched)
{
  FleetdAgent *self = cycle->self;

  cycle->validator = g_strdup (fetched->validator);
  fleet_document_verifier_open_async (self->verifier, fetched->body,
                                      FLEET_IS_FILE_SOURCE (self->source)
                                        ? fleet_source_get_uri (self->source) : NULL,
                                      &self->limits, self->cancellable, on_document_opened, cycle);
}

static void
on_fetched (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Cycle *cycle = user_data;
  FleetdAgent *self = cycle->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetFetchResult) fetched = fleet_source_fetch_finish (FLEET_SOURCE (source), result,
                                                                   &error);

  if (fetched == NULL)
    fail_cycle (cycle, error);
  else if (self->stopping)
    finish_cycle (cycle, fleet_reconciler_get_phase (self->reconciler), NULL);
  else if (!fetched->not_modified)
    open_document (cycle, fetched);
  else
    {
      note_fetch_succeeded (self, "not-modified", NULL);
      /* A poll stops here; a requested reconcile still retries failures. */
      if (cycle->flags & FLEET_APPLY_FLAGS_RETRY_NOW)
        apply (cycle);
      else
        finish_cycle (cycle, fleet_reconciler_get_phase (self->reconciler), NULL);
    }
}

static void
start_cycle (FleetdAgent *self)
{
  Cycle *cycle;

  if (self->cycle != NULL || self->stopping)
    return;
  g_clear_handle_id (&self->poll_id, g_source_remove);
  cycle = g_new0 (Cycle, 1);
  cycle->self = g_object_ref (self);
  cycle->flags = self->next_flags;
  cycle->waiters = g_steal_pointer (&self->next_waiters);
  self->next_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->next_flags = FLEET_APPLY_FLAGS_NONE;
  self->next_requested = FALSE;
  self->cycle = cycle;
  fleet_source_fetch_async (self->source, self->cancellable, on_fetched, cycle);
}

/* Startup. */

/**
 * fleetd_agent_load_state:
 *
 * Carry on from the persisted state.  Corrupt records are logged, not
 * fatal: the reconciler then adopts the running containers by their labels.
 * Records written by a newer release are: fleetd must not run on them, nor
 * overwrite them.
 *
 * Returns: FALSE with FLEET_ERROR_STATE_UNSUPPORTED when fleetd must not start
 */
gboolean
fleetd_agent_load_state (FleetdAgent *self, GError **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (FLEETD_IS_AGENT (self), FALSE);

  if (!fleet_reconciler_load_state (self->reconciler, &local_error))
    {
      g_autofree char *quoted = NULL;

      if (g_error_matches (local_error, FLEET_ERROR, FLEET_ERROR_STATE_UNSUPPORTED))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      quoted = fleet_log_quote (local_error->message);
      fleetd_log_event (G_LOG_LEVEL_MESSAGE, "load-state",
                        "result=error error=%s (starting without records%s; running "
                        "containers are adopted by their labels)",
                        quoted,
                        fleet_reconciler_get_desired (self->reconciler)
                          ? ", from the persisted document" : "");
    }
  return TRUE;
}

static void
on_recovered (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(FleetdAgent) self = user_data;
  g_autoptr(GError) error = NULL;
  FleetPhase phase;

  if (fleet_reconciler_apply_finish (FLEET_RECONCILER (source), result, &phase, &error))
    fleetd_log_event (G_LOG_LEVEL_MESSAGE, "recover", "result=%s", fleet_phase_to_string (phase));
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *quoted = fleet_log_quote (error->message);

      fleetd_log_event (G_LOG_LEVEL_MESSAGE, "recover", "result=error error=%s", quoted);
    }
}

static void
on_ticked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  /* The reconciler logs what the tick did, and why it failed. */
  fleet_reconciler_tick_finish (FLEET_RECONCILER (source), result, NULL, &error);
}

static gboolean
on_tick (gpointer user_data)
{
  FleetdAgent *self = user_data;

  fleet_reconciler_tick_async (self->reconciler, NULL, on_ticked, NULL);
  return G_SOURCE_CONTINUE;
}

/**
 * fleetd_agent_start:
 *
 * Run: recover from the persisted state, watch the runtime, tick, and poll
 * the source, starting now.  Call fleetd_agent_load_state() first.
 */
void
fleetd_agent_start (FleetdAgent *self)
{
  FleetDocument *desired;

  g_return_if_fail (FLEETD_IS_AGENT (self));
  g_return_if_fail (!self->started);

  desired = fleet_reconciler_get_desired (self->reconciler);
  if (desired != NULL)
    {
      fleetd_log_event (G_LOG_LEVEL_MESSAGE, "recover",
                        "generation=%" G_GINT64_FORMAT " digest=%s reason=\"persisted state\"",
                        desired->generation, desired->digest);
      fleet_reconciler_apply_async (self->reconciler, NULL, FLEET_APPLY_FLAGS_RETRY_NOW, NULL,
                                    on_recovered, g_object_ref (self));
    }
  fleet_reconciler_watch_runtime_events (self->reconciler);
  self->started = TRUE;
  self->tick_id = g_timeout_add_seconds (self->tick_secs, on_tick, self);
  self->next_requested = TRUE;
  start_cycle (self);
}

/* Fetch and apply on demand. */

static void
request_cycle (FleetdAgent *self, FleetApplyFlags flags, GTask *task)
{
  if (self->stopping)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "fleetd is shutting down");
      return;
    }
  g_ptr_array_add (self->next_waiters, g_object_ref (task));
  self->next_flags |= flags;
  self->next_requested = TRUE;
  start_cycle (self);
}

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
  request_cycle (self, FLEET_APPLY_FLAGS_RETRY_NOW, task);
}

gboolean
fleetd_agent_reconcile_finish (FleetdAgent *self, GAsyncResult *result, FleetPhase *out_phase,
                               GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return fleet_task_propagate_phase (G_TASK (result), out_phase, error);
}

static void continue_once (GTask *task);

static void
on_once_pass (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!fleet_reconciler_apply_finish (FLEET_RECONCILER (source), result, NULL, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    continue_once (g_steal_pointer (&task));
}

static void
on_once_reconciled (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!fleetd_agent_reconcile_finish (FLEETD_AGENT (source), result, NULL, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    continue_once (g_steal_pointer (&task));
}

typedef struct
{
  guint passes;
  gboolean confirmed;
} OnceData;

static void
on_once_confirmed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  FleetPhase phase = FLEET_PHASE_FAILED;

  if (!fleet_reconciler_tick_finish (FLEET_RECONCILER (source), result, &phase, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_int (task, phase);
}

static gboolean
on_once_settled (gpointer user_data)
{
  GTask *task = user_data;
  FleetdAgent *self = g_task_get_source_object (task);

  fleet_reconciler_tick_async (self->reconciler, NULL, on_once_confirmed, task);
  return G_SOURCE_REMOVE;
}

/* Another pass while the last one ended neither Running nor Failed; once
 * Running, a last look after a moment, so that a container that dies as
 * soon as it is started does not pass for Running. */
static void
continue_once (GTask *task)
{
  FleetdAgent *self = g_task_get_source_object (task);
  FleetPhase phase = fleet_reconciler_get_phase (self->reconciler);
  OnceData *d = g_task_get_task_data (task);

  d->passes++;
  if (phase == FLEET_PHASE_RUNNING && !d->confirmed)
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
  fleet_reconciler_apply_async (self->reconciler, NULL, FLEET_APPLY_FLAGS_RETRY_NOW, NULL,
                                on_once_pass, task);
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
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FLEETD_IS_AGENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fleetd_agent_run_once_async);
  g_task_set_task_data (task, g_new0 (OnceData, 1), g_free);
  fleetd_agent_reconcile_async (self, cancellable, on_once_reconciled, g_steal_pointer (&task));
}

gboolean
fleetd_agent_run_once_finish (FleetdAgent *self, GAsyncResult *result, FleetPhase *out_phase,
                              GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return fleet_task_propagate_phase (G_TASK (result), out_phase, error);
}

/* Shutdown. */

static void
on_reconciler_shut_down (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!fleet_reconciler_shutdown_finish (FLEET_RECONCILER (source), result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * fleetd_agent_shutdown_async:
 *
 * Stop polling and ticking, abandon a fetch in flight, let the reconciler
 * finish the step in flight and persist its state.  Containers are left
 * running.
 */
void
fleetd_agent_shutdown_async (FleetdAgent *self, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) cancelled = NULL;

  g_return_if_fail (FLEETD_IS_AGENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fleetd_agent_shutdown_async);
  self->stopping = TRUE;
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "fleetd is shutting down");
  complete_tasks (self->next_waiters, FLEET_PHASE_PENDING, cancelled);
  fleet_reconciler_shutdown_async (self->reconciler, NULL, on_reconciler_shut_down,
                                   g_steal_pointer (&task));
}

gboolean
fleetd_agent_shutdown_finish (FleetdAgent *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Reading. */

/**
 * fleetd_agent_plan:
 * @document_text: a candidate desired-state document, signed (embedded) or not
 * @out_signed_by: (out) (optional) (nullable): the number of the key that
 *   signed it, %NULL when it is not signed
 *
 * A dry run: verify and validate @document_text as a fetched document
 * would be, and compute what applying it would do.  Changes nothing.
 *
 * Returns: (transfer full): the plan, or %NULL with the validation error
 */
FleetPlan *
fleetd_agent_plan (FleetdAgent *self, const char *document_text, char **out_signed_by,
                   GError **error)
{
  g_autoptr(FleetDocument) document = NULL;
  g_autoptr(GBytes) bytes = NULL;

  g_return_val_if_fail (FLEETD_IS_AGENT (self), NULL);
  g_return_val_if_fail (document_text != NULL, NULL);

  bytes = g_bytes_new_static (document_text, strlen (document_text));
  document = fleet_document_verifier_open (self->verifier, bytes, NULL, &self->limits,
                                           out_signed_by, error);
  if (document == NULL || !fleet_reconciler_check_document (self->reconciler, document, error))
    return NULL;
  return fleet_reconciler_plan (self->reconciler, document);
}

FleetReconciler *
fleetd_agent_get_reconciler (FleetdAgent *self)
{
  g_return_val_if_fail (FLEETD_IS_AGENT (self), NULL);
  return self->reconciler;
}

const char *
fleetd_agent_get_device_id (FleetdAgent *self)
{
  g_return_val_if_fail (FLEETD_IS_AGENT (self), NULL);
  return self->device_id;
}

/* The outcome of the last fetch; all members NULL before the first. */
const FleetFetchStatus *
fleetd_agent_get_last_fetch (FleetdAgent *self)
{
  g_return_val_if_fail (FLEETD_IS_AGENT (self), NULL);
  return &self->last_fetch;
}

/* The key number that signed the document being applied, or NULL. */
const char *
fleetd_agent_get_signed_by (FleetdAgent *self)
{
  g_return_val_if_fail (FLEETD_IS_AGENT (self), NULL);
  return fleet_document_verifier_get_signed_by (self->verifier,
                                                fleet_reconciler_get_desired (self->reconciler));
}

/* The status document of contract §3. */
JsonNode *
fleetd_agent_build_status (FleetdAgent *self)
{
  g_return_val_if_fail (FLEETD_IS_AGENT (self), NULL);
  return fleet_status_build_signed (self->reconciler, self->device_id, &self->last_fetch,
                                    fleetd_agent_get_signed_by (self));
}

char *
fleetd_agent_build_status_json (FleetdAgent *self, gboolean pretty)
{
  g_autoptr(JsonNode) status = fleetd_agent_build_status (self);

  return fleet_status_to_string (status, pretty);
}
