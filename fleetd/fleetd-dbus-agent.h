/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-dbus-agent.h: the dev.fleet.Agent1 object fleetd publishes. */
#pragma once

#include "fleet-dbus.h"
#include "fleetd-agent.h"

G_BEGIN_DECLS

#define FLEETD_TYPE_DBUS_AGENT (fleetd_dbus_agent_get_type ())
G_DECLARE_FINAL_TYPE (FleetdDBusAgent, fleetd_dbus_agent, FLEETD, DBUS_AGENT, FleetAgent1Skeleton)

FleetdDBusAgent *fleetd_dbus_agent_new (FleetdAgent *agent);

G_END_DECLS
