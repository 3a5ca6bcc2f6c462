/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-document-values.c: the rules a desired-state document's values
 * must follow: their JSON types, names, paths, the lifecycle, and the
 * syntax of a service's command, env, ports and volumes (the fields added
 * since have files of their own, fleet-document-fields.c lists them).
 *
 * The first violation aborts the parse with an error naming the value's
 * JSON path and the rule, e.g.
 *
 *   deployments.hello.data.services[0].env: key "1X" is not a valid name
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "fleet-document-parser-private.h"
#include "fleet-signals-private.h"
#include "fleet-util-private.h"

static void
append_path (GString *out, const FleetDocumentPath *path)
{
  if (path->parent != NULL)
    append_path (out, path->parent);
  if (path->key == NULL)
    g_string_append_printf (out, "[%u]", path->index);
  else
    {
      if (out->len > 0)
        g_string_append_c (out, '.');
      g_string_append (out, path->key);
    }
}

char *
_fleet_document_path_to_string (const FleetDocumentPath *path)
{
  GString *out = g_string_new (NULL);

  if (path == NULL)
    g_string_append (out, "document");
  else
    append_path (out, path);
  return g_string_free (out, FALSE);
}

gboolean
_fleet_document_invalid (GError **error, const FleetDocumentPath *path, const char *format, ...)
{
  va_list args;
  g_autofree char *where = _fleet_document_path_to_string (path);
  g_autofree char *rule = NULL;
  g_autofree char *message = NULL;
  g_autofree char *clean = NULL;

  va_start (args, format);
  rule = g_strdup_vprintf (format, args);
  va_end (args);
  message = g_strdup_printf ("%s: %s", where, rule);
  clean = fleet_escape_controls (message);
  return fleet_throw (error, FLEET_ERROR_INVALID_DOCUMENT, "%s", clean);
}

#define invalid _fleet_document_invalid

static const char *
json_type_name (const FleetJsonValue *value)
{
  switch (value->type)
    {
    case FLEET_JSON_OBJECT:
      return "an object";
    case FLEET_JSON_ARRAY:
      return "an array";
    case FLEET_JSON_NULL:
      return "null";
    case FLEET_JSON_STRING:
      return "a string";
    case FLEET_JSON_BOOLEAN:
      return "a boolean";
    case FLEET_JSON_INTEGER:
      return "an integer";
    case FLEET_JSON_DOUBLE:
    default:
      return "a number";
    }
}

gboolean
_fleet_document_is_valid_name (const char *s)
{
  gsize len = strlen (s);

  if (len < 1 || len > 63 || s[0] == '-' || s[len - 1] == '-')
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_islower (s[i]) && !g_ascii_isdigit (s[i]) && s[i] != '-')
      return FALSE;
  return TRUE;
}

static gboolean
is_valid_env_key (const char *s)
{
  if (!g_ascii_isalpha (s[0]) && s[0] != '_')
    return FALSE;
  for (gsize i = 1; s[i] != '\0'; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != '_')
      return FALSE;
  return TRUE;
}

static gboolean
is_valid_volume_name (const char *s)
{
  if (!g_ascii_isalnum (s[0]))
    return FALSE;
  for (gsize i = 1; s[i] != '\0'; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
      return FALSE;
  return TRUE;
}

/**
 * _fleet_document_check_members:
 * @allowed: the member names @object may have, %NULL-terminated
 * @found: (out caller-allocates): as many slots as @allowed, cleared by the
 *   caller: the member called @allowed[i] lands in @found[i]
 *
 * Refuses members that are not in @allowed (in document order) and member
 * names over the limit.
 */
gboolean
_fleet_document_check_members (FleetParseContext *ctx, const FleetJsonValue *object,
                               const FleetDocumentPath *path, const char *const *allowed,
                               const FleetJsonValue **found, GError **error)
{
  const FleetJsonValue *members = _fleet_json_tree_get_children (ctx->tree, object);

  for (guint i = 0; i < object->n_children; i++)
    {
      const char *key = members[i].key;
      guint slot = 0;

      if (strlen (key) > ctx->limits->max_string_bytes)
        return invalid (error, path, "member name longer than %" G_GSIZE_FORMAT " bytes",
                        ctx->limits->max_string_bytes);
      while (allowed[slot] != NULL && strcmp (allowed[slot], key) != 0)
        slot++;
      if (allowed[slot] == NULL)
        {
          FleetDocumentPath child = FLEET_DOCUMENT_MEMBER (path, key);

          return invalid (error, &child, "unknown field");
        }
      found[slot] = &members[i];
    }
  return TRUE;
}

gboolean
_fleet_document_require_object (const FleetJsonValue *value, const FleetDocumentPath *path,
                                GError **error)
{
  if (value->type != FLEET_JSON_OBJECT)
    return invalid (error, path, "expected an object, got %s", json_type_name (value));
  return TRUE;
}

gboolean
_fleet_document_require_array (const FleetJsonValue *value, const FleetDocumentPath *path,
                               GError **error)
{
  if (value->type != FLEET_JSON_ARRAY)
    return invalid (error, path, "expected an array, got %s", json_type_name (value));
  return TRUE;
}

/* Strings are valid UTF-8 without NUL bytes: the reader saw to that. */
const char *
_fleet_document_require_string (FleetParseContext *ctx, const FleetJsonValue *value,
                                const FleetDocumentPath *path, GError **error)
{
  if (value->type != FLEET_JSON_STRING)
    return invalid (error, path, "expected a string, got %s", json_type_name (value)), NULL;
  if (value->v.string.len > ctx->limits->max_string_bytes)
    return invalid (error, path, "string longer than %" G_GSIZE_FORMAT " bytes",
                    ctx->limits->max_string_bytes),
           NULL;
  return value->v.string.str;
}

/* An array of strings, each handed to @func in order; the first element
 * that is no string, or that @func refuses, ends it with that error. */
gboolean
_fleet_document_for_each_string (FleetParseContext *ctx, const FleetJsonValue *value,
                                 const FleetDocumentPath *path, FleetDocumentStringFunc func,
                                 gpointer data, GError **error)
{
  const FleetJsonValue *elements = _fleet_json_tree_get_children (ctx->tree, value);

  if (!_fleet_document_require_array (value, path, error))
    return FALSE;
  for (guint i = 0; i < value->n_children; i++)
    {
      FleetDocumentPath p = FLEET_DOCUMENT_ELEMENT (path, i);
      const char *s = _fleet_document_require_string (ctx, &elements[i], &p, error);

      if (s == NULL || !func (ctx, s, i, &p, data, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
_fleet_document_require_int (const FleetJsonValue *value, const FleetDocumentPath *path,
                             gint64 min, gint64 max, gint64 *out, GError **error)
{
  gint64 v;

  if (value->type != FLEET_JSON_INTEGER)
    return invalid (error, path, "expected an integer, got %s", json_type_name (value));
  v = value->v.integer;
  if (v < min || v > max)
    return invalid (error, path, "%" G_GINT64_FORMAT " is out of range %" G_GINT64_FORMAT
                    "..%" G_GINT64_FORMAT, v, min, max);
  *out = v;
  return TRUE;
}

/* RFC 3339's date-time: "YYYY-MM-DDTHH:MM:SS", an optional fraction, and
 * "Z" or "+HH:MM"/"-HH:MM" (T and Z in either case).  GLib's ISO 8601
 * reader accepts far more (week dates, no offset, no separators): only its
 * range checks are used, on text of this shape. */
static gboolean
has_rfc3339_shape (const char *s)
{
  static const char pattern[] = "dddd-dd-ddTdd:dd:dd";
  gsize i = 0;

  for (; pattern[i] != '\0'; i++)
    if (pattern[i] == 'd' ? !g_ascii_isdigit (s[i])
                          : g_ascii_toupper (s[i]) != pattern[i])
      return FALSE;
  if (s[i] == '.')
    {
      if (!g_ascii_isdigit (s[++i]))
        return FALSE;
      while (g_ascii_isdigit (s[i]))
        i++;
    }
  if (g_ascii_toupper (s[i]) == 'Z')
    return s[i + 1] == '\0';
  return (s[i] == '+' || s[i] == '-') && g_ascii_isdigit (s[i + 1]) && g_ascii_isdigit (s[i + 2])
         && s[i + 3] == ':' && g_ascii_isdigit (s[i + 4]) && g_ascii_isdigit (s[i + 5])
         && s[i + 6] == '\0';
}

/* A top-level timestamp (issued_at, expires): an RFC 3339 date-time. */
gboolean
_fleet_document_parse_timestamp (FleetParseContext *ctx, const FleetJsonValue *value,
                                 const FleetDocumentPath *path, GDateTime **out, GError **error)
{
  const char *text = _fleet_document_require_string (ctx, value, path, error);
  GDateTime *parsed = NULL;

  if (text == NULL)
    return FALSE;
  if (has_rfc3339_shape (text))
    {
      /* GLib knows only the upper-case T and Z. */
      g_autofree char *upper = g_ascii_strup (text, -1);

      parsed = g_date_time_new_from_iso8601 (upper, NULL);
    }
  if (parsed == NULL)
    return invalid (error, path,
                    "\"%s\" is not an RFC 3339 date and time (e.g. \"2026-05-01T12:00:00Z\")",
                    text);
  *out = parsed;
  return TRUE;
}

gboolean
_fleet_document_require_boolean (const FleetJsonValue *value, const FleetDocumentPath *path,
                                 gboolean *out, GError **error)
{
  if (value->type != FLEET_JSON_BOOLEAN)
    return invalid (error, path, "expected true or false, got %s", json_type_name (value));
  *out = value->v.boolean;
  return TRUE;
}

gboolean
_fleet_document_has_space_or_control (const char *s)
{
  for (const char *p = s; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c) || g_unichar_iscntrl (c))
        return TRUE;
    }
  return FALSE;
}

static gboolean
has_control (const char *s)
{
  for (const char *p = s; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return TRUE;
  return FALSE;
}

/* An absolute path without control characters and without ".." among its
 * components, so that it names what it seems to name. */
gboolean
_fleet_document_check_absolute_path (const char *s, const FleetDocumentPath *path,
                                     const char *what, GError **error)
{
  g_auto(GStrv) components = NULL;

  if (s[0] != '/')
    return invalid (error, path, "%s \"%s\" is not an absolute path", what, s);
  if (has_control (s))
    return invalid (error, path, "%s \"%s\" has control characters", what, s);
  components = g_strsplit (s, "/", -1);
  for (guint i = 0; components[i] != NULL; i++)
    if (g_str_equal (components[i], ".."))
      return invalid (error, path, "%s \"%s\" has a \"..\" component", what, s);
  return TRUE;
}

/* @value is NULL when the deployment has no lifecycle: the defaults. */
gboolean
_fleet_document_parse_lifecycle (FleetParseContext *ctx, const FleetJsonValue *value,
                                 const FleetDocumentPath *path, FleetLifecycle *out,
                                 GError **error)
{
  static const char *const allowed[] = { "stop_signal", "grace_period_secs", NULL };
  const FleetJsonValue *found[G_N_ELEMENTS (allowed)] = { NULL, };
  FleetDocumentPath signal_path = FLEET_DOCUMENT_MEMBER (path, "stop_signal");
  FleetDocumentPath grace_path = FLEET_DOCUMENT_MEMBER (path, "grace_period_secs");
  const char *canonical = FLEET_DEFAULT_STOP_SIGNAL;
  int signum = SIGTERM;
  gint64 grace = FLEET_DEFAULT_GRACE_PERIOD_SECS;

  if (value != NULL
      && (!_fleet_document_require_object (value, path, error)
          || !_fleet_document_check_members (ctx, value, path, allowed, found, error)))
    return FALSE;
  if (found[0] != NULL)
    {
      const char *name = _fleet_document_require_string (ctx, found[0], &signal_path, error);

      if (name == NULL)
        return FALSE;
      signum = _fleet_signal_from_name (name, &canonical);
      if (signum == 0)
        return invalid (error, &signal_path,
                        "unknown signal \"%s\" (expected a name such as SIGTERM)", name);
    }
  if (found[1] != NULL
      && !_fleet_document_require_int (found[1], &grace_path, 0, FLEET_MAX_GRACE_PERIOD_SECS,
                                       &grace, error))
    return FALSE;
  out->stop_signal = g_strdup (canonical);
  out->stop_signal_number = signum;
  out->grace_period_secs = (guint) grace;
  return TRUE;
}

/* Decimal digits, 1 to 65535.  Leading zeros are allowed in every
 * position, however many ("080" is 80): the released parser took them
 * wherever the number had at most five characters, so refusing them now
 * would refuse documents it accepted. */
static gboolean
parse_port_number (const char *s, guint16 *out)
{
  guint v = 0;

  if (*s == '\0')
    return FALSE;
  for (const char *p = s; *p; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      v = v * 10 + (guint) (*p - '0');
      if (v > 65535)
        return FALSE;
    }
  if (v < 1)
    return FALSE;
  *out = (guint16) v;
  return TRUE;
}

/* "[HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|/udp]"; an IPv6 HOST_IP is
 * written in brackets. */
static gboolean
parse_port_spec (const char *spec, FleetPortMapping *port)
{
  g_autofree char *copy = g_strdup (spec);
  g_auto(GStrv) parts = NULL;
  char *rest = copy;
  char *slash = strrchr (copy, '/');
  g_autofree char *ip = NULL;
  guint n;

  port->protocol = g_strdup ("tcp");
  if (slash != NULL)
    {
      *slash = '\0';
      if (g_str_equal (slash + 1, "udp"))
        g_free (port->protocol), port->protocol = g_strdup ("udp");
      else if (!g_str_equal (slash + 1, "tcp"))
        return FALSE;
    }
  if (rest[0] == '[')
    {
      char *close = strchr (rest, ']');

      if (close == NULL || close[1] != ':')
        return FALSE;
      ip = g_strndup (rest + 1, close - rest - 1);
      rest = close + 2;
    }
  parts = g_strsplit (rest, ":", -1);
  n = g_strv_length (parts);
  if (ip == NULL && n == 3)
    {
      ip = g_strdup (parts[0]);
      if (strchr (ip, ':') != NULL)
        return FALSE;
    }
  else if (n != 2)
    return FALSE;
  if (ip != NULL && !g_hostname_is_ip_address (ip))
    return FALSE;
  if (!parse_port_number (parts[n - 2], &port->host_port)
      || !parse_port_number (parts[n - 1], &port->container_port))
    return FALSE;
  port->host_ip = g_steal_pointer (&ip);
  return TRUE;
}

/* A host port as podman binds it: the same whatever the spelling of its
 * number or address ("::1" is "0:0::1"). */
typedef struct
{
  guint index;
  guint16 port;
  const char *protocol;
  char *address; /* NULL: every address */
} HostPort;

static int
compare_addresses (const HostPort *x, const HostPort *y)
{
  int c;

  if (x->port != y->port)
    return x->port < y->port ? -1 : 1;
  if ((c = strcmp (x->protocol, y->protocol)) != 0)
    return c;
  if (x->address == NULL || y->address == NULL)
    return (x->address != NULL) - (y->address != NULL);
  return strcmp (x->address, y->address);
}

/* By host port, then in document order. */
static int
compare_host_ports (gconstpointer a, gconstpointer b)
{
  const HostPort *x = a, *y = b;
  int c = compare_addresses (x, y);

  return c != 0 ? c : (x->index > y->index) - (x->index < y->index);
}

static char *
normalized_address (const char *host_ip)
{
  g_autoptr(GInetAddress) address = NULL;

  if (host_ip == NULL)
    return NULL;
  address = g_inet_address_new_from_string (host_ip);
  return address != NULL ? g_inet_address_to_string (address) : g_strdup (host_ip);
}

/* The first mapping (in document order) that publishes a host port an
 * earlier one already does: its index in *@repeat and the earlier one's in
 * *@first.  Sorted, so that a long list costs no more than sorting it. */
static gboolean
find_repeated_host_port (GPtrArray *ports, guint *first, guint *repeat)
{
  g_autofree HostPort *sorted = g_new (HostPort, ports->len);
  guint group = 0;

  *repeat = G_MAXUINT;
  for (guint i = 0; i < ports->len; i++)
    {
      const FleetPortMapping *port = ports->pdata[i];

      sorted[i] = (HostPort) { i, port->host_port, port->protocol,
                               normalized_address (port->host_ip) };
    }
  qsort (sorted, ports->len, sizeof (HostPort), compare_host_ports);
  for (guint i = 1; i < ports->len; i++)
    {
      if (compare_addresses (&sorted[i - 1], &sorted[i]) != 0)
        group = i;
      else if (sorted[i].index < *repeat)
        *first = sorted[group].index, *repeat = sorted[i].index;
    }
  for (guint i = 0; i < ports->len; i++)
    g_free (sorted[i].address);
  return *repeat != G_MAXUINT;
}

static gboolean
check_host_ports_unique (const FleetDocumentPath *path, GPtrArray *ports, GError **error)
{
  FleetDocumentPath repeat_path, first_path;
  g_autofree char *first_string = NULL;
  g_autofree char *address = NULL;
  const FleetPortMapping *port;
  guint first, repeat;

  if (ports->len < 2 || !find_repeated_host_port (ports, &first, &repeat))
    return TRUE;
  repeat_path = (FleetDocumentPath) FLEET_DOCUMENT_ELEMENT (path, repeat);
  first_path = (FleetDocumentPath) FLEET_DOCUMENT_ELEMENT (path, first);
  first_string = _fleet_document_path_to_string (&first_path);
  port = ports->pdata[repeat];
  if (port->host_ip != NULL)
    address = g_strdup_printf (strchr (port->host_ip, ':') ? "[%s]:" : "%s:", port->host_ip);
  return invalid (error, &repeat_path, "host port %s%u/%s is published twice (also %s)",
                  address ? address : "", port->host_port, port->protocol, first_string);
}

static gboolean
add_port (FleetParseContext *ctx, const char *s, guint index, const FleetDocumentPath *path,
          gpointer data, GError **error)
{
  FleetServiceSpec *spec = data;
  FleetPortMapping *port = g_new0 (FleetPortMapping, 1);

  g_ptr_array_add (spec->ports, port);
  if (!parse_port_spec (s, port))
    return invalid (error, path,
                    "expected [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|/udp] with ports "
                    "1-65535, got \"%s\"",
                    s);
  return TRUE;
}

gboolean
_fleet_document_parse_ports (FleetParseContext *ctx, const FleetJsonValue *value,
                             const FleetDocumentPath *path, FleetServiceSpec *spec,
                             GError **error)
{
  return _fleet_document_for_each_string (ctx, value, path, add_port, spec, error)
         && check_host_ports_unique (path, spec->ports, error);
}

static gboolean
parse_volume (const char *s, const FleetDocumentPath *path, FleetVolumeMount *mount,
              GError **error)
{
  g_auto(GStrv) parts = g_strsplit (s, ":", -1);
  guint n = g_strv_length (parts);

  if (n < 2 || n > 3 || (n == 3 && !g_str_equal (parts[2], "ro") && !g_str_equal (parts[2], "rw")))
    return invalid (error, path, "expected SOURCE:DEST[:ro|:rw], got \"%s\"", s);
  if (parts[0][0] != '/' && !is_valid_volume_name (parts[0]))
    return invalid (error, path,
                    "source \"%s\" is neither an absolute path nor a volume name", parts[0]);
  if (parts[1][0] != '/')
    return invalid (error, path, "destination \"%s\" is not an absolute path", parts[1]);
  mount->source = g_strdup (parts[0]);
  mount->destination = g_strdup (parts[1]);
  mount->read_only = n == 3 && g_str_equal (parts[2], "ro");
  return TRUE;
}

static gboolean
add_volume (FleetParseContext *ctx, const char *s, guint index, const FleetDocumentPath *path,
            gpointer data, GError **error)
{
  FleetServiceSpec *spec = data;
  FleetVolumeMount *mount = g_new0 (FleetVolumeMount, 1);

  g_ptr_array_add (spec->volumes, mount);
  return parse_volume (s, path, mount, error);
}

gboolean
_fleet_document_parse_volumes (FleetParseContext *ctx, const FleetJsonValue *value,
                               const FleetDocumentPath *path, FleetServiceSpec *spec,
                               GError **error)
{
  return _fleet_document_for_each_string (ctx, value, path, add_volume, spec, error);
}

static gboolean
add_argument (FleetParseContext *ctx, const char *s, guint index, const FleetDocumentPath *path,
              gpointer data, GError **error)
{
  g_ptr_array_add (data, g_strdup (s));
  return TRUE;
}

gboolean
_fleet_document_parse_command (FleetParseContext *ctx, const FleetJsonValue *value,
                               const FleetDocumentPath *path, FleetServiceSpec *spec,
                               GError **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);

  if (!_fleet_document_for_each_string (ctx, value, path, add_argument, argv, error))
    return FALSE;
  /* [] is "no command": the image's own, as when the member is absent. */
  if (argv->len == 0)
    return TRUE;
  g_ptr_array_add (argv, NULL);
  spec->command = (char **) g_ptr_array_free (g_steal_pointer (&argv), FALSE);
  return TRUE;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

gboolean
_fleet_document_parse_env (FleetParseContext *ctx, const FleetJsonValue *value,
                           const FleetDocumentPath *path, FleetServiceSpec *spec, GError **error)
{
  const FleetJsonValue *members = _fleet_json_tree_get_children (ctx->tree, value);
  g_autoptr(GPtrArray) env = NULL;

  if (!_fleet_document_require_object (value, path, error))
    return FALSE;
  env = g_ptr_array_new_full (value->n_children + 1, g_free);
  for (guint i = 0; i < value->n_children; i++)
    {
      const char *key = members[i].key;
      FleetDocumentPath p = FLEET_DOCUMENT_MEMBER (path, key);
      const char *s;

      if (strlen (key) > ctx->limits->max_string_bytes)
        return invalid (error, path, "member name longer than %" G_GSIZE_FORMAT " bytes",
                        ctx->limits->max_string_bytes);
      if (!is_valid_env_key (key))
        return invalid (error, path, "key \"%s\" is not a valid name "
                        "(letters, digits and '_', not starting with a digit)", key);
      if (!(s = _fleet_document_require_string (ctx, &members[i], &p, error)))
        return FALSE;
      g_ptr_array_add (env, g_strconcat (key, "=", s, NULL));
    }
  g_ptr_array_sort (env, compare_strings);
  g_ptr_array_add (env, NULL);
  spec->env = (char **) g_ptr_array_free (g_steal_pointer (&env), FALSE);
  return TRUE;
}
