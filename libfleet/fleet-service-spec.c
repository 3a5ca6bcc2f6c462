/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-service-spec.c: the service value object.  Built only by the
 * document parser, so every instance is a validated one.
 */
#include "config.h"

#include <string.h>

#include "fleet-canonical-json-private.h"
#include "fleet-service-spec-private.h"

G_DEFINE_BOXED_TYPE (FleetServiceSpec, fleet_service_spec, fleet_service_spec_ref,
                     fleet_service_spec_unref)

static void
port_mapping_free (gpointer data)
{
  FleetPortMapping *port = data;

  g_free (port->host_ip);
  g_free (port->protocol);
  g_free (port);
}

static void
volume_mount_free (gpointer data)
{
  FleetVolumeMount *mount = data;

  g_free (mount->source);
  g_free (mount->destination);
  g_free (mount);
}

static void
device_mapping_free (gpointer data)
{
  FleetDeviceMapping *device = data;

  g_free (device->host_path);
  g_free (device->container_path);
  g_free (device->permissions);
  g_free (device);
}

static void
device_cgroup_rule_free (gpointer data)
{
  FleetDeviceCgroupRule *rule = data;

  g_free (rule->access);
  g_free (rule);
}

static void
tmpfs_mount_free (gpointer data)
{
  FleetTmpfsMount *mount = data;

  g_free (mount->destination);
  g_strfreev (mount->options);
  g_free (mount);
}

static void
service_dependency_free (gpointer data)
{
  FleetServiceDependency *dependency = data;

  g_free (dependency->service);
  g_free (dependency);
}

/**
 * fleet_volume_mount_is_named_volume:
 * @mount: the volume mount
 *
 * Whether @mount's source is a named volume rather than a host path.
 *
 * Returns: %TRUE when the source is not an absolute path
 *
 * Since: 0.2
 */
gboolean
fleet_volume_mount_is_named_volume (const FleetVolumeMount *mount)
{
  g_return_val_if_fail (mount != NULL, FALSE);

  return mount->source[0] != '/';
}

/**
 * fleet_service_restart_to_string:
 * @policy: the policy
 *
 * Returns: the policy as the document writes it, without a retry count
 *
 * Since: 0.2
 */
const char *
fleet_service_restart_to_string (FleetServiceRestart policy)
{
  switch (policy)
    {
    case FLEET_SERVICE_RESTART_ON_FAILURE:
      return "on-failure";
    case FLEET_SERVICE_RESTART_NO:
      return "no";
    case FLEET_SERVICE_RESTART_ALWAYS:
    default:
      return "always";
    }
}

/**
 * fleet_dependency_condition_to_string:
 * @condition: the condition
 *
 * Returns: the condition as the document writes it
 *
 * Since: 0.2
 */
const char *
fleet_dependency_condition_to_string (FleetDependencyCondition condition)
{
  if (condition == FLEET_DEPENDENCY_SERVICE_COMPLETED_SUCCESSFULLY)
    return "service_completed_successfully";
  return "service_started";
}

FleetServiceSpec *
_fleet_service_spec_new (void)
{
  FleetServiceSpec *spec = g_new0 (FleetServiceSpec, 1);

  g_atomic_ref_count_init (&spec->ref);
  spec->ports = g_ptr_array_new_with_free_func (port_mapping_free);
  spec->volumes = g_ptr_array_new_with_free_func (volume_mount_free);
  spec->restart_is_default = TRUE;
  spec->devices = g_ptr_array_new_with_free_func (device_mapping_free);
  spec->device_cgroup_rules = g_ptr_array_new_with_free_func (device_cgroup_rule_free);
  spec->tmpfs = g_ptr_array_new_with_free_func (tmpfs_mount_free);
  spec->depends_on = g_ptr_array_new_with_free_func (service_dependency_free);
  return spec;
}

/**
 * fleet_service_spec_ref:
 * @spec: the service spec
 *
 * Take a reference to @spec.
 *
 * Returns: (transfer full): @spec
 *
 * Since: 0.2
 */
FleetServiceSpec *
fleet_service_spec_ref (FleetServiceSpec *spec)
{
  g_return_val_if_fail (spec != NULL, NULL);

  g_atomic_ref_count_inc (&spec->ref);
  return spec;
}

/**
 * fleet_service_spec_unref:
 * @spec: the service spec
 *
 * Drop a reference to @spec; the last one frees it.
 *
 * Since: 0.2
 */
void
fleet_service_spec_unref (FleetServiceSpec *spec)
{
  g_return_if_fail (spec != NULL);

  if (!g_atomic_ref_count_dec (&spec->ref))
    return;
  g_free (spec->deployment);
  g_free (spec->name);
  g_free (spec->container_name);
  g_free (spec->image);
  g_strfreev (spec->command);
  g_strfreev (spec->env);
  g_ptr_array_unref (spec->ports);
  g_ptr_array_unref (spec->volumes);
  g_ptr_array_unref (spec->devices);
  g_ptr_array_unref (spec->device_cgroup_rules);
  g_strfreev (spec->cap_add);
  g_strfreev (spec->cap_drop);
  g_free (spec->user);
  g_free (spec->working_dir);
  g_ptr_array_unref (spec->tmpfs);
  g_strfreev (spec->labels);
  g_free (spec->hostname);
  g_ptr_array_unref (spec->depends_on);
  g_free (spec->canonical);
  g_free (spec->lifecycle.stop_signal);
  g_free (spec->digest);
  g_clear_pointer (&spec->healthcheck, fleet_healthcheck_free);
  g_free (spec);
}

/* The members of a canonical object, each with its canonical text. */
static FleetJsonTree *
read_canonical (const char *canonical, GBytes **out_text)
{
  g_autoptr(FleetJsonTree) tree = NULL;

  tree = _fleet_json_tree_parse (canonical, strlen (canonical), 32, NULL);
  if (tree == NULL || _fleet_json_tree_get_root (tree)->type != FLEET_JSON_OBJECT)
    return NULL;
  *out_text = _fleet_canonical_json_tree (tree, strlen (canonical));
  return g_steal_pointer (&tree);
}

static gboolean
same_member (const char *a_text, const FleetJsonValue *a, const char *b_text,
             const FleetJsonValue *b)
{
  gsize len = a->canonical_end - a->canonical_start;

  return len == b->canonical_end - b->canonical_start
         && memcmp (a_text + a->canonical_start, b_text + b->canonical_start, len) == 0;
}

static void
add_changed_members (GPtrArray *changed, FleetJsonTree *a_tree, GBytes *a_bytes,
                     FleetJsonTree *b_tree, GBytes *b_bytes)
{
  const FleetJsonValue *a_root = _fleet_json_tree_get_root (a_tree);
  const FleetJsonValue *b_root = _fleet_json_tree_get_root (b_tree);
  const FleetJsonValue *a = _fleet_json_tree_get_children (a_tree, a_root);
  const FleetJsonValue *b = _fleet_json_tree_get_children (b_tree, b_root);
  const char *a_text = g_bytes_get_data (a_bytes, NULL);
  const char *b_text = g_bytes_get_data (b_bytes, NULL);
  guint i = 0, j = 0;

  /* Canonical members are sorted: walk both lists in step. */
  while (i < a_root->n_children || j < b_root->n_children)
    {
      int c = i == a_root->n_children   ? 1
              : j == b_root->n_children ? -1
                                        : strcmp (a[i].key, b[j].key);

      if (c < 0)
        g_ptr_array_add (changed, g_strdup (a[i++].key));
      else if (c > 0)
        g_ptr_array_add (changed, g_strdup (b[j++].key));
      else
        {
          if (!same_member (a_text, &a[i], b_text, &b[j]))
            g_ptr_array_add (changed, g_strdup (a[i].key));
          i++, j++;
        }
    }
}

/**
 * fleet_service_spec_changed_fields:
 * @old_spec: a service as it was
 * @new_spec: the same service as it is to be
 *
 * The members of the service object that differ (added, removed or
 * changed), in the order of their names, then "lifecycle" when the
 * deployment's effective lifecycle differs: why the service's digest
 * changed.
 *
 * Returns: (transfer full): the names, possibly none
 *
 * Since: 0.2
 */
char **
fleet_service_spec_changed_fields (FleetServiceSpec *old_spec, FleetServiceSpec *new_spec)
{
  g_autoptr(GPtrArray) changed = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(FleetJsonTree) a_tree = NULL;
  g_autoptr(FleetJsonTree) b_tree = NULL;
  g_autoptr(GBytes) a_bytes = NULL;
  g_autoptr(GBytes) b_bytes = NULL;

  g_return_val_if_fail (old_spec != NULL && new_spec != NULL, NULL);

  if (old_spec->canonical != NULL && new_spec->canonical != NULL
      && (a_tree = read_canonical (old_spec->canonical, &a_bytes)) != NULL
      && (b_tree = read_canonical (new_spec->canonical, &b_bytes)) != NULL)
    add_changed_members (changed, a_tree, a_bytes, b_tree, b_bytes);
  if (g_strcmp0 (old_spec->lifecycle.stop_signal, new_spec->lifecycle.stop_signal) != 0
      || old_spec->lifecycle.grace_period_secs != new_spec->lifecycle.grace_period_secs)
    g_ptr_array_add (changed, g_strdup ("lifecycle"));
  g_ptr_array_add (changed, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&changed), FALSE);
}
