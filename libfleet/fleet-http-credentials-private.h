/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-http-credentials-private.h: applying FleetHttpCredentials to
 * libsoup sessions and messages (libsoup stays out of the public headers).
 */
#pragma once

#include <libsoup/soup.h>

#include "fleet-http-credentials.h"

G_BEGIN_DECLS

void _fleet_http_credentials_setup_session (FleetHttpCredentials *credentials,
                                            SoupSession *session);
gboolean _fleet_http_credentials_authorize (FleetHttpCredentials *credentials,
                                            SoupMessage *message, GError **error);

G_END_DECLS
