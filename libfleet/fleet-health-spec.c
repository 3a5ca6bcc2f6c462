/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-health-spec.c: the health check and replacement order value types
 * (fleet-document-health.c builds them).
 */
#include "config.h"

#include "fleet-health-spec.h"

/**
 * fleet_healthcheck_free:
 * @check: (nullable): a health check
 *
 * Since: 0.2
 */
void
fleet_healthcheck_free (FleetHealthcheck *check)
{
  if (check == NULL)
    return;
  g_strfreev (check->test);
  g_free (check->path);
  g_free (check);
}

/**
 * fleet_healthcheck_is_active:
 * @check: (nullable): a service's health check
 *
 * Returns: whether there is a check to run
 *
 * Since: 0.2
 */
gboolean
fleet_healthcheck_is_active (const FleetHealthcheck *check)
{
  return check != NULL && check->kind != FLEET_HEALTHCHECK_NONE;
}

/**
 * fleet_healthcheck_kind_to_string:
 * @kind: the kind
 *
 * Returns: "exec", "http" or "tcp"
 *
 * Since: 0.2
 */
const char *
fleet_healthcheck_kind_to_string (FleetHealthcheckKind kind)
{
  switch (kind)
    {
    case FLEET_HEALTHCHECK_HTTP:
      return "http";
    case FLEET_HEALTHCHECK_TCP:
      return "tcp";
    case FLEET_HEALTHCHECK_NONE:
      return "none";
    case FLEET_HEALTHCHECK_EXEC:
    default:
      return "exec";
    }
}

/**
 * fleet_update_order_to_string:
 * @order: the order
 *
 * Returns: the order as the document writes it
 *
 * Since: 0.2
 */
const char *
fleet_update_order_to_string (FleetUpdateOrder order)
{
  return order == FLEET_UPDATE_START_FIRST ? "start-first" : "stop-first";
}
