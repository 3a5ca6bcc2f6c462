/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-podman-spec.c: the libpod "specgen" JSON that creates a container
 * from a service spec, with the name and labels the caller chose.
 *
 * The stop signal and grace period are baked into the container here, so
 * that a later stop with the container's own signal and grace uses the
 * lifecycle it was created with, not whatever the current document says.
 *
 * The service fields beyond the contract's first release map one to one
 * onto podman 4.x's SpecGenerator (pkg/specgen/specgen.go), and only when
 * the document writes them, so that a document written for an earlier
 * release creates exactly the container it always did.  That includes
 * `restart`: without it no restart policy is set and liveness stays the
 * agent's job alone.
 */
#include "config.h"

#include "fleet-podman-private.h"

/* The CFS period podman uses for --cpus: the quota is CPUs times this. */
#define CPU_PERIOD_USECS 100000

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

static void
add_tmpfs_mounts (JsonBuilder *builder, GPtrArray *tmpfs)
{
  for (guint i = 0; i < tmpfs->len; i++)
    {
      FleetTmpfsMount *mount = tmpfs->pdata[i];

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, "tmpfs");
      json_builder_set_member_name (builder, "source");
      json_builder_add_string_value (builder, "tmpfs");
      json_builder_set_member_name (builder, "destination");
      json_builder_add_string_value (builder, mount->destination);
      json_builder_set_member_name (builder, "options");
      json_builder_begin_array (builder);
      for (guint j = 0; mount->options[j] != NULL; j++)
        json_builder_add_string_value (builder, mount->options[j]);
      json_builder_end_array (builder);
      json_builder_end_object (builder);
    }
}

/* Host paths become bind mounts; volume names become named volumes, which
 * podman creates on first use and keeps across container replacements.
 * The tmpfs mounts go with the bind mounts. */
static void
add_mounts (JsonBuilder *builder, FleetServiceSpec *spec, gboolean named)
{
  GPtrArray *volumes = spec->volumes;

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
  if (!named)
    add_tmpfs_mounts (builder, spec->tmpfs);
  json_builder_end_array (builder);
}

static void
add_string_array (JsonBuilder *builder, const char *name, char **strings)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; strings[i] != NULL; i++)
    json_builder_add_string_value (builder, strings[i]);
  json_builder_end_array (builder);
}

static void
add_string (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

static void
add_int (JsonBuilder *builder, const char *name, gint64 value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

/* "restart_policy" and "restart_tries", so that podman restarts a crash
 * at once; the agent's liveness tick and backoff stay the outer loop. */
static void
add_restart_policy (JsonBuilder *builder, FleetServiceSpec *spec)
{
  /* The default ("always") too: podman restarts a crash at once, faster
   * than fleet's event, list and start; fleet's crash-loop backoff stays
   * the outer loop (fleet-reconciler-restarts.c).  Only containers created
   * from now on get it: a running one is never recreated for it. */
  add_string (builder, "restart_policy", fleet_service_restart_to_string (spec->restart));
  if (spec->restart == FLEET_SERVICE_RESTART_ON_FAILURE && spec->restart_max_retries > 0)
    add_int (builder, "restart_tries", spec->restart_max_retries);
}

/* "devices" as podman's --device takes them ("HOST:CONTAINER:PERMISSIONS"),
 * "device_cgroup_rule" as OCI LinuxDeviceCgroup entries (no major or
 * minor: any). */
static void
add_devices (JsonBuilder *builder, FleetServiceSpec *spec)
{
  if (spec->devices->len > 0)
    {
      json_builder_set_member_name (builder, "devices");
      json_builder_begin_array (builder);
      for (guint i = 0; i < spec->devices->len; i++)
        {
          FleetDeviceMapping *device = spec->devices->pdata[i];
          g_autofree char *path = g_strdup_printf ("%s:%s:%s", device->host_path,
                                                   device->container_path, device->permissions);

          json_builder_begin_object (builder);
          add_string (builder, "path", path);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
    }
  if (spec->device_cgroup_rules->len == 0)
    return;
  json_builder_set_member_name (builder, "device_cgroup_rule");
  json_builder_begin_array (builder);
  for (guint i = 0; i < spec->device_cgroup_rules->len; i++)
    {
      FleetDeviceCgroupRule *rule = spec->device_cgroup_rules->pdata[i];
      char type[2] = { rule->type, '\0' };

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "allow");
      json_builder_add_boolean_value (builder, TRUE);
      add_string (builder, "type", type);
      if (rule->major >= 0)
        add_int (builder, "major", rule->major);
      if (rule->minor >= 0)
        add_int (builder, "minor", rule->minor);
      add_string (builder, "access", rule->access);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static void
add_security (JsonBuilder *builder, FleetServiceSpec *spec)
{
  if (spec->privileged)
    {
      json_builder_set_member_name (builder, "privileged");
      json_builder_add_boolean_value (builder, TRUE);
    }
  if (spec->cap_add[0] != NULL)
    add_string_array (builder, "cap_add", spec->cap_add);
  if (spec->cap_drop[0] != NULL)
    add_string_array (builder, "cap_drop", spec->cap_drop);
  if (spec->user != NULL)
    add_string (builder, "user", spec->user);
  if (spec->read_only)
    {
      json_builder_set_member_name (builder, "read_only_filesystem");
      json_builder_add_boolean_value (builder, TRUE);
    }
}

/* Bridge is podman's own default for a rootful container: only host and
 * none are said. */
static void
add_network (JsonBuilder *builder, FleetServiceSpec *spec)
{
  if (spec->network_mode == FLEET_NETWORK_MODE_BRIDGE)
    return;
  json_builder_set_member_name (builder, "netns");
  json_builder_begin_object (builder);
  add_string (builder, "nsmode", spec->network_mode == FLEET_NETWORK_MODE_HOST ? "host" : "none");
  json_builder_end_object (builder);
}

/* OCI LinuxResources: memory.limit, cpu.quota and cpu.period, pids.limit. */
static void
add_resource_limits (JsonBuilder *builder, FleetServiceSpec *spec)
{
  if (spec->mem_limit == 0 && spec->cpus == 0 && spec->pids_limit == 0)
    return;
  json_builder_set_member_name (builder, "resource_limits");
  json_builder_begin_object (builder);
  if (spec->mem_limit > 0)
    {
      json_builder_set_member_name (builder, "memory");
      json_builder_begin_object (builder);
      add_int (builder, "limit", spec->mem_limit);
      json_builder_end_object (builder);
    }
  if (spec->cpus > 0)
    {
      json_builder_set_member_name (builder, "cpu");
      json_builder_begin_object (builder);
      /* rounded to the nearest microsecond; cpus is positive */
      add_int (builder, "quota", (gint64) (spec->cpus * CPU_PERIOD_USECS + 0.5));
      add_int (builder, "period", CPU_PERIOD_USECS);
      json_builder_end_object (builder);
    }
  if (spec->pids_limit != 0)
    {
      json_builder_set_member_name (builder, "pids");
      json_builder_begin_object (builder);
      add_int (builder, "limit", spec->pids_limit);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
}

static void
add_log_configuration (JsonBuilder *builder, FleetServiceSpec *spec)
{
  static const char *const drivers[] = {
    [FLEET_LOG_DRIVER_JOURNALD] = "journald",
    [FLEET_LOG_DRIVER_K8S_FILE] = "k8s-file",
    [FLEET_LOG_DRIVER_NONE] = "none",
  };

  if (spec->log_driver == FLEET_LOG_DRIVER_DEFAULT)
    return;
  json_builder_set_member_name (builder, "log_configuration");
  json_builder_begin_object (builder);
  add_string (builder, "driver", drivers[spec->log_driver]);
  if (spec->log_max_size > 0)
    add_int (builder, "size", spec->log_max_size);
  json_builder_end_object (builder);
}

/* The fields a document may leave out; nothing is added for those it does. */
static void
add_service_fields (JsonBuilder *builder, FleetServiceSpec *spec)
{
  add_restart_policy (builder, spec);
  add_devices (builder, spec);
  add_security (builder, spec);
  add_network (builder, spec);
  add_resource_limits (builder, spec);
  if (spec->working_dir != NULL)
    add_string (builder, "work_dir", spec->working_dir);
  if (spec->hostname != NULL)
    add_string (builder, "hostname", spec->hostname);
  add_log_configuration (builder, spec);
  _fleet_podman_add_healthconfig (builder, spec);
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
  add_mounts (builder, spec, FALSE);
  add_mounts (builder, spec, TRUE);
  add_service_fields (builder, spec);
  json_builder_set_member_name (builder, "stop_signal");
  json_builder_add_int_value (builder, spec->lifecycle.stop_signal_number);
  json_builder_set_member_name (builder, "stop_timeout");
  json_builder_add_int_value (builder, spec->lifecycle.grace_period_secs);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}
