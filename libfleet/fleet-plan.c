/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-plan.c: compute the actions of a reconcile pass.
 *
 * Identity is what the agent recorded: a service is converged when its
 * record holds a container id created from the desired digest.  The runtime's
 * view only tells whether that recorded container is still running (liveness)
 * and which labelled containers nobody recorded (orphans); what the runtime
 * reports about env, volumes or image never makes a container "changed".
 *
 * Order: orphans, dropped deployments, then per deployment (by name): its
 * dropped services (dependants before their dependencies), the pulls of all its new images (so that nothing is
 * stopped before every image is there), starts and replacements in document
 * order, and liveness restarts (and the network a running container of an
 * earlier release has yet to join).  A dropped deployment's network goes
 * after its containers.
 */
#include "config.h"

#include "fleet-plan-private.h"
#include "fleet-service-ops.h"
#include "fleet-state-private.h"

static FleetPlanAction *
add_action (FleetPlan *plan, FleetPlanActionKind kind, const char *deployment,
            const char *service, const char *container_id, FleetServiceSpec *spec)
{
  FleetPlanAction *action = g_new0 (FleetPlanAction, 1);

  action->kind = kind;
  action->deployment = g_strdup (deployment);
  action->service = g_strdup (service);
  action->container_id = g_strdup (container_id);
  if (spec)
    {
      action->spec = fleet_service_spec_ref (spec);
      action->image = g_strdup (spec->image);
    }
  g_ptr_array_add (plan->actions, action);
  return action;
}

/**
 * fleet_service_record_is_converged:
 * @record: a deployment record
 * @spec: the service spec
 *
 * Whether the recorded container was created from @spec: identity is what the
 * agent recorded, never what the runtime reports.
 *
 * Returns: %TRUE when @record holds a container created from @spec's digest
 *
 * Since: 0.2
 */
gboolean
fleet_service_record_is_converged (const FleetServiceRecord *record, FleetServiceSpec *spec)
{
  g_return_val_if_fail (spec != NULL, FALSE);

  return record != NULL && record->container_id != NULL
         && g_strcmp0 (record->spec_digest, spec->digest) == 0;
}

/* Lookups a plan makes for every service and every container, indexed
 * once so that planning stays linear in the number of services. */
typedef struct
{
  GHashTable *containers; /* id -> FleetContainerInfo, or NULL without a runtime view */
  GHashTable *recorded;   /* ids the state records */
} PlanIndex;

static void
plan_index_init (PlanIndex *index, FleetState *state, const FleetPlanContext *ctx)
{
  GHashTableIter iter;
  FleetDeploymentRecord *record;

  index->containers = NULL;
  if (ctx->containers)
    {
      index->containers = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint i = 0; i < ctx->containers->len; i++)
        {
          FleetContainerInfo *info = ctx->containers->pdata[i];

          g_hash_table_insert (index->containers, info->id, info);
        }
    }
  index->recorded = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_iter_init (&iter, state->deployments);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &record))
    {
      GHashTableIter siter;
      FleetServiceRecord *service;

      g_hash_table_iter_init (&siter, record->services);
      while (g_hash_table_iter_next (&siter, NULL, (gpointer *) &service))
        {
          if (service->container_id)
            g_hash_table_add (index->recorded, service->container_id);
          if (service->candidate_id)
            g_hash_table_add (index->recorded, service->candidate_id);
        }
    }
}

static void
plan_index_clear (PlanIndex *index)
{
  g_clear_pointer (&index->containers, g_hash_table_unref);
  g_clear_pointer (&index->recorded, g_hash_table_unref);
}

/* A deployment whose previous actions are still running is left alone. */
static gboolean
skip_deployment (const FleetPlanContext *context, const char *deployment)
{
  return context->skip_deployment
         && context->skip_deployment (deployment, NULL, context->user_data);
}

static void
plan_orphans (FleetPlan *plan, const PlanIndex *index, const FleetPlanContext *context)
{
  if (context->containers == NULL)
    return;
  for (guint i = 0; i < context->containers->len; i++)
    {
      FleetContainerInfo *info = context->containers->pdata[i];

      if (info->deployment != NULL && !g_hash_table_contains (index->recorded, info->id)
          && !skip_deployment (context, info->deployment))
        add_action (plan, FLEET_PLAN_REMOVE_ORPHAN, info->deployment, info->service, info->id,
                    NULL);
    }
}

/* The document the recorded containers were created from: the state's own
 * in a dry run, the one before @desired once @desired was accepted. */
static FleetDocument *
applied_before (FleetState *state, FleetDocument *desired)
{
  FleetDocument *current = fleet_state_get_desired (state);

  return current != desired ? current : fleet_state_get_previous_desired (state);
}

/* Dependants first, as the applied document has them (@applied). */
static void
plan_dropped_services (FleetPlan *plan, const FleetDeploymentRecord *record,
                       FleetDeploymentSpec *deployment, FleetDocument *applied)
{
  g_autoptr(GPtrArray) names = fleet_deployment_record_get_service_names (record);

  fleet_plan_order_stops (applied ? fleet_document_lookup_deployment (applied, record->name)
                                  : NULL,
                          names);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      const FleetServiceRecord *service = fleet_deployment_record_lookup_service (record, name);

      if (deployment && fleet_deployment_spec_lookup_service (deployment, name))
        continue;
      add_action (plan, FLEET_PLAN_STOP, record->name, name, service->container_id, NULL);
    }
}

/* Returns: (transfer container): the names of the services it starts */
static GHashTable *
plan_rollout (FleetPlan *plan, FleetDeploymentSpec *deployment,
              const FleetDeploymentRecord *record)
{
  GHashTable *started = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) changed = g_ptr_array_new ();
  g_autoptr(GPtrArray) ordered = NULL;
  g_autoptr(GHashTable) images = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < deployment->services->len; i++)
    {
      FleetServiceSpec *spec = deployment->services->pdata[i];
      const FleetServiceRecord *service =
        record ? fleet_deployment_record_lookup_service (record, spec->name) : NULL;

      if (!fleet_service_record_is_converged (service, spec))
        g_ptr_array_add (changed, spec);
    }
  fleet_plan_add_jobs_to_rerun (deployment, record, changed);
  ordered = fleet_plan_order_services (deployment, changed);
  for (guint i = 0; i < ordered->len; i++)
    {
      FleetServiceSpec *spec = ordered->pdata[i];

      if (g_hash_table_add (images, spec->image))
        add_action (plan, FLEET_PLAN_PULL, deployment->name, NULL, NULL, spec);
    }
  for (guint i = 0; i < ordered->len; i++)
    {
      FleetServiceSpec *spec = ordered->pdata[i];
      const FleetServiceRecord *service =
        record ? fleet_deployment_record_lookup_service (record, spec->name) : NULL;

      if (service && service->container_id)
        add_action (plan, FLEET_PLAN_REPLACE, deployment->name, spec->name,
                    service->container_id, spec);
      else
        add_action (plan, FLEET_PLAN_START, deployment->name, spec->name, NULL, spec);
      if (fleet_plan_is_awaited (ordered, spec->name))
        add_action (plan, FLEET_PLAN_AWAIT_COMPLETION, deployment->name, spec->name, NULL, spec);
      g_hash_table_add (started, spec->name);
    }
  return started;
}

static void
plan_liveness (FleetPlan *plan, FleetDeploymentSpec *deployment,
               const FleetDeploymentRecord *record, GHashTable *started,
               const PlanIndex *index, const FleetPlanContext *ctx)
{
  for (guint i = 0; i < deployment->services->len; i++)
    {
      FleetServiceSpec *spec = deployment->services->pdata[i];
      const FleetServiceRecord *service =
        record ? fleet_deployment_record_lookup_service (record, spec->name) : NULL;
      FleetContainerInfo *info;

      if (!fleet_service_record_is_converged (service, spec)
          || (started != NULL && g_hash_table_contains (started, spec->name)))
        continue;
      info = index->containers ? g_hash_table_lookup (index->containers, service->container_id)
                               : NULL;
      if (info && info->state == FLEET_CONTAINER_STATE_RUNNING
          && _fleet_service_needs_to_join (spec, info))
        {
          add_action (plan, FLEET_PLAN_JOIN_NETWORK, deployment->name, spec->name,
                      service->container_id, spec);
          continue;
        }
      if (ctx->containers == NULL || (info && info->state == FLEET_CONTAINER_STATE_RUNNING)
          || fleet_plan_job_completed (spec, info))
        {
          if (ctx->include_unchanged)
            add_action (plan, FLEET_PLAN_UNCHANGED, deployment->name, spec->name,
                        service->container_id, spec);
          continue;
        }
      if (ctx->skip_restart && ctx->skip_restart (deployment->name, spec->name, ctx->user_data))
        continue;
      add_action (plan, FLEET_PLAN_ENSURE_RUNNING, deployment->name, spec->name,
                  service->container_id, spec);
    }
}

/* What each replacement changes, for people reading a plan: the spec of the
 * applied document, if the recorded container was created from it. */
static void
plan_note_previous_specs (FleetPlan *plan, FleetState *state)
{
  FleetDocument *applied = fleet_state_get_desired (state);

  for (guint i = 0; applied != NULL && i < plan->actions->len; i++)
    {
      FleetPlanAction *action = plan->actions->pdata[i];
      const FleetServiceRecord *service;
      FleetServiceSpec *old_spec;

      if (action->kind != FLEET_PLAN_REPLACE
          || (old_spec = fleet_document_lookup_service (applied, action->deployment,
                                                        action->service)) == NULL
          || (service = fleet_state_lookup_service (state, action->deployment,
                                                    action->service)) == NULL
          || g_strcmp0 (service->spec_digest, old_spec->digest) != 0)
        continue;
      action->previous = fleet_service_spec_ref (old_spec);
    }
}

/**
 * fleet_plan_compute:
 * @state: what the agent recorded
 * @desired: (nullable): the desired document; %NULL means "not known yet":
 *   nothing is started or stopped, only liveness of what is recorded
 * @context: the runtime's view and the backoff callbacks
 *
 * Returns: (transfer full): the plan
 *
 * Since: 0.2
 */
FleetPlan *
fleet_plan_compute (FleetState *state, FleetDocument *desired, const FleetPlanContext *context)
{
  FleetPlan *plan;
  g_autoptr(GPtrArray) recorded = NULL;
  PlanIndex index;

  g_return_val_if_fail (state != NULL, NULL);

  plan = g_new0 (FleetPlan, 1);
  recorded = fleet_state_get_deployment_names (state);
  plan->actions = g_ptr_array_new_with_free_func ((GDestroyNotify) fleet_plan_action_free);
  if (desired == NULL)
    return plan;

  plan_index_init (&index, state, context);
  plan_orphans (plan, &index, context);
  for (guint i = 0; i < recorded->len; i++)
    {
      const char *name = recorded->pdata[i];

      if (fleet_document_lookup_deployment (desired, name) == NULL
          && !skip_deployment (context, name)
          && !(context->skip_rollout && context->skip_rollout (name, NULL, context->user_data)))
        {
          plan_dropped_services (plan, fleet_state_lookup_deployment (state, name), NULL,
                                 applied_before (state, desired));
          add_action (plan, FLEET_PLAN_REMOVE_NETWORK, name, NULL, NULL, NULL);
        }
    }
  for (guint i = 0; i < desired->deployments->len; i++)
    {
      FleetDeploymentSpec *deployment = desired->deployments->pdata[i];
      const FleetDeploymentRecord *record = fleet_state_lookup_deployment (state,
                                                                           deployment->name);
      g_autoptr(GHashTable) started = NULL;

      if (skip_deployment (context, deployment->name))
        continue;
      if (!(context->skip_rollout
            && context->skip_rollout (deployment->name, NULL, context->user_data)))
        {
          if (record)
            plan_dropped_services (plan, record, deployment, applied_before (state, desired));
          started = plan_rollout (plan, deployment, record);
        }
      plan_liveness (plan, deployment, record, started, &index, context);
    }
  plan_index_clear (&index);
  plan_note_previous_specs (plan, state);
  return plan;
}

G_DEFINE_BOXED_TYPE (FleetPlan, fleet_plan, fleet_plan_copy, fleet_plan_free)

/**
 * fleet_plan_copy:
 * @plan: a plan
 *
 * A deep copy of @plan: the same actions, copied.
 *
 * Returns: (transfer full): the copy; free it with fleet_plan_free()
 *
 * Since: 0.2
 */
FleetPlan *
fleet_plan_copy (const FleetPlan *plan)
{
  FleetPlan *copy;

  g_return_val_if_fail (plan != NULL, NULL);

  copy = g_new0 (FleetPlan, 1);
  copy->actions = g_ptr_array_new_full (plan->actions->len,
                                        (GDestroyNotify) fleet_plan_action_free);
  for (guint i = 0; i < plan->actions->len; i++)
    g_ptr_array_add (copy->actions, fleet_plan_action_copy (plan->actions->pdata[i]));
  return copy;
}

/**
 * fleet_plan_get_actions:
 * @plan: a plan
 *
 * The actions of @plan, in the order they are carried out.
 *
 * Returns: (transfer none) (element-type FleetPlanAction): the actions
 *
 * Since: 0.2
 */
GPtrArray *
fleet_plan_get_actions (FleetPlan *plan)
{
  g_return_val_if_fail (plan != NULL, NULL);

  return plan->actions;
}

/**
 * fleet_plan_free:
 * @plan: (nullable): a plan
 *
 * Free @plan and its actions.
 *
 * Since: 0.2
 */
void
fleet_plan_free (FleetPlan *plan)
{
  if (plan == NULL)
    return;
  g_ptr_array_unref (plan->actions);
  g_free (plan);
}

/**
 * fleet_plan_count:
 * @plan: the plan
 * @kind: the kind of action
 *
 * How many actions of @kind @plan has.
 *
 * Returns: the number of such actions
 *
 * Since: 0.2
 */
guint
fleet_plan_count (FleetPlan *plan, FleetPlanActionKind kind)
{
  guint n = 0;

  g_return_val_if_fail (plan != NULL, 0);

  for (guint i = 0; i < plan->actions->len; i++)
    if (((FleetPlanAction *) plan->actions->pdata[i])->kind == kind)
      n++;
  return n;
}

/**
 * fleet_plan_action_kind_to_string:
 * @kind: the kind of action
 *
 * The kind as plans print it.
 *
 * Returns: "remove-orphan", "stop", "pull", "start", ...
 *
 * Since: 0.2
 */
const char *
fleet_plan_action_kind_to_string (FleetPlanActionKind kind)
{
  switch (kind)
    {
    case FLEET_PLAN_REMOVE_ORPHAN:
      return "remove-orphan";
    case FLEET_PLAN_STOP:
      return "stop";
    case FLEET_PLAN_PULL:
      return "pull";
    case FLEET_PLAN_START:
      return "start";
    case FLEET_PLAN_REPLACE:
      return "replace";
    case FLEET_PLAN_ENSURE_RUNNING:
      return "ensure-running";
    case FLEET_PLAN_AWAIT_COMPLETION:
      return "await-completion";
    case FLEET_PLAN_JOIN_NETWORK:
      return "join-network";
    case FLEET_PLAN_REMOVE_NETWORK:
      return "remove-network";
    case FLEET_PLAN_UNCHANGED:
    default:
      return "unchanged";
    }
}

static void
add_nullable (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  if (value)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

/* "on-failure:3" */
static char *
restart_to_string (FleetServiceSpec *spec)
{
  if (spec->restart == FLEET_SERVICE_RESTART_ON_FAILURE && spec->restart_max_retries > 0)
    return g_strdup_printf ("on-failure:%u", spec->restart_max_retries);
  return g_strdup (fleet_service_restart_to_string (spec->restart));
}

/* What a service to be started will do differently from a plain one: its
 * restart policy, what it waits for and, for a replacement, why. */
static void
add_service_details (JsonBuilder *builder, FleetPlanAction *action)
{
  g_autofree char *restart = restart_to_string (action->spec);

  json_builder_set_member_name (builder, "restart");
  json_builder_add_string_value (builder, restart);
  json_builder_set_member_name (builder, "depends_on");
  json_builder_begin_array (builder);
  for (guint i = 0; i < action->spec->depends_on->len; i++)
    {
      FleetServiceDependency *dependency = action->spec->depends_on->pdata[i];

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "service");
      json_builder_add_string_value (builder, dependency->service);
      json_builder_set_member_name (builder, "condition");
      json_builder_add_string_value (builder,
                                     fleet_dependency_condition_to_string (dependency->condition));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  if (action->kind != FLEET_PLAN_REPLACE)
    return;
  json_builder_set_member_name (builder, "changes");
  if (action->previous != NULL)
    {
      g_auto(GStrv) changes = fleet_service_spec_changed_fields (action->previous, action->spec);

      json_builder_begin_array (builder);
      for (guint i = 0; changes[i] != NULL; i++)
        json_builder_add_string_value (builder, changes[i]);
      json_builder_end_array (builder);
    }
  else
    json_builder_add_null_value (builder);
}

/**
 * fleet_plan_to_json:
 * @plan: the plan
 *
 * Returns: (transfer full): `{"actions": [{"action": "replace",
 *   "deployment": ..., "service": ..., "container_id": ..., "image": ...}]}`;
 *   actions that start a container add its `restart` policy, its
 *   `depends_on` ([{"service": ..., "condition": ...}]), its `health_gate`
 *   (fleet-plan-health.c), and for a replacement its `order` and
 *   replacement the `changes` that make it one (the service's fields that
 *   differ, and "lifecycle"), or %NULL when the old spec is not known
 *
 * Since: 0.2
 */
JsonNode *
fleet_plan_to_json (FleetPlan *plan)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (plan != NULL, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "actions");
  json_builder_begin_array (builder);
  for (guint i = 0; i < plan->actions->len; i++)
    {
      FleetPlanAction *action = plan->actions->pdata[i];

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "action");
      json_builder_add_string_value (builder, fleet_plan_action_kind_to_string (action->kind));
      add_nullable (builder, "deployment", action->deployment);
      add_nullable (builder, "service", action->service);
      add_nullable (builder, "container_id", action->container_id);
      add_nullable (builder, "image", action->image);
      if (action->spec != NULL && action->kind != FLEET_PLAN_PULL)
        {
          add_service_details (builder, action);
          fleet_plan_add_health_details (builder, action->spec,
                                         action->kind == FLEET_PLAN_REPLACE);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* For people, a second line under the action's:
 * "          changed: image, cpus; restart no; after migrate (completed), db\n",
 * or "" for a plain service. */
static char *
describe_details (FleetPlanAction *action)
{
  GString *out = g_string_new (NULL);
  g_autofree char *restart = NULL;
  GPtrArray *depends_on;

  if (action->spec == NULL
      || (action->kind != FLEET_PLAN_START && action->kind != FLEET_PLAN_REPLACE))
    return g_string_free (out, FALSE);
  if (action->previous != NULL)
    {
      g_auto(GStrv) changes = fleet_service_spec_changed_fields (action->previous, action->spec);
      g_autofree char *list = g_strjoinv (", ", changes);

      g_string_append_printf (out, "; changed: %s", list);
    }
  if (action->spec->restart != FLEET_SERVICE_RESTART_ALWAYS)
    {
      restart = restart_to_string (action->spec);
      g_string_append_printf (out, "; restart %s", restart);
    }
  depends_on = action->spec->depends_on;
  for (guint i = 0; i < depends_on->len; i++)
    {
      FleetServiceDependency *dependency = depends_on->pdata[i];

      g_string_append_printf (out, "%s%s%s", i == 0 ? "; after " : ", ", dependency->service,
                              dependency->condition
                                      == FLEET_DEPENDENCY_SERVICE_COMPLETED_SUCCESSFULLY
                                  ? " (completed)"
                                  : "");
    }
  fleet_plan_append_health_text (out, action->spec, action->kind == FLEET_PLAN_REPLACE);
  if (out->len > 0)
    {
      g_string_erase (out, 0, 2);
      g_string_prepend (out, "          ");
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

/**
 * fleet_plan_to_text:
 * @plan: the plan
 *
 * Returns: (transfer full): one line per action, for people
 *
 * Since: 0.2
 */
char *
fleet_plan_to_text (FleetPlan *plan)
{
  GString *out;

  g_return_val_if_fail (plan != NULL, NULL);

  out = g_string_new (NULL);
  for (guint i = 0; i < plan->actions->len; i++)
    {
      FleetPlanAction *action = plan->actions->pdata[i];
      g_autofree char *short_id = action->container_id ? g_strndup (action->container_id, 12)
                                                       : NULL;
      g_autofree char *details = describe_details (action);

      switch (action->kind)
        {
        case FLEET_PLAN_PULL:
          g_string_append_printf (out, "pull      %s  %s\n", action->deployment, action->image);
          break;
        case FLEET_PLAN_START:
          g_string_append_printf (out, "start     %s/%s  %s\n%s", action->deployment,
                                  action->service, action->image, details);
          break;
        case FLEET_PLAN_REPLACE:
          g_string_append_printf (out, "replace   %s/%s  %s -> %s\n%s", action->deployment,
                                  action->service, short_id, action->image, details);
          break;
        case FLEET_PLAN_STOP:
          g_string_append_printf (out, "stop      %s/%s  %s\n", action->deployment,
                                  action->service, short_id ? short_id : "(no container)");
          break;
        case FLEET_PLAN_REMOVE_ORPHAN:
          g_string_append_printf (out, "remove    %s  (orphan of %s)\n", short_id,
                                  action->deployment);
          break;
        case FLEET_PLAN_ENSURE_RUNNING:
          g_string_append_printf (out, "restart   %s/%s  %s\n", action->deployment,
                                  action->service, short_id);
          break;
        case FLEET_PLAN_AWAIT_COMPLETION:
          g_string_append_printf (out, "await     %s/%s  (runs to completion, exit 0)\n",
                                  action->deployment, action->service);
          break;
        case FLEET_PLAN_JOIN_NETWORK:
          g_string_append_printf (out, "join      %s/%s  %s  (network fleet-%s)\n",
                                  action->deployment, action->service, short_id,
                                  action->deployment);
          break;
        case FLEET_PLAN_REMOVE_NETWORK:
          g_string_append_printf (out, "remove    network fleet-%s\n", action->deployment);
          break;
        case FLEET_PLAN_UNCHANGED:
        default:
          g_string_append_printf (out, "unchanged %s/%s  %s\n", action->deployment,
                                  action->service, short_id);
          break;
        }
    }
  return g_string_free (out, FALSE);
}
