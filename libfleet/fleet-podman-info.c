/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-podman-info.c: reading podman's answers into fleet's terms.
 *
 * Podman's JSON has two shapes for the same facts: a container's inspect
 * document (labels under Config, state under State) and the entries of the
 * container list (both flat), and pull answers with JSON lines instead of a
 * status.  This file is the one place that knows those shapes, and it reads
 * them defensively: a member that is missing, null or of the wrong type is
 * treated as absent rather than trusted.
 */
#include "config.h"

#include "fleet-podman-private.h"
#include "fleet-util-private.h"

/* The grace and signal podman uses when a container has none recorded. */
#define PODMAN_DEFAULT_STOP_TIMEOUT 10
#define PODMAN_DEFAULT_STOP_SIGNAL 15

/* @member of @object when it is a string, else NULL. */
const char *
_fleet_podman_json_get_string (JsonObject *object, const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* @member of @object when it is an object, else NULL. */
JsonObject *
_fleet_podman_json_get_object (JsonObject *object, const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_node_get_object (node);
}

static gint64
get_int (JsonObject *object, const char *member, gint64 default_value)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return default_value;
  return json_node_get_int (node);
}

/* Created, configured and initialized containers do not run (never started,
 * or left behind by a start that failed); the rest have stopped. */
FleetContainerState
_fleet_podman_parse_state (const char *state)
{
  static const struct
  {
    const char *name;
    FleetContainerState state;
  } states[] = {
    { "running", FLEET_CONTAINER_STATE_RUNNING },
    { "paused", FLEET_CONTAINER_STATE_PAUSED },
    { "created", FLEET_CONTAINER_STATE_CREATED },
    { "configured", FLEET_CONTAINER_STATE_CREATED },
    { "initialized", FLEET_CONTAINER_STATE_CREATED },
    { "exited", FLEET_CONTAINER_STATE_EXITED },
    { "stopped", FLEET_CONTAINER_STATE_EXITED },
    { "dead", FLEET_CONTAINER_STATE_EXITED },
  };

  for (gsize i = 0; state != NULL && i < G_N_ELEMENTS (states); i++)
    if (g_ascii_strcasecmp (state, states[i].name) == 0)
      return states[i].state;
  return FLEET_CONTAINER_STATE_UNKNOWN;
}

/* Every label whose value is a string. */
static void
set_labels (FleetContainerInfo *info, JsonObject *labels)
{
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;

  if (labels == NULL)
    return;
  json_object_iter_init (&iter, labels);
  while (json_object_iter_next (&iter, &key, &value))
    if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
      fleet_container_info_set_label (info, key, json_node_get_string (value));
}

static JsonObject *
expect_object (JsonNode *node, const char *what, GError **error)
{
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return fleet_null_throw (error, FLEET_ERROR_RUNTIME,
                             "podman: unexpected answer to %s: not a JSON object", what);
  return json_node_get_object (node);
}

/**
 * _fleet_podman_info_from_inspect:
 * @node: the answer to GET /containers/{id}/json
 *
 * Returns: (transfer full): the container's report
 */
FleetContainerInfo *
_fleet_podman_info_from_inspect (JsonNode *node, GError **error)
{
  JsonObject *object = expect_object (node, "inspect", error);
  JsonObject *state;
  const char *id;
  const char *name;
  FleetContainerInfo *info;

  if (object == NULL)
    return NULL;
  id = _fleet_podman_json_get_string (object, "Id");
  if (id == NULL)
    return fleet_null_throw (error, FLEET_ERROR_RUNTIME,
                             "podman: unexpected answer to inspect: no Id");
  name = _fleet_podman_json_get_string (object, "Name");
  info = fleet_container_info_new (id, name ? name : "");
  set_labels (info, _fleet_podman_json_get_object (_fleet_podman_json_get_object (object, "Config"),
                                                   "Labels"));
  info->image = g_strdup (_fleet_podman_json_get_string (object, "ImageName"));
  state = _fleet_podman_json_get_object (object, "State");
  info->state = _fleet_podman_parse_state (_fleet_podman_json_get_string (state, "Status"));
  info->exit_code = (int)get_int (state, "ExitCode", 0);
  info->networks = _fleet_podman_networks_from_inspect (object);
  info->restart_count = (guint)MAX (get_int (object, "RestartCount", 0), 0);
  return info;
}

/* The first of a list entry's Names, if it is a string. */
static const char *
first_name (JsonObject *object)
{
  JsonNode *names = json_object_get_member (object, "Names");
  JsonNode *first;

  if (names == NULL || !JSON_NODE_HOLDS_ARRAY (names)
      || json_array_get_length (json_node_get_array (names)) == 0)
    return NULL;
  first = json_array_get_element (json_node_get_array (names), 0);
  if (!JSON_NODE_HOLDS_VALUE (first) || json_node_get_value_type (first) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (first);
}

static FleetContainerInfo *
info_from_list_entry (JsonObject *object)
{
  const char *id = _fleet_podman_json_get_string (object, "Id");
  const char *name = first_name (object);
  FleetContainerInfo *info;

  if (id == NULL)
    return NULL;
  info = fleet_container_info_new (id, name ? name : "");
  set_labels (info, _fleet_podman_json_get_object (object, "Labels"));
  info->image = g_strdup (_fleet_podman_json_get_string (object, "Image"));
  info->state = _fleet_podman_parse_state (_fleet_podman_json_get_string (object, "State"));
  info->exit_code = (int)get_int (object, "ExitCode", 0);
  info->networks = _fleet_podman_networks_from_list_entry (object);
  info->restart_count = (guint)MAX (get_int (object, "Restarts", 0), 0);
  return info;
}

/**
 * _fleet_podman_info_list_from_json:
 * @node: the answer to GET /containers/json
 *
 * Returns: (transfer full) (element-type FleetContainerInfo): the reports
 */
GPtrArray *
_fleet_podman_info_list_from_json (JsonNode *node, GError **error)
{
  g_autoptr(GPtrArray) list = NULL;
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return fleet_null_throw (error, FLEET_ERROR_RUNTIME,
                             "podman: unexpected answer to list: not a JSON array");
  array = json_node_get_array (node);
  list = g_ptr_array_new_with_free_func ((GDestroyNotify)fleet_container_info_unref);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      FleetContainerInfo *info = NULL;

      if (JSON_NODE_HOLDS_OBJECT (element))
        info = info_from_list_entry (json_node_get_object (element));
      if (info != NULL)
        g_ptr_array_add (list, info);
    }
  return g_steal_pointer (&list);
}

/* The grace period baked into the container at create (Config.StopTimeout). */
guint
_fleet_podman_inspect_get_stop_timeout (JsonNode *node)
{
  JsonObject *object = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  gint64 timeout = get_int (_fleet_podman_json_get_object (object, "Config"), "StopTimeout",
                            PODMAN_DEFAULT_STOP_TIMEOUT);

  return (guint)CLAMP (timeout, 0, G_MAXINT);
}

/* The stop signal baked into the container at create (Config.StopSignal). */
int
_fleet_podman_inspect_get_stop_signal (JsonNode *node)
{
  JsonObject *object = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  gint64 signal = get_int (_fleet_podman_json_get_object (object, "Config"), "StopSignal",
                           PODMAN_DEFAULT_STOP_SIGNAL);

  return signal > 0 && signal < 65 ? (int)signal : PODMAN_DEFAULT_STOP_SIGNAL;
}

/* Whether podman restarts the container by its own policy when it exits
 * without being stopped on request (HostConfig.RestartPolicy.Name is neither
 * empty nor "no"). */
gboolean
_fleet_podman_inspect_has_restart_policy (JsonNode *node)
{
  JsonObject *object = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  JsonObject *policy = _fleet_podman_json_get_object (
      _fleet_podman_json_get_object (object, "HostConfig"), "RestartPolicy");
  const char *name = _fleet_podman_json_get_string (policy, "Name");

  return name != NULL && *name != '\0' && g_strcmp0 (name, "no") != 0;
}

/**
 * _fleet_podman_pull_get_error:
 * @body: the JSON lines podman streamed in answer to a pull
 *
 * A pull answers 200 before it knows the outcome; a failure is a line
 * {"error": "..."} in the stream.
 *
 * Returns: (transfer full) (nullable): the error, or %NULL when the pull worked
 */
char *
_fleet_podman_pull_get_error (GBytes *body)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (body, &len);
  g_autofree char *text = g_strndup (data, len);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      const char *message;

      if (*g_strstrip (lines[i]) == '\0' || !json_parser_load_from_data (parser, lines[i], -1, NULL)
          || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        continue;
      message = _fleet_podman_json_get_string (json_node_get_object (json_parser_get_root (parser)),
                                               "error");
      if (message != NULL)
        return g_strdelimit (g_strstrip (g_strdup (message)), "\r\n", ' ');
    }
  return NULL;
}
