/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-nats-status.h: fleetd's NATS parts: the source from the settings,
 * and the status document put into the status bucket. */
#pragma once

#include <fleet.h>

#include "fleetd-config.h"
#include "fleetd-status-reporter.h"

G_BEGIN_DECLS

gboolean fleetd_config_is_nats (FleetdConfig *config);
FleetSource *fleetd_nats_source_new (FleetdConfig *config, GError **error);

#define FLEETD_TYPE_NATS_STATUS (fleetd_nats_status_get_type ())
G_DECLARE_FINAL_TYPE (FleetdNatsStatus, fleetd_nats_status, FLEETD, NATS_STATUS, GObject)

FleetdNatsStatus *fleetd_nats_status_new (FleetNatsSource *source, const char *bucket,
                                          const char *key, FleetdStatusBuildFunc build,
                                          gpointer user_data, GDestroyNotify destroy);
void fleetd_nats_status_set_timing (FleetdNatsStatus *self, guint coalesce_msecs,
                                    guint heartbeat_msecs);
void fleetd_nats_status_start (FleetdNatsStatus *self);
void fleetd_nats_status_changed (FleetdNatsStatus *self);
void fleetd_nats_status_stop (FleetdNatsStatus *self);
guint fleetd_nats_status_get_sent_count (FleetdNatsStatus *self);
void fleetd_nats_status_flush_async (FleetdNatsStatus *self, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);
gboolean fleetd_nats_status_flush_finish (FleetdNatsStatus *self, GAsyncResult *result,
                                          GError **error);

G_END_DECLS
