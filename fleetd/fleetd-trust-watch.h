/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-trust-watch.h: notice changes to the trusted keys directory. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FLEETD_TYPE_TRUST_WATCH (fleetd_trust_watch_get_type ())
G_DECLARE_FINAL_TYPE (FleetdTrustWatch, fleetd_trust_watch, FLEETD, TRUST_WATCH, GObject)

FleetdTrustWatch *fleetd_trust_watch_new (const char *dir, guint settle_msecs, GError **error);

G_END_DECLS
