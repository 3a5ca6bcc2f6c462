/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-plan.h: what a reconcile pass will do, computed without side
 * effects from the recorded state, the desired document and (optionally)
 * the runtime's view.  The reconciler executes plans; `fleetctl plan` prints
 * them.
 */
#pragma once

#if !defined (__FLEET_H_INSIDE__) && !defined (FLEET_COMPILATION)
#error "Only <fleet/fleet.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "fleet-container-info.h"
#include "fleet-state.h"

G_BEGIN_DECLS

/**
 * FleetPlanActionKind:
 * @FLEET_PLAN_REMOVE_ORPHAN: stop and remove a labelled container nobody recorded
 * @FLEET_PLAN_STOP: stop and remove the recorded container of a dropped service
 * @FLEET_PLAN_PULL: pull a new image before anything of its deployment is stopped
 * @FLEET_PLAN_START: create and start a new service's container
 * @FLEET_PLAN_REPLACE: stop the recorded container, then create and start the new one
 * @FLEET_PLAN_ENSURE_RUNNING: liveness: start the stopped container again, or create the
 *   missing one
 * @FLEET_PLAN_AWAIT_COMPLETION: wait until the job just started has exited 0, before
 *   the services that depend on its completion start
 * @FLEET_PLAN_JOIN_NETWORK: put the running container of a service on its deployment's
 *   network (a container an earlier release created without one)
 * @FLEET_PLAN_REMOVE_NETWORK: remove the network of a dropped deployment, after its
 *   containers
 * @FLEET_PLAN_UNCHANGED: nothing to do (listed only in dry runs)
 *
 * What an action of a plan does.
 *
 * Since: 0.2
 */
typedef enum
{
  FLEET_PLAN_REMOVE_ORPHAN,
  FLEET_PLAN_STOP,
  FLEET_PLAN_PULL,
  FLEET_PLAN_START,
  FLEET_PLAN_REPLACE,
  FLEET_PLAN_ENSURE_RUNNING,
  FLEET_PLAN_AWAIT_COMPLETION,
  FLEET_PLAN_JOIN_NETWORK,
  FLEET_PLAN_REMOVE_NETWORK,
  FLEET_PLAN_UNCHANGED,
} FleetPlanActionKind;

/**
 * FleetPlanAction:
 * @kind: what to do
 * @deployment: (nullable): the deployment (%NULL for orphans)
 * @service: (nullable): the service (%NULL for orphans and pulls)
 * @container_id: (nullable): the recorded container acted on
 * @image: (nullable): the image pulled or started
 * @spec: (nullable): the spec to start from (START, REPLACE, ENSURE_RUNNING), or of the
 *   service joining its network (JOIN_NETWORK)
 * @previous: (nullable): for REPLACE, the spec the recorded container was
 *   created from, when the state still has it: what the replacement changes
 *
 * One action of a #FleetPlan.
 *
 * Since: 0.2
 */
typedef struct
{
  FleetPlanActionKind kind;
  char *deployment;
  char *service;
  char *container_id;
  char *image;
  FleetServiceSpec *spec;
  FleetServiceSpec *previous;
} FleetPlanAction;

GType fleet_plan_action_get_type (void) G_GNUC_CONST;
#define FLEET_TYPE_PLAN_ACTION (fleet_plan_action_get_type ())
FleetPlanAction *fleet_plan_action_copy (const FleetPlanAction *action);
void fleet_plan_action_free (FleetPlanAction *action);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetPlanAction, fleet_plan_action_free)

/**
 * FleetPlanSkipFunc:
 * @deployment: the deployment
 * @service: (nullable): the service, or %NULL when the whole deployment is
 *   meant
 * @user_data: the #FleetPlanContext's user_data
 *
 * Asked by fleet_plan_compute() whether to leave a deployment or service out
 * of the plan for now.
 *
 * Returns: %TRUE to leave it out
 *
 * Since: 0.2
 */
typedef gboolean (*FleetPlanSkipFunc) (const char *deployment, const char *service,
                                       gpointer user_data);

/**
 * FleetPlanContext:
 * @containers: (nullable) (element-type FleetContainerInfo): the runtime's
 *   view; %NULL plans without it (no liveness actions, no orphans)
 * @skip_rollout: (nullable): TRUE to leave a deployment's rollout for later
 *   (it is backing off after a failure); called with @service %NULL
 * @skip_restart: (nullable): TRUE to leave a dead service for later (crash-loop backoff)
 * @skip_deployment: (nullable): TRUE to leave a deployment out of the plan
 *   altogether, its orphans included (its earlier actions are still
 *   running); called with @service %NULL
 * @user_data: for the callbacks
 * @include_unchanged: also list UNCHANGED services
 *
 * What fleet_plan_compute() knows besides the state and the document.
 *
 * Since: 0.2
 */
typedef struct
{
  GPtrArray *containers;
  FleetPlanSkipFunc skip_rollout;
  FleetPlanSkipFunc skip_restart;
  FleetPlanSkipFunc skip_deployment;
  gpointer user_data;
  gboolean include_unchanged;
} FleetPlanContext;

/**
 * FleetPlan:
 * @actions: (element-type FleetPlanAction): the actions, in the order
 *   they are carried out
 *
 * What a reconcile pass does, computed apart from doing it: see
 * fleet_reconciler_plan() for a dry run.
 *
 * Since: 0.2
 */
typedef struct
{
  /*< public >*/
  GPtrArray *actions;
} FleetPlan;

GType fleet_plan_get_type (void) G_GNUC_CONST;
#define FLEET_TYPE_PLAN (fleet_plan_get_type ())
FleetPlan *fleet_plan_compute (FleetState *state, FleetDocument *desired,
                               const FleetPlanContext *context);
FleetPlan *fleet_plan_copy (const FleetPlan *plan);
void fleet_plan_free (FleetPlan *plan);
GPtrArray *fleet_plan_get_actions (FleetPlan *plan);
guint fleet_plan_count (FleetPlan *plan, FleetPlanActionKind kind);
const char *fleet_plan_action_kind_to_string (FleetPlanActionKind kind);
JsonNode *fleet_plan_to_json (FleetPlan *plan);
char *fleet_plan_to_text (FleetPlan *plan);
gboolean fleet_service_record_is_converged (const FleetServiceRecord *record, FleetServiceSpec *spec);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetPlan, fleet_plan_free)

G_END_DECLS
