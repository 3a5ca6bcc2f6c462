/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-test-processes.h: the built fleetd and fleetctl run as processes,
 * on a private dbus-daemon (tests/daemon-bus.conf) that the test program
 * starts once.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* How long a process may take before the test fails. */
#define FLEET_TEST_PROCESS_TIMEOUT_MSECS (20 * 1000)

gboolean fleet_test_bus_start (void);
void fleet_test_bus_stop (void);
const char *fleet_test_bus_address (void);
gboolean fleet_test_bus_name_has_owner (const char *name);
GDBusConnection *fleet_test_bus_connection (void);

const char *fleet_test_fleetd_path (void);
const char *fleet_test_fleetctl_path (void);

GSubprocessLauncher *fleet_test_launcher_new (GSubprocessFlags flags);
int fleet_test_wait_exit (GSubprocess *process);
int fleet_test_run (GSubprocessLauncher *launcher, const char *const *argv, const char *input,
                    char **out, char **err);
GSubprocess *fleet_test_fleetd_start (const char *const *argv, const char *const *env,
                                      const char *log_path);
int fleet_test_fleetd_stop (GSubprocess *fleetd);

G_END_DECLS
