/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-deployment-spec-private.h: construction, for the document parser. */
#pragma once

#include "fleet-deployment-spec.h"

G_BEGIN_DECLS

FleetDeploymentSpec *_fleet_deployment_spec_new (const char *name);

G_END_DECLS
