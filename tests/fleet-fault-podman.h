/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-fault-podman.h: the fault tests' hold on the harness's podman. */
#pragma once

#include "fleet-podman-harness.h"

G_BEGIN_DECLS

void fleet_fault_podman_kill (FleetPodmanHarness *h);
void fleet_fault_podman_restart (FleetPodmanHarness *h);
void fleet_fault_podman_set_runtime (const char *path);
void fleet_fault_podman_shutdown (void);

GPtrArray *fleet_fault_podman_list_managed (FleetPodmanHarness *h);
const char *fleet_fault_container_label (JsonObject *container, const char *label);
const char *fleet_fault_container_state (JsonObject *container);
char *fleet_fault_podman_describe (FleetPodmanHarness *h, const char *id);
char *fleet_fault_podman_upper_dir (FleetPodmanHarness *h, const char *id);

GPtrArray *fleet_fault_podman_events (FleetPodmanHarness *h, guint skip, const char *action);
guint fleet_fault_podman_count_events (FleetPodmanHarness *h);
const char *fleet_fault_event_attribute (JsonObject *event, const char *name);
const char *fleet_fault_event_id (JsonObject *event);

G_END_DECLS
