/* SPDX-License-Identifier: LGPL-2.1-or-later */
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
   * container carrying the fleet.deployment label exits, is stopped or is
   * killed.
   */
  signals[SIGNAL_CONTAINER_DIED] =
    g_signal_new ("container-died", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
}

#define IFACE(self) FLEET_CONTAINER_RUNTIME_GET_IFACE (self)

/**
 * fleet_container_runtime_pull_image_async: (virtual pull_image)
 * @self: a #FleetContainerRuntime
 * @image: the image
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Pull @image, unless the runtime has it already.
 *
 * Since: 0.2
 */
void
fleet_container_runtime_pull_image_async (FleetContainerRuntime *self, const char *image,
                                          GCancellable *cancellable, GAsyncReadyCallback callback,
                                          gpointer user_data)
{
  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (self));
  g_return_if_fail (image != NULL && *image != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  IFACE (self)->pull_image (self, image, cancellable, callback, user_data);
}

/**
 * fleet_container_runtime_pull_image_finish:
 * @self: a #FleetContainerRuntime
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError, or %NULL
 *
 * Complete fleet_container_runtime_pull_image_async().
 *
 * Returns: %TRUE when the image is there, %FALSE with @error set otherwise
 *
 * Since: 0.2
 */
gboolean
fleet_container_runtime_pull_image_finish (FleetContainerRuntime *self, GAsyncResult *result,
                                           GError **error)
{
  g_return_val_if_fail (FLEET_IS_CONTAINER_RUNTIME (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return IFACE (self)->pull_image_finish (self, result, error);
}

/**
 * fleet_container_runtime_create_async: (virtual create)
 * @self: a #FleetContainerRuntime
 * @name: the container's name
 * @spec: what to run
 * @labels: (nullable) (element-type utf8 utf8): the labels it carries
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Since: 0.2
 */
void
fleet_container_runtime_create_async (FleetContainerRuntime *self, const char *name,
                                      FleetServiceSpec *spec, GHashTable *labels,
                                      GCancellable *cancellable, GAsyncReadyCallback callback,
                                      gpointer user_data)
{
  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (self));
  g_return_if_fail (name != NULL && *name != '\0');
  g_return_if_fail (spec != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  IFACE (self)->create (self, name, spec, labels, cancellable, callback, user_data);
}

/**
 * fleet_container_runtime_create_finish:
 * @self: a #FleetContainerRuntime
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError, or %NULL
 *
 * Returns: (transfer full): the id of the new container
 *
 * Since: 0.2
 */
char *
fleet_container_runtime_create_finish (FleetContainerRuntime *self, GAsyncResult *result,
                                       GError **error)
{
  g_return_val_if_fail (FLEET_IS_CONTAINER_RUNTIME (self), NULL);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return IFACE (self)->create_finish (self, result, error);
}

/**
 * fleet_container_runtime_start_async: (virtual start)
 * @self: a #FleetContainerRuntime
 * @id: the container's id
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Start the created or exited container @id.
 *
 * Since: 0.2
 */
void
fleet_container_runtime_start_async (FleetContainerRuntime *self, const char *id,
                                     GCancellable *cancellable, GAsyncReadyCallback callback,
                                     gpointer user_data)
{
  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (self));
  g_return_if_fail (id != NULL && *id != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  IFACE (self)->start (self, id, cancellable, callback, user_data);
}

/**
 * fleet_container_runtime_start_finish:
 * @self: a #FleetContainerRuntime
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError, or %NULL
 *
 * Complete fleet_container_runtime_start_async().
 *
 * Returns: %TRUE when the container runs, %FALSE with @error set otherwise
 *
 * Since: 0.2
 */
gboolean
fleet_container_runtime_start_finish (FleetContainerRuntime *self, GAsyncResult *result,
                                      GError **error)
{
  g_return_val_if_fail (FLEET_IS_CONTAINER_RUNTIME (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return IFACE (self)->start_finish (self, result, error);
}

/**
 * fleet_container_runtime_stop_async: (virtual stop)
 * @self: a #FleetContainerRuntime
 * @id: the container's id
 * @signal: the signal to send, or 0 for the container's own stop signal
 * @grace_secs: how long to wait before SIGKILL, or a negative number for the
 *   container's own grace period
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Since: 0.2
 */
void
fleet_container_runtime_stop_async (FleetContainerRuntime *self, const char *id, int signal,
                                    int grace_secs, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (self));
  g_return_if_fail (id != NULL && *id != '\0');
  g_return_if_fail (signal >= 0 && signal < 65);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  IFACE (self)->stop (self, id, signal, grace_secs, cancellable, callback, user_data);
}

/**
 * fleet_container_runtime_stop_finish:
 * @self: a #FleetContainerRuntime
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError, or %NULL
 *
 * Complete fleet_container_runtime_stop_async().
 *
 * Returns: %TRUE when the container has stopped, %FALSE with @error set
 *   otherwise
 *
 * Since: 0.2
 */
gboolean
fleet_container_runtime_stop_finish (FleetContainerRuntime *self, GAsyncResult *result,
                                     GError **error)
{
  g_return_val_if_fail (FLEET_IS_CONTAINER_RUNTIME (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return IFACE (self)->stop_finish (self, result, error);
}

/**
 * fleet_container_runtime_remove_async: (virtual remove)
 * @self: a #FleetContainerRuntime
 * @id: the container's id
 * @force: remove it even when it runs (killing it)
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Remove the container @id.  A container that is already gone is not an
 * error.
 *
 * Since: 0.2
 */
void
fleet_container_runtime_remove_async (FleetContainerRuntime *self, const char *id, gboolean force,
                                      GCancellable *cancellable, GAsyncReadyCallback callback,
                                      gpointer user_data)
{
  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (self));
  g_return_if_fail (id != NULL && *id != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  IFACE (self)->remove (self, id, force, cancellable, callback, user_data);
}

/**
 * fleet_container_runtime_remove_finish:
 * @self: a #FleetContainerRuntime
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError, or %NULL
 *
 * Complete fleet_container_runtime_remove_async().
 *
 * Returns: %TRUE when the container is gone, %FALSE with @error set otherwise
 *
 * Since: 0.2
 */
gboolean
fleet_container_runtime_remove_finish (FleetContainerRuntime *self, GAsyncResult *result,
                                       GError **error)
{
  g_return_val_if_fail (FLEET_IS_CONTAINER_RUNTIME (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return IFACE (self)->remove_finish (self, result, error);
}

/**
 * fleet_container_runtime_inspect_async: (virtual inspect)
 * @self: a #FleetContainerRuntime
 * @id: the container's id
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Ask the runtime what it knows of the container @id; complete with
 * fleet_container_runtime_inspect_finish().
 *
 * Since: 0.2
 */
void
fleet_container_runtime_inspect_async (FleetContainerRuntime *self, const char *id,
                                       GCancellable *cancellable, GAsyncReadyCallback callback,
                                       gpointer user_data)
{
  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (self));
  g_return_if_fail (id != NULL && *id != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  IFACE (self)->inspect (self, id, cancellable, callback, user_data);
}

/**
 * fleet_container_runtime_inspect_finish:
 * @self: a #FleetContainerRuntime
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError, or %NULL
 *
 * Returns: (transfer full): the container's report
 *
 * Since: 0.2
 */
FleetContainerInfo *
fleet_container_runtime_inspect_finish (FleetContainerRuntime *self, GAsyncResult *result,
                                        GError **error)
{
  g_return_val_if_fail (FLEET_IS_CONTAINER_RUNTIME (self), NULL);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return IFACE (self)->inspect_finish (self, result, error);
}

/**
 * fleet_container_runtime_list_async: (virtual list)
 * @self: a #FleetContainerRuntime
 * @label: (nullable): "KEY" for the containers that have the label, "KEY=VALUE"
 *   for those where it has that value, %NULL for all
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Since: 0.2
 */
void
fleet_container_runtime_list_async (FleetContainerRuntime *self, const char *label,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (self));
  g_return_if_fail (label == NULL || (*label != '\0' && *label != '='));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  IFACE (self)->list (self, label, cancellable, callback, user_data);
}

/**
 * fleet_container_runtime_list_finish:
 * @self: a #FleetContainerRuntime
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError, or %NULL
 *
 * Returns: (transfer full) (element-type FleetContainerInfo): the reports
 *
 * Since: 0.2
 */
GPtrArray *
fleet_container_runtime_list_finish (FleetContainerRuntime *self, GAsyncResult *result,
                                     GError **error)
{
  g_return_val_if_fail (FLEET_IS_CONTAINER_RUNTIME (self), NULL);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return IFACE (self)->list_finish (self, result, error);
}

/**
 * fleet_container_runtime_rename_async: (virtual rename)
 * @self: a #FleetContainerRuntime
 * @id: the container's id
 * @new_name: the container's new name
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Rename the container @id to @new_name.
 *
 * Since: 0.2
 */
void
fleet_container_runtime_rename_async (FleetContainerRuntime *self, const char *id,
                                      const char *new_name, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (self));
  g_return_if_fail (id != NULL && *id != '\0');
  g_return_if_fail (new_name != NULL && *new_name != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  IFACE (self)->rename (self, id, new_name, cancellable, callback, user_data);
}

/**
 * fleet_container_runtime_rename_finish:
 * @self: a #FleetContainerRuntime
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError, or %NULL
 *
 * Complete fleet_container_runtime_rename_async().
 *
 * Returns: %TRUE when the container is renamed, %FALSE with @error set
 *   otherwise
 *
 * Since: 0.2
 */
gboolean
fleet_container_runtime_rename_finish (FleetContainerRuntime *self, GAsyncResult *result,
                                       GError **error)
{
  g_return_val_if_fail (FLEET_IS_CONTAINER_RUNTIME (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return IFACE (self)->rename_finish (self, result, error);
}

/**
 * fleet_container_runtime_unpause_async: (virtual unpause)
 * @self: a #FleetContainerRuntime
 * @id: the container's id
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Resume the paused container @id.
 *
 * Since: 0.2
 */
void
fleet_container_runtime_unpause_async (FleetContainerRuntime *self, const char *id,
                                       GCancellable *cancellable, GAsyncReadyCallback callback,
                                       gpointer user_data)
{
  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (self));
  g_return_if_fail (id != NULL && *id != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  IFACE (self)->unpause (self, id, cancellable, callback, user_data);
}

/**
 * fleet_container_runtime_unpause_finish:
 * @self: a #FleetContainerRuntime
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError, or %NULL
 *
 * Complete fleet_container_runtime_unpause_async().
 *
 * Returns: %TRUE when the container runs again, %FALSE with @error set
 *   otherwise
 *
 * Since: 0.2
 */
gboolean
fleet_container_runtime_unpause_finish (FleetContainerRuntime *self, GAsyncResult *result,
                                        GError **error)
{
  g_return_val_if_fail (FLEET_IS_CONTAINER_RUNTIME (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return IFACE (self)->unpause_finish (self, result, error);
}

/**
 * fleet_container_runtime_watch_events:
 * @self: a #FleetContainerRuntime
 *
 * Ask the runtime to watch for containers that die and report them with
 * #FleetContainerRuntime::container-died.  Runtimes without an event source
 * ignore this.
 *
 * Since: 0.2
 */
void
fleet_container_runtime_watch_events (FleetContainerRuntime *self)
{
  FleetContainerRuntimeInterface *iface;

  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (self));

  iface = IFACE (self);
  if (iface->watch_events)
    iface->watch_events (self);
}

/**
 * fleet_container_runtime_emit_container_died:
 * @self: a #FleetContainerRuntime
 * @container_id: the container's id
 * @deployment: the deployment's name
 * @service: the service's name
 *
 * For implementations.
 *
 * Since: 0.2
 */
void
fleet_container_runtime_emit_container_died (FleetContainerRuntime *self,
                                             const char *container_id, const char *deployment,
                                             const char *service)
{
  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (self));
  g_return_if_fail (container_id != NULL);

  g_signal_emit (self, signals[SIGNAL_CONTAINER_DIED], 0, container_id, deployment, service);
}

/**
 * fleet_container_runtime_run_healthcheck_async: (virtual run_healthcheck)
 * @self: a #FleetContainerRuntime
 * @id: the container
 * @check: the service's health check
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Run @check once against the running container @id: an exec check inside
 * it, an HTTP or TCP probe against its address.  The caller bounds the
 * time it takes with @cancellable.
 *
 * Since: 0.2
 */
void
fleet_container_runtime_run_healthcheck_async (FleetContainerRuntime *self, const char *id,
                                               const FleetHealthcheck *check,
                                               GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (self));
  g_return_if_fail (id != NULL && *id != '\0');
  g_return_if_fail (check != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  IFACE (self)->run_healthcheck (self, id, check, cancellable, callback, user_data);
}

/**
 * fleet_container_runtime_run_healthcheck_finish:
 * @self: a #FleetContainerRuntime
 * @result: the #GAsyncResult passed to the callback
 * @out_passed: (out): whether the check passed
 * @out_output: (out) (optional): what it printed or saw, one line (possibly empty)
 * @error: return location for a #GError, or %NULL
 *
 * Returns: TRUE when the check ran; FALSE with the error when it could not
 *   be run at all (no such container, the runtime unreachable)
 *
 * Since: 0.2
 */
gboolean
fleet_container_runtime_run_healthcheck_finish (FleetContainerRuntime *self, GAsyncResult *result,
                                                gboolean *out_passed, char **out_output,
                                                GError **error)
{
  g_return_val_if_fail (FLEET_IS_CONTAINER_RUNTIME (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);
  g_return_val_if_fail (out_passed != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return IFACE (self)->run_healthcheck_finish (self, result, out_passed, out_output, error);
}
