/* fleetd-daemon.h: the fleetd process. */
#pragma once

#include "fleetd-config.h"

G_BEGIN_DECLS

int fleetd_daemon_run (FleetdConfig *config);

G_END_DECLS
