/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-deployment-spec.h: one validated deployment of a document. */
#pragma once

#if !defined (__FLEET_H_INSIDE__) && !defined (FLEET_COMPILATION)
#error "Only <fleet/fleet.h> can be included directly."
#endif

#include "fleet-service-spec.h"

G_BEGIN_DECLS

/**
 * FleetDeploymentSpec:
 * @name: the deployment name
 * @lifecycle: the effective lifecycle of its services
 * @services: (element-type FleetServiceSpec): the services, in document order
 *
 * Immutable once built; shared by reference.  All members are read-only.
 *
 * Since: 0.2
 */
typedef struct _FleetDeploymentSpec FleetDeploymentSpec;

struct _FleetDeploymentSpec
{
  /*< private >*/
  gatomicrefcount ref;
  /*< public >*/
  char *name;
  FleetLifecycle lifecycle;
  GPtrArray *services;
};

GType fleet_deployment_spec_get_type (void) G_GNUC_CONST;
#define FLEET_TYPE_DEPLOYMENT_SPEC (fleet_deployment_spec_get_type ())

FleetDeploymentSpec *fleet_deployment_spec_ref (FleetDeploymentSpec *deployment);
void fleet_deployment_spec_unref (FleetDeploymentSpec *deployment);
FleetServiceSpec *fleet_deployment_spec_lookup_service (FleetDeploymentSpec *deployment,
                                                        const char *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetDeploymentSpec, fleet_deployment_spec_unref)

G_END_DECLS
