/* fleet-container-runtime.c: the runtime interface's public wrappers, which
 * check arguments and dispatch to the implementation.
 */
#include "config.h"

#include "fleet-container-runtime.h"

G_DEFINE_INTERFACE (FleetContainerRuntime, fleet_container_runtime, G_TYPE_OBJECT)

enum
{
  SIGNAL_CONTAINER_DIED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
fleet_container_runtime_default_init (FleetContainerRuntimeInterface *iface)
{
  /**
   * FleetContainerRuntime::container-died:
   * @runtime: the runtime
   * @container_id: the container that exited
   * @deployment: (nullable): its fleet.deployment label
   * @service: (nullable): its fleet.service label
   *
   * Emitted, once fleet_container_runtime_watch_events() was called, when a
   * container carrying the fleet labels exits or is killed.
   */
  signals[SIGNAL_CONTAINER_DIED] =
    g_signal_new ("container-died", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
}

void
fleet_container_runtime_pull_image (FleetContainerRuntime *self, const char *image,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (self));
  g_return_if_fail (image != NULL);

  FLEET_CONTAINER_RUNTIME_GET_IFACE (self)->pull_image (self, image, cancellable, callback,
                                                        user_data);
}

gboolean
fleet_container_runtime_pull_image_finish (FleetContainerRuntime *self, GAsyncResult *result,
                                           GError **error)
{
  g_return_val_if_fail (FLEET_IS_CONTAINER_RUNTIME (self), FALSE);

  return FLEET_CONTAINER_RUNTIME_GET_IFACE (self)->pull_image_finish (self, result, error);
}

void
fleet_container_runtime_start_service (FleetContainerRuntime *self, FleetServiceSpec *spec,
                                       GCancellable *cancellable, GAsyncReadyCallback callback,
                                       gpointer user_data)
{
  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (self));
  g_return_if_fail (spec != NULL);

  FLEET_CONTAINER_RUNTIME_GET_IFACE (self)->start_service (self, spec, cancellable, callback,
                                                           user_data);
}

/**
 * fleet_container_runtime_start_service_finish:
 *
 * Returns: (transfer full): the id of the new, running container
 */
char *
fleet_container_runtime_start_service_finish (FleetContainerRuntime *self, GAsyncResult *result,
                                              GError **error)
{
  g_return_val_if_fail (FLEET_IS_CONTAINER_RUNTIME (self), NULL);

  return FLEET_CONTAINER_RUNTIME_GET_IFACE (self)->start_service_finish (self, result, error);
}

void
fleet_container_runtime_stop_service (FleetContainerRuntime *self, const char *container_id,
                                      GCancellable *cancellable, GAsyncReadyCallback callback,
                                      gpointer user_data)
{
  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (self));
  g_return_if_fail (container_id != NULL);

  FLEET_CONTAINER_RUNTIME_GET_IFACE (self)->stop_service (self, container_id, cancellable,
                                                          callback, user_data);
}

gboolean
fleet_container_runtime_stop_service_finish (FleetContainerRuntime *self, GAsyncResult *result,
                                             GError **error)
{
  g_return_val_if_fail (FLEET_IS_CONTAINER_RUNTIME (self), FALSE);

  return FLEET_CONTAINER_RUNTIME_GET_IFACE (self)->stop_service_finish (self, result, error);
}

void
fleet_container_runtime_container_status (FleetContainerRuntime *self, const char *container_id,
                                          GCancellable *cancellable, GAsyncReadyCallback callback,
                                          gpointer user_data)
{
  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (self));
  g_return_if_fail (container_id != NULL);

  FLEET_CONTAINER_RUNTIME_GET_IFACE (self)->container_status (self, container_id, cancellable,
                                                              callback, user_data);
}

/**
 * fleet_container_runtime_container_status_finish:
 *
 * Returns: (transfer full): the container's report
 */
FleetContainerInfo *
fleet_container_runtime_container_status_finish (FleetContainerRuntime *self,
                                                 GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (FLEET_IS_CONTAINER_RUNTIME (self), NULL);

  return FLEET_CONTAINER_RUNTIME_GET_IFACE (self)->container_status_finish (self, result, error);
}

void
fleet_container_runtime_list_services (FleetContainerRuntime *self, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (self));

  FLEET_CONTAINER_RUNTIME_GET_IFACE (self)->list_services (self, cancellable, callback,
                                                           user_data);
}

/**
 * fleet_container_runtime_list_services_finish:
 *
 * Returns: (transfer full) (element-type FleetContainerInfo): the agent's containers
 */
GPtrArray *
fleet_container_runtime_list_services_finish (FleetContainerRuntime *self, GAsyncResult *result,
                                              GError **error)
{
  g_return_val_if_fail (FLEET_IS_CONTAINER_RUNTIME (self), NULL);

  return FLEET_CONTAINER_RUNTIME_GET_IFACE (self)->list_services_finish (self, result, error);
}

void
fleet_container_runtime_ensure_service_running (FleetContainerRuntime *self,
                                                FleetServiceSpec *spec, const char *container_id,
                                                GCancellable *cancellable,
                                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (self));
  g_return_if_fail (spec != NULL);
  g_return_if_fail (container_id != NULL);

  FLEET_CONTAINER_RUNTIME_GET_IFACE (self)->ensure_service_running (self, spec, container_id,
                                                                    cancellable, callback,
                                                                    user_data);
}

/**
 * fleet_container_runtime_ensure_service_running_finish:
 * @out_action: (out) (optional): what was done
 *
 * Returns: (transfer full): the id of the running container: the same id, or
 *   a new one when it had to be created
 */
char *
fleet_container_runtime_ensure_service_running_finish (FleetContainerRuntime *self,
                                                        GAsyncResult *result,
                                                        FleetLivenessAction *out_action,
                                                        GError **error)
{
  g_return_val_if_fail (FLEET_IS_CONTAINER_RUNTIME (self), NULL);

  return FLEET_CONTAINER_RUNTIME_GET_IFACE (self)->ensure_service_running_finish (self, result,
                                                                                  out_action,
                                                                                  error);
}

/**
 * fleet_container_runtime_watch_events:
 *
 * Ask the runtime to watch for containers that die and report them with
 * #FleetContainerRuntime::container-died.  Runtimes without an event source
 * ignore this; the liveness tick still notices.
 */
void
fleet_container_runtime_watch_events (FleetContainerRuntime *self)
{
  FleetContainerRuntimeInterface *iface;

  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (self));

  iface = FLEET_CONTAINER_RUNTIME_GET_IFACE (self);
  if (iface->watch_events)
    iface->watch_events (self);
}

/* For implementations. */
void
fleet_container_runtime_emit_container_died (FleetContainerRuntime *self,
                                             const char *container_id, const char *deployment,
                                             const char *service)
{
  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (self));

  g_signal_emit (self, signals[SIGNAL_CONTAINER_DIED], 0, container_id, deployment, service);
}
