/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-notify.h: tell systemd how fleetd is doing (sd_notify protocol). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FLEETD_TYPE_NOTIFIER (fleetd_notifier_get_type ())
G_DECLARE_FINAL_TYPE (FleetdNotifier, fleetd_notifier, FLEETD, NOTIFIER, GObject)

FleetdNotifier *fleetd_notifier_new (const char *address, GError **error);
FleetdNotifier *fleetd_notifier_new_from_environment (GError **error);
gboolean fleetd_notifier_send (FleetdNotifier *self, const char *message, GError **error);
void fleetd_notifier_notify (FleetdNotifier *self, const char *message);
void fleetd_notifier_ready (FleetdNotifier *self);
void fleetd_notifier_status (FleetdNotifier *self, const char *status);
void fleetd_notifier_stopping (FleetdNotifier *self);
guint64 fleetd_notifier_get_watchdog_usec (void);
void fleetd_notifier_start_watchdog (FleetdNotifier *self, guint64 watchdog_usec);

G_END_DECLS
