/* fleet-http-source.h: the desired-state document over HTTP(S). */
#pragma once

#include "fleet-source.h"

G_BEGIN_DECLS

#define FLEET_TYPE_HTTP_SOURCE (fleet_http_source_get_type ())
G_DECLARE_FINAL_TYPE (FleetHttpSource, fleet_http_source, FLEET, HTTP_SOURCE, GObject)

FleetSource *fleet_http_source_new (const char *uri, const FleetSourceOptions *options,
                                    GError **error);

G_END_DECLS
