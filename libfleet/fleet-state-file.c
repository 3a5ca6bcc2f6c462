/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-state-file.c: the state directory's files.
 *
 * desired.json is the document being applied, in its canonical form (so its
 * sha256 is the document's digest); it is written once, when a document is
 * accepted.  state.json holds the records: the generation high-water mark,
 * the digest of the document they were written against, and per deployment
 * its phase, last error and the containers of each service.  It is
 * rewritten whole when a document is accepted and when the journal
 * (fleet-state-journal.c), which records each change after it, has grown
 * as large as the records; fleet_state_compact() folds the journal in.
 *
 * Both are written atomically (a temporary file, fsync, rename:
 * g_file_set_contents_full with CONSISTENT | DURABLE), so after a crash or
 * a power cut each holds either its old or its new contents, never a
 * mixture.  They are written synchronously: the reconciler must know a
 * container id is on disk before it moves on.  desired.json goes first, so
 * a crash between the two writes leaves a desired.json newer than the
 * records; that is safe to load, as every service record carries the
 * digest of the spec its container was created from.
 *
 *   state.json:   { "version": 2, "generation": 7, "desired_digest": "sha256:...",
 *                   "deployments": { "hello": { "phase": "Running", "last_error": null,
 *                     "last_event_at": "...", "services": { "web": {
 *                       "container_id": "...", "spec_digest": "sha256:..." } } } } }
 *   desired.json: { ...the document, canonical... }
 *
 * A service record may also hold "candidate_id" and "candidate_digest" (a
 * new container beside the serving one); older releases ignore them.
 * Version 1 was one file, state.json, with the document inline as
 * "desired"; it is still read, and the next save writes both files.  A
 * version this release does not know was written by a newer one: it is
 * refused, never overwritten.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>

#include "fleet-state-private.h"
#include "fleet-util-private.h"

#define STATE_FORMAT_VERSION 2
#define STATE_FORMAT_VERSION_SINGLE_FILE 1
/* Neither file has any business being this large: a document is 1 MiB by
 * default, and a record per service is a few hundred bytes. */
#define FLEET_STATE_MAX_BYTES (256 * 1024 * 1024)

static void
add_nullable_string (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  if (value)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

/* A service record's members; the candidate's only when there is one, so
 * that the records stay as older releases wrote them. */
void
fleet_state_add_service_members (JsonBuilder *builder, const FleetServiceRecord *service)
{
  add_nullable_string (builder, "container_id", service->container_id);
  add_nullable_string (builder, "spec_digest", service->spec_digest);
  if (service->candidate_id != NULL || service->candidate_digest != NULL)
    {
      add_nullable_string (builder, "candidate_id", service->candidate_id);
      add_nullable_string (builder, "candidate_digest", service->candidate_digest);
    }
  if (service->completed)
    {
      json_builder_set_member_name (builder, "completed");
      json_builder_add_boolean_value (builder, TRUE);
    }
}

/* A deployment record's own members, its services aside. */
void
fleet_state_add_deployment_members (JsonBuilder *builder, const FleetDeploymentRecord *record)
{
  json_builder_set_member_name (builder, "phase");
  json_builder_add_string_value (builder, fleet_phase_to_string (record->phase));
  add_nullable_string (builder, "last_error", record->last_error);
  add_nullable_string (builder, "last_event_at", record->last_event_at);
}

static void
add_deployment (JsonBuilder *builder, FleetDeploymentRecord *record)
{
  g_autoptr(GPtrArray) names = fleet_deployment_record_get_service_names (record);

  json_builder_begin_object (builder);
  fleet_state_add_deployment_members (builder, record);
  json_builder_set_member_name (builder, "services");
  json_builder_begin_object (builder);
  for (guint i = 0; i < names->len; i++)
    {
      json_builder_set_member_name (builder, names->pdata[i]);
      json_builder_begin_object (builder);
      fleet_state_add_service_members (builder, g_hash_table_lookup (record->services,
                                                                     names->pdata[i]));
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
}

/**
 * fleet_state_serialize:
 * @state: the state
 *
 * Returns: (transfer full): the contents of state.json: the records, compact
 *
 * Since: 0.2
 */
GBytes *
fleet_state_serialize (FleetState *state)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  gsize len;
  char *text;

  g_return_val_if_fail (state != NULL, NULL);

  names = fleet_state_get_deployment_names (state);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, STATE_FORMAT_VERSION);
  json_builder_set_member_name (builder, "generation");
  if (state->generation >= 0)
    json_builder_add_int_value (builder, state->generation);
  else
    json_builder_add_null_value (builder);
  add_nullable_string (builder, "desired_digest",
                       state->desired ? state->desired->digest : NULL);
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

/* Whether @name is there and true; anything else is false. */
gboolean
fleet_state_get_true (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
         && json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);
}

static JsonObject *
get_object (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* One service record from its JSON object (state.json or the journal). */
gboolean
fleet_state_parse_service (FleetDeploymentRecord *record, const char *name, JsonObject *object,
                           GError **error)
{
  const char *id = get_nullable_string (object, "container_id");
  const char *candidate = get_nullable_string (object, "candidate_id");
  FleetServiceRecord *service;

  if ((id != NULL && !fleet_is_container_id (id))
      || (candidate != NULL && !fleet_is_container_id (candidate)))
    return fleet_throw (error, FLEET_ERROR_STATE_CORRUPT,
                        "deployments.%s.services.%s: not a container id", record->name, name);
  service = fleet_state_ensure_service_record (record, name);
  g_free (service->container_id);
  service->container_id = g_strdup (id);
  g_free (service->spec_digest);
  service->spec_digest = g_strdup (get_nullable_string (object, "spec_digest"));
  g_free (service->candidate_id);
  service->candidate_id = g_strdup (candidate);
  g_free (service->candidate_digest);
  service->candidate_digest = g_strdup (get_nullable_string (object, "candidate_digest"));
  service->completed = fleet_state_get_true (object, "completed");
  return TRUE;
}

/* A deployment record's own members (state.json or the journal). */
static gboolean
parse_deployment_members (FleetDeploymentRecord *record, JsonObject *object, GError **error)
{
  if (!fleet_phase_from_string (get_nullable_string (object, "phase"), &record->phase))
    return fleet_throw (error, FLEET_ERROR_STATE_CORRUPT, "deployments.%s.phase: unknown phase",
                        record->name);
  g_free (record->last_error);
  record->last_error = g_strdup (get_nullable_string (object, "last_error"));
  g_free (record->last_event_at);
  record->last_event_at = g_strdup (get_nullable_string (object, "last_event_at"));
  return TRUE;
}

/* A deployment record, with its services when @node has them. */
gboolean
fleet_state_load_deployment (FleetState *state, const char *name, JsonNode *node, GError **error)
{
  FleetDeploymentRecord *record;
  JsonObject *object, *services;
  g_autoptr(GList) members = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fleet_throw (error, FLEET_ERROR_STATE_CORRUPT, "deployments.%s: not an object", name);
  object = json_node_get_object (node);
  record = fleet_state_ensure_deployment_record (state, name);
  if (!parse_deployment_members (record, object, error))
    return FALSE;
  services = get_object (object, "services");
  if (services == NULL)
    return fleet_throw (error, FLEET_ERROR_STATE_CORRUPT, "deployments.%s.services: missing",
                        name);
  members = json_object_get_members (services);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonObject *s = get_object (services, l->data);

      if (s == NULL)
        return fleet_throw (error, FLEET_ERROR_STATE_CORRUPT,
                            "deployments.%s.services.%s: not an object", name,
                            (const char *) l->data);
      if (!fleet_state_parse_service (record, l->data, s, error))
        return FALSE;
    }
  return TRUE;
}

/* A document that was valid when it was applied: don't let a smaller limit
 * configured since make it unreadable. */
static FleetDocument *
parse_applied_document (const char *data, gssize len, GError **error)
{
  FleetLimits limits;

  fleet_limits_init_default (&limits);
  limits.max_document_bytes = G_MAXSIZE;
  return fleet_document_new_from_data (data, len, &limits, error);
}

/* Version 1: the document inline, as "desired". */
static gboolean
load_inline_desired (FleetState *state, JsonNode *node, GError **error)
{
  g_autofree char *text = NULL;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  text = json_to_string (node, FALSE);
  state->desired = parse_applied_document (text, -1, error);
  if (state->desired == NULL)
    return fleet_prefix_error (error, "desired");
  return TRUE;
}

/* Whether the records say @deployment runs exactly its services, each at
 * its spec's digest. */
static gboolean
deployment_record_matches (const FleetDeploymentRecord *record, FleetDeploymentSpec *deployment)
{
  if (g_hash_table_size (record->services) != deployment->services->len)
    return FALSE;
  for (guint i = 0; i < deployment->services->len; i++)
    {
      FleetServiceSpec *spec = deployment->services->pdata[i];
      const FleetServiceRecord *service = fleet_deployment_record_lookup_service (record,
                                                                                  spec->name);

      if (service == NULL || service->container_id == NULL
          || g_strcmp0 (service->spec_digest, spec->digest) != 0)
        return FALSE;
    }
  return TRUE;
}

/* desired.json is newer than the records (the agent stopped between
 * writing one and the other): the deployments it changes are Pending, as
 * accepting it made them; the records' spec digests say what to replace. */
static void
mark_changed_deployments_pending (FleetState *state)
{
  for (guint i = 0; i < state->desired->deployments->len; i++)
    {
      FleetDeploymentSpec *deployment = state->desired->deployments->pdata[i];
      const FleetDeploymentRecord *record = fleet_state_lookup_deployment (state,
                                                                           deployment->name);

      if (record != NULL && deployment_record_matches (record, deployment))
        continue;
      fleet_state_set_phase (state, deployment->name, FLEET_PHASE_PENDING, NULL);
    }
}

/* Version 2: the document is desired.json's (@desired, or %NULL when there
 * is none).  A desired.json that cannot be used leaves the state without a
 * document, which the next fetch brings; the records keep every container
 * where it is meanwhile.  Says why in @desired_error when the records call
 * for a document. */
static void
take_desired_file (FleetState *state, const char *recorded_digest, GBytes *desired,
                   GError **desired_error)
{
  g_autoptr(GError) local_error = NULL;
  gsize len;
  const char *data;

  if (desired == NULL)
    {
      if (recorded_digest != NULL)
        g_set_error (desired_error, FLEET_ERROR, FLEET_ERROR_STATE_CORRUPT,
                     "missing, though the records name %s", recorded_digest);
      return;
    }
  data = g_bytes_get_data (desired, &len);
  state->desired = parse_applied_document (data ? data : "", len, &local_error);
  if (state->desired == NULL)
    {
      g_propagate_error (desired_error, g_steal_pointer (&local_error));
      return;
    }
  g_free (state->saved_desired_digest);
  state->saved_desired_digest = g_strdup (state->desired->digest);
  state->generation = MAX (state->generation, state->desired->generation);
  if (g_strcmp0 (recorded_digest, state->desired->digest) != 0)
    mark_changed_deployments_pending (state);
}

static FleetState *
deserialize (GBytes *bytes, GBytes *desired, GError **desired_error, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(FleetState) state = fleet_state_new ();
  g_autoptr(GError) local_error = NULL;
  JsonNode *root, *generation;
  JsonObject *object, *deployments;
  g_autoptr(GList) members = NULL;
  gint64 version;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  if (!json_parser_load_from_data (parser, data ? data : "", len, &local_error))
    return fleet_null_throw (error, FLEET_ERROR_STATE_CORRUPT, "%s", local_error->message);
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return fleet_null_throw (error, FLEET_ERROR_STATE_CORRUPT, "not a JSON object");
  object = json_node_get_object (root);
  version = json_object_get_int_member_with_default (object, "version", 0);
  if (version > STATE_FORMAT_VERSION)
    return fleet_null_throw (error, FLEET_ERROR_STATE_UNSUPPORTED,
                             "format version %" G_GINT64_FORMAT " was written by a newer release "
                             "of fleet (this one reads up to %d); refusing to touch it",
                             version, STATE_FORMAT_VERSION);
  if (version != STATE_FORMAT_VERSION && version != STATE_FORMAT_VERSION_SINGLE_FILE)
    return fleet_null_throw (error, FLEET_ERROR_STATE_CORRUPT, "unknown state format version");
  generation = json_object_get_member (object, "generation");
  if (generation && JSON_NODE_HOLDS_VALUE (generation)
      && json_node_get_value_type (generation) == G_TYPE_INT64)
    state->generation = json_node_get_int (generation);
  if (version == STATE_FORMAT_VERSION_SINGLE_FILE
      && !load_inline_desired (state, json_object_get_member (object, "desired"), &local_error))
    return fleet_null_throw (error, FLEET_ERROR_STATE_CORRUPT, "%s", local_error->message);
  deployments = get_object (object, "deployments");
  if (deployments == NULL)
    return fleet_null_throw (error, FLEET_ERROR_STATE_CORRUPT, "deployments: missing");
  members = json_object_get_members (deployments);
  for (GList *l = members; l != NULL; l = l->next)
    if (!fleet_state_load_deployment (state, l->data,
                                      json_object_get_member (deployments, l->data), error))
      return NULL;
  if (version == STATE_FORMAT_VERSION)
    take_desired_file (state, get_nullable_string (object, "desired_digest"), desired,
                       desired_error);
  return g_steal_pointer (&state);
}

/**
 * fleet_state_deserialize:
 * @bytes: the contents of state.json
 * @desired: (nullable): the contents of desired.json, or %NULL when there is none
 * @error: return location for a #GError, or %NULL
 *
 * Read the state from its two files' contents, or from a state.json of the
 * single-file format (version 1), which holds the document itself and
 * makes @desired irrelevant.  A @desired that is not a valid document
 * leaves the state without one.  A @desired newer than the records (the
 * agent stopped between writing one and the other) is taken, with the
 * deployments it changes Pending; the generation is the higher of the two.
 *
 * Returns: (transfer full): the state, or %NULL with
 *   FLEET_ERROR_STATE_CORRUPT when @bytes cannot be read
 *
 * Since: 0.2
 */
FleetState *
fleet_state_deserialize (GBytes *bytes, GBytes *desired, GError **error)
{
  g_return_val_if_fail (bytes != NULL, NULL);

  return deserialize (bytes, desired, NULL, error);
}

gboolean
fleet_state_write_file (const char *path, GBytes *bytes, GError **error)
{
  return g_file_set_contents_full (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                   0600, error);
}

static char *
bytes_digest (GBytes *bytes)
{
  return fleet_sha256_digest (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

/**
 * fleet_state_save_desired:
 * @state: the state
 * @document: the document about to be accepted
 * @state_dir: the state directory
 * @error: return location for a #GError, or %NULL
 *
 * Write @document to desired.json, before it is accepted with
 * fleet_state_set_desired(): a restart then finds it, even if the records
 * are not written.  (A desired.json newer than the records is read as the
 * agent having stopped between the two writes.)
 *
 * Since: 0.2
 */
gboolean
fleet_state_save_desired (FleetState *state, FleetDocument *document, const char *state_dir,
                          GError **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (state != NULL, FALSE);
  g_return_val_if_fail (document != NULL, FALSE);

  if (g_strcmp0 (state->saved_dir, state_dir) == 0
      && g_strcmp0 (state->saved_desired_digest, document->digest) == 0)
    return TRUE;
  path = g_build_filename (state_dir, FLEET_STATE_DESIRED_FILE_NAME, NULL);
  if (!fleet_state_write_file (path, document->canonical, error))
    return FALSE;
  g_free (state->saved_desired_digest);
  state->saved_desired_digest = g_strdup (document->digest);
  if (g_strcmp0 (state->saved_dir, state_dir) != 0)
    {
      g_free (state->saved_dir);
      state->saved_dir = g_strdup (state_dir);
      state->full_save_due = TRUE;
    }
  return TRUE;
}

/* Rewrite state.json with every record (and desired.json first, when it
 * does not hold the desired document yet), and drop the journal. */
static gboolean
save_whole (FleetState *state, const char *state_dir, GError **error)
{
  g_autofree char *path = g_build_filename (state_dir, FLEET_STATE_FILE_NAME, NULL);
  g_autoptr(GBytes) bytes = NULL;

  if (state->desired != NULL
      && (g_strcmp0 (state->saved_dir, state_dir) != 0
          || g_strcmp0 (state->saved_desired_digest, state->desired->digest) != 0))
    {
      g_autofree char *desired_path = g_build_filename (state_dir, FLEET_STATE_DESIRED_FILE_NAME,
                                                        NULL);

      if (!fleet_state_write_file (desired_path, state->desired->canonical, error))
        return FALSE;
      g_free (state->saved_desired_digest);
      state->saved_desired_digest = g_strdup (state->desired->digest);
    }
  g_free (state->saved_dir);
  state->saved_dir = g_strdup (state_dir);
  fleet_state_journal_close (state);
  g_clear_pointer (&state->journal_base, g_free);
  bytes = fleet_state_serialize (state);
  if (!fleet_state_write_file (path, bytes, error))
    return FALSE;
  state->journal_base = bytes_digest (bytes);
  state->journal_entries = 0;
  state->full_save_due = FALSE;
  g_hash_table_remove_all (state->dirty);
  /* A journal left behind no longer extends state.json: it is ignored. */
  return fleet_state_journal_remove (state_dir, error);
}

/**
 * fleet_state_save:
 * @state: the state
 * @state_dir: the state directory
 * @error: return location for a #GError, or %NULL
 *
 * Persist what changed since the last save, durably: the records that
 * changed are appended to the journal, or, when a document was accepted
 * since or the journal has grown as large as the records, every record is
 * written to state.json anew (and, before them, the desired document to
 * desired.json).  When desired.json cannot be written, state.json is left
 * as it was, so the two never disagree the other way round.  After a
 * failure the next save writes everything again.
 *
 * Since: 0.2
 */
gboolean
fleet_state_save (FleetState *state, const char *state_dir, GError **error)
{
  guint limit;

  g_return_val_if_fail (state != NULL, FALSE);
  g_return_val_if_fail (state_dir != NULL, FALSE);

  if (g_strcmp0 (state->saved_dir, state_dir) != 0 || state->journal_base == NULL)
    state->full_save_due = TRUE;
  if (!state->full_save_due && g_hash_table_size (state->dirty) == 0)
    return TRUE;
  limit = MAX (64, 2 * fleet_state_count_services (state));
  if (!state->full_save_due
      && state->journal_entries + g_hash_table_size (state->dirty) <= limit)
    {
      if (fleet_state_journal_append (state, state_dir, error))
        return TRUE;
      state->full_save_due = TRUE;
      return FALSE;
    }
  state->full_save_due = TRUE;
  return save_whole (state, state_dir, error);
}

/**
 * fleet_state_compact:
 * @state: the state
 * @state_dir: the state directory
 * @error: return location for a #GError, or %NULL
 *
 * Fold the journal into state.json, when there is one: at the end of a
 * reconcile pass, so that a state directory mostly holds two small files.
 *
 * Since: 0.2
 */
gboolean
fleet_state_compact (FleetState *state, const char *state_dir, GError **error)
{
  g_return_val_if_fail (state != NULL, FALSE);
  g_return_val_if_fail (state_dir != NULL, FALSE);

  if (!state->full_save_due && state->journal_entries == 0
      && g_hash_table_size (state->dirty) == 0 && g_strcmp0 (state->saved_dir, state_dir) == 0)
    return TRUE;
  state->full_save_due = TRUE;
  return save_whole (state, state_dir, error);
}

/* The contents of the file at @path, only if it is a regular file of a sane
 * size: a state file replaced by a device or a huge file must not take the
 * agent down with it.  G_FILE_ERROR_NOENT when there is none. */
static GBytes *
read_state_file (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  gsize len;
  GStatBuf st;

  if (g_stat (path, &st) == 0 && !S_ISREG (st.st_mode))
    return fleet_null_throw (error, FLEET_ERROR_STATE_CORRUPT, "%s: not a regular file", path);
  if (g_stat (path, &st) == 0 && st.st_size > FLEET_STATE_MAX_BYTES)
    return fleet_null_throw (error, FLEET_ERROR_STATE_CORRUPT,
                             "%s: %" G_GINT64_FORMAT " bytes, larger than a state file can be",
                             path, (gint64) st.st_size);
  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  return g_bytes_new_take (g_steal_pointer (&contents), len);
}

/* Read from @state_dir: the first save there rewrites state.json, which
 * also drops whatever journal it was read with. */
static void
loaded (FleetState *state, const char *state_dir)
{
  g_free (state->saved_dir);
  state->saved_dir = g_strdup (state_dir);
  g_hash_table_remove_all (state->dirty);
  state->full_save_due = TRUE;
}

/**
 * fleet_state_load:
 * @state_dir: the state directory
 * @error: return location for a #GError, or %NULL
 *
 * Read the state that fleet_state_save() wrote to @state_dir (or that an
 * agent of the single-file format left there).  A desired.json that is
 * missing or cannot be read is logged, and the state has no document
 * until the next one is applied.  A desired.json without a state.json (the
 * agent stopped between writing the two, the first time) gives a state
 * with that document and no records.
 *
 * Returns: (transfer full): the state; %NULL with G_FILE_ERROR_NOENT when
 *   there is none, or with FLEET_ERROR_STATE_CORRUPT when state.json cannot
 *   be read
 *
 * Since: 0.2
 */
FleetState *
fleet_state_load (const char *state_dir, GError **error)
{
  static const char no_records[] = "{\"version\":2,\"deployments\":{}}";
  g_autofree char *path = g_build_filename (state_dir, FLEET_STATE_FILE_NAME, NULL);
  g_autofree char *desired_path = g_build_filename (state_dir, FLEET_STATE_DESIRED_FILE_NAME,
                                                    NULL);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GError) desired_read_error = NULL;
  g_autoptr(GError) desired_error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) desired = NULL;
  gboolean bytes_read = FALSE;
  FleetState *state;

  g_return_val_if_fail (state_dir != NULL, NULL);

  bytes = read_state_file (path, &local_error);
  desired = read_state_file (desired_path, &desired_read_error);
  if (bytes == NULL)
    {
      if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT) || desired == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      bytes = g_bytes_new_static (no_records, strlen (no_records));
    }
  else
    bytes_read = TRUE;
  state = deserialize (bytes, desired, &desired_error, error);
  if (state == NULL)
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  if (bytes_read)
    {
      g_autofree char *journal = g_build_filename (state_dir, FLEET_STATE_JOURNAL_FILE_NAME,
                                                   NULL);
      g_autofree char *base = bytes_digest (bytes);

      fleet_state_journal_replay (state, journal, base);
    }
  loaded (state, state_dir);
  if (desired_error != NULL)
    {
      g_autofree char *why = NULL;

      if (desired_read_error != NULL
          && !g_error_matches (desired_read_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        why = fleet_escape_controls (desired_read_error->message);
      else
        {
          g_autofree char *reason = fleet_escape_controls (desired_error->message);

          why = g_strdup_printf ("%s: %s", desired_path, reason);
        }
      fleet_log_notice ("load-state", "state: %s; no desired document until the next one is applied, "
                 "the recorded containers are kept",
                 why);
    }
  return state;
}

/**
 * fleet_state_load_document:
 * @state_dir: the state directory
 * @error: return location for a #GError, or %NULL
 *
 * What is left when state.json cannot be read: a state with the document
 * of desired.json, its generation, and no records.
 *
 * Returns: (transfer full): the state; %NULL with G_FILE_ERROR_NOENT when
 *   desired.json is missing, or with FLEET_ERROR_STATE_CORRUPT when it is
 *   no document
 *
 * Since: 0.2
 */
FleetState *
fleet_state_load_document (const char *state_dir, GError **error)
{
  g_autofree char *path = NULL;
  g_autoptr(GBytes) desired = NULL;
  g_autoptr(FleetState) state = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (state_dir != NULL, NULL);

  path = g_build_filename (state_dir, FLEET_STATE_DESIRED_FILE_NAME, NULL);
  desired = read_state_file (path, error);
  if (desired == NULL)
    return NULL;
  state = fleet_state_new ();
  take_desired_file (state, NULL, desired, &local_error);
  if (state->desired == NULL)
    return fleet_null_throw (error, FLEET_ERROR_STATE_CORRUPT, "%s: %s", path,
                             local_error->message);
  loaded (state, state_dir);
  return g_steal_pointer (&state);
}
