/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-plan-health.c: what a plan says about a service's health check
 * and replacement order, for `fleetctl plan`.
 *
 *   "order": "start-first",
 *   "health_gate": "healthy (http :8080/healthz) within 97s, then 30s"
 *
 * The gate is what the deployment waits for before it counts as Running
 * (and, for start-first, before the old container is stopped).
 */
#include "config.h"

#include "fleet-plan-private.h"

/* "exec", "http :8080/healthz", "tcp :5432" */
static char *
describe_check (const FleetHealthcheck *check)
{
  if (check->kind == FLEET_HEALTHCHECK_HTTP)
    return g_strdup_printf ("http :%u%s", check->port, check->path ? check->path : "/");
  if (check->kind == FLEET_HEALTHCHECK_TCP)
    return g_strdup_printf ("tcp :%u", check->port);
  return g_strdup ("exec");
}

static char *
describe_gate (FleetServiceSpec *spec)
{
  const FleetHealthcheck *check = spec->healthcheck;
  guint monitor = spec->update_config.monitor_secs;
  g_autofree char *what = NULL;
  guint64 within_msecs;

  if (!fleet_healthcheck_is_active (check))
    return monitor ? g_strdup_printf ("running for %us", monitor) : NULL;
  what = describe_check (check);
  within_msecs = (guint64) check->start_period_msecs
                 + (guint64) check->retries * check->interval_msecs + check->timeout_msecs;
  if (monitor)
    return g_strdup_printf ("healthy (%s) within %" G_GUINT64_FORMAT "s, then %us", what,
                            (within_msecs + 999) / 1000, monitor);
  return g_strdup_printf ("healthy (%s) within %" G_GUINT64_FORMAT "s", what,
                          (within_msecs + 999) / 1000);
}

/**
 * fleet_plan_add_health_details:
 * @replace: whether the action replaces a container (the order applies)
 *
 * Adds "order" (a replacement that is not stop-first) and "health_gate"
 * (a service with a check or a monitor period) to an action's object.
 */
void
fleet_plan_add_health_details (JsonBuilder *builder, FleetServiceSpec *spec, gboolean replace)
{
  g_autofree char *gate = describe_gate (spec);

  /* only what differs from a plain service: plans of documents without
   * these fields read as they always did */
  if (replace && spec->update_config.order != FLEET_UPDATE_STOP_FIRST)
    {
      json_builder_set_member_name (builder, "order");
      json_builder_add_string_value (builder,
                                     fleet_update_order_to_string (spec->update_config.order));
    }
  if (gate != NULL)
    {
      json_builder_set_member_name (builder, "health_gate");
      json_builder_add_string_value (builder, gate);
    }
}

/**
 * fleet_plan_append_health_text:
 *
 * The same for people: "; order start-first; gate: healthy (exec) within 97s".
 */
void
fleet_plan_append_health_text (GString *out, FleetServiceSpec *spec, gboolean replace)
{
  g_autofree char *gate = describe_gate (spec);

  if (replace && spec->update_config.order != FLEET_UPDATE_STOP_FIRST)
    g_string_append_printf (out, "; order %s",
                            fleet_update_order_to_string (spec->update_config.order));
  if (gate != NULL)
    g_string_append_printf (out, "; gate: %s", gate);
}
