/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-container-runtime-network.c: the public wrappers of the runtime's
 * network primitives, which let the services of one deployment reach each
 * other by name.  They check arguments and dispatch to the implementation.
 */
#include "config.h"

#include "fleet-container-runtime.h"

#define IFACE(self) FLEET_CONTAINER_RUNTIME_GET_IFACE (self)

/**
 * fleet_container_runtime_network_ensure_async: (virtual network_ensure)
 * @self: a #FleetContainerRuntime
 * @name: the network's name
 * @labels: (nullable) (element-type utf8 utf8): the labels a new network carries
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Since: 0.2
 */
void
fleet_container_runtime_network_ensure_async (FleetContainerRuntime *self, const char *name,
                                        GHashTable *labels, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (self));
  g_return_if_fail (name != NULL && *name != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  IFACE (self)->network_ensure (self, name, labels, cancellable, callback, user_data);
}

/**
 * fleet_container_runtime_network_ensure_finish:
 * @self: a #FleetContainerRuntime
 * @result: the #GAsyncResult passed to the callback
 * @out_dns_enabled: (out) (optional): whether the network resolves the names of
 *   the containers on it
 * @error: return location for a #GError, or %NULL
 *
 * Returns: %TRUE when the network exists now
 *
 * Since: 0.2
 */
gboolean
fleet_container_runtime_network_ensure_finish (FleetContainerRuntime *self, GAsyncResult *result,
                                               gboolean *out_dns_enabled, GError **error)
{
  g_return_val_if_fail (FLEET_IS_CONTAINER_RUNTIME (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return IFACE (self)->network_ensure_finish (self, result, out_dns_enabled, error);
}

/**
 * fleet_container_runtime_network_connect_async: (virtual network_connect)
 * @self: a #FleetContainerRuntime
 * @network: the network's name
 * @id: the container's id or name
 * @aliases: (nullable) (array zero-terminated=1): more names it is known by there
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Since: 0.2
 */
void
fleet_container_runtime_network_connect_async (FleetContainerRuntime *self, const char *network,
                                         const char *id, const char *const *aliases,
                                         GCancellable *cancellable, GAsyncReadyCallback callback,
                                         gpointer user_data)
{
  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (self));
  g_return_if_fail (network != NULL && *network != '\0');
  g_return_if_fail (id != NULL && *id != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  IFACE (self)->network_connect (self, network, id, aliases, cancellable, callback, user_data);
}

/**
 * fleet_container_runtime_network_connect_finish:
 * @self: a #FleetContainerRuntime
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError, or %NULL
 *
 * Complete fleet_container_runtime_network_connect_async().
 *
 * Returns: %TRUE when the container is on the network, %FALSE with @error
 *   set otherwise
 *
 * Since: 0.2
 */
gboolean
fleet_container_runtime_network_connect_finish (FleetContainerRuntime *self,
                                                GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (FLEET_IS_CONTAINER_RUNTIME (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return IFACE (self)->network_connect_finish (self, result, error);
}

/**
 * fleet_container_runtime_create_on_network_async: (virtual create_on_network)
 * @self: a #FleetContainerRuntime
 * @name: the container's name
 * @spec: what to run
 * @labels: (nullable) (element-type utf8 utf8): the labels it carries
 * @network: the network it is on
 * @aliases: (nullable) (array zero-terminated=1): more names it is known by there
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Finish with fleet_container_runtime_create_finish().
 *
 * Since: 0.2
 */
void
fleet_container_runtime_create_on_network_async (FleetContainerRuntime *self, const char *name,
                                                 FleetServiceSpec *spec, GHashTable *labels,
                                                 const char *network,
                                                 const char *const *aliases,
                                                 GCancellable *cancellable,
                                                 GAsyncReadyCallback callback,
                                                 gpointer user_data)
{
  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (self));
  g_return_if_fail (name != NULL && *name != '\0');
  g_return_if_fail (spec != NULL);
  g_return_if_fail (network != NULL && *network != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  IFACE (self)->create_on_network (self, name, spec, labels, network, aliases, cancellable,
                                   callback, user_data);
}

/**
 * fleet_container_runtime_network_remove_async:
 * @self: a #FleetContainerRuntime
 * @name: the network's name
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Remove the network @name.  %FLEET_ERROR_NOT_FOUND when there is none;
 * %FLEET_ERROR_BUSY while containers are still on it.
 *
 * Since: 0.2
 */
void
fleet_container_runtime_network_remove_async (FleetContainerRuntime *self, const char *name,
                                        GCancellable *cancellable, GAsyncReadyCallback callback,
                                        gpointer user_data)
{
  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (self));
  g_return_if_fail (name != NULL && *name != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  IFACE (self)->network_remove (self, name, cancellable, callback, user_data);
}

/**
 * fleet_container_runtime_network_remove_finish:
 * @self: a #FleetContainerRuntime
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError, or %NULL
 *
 * Complete fleet_container_runtime_network_remove_async().
 *
 * Returns: %TRUE when the network is gone, %FALSE with @error set otherwise
 *
 * Since: 0.2
 */
gboolean
fleet_container_runtime_network_remove_finish (FleetContainerRuntime *self, GAsyncResult *result,
                                               GError **error)
{
  g_return_val_if_fail (FLEET_IS_CONTAINER_RUNTIME (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return IFACE (self)->network_remove_finish (self, result, error);
}

/**
 * fleet_container_runtime_network_disconnect_async:
 * @self: a #FleetContainerRuntime
 * @network: the network's name
 * @id: the container's id or name
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Take the container @id off @network: it is known there by no name from
 * then on, and a running container loses its interface on it at once.
 * %FLEET_ERROR_NOT_FOUND when the network or the container does not exist,
 * or the container is not on the network.
 *
 * Since: 0.2
 */
void
fleet_container_runtime_network_disconnect_async (FleetContainerRuntime *self,
                                                  const char *network, const char *id,
                                                  GCancellable *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer user_data)
{
  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (self));
  g_return_if_fail (network != NULL && *network != '\0');
  g_return_if_fail (id != NULL && *id != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  IFACE (self)->network_disconnect (self, network, id, cancellable, callback, user_data);
}

/**
 * fleet_container_runtime_network_disconnect_finish:
 * @self: a #FleetContainerRuntime
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError, or %NULL
 *
 * Complete fleet_container_runtime_network_disconnect_async().
 *
 * Returns: %TRUE when the container is off the network, %FALSE with @error
 *   set otherwise
 *
 * Since: 0.2
 */
gboolean
fleet_container_runtime_network_disconnect_finish (FleetContainerRuntime *self,
                                                   GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (FLEET_IS_CONTAINER_RUNTIME (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return IFACE (self)->network_disconnect_finish (self, result, error);
}
