/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-agent.h: the agent: fetch, validate, apply, tick, through one
 * request queue. */
#pragma once

#include <fleet.h>

G_BEGIN_DECLS

#define FLEETD_TYPE_AGENT (fleetd_agent_get_type ())
G_DECLARE_FINAL_TYPE (FleetdAgent, fleetd_agent, FLEETD, AGENT, GObject)

FleetdAgent *fleetd_agent_new (FleetReconciler *reconciler, FleetSource *source,
                               const char *device_id, const FleetLimits *limits);
void fleetd_agent_set_intervals (FleetdAgent *self, guint poll_secs, guint tick_secs);
void fleetd_agent_set_verifier (FleetdAgent *self, FleetDocumentVerifier *verifier);
void fleetd_agent_set_fetch_backoff (FleetdAgent *self, guint initial_msecs, guint max_msecs);

gboolean fleetd_agent_load_state (FleetdAgent *self, GError **error);
void fleetd_agent_start (FleetdAgent *self);

void fleetd_agent_reconcile_async (FleetdAgent *self, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
gboolean fleetd_agent_reconcile_finish (FleetdAgent *self, GAsyncResult *result,
                                        FleetPhase *out_phase, GError **error);

void fleetd_agent_fetch_now (FleetdAgent *self);

void fleetd_agent_run_once_async (FleetdAgent *self, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
gboolean fleetd_agent_run_once_finish (FleetdAgent *self, GAsyncResult *result,
                                       FleetPhase *out_phase, GError **error);

void fleetd_agent_shutdown_async (FleetdAgent *self, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
gboolean fleetd_agent_shutdown_finish (FleetdAgent *self, GAsyncResult *result, GError **error);

FleetPlan *fleetd_agent_plan (FleetdAgent *self, const char *document_text,
                              char **out_signed_by, GError **error);

FleetReconciler *fleetd_agent_get_reconciler (FleetdAgent *self);
const char *fleetd_agent_get_device_id (FleetdAgent *self);
const FleetFetchStatus *fleetd_agent_get_last_fetch (FleetdAgent *self);
const char *fleetd_agent_get_signed_by (FleetdAgent *self);
JsonNode *fleetd_agent_build_status (FleetdAgent *self);
char *fleetd_agent_build_status_json (FleetdAgent *self, gboolean pretty);

G_END_DECLS
