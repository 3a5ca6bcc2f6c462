/* fleet-state.c: the agent's persisted state, and its file.
 *
 * The file is JSON, written atomically (a temporary file, fsync, rename:
 * g_file_set_contents_full with CONSISTENT | DURABLE), so after a crash or a
 * power cut it holds either the old or the new state, never a mixture.  It
 * is written synchronously: it is small, on local storage, and the reconciler
 * must know a container id is on disk before it moves on.
 *
 *   { "version": 1, "generation": 7, "desired": { ...document... },
 *     "deployments": { "hello": { "phase": "Running", "last_error": null,
 *       "last_event_at": "...", "services": { "web": {
 *         "container_id": "...", "spec_digest": "sha256:..." } } } } }
 */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>

#include "fleet-state.h"
#include "fleet-util-private.h"

#define STATE_FORMAT_VERSION 1
/* The state holds one document (1 MiB by default) and a record per service. */
#define FLEET_STATE_MAX_BYTES (256 * 1024 * 1024)

static void
service_record_free (gpointer data)
{
  FleetServiceRecord *record = data;

  g_free (record->container_id);
  g_free (record->spec_digest);
  g_free (record);
}

static void
deployment_record_free (gpointer data)
{
  FleetDeploymentRecord *record = data;

  g_free (record->name);
  g_free (record->last_error);
  g_free (record->last_event_at);
  g_hash_table_unref (record->services);
  g_free (record);
}

FleetState *
fleet_state_new (void)
{
  FleetState *state = g_new0 (FleetState, 1);

  state->generation = -1;
  state->deployments = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                              deployment_record_free);
  return state;
}

void
fleet_state_free (FleetState *state)
{
  if (state == NULL)
    return;
  g_clear_pointer (&state->desired, fleet_document_unref);
  g_hash_table_unref (state->deployments);
  g_free (state);
}

FleetDeploymentRecord *
fleet_state_lookup_deployment (FleetState *state, const char *name)
{
  return g_hash_table_lookup (state->deployments, name);
}

FleetDeploymentRecord *
fleet_state_ensure_deployment (FleetState *state, const char *name)
{
  FleetDeploymentRecord *record = g_hash_table_lookup (state->deployments, name);

  if (record == NULL)
    {
      record = g_new0 (FleetDeploymentRecord, 1);
      record->name = g_strdup (name);
      record->phase = FLEET_PHASE_PENDING;
      record->services = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                service_record_free);
      g_hash_table_insert (state->deployments, record->name, record);
    }
  return record;
}

void
fleet_state_remove_deployment (FleetState *state, const char *name)
{
  g_hash_table_remove (state->deployments, name);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static GPtrArray *
sorted_keys (GHashTable *table)
{
  GPtrArray *keys = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, compare_strings);
  return keys;
}

/**
 * fleet_state_get_deployment_names:
 *
 * Returns: (transfer container) (element-type utf8): the recorded
 *   deployments' names, sorted
 */
GPtrArray *
fleet_state_get_deployment_names (FleetState *state)
{
  return sorted_keys (state->deployments);
}

FleetServiceRecord *
fleet_deployment_record_lookup_service (FleetDeploymentRecord *record, const char *name)
{
  return g_hash_table_lookup (record->services, name);
}

FleetServiceRecord *
fleet_deployment_record_ensure_service (FleetDeploymentRecord *record, const char *name)
{
  FleetServiceRecord *service = g_hash_table_lookup (record->services, name);

  if (service == NULL)
    {
      service = g_new0 (FleetServiceRecord, 1);
      g_hash_table_insert (record->services, g_strdup (name), service);
    }
  return service;
}

/**
 * fleet_deployment_record_get_service_names:
 *
 * Returns: (transfer container) (element-type utf8): the recorded services'
 *   names, sorted
 */
GPtrArray *
fleet_deployment_record_get_service_names (FleetDeploymentRecord *record)
{
  return sorted_keys (record->services);
}

/* Whether any service record holds @container_id. */
gboolean
fleet_state_has_container_id (FleetState *state, const char *container_id)
{
  GHashTableIter iter;
  FleetDeploymentRecord *record;

  g_hash_table_iter_init (&iter, state->deployments);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &record))
    {
      GHashTableIter siter;
      FleetServiceRecord *service;

      g_hash_table_iter_init (&siter, record->services);
      while (g_hash_table_iter_next (&siter, NULL, (gpointer *) &service))
        if (g_strcmp0 (service->container_id, container_id) == 0)
          return TRUE;
    }
  return FALSE;
}

static void
add_nullable_string (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  if (value)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_deployment (JsonBuilder *builder, FleetDeploymentRecord *record)
{
  g_autoptr(GPtrArray) names = fleet_deployment_record_get_service_names (record);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "phase");
  json_builder_add_string_value (builder, fleet_phase_to_string (record->phase));
  add_nullable_string (builder, "last_error", record->last_error);
  add_nullable_string (builder, "last_event_at", record->last_event_at);
  json_builder_set_member_name (builder, "services");
  json_builder_begin_object (builder);
  for (guint i = 0; i < names->len; i++)
    {
      FleetServiceRecord *service = g_hash_table_lookup (record->services, names->pdata[i]);

      json_builder_set_member_name (builder, names->pdata[i]);
      json_builder_begin_object (builder);
      add_nullable_string (builder, "container_id", service->container_id);
      add_nullable_string (builder, "spec_digest", service->spec_digest);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
}

/**
 * fleet_state_serialize:
 *
 * Returns: (transfer full): the state file's contents
 */
GBytes *
fleet_state_serialize (FleetState *state)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GPtrArray) names = fleet_state_get_deployment_names (state);
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  gsize len;
  char *text;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, STATE_FORMAT_VERSION);
  json_builder_set_member_name (builder, "generation");
  if (state->generation >= 0)
    json_builder_add_int_value (builder, state->generation);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "desired");
  if (state->desired)
    {
      g_autofree char *desired = g_strndup (g_bytes_get_data (state->desired->canonical, NULL),
                                            g_bytes_get_size (state->desired->canonical));

      json_builder_add_value (builder, json_from_string (desired, NULL));
    }
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "deployments");
  json_builder_begin_object (builder);
  for (guint i = 0; i < names->len; i++)
    {
      json_builder_set_member_name (builder, names->pdata[i]);
      add_deployment (builder, g_hash_table_lookup (state->deployments, names->pdata[i]));
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, &len);
  return g_bytes_new_take (text, len);
}

static const char *
get_nullable_string (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node) || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
get_object (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static gboolean
load_deployment (FleetState *state, const char *name, JsonNode *node, GError **error)
{
  FleetDeploymentRecord *record;
  JsonObject *object, *services;
  g_autoptr(GList) members = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fleet_throw (error, FLEET_ERROR_STATE_CORRUPT, "deployments.%s: not an object", name);
  object = json_node_get_object (node);
  record = fleet_state_ensure_deployment (state, name);
  if (!fleet_phase_from_string (get_nullable_string (object, "phase"), &record->phase))
    return fleet_throw (error, FLEET_ERROR_STATE_CORRUPT, "deployments.%s.phase: unknown phase",
                        name);
  record->last_error = g_strdup (get_nullable_string (object, "last_error"));
  record->last_event_at = g_strdup (get_nullable_string (object, "last_event_at"));
  services = get_object (object, "services");
  if (services == NULL)
    return fleet_throw (error, FLEET_ERROR_STATE_CORRUPT, "deployments.%s.services: missing",
                        name);
  members = json_object_get_members (services);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonObject *s = get_object (services, l->data);
      FleetServiceRecord *service;
      const char *id;

      if (s == NULL)
        return fleet_throw (error, FLEET_ERROR_STATE_CORRUPT,
                            "deployments.%s.services.%s: not an object", name,
                            (const char *) l->data);
      id = get_nullable_string (s, "container_id");
      if (id != NULL && !fleet_is_container_id (id))
        return fleet_throw (error, FLEET_ERROR_STATE_CORRUPT,
                            "deployments.%s.services.%s.container_id: not a container id", name,
                            (const char *) l->data);
      service = fleet_deployment_record_ensure_service (record, l->data);
      service->container_id = g_strdup (id);
      service->spec_digest = g_strdup (get_nullable_string (s, "spec_digest"));
    }
  return TRUE;
}

static gboolean
load_desired (FleetState *state, JsonNode *node, GError **error)
{
  g_autofree char *text = NULL;
  FleetLimits limits;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  /* The document was valid when it was applied; don't let a smaller limit
   * configured since make it unreadable. */
  fleet_limits_init_default (&limits);
  limits.max_document_bytes = G_MAXSIZE;
  text = json_to_string (node, FALSE);
  state->desired = fleet_document_new_from_data (text, -1, &limits, error);
  if (state->desired == NULL)
    return fleet_prefix_error (error, "desired");
  return TRUE;
}

/**
 * fleet_state_deserialize:
 *
 * Returns: (transfer full): the state read from @bytes, or %NULL with
 *   FLEET_ERROR_STATE_CORRUPT
 */
FleetState *
fleet_state_deserialize (GBytes *bytes, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(FleetState) state = fleet_state_new ();
  g_autoptr(GError) local_error = NULL;
  JsonNode *root, *generation;
  JsonObject *object, *deployments;
  g_autoptr(GList) members = NULL;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  if (!json_parser_load_from_data (parser, data ? data : "", len, &local_error))
    return fleet_null_throw (error, FLEET_ERROR_STATE_CORRUPT, "%s", local_error->message);
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return fleet_null_throw (error, FLEET_ERROR_STATE_CORRUPT, "not a JSON object");
  object = json_node_get_object (root);
  if (json_object_get_int_member_with_default (object, "version", 0) != STATE_FORMAT_VERSION)
    return fleet_null_throw (error, FLEET_ERROR_STATE_CORRUPT, "unknown state format version");
  generation = json_object_get_member (object, "generation");
  if (generation && JSON_NODE_HOLDS_VALUE (generation)
      && json_node_get_value_type (generation) == G_TYPE_INT64)
    state->generation = json_node_get_int (generation);
  if (!load_desired (state, json_object_get_member (object, "desired"), &local_error))
    return fleet_null_throw (error, FLEET_ERROR_STATE_CORRUPT, "%s", local_error->message);
  deployments = get_object (object, "deployments");
  if (deployments == NULL)
    return fleet_null_throw (error, FLEET_ERROR_STATE_CORRUPT, "deployments: missing");
  members = json_object_get_members (deployments);
  for (GList *l = members; l != NULL; l = l->next)
    if (!load_deployment (state, l->data, json_object_get_member (deployments, l->data), error))
      return NULL;
  return g_steal_pointer (&state);
}

/* Write @state to @path atomically and durably. */
gboolean
fleet_state_save (FleetState *state, const char *path, GError **error)
{
  g_autoptr(GBytes) bytes = fleet_state_serialize (state);

  return g_file_set_contents_full (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                   0600, error);
}

/**
 * fleet_state_load:
 *
 * Returns: (transfer full): the state in @path; %NULL with G_FILE_ERROR_NOENT
 *   when there is none, or with FLEET_ERROR_STATE_CORRUPT when it cannot be read
 */
FleetState *
fleet_state_load (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize len;
  FleetState *state;
  GStatBuf st;

  /* Only a regular file of a sane size: a state file replaced by a device
   * or a huge file must not take the agent down with it. */
  if (g_stat (path, &st) == 0 && !S_ISREG (st.st_mode))
    return fleet_null_throw (error, FLEET_ERROR_STATE_CORRUPT, "%s: not a regular file", path);
  if (g_stat (path, &st) == 0 && st.st_size > FLEET_STATE_MAX_BYTES)
    return fleet_null_throw (error, FLEET_ERROR_STATE_CORRUPT,
                             "%s: %" G_GINT64_FORMAT " bytes, larger than a state file can be",
                             path, (gint64) st.st_size);
  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  bytes = g_bytes_new_take (g_steal_pointer (&contents), len);
  state = fleet_state_deserialize (bytes, error);
  if (state == NULL)
    g_prefix_error (error, "%s: ", path);
  return state;
}
