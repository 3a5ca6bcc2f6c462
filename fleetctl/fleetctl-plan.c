/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetctl-plan.c: `fleetctl plan FILE [--json]`: a dry run.  fleetd
 * verifies and validates FILE (standard input when FILE is "-") exactly as
 * it would a fetched document (so its trusted keys, the freshness rules,
 * its limits and the generation check apply) and answers with what
 * applying it would pull, start, replace and stop, and which key signed it;
 * nothing is changed.  Under an action that starts a container, a second
 * line says what a replacement changes, a restart policy other than
 * "always" and what the service waits for.  A detached signature beside
 * FILE (FILE.sig) is sent with it, as the embedded form.  A document that
 * fails validation is one line naming FILE and the offending path, exit 1.
 */
#include "config.h"

#include <errno.h>
#include <gio/gunixinputstream.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleetctl-common.h"
#include "fleet-util-private.h"

/* Far above any document fleetd accepts (1 MiB unless configured), and
 * small enough to read whole without harm. */
#define MAX_FILE_BYTES (64 * 1024 * 1024)

#define STDIN_NAME "standard input"
#define READ_CHUNK (64 * 1024)

/* fleetd takes the text as a D-Bus string: it must be UTF-8 without NULs. */
static gboolean
check_text (const char *name, const char *contents, gsize length, GError **error)
{
  if (memchr (contents, '\0', length) != NULL)
    return fleet_throw (error, FLEET_ERROR_INVALID_DOCUMENT,
                        "%s: not a JSON document (it contains a NUL byte)", name);
  if (!g_utf8_validate (contents, length, NULL))
    return fleet_throw (error, FLEET_ERROR_INVALID_DOCUMENT,
                        "%s: not a JSON document (not UTF-8 text)", name);
  return TRUE;
}

/* Standard input, whatever it is (a pipe, a file), up to the same limit
 * as a file: `fleetctl plan - < /dev/zero` ends in an error too. */
static char *
read_standard_input (GError **error)
{
  g_autoptr(GInputStream) input = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  g_autoptr(GByteArray) contents = g_byte_array_new ();
  g_autofree guint8 *buffer = g_malloc (READ_CHUNK);
  g_autoptr(GError) local_error = NULL;
  gsize n;

  /* read_all() returns less than asked only at the end: asking again
   * would wait for a second end on a terminal. */
  do
    {
      if (!g_input_stream_read_all (input, buffer, READ_CHUNK, &n, NULL, &local_error))
        return fleet_null_throw (error, FLEET_ERROR_FAILED, "%s: %s", STDIN_NAME,
                                 local_error->message);
      if (contents->len + n > MAX_FILE_BYTES)
        return fleet_null_throw (error, FLEET_ERROR_TOO_LARGE,
                                 "%s: more than %d bytes, too large for a desired-state document",
                                 STDIN_NAME, MAX_FILE_BYTES);
      g_byte_array_append (contents, buffer, n);
    }
  while (n == READ_CHUNK);
  if (!check_text (STDIN_NAME, (const char *) contents->data, contents->len, error))
    return NULL;
  g_byte_array_append (contents, (const guint8 *) "", 1);
  return (char *) g_byte_array_free (g_steal_pointer (&contents), FALSE);
}

/* Only a regular file is read, and only up to a limit: `plan /dev/zero`
 * must be an error, not an exhausted machine.  A missing @optional file is
 * NULL without an error. */
static char *
read_text_file (const char *path, gboolean optional, GError **error)
{
  g_autofree char *contents = NULL;
  gsize length;
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    {
      int errsv = errno;

      if (optional && errsv == ENOENT)
        return NULL;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errsv), "%s: %s", path,
                   g_strerror (errsv));
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, FLEET_ERROR, FLEET_ERROR_INVALID_ARGUMENT, "%s: not a regular file",
                   path);
      return NULL;
    }
  if (st.st_size > MAX_FILE_BYTES)
    {
      g_set_error (error, FLEET_ERROR, FLEET_ERROR_TOO_LARGE,
                   "%s: %" G_GINT64_FORMAT " bytes, too large for a desired-state document",
                   path, (gint64) st.st_size);
      return NULL;
    }
  if (!g_file_get_contents (path, &contents, &length, error)
      || !check_text (path, contents, length, error))
    return NULL;
  return g_steal_pointer (&contents);
}

/* FILE, with FILE.sig in front when there is one: signify's embedded form
 * is exactly the detached signature followed by the document. */
static char *
read_document (const char *path, GError **error)
{
  g_autofree char *document = read_text_file (path, FALSE, error);
  g_autofree char *signature_path = g_strconcat (path, ".sig", NULL);
  g_autofree char *signature = NULL;
  GError *local_error = NULL;

  if (document == NULL || g_str_has_prefix (document, "untrusted comment: "))
    return g_steal_pointer (&document);
  signature = read_text_file (signature_path, TRUE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  if (signature == NULL)
    return g_steal_pointer (&document);
  return g_strconcat (signature, document, NULL);
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

static JsonArray *
member_array (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

/* "changed: image, cpus; restart no; after migrate (completed), db" */
static void
append_dependencies (GString *out, JsonArray *depends_on)
{
  for (guint i = 0; depends_on != NULL && i < json_array_get_length (depends_on); i++)
    {
      JsonNode *node = json_array_get_element (depends_on, i);
      JsonObject *dependency = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *service = dependency ? member_string (dependency, "service") : NULL;

      if (service == NULL)
        continue;
      g_string_append_printf (out, "%s%s%s", out->len == 0 ? "after " : ", ", service,
                              g_strcmp0 (member_string (dependency, "condition"),
                                         "service_completed_successfully") == 0
                                  ? " (completed)"
                                  : "");
    }
}

/* What is special about the service an action starts, on a line of its
 * own under the action's, or "". */
static char *
describe_details (JsonObject *action)
{
  JsonArray *changes = member_array (action, "changes");
  const char *restart = member_string (action, "restart");
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) after = g_string_new (NULL);
  g_autofree char *joined = NULL;

  if (changes != NULL && json_array_get_length (changes) > 0)
    {
      GString *list = g_string_new ("changed: ");

      for (guint i = 0; i < json_array_get_length (changes); i++)
        {
          JsonNode *node = json_array_get_element (changes, i);

          if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
            g_string_append_printf (list, "%s%s", i ? ", " : "", json_node_get_string (node));
        }
      g_ptr_array_add (parts, g_string_free (list, FALSE));
    }
  if (restart != NULL && !g_str_equal (restart, "always"))
    g_ptr_array_add (parts, g_strdup_printf ("restart %s", restart));
  if (member_string (action, "order") != NULL
      && !g_str_equal (member_string (action, "order"), "stop-first"))
    g_ptr_array_add (parts, g_strdup_printf ("order %s", member_string (action, "order")));
  if (member_string (action, "health_gate") != NULL)
    g_ptr_array_add (parts, g_strdup_printf ("gate: %s", member_string (action, "health_gate")));
  append_dependencies (after, member_array (action, "depends_on"));
  if (after->len > 0)
    g_ptr_array_add (parts, g_strdup (after->str));
  if (parts->len == 0)
    return g_strdup ("");
  g_ptr_array_add (parts, NULL);
  joined = g_strjoinv ("; ", (char **) parts->pdata);
  return g_strdup_printf ("%-9s %s\n", "", joined);
}

static void
print_action (JsonObject *action, GHashTable *counts)
{
  const char *kind = member_string (action, "action");
  const char *deployment = member_string (action, "deployment");
  const char *service = member_string (action, "service");
  const char *image = member_string (action, "image");
  g_autofree char *short_id = g_strndup (member_string (action, "container_id"), 12);
  g_autofree char *target = service ? g_strdup_printf ("%s/%s", deployment, service)
                                    : g_strdup (deployment ? deployment : "-");
  g_autofree char *details = NULL;
  guint count;

  if (kind == NULL)
    return;
  count = GPOINTER_TO_UINT (g_hash_table_lookup (counts, kind));
  g_hash_table_insert (counts, (gpointer) kind, GUINT_TO_POINTER (count + 1));
  details = g_str_equal (kind, "start") || g_str_equal (kind, "replace")
                ? describe_details (action)
                : g_strdup ("");
  if (g_str_equal (kind, "replace"))
    g_print ("%-9s %s  %s -> %s\n%s", kind, target, short_id ? short_id : "-", image, details);
  else if (image != NULL)
    g_print ("%-9s %s  %s\n%s", kind, target, image, details);
  else
    g_print ("%-9s %s  %s\n", kind, target, short_id ? short_id : "-");
}

static void
print_signature (JsonObject *plan)
{
  const char *signed_by = member_string (plan, "signed_by");

  if (signed_by != NULL)
    g_print ("Signed by trusted key %s.\n", signed_by);
  else
    g_print ("No signature checked (this device requires none).\n");
}

static void
print_plan (JsonObject *plan)
{
  JsonArray *actions = json_object_get_array_member (plan, "actions");
  g_autoptr(GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
  static const char *const kinds[] = { "pull", "start", "replace", "stop", "unchanged", NULL };
  g_autoptr(GString) summary = g_string_new (NULL);

  for (guint i = 0; actions && i < json_array_get_length (actions); i++)
    {
      JsonNode *node = json_array_get_element (actions, i);

      if (JSON_NODE_HOLDS_OBJECT (node))
        print_action (json_node_get_object (node), counts);
    }
  for (guint i = 0; kinds[i] != NULL; i++)
    g_string_append_printf (summary, "%s%u to %s", i ? ", " : "",
                            GPOINTER_TO_UINT (g_hash_table_lookup (counts, kinds[i])),
                            g_str_equal (kinds[i], "unchanged") ? "leave unchanged" : kinds[i]);
  g_print ("%s%s\n", g_hash_table_size (counts) ? "\n" : "Nothing to do.\n", summary->str);
  print_signature (plan);
}

int
fleetctl_plan (FleetctlContext *context, int argc, char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the plan as JSON", NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetAgent1) proxy = NULL;
  g_autofree char *document = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  gboolean from_stdin;

  if (!fleetctl_parse_options (context, &argc, &argv, entries, "FILE",
                               "Show what applying the desired-state document FILE (standard "
                               "input for -) would pull, start, replace and stop.  Changes "
                               "nothing.",
                               &error))
    return fleetctl_usage_error ("%s", error->message);
  if (argc != 2)
    return fleetctl_usage_error ("plan: expected one FILE (try \"fleetctl plan --help\")");
  from_stdin = g_str_equal (argv[1], "-");
  document = from_stdin ? read_standard_input (&error) : read_document (argv[1], &error);
  if (document == NULL)
    return fleetctl_fail (error);
  proxy = fleetctl_connect (context, &error);
  if (proxy == NULL)
    return fleetctl_fail (error);
  if (!fleet_agent1_call_plan_sync (proxy, document, &text, NULL, &error))
    return fleetctl_fail_with_prefix (
      error->domain == FLEET_ERROR ? (from_stdin ? STDIN_NAME : argv[1]) : NULL, error);
  if (!json_parser_load_from_data (parser, text, -1, &error)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return fleetctl_error ("fleetd sent a plan that is not a JSON object");
  if (json)
    {
      g_autofree char *pretty = json_to_string (json_parser_get_root (parser), TRUE);

      g_print ("%s\n", pretty);
      return 0;
    }
  print_plan (json_node_get_object (json_parser_get_root (parser)));
  return 0;
}
