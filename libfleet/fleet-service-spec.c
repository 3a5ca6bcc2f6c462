/* fleet-service-spec.c: the service value object.  Built only by the
 * document parser, so every instance is a validated one.
 */
#include "config.h"

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

gboolean
fleet_volume_mount_is_named_volume (const FleetVolumeMount *mount)
{
  return mount->source[0] != '/';
}

FleetServiceSpec *
_fleet_service_spec_new (void)
{
  FleetServiceSpec *spec = g_new0 (FleetServiceSpec, 1);

  g_atomic_ref_count_init (&spec->ref);
  spec->ports = g_ptr_array_new_with_free_func (port_mapping_free);
  spec->volumes = g_ptr_array_new_with_free_func (volume_mount_free);
  return spec;
}

FleetServiceSpec *
fleet_service_spec_ref (FleetServiceSpec *spec)
{
  g_return_val_if_fail (spec != NULL, NULL);

  g_atomic_ref_count_inc (&spec->ref);
  return spec;
}

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
  g_free (spec->lifecycle.stop_signal);
  g_free (spec->digest);
  g_free (spec);
}
