/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-test-utils.h: helpers shared by the GLib test programs. */
#pragma once

#include <fleet.h>

G_BEGIN_DECLS

void fleet_test_init (int *argc, char ***argv);
guint fleet_test_count_log_action (const char *action);
FleetDocument *fleet_test_document (const char *json);
void fleet_test_wait (gboolean *done);
gboolean fleet_test_apply (FleetReconciler *reconciler, FleetDocument *document,
                           FleetApplyFlags flags, FleetPhase *out_phase, GError **error);
FleetPhase fleet_test_apply_ok (FleetReconciler *reconciler, FleetDocument *document);
gboolean fleet_test_tick (FleetReconciler *reconciler, FleetPhase *out_phase, GError **error);
void fleet_test_sleep_ms (guint msecs);
char *fleet_test_make_tmpdir (void);
guint16 fleet_test_free_port (void);
void fleet_test_rm_rf (const char *path);
/* Borrowed from the reconciler's state: valid until its next pass or tick. */
const char *fleet_test_recorded_id (FleetReconciler *reconciler, const char *deployment,
                                    const char *service);

G_END_DECLS
