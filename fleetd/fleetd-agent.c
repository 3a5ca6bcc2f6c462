/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-agent.c: what fleetd does, without the process around it (options,
 * D-Bus, signals), so that tests can drive it directly.
 *
 * Everything that asks for work joins one request queue
 * (fleetd-request-queue.c), which runs one request at a time and merges
 * the requests that come meanwhile: a document the source announced, the
 * liveness tick, `fleetctl reconcile` (fetch now, apply, retry failed
 * deployments now), the recovery from the persisted state at start, and
 * `--once`.  A run fetches the source first when asked to, applies the
 * newest document (or reconciles towards the current one), checks liveness
 * when asked to, and answers its waiters with the phase.
 *
 * The source announces what it finds on its own: polled every poll
 * interval, a file at once when it changes.  A "not modified" document
 * costs no parsing and no runtime work.  A new one is parsed and validated
 * when it arrives; the reconciler checks its generation when it is applied
 * (once), and once the reconciler holds it, its validator is committed to
 * the source so that the same version is "not modified" from then on.
 *
 * A failed fetch, an invalid document or a generation that went backwards
 * changes nothing that runs: the reconciler keeps the last applied document.
 * The failure is logged once (not at every retry while it persists), shown
 * in last_fetch with where the document came from, and the source looks
 * again with capped exponential backoff with jitter instead of the poll
 * interval until a fetch succeeds.  Runtime events reach the reconciler
 * directly, so that a container that dies is started again at once.
 */
#include "config.h"

#include "fleetd-agent-private.h"
#include "fleet-util-private.h"
#include "fleetd-log.h"

struct _FleetdAgent
{
  GObject parent_instance;

  FleetReconciler *reconciler;
  FleetSource *source;
  FleetDocumentVerifier *verifier;
  char *device_id;
  FleetLimits limits;
  guint tick_secs;

  FleetFetchStatus last_fetch;
  char *logged_fetch_error;

  GCancellable *cancellable;
  FleetdRequestQueue *queue;
  gboolean awaiting_fetch;    /* the running request fetches: announcements are older */
  FleetDocument *unreported;  /* the newest document handed over, reported once taken */
  guint documents_in_flight;  /* handed over, not answered yet */
  gboolean refetch_when_taken; /* the source went back to the committed version meanwhile */
  guint tick_id;
  gboolean started;           /* the source announces, the tick runs (not --once) */
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

static void run_request (FleetdRequest *request, gpointer user_data);
static void report_taken (FleetdAgent *self);

static void
on_reconciler_changed (FleetReconciler *reconciler, gpointer user_data)
{
  FleetdAgent *self = user_data;
  FleetDocument *desired = fleet_reconciler_get_desired (reconciler);

  if (self->unreported != NULL && desired != NULL
      && fleet_document_equal (desired, self->unreported))
    report_taken (self);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
fleetd_agent_dispose (GObject *object)
{
  FleetdAgent *self = FLEETD_AGENT (object);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  if (self->reconciler)
    g_signal_handlers_disconnect_by_data (self->reconciler, self);
  if (self->source)
    {
      g_signal_handlers_disconnect_by_data (self->source, self);
      if (self->started)
        fleet_source_stop (self->source);
    }
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
  fleetd_request_queue_free (self->queue);
  g_clear_pointer (&self->unreported, fleet_document_unref);
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
  self->tick_secs = 30;
  self->cancellable = g_cancellable_new ();
  self->queue = fleetd_request_queue_new (run_request, self);
  self->verifier = fleet_document_verifier_new_unchecked ();
}

static void on_source_document (FleetSource *source, FleetFetchResult *fetched,
                                gpointer user_data);
static void on_source_failed (FleetSource *source, const GError *error, gpointer user_data);

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
  g_signal_connect (source, "document", G_CALLBACK (on_source_document), self);
  g_signal_connect (source, "failed", G_CALLBACK (on_source_failed), self);
  return self;
}

/* How often the source is polled (a source that is told of changes, or a
 * file that is watched, is looked at sooner) and liveness checked. */
void
fleetd_agent_set_intervals (FleetdAgent *self, guint poll_secs, guint tick_secs)
{
  g_return_if_fail (FLEETD_IS_AGENT (self));

  fleet_source_set_poll_interval (self->source, MAX (poll_secs, 1));
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

  fleet_source_set_retry_backoff (self->source, initial_msecs, max_msecs);
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

static void
note_fetch_failed (FleetdAgent *self, const GError *error)
{
  gint64 retry_in = fleet_source_get_next_poll_in (self->source);
  GLogLevelFlags level = G_LOG_LEVEL_MESSAGE;
  g_autofree char *quoted = NULL;

  /* Logged once with its cause; the same error again is only debug noise. */
  if (g_strcmp0 (self->logged_fetch_error, error->message) == 0)
    level = G_LOG_LEVEL_DEBUG;
  quoted = fleet_log_quote (error->message);
  if (self->started && retry_in >= 0)
    fleetd_log_event_with_id (level, "fetch", fleetd_log_message_id_for_error (error),
                              "source=%s result=error error=%s retry_in=%" G_GINT64_FORMAT
                              "ms (running containers are left as they are%s)",
                              fleet_source_get_uri (self->source), quoted, retry_in,
                              level == G_LOG_LEVEL_DEBUG ? ""
                                                         : "; not logged again while it persists");
  else
    fleetd_log_event_with_id (level, "fetch", fleetd_log_message_id_for_error (error),
                              "source=%s result=error error=%s (running containers are left as "
                              "they are)",
                              fleet_source_get_uri (self->source), quoted);
  g_free (self->logged_fetch_error);
  self->logged_fetch_error = g_strdup (error->message);
  record_fetch (self, "error", error->message);
}

static void
note_fetch_succeeded (FleetdAgent *self, const char *result, FleetDocument *document,
                      gboolean is_new)
{
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
  record_fetch (self, result, NULL);
}

/* A document the source did not let through: reported as a failed fetch,
 * naming where it came from, and looked at again sooner. */
static void
note_rejected (FleetdAgent *self, GError **error)
{
  fleet_source_prefix_error (self->source, error);
  fleet_source_reject (self->source);
  note_fetch_failed (self, *error);
}

/* From now on nothing issued before @document is accepted. */
static void
remember_accepted (FleetdAgent *self, FleetDocument *document)
{
  g_autoptr(GError) error = NULL;

  if (!fleet_document_verifier_accept (self->verifier, document, &error))
    {
      g_autofree char *quoted = fleet_log_quote (error->message);

      fleetd_log_event (G_LOG_LEVEL_WARNING, "signature", "result=error error=%s", quoted);
    }
}

/* The reconciler took the running request's new document: from now on
 * nothing issued before it is accepted. */
static void
report_taken (FleetdAgent *self)
{
  g_autoptr(FleetDocument) document = g_steal_pointer (&self->unreported);

  remember_accepted (self, document);
  note_fetch_succeeded (self, "ok", document, TRUE);
}

/* Verified (signature, freshness), parsed and validated, or NULL
 * (reported) when it is refused. */
static FleetDocument *
parse_fetched (FleetdAgent *self, FleetFetchResult *fetched, GError **error)
{
  FleetDocument *document = fleet_document_verifier_open (self->verifier, fetched->body,
                                                          fetched->signature, &self->limits,
                                                          NULL, error);

  if (document == NULL)
    note_rejected (self, error);
  return document;
}

/* What the source found on its own. */

static void
on_source_document (FleetSource *source, FleetFetchResult *fetched, gpointer user_data)
{
  FleetdAgent *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetDocument) document = NULL;

  /* The running request's own fetch started after this one: it is fresher. */
  if (self->stopping || self->awaiting_fetch)
    return;
  if (fetched->not_modified)
    {
      note_fetch_succeeded (self, "not-modified", NULL, FALSE);
      /* Back to the committed version while another one is on its way to
       * the reconciler: fetch again once that one is committed. */
      if (fleetd_request_queue_has_document (self->queue))
        fleetd_request_queue_add (self->queue, FLEETD_REQUEST_REASON_DOCUMENT,
                                  FLEETD_REQUEST_FETCH, NULL);
      else if (self->documents_in_flight > 0)
        self->refetch_when_taken = TRUE;
      return;
    }
  document = parse_fetched (self, fetched, &error);
  if (document != NULL)
    fleetd_request_queue_add_document (self->queue, document, fetched->validator);
}

static void
on_source_failed (FleetSource *source, const GError *error, gpointer user_data)
{
  FleetdAgent *self = user_data;

  if (self->stopping || self->awaiting_fetch)
    return;
  note_fetch_failed (self, error);
}

/* Runs. */

static void
finish_run (FleetdAgent *self, const GError *error)
{
  fleetd_request_queue_finish (self->queue, fleet_reconciler_get_phase (self->reconciler), error);
}

/* A request handed to the reconciler: the queue runs the next request at
 * once (the reconciler merges and orders its passes itself, and lets each
 * deployment's actions run in their own lane), so that a rollout waiting
 * out an hour's stop grace never holds up the ticks; the request's waiters
 * learn the outcome when the reconciler answers. */
typedef struct
{
  FleetdAgent *self;
  FleetDocument *document;
  char *validator;
  GPtrArray *waiters; /* GTask */
  guint pending;      /* reconciler calls in flight */
  GError *error;
} Handover;

static void
handover_free (Handover *handover)
{
  g_object_unref (handover->self);
  g_clear_pointer (&handover->document, fleet_document_unref);
  g_free (handover->validator);
  g_ptr_array_unref (handover->waiters);
  g_clear_error (&handover->error);
  g_free (handover);
}

/* One of the reconciler calls of the handover is over. */
static void
handover_step_done (Handover *handover, GError *error)
{
  FleetPhase phase;

  if (error != NULL && handover->error == NULL)
    handover->error = error;
  else
    g_clear_error (&error);
  if (--handover->pending > 0)
    return;
  phase = fleet_reconciler_get_phase (handover->self->reconciler);
  for (guint i = 0; i < handover->waiters->len; i++)
    {
      GTask *task = handover->waiters->pdata[i];

      if (handover->error != NULL)
        g_task_return_error (task, g_error_copy (handover->error));
      else
        g_task_return_int (task, phase);
    }
  handover_free (handover);
}

static void
on_run_applied (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Handover *handover = user_data;
  FleetdAgent *self = handover->self;
  GError *error = NULL;
  FleetDocument *desired;

  if (!fleet_reconciler_apply_finish (self->reconciler, result, NULL, &error)
      && handover->document != NULL && self->unreported == handover->document)
    {
      /* Refused before it was taken: its generation went backwards, or it
       * could not be persisted. */
      g_clear_pointer (&self->unreported, fleet_document_unref);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        note_rejected (self, &error);
    }
  if (self->unreported != NULL && self->unreported == handover->document)
    report_taken (self);
  /* Once the reconciler holds the document (even if the runtime could not
   * be reached yet), the same version need not be fetched again. */
  desired = fleet_reconciler_get_desired (self->reconciler);
  if (handover->document != NULL && desired != NULL
      && fleet_document_equal (handover->document, desired))
    fleet_source_commit (self->source, handover->validator);
  if (handover->document != NULL && --self->documents_in_flight == 0 && self->refetch_when_taken)
    {
      /* What the source holds now is compared with what was just taken. */
      self->refetch_when_taken = FALSE;
      fleetd_request_queue_add (self->queue, FLEETD_REQUEST_REASON_DOCUMENT, FLEETD_REQUEST_FETCH,
                                NULL);
    }
  handover_step_done (handover, error);
}

static void
on_run_ticked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Handover *handover = user_data;
  GError *error = NULL;

  /* The reconciler logs what the tick did, and why it failed. */
  fleet_reconciler_tick_finish (handover->self->reconciler, result, NULL, &error);
  handover_step_done (handover, error);
}

/* Apply the request's document (or reconcile towards the current one when
 * asked to retry now), and check liveness when asked to: both in the same
 * pass when the reconciler can.  The run ends once they are handed over. */
static void
apply_request (FleetdAgent *self, FleetdRequest *request)
{
  gboolean apply = request->document != NULL || (request->flags & FLEETD_REQUEST_RETRY_NOW);
  gboolean tick = (request->flags & FLEETD_REQUEST_TICK) != 0;
  FleetDocument *desired = fleet_reconciler_get_desired (self->reconciler);
  Handover *handover;

  if (!apply && !tick)
    {
      finish_run (self, NULL);
      return;
    }
  handover = g_new0 (Handover, 1);
  handover->self = g_object_ref (self);
  handover->waiters = g_steal_pointer (&request->waiters);
  request->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  handover->pending = (apply ? 1 : 0) + (tick ? 1 : 0);
  if (request->document != NULL)
    {
      handover->document = fleet_document_ref (request->document);
      handover->validator = g_strdup (request->validator);
      self->documents_in_flight++;
      /* Reported fetched once the reconciler holds it; the one it holds, now. */
      if ((desired != NULL && fleet_document_equal (request->document, desired))
          || (self->unreported != NULL
              && fleet_document_equal (request->document, self->unreported)))
        note_fetch_succeeded (self, "ok", request->document, FALSE);
      else
        {
          g_clear_pointer (&self->unreported, fleet_document_unref);
          self->unreported = fleet_document_ref (handover->document);
        }
    }
  if (apply)
    fleet_reconciler_apply_async (self->reconciler, request->document,
                                  (request->flags & FLEETD_REQUEST_RETRY_NOW)
                                    ? FLEET_APPLY_FLAGS_RETRY_NOW
                                    : FLEET_APPLY_FLAGS_NONE,
                                  NULL, on_run_applied, handover);
  if (tick)
    fleet_reconciler_tick_async (self->reconciler, NULL, on_run_ticked, handover);
  finish_run (self, NULL);
}

static void
on_run_fetched (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(FleetdAgent) self = user_data;
  FleetdRequest *request = fleetd_request_queue_get_running (self->queue);
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetFetchResult) fetched = fleet_source_fetch_finish (FLEET_SOURCE (source), result,
                                                                   &error);
  g_autoptr(FleetDocument) document = NULL;

  self->awaiting_fetch = FALSE;
  /* Fresher than any document announced before the request ran. */
  fleetd_request_set_document (request, NULL, NULL);
  if (fetched == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        note_fetch_failed (self, error);
      finish_run (self, error);
      return;
    }
  if (self->stopping)
    {
      finish_run (self, NULL);
      return;
    }
  if (fetched->not_modified)
    note_fetch_succeeded (self, "not-modified", NULL, FALSE);
  else if ((document = parse_fetched (self, fetched, &error)) == NULL)
    {
      finish_run (self, error);
      return;
    }
  fleetd_request_set_document (request, document, fetched->validator);
  apply_request (self, request);
}

static void
run_request (FleetdRequest *request, gpointer user_data)
{
  FleetdAgent *self = user_data;
  g_autofree char *described = fleetd_request_describe (request);

  g_debug ("run %s%s", described, request->document ? " document=yes" : "");
  if (request->flags & FLEETD_REQUEST_FETCH)
    {
      self->awaiting_fetch = TRUE;
      fleet_source_fetch_async (self->source, self->cancellable, on_run_fetched,
                                g_object_ref (self));
      return;
    }
  apply_request (self, request);
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
  g_autoptr(GError) error = NULL;
  FleetPhase phase;

  if (fleet_task_propagate_phase (G_TASK (result), &phase, &error))
    fleetd_log_event (G_LOG_LEVEL_MESSAGE, "recover", "result=%s", fleet_phase_to_string (phase));
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *quoted = fleet_log_quote (error->message);

      fleetd_log_event (G_LOG_LEVEL_MESSAGE, "recover", "result=error error=%s", quoted);
    }
}

static gboolean
on_tick (gpointer user_data)
{
  FleetdAgent *self = user_data;

  fleetd_request_queue_add (self->queue, FLEETD_REQUEST_REASON_TICK, FLEETD_REQUEST_TICK, NULL);
  return G_SOURCE_CONTINUE;
}

/**
 * fleetd_agent_start:
 *
 * Run: recover from the persisted state, watch the runtime, tick, and let
 * the source announce documents, starting with a fetch now.  Call
 * fleetd_agent_load_state() first.
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
      g_autoptr(GTask) recovered = g_task_new (self, NULL, on_recovered, NULL);

      fleetd_log_event (G_LOG_LEVEL_MESSAGE, "recover",
                        "generation=%" G_GINT64_FORMAT " digest=%s reason=\"persisted state\"",
                        desired->generation, desired->digest);
      fleetd_request_queue_add (self->queue, FLEETD_REQUEST_REASON_RECOVER,
                                FLEETD_REQUEST_RETRY_NOW, recovered);
    }
  fleet_reconciler_watch_runtime_events (self->reconciler);
  self->started = TRUE;
  self->tick_id = g_timeout_add_seconds (self->tick_secs, on_tick, self);
  fleet_source_start (self->source);
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
 * Stop polling and ticking, abandon a fetch in flight, answer queued
 * requests with G_IO_ERROR_CANCELLED, let the reconciler finish the step in
 * flight and persist its state.  Containers are left running.
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
  g_clear_handle_id (&self->tick_id, g_source_remove);
  fleet_source_stop (self->source);
  g_cancellable_cancel (self->cancellable);
  cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "fleetd is shutting down");
  fleetd_request_queue_close (self->queue, cancelled);
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

FleetdRequestQueue *
_fleetd_agent_get_queue (FleetdAgent *self)
{
  return self->queue;
}

/* For fleetd-agent-status.c: what documents are verified and parsed with. */
FleetDocumentVerifier *
_fleetd_agent_get_verifier (FleetdAgent *self)
{
  return self->verifier;
}

const FleetLimits *
_fleetd_agent_get_limits (FleetdAgent *self)
{
  return &self->limits;
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
