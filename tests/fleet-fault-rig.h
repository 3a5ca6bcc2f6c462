/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-fault-rig.h: the built fleetd as a process, for the fault tests. */
#pragma once

#include <json-glib/json-glib.h>

#include "fleet-podman-harness.h"

G_BEGIN_DECLS

typedef struct _FleetFaultRig FleetFaultRig;

FleetFaultRig *fleet_fault_rig_new (FleetPodmanHarness *podman);
void fleet_fault_rig_free (FleetFaultRig *rig);
const char *fleet_fault_rig_get_dir (FleetFaultRig *rig);
const char *fleet_fault_rig_get_state_dir (FleetFaultRig *rig);
void fleet_fault_rig_set_user (FleetFaultRig *rig, guint uid);

void fleet_fault_rig_write_document (FleetFaultRig *rig, const char *json);
void fleet_fault_rig_remove_document (FleetFaultRig *rig);

void fleet_fault_rig_spawn_fleetd (FleetFaultRig *rig);
void fleet_fault_rig_start_fleetd (FleetFaultRig *rig);
gboolean fleet_fault_rig_wait_fleetd_exit (FleetFaultRig *rig, guint timeout_secs,
                                           int *out_status);
void fleet_fault_rig_kill_fleetd (FleetFaultRig *rig);
void fleet_fault_rig_kill_fleetd_if_running (FleetFaultRig *rig);
int fleet_fault_rig_stop_fleetd (FleetFaultRig *rig);
char *fleet_fault_rig_read_log (FleetFaultRig *rig);
JsonObject *fleet_fault_rig_get_status (FleetFaultRig *rig);
char *fleet_fault_rig_read_state_file (FleetFaultRig *rig, const char *name);

typedef gboolean (*FleetFaultCondition) (gpointer user_data);
gboolean fleet_fault_wait_for (FleetFaultCondition condition, gpointer user_data,
                               guint timeout_secs);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetFaultRig, fleet_fault_rig_free)

G_END_DECLS
