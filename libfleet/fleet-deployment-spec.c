/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-deployment-spec.c: the deployment value object. */
#include "config.h"

#include "fleet-deployment-spec-private.h"

G_DEFINE_BOXED_TYPE (FleetDeploymentSpec, fleet_deployment_spec, fleet_deployment_spec_ref,
                     fleet_deployment_spec_unref)

FleetDeploymentSpec *
_fleet_deployment_spec_new (const char *name)
{
  FleetDeploymentSpec *deployment = g_new0 (FleetDeploymentSpec, 1);

  g_atomic_ref_count_init (&deployment->ref);
  deployment->name = g_strdup (name);
  deployment->services = g_ptr_array_new_with_free_func ((GDestroyNotify) fleet_service_spec_unref);
  return deployment;
}

/**
 * fleet_deployment_spec_ref:
 * @deployment: the deployment's name
 *
 * Take a reference to @deployment.
 *
 * Returns: (transfer full): @deployment
 *
 * Since: 0.2
 */
FleetDeploymentSpec *
fleet_deployment_spec_ref (FleetDeploymentSpec *deployment)
{
  g_return_val_if_fail (deployment != NULL, NULL);

  g_atomic_ref_count_inc (&deployment->ref);
  return deployment;
}

/**
 * fleet_deployment_spec_unref:
 * @deployment: the deployment's name
 *
 * Drop a reference to @deployment; the last one frees it.
 *
 * Since: 0.2
 */
void
fleet_deployment_spec_unref (FleetDeploymentSpec *deployment)
{
  g_return_if_fail (deployment != NULL);

  if (!g_atomic_ref_count_dec (&deployment->ref))
    return;
  g_free (deployment->name);
  g_free (deployment->lifecycle.stop_signal);
  g_ptr_array_unref (deployment->services);
  g_free (deployment);
}

/**
 * fleet_deployment_spec_lookup_service:
 * @deployment: a deployment
 * @name: a service name
 *
 * Returns: (transfer none) (nullable): the service called @name
 *
 * Since: 0.2
 */
FleetServiceSpec *
fleet_deployment_spec_lookup_service (FleetDeploymentSpec *deployment, const char *name)
{
  g_return_val_if_fail (deployment != NULL, NULL);

  for (guint i = 0; i < deployment->services->len; i++)
    {
      FleetServiceSpec *service = deployment->services->pdata[i];

      if (g_str_equal (service->name, name))
        return service;
    }
  return NULL;
}
