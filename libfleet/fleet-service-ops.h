/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-service-ops.h: what the reconciler does to a service's container,
 * composed from the runtime's primitives.  The one place that knows what a
 * service's container is called, which labels it carries, what to do with a
 * container that holds its name, and how liveness is kept.  Not installed.
 */
#pragma once

#include "fleet-container-runtime.h"

G_BEGIN_DECLS

/**
 * FleetLivenessAction:
 * @FLEET_LIVENESS_NONE: the container was running; nothing was done
 * @FLEET_LIVENESS_STARTED: it existed but was not running; it was started again, by id
 * @FLEET_LIVENESS_CREATED: it was missing; a new one was created and started
 * @FLEET_LIVENESS_UNPAUSED: it was paused; it was let run again
 * @FLEET_LIVENESS_RECREATED: it could not be started; it was removed, and a new one was
 *   created and started
 * @FLEET_LIVENESS_RESTARTED_BY_RUNTIME: it was not running, and the runtime's own
 *   restart policy started it again before fleet's start reached it; a restart of the
 *   runtime's, counted as such (fleet-reconciler-restarts.c), not as one of fleet's
 */
typedef enum
{
  FLEET_LIVENESS_NONE,
  FLEET_LIVENESS_STARTED,
  FLEET_LIVENESS_CREATED,
  FLEET_LIVENESS_UNPAUSED,
  FLEET_LIVENESS_RECREATED,
  FLEET_LIVENESS_RESTARTED_BY_RUNTIME,
} FleetLivenessAction;

char *_fleet_service_container_name (const char *deployment, const char *service);
GHashTable *_fleet_service_labels (FleetServiceSpec *spec);

void _fleet_service_start (FleetContainerRuntime *runtime, FleetServiceSpec *spec,
                           GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data);
void _fleet_service_start_as (FleetContainerRuntime *runtime, FleetServiceSpec *spec,
                              const char *name, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data);
char *_fleet_service_start_finish (FleetContainerRuntime *runtime, GAsyncResult *result,
                                   GError **error);

void _fleet_service_stop (FleetContainerRuntime *runtime, const char *container_id,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data);
gboolean _fleet_service_stop_finish (FleetContainerRuntime *runtime, GAsyncResult *result,
                                     GError **error);

void _fleet_service_ensure_running (FleetContainerRuntime *runtime, FleetServiceSpec *spec,
                                    const char *container_id, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);
char *_fleet_service_ensure_running_finish (FleetContainerRuntime *runtime, GAsyncResult *result,
                                            FleetLivenessAction *out_action, GError **error);

/* fleet-service-network.c */

char *_fleet_service_network_name (const char *deployment);
gboolean _fleet_service_wants_network (FleetServiceSpec *spec);
gboolean _fleet_service_needs_to_join (FleetServiceSpec *spec, const FleetContainerInfo *info);
void _fleet_service_ensure_network (FleetContainerRuntime *runtime, const char *deployment,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data);
gboolean _fleet_service_ensure_network_finish (FleetContainerRuntime *runtime,
                                               GAsyncResult *result, GError **error);
void _fleet_service_join_network (FleetContainerRuntime *runtime, FleetServiceSpec *spec,
                                  const char *container_id, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
gboolean _fleet_service_join_network_finish (FleetContainerRuntime *runtime,
                                             GAsyncResult *result, GError **error);
void _fleet_service_remove_network (FleetContainerRuntime *runtime, const char *deployment,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data);
gboolean _fleet_service_remove_network_finish (FleetContainerRuntime *runtime,
                                               GAsyncResult *result, GError **error);
void _fleet_service_drop_name (FleetContainerRuntime *runtime, const char *deployment,
                               const char *container_id, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
gboolean _fleet_service_drop_name_finish (FleetContainerRuntime *runtime, GAsyncResult *result,
                                          GError **error);

G_END_DECLS
