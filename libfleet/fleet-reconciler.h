/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-reconciler.h: keeps the runtime's containers as the desired document
 * says, per the contract's reconcile semantics.
 */
#pragma once

#if !defined (__FLEET_H_INSIDE__) && !defined (FLEET_COMPILATION)
#error "Only <fleet/fleet.h> can be included directly."
#endif

#include "fleet-container-runtime.h"
#include "fleet-document.h"
#include "fleet-plan.h"
#include "fleet-state.h"

G_BEGIN_DECLS

/**
 * FleetReconciler:
 *
 * Brings the device's containers to a desired document, recording what it
 * started in a #FleetState, and keeps them running.
 *
 * Since: 0.2
 */
#define FLEET_TYPE_RECONCILER (fleet_reconciler_get_type ())
G_DECLARE_FINAL_TYPE (FleetReconciler, fleet_reconciler, FLEET, RECONCILER, GObject)

/**
 * FleetApplyFlags:
 * @FLEET_APPLY_FLAGS_NONE: no flags
 * @FLEET_APPLY_FLAGS_RETRY_NOW: do not wait out the backoff of failed deployments
 *
 * How fleet_reconciler_apply_async() applies a document.
 *
 * Since: 0.2
 */
typedef enum
{
  FLEET_APPLY_FLAGS_NONE = 0,
  FLEET_APPLY_FLAGS_RETRY_NOW = 1 << 0,
} FleetApplyFlags;

FleetReconciler *fleet_reconciler_new (FleetContainerRuntime *runtime, const char *state_dir);

gboolean fleet_reconciler_load_state (FleetReconciler *self, GError **error);

void fleet_reconciler_apply_async (FleetReconciler *self, FleetDocument *document,
                                   FleetApplyFlags flags, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
gboolean fleet_reconciler_apply_finish (FleetReconciler *self, GAsyncResult *result,
                                        FleetPhase *out_phase, GError **error);

void fleet_reconciler_tick_async (FleetReconciler *self, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
gboolean fleet_reconciler_tick_finish (FleetReconciler *self, GAsyncResult *result,
                                       FleetPhase *out_phase, GError **error);

void fleet_reconciler_shutdown_async (FleetReconciler *self, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
gboolean fleet_reconciler_shutdown_finish (FleetReconciler *self, GAsyncResult *result,
                                           GError **error);

gboolean fleet_reconciler_check_document (FleetReconciler *self, FleetDocument *document,
                                          GError **error);
FleetPlan *fleet_reconciler_plan (FleetReconciler *self, FleetDocument *document);
void fleet_reconciler_watch_runtime_events (FleetReconciler *self);

FleetContainerRuntime *fleet_reconciler_get_runtime (FleetReconciler *self);
FleetState *fleet_reconciler_get_state (FleetReconciler *self);
FleetDocument *fleet_reconciler_get_desired (FleetReconciler *self);
FleetPhase fleet_reconciler_get_phase (FleetReconciler *self);
const char *fleet_reconciler_get_persist_error (FleetReconciler *self);
gboolean fleet_reconciler_is_busy (FleetReconciler *self);
void fleet_reconciler_set_retry_backoff (FleetReconciler *self, guint initial_msecs,
                                         guint max_msecs);

const char *fleet_reconciler_get_service_health (FleetReconciler *self, const char *deployment,
                                                 const char *service, const char **out_output);

G_END_DECLS
