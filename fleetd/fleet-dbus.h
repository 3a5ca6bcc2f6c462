/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-dbus.h: the D-Bus API of fleetd (data/dev.fleet.Agent1.xml), shared
 * by fleetd, fleetctl and the tests: the generated proxy and skeleton, and
 * where to find them.
 */
#pragma once

#include "fleet-dbus-generated.h"

#define FLEET_DBUS_NAME "dev.fleet.Agent1"
#define FLEET_DBUS_PATH "/dev/fleet/Agent1"
