/* fleet-container-info.c: the container report value object. */
#include "config.h"

#include "fleet-container-info.h"

G_DEFINE_BOXED_TYPE (FleetContainerInfo, fleet_container_info, fleet_container_info_ref,
                     fleet_container_info_unref)

static const GEnumValue container_state_values[] = {
  { FLEET_CONTAINER_STATE_UNKNOWN, "FLEET_CONTAINER_STATE_UNKNOWN", "unknown" },
  { FLEET_CONTAINER_STATE_CREATED, "FLEET_CONTAINER_STATE_CREATED", "created" },
  { FLEET_CONTAINER_STATE_RUNNING, "FLEET_CONTAINER_STATE_RUNNING", "running" },
  { FLEET_CONTAINER_STATE_EXITED, "FLEET_CONTAINER_STATE_EXITED", "exited" },
  { 0, NULL, NULL },
};

GType
fleet_container_state_get_type (void)
{
  static gsize type_id = 0;

  if (g_once_init_enter (&type_id))
    g_once_init_leave (&type_id,
                       g_enum_register_static ("FleetContainerState", container_state_values));
  return type_id;
}

const char *
fleet_container_state_to_string (FleetContainerState state)
{
  g_return_val_if_fail (state <= FLEET_CONTAINER_STATE_EXITED, "unknown");

  return container_state_values[state].value_nick;
}

/**
 * fleet_container_info_new:
 * @id: the container id
 * @name: the container name
 *
 * Returns: (transfer full): a report with the other members empty, for a
 *   runtime to fill in
 */
FleetContainerInfo *
fleet_container_info_new (const char *id, const char *name)
{
  FleetContainerInfo *info = g_new0 (FleetContainerInfo, 1);

  g_atomic_ref_count_init (&info->ref);
  info->id = g_strdup (id);
  info->name = g_strdup (name);
  return info;
}

FleetContainerInfo *
fleet_container_info_ref (FleetContainerInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);

  g_atomic_ref_count_inc (&info->ref);
  return info;
}

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
  g_free (info);
}
