/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-document-host.c: the fields that say what of the host a service's
 * container may reach: devices, device cgroup rules, privileges,
 * capabilities and the network namespace.
 *
 * These are the fields an edge workload needs to talk to hardware (a card
 * reader on /dev/ttyUSB0, a GPIO chip) and the ones that widen a
 * container's reach the most, so their syntax is checked strictly here
 * rather than left for podman to refuse at create time.
 */
#include "config.h"

#include <string.h>

#include "fleet-capabilities-private.h"
#include "fleet-document-parser-private.h"

#define invalid _fleet_document_invalid

/* A non-empty subset of "rwm", each letter at most once. */
static gboolean
is_valid_permissions (const char *s)
{
  if (*s == '\0' || strlen (s) > 3)
    return FALSE;
  for (const char *p = s; *p != '\0'; p++)
    if (strchr ("rwm", *p) == NULL || strchr (p + 1, *p) != NULL)
      return FALSE;
  return TRUE;
}

/* "HOST[:CONTAINER[:PERMISSIONS]]" */
static gboolean
parse_device (const char *s, const FleetDocumentPath *path, FleetDeviceMapping *device,
              GError **error)
{
  g_auto(GStrv) parts = g_strsplit (s, ":", -1);
  guint n = g_strv_length (parts);

  if (n < 1 || n > 3 || *parts[0] == '\0' || (n > 1 && *parts[1] == '\0'))
    return invalid (error, path, "expected HOST_PATH[:CONTAINER_PATH[:PERMISSIONS]], got \"%s\"",
                    s);
  if (!_fleet_document_check_absolute_path (parts[0], path, "host device", error)
      || (n > 1 && !_fleet_document_check_absolute_path (parts[1], path, "container path", error)))
    return FALSE;
  if (n == 3 && !is_valid_permissions (parts[2]))
    return invalid (error, path, "permissions \"%s\" are not a combination of r, w and m",
                    parts[2]);
  device->host_path = g_strdup (parts[0]);
  device->container_path = g_strdup (parts[n > 1 ? 1 : 0]);
  device->permissions = g_strdup (n == 3 ? parts[2] : "rwm");
  return TRUE;
}

/* A list being parsed: its path, the service it goes into, and what came
 * before in it. */
typedef struct
{
  const FleetDocumentPath *list;
  FleetServiceSpec *spec;
  gpointer seen;
} ListCheck;

/* The path of the element @index of @check's list, as text. */
static char *
list_element_path (const ListCheck *check, guint index)
{
  FleetDocumentPath q = FLEET_DOCUMENT_ELEMENT (check->list, index);

  return _fleet_document_path_to_string (&q);
}

static gboolean
add_device (FleetParseContext *ctx, const char *s, guint index, const FleetDocumentPath *path,
            gpointer data, GError **error)
{
  ListCheck *check = data;
  FleetDeviceMapping *device = g_new0 (FleetDeviceMapping, 1);
  gpointer other;

  g_ptr_array_add (check->spec->devices, device);
  if (!parse_device (s, path, device, error))
    return FALSE;
  if (g_hash_table_lookup_extended (check->seen, device->container_path, NULL, &other))
    {
      g_autofree char *where = list_element_path (check, GPOINTER_TO_UINT (other));

      return invalid (error, path, "%s is already a device of the container (%s)",
                      device->container_path, where);
    }
  g_hash_table_insert (check->seen, device->container_path, GUINT_TO_POINTER (index));
  return TRUE;
}

FLEET_DOCUMENT_FIELD_PARSER (devices)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  ListCheck check = { path, spec, seen };

  return _fleet_document_for_each_string (ctx, value, path, add_device, &check, error);
}

/* A major or minor number, or "*" (-1) for any. */
static gboolean
parse_device_number (const char *s, gint64 *out)
{
  guint64 v;

  if (g_str_equal (s, "*"))
    {
      *out = -1;
      return TRUE;
    }
  if (*s == '\0' || strlen (s) > 10 || strspn (s, "0123456789") != strlen (s))
    return FALSE;
  v = g_ascii_strtoull (s, NULL, 10);
  if (v > G_MAXUINT32)
    return FALSE;
  *out = (gint64) v;
  return TRUE;
}

/* "TYPE MAJOR:MINOR ACCESS", as the kernel's devices.allow takes it. */
static gboolean
parse_cgroup_rule (const char *s, FleetDeviceCgroupRule *rule)
{
  g_auto(GStrv) fields = g_strsplit (s, " ", -1);
  g_auto(GStrv) numbers = NULL;

  if (g_strv_length (fields) != 3 || strlen (fields[0]) != 1 || strchr ("abc", *fields[0]) == NULL)
    return FALSE;
  numbers = g_strsplit (fields[1], ":", -1);
  if (g_strv_length (numbers) != 2 || !parse_device_number (numbers[0], &rule->major)
      || !parse_device_number (numbers[1], &rule->minor) || !is_valid_permissions (fields[2]))
    return FALSE;
  rule->type = *fields[0];
  rule->access = g_strdup (fields[2]);
  return TRUE;
}

static gboolean
add_cgroup_rule (FleetParseContext *ctx, const char *s, guint index,
                 const FleetDocumentPath *path, gpointer data, GError **error)
{
  FleetServiceSpec *spec = data;
  FleetDeviceCgroupRule *rule = g_new0 (FleetDeviceCgroupRule, 1);

  g_ptr_array_add (spec->device_cgroup_rules, rule);
  if (!parse_cgroup_rule (s, rule))
    return invalid (error, path,
                    "expected \"TYPE MAJOR:MINOR ACCESS\" (TYPE a, b or c; MAJOR and MINOR "
                    "numbers or *; ACCESS a combination of r, w and m), got \"%s\"", s);
  return TRUE;
}

FLEET_DOCUMENT_FIELD_PARSER (device_cgroup_rules)
{
  return _fleet_document_for_each_string (ctx, value, path, add_cgroup_rule, spec, error);
}

FLEET_DOCUMENT_FIELD_PARSER (privileged)
{
  return _fleet_document_require_boolean (value, path, &spec->privileged, error);
}

static gboolean
add_capability (FleetParseContext *ctx, const char *s, guint index,
                const FleetDocumentPath *path, gpointer data, GError **error)
{
  ListCheck *check = data;
  GPtrArray *names = check->seen;
  const char *name = _fleet_capability_lookup (s);

  if (name == NULL)
    return invalid (error, path, "unknown capability \"%s\" (see capabilities(7))", s);
  for (guint j = 0; j < names->len; j++)
    if (g_str_equal (names->pdata[j], name))
      {
        g_autofree char *where = list_element_path (check, j);

        return invalid (error, path, "%s is listed twice (also %s)", name, where);
      }
  g_ptr_array_add (names, g_strdup (name));
  return TRUE;
}

/* Capability names, each known to the kernel and listed once. */
static char **
parse_capabilities (FleetParseContext *ctx, const FleetJsonValue *value,
                    const FleetDocumentPath *path, GError **error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  ListCheck check = { path, NULL, names };

  if (!_fleet_document_for_each_string (ctx, value, path, add_capability, &check, error))
    return NULL;
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

FLEET_DOCUMENT_FIELD_PARSER (cap_add)
{
  return (spec->cap_add = parse_capabilities (ctx, value, path, error)) != NULL;
}

FLEET_DOCUMENT_FIELD_PARSER (cap_drop)
{
  return (spec->cap_drop = parse_capabilities (ctx, value, path, error)) != NULL;
}

FLEET_DOCUMENT_FIELD_PARSER (network_mode)
{
  const char *mode = _fleet_document_require_string (ctx, value, path, error);

  if (mode == NULL)
    return FALSE;
  if (g_str_equal (mode, "bridge"))
    spec->network_mode = FLEET_NETWORK_MODE_BRIDGE;
  else if (g_str_equal (mode, "host"))
    spec->network_mode = FLEET_NETWORK_MODE_HOST;
  else if (g_str_equal (mode, "none"))
    spec->network_mode = FLEET_NETWORK_MODE_NONE;
  else
    return invalid (error, path, "unknown network mode \"%s\" (expected \"bridge\", \"host\" or "
                    "\"none\")", mode);
  return TRUE;
}
