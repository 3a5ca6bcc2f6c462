/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-json-tree.c: a strict JSON (RFC 8259) reader for documents, which
 * builds a compact read-only tree of what it read in the same walk.
 *
 * The contract cannot be as lenient as general-purpose parsers are: single
 * quotes, hexadecimal numbers, comments, octal and \x escapes, raw control
 * characters in strings, data after the top-level value, duplicate member
 * names (of which a parser silently keeps one) and strings cut at a \u0000
 * escape would each let a document mean something other than what its
 * sender validated.  All of these are refused, with the position (or, for
 * duplicates and integers out of range, the JSON path).  The nesting depth
 * is bounded, since the reader recurses.
 *
 * The tree is made for one parse of up to a few megabytes: every string is
 * decoded once into one buffer, and the children of each array or object
 * are consecutive values of one array, so that reading a document costs
 * about as much as walking its text.
 */
#include "config.h"

#include <string.h>

#include "fleet-json-tree-private.h"
#include "fleet-util-private.h"

/* Objects with more members than this find duplicates through a table. */
#define MAX_LINEAR_MEMBERS 16

struct _FleetJsonTree
{
  GArray *values; /* FleetJsonValue: every container's children together, the root last */
  char *strings;  /* the decoded strings and member names, each NUL-terminated */
};

typedef struct
{
  const char *key; /* a member name, or NULL for the element at @index */
  guint index;
} PathFrame;

typedef struct
{
  const char *data;
  gsize len;
  gsize pos;
  guint depth;
  guint max_depth;
  GArray *path;    /* PathFrame: the values entered, for messages */
  GArray *pending; /* FleetJsonValue: the children read so far of the containers entered */
  FleetJsonTree *tree;
  gsize strings_len;
  GError **error;
} Reader;

static gboolean
fail_at (Reader *r, gsize pos, const char *what)
{
  guint line = 1, column = 1;

  for (gsize i = 0; i < pos && i < r->len; i++)
    {
      if (r->data[i] == '\n')
        line++, column = 1;
      else if (((unsigned char) r->data[i] & 0xc0) != 0x80)
        column++;
    }
  return fleet_throw (r->error, FLEET_ERROR_INVALID_DOCUMENT,
                      "document: invalid JSON at %u:%u: %s", line, column, what);
}

/* "deployments.hello.data.services[0]" for the values entered. */
static char *
current_path (Reader *r)
{
  GString *path = g_string_new (NULL);

  for (guint i = 0; i < r->path->len; i++)
    {
      const PathFrame *frame = &g_array_index (r->path, PathFrame, i);

      if (frame->key == NULL)
        g_string_append_printf (path, "[%u]", frame->index);
      else
        {
          if (path->len > 0)
            g_string_append_c (path, '.');
          g_string_append (path, frame->key);
        }
    }
  if (path->len == 0)
    g_string_append (path, "document");
  return g_string_free (path, FALSE);
}

static gboolean G_GNUC_PRINTF (2, 3)
fail_at_path (Reader *r, const char *format, ...)
{
  g_autofree char *path = current_path (r);
  g_autofree char *rule = NULL;
  g_autofree char *message = NULL;
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  rule = g_strdup_vprintf (format, args);
  va_end (args);
  message = g_strdup_printf ("%s: %s", path, rule);
  line = fleet_escape_controls (message);
  return fleet_throw (r->error, FLEET_ERROR_INVALID_DOCUMENT, "%s", line);
}

static void
skip_whitespace (Reader *r)
{
  while (r->pos < r->len
         && (r->data[r->pos] == ' ' || r->data[r->pos] == '\t' || r->data[r->pos] == '\n'
             || r->data[r->pos] == '\r'))
    r->pos++;
}

static int
hex_value (char ch)
{
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  if (ch >= 'a' && ch <= 'f')
    return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F')
    return ch - 'A' + 10;
  return -1;
}

/* Four hex digits at r->pos. */
static gboolean
read_hex4 (Reader *r, gunichar *out)
{
  gunichar value = 0;

  if (r->pos + 4 > r->len)
    return fail_at (r, r->pos, "truncated \\u escape");
  for (guint i = 0; i < 4; i++)
    {
      int digit = hex_value (r->data[r->pos + i]);

      if (digit < 0)
        return fail_at (r, r->pos + i, "\\u escape needs four hexadecimal digits");
      value = value * 16 + (gunichar) digit;
    }
  r->pos += 4;
  *out = value;
  return TRUE;
}

/* After "\u": a code point, combining a surrogate pair, written as UTF-8
 * at *@out. */
static gboolean
read_unicode_escape (Reader *r, gsize escape_pos, char **out)
{
  gunichar code, low;

  if (!read_hex4 (r, &code))
    return FALSE;
  if (code == 0)
    return fail_at (r, escape_pos, "\\u0000 (a NUL character) is not allowed in strings");
  if (code >= 0xdc00 && code <= 0xdfff)
    return fail_at (r, escape_pos, "lone low surrogate in a \\u escape");
  if (code >= 0xd800 && code <= 0xdbff)
    {
      if (r->pos + 2 > r->len || r->data[r->pos] != '\\' || r->data[r->pos + 1] != 'u')
        return fail_at (r, escape_pos, "high surrogate without its low surrogate");
      r->pos += 2;
      if (!read_hex4 (r, &low))
        return FALSE;
      if (low < 0xdc00 || low > 0xdfff)
        return fail_at (r, escape_pos, "high surrogate without its low surrogate");
      code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
    }
  *out += g_unichar_to_utf8 (code, *out);
  return TRUE;
}

/* The escape at r->pos (on its backslash), decoded at *@out. */
static gboolean
read_escape (Reader *r, char **out)
{
  static const char escapes[] = "\"\\/bfnrt";
  static const char decoded[] = "\"\\/\b\f\n\r\t";
  gsize escape_pos = r->pos;
  char e = r->data[r->pos + 1];
  const char *simple = e != '\0' ? strchr (escapes, e) : NULL;

  r->pos += 2;
  if (e == 'u')
    return read_unicode_escape (r, escape_pos, out);
  if (simple == NULL)
    return fail_at (r, escape_pos, "invalid escape in a string");
  *(*out)++ = decoded[simple - escapes];
  return TRUE;
}

/* A string at r->pos (on its opening quote), decoded into the tree's
 * strings: the decoded text and its NUL are never longer than the quoted
 * text, so the buffer, as long as the document, cannot overflow. */
static gboolean
read_string (Reader *r, const char **out, gsize *out_len)
{
  char *start = r->tree->strings + r->strings_len;
  char *w = start;

  r->pos++;
  while (r->pos < r->len)
    {
      gsize run = r->pos;
      unsigned char ch;

      while (run < r->len && (ch = (unsigned char) r->data[run]) != '"' && ch != '\\'
             && ch >= 0x20)
        run++;
      memcpy (w, r->data + r->pos, run - r->pos);
      w += run - r->pos;
      r->pos = run;
      if (r->pos >= r->len)
        break;
      ch = (unsigned char) r->data[r->pos];
      if (ch == '"')
        {
          r->pos++;
          *w = '\0';
          *out = start;
          *out_len = w - start;
          r->strings_len += *out_len + 1;
          return TRUE;
        }
      if (ch < 0x20)
        return fail_at (r, r->pos, "control character in a string (it must be escaped)");
      if (r->pos + 1 >= r->len)
        break;
      if (!read_escape (r, &w))
        return FALSE;
    }
  return fail_at (r, r->len, "unterminated string");
}

static gboolean
skip_digits (Reader *r)
{
  gsize start = r->pos;

  while (r->pos < r->len && g_ascii_isdigit (r->data[r->pos]))
    r->pos++;
  return r->pos > start;
}

/* An integer token without fraction or exponent; refused when it does not
 * fit in 64 bits rather than wrapped around. */
static gboolean
integer_value (Reader *r, gsize start, gint64 *out)
{
  gboolean negative = r->data[start] == '-';
  guint64 limit = negative ? (guint64) G_MAXINT64 + 1 : (guint64) G_MAXINT64;
  guint64 magnitude = 0;

  for (gsize i = start + (negative ? 1 : 0); i < r->pos; i++)
    {
      guint digit = r->data[i] - '0';

      if (magnitude > (limit - digit) / 10)
        return fail_at_path (r, "integer %.*s does not fit in 64 bits", (int) (r->pos - start),
                             r->data + start);
      magnitude = magnitude * 10 + digit;
    }
  if (!negative)
    *out = (gint64) magnitude;
  else
    *out = magnitude == limit ? G_MININT64 : -(gint64) magnitude;
  return TRUE;
}

static gboolean
read_number (Reader *r, FleetJsonValue *value)
{
  gsize start = r->pos;
  gboolean integer = TRUE;

  if (r->data[r->pos] == '-')
    r->pos++;
  if (r->pos < r->len && r->data[r->pos] == '0')
    r->pos++;
  else if (!skip_digits (r))
    return fail_at (r, start, "invalid number");
  if (r->pos < r->len && r->data[r->pos] == '.')
    {
      r->pos++, integer = FALSE;
      if (!skip_digits (r))
        return fail_at (r, start, "invalid number (digits expected after '.')");
    }
  if (r->pos < r->len && (r->data[r->pos] == 'e' || r->data[r->pos] == 'E'))
    {
      r->pos++, integer = FALSE;
      if (r->pos < r->len && (r->data[r->pos] == '+' || r->data[r->pos] == '-'))
        r->pos++;
      if (!skip_digits (r))
        return fail_at (r, start, "invalid number (digits expected in the exponent)");
    }
  if (r->pos < r->len && (g_ascii_isalnum (r->data[r->pos]) || r->data[r->pos] == '.'))
    return fail_at (r, start, "invalid number");
  if (integer)
    {
      value->type = FLEET_JSON_INTEGER;
      return integer_value (r, start, &value->v.integer);
    }
  {
    g_autofree char *token = g_strndup (r->data + start, r->pos - start);

    value->type = FLEET_JSON_DOUBLE;
    value->v.number = g_ascii_strtod (token, NULL);
  }
  return TRUE;
}

static gboolean
read_literal (Reader *r, const char *word)
{
  gsize n = strlen (word);

  if (r->pos + n > r->len || memcmp (r->data + r->pos, word, n) != 0)
    return fail_at (r, r->pos, "unexpected character (expected a JSON value)");
  r->pos += n;
  return TRUE;
}

static gboolean read_value (Reader *r, FleetJsonValue *value);

static gboolean
enter (Reader *r)
{
  if (++r->depth > r->max_depth)
    return fleet_throw (r->error, FLEET_ERROR_INVALID_DOCUMENT,
                        "document: nested deeper than %u levels (at byte %" G_GSIZE_FORMAT ")",
                        r->max_depth, r->pos);
  r->pos++;
  skip_whitespace (r);
  return TRUE;
}

/* The container whose children are the pending values from @base on is
 * complete: they move to the tree, together. */
static gboolean
leave (Reader *r, FleetJsonValue *container, FleetJsonType type, guint base)
{
  container->type = type;
  container->n_children = r->pending->len - base;
  container->first_child = r->tree->values->len;
  g_array_append_vals (r->tree->values, &g_array_index (r->pending, FleetJsonValue, base),
                       container->n_children);
  g_array_set_size (r->pending, base);
  r->pos++;
  r->depth--;
  return TRUE;
}

/* Whether @name is new among the members read so far (the pending values
 * from @base on); small objects compare, large ones keep a table. */
static gboolean
is_new_member (Reader *r, guint base, GHashTable **names, const char *name)
{
  guint n = r->pending->len - base;

  if (*names != NULL)
    return g_hash_table_add (*names, (gpointer) name);
  for (guint i = 0; i < n; i++)
    if (strcmp (g_array_index (r->pending, FleetJsonValue, base + i).key, name) == 0)
      return FALSE;
  if (n + 1 >= MAX_LINEAR_MEMBERS)
    {
      *names = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint i = 0; i < n; i++)
        g_hash_table_add (*names, (gpointer) g_array_index (r->pending, FleetJsonValue, base + i).key);
      g_hash_table_add (*names, (gpointer) name);
    }
  return TRUE;
}

static gboolean
read_member (Reader *r, guint base, GHashTable **names)
{
  FleetJsonValue member = { 0, };
  PathFrame frame = { NULL, 0 };
  gsize name_len;
  gboolean ok;

  if (r->pos >= r->len || r->data[r->pos] != '"')
    return fail_at (r, r->pos, "expected a member name in double quotes");
  if (!read_string (r, &frame.key, &name_len))
    return FALSE;
  if (!is_new_member (r, base, names, frame.key))
    return fail_at_path (r, "duplicate member name \"%s\"", frame.key);
  skip_whitespace (r);
  if (r->pos >= r->len || r->data[r->pos] != ':')
    return fail_at (r, r->pos, "expected ':' after a member name");
  r->pos++;
  g_array_append_val (r->path, frame);
  ok = read_value (r, &member);
  g_array_set_size (r->path, r->path->len - 1);
  if (!ok)
    return FALSE;
  member.key = frame.key;
  g_array_append_val (r->pending, member);
  return TRUE;
}

static gboolean
read_object (Reader *r, FleetJsonValue *object)
{
  g_autoptr(GHashTable) names = NULL;
  guint base = r->pending->len;

  if (!enter (r))
    return FALSE;
  if (r->pos < r->len && r->data[r->pos] == '}')
    return leave (r, object, FLEET_JSON_OBJECT, base);
  while (TRUE)
    {
      if (!read_member (r, base, &names))
        return FALSE;
      skip_whitespace (r);
      if (r->pos < r->len && r->data[r->pos] == ',')
        {
          r->pos++;
          skip_whitespace (r);
          continue;
        }
      if (r->pos < r->len && r->data[r->pos] == '}')
        return leave (r, object, FLEET_JSON_OBJECT, base);
      return fail_at (r, r->pos, "expected ',' or '}' in an object");
    }
}

static gboolean
read_array (Reader *r, FleetJsonValue *array)
{
  guint base = r->pending->len;

  if (!enter (r))
    return FALSE;
  if (r->pos < r->len && r->data[r->pos] == ']')
    return leave (r, array, FLEET_JSON_ARRAY, base);
  while (TRUE)
    {
      FleetJsonValue element = { 0, };
      PathFrame frame = { NULL, r->pending->len - base };
      gboolean ok;

      g_array_append_val (r->path, frame);
      ok = read_value (r, &element);
      g_array_set_size (r->path, r->path->len - 1);
      if (!ok)
        return FALSE;
      g_array_append_val (r->pending, element);
      skip_whitespace (r);
      if (r->pos < r->len && r->data[r->pos] == ',')
        {
          r->pos++;
          continue;
        }
      if (r->pos < r->len && r->data[r->pos] == ']')
        return leave (r, array, FLEET_JSON_ARRAY, base);
      return fail_at (r, r->pos, "expected ',' or ']' in an array");
    }
}

static gboolean
read_value (Reader *r, FleetJsonValue *value)
{
  skip_whitespace (r);
  if (r->pos >= r->len)
    return fail_at (r, r->pos, "unexpected end of the document (expected a JSON value)");
  switch (r->data[r->pos])
    {
    case '{':
      return read_object (r, value);
    case '[':
      return read_array (r, value);
    case '"':
      value->type = FLEET_JSON_STRING;
      return read_string (r, &value->v.string.str, &value->v.string.len);
    case 't':
      value->type = FLEET_JSON_BOOLEAN, value->v.boolean = TRUE;
      return read_literal (r, "true");
    case 'f':
      value->type = FLEET_JSON_BOOLEAN, value->v.boolean = FALSE;
      return read_literal (r, "false");
    case 'n':
      value->type = FLEET_JSON_NULL;
      return read_literal (r, "null");
    default:
      if (r->data[r->pos] == '-' || g_ascii_isdigit (r->data[r->pos]))
        return read_number (r, value);
      return fail_at (r, r->pos, "unexpected character (expected a JSON value)");
    }
}

/**
 * _fleet_json_tree_parse:
 * @data: the document's text, already known to be UTF-8 without NUL bytes
 * @len: its length
 * @max_depth: the deepest nesting accepted
 *
 * Returns: (transfer full): the tree of @data when it is exactly one strict
 *   JSON value, with no duplicate member names, no \u0000, no integer
 *   beyond 64 bits and no nesting beyond @max_depth; otherwise %NULL and
 *   FLEET_ERROR_INVALID_DOCUMENT naming where
 */
FleetJsonTree *
_fleet_json_tree_parse (const char *data, gsize len, guint max_depth, GError **error)
{
  g_autoptr(FleetJsonTree) tree = g_new0 (FleetJsonTree, 1);
  g_autoptr(GArray) path = g_array_new (FALSE, FALSE, sizeof (PathFrame));
  g_autoptr(GArray) pending = g_array_new (FALSE, FALSE, sizeof (FleetJsonValue));
  FleetJsonValue root = { 0, };
  Reader r = { data, len, 0, 0, max_depth, path, pending, tree, 0, error };

  tree->values = g_array_sized_new (FALSE, FALSE, sizeof (FleetJsonValue), len / 32 + 1);
  tree->strings = g_malloc (len + 1);
  skip_whitespace (&r);
  if (r.pos >= len)
    return fleet_null_throw (error, FLEET_ERROR_INVALID_DOCUMENT, "document: empty");
  if (!read_value (&r, &root))
    return NULL;
  skip_whitespace (&r);
  if (r.pos < len)
    return fleet_null_throw (error, FLEET_ERROR_INVALID_DOCUMENT,
                             "document: unexpected data after the JSON value (at byte %"
                             G_GSIZE_FORMAT ")",
                             r.pos);
  g_array_append_val (tree->values, root);
  return g_steal_pointer (&tree);
}

void
_fleet_json_tree_free (FleetJsonTree *tree)
{
  if (tree->values != NULL)
    g_array_unref (tree->values);
  g_free (tree->strings);
  g_free (tree);
}

FleetJsonValue *
_fleet_json_tree_get_root (FleetJsonTree *tree)
{
  return &g_array_index (tree->values, FleetJsonValue, tree->values->len - 1);
}

/* The first of @value's children; they follow it in the same array. */
FleetJsonValue *
_fleet_json_tree_get_children (FleetJsonTree *tree, const FleetJsonValue *value)
{
  return (FleetJsonValue *) tree->values->data + value->first_child;
}

/* The member @key of @object, or NULL. */
const FleetJsonValue *
_fleet_json_object_get_member (FleetJsonTree *tree, const FleetJsonValue *object, const char *key)
{
  const FleetJsonValue *members = _fleet_json_tree_get_children (tree, object);

  for (guint i = 0; i < object->n_children; i++)
    if (strcmp (members[i].key, key) == 0)
      return &members[i];
  return NULL;
}
