/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-request-queue.h: one queue for everything that asks the agent to
 * fetch, apply or check: a document from the source, the tick, a D-Bus
 * call, `--once`.
 */
#pragma once

#include <fleet.h>

G_BEGIN_DECLS

/**
 * FleetdRequestReason:
 * @FLEETD_REQUEST_REASON_DOCUMENT: the source announced a new document
 * @FLEETD_REQUEST_REASON_TICK: the liveness tick
 * @FLEETD_REQUEST_REASON_CALL: a caller (`fleetctl reconcile`)
 * @FLEETD_REQUEST_REASON_RECOVER: carry on from the persisted state at start
 * @FLEETD_REQUEST_REASON_ONCE: `fleetd --once`
 *
 * Why a request was made; a merged request has several.
 */
typedef enum
{
  FLEETD_REQUEST_REASON_DOCUMENT = 1 << 0,
  FLEETD_REQUEST_REASON_TICK = 1 << 1,
  FLEETD_REQUEST_REASON_CALL = 1 << 2,
  FLEETD_REQUEST_REASON_RECOVER = 1 << 3,
  FLEETD_REQUEST_REASON_ONCE = 1 << 4,
} FleetdRequestReason;

/**
 * FleetdRequestFlags:
 * @FLEETD_REQUEST_FETCH: fetch the source first, and apply what it has
 * @FLEETD_REQUEST_RETRY_NOW: reconcile without waiting out the backoff of
 *   failed deployments
 * @FLEETD_REQUEST_TICK: check liveness
 *
 * What a request asks for; merged requests ask for all of it.
 */
typedef enum
{
  FLEETD_REQUEST_NONE = 0,
  FLEETD_REQUEST_FETCH = 1 << 0,
  FLEETD_REQUEST_RETRY_NOW = 1 << 1,
  FLEETD_REQUEST_TICK = 1 << 2,
} FleetdRequestFlags;

/**
 * FleetdRequest:
 * @reasons: why
 * @flags: what
 * @document: (nullable): the newest document the source announced, with
 *   @validator, to apply
 * @validator: (nullable): @document's validator, committed once applied
 */
typedef struct
{
  FleetdRequestReason reasons;
  FleetdRequestFlags flags;
  FleetDocument *document;
  char *validator;
  /*< private >*/
  GPtrArray *waiters;
} FleetdRequest;

void fleetd_request_set_document (FleetdRequest *request, FleetDocument *document,
                                  const char *validator);

typedef struct _FleetdRequestQueue FleetdRequestQueue;

/* Runs @request; the run ends with fleetd_request_queue_finish(). */
typedef void (*FleetdRequestRunFunc) (FleetdRequest *request, gpointer user_data);

FleetdRequestQueue *fleetd_request_queue_new (FleetdRequestRunFunc run, gpointer user_data);
void fleetd_request_queue_free (FleetdRequestQueue *queue);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetdRequestQueue, fleetd_request_queue_free)

void fleetd_request_queue_add (FleetdRequestQueue *queue, FleetdRequestReason reason,
                               FleetdRequestFlags flags, GTask *waiter);
void fleetd_request_queue_add_document (FleetdRequestQueue *queue, FleetDocument *document,
                                        const char *validator);
FleetdRequest *fleetd_request_queue_get_running (FleetdRequestQueue *queue);
gboolean fleetd_request_queue_has_document (FleetdRequestQueue *queue);
void fleetd_request_queue_finish (FleetdRequestQueue *queue, FleetPhase phase,
                                  const GError *error);
void fleetd_request_queue_close (FleetdRequestQueue *queue, const GError *error);
char *fleetd_request_describe (const FleetdRequest *request);

G_END_DECLS
