/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-podman-network.c: the network primitives of FleetPodmanRuntime,
 * on podman's libpod network endpoints, and the networks a container's
 * report names.
 *
 * Podman 4.3 answers a connect of a container already on the network, the
 * disconnect of one that is not on it, and the removal of a network still
 * in use, with 500 and a "cause"; those are read here so that callers see
 * "done", FLEET_ERROR_NOT_FOUND and FLEET_ERROR_BUSY.
 */
#include "config.h"

#include <string.h>

#include "fleet-podman-private.h"
#include "fleet-util-private.h"

#define NETWORK_CAUSE_CONNECTED "network is already connected"
#define NETWORK_CAUSE_IN_USE "network is being used"
#define NETWORK_CAUSE_NOT_CONNECTED "not connected to network"

static char *
network_path (const char *name, const char *suffix)
{
  g_autofree char *escaped = g_uri_escape_string (name, NULL, FALSE);

  return g_strconcat ("/networks/", escaped, suffix, NULL);
}

static gboolean
has_cause (FleetPodmanResponse *response, const char *cause)
{
  JsonNode *json = _fleet_podman_response_get_json (response);
  const char *text;

  if (json == NULL || !JSON_NODE_HOLDS_OBJECT (json))
    return FALSE;
  text = _fleet_podman_json_get_string (json_node_get_object (json), "cause");
  return text != NULL && strstr (text, cause) != NULL;
}

/* A refusal as a FLEET_ERROR: 404 is NOT_FOUND, @busy_cause BUSY. */
static gboolean
check_network_response (FleetPodmanResponse *response, const char *busy_cause, GError **error)
{
  g_autofree char *text = NULL;
  FleetError code = FLEET_ERROR_RUNTIME;

  if (_fleet_podman_response_is_success (response))
    return TRUE;
  text = _fleet_podman_response_describe_error (response);
  if (_fleet_podman_response_is_not_found (response))
    code = FLEET_ERROR_NOT_FOUND;
  else if (busy_cause != NULL && has_cause (response, busy_cause))
    code = FLEET_ERROR_BUSY;
  return fleet_throw (error, code, "%s", text);
}

static gboolean
get_dns_enabled (FleetPodmanResponse *response)
{
  JsonNode *json = _fleet_podman_response_get_json (response);

  if (json == NULL || !JSON_NODE_HOLDS_OBJECT (json))
    return FALSE;
  return json_object_get_boolean_member_with_default (json_node_get_object (json),
                                                      "dns_enabled", FALSE);
}

/* network_ensure: create; a name already taken is looked up instead. */

static void
on_network_inspected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = _fleet_podman_runtime_receive (source, result, &error);

  if (response == NULL || !check_network_response (response, NULL, &error))
    {
      _fleet_podman_return_error (task, error, "looking at network %s",
                                  (const char *)g_task_get_task_data (task));
      return;
    }
  g_task_return_int (task, get_dns_enabled (response));
}

static void
on_network_created (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  const char *name = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = _fleet_podman_runtime_receive (source, result, &error);
  g_autofree char *path = NULL;

  if (response == NULL)
    {
      _fleet_podman_return_error (task, error, "creating network %s", name);
      return;
    }
  if (_fleet_podman_response_is_success (response))
    {
      g_task_return_int (task, get_dns_enabled (response));
      return;
    }
  if (!_fleet_podman_response_is_name_conflict (response))
    {
      check_network_response (response, NULL, &error);
      _fleet_podman_return_error (task, error, "creating network %s", name);
      return;
    }
  path = network_path (name, "/json");
  _fleet_podman_runtime_send (g_steal_pointer (&task), "GET", path, NULL,
                              FLEET_PODMAN_REQUEST_TIMEOUT_SECS, NULL, on_network_inspected);
}

static JsonNode *
network_create_json (const char *name, GHashTable *labels)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  GHashTableIter iter;
  gpointer key, value;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, name);
  json_builder_set_member_name (builder, "dns_enabled");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_set_member_name (builder, "labels");
  json_builder_begin_object (builder);
  if (labels != NULL)
    {
      g_hash_table_iter_init (&iter, labels);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          json_builder_set_member_name (builder, key);
          json_builder_add_string_value (builder, value);
        }
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

void
_fleet_podman_network_ensure (FleetContainerRuntime *runtime, const char *name,
                              GHashTable *labels, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = _fleet_podman_runtime_new_task (FLEET_PODMAN_RUNTIME (runtime), cancellable,
                                                callback, user_data,
                                                _fleet_podman_network_ensure);
  g_autoptr(JsonNode) body = network_create_json (name, labels);

  g_task_set_task_data (task, g_strdup (name), g_free);
  _fleet_podman_runtime_send (task, "POST", "/networks/create", body,
                              FLEET_PODMAN_REQUEST_TIMEOUT_SECS, NULL, on_network_created);
}

gboolean
_fleet_podman_network_ensure_finish (FleetContainerRuntime *runtime, GAsyncResult *result,
                                     gboolean *out_dns_enabled, GError **error)
{
  gssize dns;

  g_return_val_if_fail (g_task_is_valid (result, runtime), FALSE);

  dns = g_task_propagate_int (G_TASK (result), error);
  if (dns < 0)
    return FALSE;
  if (out_dns_enabled != NULL)
    *out_dns_enabled = dns > 0;
  return TRUE;
}

/* network_connect */

static void
on_network_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = _fleet_podman_runtime_receive (source, result, &error);

  if (response != NULL && has_cause (response, NETWORK_CAUSE_CONNECTED))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (response == NULL || !check_network_response (response, NULL, &error))
    {
      _fleet_podman_return_error (task, error, "connecting %s",
                                  (const char *)g_task_get_task_data (task));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
_fleet_podman_network_connect (FleetContainerRuntime *runtime, const char *network,
                               const char *id, const char *const *aliases,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data)
{
  GTask *task = _fleet_podman_runtime_new_task (FLEET_PODMAN_RUNTIME (runtime), cancellable,
                                                callback, user_data,
                                                _fleet_podman_network_connect);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *path = network_path (network, "/connect");
  g_autofree char *who = _fleet_podman_describe (id);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "container");
  json_builder_add_string_value (builder, id);
  json_builder_set_member_name (builder, "aliases");
  json_builder_begin_array (builder);
  for (guint i = 0; aliases != NULL && aliases[i] != NULL; i++)
    json_builder_add_string_value (builder, aliases[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  g_task_set_task_data (task, g_strdup_printf ("%s to network %s", who, network), g_free);
  _fleet_podman_runtime_send (task, "POST", path, body, FLEET_PODMAN_REQUEST_TIMEOUT_SECS, NULL,
                              on_network_connected);
}

/* network_disconnect */

static void
on_network_disconnected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = _fleet_podman_runtime_receive (source, result, &error);

  if (response != NULL && !_fleet_podman_response_is_success (response)
      && has_cause (response, NETWORK_CAUSE_NOT_CONNECTED))
    {
      g_autofree char *text = _fleet_podman_response_describe_error (response);

      error = g_error_new (FLEET_ERROR, FLEET_ERROR_NOT_FOUND, "%s", text);
    }
  if (error != NULL || !check_network_response (response, NULL, &error))
    {
      _fleet_podman_return_error (task, error, "disconnecting %s",
                                  (const char *)g_task_get_task_data (task));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
_fleet_podman_network_disconnect (FleetContainerRuntime *runtime, const char *network,
                                  const char *id, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = _fleet_podman_runtime_new_task (FLEET_PODMAN_RUNTIME (runtime), cancellable,
                                                callback, user_data,
                                                _fleet_podman_network_disconnect);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *path = network_path (network, "/disconnect");
  g_autofree char *who = _fleet_podman_describe (id);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "Container");
  json_builder_add_string_value (builder, id);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  g_task_set_task_data (task, g_strdup_printf ("%s from network %s", who, network), g_free);
  _fleet_podman_runtime_send (task, "POST", path, body, FLEET_PODMAN_REQUEST_TIMEOUT_SECS, NULL,
                              on_network_disconnected);
}

/* network_remove */

static void
on_network_removed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = _fleet_podman_runtime_receive (source, result, &error);

  if (response == NULL || !check_network_response (response, NETWORK_CAUSE_IN_USE, &error))
    {
      _fleet_podman_return_error (task, error, "removing network %s",
                                  (const char *)g_task_get_task_data (task));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
_fleet_podman_network_remove (FleetContainerRuntime *runtime, const char *name,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data)
{
  GTask *task = _fleet_podman_runtime_new_task (FLEET_PODMAN_RUNTIME (runtime), cancellable,
                                                callback, user_data,
                                                _fleet_podman_network_remove);
  g_autofree char *path = network_path (name, "");

  g_task_set_task_data (task, g_strdup (name), g_free);
  _fleet_podman_runtime_send (task, "DELETE", path, NULL, FLEET_PODMAN_REQUEST_TIMEOUT_SECS, NULL,
                              on_network_removed);
}

/* A create request's network: a namespace of the container's own on
 * @network only (specgen's "netns" and "Networks"), with @aliases. */
void
_fleet_podman_create_json_set_network (JsonNode *create, const char *network,
                                       const char *const *aliases)
{
  JsonObject *object = json_node_get_object (create);
  JsonObject *netns = json_object_new ();
  JsonObject *networks = json_object_new ();
  JsonObject *options = json_object_new ();
  JsonArray *names = json_array_new ();

  json_object_set_string_member (netns, "nsmode", "bridge");
  json_object_set_object_member (object, "netns", netns);
  for (guint i = 0; aliases != NULL && aliases[i] != NULL; i++)
    json_array_add_string_element (names, aliases[i]);
  json_object_set_array_member (options, "aliases", names);
  json_object_set_object_member (networks, network, options);
  json_object_set_object_member (object, "Networks", networks);
}

/* The networks a report names: the keys of an inspect's
 * NetworkSettings.Networks, or a list entry's Networks array. */

static void
add_member_name (JsonObject *object, const char *member, JsonNode *node, gpointer user_data)
{
  g_ptr_array_add (user_data, g_strdup (member));
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

static char **
sorted_strv (GPtrArray *names)
{
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  return (char **)g_ptr_array_free (names, FALSE);
}

/* (transfer full) (nullable): NULL when podman did not say */
char **
_fleet_podman_networks_from_inspect (JsonObject *inspect)
{
  JsonObject *settings = _fleet_podman_json_get_object (inspect, "NetworkSettings");
  JsonObject *networks = _fleet_podman_json_get_object (settings, "Networks");
  GPtrArray *names;

  if (networks == NULL)
    return NULL;
  names = g_ptr_array_new ();
  json_object_foreach_member (networks, add_member_name, names);
  return sorted_strv (names);
}

/* (transfer full) (nullable): NULL when podman did not say */
char **
_fleet_podman_networks_from_list_entry (JsonObject *entry)
{
  JsonNode *node = entry ? json_object_get_member (entry, "Networks") : NULL;
  JsonArray *array;
  GPtrArray *names;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  array = json_node_get_array (node);
  names = g_ptr_array_new ();
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING)
        g_ptr_array_add (names, g_strdup (json_node_get_string (element)));
    }
  return sorted_strv (names);
}
