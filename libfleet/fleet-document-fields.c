/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-document-fields.c: the fields a service object may have, one entry
 * each (its JSON name, whether it is required, its parser), and the rules
 * that tie several of them together.
 *
 * A field not in the table is refused as unknown.  Field names and value
 * syntax are compose's wherever compose has the field, so that a compose
 * service can be ported by hand.  Every field takes part in the service's
 * digest as it is written (fleet-document-parser.c): adding, changing or
 * removing one replaces the container, and a document that does not use
 * the newer fields digests exactly as before they existed.
 */
#include "config.h"

#include <string.h>

#include "fleet-document-parser-private.h"

#define invalid _fleet_document_invalid

static gboolean
parse_service_name (FleetParseContext *ctx, const FleetJsonValue *value,
                    const FleetDocumentPath *path, FleetServiceSpec *spec, GError **error)
{
  const char *name = _fleet_document_require_string (ctx, value, path, error);

  if (name == NULL)
    return FALSE;
  if (!_fleet_document_is_valid_name (name))
    return invalid (error, path,
                    "\"%s\" is not a valid name (1-63 of a-z, 0-9 and '-', "
                    "starting and ending with a letter or digit)", name);
  spec->name = g_strdup (name);
  spec->container_name = g_strdup_printf ("%s_%s", spec->deployment, name);
  return TRUE;
}

static gboolean
parse_service_image (FleetParseContext *ctx, const FleetJsonValue *value,
                     const FleetDocumentPath *path, FleetServiceSpec *spec, GError **error)
{
  const char *image = _fleet_document_require_string (ctx, value, path, error);

  if (image == NULL)
    return FALSE;
  if (*image == '\0' || _fleet_document_has_space_or_control (image))
    return invalid (error, path,
                    "\"%s\" is not a valid image reference (empty, or has whitespace or "
                    "control characters)", image);
  spec->image = g_strdup (image);
  return TRUE;
}

/* In the order they are checked: the first error found is the one
 * reported, so the contract's fields come first, as they always did. */
const FleetServiceField _fleet_service_fields[FLEET_N_SERVICE_FIELDS] = {
  { "name", TRUE, parse_service_name },
  { "image", TRUE, parse_service_image },
  { "command", FALSE, _fleet_document_parse_command },
  { "env", FALSE, _fleet_document_parse_env },
  { "ports", FALSE, _fleet_document_parse_ports },
  { "volumes", FALSE, _fleet_document_parse_volumes },
  { "restart", FALSE, _fleet_document_parse_restart },
  { "devices", FALSE, _fleet_document_parse_devices },
  { "device_cgroup_rules", FALSE, _fleet_document_parse_device_cgroup_rules },
  { "privileged", FALSE, _fleet_document_parse_privileged },
  { "cap_add", FALSE, _fleet_document_parse_cap_add },
  { "cap_drop", FALSE, _fleet_document_parse_cap_drop },
  { "network_mode", FALSE, _fleet_document_parse_network_mode },
  { "mem_limit", FALSE, _fleet_document_parse_mem_limit },
  { "cpus", FALSE, _fleet_document_parse_cpus },
  { "pids_limit", FALSE, _fleet_document_parse_pids_limit },
  { "user", FALSE, _fleet_document_parse_user },
  { "working_dir", FALSE, _fleet_document_parse_working_dir },
  { "read_only", FALSE, _fleet_document_parse_read_only },
  { "tmpfs", FALSE, _fleet_document_parse_tmpfs },
  { "labels", FALSE, _fleet_document_parse_labels },
  { "hostname", FALSE, _fleet_document_parse_hostname },
  { "logging", FALSE, _fleet_document_parse_logging },
  { "depends_on", FALSE, _fleet_document_parse_depends_on },
  { "healthcheck", FALSE, _fleet_document_parse_healthcheck },
  { "update_config", FALSE, _fleet_document_parse_update_config },
};

/* The same names, as _fleet_document_check_members() takes them. */
const char *const _fleet_service_members[FLEET_N_SERVICE_FIELDS + 1] = {
  "name", "image", "command", "env", "ports", "volumes", "restart", "devices",
  "device_cgroup_rules", "privileged", "cap_add", "cap_drop", "network_mode", "mem_limit",
  "cpus", "pids_limit", "user", "working_dir", "read_only", "tmpfs", "labels", "hostname",
  "logging", "depends_on", "healthcheck", "update_config", NULL,
};

/* Published ports need a network namespace of the container's own. */
static gboolean
check_ports_need_bridge (const FleetServiceSpec *spec, const FleetDocumentPath *path,
                         GError **error)
{
  FleetDocumentPath ports_path = FLEET_DOCUMENT_MEMBER (path, "ports");

  if (spec->ports->len == 0 || spec->network_mode == FLEET_NETWORK_MODE_BRIDGE)
    return TRUE;
  return invalid (error, &ports_path, "ports cannot be published with network_mode \"%s\"",
                  spec->network_mode == FLEET_NETWORK_MODE_HOST ? "host" : "none");
}

/* A capability both added and dropped says two things at once. */
static gboolean
check_caps_disjoint (const FleetServiceSpec *spec, const FleetDocumentPath *path,
                     GError **error)
{
  FleetDocumentPath drop_path = FLEET_DOCUMENT_MEMBER (path, "cap_drop");

  for (guint i = 0; spec->cap_drop[i] != NULL; i++)
    if (g_strv_contains ((const char *const *) spec->cap_add, spec->cap_drop[i]))
      {
        FleetDocumentPath p = FLEET_DOCUMENT_ELEMENT (&drop_path, i);

        return invalid (error, &p, "%s is both added (cap_add) and dropped", spec->cap_drop[i]);
      }
  return TRUE;
}

/* A tmpfs mounted where a volume is (or another tmpfs) hides it. */
static gboolean
check_tmpfs_destinations (const FleetServiceSpec *spec, const FleetDocumentPath *path,
                          GError **error)
{
  FleetDocumentPath tmpfs_path = FLEET_DOCUMENT_MEMBER (path, "tmpfs");
  FleetDocumentPath volumes_path = FLEET_DOCUMENT_MEMBER (path, "volumes");
  g_autoptr(GHashTable) seen = NULL;

  if (spec->tmpfs->len == 0)
    return TRUE;
  seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < spec->volumes->len; i++)
    {
      FleetVolumeMount *mount = spec->volumes->pdata[i];

      if (!g_hash_table_contains (seen, mount->destination))
        g_hash_table_insert (seen, mount->destination, GUINT_TO_POINTER (i));
    }
  for (guint i = 0; i < spec->tmpfs->len; i++)
    {
      FleetTmpfsMount *mount = spec->tmpfs->pdata[i];
      gpointer other;

      if (g_hash_table_lookup_extended (seen, mount->destination, NULL, &other))
        {
          FleetDocumentPath p = FLEET_DOCUMENT_ELEMENT (&tmpfs_path, i);
          FleetDocumentPath q = FLEET_DOCUMENT_ELEMENT (&volumes_path, GPOINTER_TO_UINT (other));
          g_autofree char *where = _fleet_document_path_to_string (&q);

          return invalid (error, &p, "%s is already mounted (%s)", mount->destination, where);
        }
    }
  return TRUE;
}

/**
 * _fleet_document_check_service:
 *
 * The rules between a service's fields, once each of them is valid.
 */
gboolean
_fleet_document_check_service (FleetParseContext *ctx, const FleetServiceSpec *spec,
                               const FleetDocumentPath *path, GError **error)
{
  return check_ports_need_bridge (spec, path, error)
         && check_caps_disjoint (spec, path, error)
         && check_tmpfs_destinations (spec, path, error)
         && _fleet_document_check_start_first (spec, path, error);
}
