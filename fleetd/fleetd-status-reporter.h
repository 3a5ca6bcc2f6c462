/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-status-reporter.h: send the status document to a sink, after each
 * change and at least every heartbeat. */
#pragma once

#include <gio/gio.h>

#include "fleetd-status-sink.h"

G_BEGIN_DECLS

#define FLEETD_TYPE_STATUS_REPORTER (fleetd_status_reporter_get_type ())
G_DECLARE_FINAL_TYPE (FleetdStatusReporter, fleetd_status_reporter, FLEETD, STATUS_REPORTER,
                      GObject)

typedef char *(*FleetdStatusBuildFunc) (gpointer user_data);

#define FLEETD_STATUS_COALESCE_MSECS 500
#define FLEETD_STATUS_HEARTBEAT_SECS 60

FleetdStatusReporter *fleetd_status_reporter_new (FleetdStatusSink *sink,
                                                  FleetdStatusBuildFunc build, gpointer user_data,
                                                  GDestroyNotify destroy);
void fleetd_status_reporter_set_timing (FleetdStatusReporter *self, guint coalesce_msecs,
                                        guint heartbeat_msecs, guint retry_initial_msecs,
                                        guint retry_max_msecs);
FleetdStatusSink *fleetd_status_reporter_get_sink (FleetdStatusReporter *self);
void fleetd_status_reporter_start (FleetdStatusReporter *self);
void fleetd_status_reporter_changed (FleetdStatusReporter *self);
void fleetd_status_reporter_stop (FleetdStatusReporter *self);
void fleetd_status_reporter_flush_async (FleetdStatusReporter *self, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
gboolean fleetd_status_reporter_flush_finish (FleetdStatusReporter *self, GAsyncResult *result,
                                              GError **error);
guint fleetd_status_reporter_get_sent_count (FleetdStatusReporter *self);

G_END_DECLS
