/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-fake-runtime-network.c: the network primitives of FleetFakeRuntime.
 *
 * Logged as "network-ensure NAME", "network-connect NAME CONTAINER",
 * "network-disconnect NAME CONTAINER" and "network-remove NAME", and failing as podman's would.  A network is a
 * name; the networks a container is on are its report's networks.  Names
 * resolve on every network unless a test said otherwise
 * (fleet_fake_runtime_set_networks_without_dns()), as under podman's CNI
 * backend without the dnsname plugin.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fleet-error.h"
#include "fleet-fake-runtime-private.h"

typedef struct
{
  char *network;
  char *container;
} NetworkRequest;

static void
network_request_free (gpointer data)
{
  NetworkRequest *r = data;

  g_free (r->network);
  g_free (r->container);
  g_free (r);
}

static GTask *
new_network_request (FleetContainerRuntime *runtime, const char *network, const char *container,
                     GCancellable *cancellable, GAsyncReadyCallback callback,
                     gpointer user_data, gpointer source_tag)
{
  GTask *task = g_task_new (runtime, cancellable, callback, user_data);
  NetworkRequest *r = g_new0 (NetworkRequest, 1);

  g_task_set_source_tag (task, source_tag);
  r->network = g_strdup (network);
  r->container = g_strdup (container);
  g_task_set_task_data (task, r, network_request_free);
  return task;
}

static gboolean
is_on (FakeContainer *c, const char *network)
{
  return c->info->networks != NULL
         && g_strv_contains ((const char *const *)c->info->networks, network);
}

static void
do_network_ensure (FleetFakeRuntime *self, GTask *task)
{
  NetworkRequest *r = g_task_get_task_data (task);

  _fleet_fake_log_call (self, "network-ensure %s", r->network);
  g_hash_table_add (self->networks, g_strdup (r->network));
  g_task_return_int (task, !self->networks_without_dns);
}

static void
fake_network_ensure (FleetContainerRuntime *runtime, const char *name, GHashTable *labels,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = new_network_request (runtime, name, NULL, cancellable, callback, user_data,
                                     fake_network_ensure);

  _fleet_fake_schedule (FLEET_FAKE_RUNTIME (runtime), task, do_network_ensure);
  g_object_unref (task);
}

static gboolean
fake_network_ensure_finish (FleetContainerRuntime *runtime, GAsyncResult *result,
                            gboolean *out_dns_enabled, GError **error)
{
  gssize dns;

  g_return_val_if_fail (g_task_is_valid (result, runtime), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fake_network_ensure, FALSE);

  dns = g_task_propagate_int (G_TASK (result), error);
  if (dns < 0)
    return FALSE;
  if (out_dns_enabled != NULL)
    *out_dns_enabled = dns > 0;
  return TRUE;
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

static void
join (FakeContainer *c, const char *network)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  if (c->info->networks != NULL)
    g_strv_builder_addv (builder, (const char **)c->info->networks);
  g_strv_builder_add (builder, network);
  g_strfreev (c->info->networks);
  c->info->networks = g_strv_builder_end (builder);
  /* sorted, as podman reports them */
  qsort (c->info->networks, g_strv_length (c->info->networks), sizeof (char *), compare_names);
}

static void
do_network_connect (FleetFakeRuntime *self, GTask *task)
{
  NetworkRequest *r = g_task_get_task_data (task);
  FakeContainer *c;

  _fleet_fake_log_call (self, "network-connect %s %s", r->network, r->container);
  if (!g_hash_table_contains (self->networks, r->network))
    {
      g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_NOT_FOUND,
                               "fake runtime: connecting %s to network %s: unable to find "
                               "network with name or ID %s: network not found",
                               r->container, r->network, r->network);
      return;
    }
  c = _fleet_fake_find (self, r->container, NULL);
  if (c == NULL)
    {
      g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_NOT_FOUND,
                               "fake runtime: connecting %s to network %s: no container with "
                               "name or ID \"%s\" found",
                               r->container, r->network, r->container);
      return;
    }
  if (!is_on (c, r->network))
    join (c, r->network);
  g_task_return_boolean (task, TRUE);
}

static void
fake_network_connect (FleetContainerRuntime *runtime, const char *network, const char *id,
                      const char *const *aliases, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = new_network_request (runtime, network, id, cancellable, callback, user_data,
                                     fake_network_connect);

  _fleet_fake_schedule (FLEET_FAKE_RUNTIME (runtime), task, do_network_connect);
  g_object_unref (task);
}

static void
leave (FakeContainer *c, const char *network)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; c->info->networks[i] != NULL; i++)
    if (g_strcmp0 (c->info->networks[i], network) != 0)
      g_strv_builder_add (builder, c->info->networks[i]);
  g_strfreev (c->info->networks);
  c->info->networks = g_strv_builder_end (builder);
}

static void
do_network_disconnect (FleetFakeRuntime *self, GTask *task)
{
  NetworkRequest *r = g_task_get_task_data (task);
  FakeContainer *c;

  _fleet_fake_log_call (self, "network-disconnect %s %s", r->network, r->container);
  if (!g_hash_table_contains (self->networks, r->network))
    {
      g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_NOT_FOUND,
                               "fake runtime: disconnecting %s from network %s: unable to find "
                               "network with name or ID %s: network not found",
                               r->container, r->network, r->network);
      return;
    }
  c = _fleet_fake_find (self, r->container, NULL);
  if (c == NULL || !is_on (c, r->network))
    {
      g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_NOT_FOUND,
                               "fake runtime: disconnecting %s from network %s: %s",
                               r->container, r->network,
                               c == NULL ? "no such container"
                                         : "container is not connected to network");
      return;
    }
  leave (c, r->network);
  g_task_return_boolean (task, TRUE);
}

static void
fake_network_disconnect (FleetContainerRuntime *runtime, const char *network, const char *id,
                         GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data)
{
  GTask *task = new_network_request (runtime, network, id, cancellable, callback, user_data,
                                     fake_network_disconnect);

  _fleet_fake_schedule (FLEET_FAKE_RUNTIME (runtime), task, do_network_disconnect);
  g_object_unref (task);
}

static void
do_network_remove (FleetFakeRuntime *self, GTask *task)
{
  NetworkRequest *r = g_task_get_task_data (task);

  _fleet_fake_log_call (self, "network-remove %s", r->network);
  if (!g_hash_table_contains (self->networks, r->network))
    {
      g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_NOT_FOUND,
                               "fake runtime: removing network %s: unable to find network with "
                               "name or ID %s: network not found",
                               r->network, r->network);
      return;
    }
  for (guint i = 0; i < self->containers->len; i++)
    {
      FakeContainer *c = self->containers->pdata[i];

      if (is_on (c, r->network))
        {
          g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_BUSY,
                                   "fake runtime: removing network %s: \"%s\" has associated "
                                   "containers with it: network is being used",
                                   r->network, r->network);
          return;
        }
    }
  g_hash_table_remove (self->networks, r->network);
  g_task_return_boolean (task, TRUE);
}

static void
fake_network_remove (FleetContainerRuntime *runtime, const char *name,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = new_network_request (runtime, name, NULL, cancellable, callback, user_data,
                                     fake_network_remove);

  _fleet_fake_schedule (FLEET_FAKE_RUNTIME (runtime), task, do_network_remove);
  g_object_unref (task);
}

static gboolean
fake_network_finish_boolean (FleetContainerRuntime *runtime, GAsyncResult *result,
                             GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, runtime), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
_fleet_fake_runtime_network_iface_init (FleetContainerRuntimeInterface *iface)
{
  iface->network_ensure = fake_network_ensure;
  iface->network_ensure_finish = fake_network_ensure_finish;
  iface->network_connect = fake_network_connect;
  iface->network_connect_finish = fake_network_finish_boolean;
  iface->network_disconnect = fake_network_disconnect;
  iface->network_disconnect_finish = fake_network_finish_boolean;
  iface->network_remove = fake_network_remove;
  iface->network_remove_finish = fake_network_finish_boolean;
}
