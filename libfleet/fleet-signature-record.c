/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-signature-record.c: `signature.json` in the state directory: the
 * issued_at, signing key and digest of the last document accepted.  The
 * replay rule (nothing issued before it) and the clock rule ("now" is never
 * earlier than it) survive a restart through it.
 *
 *   {"version":1,"issued_at":"2026-05-01T12:00:00Z","signed_by":"0123456789abcdef",
 *    "digest":"sha256:..."}
 *
 * A small file of its own, written atomically (a temporary file, fsync,
 * rename) as the state's files are, so that it can be folded into the
 * state later without changing what it holds.  A missing file is a device
 * that accepted nothing yet.
 */
#include "config.h"

#include <json-glib/json-glib.h>

#include "fleet-signature-record-private.h"
#include "fleet-util-private.h"

#define RECORD_VERSION 1

void
_fleet_signature_record_clear (FleetSignatureRecord *record)
{
  g_clear_pointer (&record->issued_at, g_date_time_unref);
  g_clear_pointer (&record->signed_by, g_free);
  g_clear_pointer (&record->digest, g_free);
}

static gboolean
read_member (JsonObject *object, const char *name, gboolean required, char **out,
             GError **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node != NULL && JSON_NODE_HOLDS_NULL (node) && !required)
    return TRUE;
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return fleet_throw (error, FLEET_ERROR_STATE_CORRUPT, "%s: expected a string", name);
  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

static gboolean
parse_record (JsonNode *root, FleetSignatureRecord *out, GError **error)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  g_autofree char *issued_at = NULL;

  if (object == NULL)
    return fleet_throw (error, FLEET_ERROR_STATE_CORRUPT, "expected a JSON object");
  if (json_object_get_int_member_with_default (object, "version", 0) != RECORD_VERSION)
    return fleet_throw (error, FLEET_ERROR_STATE_CORRUPT, "version: expected %d",
                        RECORD_VERSION);
  if (!read_member (object, "digest", TRUE, &out->digest, error)
      || !read_member (object, "signed_by", FALSE, &out->signed_by, error)
      || !read_member (object, "issued_at", FALSE, &issued_at, error))
    return FALSE;
  if (issued_at != NULL && !(out->issued_at = g_date_time_new_from_iso8601 (issued_at, NULL)))
    return fleet_throw (error, FLEET_ERROR_STATE_CORRUPT, "issued_at: not a timestamp");
  return TRUE;
}

/**
 * _fleet_signature_record_load:
 * @out: (out caller-allocates): cleared, then filled
 *
 * Returns: FALSE with FLEET_ERROR_STATE_CORRUPT when the file exists but
 *   cannot be read; @out is then empty
 */
gboolean
_fleet_signature_record_load (const char *state_dir, FleetSignatureRecord *out, GError **error)
{
  g_autofree char *path = g_build_filename (state_dir, FLEET_SIGNATURE_RECORD_FILE, NULL);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize len;

  *out = (FleetSignatureRecord) { NULL, };
  if (!g_file_get_contents (path, &contents, &len, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      return fleet_throw (error, FLEET_ERROR_STATE_CORRUPT, "%s", local_error->message);
    }
  if (!json_parser_load_from_data (parser, contents, len, &local_error)
      || !parse_record (json_parser_get_root (parser), out, &local_error))
    {
      _fleet_signature_record_clear (out);
      return fleet_throw (error, FLEET_ERROR_STATE_CORRUPT, "%s: %s", path,
                          local_error->message);
    }
  return TRUE;
}

static void
add_nullable (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

gboolean
_fleet_signature_record_save (const char *state_dir, const FleetSignatureRecord *record,
                              GError **error)
{
  g_autofree char *path = g_build_filename (state_dir, FLEET_SIGNATURE_RECORD_FILE, NULL);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *issued_at = NULL;
  g_autofree char *text = NULL;

  if (record->issued_at != NULL)
    {
      g_autoptr(GDateTime) utc = g_date_time_to_utc (record->issued_at);

      issued_at = g_date_time_format_iso8601 (utc);
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, RECORD_VERSION);
  add_nullable (builder, "issued_at", issued_at);
  add_nullable (builder, "signed_by", record->signed_by);
  add_nullable (builder, "digest", record->digest);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  return g_file_set_contents_full (path, text, -1,
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                   0600, error);
}
