/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-http-credentials-private.h: applying FleetHttpCredentials to
 * libsoup sessions and messages, for libfleet's HTTP source and fleetd's
 * status reports alike.  libsoup stays out of the public headers: these
 * are static inline, on top of the public getters, so that fleetd needs
 * no private symbol of libfleet-1.
 */
#pragma once

#include <libsoup/soup.h>

#include "fleet.h"

G_BEGIN_DECLS

/* Verify servers against the CA file, when one is given, instead of the
 * system's CAs. */
static inline void
_fleet_http_credentials_setup_session (FleetHttpCredentials *credentials, SoupSession *session)
{
  GTlsDatabase *database = fleet_http_credentials_get_tls_database (credentials);

  if (database)
    g_object_set (session, "tls-database", database, NULL);
}

/* Attach the client certificate and the bearer token to @message. */
static inline gboolean
_fleet_http_credentials_authorize (FleetHttpCredentials *credentials, SoupMessage *message,
                                   GError **error)
{
  GTlsCertificate *certificate = fleet_http_credentials_get_client_certificate (credentials);
  g_autofree char *authorization = NULL;

  if (certificate)
    soup_message_set_tls_client_certificate (message, certificate);
  if (!fleet_http_credentials_get_authorization (credentials, &authorization, error))
    return FALSE;
  if (authorization)
    soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization",
                                  authorization);
  return TRUE;
}

G_END_DECLS
