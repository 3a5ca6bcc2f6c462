/* fleet-json-check.c: a strict JSON (RFC 8259) check of a document's text,
 * run before json-glib parses it.
 *
 * json-glib is lenient in ways a contract cannot be: it accepts single
 * quotes, hexadecimal numbers, comments, octal and \x escapes, raw control
 * characters in strings and data after the top-level value; it silently
 * keeps the last of duplicate member names and cuts strings at a \u0000
 * escape.  Any of these would let a document mean something other than
 * what its sender validated, so they are refused here, with the position
 * (or, for duplicates, the JSON path).  The nesting depth is bounded too,
 * since json-glib parses recursively.
 */
#include "config.h"

#include <string.h>

#include "fleet-json-check-private.h"
#include "fleet-util-private.h"

typedef struct
{
  const char *data;
  gsize len;
  gsize pos;
  guint depth;
  guint max_depth;
  GPtrArray *path; /* char *: member names and "[i]" of the values entered */
  GError **error;
} Checker;

static gboolean
fail_at (Checker *c, gsize pos, const char *what)
{
  guint line = 1, column = 1;

  for (gsize i = 0; i < pos && i < c->len; i++)
    {
      if (c->data[i] == '\n')
        line++, column = 1;
      else if (((unsigned char) c->data[i] & 0xc0) != 0x80)
        column++;
    }
  return fleet_throw (c->error, FLEET_ERROR_INVALID_DOCUMENT,
                      "document: invalid JSON at %u:%u: %s", line, column, what);
}

static char *
current_path (Checker *c)
{
  GString *path = g_string_new (NULL);

  for (guint i = 0; i < c->path->len; i++)
    {
      const char *part = c->path->pdata[i];

      if (part[0] != '[' && path->len > 0)
        g_string_append_c (path, '.');
      g_string_append (path, part);
    }
  if (path->len == 0)
    g_string_append (path, "document");
  return g_string_free (path, FALSE);
}

static void
skip_whitespace (Checker *c)
{
  while (c->pos < c->len
         && (c->data[c->pos] == ' ' || c->data[c->pos] == '\t' || c->data[c->pos] == '\n'
             || c->data[c->pos] == '\r'))
    c->pos++;
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

/* Four hex digits at c->pos. */
static gboolean
read_hex4 (Checker *c, gunichar *out)
{
  gunichar value = 0;

  if (c->pos + 4 > c->len)
    return fail_at (c, c->pos, "truncated \\u escape");
  for (guint i = 0; i < 4; i++)
    {
      int digit = hex_value (c->data[c->pos + i]);

      if (digit < 0)
        return fail_at (c, c->pos + i, "\\u escape needs four hexadecimal digits");
      value = value * 16 + (gunichar) digit;
    }
  c->pos += 4;
  *out = value;
  return TRUE;
}

/* After "\u": a code point, combining a surrogate pair. */
static gboolean
read_unicode_escape (Checker *c, gsize escape_pos, GString *decoded)
{
  gunichar code, low;

  if (!read_hex4 (c, &code))
    return FALSE;
  if (code == 0)
    return fail_at (c, escape_pos, "\\u0000 (a NUL character) is not allowed in strings");
  if (code >= 0xdc00 && code <= 0xdfff)
    return fail_at (c, escape_pos, "lone low surrogate in a \\u escape");
  if (code >= 0xd800 && code <= 0xdbff)
    {
      if (c->pos + 2 > c->len || c->data[c->pos] != '\\' || c->data[c->pos + 1] != 'u')
        return fail_at (c, escape_pos, "high surrogate without its low surrogate");
      c->pos += 2;
      if (!read_hex4 (c, &low))
        return FALSE;
      if (low < 0xdc00 || low > 0xdfff)
        return fail_at (c, escape_pos, "high surrogate without its low surrogate");
      code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
    }
  if (decoded)
    g_string_append_unichar (decoded, code);
  return TRUE;
}

/* A string at c->pos (on its opening quote); decoded into @decoded when
 * not NULL, to compare member names by what they mean. */
static gboolean
check_string (Checker *c, GString *decoded)
{
  c->pos++;
  while (c->pos < c->len)
    {
      unsigned char ch = (unsigned char) c->data[c->pos];

      if (ch == '"')
        {
          c->pos++;
          return TRUE;
        }
      if (ch < 0x20)
        return fail_at (c, c->pos, "control character in a string (it must be escaped)");
      if (ch != '\\')
        {
          if (decoded)
            g_string_append_c (decoded, (char) ch);
          c->pos++;
          continue;
        }
      if (c->pos + 1 >= c->len)
        break;
      {
        gsize escape_pos = c->pos;
        char e = c->data[c->pos + 1];
        const char *simple = strchr ("\"\\/bfnrt", e);

        c->pos += 2;
        if (e == 'u')
          {
            if (!read_unicode_escape (c, escape_pos, decoded))
              return FALSE;
          }
        else if (e != '\0' && simple != NULL)
          {
            if (decoded)
              g_string_append_c (decoded, "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"]);
          }
        else
          return fail_at (c, escape_pos, "invalid escape in a string");
      }
    }
  return fail_at (c, c->len, "unterminated string");
}

static gboolean
skip_digits (Checker *c)
{
  gsize start = c->pos;

  while (c->pos < c->len && g_ascii_isdigit (c->data[c->pos]))
    c->pos++;
  return c->pos > start;
}

/* json-glib wraps integers outside 64 bits around (2^64+1 reads as 1):
 * refuse them, naming where. */
static gboolean
check_integer_range (Checker *c, gsize start)
{
  g_autofree char *token = g_strndup (c->data + start, c->pos - start);
  g_autofree char *where = NULL;
  g_autofree char *path = NULL;

  if (strpbrk (token, ".eE") != NULL
      || g_ascii_string_to_signed (token, 10, G_MININT64, G_MAXINT64, NULL, NULL))
    return TRUE;
  where = current_path (c);
  path = fleet_escape_controls (where);
  return fleet_throw (c->error, FLEET_ERROR_INVALID_DOCUMENT,
                      "%s: integer %s does not fit in 64 bits", path, token);
}

static gboolean
check_number (Checker *c)
{
  gsize start = c->pos;

  if (c->data[c->pos] == '-')
    c->pos++;
  if (c->pos < c->len && c->data[c->pos] == '0')
    c->pos++;
  else if (!skip_digits (c))
    return fail_at (c, start, "invalid number");
  if (c->pos < c->len && c->data[c->pos] == '.')
    {
      c->pos++;
      if (!skip_digits (c))
        return fail_at (c, start, "invalid number (digits expected after '.')");
    }
  if (c->pos < c->len && (c->data[c->pos] == 'e' || c->data[c->pos] == 'E'))
    {
      c->pos++;
      if (c->pos < c->len && (c->data[c->pos] == '+' || c->data[c->pos] == '-'))
        c->pos++;
      if (!skip_digits (c))
        return fail_at (c, start, "invalid number (digits expected in the exponent)");
    }
  if (c->pos < c->len && (g_ascii_isalnum (c->data[c->pos]) || c->data[c->pos] == '.'))
    return fail_at (c, start, "invalid number");
  return check_integer_range (c, start);
}

static gboolean
check_literal (Checker *c, const char *word)
{
  gsize n = strlen (word);

  if (c->pos + n > c->len || memcmp (c->data + c->pos, word, n) != 0)
    return fail_at (c, c->pos, "unexpected character (expected a JSON value)");
  c->pos += n;
  return TRUE;
}

static gboolean check_value (Checker *c);

static gboolean
enter (Checker *c)
{
  if (++c->depth > c->max_depth)
    return fleet_throw (c->error, FLEET_ERROR_INVALID_DOCUMENT,
                        "document: nested deeper than %u levels (at byte %" G_GSIZE_FORMAT ")",
                        c->max_depth, c->pos);
  c->pos++;
  skip_whitespace (c);
  return TRUE;
}

static gboolean
check_member (Checker *c, GHashTable *names)
{
  g_autoptr(GString) name = g_string_new (NULL);
  gboolean ok;

  if (c->pos >= c->len || c->data[c->pos] != '"')
    return fail_at (c, c->pos, "expected a member name in double quotes");
  if (!check_string (c, name))
    return FALSE;
  if (!g_hash_table_add (names, g_strdup (name->str)))
    {
      g_autofree char *path = current_path (c);
      g_autofree char *message = g_strdup_printf ("%s: duplicate member name \"%s\"", path,
                                                  name->str);
      g_autofree char *line = fleet_escape_controls (message);

      return fleet_throw (c->error, FLEET_ERROR_INVALID_DOCUMENT, "%s", line);
    }
  skip_whitespace (c);
  if (c->pos >= c->len || c->data[c->pos] != ':')
    return fail_at (c, c->pos, "expected ':' after a member name");
  c->pos++;
  g_ptr_array_add (c->path, g_strdup (name->str));
  ok = check_value (c);
  g_ptr_array_set_size (c->path, c->path->len - 1);
  return ok;
}

static gboolean
check_object (Checker *c)
{
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (!enter (c))
    return FALSE;
  if (c->pos < c->len && c->data[c->pos] == '}')
    {
      c->pos++, c->depth--;
      return TRUE;
    }
  while (TRUE)
    {
      if (!check_member (c, names))
        return FALSE;
      skip_whitespace (c);
      if (c->pos < c->len && c->data[c->pos] == ',')
        {
          c->pos++;
          skip_whitespace (c);
          continue;
        }
      if (c->pos < c->len && c->data[c->pos] == '}')
        {
          c->pos++, c->depth--;
          return TRUE;
        }
      return fail_at (c, c->pos, "expected ',' or '}' in an object");
    }
}

static gboolean
check_array (Checker *c)
{
  guint index = 0;

  if (!enter (c))
    return FALSE;
  if (c->pos < c->len && c->data[c->pos] == ']')
    {
      c->pos++, c->depth--;
      return TRUE;
    }
  while (TRUE)
    {
      gboolean ok;

      g_ptr_array_add (c->path, g_strdup_printf ("[%u]", index++));
      ok = check_value (c);
      g_ptr_array_set_size (c->path, c->path->len - 1);
      if (!ok)
        return FALSE;
      skip_whitespace (c);
      if (c->pos < c->len && c->data[c->pos] == ',')
        {
          c->pos++;
          continue;
        }
      if (c->pos < c->len && c->data[c->pos] == ']')
        {
          c->pos++, c->depth--;
          return TRUE;
        }
      return fail_at (c, c->pos, "expected ',' or ']' in an array");
    }
}

static gboolean
check_value (Checker *c)
{
  skip_whitespace (c);
  if (c->pos >= c->len)
    return fail_at (c, c->pos, "unexpected end of the document (expected a JSON value)");
  switch (c->data[c->pos])
    {
    case '{':
      return check_object (c);
    case '[':
      return check_array (c);
    case '"':
      return check_string (c, NULL);
    case 't':
      return check_literal (c, "true");
    case 'f':
      return check_literal (c, "false");
    case 'n':
      return check_literal (c, "null");
    default:
      if (c->data[c->pos] == '-' || g_ascii_isdigit (c->data[c->pos]))
        return check_number (c);
      return fail_at (c, c->pos, "unexpected character (expected a JSON value)");
    }
}

/**
 * _fleet_json_check:
 * @data: the document's text, already known to be UTF-8 without NUL bytes
 * @len: its length
 * @max_depth: the deepest nesting accepted
 *
 * Returns: whether @data is exactly one strict JSON value, with no
 *   duplicate member names, no \u0000 and no nesting beyond @max_depth;
 *   otherwise FLEET_ERROR_INVALID_DOCUMENT naming where
 */
gboolean
_fleet_json_check (const char *data, gsize len, guint max_depth, GError **error)
{
  g_autoptr(GPtrArray) path = g_ptr_array_new_with_free_func (g_free);
  Checker c = { data, len, 0, 0, max_depth, path, error };

  skip_whitespace (&c);
  if (c.pos >= len)
    return fleet_throw (error, FLEET_ERROR_INVALID_DOCUMENT, "document: empty");
  if (!check_value (&c))
    return FALSE;
  skip_whitespace (&c);
  if (c.pos < len)
    return fleet_throw (error, FLEET_ERROR_INVALID_DOCUMENT,
                        "document: unexpected data after the JSON value (at byte %" G_GSIZE_FORMAT
                        ")",
                        c.pos);
  return TRUE;
}
