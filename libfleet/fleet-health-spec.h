/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-health-spec.h: a service's health check and how its container is
 * replaced, as the document says them (`healthcheck`, `update_config`).
 */
#pragma once

#if !defined (__FLEET_H_INSIDE__) && !defined (FLEET_COMPILATION)
#error "Only <fleet/fleet.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/**
 * FleetHealthcheckKind:
 * @FLEET_HEALTHCHECK_EXEC: a command run inside the container (compose's
 *   `test`), through the runtime
 * @FLEET_HEALTHCHECK_HTTP: an HTTP GET fleetd sends to the container's address
 * @FLEET_HEALTHCHECK_TCP: a TCP connect fleetd makes to the container's address
 * @FLEET_HEALTHCHECK_NONE: no check: the document turns the image's own off
 *   (`["NONE"]`, `"disable": true`)
 *
 * How a health check looks at a service.
 *
 * Since: 0.2
 */
typedef enum
{
  FLEET_HEALTHCHECK_EXEC,
  FLEET_HEALTHCHECK_HTTP,
  FLEET_HEALTHCHECK_TCP,
  FLEET_HEALTHCHECK_NONE,
} FleetHealthcheckKind;

/**
 * FleetOnUnhealthy:
 * @FLEET_ON_UNHEALTHY_RESTART: an unhealthy container is restarted (the default)
 * @FLEET_ON_UNHEALTHY_NONE: it is only reported
 *
 * What the agent does with a container its health check finds unhealthy.
 *
 * Since: 0.2
 */
typedef enum
{
  FLEET_ON_UNHEALTHY_RESTART,
  FLEET_ON_UNHEALTHY_NONE,
} FleetOnUnhealthy;

/**
 * FleetHealthcheck:
 * @kind: what is run
 * @test: (array zero-terminated=1) (nullable): for %FLEET_HEALTHCHECK_EXEC,
 *   compose's test: "CMD" and the argv, or "CMD-SHELL" and a shell command
 * @port: for HTTP and TCP checks, the container's port
 * @path: (nullable): for HTTP checks, the path, "/" by default
 * @min_status: for HTTP checks, the lowest healthy status
 * @max_status: for HTTP checks, the highest healthy status
 * @interval_msecs: the time between two checks
 * @timeout_msecs: how long one check may take before it counts as failed
 * @retries: consecutive failures that make the container unhealthy
 * @start_period_msecs: failures in this time after the start do not count
 * @on_unhealthy: what is done to an unhealthy container
 *
 * A service's effective health check, defaults filled in, as the
 * service's @healthcheck; %NULL when the document writes none.
 *
 * Since: 0.2
 */
typedef struct
{
  FleetHealthcheckKind kind;
  char **test;
  guint16 port;
  char *path;
  guint min_status;
  guint max_status;
  guint interval_msecs;
  guint timeout_msecs;
  guint retries;
  guint start_period_msecs;
  FleetOnUnhealthy on_unhealthy;
} FleetHealthcheck;

/**
 * FLEET_HEALTHCHECK_DEFAULT_INTERVAL_MSECS:
 *
 * How often a health check runs, in milliseconds, unless the document says
 * otherwise.
 *
 * Since: 0.2
 */
#define FLEET_HEALTHCHECK_DEFAULT_INTERVAL_MSECS 30000
/**
 * FLEET_HEALTHCHECK_DEFAULT_TIMEOUT_MSECS:
 *
 * How long a health check may take, in milliseconds, unless the document says
 * otherwise.
 *
 * Since: 0.2
 */
#define FLEET_HEALTHCHECK_DEFAULT_TIMEOUT_MSECS 30000
/**
 * FLEET_HEALTHCHECK_DEFAULT_RETRIES:
 *
 * How many checks in a row must fail before a container counts as unhealthy,
 * unless the document says otherwise.
 *
 * Since: 0.2
 */
#define FLEET_HEALTHCHECK_DEFAULT_RETRIES 3

/**
 * FleetUpdateOrder:
 * @FLEET_UPDATE_STOP_FIRST: the old container is stopped before the new one
 *   starts (the default)
 * @FLEET_UPDATE_START_FIRST: the new container starts beside the old one,
 *   which is stopped once the new one is healthy
 *
 * In which order a changed service's old container is stopped and its new one
 * started.
 *
 * Since: 0.2
 */
typedef enum
{
  FLEET_UPDATE_STOP_FIRST,
  FLEET_UPDATE_START_FIRST,
} FleetUpdateOrder;

/**
 * FleetUpdateConfig:
 * @order: how a changed service is replaced
 * @monitor_secs: how long a new container must stay healthy (or running,
 *   without a check) before its replacement counts as done; 0 for no wait
 *   beyond the health check
 *
 * How a service is upgraded, as its document says.
 *
 * Since: 0.2
 */
typedef struct
{
  FleetUpdateOrder order;
  guint monitor_secs;
} FleetUpdateConfig;

void fleet_healthcheck_free (FleetHealthcheck *check);
gboolean fleet_healthcheck_is_active (const FleetHealthcheck *check);
const char *fleet_healthcheck_kind_to_string (FleetHealthcheckKind kind);
const char *fleet_update_order_to_string (FleetUpdateOrder order);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetHealthcheck, fleet_healthcheck_free)

G_END_DECLS
