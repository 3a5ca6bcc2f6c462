/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-trust-watch.h: the trusted keys read again when their directory
 * changes, or on SIGHUP.
 */
#pragma once

#include "fleet.h"

G_BEGIN_DECLS

typedef struct _FleetdTrustWatch FleetdTrustWatch;

/* Called after the keys were read again, for the caller to say so. */
typedef void (*FleetdTrustReloadedFunc) (gpointer user_data);

FleetdTrustWatch *fleetd_trust_watch_new (FleetDocumentVerifier *verifier, const char *dir,
                                          FleetdTrustReloadedFunc reloaded, gpointer user_data);
void fleetd_trust_watch_free (FleetdTrustWatch *watch);
gboolean fleetd_trust_watch_reload (FleetdTrustWatch *watch);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetdTrustWatch, fleetd_trust_watch_free)

G_END_DECLS
