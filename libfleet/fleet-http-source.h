/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-http-source.h: the desired-state document over HTTP(S). */
#pragma once

#if !defined (__FLEET_H_INSIDE__) && !defined (FLEET_COMPILATION)
#error "Only <fleet/fleet.h> can be included directly."
#endif

#include "fleet-source.h"

G_BEGIN_DECLS

/**
 * FLEET_DEFAULT_CONNECT_TIMEOUT_SECS:
 *
 * How long an HTTP source waits for its server to accept a connection, in
 * seconds.
 *
 * Since: 0.2
 */
#define FLEET_DEFAULT_CONNECT_TIMEOUT_SECS 10

/**
 * FleetHttpSourceOptions:
 * @device_id: (nullable): replaces `{device}` in the URL
 * @max_bytes: the largest document accepted; a larger body is aborted
 * @connect_timeout_secs: connecting, 0 for the default (10)
 * @timeout_secs: the whole fetch, 0 for the default (60)
 * @ca_file: (nullable): PEM CA bundle to verify the server with, instead of the system's
 * @client_cert_file: (nullable): PEM client certificate (mutual TLS)
 * @client_key_file: (nullable): PEM key of @client_cert_file
 * @bearer_token_file: (nullable): a file whose contents are sent as
 *   `Authorization: Bearer ...`; read at every fetch, so it can be rotated
 *
 * Initialise with fleet_http_source_options_init().
 *
 * Since: 0.2
 */
typedef struct
{
  const char *device_id;
  gsize max_bytes;
  guint connect_timeout_secs;
  guint timeout_secs;
  const char *ca_file;
  const char *client_cert_file;
  const char *client_key_file;
  const char *bearer_token_file;
} FleetHttpSourceOptions;

void fleet_http_source_options_init (FleetHttpSourceOptions *options);

/**
 * FleetHttpSource:
 *
 * A #FleetSource fetching the document over HTTP or HTTPS, with ETags.
 *
 * Since: 0.2
 */
#define FLEET_TYPE_HTTP_SOURCE (fleet_http_source_get_type ())
G_DECLARE_FINAL_TYPE (FleetHttpSource, fleet_http_source, FLEET, HTTP_SOURCE, FleetSource)

FleetSource *fleet_http_source_new (const char *uri, const FleetHttpSourceOptions *options,
                                    GError **error);

G_END_DECLS
