/* fleetd-agent-private.h: what the agent's files share. */
#pragma once

#include "fleetd-agent.h"
#include "fleetd-request-queue.h"

G_BEGIN_DECLS

FleetdRequestQueue *_fleetd_agent_get_queue (FleetdAgent *self);

G_END_DECLS
