/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-daemon.h: the fleetd process. */
#pragma once

#include "fleetd-config.h"

G_BEGIN_DECLS

int fleetd_daemon_run (FleetdConfig *config);

G_END_DECLS
