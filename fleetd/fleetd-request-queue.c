/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-request-queue.c: one request runs at a time; requests that come
 * meanwhile merge into the one queued behind it.
 *
 * Every trigger joins the same queue — a document the source announced,
 * the tick, `fleetctl reconcile`, the recovery at start, `--once` — so that
 * two of them never race each other to the reconciler, and a burst of them
 * costs one run.  Merging ORs the flags and reasons, appends the waiters,
 * and keeps the newest document.  A waiter is answered by the first run
 * that started after it joined: a request never gets the outcome of a run
 * that began before it asked.
 */
#include "config.h"

#include "fleetd-request-queue.h"

struct _FleetdRequestQueue
{
  FleetdRequestRunFunc run;
  gpointer user_data;
  FleetdRequest *running;
  FleetdRequest *queued;
  GError *closed; /* why nothing is run any more, or NULL */
};

static FleetdRequest *
request_new (void)
{
  FleetdRequest *request = g_new0 (FleetdRequest, 1);

  request->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  return request;
}

static void
request_free (FleetdRequest *request)
{
  g_clear_pointer (&request->document, fleet_document_unref);
  g_free (request->validator);
  g_ptr_array_unref (request->waiters);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetdRequest, request_free)

static void
complete_waiters (FleetdRequest *request, FleetPhase phase, const GError *error)
{
  for (guint i = 0; i < request->waiters->len; i++)
    {
      if (error)
        g_task_return_error (request->waiters->pdata[i], g_error_copy (error));
      else
        g_task_return_int (request->waiters->pdata[i], phase);
    }
  g_ptr_array_set_size (request->waiters, 0);
}

/**
 * fleetd_request_set_document:
 * @document: (nullable): the document to apply, replacing any other
 *
 * For the run: replace (or drop) the request's document, e.g. by a fresher
 * one it fetched itself.
 */
void
fleetd_request_set_document (FleetdRequest *request, FleetDocument *document,
                             const char *validator)
{
  g_clear_pointer (&request->document, fleet_document_unref);
  request->document = document ? fleet_document_ref (document) : NULL;
  g_free (request->validator);
  request->validator = g_strdup (validator);
}

/**
 * fleetd_request_describe:
 *
 * Returns: (transfer full): `reasons=... flags=...`, for the log
 */
char *
fleetd_request_describe (const FleetdRequest *request)
{
  static const char *const reasons[] = { "document", "tick", "call", "recover", "once" };
  static const char *const flags[] = { "fetch", "retry-now", "tick" };
  GString *out = g_string_new ("reasons=");
  const char *sep = "";

  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    if (request->reasons & (1u << i))
      {
        g_string_append_printf (out, "%s%s", sep, reasons[i]);
        sep = ",";
      }
  g_string_append (out, " flags=");
  sep = "";
  for (guint i = 0; i < G_N_ELEMENTS (flags); i++)
    if (request->flags & (1u << i))
      {
        g_string_append_printf (out, "%s%s", sep, flags[i]);
        sep = ",";
      }
  if (*sep == '\0')
    g_string_append (out, "none");
  return g_string_free (out, FALSE);
}

/**
 * fleetd_request_queue_new:
 * @run: starts a request; it ends with fleetd_request_queue_finish()
 *
 * Returns: (transfer full): an empty queue
 */
FleetdRequestQueue *
fleetd_request_queue_new (FleetdRequestRunFunc run, gpointer user_data)
{
  FleetdRequestQueue *queue = g_new0 (FleetdRequestQueue, 1);

  queue->run = run;
  queue->user_data = user_data;
  return queue;
}

void
fleetd_request_queue_free (FleetdRequestQueue *queue)
{
  g_autoptr(GError) cancelled = NULL;

  if (queue == NULL)
    return;
  cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "fleetd is shutting down");
  fleetd_request_queue_close (queue, cancelled);
  if (queue->running)
    {
      complete_waiters (queue->running, FLEET_PHASE_PENDING, cancelled);
      request_free (queue->running);
    }
  g_clear_error (&queue->closed);
  g_free (queue);
}

static void
start_next (FleetdRequestQueue *queue)
{
  if (queue->running != NULL || queue->queued == NULL || queue->closed != NULL)
    return;
  queue->running = g_steal_pointer (&queue->queued);
  queue->run (queue->running, queue->user_data);
}

static FleetdRequest *
ensure_queued (FleetdRequestQueue *queue)
{
  if (queue->queued == NULL)
    queue->queued = request_new ();
  return queue->queued;
}

/**
 * fleetd_request_queue_add:
 * @waiter: (nullable): a task to complete with the phase (g_task_return_int())
 *   or the error of the run
 *
 * Ask for a run: now when none is running, else merged into the next one.
 */
void
fleetd_request_queue_add (FleetdRequestQueue *queue, FleetdRequestReason reason,
                          FleetdRequestFlags flags, GTask *waiter)
{
  FleetdRequest *request;

  if (queue->closed != NULL)
    {
      if (waiter)
        g_task_return_error (waiter, g_error_copy (queue->closed));
      return;
    }
  request = ensure_queued (queue);
  request->reasons |= reason;
  request->flags |= flags;
  if (waiter)
    g_ptr_array_add (request->waiters, g_object_ref (waiter));
  start_next (queue);
}

/* The source announced @document: the next run applies it (or a newer one). */
void
fleetd_request_queue_add_document (FleetdRequestQueue *queue, FleetDocument *document,
                                   const char *validator)
{
  if (queue->closed != NULL)
    return;
  fleetd_request_set_document (ensure_queued (queue), document, validator);
  fleetd_request_queue_add (queue, FLEETD_REQUEST_REASON_DOCUMENT, FLEETD_REQUEST_NONE, NULL);
}

/* Whether a document is being applied or waits to be. */
gboolean
fleetd_request_queue_has_document (FleetdRequestQueue *queue)
{
  return (queue->running != NULL && queue->running->document != NULL)
         || (queue->queued != NULL && queue->queued->document != NULL);
}

/* The request being run, or NULL. */
FleetdRequest *
fleetd_request_queue_get_running (FleetdRequestQueue *queue)
{
  return queue->running;
}

/**
 * fleetd_request_queue_finish:
 * @error: (nullable): what the run failed with
 *
 * The run is over: answer its waiters, and start the queued request.
 */
void
fleetd_request_queue_finish (FleetdRequestQueue *queue, FleetPhase phase, const GError *error)
{
  g_autoptr(FleetdRequest) done = g_steal_pointer (&queue->running);

  g_return_if_fail (done != NULL);

  /* First, so that a waiter that asks again joins a run after this one. */
  start_next (queue);
  complete_waiters (done, phase, error);
}

/**
 * fleetd_request_queue_close:
 * @error: what queued and later waiters are told
 *
 * Run nothing more: the run in flight may still finish.
 */
void
fleetd_request_queue_close (FleetdRequestQueue *queue, const GError *error)
{
  g_autoptr(FleetdRequest) queued = g_steal_pointer (&queue->queued);

  if (queue->closed == NULL)
    queue->closed = g_error_copy (error);
  if (queued != NULL)
    complete_waiters (queued, FLEET_PHASE_PENDING, error);
}
