/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-state-journal.c: state.journal, the changes since state.json.
 *
 * Rewriting every record after each change made an upgrade of n services
 * cost O(n²) bytes written.  Instead each save appends one line per record
 * that changed (a deployment's own record or one service's) and syncs it;
 * state.json is rewritten only now and then (fleet-state-file.c), which
 * removes the journal.
 *
 *   {"journal":1,"base":"sha256:..."}          the state.json it extends
 *   {"deployment":"d","phase":"Running","last_error":null,"last_event_at":"..."}
 *   {"deployment":"d","service":"s","container_id":"...","spec_digest":"..."}
 *   {"deployment":"d","service":"s","removed":true}
 *   {"deployment":"d","removed":true}
 *
 * Each line holds the whole new value of its record, so replaying a line
 * twice changes nothing.  A journal whose base is not the state.json beside
 * it (the agent stopped between rewriting state.json and removing the
 * journal, or an older release rewrote state.json) is ignored.  A last line
 * cut short by a crash or a full disk is ignored too: its change was never
 * acknowledged.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "fleet-state-private.h"
#include "fleet-util-private.h"

#define JOURNAL_FORMAT_VERSION 1

void
fleet_state_journal_close (FleetState *state)
{
  if (state->journal_fd >= 0)
    close (state->journal_fd);
  state->journal_fd = -1;
}

static gboolean
throw_errno (GError **error, int errsv, const char *what, const char *path)
{
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errsv), "%s %s: %s", what, path,
               g_strerror (errsv));
  return FALSE;
}

static gboolean
write_all (int fd, const char *data, gsize len, const char *path, GError **error)
{
  while (len > 0)
    {
      gssize n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return throw_errno (error, errno, "writing", path);
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

/* Make a new file's name durable: fsync its directory. */
static gboolean
sync_directory (const char *dir, GError **error)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int errsv;

  if (fd < 0)
    return throw_errno (error, errno, "opening", dir);
  if (fsync (fd) == 0)
    {
      close (fd);
      return TRUE;
    }
  errsv = errno;
  close (fd);
  return throw_errno (error, errsv, "syncing", dir);
}

static char *
node_to_line (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

static void
append_entry (FleetState *state, GString *out, const char *key)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  const char *sep = strpbrk (key, "\001\002");
  g_autofree char *deployment = g_strndup (key, sep - key);
  const char *service = *sep == '\002' ? sep + 1 : NULL;
  const FleetDeploymentRecord *record = fleet_state_lookup_deployment (state, deployment);
  const FleetServiceRecord *record_service =
    record && service ? fleet_deployment_record_lookup_service (record, service) : NULL;
  g_autofree char *line = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "deployment");
  json_builder_add_string_value (builder, deployment);
  if (service != NULL)
    {
      json_builder_set_member_name (builder, "service");
      json_builder_add_string_value (builder, service);
    }
  if (record == NULL || (service != NULL && record_service == NULL))
    {
      json_builder_set_member_name (builder, "removed");
      json_builder_add_boolean_value (builder, TRUE);
    }
  else if (service != NULL)
    fleet_state_add_service_members (builder, record_service);
  else
    fleet_state_add_deployment_members (builder, record);
  json_builder_end_object (builder);
  line = node_to_line (builder);
  g_string_append (out, line);
  g_string_append_c (out, '\n');
}

static int
compare_keys (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static gboolean
open_journal (FleetState *state, const char *state_dir, const char *path, GError **error)
{
  g_autofree char *header = NULL;

  state->journal_fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (state->journal_fd < 0)
    return throw_errno (error, errno, "creating", path);
  header = g_strdup_printf ("{\"journal\":%d,\"base\":\"%s\"}\n", JOURNAL_FORMAT_VERSION,
                            state->journal_base);
  return write_all (state->journal_fd, header, strlen (header), path, error)
         && sync_directory (state_dir, error);
}

/**
 * fleet_state_journal_append:
 *
 * Append the records changed since the last save, and sync them.  On
 * failure the journal is closed and may end in a partial line: the next
 * save must rewrite state.json (the caller sees to that).
 */
gboolean
fleet_state_journal_append (FleetState *state, const char *state_dir, GError **error)
{
  g_autofree char *path = g_build_filename (state_dir, FLEET_STATE_JOURNAL_FILE_NAME, NULL);
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();
  g_autoptr(GString) out = g_string_new (NULL);
  GHashTableIter iter;
  gpointer key;

  g_return_val_if_fail (state->journal_base != NULL, FALSE);

  g_hash_table_iter_init (&iter, state->dirty);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, compare_keys);
  for (guint i = 0; i < keys->len; i++)
    append_entry (state, out, keys->pdata[i]);

  if ((state->journal_fd < 0 && !open_journal (state, state_dir, path, error))
      || !write_all (state->journal_fd, out->str, out->len, path, error))
    {
      fleet_state_journal_close (state);
      return FALSE;
    }
  if (fdatasync (state->journal_fd) != 0)
    {
      int errsv = errno;

      fleet_state_journal_close (state);
      return throw_errno (error, errsv, "syncing", path);
    }
  state->journal_entries += keys->len;
  g_hash_table_remove_all (state->dirty);
  return TRUE;
}

/* Remove the journal (state.json now holds everything it said). */
gboolean
fleet_state_journal_remove (const char *state_dir, GError **error)
{
  g_autofree char *path = g_build_filename (state_dir, FLEET_STATE_JOURNAL_FILE_NAME, NULL);

  if (g_unlink (path) != 0 && errno != ENOENT)
    return throw_errno (error, errno, "removing", path);
  return TRUE;
}

static const char *
member_string (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
replay_entry (FleetState *state, JsonObject *entry, GError **error)
{
  const char *deployment = member_string (entry, "deployment");
  const char *service = member_string (entry, "service");
  gboolean removed = fleet_state_get_true (entry, "removed");
  FleetDeploymentRecord *record;

  if (deployment == NULL)
    return fleet_throw (error, FLEET_ERROR_STATE_CORRUPT, "an entry without a deployment");
  record = g_hash_table_lookup (state->deployments, deployment);
  if (service == NULL && removed)
    g_hash_table_remove (state->deployments, deployment);
  else if (service == NULL)
    {
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

      /* the deployment's own members, its services as they are */
      json_object_set_object_member (entry, "services", json_object_new ());
      json_node_set_object (node, entry);
      return fleet_state_load_deployment (state, deployment, node, error);
    }
  else if (removed)
    {
      if (record != NULL)
        g_hash_table_remove (record->services, service);
    }
  else
    return fleet_state_parse_service (fleet_state_ensure_deployment_record (state, deployment),
                                      service, entry, error);
  return TRUE;
}

static gboolean
check_header (const char *line, const char *base)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  JsonNode *root;

  if (!json_parser_load_from_data (parser, line, -1, NULL))
    return FALSE;
  root = json_parser_get_root (parser);
  return root && JSON_NODE_HOLDS_OBJECT (root)
         && json_object_get_int_member_with_default (json_node_get_object (root), "journal", 0)
              == JOURNAL_FORMAT_VERSION
         && g_strcmp0 (member_string (json_node_get_object (root), "base"), base) == 0;
}

/* Parse and apply one line; FALSE with @error when it cannot be. */
static gboolean
replay_line (FleetState *state, const char *line, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!json_parser_load_from_data (parser, line, -1, error))
    return FALSE;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return fleet_throw (error, FLEET_ERROR_STATE_CORRUPT, "not a JSON object");
  return replay_entry (state, json_node_get_object (root), error);
}

/**
 * fleet_state_journal_replay:
 * @path: the journal
 * @base: the digest of the state.json that @state was read from
 *
 * Apply the journal at @path to @state, if it extends @base.  Whatever
 * cannot be used is logged and left out; the state stays usable.
 */
void
fleet_state_journal_replay (FleetState *state, const char *path, const char *base)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  guint n;

  if (!g_file_get_contents (path, &contents, NULL, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        fleet_log_notice ("load-state", "state: %s; ignored", error->message);
      return;
    }
  lines = g_strsplit (contents, "\n", -1);
  n = g_strv_length (lines);
  if (n == 0 || !check_header (lines[0], base))
    {
      g_debug ("state: %s does not extend this state.json; ignored", path);
      return;
    }
  /* The text after the last newline is a line cut short, or nothing. */
  for (guint i = 1; i + 1 < n; i++)
    if (!replay_line (state, lines[i], &error))
      {
        g_autofree char *why = fleet_escape_controls (error->message);

        fleet_log_notice ("load-state", "state: %s, line %u: %s; the rest of it is ignored", path, i + 1, why);
        return;
      }
}
