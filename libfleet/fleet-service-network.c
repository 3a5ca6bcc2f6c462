/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-service-network.c: the network of a deployment, on which its
 * services reach each other by name, as compose gives each project one.
 *
 * Each deployment has its own network, "fleet-<deployment>", created when
 * its first container is created and removed when the deployment is
 * dropped.  A container of a service in bridge mode is created on it (and
 * on no other network, as compose has it), known there by the service's
 * name; one created before fleet had networks (by an earlier release, on
 * podman's default network) joins it while it runs, so that nothing is
 * recreated.  Services with `network_mode` host or none
 * have no part in it.
 */
#include "config.h"

#include "fleet-error.h"
#include "fleet-service-ops.h"
#include "fleet-util-private.h"

#define NETWORK_PREFIX "fleet-"

/**
 * _fleet_service_network_name:
 *
 * Returns: (transfer full): the name of @deployment's network
 */
char *
_fleet_service_network_name (const char *deployment)
{
  return g_strconcat (NETWORK_PREFIX, deployment, NULL);
}

/* Whether @spec's container belongs on its deployment's network. */
gboolean
_fleet_service_wants_network (FleetServiceSpec *spec)
{
  return spec->network_mode == FLEET_NETWORK_MODE_BRIDGE;
}

/**
 * _fleet_service_needs_to_join:
 * @info: (nullable): the runtime's report on the service's container
 *
 * Whether @spec's container, as @info reports it, has yet to join its
 * deployment's network.  A report that does not say which networks the
 * container is on counts as joined: nothing is done on a guess.
 */
gboolean
_fleet_service_needs_to_join (FleetServiceSpec *spec, const FleetContainerInfo *info)
{
  g_autofree char *network = NULL;

  if (!_fleet_service_wants_network (spec) || info == NULL || info->networks == NULL)
    return FALSE;
  network = _fleet_service_network_name (spec->deployment);
  return !g_strv_contains ((const char *const *)info->networks, network);
}

/* Said once per process: every deployment's network is alike. */
static void
warn_no_dns_once (const char *network)
{
  static gsize warned = 0;

  if (g_once_init_enter (&warned))
    {
      fleet_log_notice ("network-no-dns",
                        "network %s does not resolve container names: podman's network "
                        "backend has no DNS (CNI without the dnsname plugin?); services "
                        "reach each other by address only. Use the netavark backend with "
                        "aardvark-dns.",
                        network);
      g_once_init_leave (&warned, 1);
    }
}

/* _fleet_service_ensure_network: the deployment's network exists. */

static void
on_network_ensured (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  gboolean dns_enabled = FALSE;
  GError *error = NULL;

  if (!fleet_container_runtime_network_ensure_finish (FLEET_CONTAINER_RUNTIME (source), result,
                                                      &dns_enabled, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (!dns_enabled)
    warn_no_dns_once (g_task_get_task_data (task));
  g_task_return_boolean (task, TRUE);
}

/**
 * _fleet_service_ensure_network:
 *
 * Create @deployment's network, labelled with it, unless it exists.
 */
void
_fleet_service_ensure_network (FleetContainerRuntime *runtime, const char *deployment,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data)
{
  GTask *task;
  g_autoptr(GHashTable) labels = NULL;
  char *network;

  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (runtime));
  g_return_if_fail (deployment != NULL);

  task = g_task_new (runtime, cancellable, callback, user_data);
  g_task_set_source_tag (task, _fleet_service_ensure_network);
  network = _fleet_service_network_name (deployment);
  g_task_set_task_data (task, network, g_free);
  labels = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (labels, (gpointer)FLEET_LABEL_DEPLOYMENT, (gpointer)deployment);
  fleet_container_runtime_network_ensure_async (runtime, network, labels, cancellable,
                                                on_network_ensured, task);
}

gboolean
_fleet_service_ensure_network_finish (FleetContainerRuntime *runtime, GAsyncResult *result,
                                      GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, runtime), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == _fleet_service_ensure_network,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* _fleet_service_join_network: a running container joins it. */

typedef struct
{
  char *network;
  char *container_id;
  char *alias;
} JoinData;

static void
join_data_free (gpointer data)
{
  JoinData *d = data;

  g_free (d->network);
  g_free (d->container_id);
  g_free (d->alias);
  g_free (d);
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!fleet_container_runtime_network_connect_finish (FLEET_CONTAINER_RUNTIME (source), result,
                                                       &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_ensured_for_join (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  JoinData *d = g_task_get_task_data (task);
  FleetContainerRuntime *runtime = FLEET_CONTAINER_RUNTIME (source);
  GCancellable *cancellable = g_task_get_cancellable (task);
  const char *aliases[] = { d->alias, NULL };
  GError *error = NULL;

  if (!_fleet_service_ensure_network_finish (runtime, result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  fleet_container_runtime_network_connect_async (runtime, d->network, d->container_id, aliases,
                                                 cancellable, on_connected,
                                                 g_steal_pointer (&task));
}

/**
 * _fleet_service_join_network:
 * @container_id: the service's running container
 *
 * Put the container on its deployment's network (created if missing), known
 * there by the service's name, where it runs.
 */
void
_fleet_service_join_network (FleetContainerRuntime *runtime, FleetServiceSpec *spec,
                             const char *container_id, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;
  JoinData *d;

  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (runtime));
  g_return_if_fail (spec != NULL);
  g_return_if_fail (container_id != NULL);

  task = g_task_new (runtime, cancellable, callback, user_data);
  g_task_set_source_tag (task, _fleet_service_join_network);
  d = g_new0 (JoinData, 1);
  d->network = _fleet_service_network_name (spec->deployment);
  d->container_id = g_strdup (container_id);
  d->alias = g_strdup (spec->name);
  g_task_set_task_data (task, d, join_data_free);
  _fleet_service_ensure_network (runtime, spec->deployment, cancellable, on_ensured_for_join,
                                 task);
}

gboolean
_fleet_service_join_network_finish (FleetContainerRuntime *runtime, GAsyncResult *result,
                                    GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, runtime), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == _fleet_service_join_network,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_network_removed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!fleet_container_runtime_network_remove_finish (FLEET_CONTAINER_RUNTIME (source), result,
                                                      &error)
      && !g_error_matches (error, FLEET_ERROR, FLEET_ERROR_NOT_FOUND))
    g_task_return_error (task, error);
  else
    {
      g_clear_error (&error);
      g_task_return_boolean (task, TRUE);
    }
}

/**
 * _fleet_service_remove_network:
 *
 * Remove @deployment's network; there being none is no failure.
 * FLEET_ERROR_BUSY while containers are still on it.
 */
void
_fleet_service_remove_network (FleetContainerRuntime *runtime, const char *deployment,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data)
{
  GTask *task;
  g_autofree char *network = NULL;

  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (runtime));
  g_return_if_fail (deployment != NULL);

  task = g_task_new (runtime, cancellable, callback, user_data);
  g_task_set_source_tag (task, _fleet_service_remove_network);
  network = _fleet_service_network_name (deployment);
  fleet_container_runtime_network_remove_async (runtime, network, cancellable, on_network_removed,
                                          task);
}

gboolean
_fleet_service_remove_network_finish (FleetContainerRuntime *runtime, GAsyncResult *result,
                                      GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, runtime), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == _fleet_service_remove_network,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
