/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-status-reporter.h: PUT the status document to the status URL. */
#pragma once

#include <gio/gio.h>

#include <fleet.h>

G_BEGIN_DECLS

#define FLEETD_TYPE_STATUS_REPORTER (fleetd_status_reporter_get_type ())
G_DECLARE_FINAL_TYPE (FleetdStatusReporter, fleetd_status_reporter, FLEETD, STATUS_REPORTER,
                      GObject)

/* Returns the status document to send, as JSON text. */
typedef char *(*FleetdStatusBuildFunc) (gpointer user_data);

#define FLEETD_STATUS_COALESCE_MSECS 500
#define FLEETD_STATUS_HEARTBEAT_SECS 60
#define FLEETD_STATUS_TIMEOUT_SECS 10

FleetdStatusReporter *fleetd_status_reporter_new (const char *url,
                                                  FleetHttpCredentials *credentials,
                                                  FleetdStatusBuildFunc build, gpointer user_data,
                                                  GDestroyNotify destroy);
void fleetd_status_reporter_set_timing (FleetdStatusReporter *self, guint coalesce_msecs,
                                        guint heartbeat_msecs, guint retry_initial_msecs,
                                        guint retry_max_msecs);
const char *fleetd_status_reporter_get_url (FleetdStatusReporter *self);
void fleetd_status_reporter_start (FleetdStatusReporter *self);
void fleetd_status_reporter_changed (FleetdStatusReporter *self);
void fleetd_status_reporter_stop (FleetdStatusReporter *self);
void fleetd_status_reporter_flush_async (FleetdStatusReporter *self, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
gboolean fleetd_status_reporter_flush_finish (FleetdStatusReporter *self, GAsyncResult *result,
                                              GError **error);
guint fleetd_status_reporter_get_sent_count (FleetdStatusReporter *self);

G_END_DECLS
