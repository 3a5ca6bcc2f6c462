/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-http-credentials.h: how a device proves itself to its server: the
 * CA to verify the server with, a client certificate, a bearer token.
 * Shared by the HTTP source and anything else that talks to the same
 * server (fleetd's status reports), so that both do it the same way.
 */
#pragma once

#if !defined (__FLEET_H_INSIDE__) && !defined (FLEET_COMPILATION)
#error "Only <fleet/fleet.h> can be included directly."
#endif

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * FleetHttpCredentials:
 *
 * How a device proves itself to its server: the CA to verify the server with,
 * a client certificate, a bearer token.
 *
 * Since: 0.2
 */
typedef struct _FleetHttpCredentials FleetHttpCredentials;

GType fleet_http_credentials_get_type (void) G_GNUC_CONST;
#define FLEET_TYPE_HTTP_CREDENTIALS (fleet_http_credentials_get_type ())

FleetHttpCredentials *fleet_http_credentials_new (const char *ca_file,
                                                  const char *client_cert_file,
                                                  const char *client_key_file,
                                                  const char *bearer_token_file, GError **error);
FleetHttpCredentials *fleet_http_credentials_ref (FleetHttpCredentials *credentials);
void fleet_http_credentials_unref (FleetHttpCredentials *credentials);
GTlsDatabase *fleet_http_credentials_get_tls_database (FleetHttpCredentials *credentials);
GTlsCertificate *fleet_http_credentials_get_client_certificate (FleetHttpCredentials *credentials);
gboolean fleet_http_credentials_get_authorization (FleetHttpCredentials *credentials,
                                                   char **out_value, GError **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetHttpCredentials, fleet_http_credentials_unref)

G_END_DECLS
