/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-document-container.c: the fields about a service's own process
 * and filesystem: the user it runs as, its working directory, a read-only
 * root with tmpfs mounts, its labels and its host name.
 */
#include "config.h"

#include <string.h>

#include "fleet-document-parser-private.h"

#define invalid _fleet_document_invalid

/* The namespace of the labels the agent puts on its containers
 * (FLEET_LABEL_DEPLOYMENT and the others, fleet-container-info.h). */
#define FLEET_LABEL_PREFIX "fleet."

/* A numeric id, or a user or group name as useradd(8) allows it. */
static gboolean
is_valid_user_part (const char *s)
{
  gsize len = strlen (s);

  if (len == 0 || len > 32)
    return FALSE;
  if (strspn (s, "0123456789") == len)
    return len <= 10 && g_ascii_strtoull (s, NULL, 10) < G_MAXUINT32;
  if (!g_ascii_isalpha (s[0]) && s[0] != '_')
    return FALSE;
  for (gsize i = 1; i < len; i++)
    if (!g_ascii_isalnum (s[i]) && strchr ("_.-", s[i]) == NULL)
      return FALSE;
  return TRUE;
}

FLEET_DOCUMENT_FIELD_PARSER (user)
{
  const char *s = _fleet_document_require_string (ctx, value, path, error);
  g_auto(GStrv) parts = NULL;
  guint n;

  if (s == NULL)
    return FALSE;
  parts = g_strsplit (s, ":", -1);
  n = g_strv_length (parts);
  if (n < 1 || n > 2 || !is_valid_user_part (parts[0])
      || (n == 2 && !is_valid_user_part (parts[1])))
    return invalid (error, path, "expected USER[:GROUP], each a name or a numeric id, got \"%s\"",
                    s);
  spec->user = g_strdup (s);
  return TRUE;
}

FLEET_DOCUMENT_FIELD_PARSER (working_dir)
{
  const char *s = _fleet_document_require_string (ctx, value, path, error);

  if (s == NULL || !_fleet_document_check_absolute_path (s, path, "working directory", error))
    return FALSE;
  spec->working_dir = g_strdup (s);
  return TRUE;
}

FLEET_DOCUMENT_FIELD_PARSER (read_only)
{
  return _fleet_document_require_boolean (value, path, &spec->read_only, error);
}

/* The tmpfs options podman passes on to the mount, and the ones each
 * excludes (its opposite, and itself: an option is given once). */
static const struct
{
  const char *name;
  const char *opposite;
  gboolean has_value;
} tmpfs_options[] = {
  { "size", NULL, TRUE }, { "mode", NULL, TRUE },     { "uid", NULL, TRUE },
  { "gid", NULL, TRUE },  { "ro", "rw", FALSE },      { "rw", "ro", FALSE },
  { "exec", "noexec", FALSE }, { "noexec", "exec", FALSE }, { "suid", "nosuid", FALSE },
  { "nosuid", "suid", FALSE }, { "dev", "nodev", FALSE },   { "nodev", "dev", FALSE },
};

static gboolean
is_valid_tmpfs_value (const char *name, const char *v)
{
  gsize digits = strspn (v, "0123456789");

  if (digits == 0 || digits > 10)
    return FALSE;
  if (g_str_equal (name, "size"))
    return v[digits] == '\0' || (strchr ("kmgKMG%", v[digits]) != NULL && v[digits + 1] == '\0');
  if (g_str_equal (name, "mode"))
    return v[digits] == '\0' && digits <= 4 && strspn (v, "01234567") == digits;
  return v[digits] == '\0' && g_ascii_strtoull (v, NULL, 10) < G_MAXUINT32;
}

/* One option of "PATH:OPTIONS": a name, or name=value; not one an earlier
 * option already set or contradicted. */
static gboolean
check_tmpfs_option (const char *option, GPtrArray *seen, const FleetDocumentPath *path,
                    GError **error)
{
  g_autofree char *name = g_strndup (option, strcspn (option, "="));
  const char *v = option[strlen (name)] == '=' ? option + strlen (name) + 1 : NULL;
  gsize i = 0;

  while (i < G_N_ELEMENTS (tmpfs_options) && !g_str_equal (tmpfs_options[i].name, name))
    i++;
  if (i == G_N_ELEMENTS (tmpfs_options))
    return invalid (error, path, "unknown tmpfs option \"%s\" (expected size, mode, uid, gid, "
                    "ro, rw, exec, noexec, suid, nosuid, dev or nodev)", option);
  if (tmpfs_options[i].has_value != (v != NULL)
      || (v != NULL && !is_valid_tmpfs_value (name, v)))
    return invalid (error, path, "tmpfs option \"%s\" is not valid (size=N[k|m|g|%%], mode=OCTAL, "
                    "uid=N and gid=N take values, the others none)", option);
  for (guint j = 0; j < seen->len; j++)
    if (g_str_equal (seen->pdata[j], name)
        || g_strcmp0 (seen->pdata[j], tmpfs_options[i].opposite) == 0)
      return invalid (error, path, "tmpfs option \"%s\" contradicts or repeats \"%s\"", option,
                      (const char *) seen->pdata[j]);
  g_ptr_array_add (seen, (gpointer) tmpfs_options[i].name);
  return TRUE;
}

/* "PATH[:OPTIONS]", OPTIONS separated by commas. */
static gboolean
parse_tmpfs_mount (const char *s, const FleetDocumentPath *path, FleetTmpfsMount *mount,
                   GError **error)
{
  const char *colon = strchr (s, ':');
  g_autofree char *destination = g_strndup (s, colon ? (gsize) (colon - s) : strlen (s));
  g_autoptr(GPtrArray) seen = g_ptr_array_new ();
  g_auto(GStrv) options = NULL;

  if (!_fleet_document_check_absolute_path (destination, path, "tmpfs path", error))
    return FALSE;
  options = colon ? g_strsplit (colon + 1, ",", -1) : g_new0 (char *, 1);
  for (guint i = 0; options[i] != NULL; i++)
    if (!check_tmpfs_option (options[i], seen, path, error))
      return FALSE;
  mount->destination = g_steal_pointer (&destination);
  mount->options = g_steal_pointer (&options);
  return TRUE;
}

FLEET_DOCUMENT_FIELD_PARSER (tmpfs)
{
  const FleetJsonValue *elements = _fleet_json_tree_get_children (ctx->tree, value);
  gboolean single = value->type == FLEET_JSON_STRING;
  guint n = single ? 1 : value->n_children;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (!single && value->type != FLEET_JSON_ARRAY)
    return invalid (error, path, "expected a string or an array of strings");
  for (guint i = 0; i < n; i++)
    {
      FleetDocumentPath p = FLEET_DOCUMENT_ELEMENT (path, i);
      const FleetDocumentPath *where = single ? path : &p;
      const char *s = _fleet_document_require_string (ctx, single ? value : &elements[i], where,
                                                      error);
      FleetTmpfsMount *mount;

      if (s == NULL)
        return FALSE;
      mount = g_new0 (FleetTmpfsMount, 1);
      g_ptr_array_add (spec->tmpfs, mount);
      if (!parse_tmpfs_mount (s, where, mount, error))
        return FALSE;
      if (!g_hash_table_add (seen, mount->destination))
        return invalid (error, where, "%s is mounted twice", mount->destination);
    }
  return TRUE;
}

/* Labels are free-form, but not in the agent's own namespace: a service
 * labelled fleet.deployment would pass for another deployment's. */
static gboolean
check_label_key (const char *key, const FleetDocumentPath *path, GError **error)
{
  if (*key == '\0' || strchr (key, '=') != NULL || _fleet_document_has_space_or_control (key))
    return invalid (error, path, "label \"%s\" is not a valid key (not empty; no '=', "
                    "whitespace or control characters)", key);
  if (g_str_has_prefix (key, FLEET_LABEL_PREFIX))
    return invalid (error, path, "label \"%s\" is in the fleet.* namespace, which fleet "
                    "keeps for its own labels", key);
  return TRUE;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The object form: {"KEY": "VALUE"} */
static gboolean
parse_label_object (FleetParseContext *ctx, const FleetJsonValue *value,
                    const FleetDocumentPath *path, GPtrArray *labels, GError **error)
{
  const FleetJsonValue *members = _fleet_json_tree_get_children (ctx->tree, value);

  for (guint i = 0; i < value->n_children; i++)
    {
      FleetDocumentPath p = FLEET_DOCUMENT_MEMBER (path, members[i].key);
      const char *s;

      if (strlen (members[i].key) > ctx->limits->max_string_bytes)
        return invalid (error, path, "member name longer than %" G_GSIZE_FORMAT " bytes",
                        ctx->limits->max_string_bytes);
      if (!check_label_key (members[i].key, path, error)
          || (s = _fleet_document_require_string (ctx, &members[i], &p, error)) == NULL)
        return FALSE;
      g_ptr_array_add (labels, g_strconcat (members[i].key, "=", s, NULL));
    }
  return TRUE;
}

typedef struct
{
  GPtrArray *labels;
  GHashTable *keys;
} LabelList;

static gboolean
add_label (FleetParseContext *ctx, const char *s, guint index, const FleetDocumentPath *path,
           gpointer data, GError **error)
{
  LabelList *list = data;
  g_autofree char *key = g_strndup (s, strcspn (s, "="));

  if (!check_label_key (key, path, error))
    return FALSE;
  if (!g_hash_table_add (list->keys, g_strdup (key)))
    return invalid (error, path, "label \"%s\" is set twice", key);
  g_ptr_array_add (list->labels, strchr (s, '=') ? g_strdup (s) : g_strconcat (s, "=", NULL));
  return TRUE;
}

/* The list form: ["KEY=VALUE", "KEY"], each key once. */
static gboolean
parse_label_list (FleetParseContext *ctx, const FleetJsonValue *value,
                  const FleetDocumentPath *path, GPtrArray *labels, GError **error)
{
  g_autoptr(GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  LabelList list = { labels, keys };

  return _fleet_document_for_each_string (ctx, value, path, add_label, &list, error);
}

FLEET_DOCUMENT_FIELD_PARSER (labels)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);

  if (value->type == FLEET_JSON_OBJECT)
    {
      if (!parse_label_object (ctx, value, path, labels, error))
        return FALSE;
    }
  else if (value->type == FLEET_JSON_ARRAY)
    {
      if (!parse_label_list (ctx, value, path, labels, error))
        return FALSE;
    }
  else
    return invalid (error, path, "expected an object or an array of \"KEY=VALUE\" strings");
  g_ptr_array_sort (labels, compare_strings);
  g_ptr_array_add (labels, NULL);
  spec->labels = (char **) g_ptr_array_free (g_steal_pointer (&labels), FALSE);
  return TRUE;
}

/* RFC 1123: labels of letters, digits and '-', not starting or ending with
 * '-', separated by dots; at most 64 characters, the kernel's limit. */
static gboolean
is_valid_hostname (const char *s)
{
  g_auto(GStrv) labels = NULL;

  if (*s == '\0' || strlen (s) > 64)
    return FALSE;
  labels = g_strsplit (s, ".", -1);
  for (guint i = 0; labels[i] != NULL; i++)
    {
      gsize len = strlen (labels[i]);

      if (len == 0 || len > 63 || labels[i][0] == '-' || labels[i][len - 1] == '-')
        return FALSE;
      for (gsize j = 0; j < len; j++)
        if (!g_ascii_isalnum (labels[i][j]) && labels[i][j] != '-')
          return FALSE;
    }
  return TRUE;
}

FLEET_DOCUMENT_FIELD_PARSER (hostname)
{
  const char *s = _fleet_document_require_string (ctx, value, path, error);

  if (s == NULL)
    return FALSE;
  if (!is_valid_hostname (s))
    return invalid (error, path, "\"%s\" is not a valid host name (RFC 1123: letters, digits "
                    "and '-' in dot-separated labels, at most 64 characters)", s);
  spec->hostname = g_strdup (s);
  return TRUE;
}
