/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-agent-private.h: what the agent's files share. */
#pragma once

#include "fleetd-agent.h"
#include "fleetd-request-queue.h"

G_BEGIN_DECLS

FleetdRequestQueue *_fleetd_agent_get_queue (FleetdAgent *self);
FleetDocumentVerifier *_fleetd_agent_get_verifier (FleetdAgent *self);
const FleetLimits *_fleetd_agent_get_limits (FleetdAgent *self);

G_END_DECLS
