/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-runtime.h: the container runtime fleetd drives, from its settings. */
#pragma once

#include <fleet.h>

#include "fleetd-config.h"

G_BEGIN_DECLS

FleetContainerRuntime *fleetd_runtime_new (const FleetdConfig *config, GError **error);

G_END_DECLS
