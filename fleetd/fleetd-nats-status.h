/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-nats-status.h: fleetd's NATS parts: the source from the settings,
 * and the status document put into the status bucket. */
#pragma once

#include <fleet.h>

#include "fleetd-config.h"
#include "fleetd-status-sink.h"

G_BEGIN_DECLS

gboolean fleetd_config_is_nats (FleetdConfig *config);
FleetSource *fleetd_nats_source_new (FleetdConfig *config, GError **error);

#define FLEETD_TYPE_NATS_STATUS (fleetd_nats_status_get_type ())
G_DECLARE_FINAL_TYPE (FleetdNatsStatus, fleetd_nats_status, FLEETD, NATS_STATUS, GObject)

FleetdStatusSink *fleetd_nats_status_new (FleetNatsSource *source, const char *bucket,
                                          const char *key);

G_END_DECLS
