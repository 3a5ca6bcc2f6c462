/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-plan-private.h: what fleet-plan.c, fleet-plan-order.c and the
 * reconciler share about start order and jobs. */
#pragma once

#include "fleet-plan.h"

G_BEGIN_DECLS

GPtrArray *fleet_plan_order_services (FleetDeploymentSpec *deployment, GPtrArray *selected);
gboolean fleet_plan_is_awaited (GPtrArray *selected, const char *job);
void fleet_plan_order_stops (FleetDeploymentSpec *applied, GPtrArray *names);
void fleet_plan_add_jobs_to_rerun (FleetDeploymentSpec *deployment,
                                   const FleetDeploymentRecord *record, GPtrArray *changed);
gboolean fleet_service_spec_is_job (FleetServiceSpec *spec);
gboolean fleet_plan_job_completed (FleetServiceSpec *spec, FleetContainerInfo *info);

/* fleet-plan-health.c */
void fleet_plan_add_health_details (JsonBuilder *builder, FleetServiceSpec *spec,
                                    gboolean replace);
void fleet_plan_append_health_text (GString *out, FleetServiceSpec *spec, gboolean replace);

G_END_DECLS
