/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-health-monitor-private.h: the health checks of running containers,
 * each on its own timer on the main context.
 */
#pragma once

#include "fleet-container-runtime.h"

G_BEGIN_DECLS

/**
 * FleetHealthStatus:
 * @FLEET_HEALTH_NONE: the container has no check (or is not watched)
 * @FLEET_HEALTH_STARTING: no check has passed yet, nor have enough failed
 * @FLEET_HEALTH_HEALTHY: the last check passed, or fewer than `retries` failed since
 * @FLEET_HEALTH_UNHEALTHY: `retries` consecutive checks failed
 */
typedef enum
{
  FLEET_HEALTH_NONE,
  FLEET_HEALTH_STARTING,
  FLEET_HEALTH_HEALTHY,
  FLEET_HEALTH_UNHEALTHY,
} FleetHealthStatus;

const char *fleet_health_status_to_string (FleetHealthStatus status);

typedef struct _FleetHealthMonitor FleetHealthMonitor;

/* Called when a watched container's status changes. */
typedef void (*FleetHealthChangedFunc) (FleetServiceSpec *spec, const char *container_id,
                                        FleetHealthStatus status, const char *output,
                                        gpointer user_data);

FleetHealthMonitor *fleet_health_monitor_new (FleetContainerRuntime *runtime,
                                              FleetHealthChangedFunc changed,
                                              gpointer user_data);
void fleet_health_monitor_free (FleetHealthMonitor *monitor);

void fleet_health_monitor_watch (FleetHealthMonitor *monitor, FleetServiceSpec *spec,
                                 const char *container_id);
void fleet_health_monitor_unwatch (FleetHealthMonitor *monitor, const char *container_id);
void fleet_health_monitor_keep (FleetHealthMonitor *monitor, const char *container_id);
void fleet_health_monitor_begin_sync (FleetHealthMonitor *monitor);
void fleet_health_monitor_end_sync (FleetHealthMonitor *monitor);
void fleet_health_monitor_stop (FleetHealthMonitor *monitor);

FleetHealthStatus fleet_health_monitor_get (FleetHealthMonitor *monitor,
                                            const char *container_id, const char **out_output);
guint fleet_health_monitor_count_running (FleetHealthMonitor *monitor);
gint64 fleet_health_monitor_get_healthy_since (FleetHealthMonitor *monitor,
                                               const char *container_id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetHealthMonitor, fleet_health_monitor_free)

G_END_DECLS
