/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-status-sink.h: where fleetd's status document goes. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FLEETD_TYPE_STATUS_SINK (fleetd_status_sink_get_type ())
G_DECLARE_INTERFACE (FleetdStatusSink, fleetd_status_sink, FLEETD, STATUS_SINK, GObject)

/**
 * FleetdStatusSinkInterface:
 * @describe: where the status goes, as key=value fields for the log
 *   ("url=…", "bucket=… key=…")
 * @send_async: deliver one status document (JSON text)
 * @send_finish: whether the receiver took it; a sink that is not connected
 *   yet, and reports that itself, fails with %G_IO_ERROR_NOT_CONNECTED
 *
 * Where fleetd's status reporter sends the status document: the status
 * URL, the status bucket.  A new destination is one new sink.
 */
struct _FleetdStatusSinkInterface
{
  GTypeInterface g_iface;

  char *(*describe) (FleetdStatusSink *self);
  void (*send_async) (FleetdStatusSink *self, const char *status_json, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data);
  gboolean (*send_finish) (FleetdStatusSink *self, GAsyncResult *result, GError **error);
};

char *fleetd_status_sink_describe (FleetdStatusSink *self);
void fleetd_status_sink_send_async (FleetdStatusSink *self, const char *status_json,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data);
gboolean fleetd_status_sink_send_finish (FleetdStatusSink *self, GAsyncResult *result,
                                         GError **error);

G_END_DECLS
