/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-probe.h: health probes fleetd runs itself, for images without a
 * shell: an HTTP GET that must answer with a status in a range, and a TCP
 * connect.  Each is asynchronous and cut at its timeout, so that probes of
 * many services never block the main loop or each other.
 */
#pragma once

#if !defined (__FLEET_H_INSIDE__) && !defined (FLEET_COMPILATION)
#error "Only <fleet/fleet.h> can be included directly."
#endif

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * FleetProbeKind:
 * @FLEET_PROBE_HTTP: GET http://HOST:PORT/PATH, healthy when the status is
 *   within [min_status, max_status]
 * @FLEET_PROBE_TCP: healthy when a TCP connection to HOST:PORT is accepted
 *
 * The kinds of #FleetProbe.
 *
 * Since: 0.2
 */
typedef enum
{
  FLEET_PROBE_HTTP,
  FLEET_PROBE_TCP,
} FleetProbeKind;

/**
 * FleetProbe:
 * @kind: what to do
 * @host: the address to probe (the container's)
 * @port: the port
 * @path: (nullable): the HTTP path, "/" when %NULL
 * @min_status: the lowest healthy HTTP status (default 200)
 * @max_status: the highest healthy HTTP status (default 399)
 * @timeout_msecs: the whole probe's deadline
 *
 * A health probe: an HTTP request or a TCP connection; set it up with
 * fleet_probe_init().
 *
 * Since: 0.2
 */
typedef struct
{
  FleetProbeKind kind;
  char *host;
  guint16 port;
  char *path;
  guint min_status;
  guint max_status;
  guint timeout_msecs;
} FleetProbe;

void fleet_probe_init (FleetProbe *probe, FleetProbeKind kind, const char *host, guint16 port);
void fleet_probe_clear (FleetProbe *probe);

void fleet_probe_run_async (const FleetProbe *probe, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data);
gboolean fleet_probe_run_finish (GAsyncResult *result, char **out_output, GError **error);

G_END_DECLS
