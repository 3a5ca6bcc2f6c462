/* fleet-podman-spec.c: the libpod "specgen" JSON that creates a container
 * from a service spec, with the name and labels the caller chose.
 *
 * The stop signal and grace period are baked into the container here, so
 * that a later stop with the container's own signal and grace uses the
 * lifecycle it was created with, not whatever the current document says.
 * No restart policy: liveness is the caller's job.
 */
#include "config.h"

#include "fleet-podman-private.h"

static void
add_env (JsonBuilder *builder, char **env)
{
  json_builder_set_member_name (builder, "env");
  json_builder_begin_object (builder);
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      const char *eq = strchr (env[i], '=');
      g_autofree char *key = NULL;

      /* The parser only builds KEY=VALUE entries; be strict anyway. */
      if (eq == NULL)
        continue;
      key = g_strndup (env[i], eq - env[i]);
      json_builder_set_member_name (builder, key);
      json_builder_add_string_value (builder, eq + 1);
    }
  json_builder_end_object (builder);
}

/* In the order of their keys, so that the same labels make the same request. */
static void
add_labels (JsonBuilder *builder, GHashTable *labels)
{
  g_autoptr(GList) keys = labels ? g_hash_table_get_keys (labels) : NULL;

  keys = g_list_sort (keys, (GCompareFunc)strcmp);
  json_builder_set_member_name (builder, "labels");
  json_builder_begin_object (builder);
  for (GList *l = keys; l != NULL; l = l->next)
    {
      json_builder_set_member_name (builder, l->data);
      json_builder_add_string_value (builder, g_hash_table_lookup (labels, l->data));
    }
  json_builder_end_object (builder);
}

static void
add_ports (JsonBuilder *builder, GPtrArray *ports)
{
  json_builder_set_member_name (builder, "portmappings");
  json_builder_begin_array (builder);
  for (guint i = 0; i < ports->len; i++)
    {
      FleetPortMapping *port = ports->pdata[i];

      json_builder_begin_object (builder);
      if (port->host_ip != NULL)
        {
          json_builder_set_member_name (builder, "host_ip");
          json_builder_add_string_value (builder, port->host_ip);
        }
      json_builder_set_member_name (builder, "host_port");
      json_builder_add_int_value (builder, port->host_port);
      json_builder_set_member_name (builder, "container_port");
      json_builder_add_int_value (builder, port->container_port);
      json_builder_set_member_name (builder, "protocol");
      json_builder_add_string_value (builder, port->protocol ? port->protocol : "tcp");
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

/* Host paths become bind mounts; volume names become named volumes, which
 * podman creates on first use and keeps across container replacements. */
static void
add_mounts (JsonBuilder *builder, GPtrArray *volumes, gboolean named)
{
  json_builder_set_member_name (builder, named ? "volumes" : "mounts");
  json_builder_begin_array (builder);
  for (guint i = 0; i < volumes->len; i++)
    {
      FleetVolumeMount *mount = volumes->pdata[i];

      if (fleet_volume_mount_is_named_volume (mount) != named)
        continue;
      json_builder_begin_object (builder);
      if (!named)
        {
          json_builder_set_member_name (builder, "type");
          json_builder_add_string_value (builder, "bind");
        }
      json_builder_set_member_name (builder, named ? "Name" : "source");
      json_builder_add_string_value (builder, mount->source);
      json_builder_set_member_name (builder, named ? "Dest" : "destination");
      json_builder_add_string_value (builder, mount->destination);
      json_builder_set_member_name (builder, named ? "Options" : "options");
      json_builder_begin_array (builder);
      if (mount->read_only || !named)
        json_builder_add_string_value (builder, mount->read_only ? "ro" : "rw");
      json_builder_end_array (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

/**
 * _fleet_podman_spec_to_create_json:
 * @labels: (nullable) (element-type utf8 utf8): the container's labels
 *
 * Returns: (transfer full): the body of POST /libpod/containers/create for a
 *   container called @name that runs @spec
 */
JsonNode *
_fleet_podman_spec_to_create_json (const char *name, FleetServiceSpec *spec, GHashTable *labels)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, name);
  json_builder_set_member_name (builder, "image");
  json_builder_add_string_value (builder, spec->image);
  /* The document's command is the container's full argv: as podman's
   * entrypoint, with no command, neither the image's ENTRYPOINT nor its CMD
   * is added to it. */
  if (spec->command != NULL)
    {
      json_builder_set_member_name (builder, "entrypoint");
      json_builder_begin_array (builder);
      for (guint i = 0; spec->command[i] != NULL; i++)
        json_builder_add_string_value (builder, spec->command[i]);
      json_builder_end_array (builder);
    }
  add_env (builder, spec->env);
  add_labels (builder, labels);
  add_ports (builder, spec->ports);
  add_mounts (builder, spec->volumes, FALSE);
  add_mounts (builder, spec->volumes, TRUE);
  json_builder_set_member_name (builder, "stop_signal");
  json_builder_add_int_value (builder, spec->lifecycle.stop_signal_number);
  json_builder_set_member_name (builder, "stop_timeout");
  json_builder_add_int_value (builder, spec->lifecycle.grace_period_secs);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}
