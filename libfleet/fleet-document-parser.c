/* fleet-document-parser.c: parse and validate a desired-state document.
 *
 * Validation is strict and atomic: every member must be known, every value
 * must follow the contract's rules, and the first violation aborts the whole
 * parse with an error naming its JSON path and the rule, e.g.
 *
 *   deployments.hello.data.services[0].env: key "1X" is not a valid name
 *
 * Only a document that passed every check is turned into a FleetDocument.
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "fleet-canonical-json.h"
#include "fleet-deployment-spec-private.h"
#include "fleet-document-private.h"
#include "fleet-json-check-private.h"
#include "fleet-service-spec-private.h"
#include "fleet-signals-private.h"
#include "fleet-util-private.h"

/* Deeper than any valid document nests; bounds the parser's recursion. */
#define MAX_NESTING 32

typedef struct
{
  const FleetLimits *limits;
  guint n_services;
} ParseContext;

static gboolean
invalid (GError **error, const char *path, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
invalid (GError **error, const char *path, const char *format, ...)
{
  va_list args;
  g_autofree char *rule = NULL;
  g_autofree char *message = NULL;
  g_autofree char *clean = NULL;

  va_start (args, format);
  rule = g_strdup_vprintf (format, args);
  va_end (args);
  message = g_strdup_printf ("%s: %s", path, rule);
  clean = fleet_escape_controls (message);
  return fleet_throw (error, FLEET_ERROR_INVALID_DOCUMENT, "%s", clean);
}

static const char *
json_type_name (JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      return "an object";
    case JSON_NODE_ARRAY:
      return "an array";
    case JSON_NODE_NULL:
      return "null";
    case JSON_NODE_VALUE:
    default:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_STRING:
          return "a string";
        case G_TYPE_BOOLEAN:
          return "a boolean";
        case G_TYPE_INT64:
          return "an integer";
        default:
          return "a number";
        }
    }
}

static char *
member_path (const char *parent, const char *key)
{
  return *parent ? g_strconcat (parent, ".", key, NULL) : g_strdup (key);
}

static gboolean
is_valid_name (const char *s)
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

static gboolean
has_space_or_control (const char *s)
{
  for (const char *p = s; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c) || g_unichar_iscntrl (c))
        return TRUE;
    }
  return FALSE;
}

/* Reject members that are not in @allowed, and member names over the limit. */
static gboolean
check_members (ParseContext *ctx, JsonObject *object, const char *path,
               const char *const *allowed, GError **error)
{
  g_autoptr(GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *key = l->data;
      g_autofree char *child = member_path (path, key);

      if (strlen (key) > ctx->limits->max_string_bytes)
        return invalid (error, path, "member name longer than %" G_GSIZE_FORMAT " bytes",
                        ctx->limits->max_string_bytes);
      if (!g_utf8_validate (key, -1, NULL))
        return invalid (error, path, "member name is not valid UTF-8 (a bad escape?)");
      if (!g_strv_contains (allowed, key))
        return invalid (error, child, "unknown field");
    }
  return TRUE;
}

static JsonObject *
require_object (JsonNode *node, const char *path, GError **error)
{
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return invalid (error, path, "expected an object, got %s", json_type_name (node)), NULL;
  return json_node_get_object (node);
}

static JsonArray *
require_array (JsonNode *node, const char *path, GError **error)
{
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return invalid (error, path, "expected an array, got %s", json_type_name (node)), NULL;
  return json_node_get_array (node);
}

static const char *
require_string (ParseContext *ctx, JsonNode *node, const char *path, GError **error)
{
  const char *s;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return invalid (error, path, "expected a string, got %s", json_type_name (node)), NULL;
  s = json_node_get_string (node);
  /* json-glib decodes escapes JSON does not have (octal "\\666") and lone
   * surrogates into bytes that are not UTF-8. */
  if (!g_utf8_validate (s, -1, NULL))
    return invalid (error, path, "string is not valid UTF-8 (a bad escape?)"), NULL;
  if (strlen (s) > ctx->limits->max_string_bytes)
    return invalid (error, path, "string longer than %" G_GSIZE_FORMAT " bytes",
                    ctx->limits->max_string_bytes),
           NULL;
  return s;
}

static gboolean
require_int (JsonNode *node, const char *path, gint64 min, gint64 max, gint64 *out,
             GError **error)
{
  gint64 v;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return invalid (error, path, "expected an integer, got %s", json_type_name (node));
  v = json_node_get_int (node);
  if (v < min || v > max)
    return invalid (error, path, "%" G_GINT64_FORMAT " is out of range %" G_GINT64_FORMAT
                    "..%" G_GINT64_FORMAT, v, min, max);
  *out = v;
  return TRUE;
}

static gboolean
parse_lifecycle (ParseContext *ctx, JsonNode *node, const char *path, FleetLifecycle *out,
                 GError **error)
{
  static const char *const allowed[] = { "stop_signal", "grace_period_secs", NULL };
  const char *canonical = FLEET_DEFAULT_STOP_SIGNAL;
  int signum = SIGTERM;
  gint64 grace = FLEET_DEFAULT_GRACE_PERIOD_SECS;
  JsonObject *object = NULL;

  if (node != NULL)
    {
      if (!(object = require_object (node, path, error)))
        return FALSE;
      if (!check_members (ctx, object, path, allowed, error))
        return FALSE;
    }
  if (object != NULL && json_object_has_member (object, "stop_signal"))
    {
      g_autofree char *p = member_path (path, "stop_signal");
      const char *name = require_string (ctx, json_object_get_member (object, "stop_signal"), p,
                                         error);

      if (name == NULL)
        return FALSE;
      signum = _fleet_signal_from_name (name, &canonical);
      if (signum == 0)
        return invalid (error, p, "unknown signal \"%s\" (expected a name such as SIGTERM)",
                        name);
    }
  if (object != NULL && json_object_has_member (object, "grace_period_secs"))
    {
      g_autofree char *p = member_path (path, "grace_period_secs");

      if (!require_int (json_object_get_member (object, "grace_period_secs"), p, 0,
                        FLEET_MAX_GRACE_PERIOD_SECS, &grace, error))
        return FALSE;
    }
  out->stop_signal = g_strdup (canonical);
  out->stop_signal_number = signum;
  out->grace_period_secs = (guint) grace;
  return TRUE;
}

static gboolean
parse_port_number (const char *s, guint16 *out)
{
  guint64 v;

  if (*s == '\0' || strlen (s) > 5)
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  v = g_ascii_strtoull (s, NULL, 10);
  if (v < 1 || v > 65535)
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

static gboolean
parse_ports (ParseContext *ctx, JsonNode *node, const char *path, FleetServiceSpec *spec,
             GError **error)
{
  JsonArray *array = require_array (node, path, error);

  if (array == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *p = g_strdup_printf ("%s[%u]", path, i);
      const char *s = require_string (ctx, json_array_get_element (array, i), p, error);
      FleetPortMapping *port;

      if (s == NULL)
        return FALSE;
      port = g_new0 (FleetPortMapping, 1);
      g_ptr_array_add (spec->ports, port);
      if (!parse_port_spec (s, port))
        return invalid (error, p,
                        "expected [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|/udp] with ports "
                        "1-65535, got \"%s\"",
                        s);
    }
  return TRUE;
}

static gboolean
parse_volume (const char *s, const char *path, FleetVolumeMount *mount, GError **error)
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
parse_volumes (ParseContext *ctx, JsonNode *node, const char *path, FleetServiceSpec *spec,
               GError **error)
{
  JsonArray *array = require_array (node, path, error);

  if (array == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *p = g_strdup_printf ("%s[%u]", path, i);
      const char *s = require_string (ctx, json_array_get_element (array, i), p, error);
      FleetVolumeMount *mount;

      if (s == NULL)
        return FALSE;
      mount = g_new0 (FleetVolumeMount, 1);
      g_ptr_array_add (spec->volumes, mount);
      if (!parse_volume (s, p, mount, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_command (ParseContext *ctx, JsonNode *node, const char *path, FleetServiceSpec *spec,
               GError **error)
{
  JsonArray *array = require_array (node, path, error);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);

  if (array == NULL)
    return FALSE;
  /* [] is "no command": the image's own, as when the member is absent. */
  if (json_array_get_length (array) == 0)
    return TRUE;
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *p = g_strdup_printf ("%s[%u]", path, i);
      const char *s = require_string (ctx, json_array_get_element (array, i), p, error);

      if (s == NULL)
        return FALSE;
      g_ptr_array_add (argv, g_strdup (s));
    }
  g_ptr_array_add (argv, NULL);
  spec->command = (char **) g_ptr_array_free (g_steal_pointer (&argv), FALSE);
  return TRUE;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static gboolean
parse_env (ParseContext *ctx, JsonNode *node, const char *path, FleetServiceSpec *spec,
           GError **error)
{
  JsonObject *object = require_object (node, path, error);
  g_autoptr(GList) members = NULL;
  g_autoptr(GPtrArray) env = g_ptr_array_new_with_free_func (g_free);

  if (object == NULL)
    return FALSE;
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *key = l->data;
      g_autofree char *p = member_path (path, key);
      const char *value;

      if (strlen (key) > ctx->limits->max_string_bytes)
        return invalid (error, path, "member name longer than %" G_GSIZE_FORMAT " bytes",
                        ctx->limits->max_string_bytes);
      if (!is_valid_env_key (key))
        return invalid (error, path, "key \"%s\" is not a valid name "
                        "(letters, digits and '_', not starting with a digit)", key);
      if (!(value = require_string (ctx, json_object_get_member (object, key), p, error)))
        return FALSE;
      g_ptr_array_add (env, g_strconcat (key, "=", value, NULL));
    }
  g_ptr_array_sort (env, compare_strings);
  g_ptr_array_add (env, NULL);
  spec->env = (char **) g_ptr_array_free (g_steal_pointer (&env), FALSE);
  return TRUE;
}

/* The digest input: the service object as written, plus the effective
 * lifecycle under "lifecycle" (a member a service itself cannot have). */
static char *
service_digest (JsonObject *service, const FleetLifecycle *lifecycle)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonObject) copy = json_object_new ();
  g_autoptr(JsonObject) lc = json_object_new ();
  g_autoptr(GList) members = json_object_get_members (service);

  for (GList *l = members; l != NULL; l = l->next)
    json_object_set_member (copy, l->data,
                            json_node_copy (json_object_get_member (service, l->data)));
  json_object_set_string_member (lc, "stop_signal", lifecycle->stop_signal);
  json_object_set_int_member (lc, "grace_period_secs", lifecycle->grace_period_secs);
  json_object_set_object_member (copy, "lifecycle", g_steal_pointer (&lc));
  json_node_set_object (node, copy);
  return fleet_canonical_json_digest (node);
}

static FleetServiceSpec *
parse_service (ParseContext *ctx, FleetDeploymentSpec *deployment, JsonNode *node,
               const char *path, GError **error)
{
  static const char *const allowed[] = { "name", "image", "command", "env", "ports", "volumes",
                                         NULL };
  g_autoptr(FleetServiceSpec) spec = _fleet_service_spec_new ();
  g_autofree char *name_path = member_path (path, "name");
  g_autofree char *image_path = member_path (path, "image");
  JsonObject *object = require_object (node, path, error);
  const char *name, *image;

  if (object == NULL || !check_members (ctx, object, path, allowed, error))
    return NULL;
  if (!json_object_has_member (object, "name"))
    return invalid (error, name_path, "required field is missing"), NULL;
  if (!(name = require_string (ctx, json_object_get_member (object, "name"), name_path, error)))
    return NULL;
  if (!is_valid_name (name))
    return invalid (error, name_path,
                    "\"%s\" is not a valid name (1-63 of a-z, 0-9 and '-', "
                    "starting and ending with a letter or digit)", name),
           NULL;
  if (!json_object_has_member (object, "image"))
    return invalid (error, image_path, "required field is missing"), NULL;
  if (!(image = require_string (ctx, json_object_get_member (object, "image"), image_path, error)))
    return NULL;
  if (*image == '\0' || has_space_or_control (image))
    return invalid (error, image_path,
                    "\"%s\" is not a valid image reference (empty, or has whitespace or "
                    "control characters)", image),
           NULL;

  spec->deployment = g_strdup (deployment->name);
  spec->name = g_strdup (name);
  spec->container_name = g_strdup_printf ("%s_%s", deployment->name, name);
  spec->image = g_strdup (image);

  if (json_object_has_member (object, "command"))
    {
      g_autofree char *p = member_path (path, "command");
      if (!parse_command (ctx, json_object_get_member (object, "command"), p, spec, error))
        return NULL;
    }
  if (json_object_has_member (object, "env"))
    {
      g_autofree char *p = member_path (path, "env");
      if (!parse_env (ctx, json_object_get_member (object, "env"), p, spec, error))
        return NULL;
    }
  else
    spec->env = g_new0 (char *, 1);
  if (json_object_has_member (object, "ports"))
    {
      g_autofree char *p = member_path (path, "ports");
      if (!parse_ports (ctx, json_object_get_member (object, "ports"), p, spec, error))
        return NULL;
    }
  if (json_object_has_member (object, "volumes"))
    {
      g_autofree char *p = member_path (path, "volumes");
      if (!parse_volumes (ctx, json_object_get_member (object, "volumes"), p, spec, error))
        return NULL;
    }

  spec->lifecycle.stop_signal = g_strdup (deployment->lifecycle.stop_signal);
  spec->lifecycle.stop_signal_number = deployment->lifecycle.stop_signal_number;
  spec->lifecycle.grace_period_secs = deployment->lifecycle.grace_period_secs;
  spec->digest = service_digest (object, &spec->lifecycle);
  return g_steal_pointer (&spec);
}

static gboolean
parse_services (ParseContext *ctx, FleetDeploymentSpec *deployment, JsonNode *node,
                const char *path, GError **error)
{
  JsonArray *array = require_array (node, path, error);
  guint n;

  if (array == NULL)
    return FALSE;
  n = json_array_get_length (array);
  if (n == 0)
    return invalid (error, path, "expected at least one service");
  ctx->n_services += n;
  if (ctx->n_services > ctx->limits->max_services)
    return invalid (error, path, "too many services (more than %u in the document)",
                    ctx->limits->max_services);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *p = g_strdup_printf ("%s[%u]", path, i);
      FleetServiceSpec *spec = parse_service (ctx, deployment, json_array_get_element (array, i),
                                              p, error);

      if (spec == NULL)
        return FALSE;
      for (guint j = 0; j < deployment->services->len; j++)
        {
          FleetServiceSpec *other = deployment->services->pdata[j];

          if (g_str_equal (other->name, spec->name))
            {
              fleet_service_spec_unref (spec);
              return invalid (error, p, "duplicate service name \"%s\" (also %s[%u])",
                              other->name, path, j);
            }
        }
      g_ptr_array_add (deployment->services, spec);
    }
  return TRUE;
}

static FleetDeploymentSpec *
parse_deployment (ParseContext *ctx, const char *name, JsonNode *node, GError **error)
{
  static const char *const envelope_allowed[] = { "type", "data", NULL };
  static const char *const data_allowed[] = { "services", "lifecycle", NULL };
  g_autofree char *path = g_strconcat ("deployments.", name, NULL);
  g_autofree char *type_path = member_path (path, "type");
  g_autofree char *data_path = member_path (path, "data");
  g_autofree char *services_path = member_path (data_path, "services");
  g_autofree char *lifecycle_path = member_path (data_path, "lifecycle");
  g_autoptr(FleetDeploymentSpec) deployment = NULL;
  JsonObject *envelope, *data;
  const char *type;

  if (!is_valid_name (name))
    return invalid (error, "deployments",
                    "\"%s\" is not a valid deployment name (1-63 of a-z, 0-9 and '-', "
                    "starting and ending with a letter or digit)", name),
           NULL;
  if (!(envelope = require_object (node, path, error)))
    return NULL;
  if (!check_members (ctx, envelope, path, envelope_allowed, error))
    return NULL;
  if (!json_object_has_member (envelope, "type"))
    return invalid (error, type_path, "required field is missing"), NULL;
  if (!(type = require_string (ctx, json_object_get_member (envelope, "type"), type_path, error)))
    return NULL;
  if (!g_str_equal (type, "PodmanV0"))
    return invalid (error, type_path, "unsupported type \"%s\" (expected \"PodmanV0\")", type),
           NULL;
  if (!json_object_has_member (envelope, "data"))
    return invalid (error, data_path, "required field is missing"), NULL;
  if (!(data = require_object (json_object_get_member (envelope, "data"), data_path, error)))
    return NULL;
  if (!check_members (ctx, data, data_path, data_allowed, error))
    return NULL;

  deployment = _fleet_deployment_spec_new (name);
  if (!parse_lifecycle (ctx, json_object_get_member (data, "lifecycle"), lifecycle_path,
                        &deployment->lifecycle, error))
    return NULL;
  if (!json_object_has_member (data, "services"))
    return invalid (error, services_path, "required field is missing"), NULL;
  if (!parse_services (ctx, deployment, json_object_get_member (data, "services"), services_path,
                       error))
    return NULL;
  return g_steal_pointer (&deployment);
}

static gboolean
parse_deployments (ParseContext *ctx, JsonNode *node, FleetDocument *document, GError **error)
{
  JsonObject *object = require_object (node, "deployments", error);
  g_autoptr(GList) members = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new ();

  if (object == NULL)
    return FALSE;
  if (json_object_get_size (object) > ctx->limits->max_deployments)
    return invalid (error, "deployments", "too many deployments (%u, at most %u)",
                    json_object_get_size (object), ctx->limits->max_deployments);
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      if (strlen (l->data) > ctx->limits->max_string_bytes)
        return invalid (error, "deployments", "member name longer than %" G_GSIZE_FORMAT " bytes",
                        ctx->limits->max_string_bytes);
      g_ptr_array_add (names, l->data);
    }
  g_ptr_array_sort (names, compare_strings);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      FleetDeploymentSpec *deployment =
        parse_deployment (ctx, name, json_object_get_member (object, name), error);

      if (deployment == NULL)
        return FALSE;
      g_ptr_array_add (document->deployments, deployment);
    }
  return TRUE;
}

static JsonNode *
parse_json (const char *data, gsize len, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local_error = NULL;
  const char *end;
  const char *nul;
  JsonNode *root;

  nul = memchr (data, '\0', len);
  if (nul != NULL)
    return fleet_null_throw (error, FLEET_ERROR_INVALID_DOCUMENT,
                             "document: NUL byte at byte %" G_GSIZE_FORMAT " (not JSON text)",
                             (gsize) (nul - data));
  if (!g_utf8_validate_len (data, len, &end))
    return fleet_null_throw (error, FLEET_ERROR_INVALID_DOCUMENT,
                             "document: not valid UTF-8 (at byte %" G_GSIZE_FORMAT ")",
                             (gsize) (end - data));
  /* json-glib is lenient (comments, single quotes, duplicate members, ...):
   * only strict JSON reaches it. */
  if (!_fleet_json_check (data, len, MAX_NESTING, error))
    return NULL;
  if (!json_parser_load_from_data (parser, data, len, &local_error))
    {
      /* json-glib says "<data>:LINE:COL: Parse error: ..."; keep the position. */
      const char *msg = local_error->message + (g_str_has_prefix (local_error->message, "<data>:")
                                                  ? strlen ("<data>:") : 0);
      g_autofree char *clean = fleet_escape_controls (msg);

      return fleet_null_throw (error, FLEET_ERROR_INVALID_DOCUMENT, "document: invalid JSON at %s",
                               clean);
    }
  root = json_parser_get_root (parser);
  if (root == NULL)
    return fleet_null_throw (error, FLEET_ERROR_INVALID_DOCUMENT, "document: empty");
  return json_node_ref (root);
}

/**
 * fleet_document_new_from_data:
 * @data: the document's bytes
 * @len: their length, or -1 when @data is NUL-terminated
 * @limits: (nullable): the limits to enforce, or %NULL for the defaults
 * @error: return location for a #GError
 *
 * Parse and validate a desired-state document.  On failure the error is
 * FLEET_ERROR_INVALID_DOCUMENT (or FLEET_ERROR_TOO_LARGE) and its message
 * starts with the JSON path of the offending value.
 *
 * Returns: (transfer full): the document, or %NULL
 */
FleetDocument *
fleet_document_new_from_data (const char *data, gssize len, const FleetLimits *limits,
                              GError **error)
{
  static const char *const root_allowed[] = { "generation", "deployments", NULL };
  FleetLimits default_limits;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(FleetDocument) document = NULL;
  ParseContext ctx = { 0, };
  JsonObject *object;
  gsize length;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (limits == NULL)
    {
      fleet_limits_init_default (&default_limits);
      limits = &default_limits;
    }
  ctx.limits = limits;

  length = len < 0 ? strlen (data) : (gsize) len;
  if (length > limits->max_document_bytes)
    return fleet_null_throw (error, FLEET_ERROR_TOO_LARGE,
                             "document: %" G_GSIZE_FORMAT " bytes is over the limit of %"
                             G_GSIZE_FORMAT " bytes", length, limits->max_document_bytes);
  if (!(root = parse_json (data, length, error)))
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return invalid (error, "document", "expected an object, got %s", json_type_name (root)), NULL;
  object = json_node_get_object (root);
  if (!check_members (&ctx, object, "", root_allowed, error))
    return NULL;

  document = _fleet_document_new ();
  if (json_object_has_member (object, "generation")
      && !require_int (json_object_get_member (object, "generation"), "generation", 0, G_MAXINT64,
                       &document->generation, error))
    return NULL;
  if (!json_object_has_member (object, "deployments"))
    return invalid (error, "deployments", "required field is missing"), NULL;
  if (!parse_deployments (&ctx, json_object_get_member (object, "deployments"), document, error))
    return NULL;

  document->canonical = fleet_canonical_json (root);
  document->digest = fleet_sha256_digest (g_bytes_get_data (document->canonical, NULL),
                                          g_bytes_get_size (document->canonical));
  return g_steal_pointer (&document);
}

/**
 * fleet_document_new_from_bytes:
 * @bytes: the document
 * @limits: (nullable): the limits to enforce, or %NULL for the defaults
 * @error: return location for a #GError
 *
 * As fleet_document_new_from_data().
 *
 * Returns: (transfer full): the document, or %NULL
 */
FleetDocument *
fleet_document_new_from_bytes (GBytes *bytes, const FleetLimits *limits, GError **error)
{
  gsize len;
  const char *data;

  g_return_val_if_fail (bytes != NULL, NULL);

  data = g_bytes_get_data (bytes, &len);
  return fleet_document_new_from_data (data ? data : "", len, limits, error);
}
