/* fleet-container-runtime.h: the interface the reconciler drives containers
 * through.  Implemented by FleetPodmanRuntime (podman's REST API) and
 * FleetFakeRuntime (in memory, for tests and benchmarks).
 */
#pragma once

#include <gio/gio.h>

#include "fleet-container-info.h"
#include "fleet-service-spec.h"

G_BEGIN_DECLS

#define FLEET_TYPE_CONTAINER_RUNTIME (fleet_container_runtime_get_type ())
G_DECLARE_INTERFACE (FleetContainerRuntime, fleet_container_runtime, FLEET, CONTAINER_RUNTIME,
                     GObject)

/**
 * FleetLivenessAction:
 * @FLEET_LIVENESS_NONE: the container was running; nothing was done
 * @FLEET_LIVENESS_STARTED: the container existed but was stopped; it was started by name
 * @FLEET_LIVENESS_CREATED: the container was missing; a new one was created and started
 */
typedef enum
{
  FLEET_LIVENESS_NONE,
  FLEET_LIVENESS_STARTED,
  FLEET_LIVENESS_CREATED,
} FleetLivenessAction;

/**
 * FleetContainerRuntimeInterface:
 * @pull_image: make @image available locally
 * @start_service: create the container `<deployment>_<service>` for a spec,
 *   with the fleet labels and the spec's lifecycle baked in, start it, and
 *   return its id.  A leftover container of the same name is removed first.
 *   If the container cannot be started it is removed again.
 * @stop_service: stop the container with this id gracefully (the stop signal
 *   and grace period it was created with, SIGKILL after the grace) and remove
 *   it.  A container that does not exist counts as stopped.
 * @container_status: report on one container by id; FLEET_ERROR_NOT_FOUND
 *   when it does not exist
 * @list_services: report on every container carrying the fleet.deployment
 *   label, in one request
 * @ensure_service_running: liveness only: running -> nothing; stopped ->
 *   start it by name; missing -> create and start it from the spec.  Returns
 *   the id of the container now running.
 * @watch_events: start emitting #FleetContainerRuntime::container-died
 */
struct _FleetContainerRuntimeInterface
{
  GTypeInterface g_iface;

  void (*pull_image) (FleetContainerRuntime *self, const char *image, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data);
  gboolean (*pull_image_finish) (FleetContainerRuntime *self, GAsyncResult *result,
                                 GError **error);

  void (*start_service) (FleetContainerRuntime *self, FleetServiceSpec *spec,
                         GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data);
  char *(*start_service_finish) (FleetContainerRuntime *self, GAsyncResult *result,
                                 GError **error);

  void (*stop_service) (FleetContainerRuntime *self, const char *container_id,
                        GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data);
  gboolean (*stop_service_finish) (FleetContainerRuntime *self, GAsyncResult *result,
                                   GError **error);

  void (*container_status) (FleetContainerRuntime *self, const char *container_id,
                            GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data);
  FleetContainerInfo *(*container_status_finish) (FleetContainerRuntime *self,
                                                  GAsyncResult *result, GError **error);

  void (*list_services) (FleetContainerRuntime *self, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data);
  GPtrArray *(*list_services_finish) (FleetContainerRuntime *self, GAsyncResult *result,
                                      GError **error);

  void (*ensure_service_running) (FleetContainerRuntime *self, FleetServiceSpec *spec,
                                  const char *container_id, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
  char *(*ensure_service_running_finish) (FleetContainerRuntime *self, GAsyncResult *result,
                                          FleetLivenessAction *out_action, GError **error);

  void (*watch_events) (FleetContainerRuntime *self);

  /*< private >*/
  gpointer padding[8];
};

void fleet_container_runtime_pull_image (FleetContainerRuntime *self, const char *image,
                                         GCancellable *cancellable, GAsyncReadyCallback callback,
                                         gpointer user_data);
gboolean fleet_container_runtime_pull_image_finish (FleetContainerRuntime *self,
                                                    GAsyncResult *result, GError **error);

void fleet_container_runtime_start_service (FleetContainerRuntime *self, FleetServiceSpec *spec,
                                            GCancellable *cancellable,
                                            GAsyncReadyCallback callback, gpointer user_data);
char *fleet_container_runtime_start_service_finish (FleetContainerRuntime *self,
                                                    GAsyncResult *result, GError **error);

void fleet_container_runtime_stop_service (FleetContainerRuntime *self, const char *container_id,
                                           GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
gboolean fleet_container_runtime_stop_service_finish (FleetContainerRuntime *self,
                                                      GAsyncResult *result, GError **error);

void fleet_container_runtime_container_status (FleetContainerRuntime *self,
                                               const char *container_id,
                                               GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
FleetContainerInfo *fleet_container_runtime_container_status_finish (FleetContainerRuntime *self,
                                                                     GAsyncResult *result,
                                                                     GError **error);

void fleet_container_runtime_list_services (FleetContainerRuntime *self,
                                            GCancellable *cancellable,
                                            GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *fleet_container_runtime_list_services_finish (FleetContainerRuntime *self,
                                                         GAsyncResult *result, GError **error);

void fleet_container_runtime_ensure_service_running (FleetContainerRuntime *self,
                                                     FleetServiceSpec *spec,
                                                     const char *container_id,
                                                     GCancellable *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer user_data);
char *fleet_container_runtime_ensure_service_running_finish (FleetContainerRuntime *self,
                                                             GAsyncResult *result,
                                                             FleetLivenessAction *out_action,
                                                             GError **error);

void fleet_container_runtime_watch_events (FleetContainerRuntime *self);

void fleet_container_runtime_emit_container_died (FleetContainerRuntime *self,
                                                  const char *container_id,
                                                  const char *deployment, const char *service);

G_END_DECLS
