/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet.h: the umbrella header of libfleet, the library behind fleetd.
 *
 *   #include <fleet/fleet.h>
 */
#pragma once

#define __FLEET_H_INSIDE__

#include "fleet-backoff.h"
#include "fleet-canonical-json.h"
#include "fleet-container-info.h"
#include "fleet-container-runtime.h"
#include "fleet-deployment-spec.h"
#include "fleet-document.h"
#include "fleet-document-verifier.h"
#include "fleet-error.h"
#include "fleet-fake-runtime.h"
#include "fleet-file-source.h"
#include "fleet-health-spec.h"
#include "fleet-http-credentials.h"
#include "fleet-http-source.h"
#include "fleet-nats-source.h"
#include "fleet-phase.h"
#include "fleet-plan.h"
#include "fleet-podman-runtime.h"
#include "fleet-probe.h"
#include "fleet-reconciler.h"
#include "fleet-service-spec.h"
#include "fleet-source.h"
#include "fleet-state.h"
#include "fleet-status.h"

#undef __FLEET_H_INSIDE__
