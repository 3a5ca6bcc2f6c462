/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-status-http.h: the status URL as a status sink. */
#pragma once

#include <fleet.h>

#include "fleetd-status-sink.h"

G_BEGIN_DECLS

#define FLEETD_TYPE_STATUS_HTTP (fleetd_status_http_get_type ())
G_DECLARE_FINAL_TYPE (FleetdStatusHttp, fleetd_status_http, FLEETD, STATUS_HTTP, GObject)

#define FLEETD_STATUS_TIMEOUT_SECS 10

FleetdStatusSink *fleetd_status_http_new (const char *url, FleetHttpCredentials *credentials);
const char *fleetd_status_http_get_url (FleetdStatusHttp *self);

G_END_DECLS
