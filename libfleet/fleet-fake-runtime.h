/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-fake-runtime.h: an in-memory container runtime for tests and
 * benchmarks (and `fleetd --runtime fake`).
 */
#pragma once

#if !defined (__FLEET_H_INSIDE__) && !defined (FLEET_COMPILATION)
#error "Only <fleet/fleet.h> can be included directly."
#endif

#include "fleet-container-runtime.h"

G_BEGIN_DECLS

/**
 * FleetFakeRuntime:
 *
 * An in-memory #FleetContainerRuntime that logs every call and can be told to
 * fail, for tests and `fleetd --runtime fake`.
 *
 * Since: 0.2
 */
#define FLEET_TYPE_FAKE_RUNTIME (fleet_fake_runtime_get_type ())
G_DECLARE_FINAL_TYPE (FleetFakeRuntime, fleet_fake_runtime, FLEET, FAKE_RUNTIME, GObject)

FleetFakeRuntime *fleet_fake_runtime_new (void);

/* The call log: one entry per request the runtime received, naming a
 * container as the caller did: "list", "pull IMAGE", "create NAME IMAGE",
 * "start ID", "stop ID SIGNAL GRACE" (the signal and grace that apply),
 * "kill ID SIGKILL" (the grace ran out), "remove ID", "remove ID force",
 * "inspect ID", "rename ID NAME", "unpause ID". */
GPtrArray *fleet_fake_runtime_get_calls (FleetFakeRuntime *self);
guint fleet_fake_runtime_count_calls (FleetFakeRuntime *self, const char *verb);
guint fleet_fake_runtime_count_mutating_calls (FleetFakeRuntime *self);
void fleet_fake_runtime_clear_calls (FleetFakeRuntime *self);
char *fleet_fake_runtime_format_calls (FleetFakeRuntime *self);

/* Faults. */
void fleet_fake_runtime_set_pull_fails (FleetFakeRuntime *self, const char *image, gboolean fails);
void fleet_fake_runtime_set_pull_hangs (FleetFakeRuntime *self, const char *image, gboolean hangs);
void fleet_fake_runtime_set_start_fails (FleetFakeRuntime *self, const char *image,
                                         gboolean fails);
void fleet_fake_runtime_set_ignores_stop_signal (FleetFakeRuntime *self, const char *image,
                                                 gboolean ignores);
void fleet_fake_runtime_set_exits_at_once (FleetFakeRuntime *self, const char *image,
                                           gboolean exits);
void fleet_fake_runtime_set_exit_code (FleetFakeRuntime *self, const char *image, int exit_code);
void fleet_fake_runtime_set_id_salt (FleetFakeRuntime *self, const char *salt);
void fleet_fake_runtime_set_unreachable (FleetFakeRuntime *self, gboolean unreachable);
void fleet_fake_runtime_set_networks_without_dns (FleetFakeRuntime *self, gboolean without_dns);
gboolean fleet_fake_runtime_restart_by_policy (FleetFakeRuntime *self, const char *id_or_name);
gboolean fleet_fake_runtime_restart_by_policy_late (FleetFakeRuntime *self,
                                                    const char *id_or_name);
guint fleet_fake_runtime_count_refused (FleetFakeRuntime *self);
void fleet_fake_runtime_set_latency (FleetFakeRuntime *self, guint msecs);
void fleet_fake_runtime_set_unhealthy (FleetFakeRuntime *self, const char *image,
                                       const char *output);
void fleet_fake_runtime_set_health_hangs (FleetFakeRuntime *self, const char *image,
                                          gboolean hangs);
gboolean fleet_fake_runtime_kill_container (FleetFakeRuntime *self, const char *id_or_name,
                                            int exit_code);
gboolean fleet_fake_runtime_pause_container (FleetFakeRuntime *self, const char *id_or_name);
gboolean fleet_fake_runtime_remove_container (FleetFakeRuntime *self, const char *id_or_name);
gboolean fleet_fake_runtime_half_remove_container (FleetFakeRuntime *self,
                                                   const char *id_or_name);
void fleet_fake_runtime_hold_name (FleetFakeRuntime *self, const char *name);
char *fleet_fake_runtime_add_container (FleetFakeRuntime *self, const char *name,
                                        const char *image, const char *deployment,
                                        const char *service, const char *spec_digest,
                                        gboolean running);

/* Inspection, outside the call log. */
FleetContainerInfo *fleet_fake_runtime_lookup (FleetFakeRuntime *self, const char *id_or_name);
FleetServiceSpec *fleet_fake_runtime_lookup_spec (FleetFakeRuntime *self, const char *id);
guint fleet_fake_runtime_count_containers (FleetFakeRuntime *self);

G_END_DECLS
