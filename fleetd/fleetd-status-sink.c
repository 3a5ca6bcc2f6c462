/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-status-sink.c: where the status reporter sends the status
 * document (see fleetd-status-sink.h); the reporter owns when. */
#include "config.h"

#include "fleetd-status-sink.h"

G_DEFINE_INTERFACE (FleetdStatusSink, fleetd_status_sink, G_TYPE_OBJECT)

static void
fleetd_status_sink_default_init (FleetdStatusSinkInterface *iface)
{
}

/* Returns: (transfer full): key=value fields naming the destination */
char *
fleetd_status_sink_describe (FleetdStatusSink *self)
{
  g_return_val_if_fail (FLEETD_IS_STATUS_SINK (self), NULL);

  return FLEETD_STATUS_SINK_GET_IFACE (self)->describe (self);
}

void
fleetd_status_sink_send_async (FleetdStatusSink *self, const char *status_json,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data)
{
  g_return_if_fail (FLEETD_IS_STATUS_SINK (self));
  g_return_if_fail (status_json != NULL);

  FLEETD_STATUS_SINK_GET_IFACE (self)->send_async (self, status_json, cancellable, callback,
                                                   user_data);
}

gboolean
fleetd_status_sink_send_finish (FleetdStatusSink *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (FLEETD_IS_STATUS_SINK (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return FLEETD_STATUS_SINK_GET_IFACE (self)->send_finish (self, result, error);
}
