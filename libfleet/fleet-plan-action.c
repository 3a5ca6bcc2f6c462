/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-plan-action.c: one action of a plan (fleet-plan.h), a boxed type
 * so that bindings can hold and copy the actions of a FleetPlan.
 */
#include "config.h"

#include "fleet-plan.h"

G_DEFINE_BOXED_TYPE (FleetPlanAction, fleet_plan_action, fleet_plan_action_copy,
                     fleet_plan_action_free)

/**
 * fleet_plan_action_copy:
 * @action: an action of a plan
 *
 * Returns: (transfer full): a copy of @action; free it with
 *   fleet_plan_action_free()
 *
 * Since: 0.2
 */
FleetPlanAction *
fleet_plan_action_copy (const FleetPlanAction *action)
{
  FleetPlanAction *copy;

  g_return_val_if_fail (action != NULL, NULL);

  copy = g_new0 (FleetPlanAction, 1);
  copy->kind = action->kind;
  copy->deployment = g_strdup (action->deployment);
  copy->service = g_strdup (action->service);
  copy->container_id = g_strdup (action->container_id);
  copy->image = g_strdup (action->image);
  copy->spec = action->spec ? fleet_service_spec_ref (action->spec) : NULL;
  copy->previous = action->previous ? fleet_service_spec_ref (action->previous) : NULL;
  return copy;
}

/**
 * fleet_plan_action_free:
 * @action: (nullable): an action of a plan
 *
 * Free @action.
 *
 * Since: 0.2
 */
void
fleet_plan_action_free (FleetPlanAction *action)
{
  if (action == NULL)
    return;
  g_free (action->deployment);
  g_free (action->service);
  g_free (action->container_id);
  g_free (action->image);
  g_clear_pointer (&action->spec, fleet_service_spec_unref);
  g_clear_pointer (&action->previous, fleet_service_spec_unref);
  g_free (action);
}
