/* fleet-http-credentials-private.h: how fleetd proves itself to its server
 * (CA file, client certificate, bearer token), shared by the source and the
 * status reporter so both talk to the server the same way.
 */
#pragma once

#include <libsoup/soup.h>

#include "fleet-source.h"

G_BEGIN_DECLS

typedef struct _FleetHttpCredentials FleetHttpCredentials;

FleetHttpCredentials *_fleet_http_credentials_new (const FleetSourceOptions *options,
                                                   GError **error);
void _fleet_http_credentials_free (FleetHttpCredentials *credentials);
void _fleet_http_credentials_setup_session (FleetHttpCredentials *credentials,
                                            SoupSession *session);
gboolean _fleet_http_credentials_authorize (FleetHttpCredentials *credentials,
                                            SoupMessage *message, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetHttpCredentials, _fleet_http_credentials_free)

G_END_DECLS
