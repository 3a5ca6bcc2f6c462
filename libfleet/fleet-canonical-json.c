/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-canonical-json.c: serialise a JSON tree canonically.
 *
 * Object members are sorted by key (byte order), there is no insignificant
 * whitespace, strings escape only what JSON requires (quote, backslash and
 * control characters, the common ones in their short form), and integers are
 * written in decimal.  Two documents that mean the same thing therefore give
 * the same bytes, and the same digest, whoever wrote them and however.
 */
#include "config.h"

#include <string.h>

#include "fleet-canonical-json-private.h"
#include "fleet-util-private.h"

static void append_node (GString *out, JsonNode *node);

/* @s escaped as the canonical form escapes it: runs of plain bytes are
 * copied as they are. */
static void
append_escaped (GString *out, const char *s, gsize len)
{
  const unsigned char *p = (const unsigned char *) s;
  const unsigned char *end = p + len;

  g_string_append_c (out, '"');
  while (p < end)
    {
      const unsigned char *run = p;

      while (run < end && *run >= 0x20 && *run != '"' && *run != '\\')
        run++;
      g_string_append_len (out, (const char *) p, run - p);
      if (run == end)
        break;
      switch (*run)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\f': g_string_append (out, "\\f"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default: g_string_append_printf (out, "\\u%04x", *run);
        }
      p = run + 1;
    }
  g_string_append_c (out, '"');
}

static void
append_string (GString *out, const char *s)
{
  append_escaped (out, s, strlen (s));
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
 *
 * Since: 0.2
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
 *
 * Since: 0.2
 */
char *
fleet_canonical_json_digest (JsonNode *node)
{
  g_autoptr(GBytes) bytes = NULL;
  gsize len;
  const void *data;

  g_return_val_if_fail (node != NULL, NULL);

  bytes = fleet_canonical_json (node);
  data = g_bytes_get_data (bytes, &len);
  return fleet_sha256_digest (data, len);
}

static void append_tree_value (GString *out, FleetJsonTree *tree, FleetJsonValue *value);

/* @value, and for a member its name before it, noting where they land. */
static void
append_tree_child (GString *out, FleetJsonTree *tree, FleetJsonValue *value, gboolean is_member)
{
  value->canonical_start = out->len;
  if (is_member)
    {
      append_string (out, value->key);
      g_string_append_c (out, ':');
    }
  append_tree_value (out, tree, value);
  value->canonical_end = out->len;
}

static int
compare_members (gconstpointer a, gconstpointer b)
{
  return strcmp ((*(FleetJsonValue *const *) a)->key, (*(FleetJsonValue *const *) b)->key);
}

/* Most objects are small: sort those in place, without a call per step. */
static void
sort_members (FleetJsonValue **members, guint n)
{
  if (n > 16)
    {
      qsort (members, n, sizeof (FleetJsonValue *), compare_members);
      return;
    }
  for (guint i = 1; i < n; i++)
    {
      FleetJsonValue *member = members[i];
      guint j = i;

      for (; j > 0 && strcmp (members[j - 1]->key, member->key) > 0; j--)
        members[j] = members[j - 1];
      members[j] = member;
    }
}

static void
append_tree_object (GString *out, FleetJsonTree *tree, FleetJsonValue *object)
{
  FleetJsonValue *members = _fleet_json_tree_get_children (tree, object);
  FleetJsonValue *small[16];
  g_autofree FleetJsonValue **large = NULL;
  FleetJsonValue **sorted = small;

  if (object->n_children > G_N_ELEMENTS (small))
    sorted = large = g_new (FleetJsonValue *, object->n_children);
  for (guint i = 0; i < object->n_children; i++)
    sorted[i] = &members[i];
  sort_members (sorted, object->n_children);

  g_string_append_c (out, '{');
  for (guint i = 0; i < object->n_children; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      append_tree_child (out, tree, sorted[i], TRUE);
    }
  g_string_append_c (out, '}');
}

static void
append_tree_value (GString *out, FleetJsonTree *tree, FleetJsonValue *value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  FleetJsonValue *elements;

  switch (value->type)
    {
    case FLEET_JSON_OBJECT:
      append_tree_object (out, tree, value);
      break;
    case FLEET_JSON_ARRAY:
      elements = _fleet_json_tree_get_children (tree, value);
      g_string_append_c (out, '[');
      for (guint i = 0; i < value->n_children; i++)
        {
          if (i > 0)
            g_string_append_c (out, ',');
          append_tree_child (out, tree, &elements[i], FALSE);
        }
      g_string_append_c (out, ']');
      break;
    case FLEET_JSON_STRING:
      append_escaped (out, value->v.string.str, value->v.string.len);
      break;
    case FLEET_JSON_INTEGER:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, value->v.integer);
      break;
    case FLEET_JSON_DOUBLE:
      g_string_append (out, g_ascii_dtostr (buf, sizeof buf, value->v.number));
      break;
    case FLEET_JSON_BOOLEAN:
      g_string_append (out, value->v.boolean ? "true" : "false");
      break;
    case FLEET_JSON_NULL:
    default:
      g_string_append (out, "null");
      break;
    }
}

/**
 * _fleet_canonical_json_tree:
 * @tree: a tree read by _fleet_json_tree_parse()
 * @size_hint: about how long the result will be (the length of the text
 *   the tree was read from will do)
 *
 * The canonical form of @tree's root, as fleet_canonical_json() writes it
 * for the same value; fills in the canonical_start and canonical_end of
 * every value of @tree.
 *
 * Returns: (transfer full): the canonical serialisation
 */
GBytes *
_fleet_canonical_json_tree (FleetJsonTree *tree, gsize size_hint)
{
  GString *out = g_string_sized_new (size_hint);

  append_tree_child (out, tree, _fleet_json_tree_get_root (tree), FALSE);
  return g_string_free_to_bytes (out);
}
