/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-container-info.c: the container report value object. */
#include "config.h"

#include <string.h>

#include "fleet-container-info.h"

G_DEFINE_BOXED_TYPE (FleetContainerInfo, fleet_container_info, fleet_container_info_ref,
                     fleet_container_info_unref)

static const GEnumValue container_state_values[] = {
  { FLEET_CONTAINER_STATE_UNKNOWN, "FLEET_CONTAINER_STATE_UNKNOWN", "unknown" },
  { FLEET_CONTAINER_STATE_CREATED, "FLEET_CONTAINER_STATE_CREATED", "created" },
  { FLEET_CONTAINER_STATE_RUNNING, "FLEET_CONTAINER_STATE_RUNNING", "running" },
  { FLEET_CONTAINER_STATE_EXITED, "FLEET_CONTAINER_STATE_EXITED", "exited" },
  { FLEET_CONTAINER_STATE_PAUSED, "FLEET_CONTAINER_STATE_PAUSED", "paused" },
  { 0, NULL, NULL },
};

G_STATIC_ASSERT (G_N_ELEMENTS (container_state_values) == FLEET_CONTAINER_STATE_PAUSED + 2);

GType
fleet_container_state_get_type (void)
{
  static gsize type_id = 0;

  if (g_once_init_enter (&type_id))
    g_once_init_leave (&type_id,
                       g_enum_register_static ("FleetContainerState", container_state_values));
  return type_id;
}

/**
 * fleet_container_state_to_string:
 * @state: the state
 *
 * The state as podman names it.
 *
 * Returns: "created", "running", "exited", "paused" or "unknown"
 *
 * Since: 0.2
 */
const char *
fleet_container_state_to_string (FleetContainerState state)
{
  g_return_val_if_fail (state <= FLEET_CONTAINER_STATE_PAUSED, "unknown");

  return container_state_values[state].value_nick;
}

/**
 * fleet_container_info_new:
 * @id: the container id
 * @name: the container name
 *
 * Returns: (transfer full): a report with the other members empty, for a
 *   runtime to fill in
 *
 * Since: 0.2
 */
FleetContainerInfo *
fleet_container_info_new (const char *id, const char *name)
{
  FleetContainerInfo *info;

  g_return_val_if_fail (id != NULL, NULL);

  info = g_new0 (FleetContainerInfo, 1);
  g_atomic_ref_count_init (&info->ref);
  info->id = g_strdup (id);
  info->name = g_strdup (name);
  info->labels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return info;
}

/**
 * fleet_container_info_copy:
 * @info: the container
 *
 * Returns: (transfer full): a report of its own with the same contents, which
 *   later changes to @info do not touch
 *
 * Since: 0.2
 */
FleetContainerInfo *
fleet_container_info_copy (const FleetContainerInfo *info)
{
  FleetContainerInfo *copy;
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (info != NULL, NULL);

  copy = fleet_container_info_new (info->id, info->name);
  copy->image = g_strdup (info->image);
  copy->state = info->state;
  copy->exit_code = info->exit_code;
  copy->networks = g_strdupv (info->networks);
  copy->restart_count = info->restart_count;
  g_hash_table_iter_init (&iter, info->labels);
  while (g_hash_table_iter_next (&iter, &key, &value))
    fleet_container_info_set_label (copy, key, value);
  return copy;
}

/**
 * fleet_container_info_ref:
 * @info: the container
 *
 * Take a reference to @info.
 *
 * Returns: (transfer full): @info
 *
 * Since: 0.2
 */
FleetContainerInfo *
fleet_container_info_ref (FleetContainerInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);

  g_atomic_ref_count_inc (&info->ref);
  return info;
}

/**
 * fleet_container_info_unref:
 * @info: the container
 *
 * Drop a reference to @info; the last one frees it.
 *
 * Since: 0.2
 */
void
fleet_container_info_unref (FleetContainerInfo *info)
{
  g_return_if_fail (info != NULL);

  if (!g_atomic_ref_count_dec (&info->ref))
    return;
  g_free (info->id);
  g_free (info->name);
  g_free (info->deployment);
  g_free (info->service);
  g_free (info->spec_digest);
  g_free (info->image);
  g_hash_table_unref (info->labels);
  g_strfreev (info->networks);
  g_free (info);
}

static void
replace_string (char **member, const char *value)
{
  g_free (*member);
  *member = g_strdup (value);
}

/**
 * fleet_container_info_set_label:
 * @info: the container
 * @key: the label's name
 * @value: (nullable): the value, or %NULL to drop the label
 *
 * Set one label; the fleet labels also set @deployment, @service or
 * @spec_digest.
 *
 * Since: 0.2
 */
void
fleet_container_info_set_label (FleetContainerInfo *info, const char *key, const char *value)
{
  g_return_if_fail (info != NULL);
  g_return_if_fail (key != NULL);

  if (value != NULL)
    g_hash_table_replace (info->labels, g_strdup (key), g_strdup (value));
  else
    g_hash_table_remove (info->labels, key);
  if (g_str_equal (key, FLEET_LABEL_DEPLOYMENT))
    replace_string (&info->deployment, value);
  else if (g_str_equal (key, FLEET_LABEL_SERVICE))
    replace_string (&info->service, value);
  else if (g_str_equal (key, FLEET_LABEL_SPEC_DIGEST))
    replace_string (&info->spec_digest, value);
}

/**
 * fleet_container_info_get_label:
 * @info: the container
 * @key: the label's name
 *
 * Returns: (nullable): the label's value, or %NULL when the container has no
 *   such label
 *
 * Since: 0.2
 */
const char *
fleet_container_info_get_label (const FleetContainerInfo *info, const char *key)
{
  g_return_val_if_fail (info != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  return g_hash_table_lookup (info->labels, key);
}

/**
 * fleet_container_info_matches_label:
 * @info: the container
 * @filter: (nullable): "KEY" (the label is there, whatever its value),
 *   "KEY=VALUE" (it has that value), or %NULL (anything matches)
 *
 * Whether the container passes a label filter, as podman's `label=` filter
 * understands it.
 *
 * Since: 0.2
 */
gboolean
fleet_container_info_matches_label (const FleetContainerInfo *info, const char *filter)
{
  const char *eq;
  g_autofree char *key = NULL;

  g_return_val_if_fail (info != NULL, FALSE);

  if (filter == NULL)
    return TRUE;
  eq = strchr (filter, '=');
  if (eq == NULL)
    return g_hash_table_contains (info->labels, filter);
  key = g_strndup (filter, eq - filter);
  return g_strcmp0 (g_hash_table_lookup (info->labels, key), eq + 1) == 0;
}
