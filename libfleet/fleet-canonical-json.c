/* fleet-canonical-json.c: serialise a JSON tree canonically.
 *
 * Object members are sorted by key (byte order), there is no insignificant
 * whitespace, strings escape only what JSON requires (quote, backslash and
 * control characters, the common ones in their short form), and integers are
 * written in decimal.  Two documents that mean the same thing therefore give
 * the same bytes, and the same digest, whoever wrote them and however.
 */
#include "config.h"

#include "fleet-canonical-json.h"
#include "fleet-util-private.h"

static void append_node (GString *out, JsonNode *node);

static void
append_string (GString *out, const char *s)
{
  const unsigned char *p;

  g_string_append_c (out, '"');
  for (p = (const unsigned char *) s; *p != '\0'; p++)
    {
      switch (*p)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\f': g_string_append (out, "\\f"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default:
          if (*p < 0x20)
            g_string_append_printf (out, "\\u%04x", *p);
          else
            g_string_append_c (out, (char) *p);
        }
    }
  g_string_append_c (out, '"');
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static void
append_object (GString *out, JsonObject *object)
{
  g_autoptr(GList) members = json_object_get_members (object);
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();
  guint i;

  for (GList *l = members; l != NULL; l = l->next)
    g_ptr_array_add (keys, l->data);
  g_ptr_array_sort (keys, compare_strings);

  g_string_append_c (out, '{');
  for (i = 0; i < keys->len; i++)
    {
      const char *key = keys->pdata[i];

      if (i > 0)
        g_string_append_c (out, ',');
      append_string (out, key);
      g_string_append_c (out, ':');
      append_node (out, json_object_get_member (object, key));
    }
  g_string_append_c (out, '}');
}

static void
append_array (GString *out, JsonArray *array)
{
  guint i, n = json_array_get_length (array);

  g_string_append_c (out, '[');
  for (i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      append_node (out, json_array_get_element (array, i));
    }
  g_string_append_c (out, ']');
}

static void
append_value (GString *out, JsonNode *node)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
      break;
    case G_TYPE_DOUBLE:
      g_string_append (out, g_ascii_dtostr (buf, sizeof buf, json_node_get_double (node)));
      break;
    case G_TYPE_BOOLEAN:
      g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
      break;
    case G_TYPE_STRING:
      append_string (out, json_node_get_string (node));
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
append_node (GString *out, JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      append_object (out, json_node_get_object (node));
      break;
    case JSON_NODE_ARRAY:
      append_array (out, json_node_get_array (node));
      break;
    case JSON_NODE_VALUE:
      append_value (out, node);
      break;
    case JSON_NODE_NULL:
      g_string_append (out, "null");
      break;
    default:
      g_assert_not_reached ();
    }
}

/**
 * fleet_canonical_json:
 * @node: a JSON tree
 *
 * Returns: (transfer full): the canonical serialisation of @node
 */
GBytes *
fleet_canonical_json (JsonNode *node)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (node != NULL, NULL);

  append_node (out, node);
  return g_string_free_to_bytes (out);
}

/**
 * fleet_canonical_json_digest:
 * @node: a JSON tree
 *
 * Returns: (transfer full): "sha256:" followed by the hex SHA-256 of the
 *   canonical serialisation of @node
 */
char *
fleet_canonical_json_digest (JsonNode *node)
{
  g_autoptr(GBytes) bytes = fleet_canonical_json (node);
  gsize len;
  const void *data = g_bytes_get_data (bytes, &len);

  return fleet_sha256_digest (data, len);
}
