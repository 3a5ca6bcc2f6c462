/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-test-runtime.h: the runtime's primitives and the service operations
 * run to completion, for tests. */
#pragma once

#include <fleet.h>

#include "fleet-service-ops.h"

G_BEGIN_DECLS

gboolean fleet_test_runtime_pull (FleetContainerRuntime *rt, const char *image, GError **error);
char *fleet_test_runtime_create (FleetContainerRuntime *rt, const char *name,
                                 FleetServiceSpec *spec, GHashTable *labels, GError **error);
char *fleet_test_runtime_create_on_network (FleetContainerRuntime *rt, const char *name,
                                            FleetServiceSpec *spec, GHashTable *labels,
                                            const char *network, const char *alias,
                                            GError **error);
gboolean fleet_test_runtime_start (FleetContainerRuntime *rt, const char *id, GError **error);
gboolean fleet_test_runtime_stop (FleetContainerRuntime *rt, const char *id, int signal,
                                  int grace_secs, GError **error);
gboolean fleet_test_runtime_remove (FleetContainerRuntime *rt, const char *id, gboolean force,
                                    GError **error);
FleetContainerInfo *fleet_test_runtime_inspect (FleetContainerRuntime *rt, const char *id,
                                                GError **error);
GPtrArray *fleet_test_runtime_list (FleetContainerRuntime *rt, const char *label,
                                    GError **error);
gboolean fleet_test_runtime_rename (FleetContainerRuntime *rt, const char *id,
                                    const char *new_name, GError **error);
gboolean fleet_test_runtime_unpause (FleetContainerRuntime *rt, const char *id, GError **error);
gboolean fleet_test_runtime_network_ensure (FleetContainerRuntime *rt, const char *name,
                                            gboolean *out_dns_enabled, GError **error);
gboolean fleet_test_runtime_network_connect (FleetContainerRuntime *rt, const char *network,
                                             const char *id, const char *alias, GError **error);
gboolean fleet_test_runtime_network_disconnect (FleetContainerRuntime *rt, const char *network,
                                                const char *id, GError **error);
gboolean fleet_test_runtime_network_remove (FleetContainerRuntime *rt, const char *name,
                                            GError **error);

FleetContainerState fleet_test_runtime_state (FleetContainerRuntime *rt, const char *id);
gboolean fleet_test_runtime_wait_for_state (FleetContainerRuntime *rt, const char *id,
                                            FleetContainerState state, guint timeout_secs);

char *fleet_test_service_start (FleetContainerRuntime *rt, FleetServiceSpec *spec,
                                GError **error);
gboolean fleet_test_service_stop (FleetContainerRuntime *rt, const char *id, GError **error);
char *fleet_test_service_ensure_running (FleetContainerRuntime *rt, FleetServiceSpec *spec,
                                         const char *id, FleetLivenessAction *out_action,
                                         GError **error);

G_END_DECLS
