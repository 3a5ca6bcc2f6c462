/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-reconciler-records.c: what a reconcile pass observes and records.
 *
 * The state is changed here and in no other part of the reconciler:
 * adoption of labelled containers after a lost state file, containers
 * found dead, the phases and failures of deployments, the containers
 * started and forgotten, and the documents accepted.  Every change is
 * persisted before the action that depends on it runs (fleet-state.c
 * makes that cheap); a change that cannot be persisted stops the pass.
 */
#include "config.h"

#include "fleet-plan-private.h"
#include "fleet-reconciler-private.h"
#include "fleet-util-private.h"

/* Logging: one structured line per action, at debug level: a program
 * using the library gets nothing on its stderr; fleetd raises these records
 * (by their FLEET_ACTION field) to what they mean to an operator. */
void
fleet_reconciler_log_action (const char *action, const char *deployment, const char *service,
                             const char *container_id, const char *detail)
{
  g_autofree char *short_id = container_id ? g_strndup (container_id, 12) : NULL;

  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_DEBUG,
                    "FLEET_ACTION", action,
                    "FLEET_DEPLOYMENT", deployment ? deployment : "",
                    "FLEET_SERVICE", service ? service : "",
                    "FLEET_CONTAINER_ID", container_id ? container_id : "",
                    "MESSAGE", "action=%s deployment=%s service=%s container=%s %s",
                    action, deployment ? deployment : "-", service ? service : "-",
                    short_id ? short_id : "-", detail ? detail : "");
}

#define log_action fleet_reconciler_log_action

/* Persist what changed.  Returns: FALSE when it could not be: the error is
 * logged once while it lasts and reported in the status, and the caller
 * must not act on the change as if it were on disk. */
gboolean
fleet_reconciler_save_state (FleetReconciler *self)
{
  g_autoptr(GError) error = NULL;

  if (self->state_dir == NULL)
    return TRUE;
  if (fleet_state_save (self->state, self->state_dir, &error))
    {
      if (self->persist_error != NULL)
        {
          log_action ("persist", NULL, NULL, NULL, "result=ok (recovered)");
          g_clear_pointer (&self->persist_error, g_free);
          g_signal_emit_by_name (self, "changed");
        }
      return TRUE;
    }
  if (g_strcmp0 (self->persist_error, error->message) != 0)
    {
      g_autofree char *quoted = fleet_log_quote (error->message);
      g_autofree char *detail = g_strdup_printf ("result=error error=%s", quoted);

      log_action ("persist", NULL, NULL, NULL, detail);
      g_free (self->persist_error);
      self->persist_error = g_strdup (error->message);
      g_signal_emit_by_name (self, "changed");
    }
  return FALSE;
}

void
fleet_reconciler_set_phase (FleetReconciler *self, const char *deployment, FleetPhase phase,
                            const char *error_message)
{
  if (fleet_state_set_phase (self->state, deployment, phase, error_message))
    g_signal_emit_by_name (self, "deployment-phase-changed", deployment,
                           fleet_phase_to_string (phase));
}

static FleetPhase
compute_phase (FleetReconciler *self)
{
  g_autoptr(GPtrArray) names = fleet_state_get_deployment_names (self->state);
  FleetPhase phase = FLEET_PHASE_RUNNING;

  if (fleet_state_get_desired (self->state) == NULL)
    return FLEET_PHASE_PENDING;
  for (guint i = 0; i < names->len; i++)
    {
      const FleetDeploymentRecord *record = fleet_state_lookup_deployment (self->state,
                                                                           names->pdata[i]);

      if (record->phase == FLEET_PHASE_FAILED)
        return FLEET_PHASE_FAILED;
      if (record->phase == FLEET_PHASE_PENDING)
        phase = FLEET_PHASE_PENDING;
    }
  return phase;
}

void
fleet_reconciler_update_phase (FleetReconciler *self)
{
  FleetPhase phase = compute_phase (self);

  if (phase != self->phase)
    {
      self->phase = phase;
      g_object_notify (G_OBJECT (self), "phase");
    }
}

void
fleet_reconciler_emit_changed (FleetReconciler *self)
{
  fleet_reconciler_update_phase (self);
  g_signal_emit_by_name (self, "changed");
}

void
fleet_reconciler_fail_deployment (FleetPass *pass, const char *deployment, const char *message)
{
  FleetReconciler *self = pass->self;
  guint delay = fleet_restart_policy_rollout_failed (self->policy, deployment);
  g_autofree char *quoted = fleet_log_quote (message);
  g_autofree char *detail = g_strdup_printf ("error=%s retry_in=%ums", quoted, delay);

  g_hash_table_add (pass->failed, g_strdup (deployment));
  fleet_reconciler_set_phase (self, deployment, FLEET_PHASE_FAILED, message);
  log_action ("failed", deployment, NULL, NULL, detail);
  pass->changed = TRUE;
  fleet_reconciler_save_state (self);
}

/* Record @container_id (or none) as the container of @action's service.
 * Returns: whether that is on disk */
gboolean
fleet_reconciler_record_container (FleetPass *pass, FleetPlanAction *action,
                                   const char *container_id, const char *digest)
{
  FleetReconciler *self = pass->self;
  const FleetServiceRecord *service = fleet_state_lookup_service (self->state, action->deployment,
                                                                  action->service);

  /* A container of another spec starts with a clean crash-loop record:
   * the old version's crashes say nothing about the new one. */
  if (service == NULL || g_strcmp0 (service->spec_digest, digest) != 0)
    fleet_restart_policy_forget_service (self->policy, action->deployment, action->service);
  fleet_state_record_container (self->state, action->deployment, action->service, container_id,
                                digest);
  pass->changed = TRUE;
  return fleet_reconciler_save_state (self);
}

/* @action's service is gone; so is its deployment when the document has
 * it no more and this was its last service.  Returns: whether that is on
 * disk */
gboolean
fleet_reconciler_forget_service (FleetPass *pass, FleetPlanAction *action)
{
  FleetReconciler *self = pass->self;
  const FleetDeploymentRecord *record = fleet_state_lookup_deployment (self->state,
                                                                       action->deployment);
  FleetDocument *desired = fleet_state_get_desired (self->state);

  if (record == NULL)
    return TRUE;
  fleet_state_forget_service (self->state, action->deployment, action->service);
  fleet_restart_policy_forget_service (self->policy, action->deployment, action->service);
  if (g_hash_table_size (record->services) == 0 && desired
      && fleet_document_lookup_deployment (desired, action->deployment) == NULL)
    {
      fleet_state_remove_deployment (self->state, action->deployment);
      fleet_restart_policy_forget_deployment (self->policy, action->deployment);
      log_action ("removed", action->deployment, NULL, NULL, "reason=\"dropped deployment\"");
    }
  pass->changed = TRUE;
  return fleet_reconciler_save_state (self);
}

static gboolean
deployment_changed (FleetDeploymentSpec *before, FleetDeploymentSpec *deployment)
{
  if (before == NULL || before->services->len != deployment->services->len)
    return TRUE;
  for (guint j = 0; j < deployment->services->len; j++)
    {
      FleetServiceSpec *spec = deployment->services->pdata[j];
      FleetServiceSpec *prev = fleet_deployment_spec_lookup_service (before, spec->name);

      if (prev == NULL || !g_str_equal (prev->digest, spec->digest))
        return TRUE;
    }
  return FALSE;
}

/**
 * fleet_reconciler_accept_document:
 *
 * Make @document the desired one and persist it, and mark the deployments
 * it changes Pending with a fresh backoff.  A document that cannot be
 * persisted is not accepted: the state stays as it was, so that no
 * container of it can run before a restart would know of it.
 *
 * Returns: FALSE with the error when it could not be persisted
 */
gboolean
fleet_reconciler_accept_document (FleetReconciler *self, FleetDocument *document, GError **error)
{
  FleetDocument *current = fleet_state_get_desired (self->state);
  g_autoptr(FleetDocument) old = current ? fleet_document_ref (current) : NULL;
  g_autoptr(GPtrArray) recorded = NULL;

  /* desired.json first: nothing of the new document may happen before it
   * is on disk, or a restart would not know what is running. */
  if (self->state_dir != NULL
      && !fleet_state_save_desired (self->state, document, self->state_dir, error))
    {
      g_autofree char *quoted = fleet_log_quote ((*error)->message);
      g_autofree char *detail = g_strdup_printf ("result=error error=%s", quoted);

      log_action ("persist", NULL, NULL, NULL, detail);
      g_free (self->persist_error);
      self->persist_error = g_strdup ((*error)->message);
      g_prefix_error (error, "cannot persist the document, not applying it: ");
      return FALSE;
    }
  for (guint i = 0; i < document->deployments->len; i++)
    {
      FleetDeploymentSpec *deployment = document->deployments->pdata[i];
      FleetDeploymentSpec *before = old ? fleet_document_lookup_deployment (old, deployment->name)
                                        : NULL;
      gboolean known = fleet_state_lookup_deployment (self->state, deployment->name) != NULL;

      if (known && !deployment_changed (before, deployment))
        continue;
      fleet_restart_policy_forget_deployment (self->policy, deployment->name);
      if (fleet_state_add_deployment (self->state, deployment->name))
        g_signal_emit_by_name (self, "deployment-phase-changed", deployment->name,
                               fleet_phase_to_string (FLEET_PHASE_PENDING));
      fleet_reconciler_set_phase (self, deployment->name, FLEET_PHASE_PENDING, NULL);
    }
  /* A newer document ends the retries of what it drops: it is stopped now,
   * not when its old backoff runs out. */
  recorded = fleet_state_get_deployment_names (self->state);
  for (guint i = 0; i < recorded->len; i++)
    if (fleet_document_lookup_deployment (document, recorded->pdata[i]) == NULL)
      fleet_restart_policy_forget_deployment (self->policy, recorded->pdata[i]);
  fleet_state_set_desired (self->state, document);
  log_action ("accept", NULL, NULL, NULL, document->digest);
  fleet_reconciler_save_state (self);
  fleet_reconciler_emit_changed (self);
  return TRUE;
}

/* Plan callbacks. */

gboolean
fleet_reconciler_skip_rollout (const char *deployment, const char *service, gpointer user_data)
{
  FleetReconciler *self = user_data;
  gint64 due_at;

  if (!fleet_restart_policy_rollout_waiting (self->policy, deployment, g_get_monotonic_time (),
                                             &due_at))
    return FALSE;
  fleet_reconciler_note_wakeup (self, due_at);
  return TRUE;
}

gboolean
fleet_reconciler_skip_restart (const char *deployment, const char *service, gpointer user_data)
{
  FleetReconciler *self = user_data;
  gint64 due_at;

  if (!fleet_restart_policy_restart_waiting (self->policy, deployment, service,
                                             g_get_monotonic_time (), &due_at))
    return FALSE;
  fleet_reconciler_note_wakeup (self, due_at);
  return TRUE;
}

gboolean
fleet_reconciler_skip_busy (const char *deployment, const char *service, gpointer user_data)
{
  return fleet_executor_is_busy (user_data, deployment);
}

static gboolean
left_alone (FleetPass *pass, const char *deployment)
{
  if (!fleet_executor_is_busy (pass->self, deployment))
    return FALSE;
  g_hash_table_add (pass->busy, g_strdup (deployment));
  return TRUE;
}

static FleetContainerInfo *
best_for_adoption (FleetReconciler *self, GPtrArray *containers, const char *deployment,
                   FleetServiceSpec *spec)
{
  FleetContainerInfo *best = NULL;
  int best_score = -1;

  for (guint k = 0; k < containers->len; k++)
    {
      FleetContainerInfo *info = containers->pdata[k];
      int score;

      if (g_strcmp0 (info->deployment, deployment) != 0
          || g_strcmp0 (info->service, spec->name) != 0
          || fleet_state_has_container_id (self->state, info->id))
        continue;
      score = (g_strcmp0 (info->spec_digest, spec->digest) == 0 ? 2 : 0)
              + (info->state == FLEET_CONTAINER_STATE_RUNNING ? 1 : 0);
      if (score > best_score)
        best = info, best_score = score;
    }
  return best;
}

/* After a lost state file: take over labelled containers for services with
 * no recorded container, preferring one created from the desired digest. */
void
fleet_reconciler_adopt_containers (FleetPass *pass, GPtrArray *containers)
{
  FleetReconciler *self = pass->self;
  FleetDocument *desired = fleet_state_get_desired (self->state);
  gboolean adopted = FALSE;

  for (guint i = 0; desired && i < desired->deployments->len; i++)
    {
      FleetDeploymentSpec *deployment = desired->deployments->pdata[i];

      if (left_alone (pass, deployment->name))
        continue;
      for (guint j = 0; j < deployment->services->len; j++)
        {
          FleetServiceSpec *spec = deployment->services->pdata[j];
          const FleetServiceRecord *service =
            fleet_state_lookup_service (self->state, deployment->name, spec->name);
          FleetContainerInfo *best;

          if (service && service->container_id)
            continue;
          best = best_for_adoption (self, containers, deployment->name, spec);
          if (best == NULL)
            continue;
          fleet_state_record_container (self->state, deployment->name, spec->name, best->id,
                                        best->spec_digest);
          adopted = pass->changed = TRUE;
          log_action ("adopted", deployment->name, spec->name, best->id,
                      g_strcmp0 (best->spec_digest, spec->digest) == 0
                        ? "reason=\"labelled with the desired digest\""
                        : "reason=\"labelled container of an older spec\"");
        }
    }
  if (adopted)
    fleet_reconciler_save_state (self);
}

/* The deployments whose rollout this pass will attempt; a retry that is
 * due is consumed here (a new failure schedules the next one). */
void
fleet_reconciler_note_attempted (FleetPass *pass)
{
  FleetReconciler *self = pass->self;
  g_autoptr(GPtrArray) recorded = fleet_state_get_deployment_names (self->state);
  FleetDocument *desired = fleet_state_get_desired (self->state);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();

  for (guint i = 0; desired && i < desired->deployments->len; i++)
    g_ptr_array_add (names, ((FleetDeploymentSpec *) desired->deployments->pdata[i])->name);
  for (guint i = 0; i < recorded->len; i++)
    g_ptr_array_add (names, recorded->pdata[i]);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];

      if (left_alone (pass, name) || fleet_reconciler_skip_rollout (name, NULL, self))
        continue;
      if (g_hash_table_add (pass->attempted, g_strdup (name)))
        fleet_restart_policy_rollout_attempted (self->policy, name);
    }
}

/* The runtime could not be asked: whatever was due to be rolled out (or
 * retried) has failed again and backs off further; what was running is left
 * as it was recorded. */
void
fleet_reconciler_fail_pending_deployments (FleetPass *pass)
{
  FleetReconciler *self = pass->self;
  g_autoptr(GPtrArray) names = fleet_state_get_deployment_names (self->state);
  g_autofree char *message = g_strdup_printf ("container runtime: %s", pass->error->message);

  for (guint i = 0; i < names->len; i++)
    {
      const FleetDeploymentRecord *record = fleet_state_lookup_deployment (self->state,
                                                                           names->pdata[i]);

      if (record->phase != FLEET_PHASE_RUNNING && !left_alone (pass, names->pdata[i])
          && !fleet_reconciler_skip_rollout (names->pdata[i], NULL, self))
        fleet_reconciler_fail_deployment (pass, names->pdata[i], message);
    }
}

static char *
describe_dead (FleetServiceSpec *spec, const FleetServiceRecord *service,
               FleetContainerInfo *info)
{
  if (info == NULL)
    return g_strdup_printf ("%s: container %.12s is missing", spec->name,
                            service->container_id);
  return g_strdup_printf ("%s: container %.12s is not running (%s, exit code %d)", spec->name,
                          info->id, fleet_container_state_to_string (info->state),
                          info->exit_code);
}

/* Running means every service running at its desired digest: a service
 * whose recorded container is found exited or missing makes its deployment
 * Failed, even though this pass starts it again, until a later pass finds
 * it up — so that a crash loop never looks healthy. */
void
fleet_reconciler_note_dead_containers (FleetPass *pass, GPtrArray *containers)
{
  FleetReconciler *self = pass->self;
  FleetDocument *desired = fleet_state_get_desired (self->state);
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < containers->len; i++)
    g_hash_table_insert (by_id, ((FleetContainerInfo *) containers->pdata[i])->id,
                         containers->pdata[i]);
  for (guint i = 0; desired && i < desired->deployments->len; i++)
    {
      FleetDeploymentSpec *deployment = desired->deployments->pdata[i];
      const FleetDeploymentRecord *record = fleet_state_lookup_deployment (self->state,
                                                                           deployment->name);

      if (record == NULL || left_alone (pass, deployment->name))
        continue;
      for (guint j = 0; j < deployment->services->len; j++)
        {
          FleetServiceSpec *spec = deployment->services->pdata[j];
          const FleetServiceRecord *service = fleet_deployment_record_lookup_service (record,
                                                                                      spec->name);
          FleetContainerInfo *info;
          g_autofree char *message = NULL;
          g_autofree char *quoted = NULL;
          g_autofree char *detail = NULL;

          if (!fleet_service_record_is_converged (service, spec))
            continue;
          info = g_hash_table_lookup (by_id, service->container_id);
          if (info && info->state == FLEET_CONTAINER_STATE_RUNNING)
            continue;
          /* A job that ran to completion is done, not dead. */
          if (fleet_plan_job_completed (spec, info))
            {
              if (!service->completed)
                {
                  fleet_state_set_completed (self->state, deployment->name, spec->name, TRUE);
                  pass->changed = TRUE;
                }
              continue;
            }
          g_hash_table_add (pass->unhealthy, g_strdup (service->container_id));
          if (record->phase == FLEET_PHASE_FAILED)
            continue;
          message = describe_dead (spec, service, info);
          quoted = fleet_log_quote (message);
          detail = g_strdup_printf ("reason=%s", quoted);
          log_action ("unhealthy", deployment->name, spec->name, service->container_id, detail);
          fleet_reconciler_set_phase (self, deployment->name, FLEET_PHASE_FAILED, message);
          pass->changed = TRUE;
        }
    }
}

/* Whether every service runs a container of its spec that this pass did
 * not find dead (one replaced since, by a new id, counts as alive). */
static gboolean
deployment_converged (FleetPass *pass, FleetDeploymentSpec *deployment)
{
  for (guint j = 0; j < deployment->services->len; j++)
    {
      FleetServiceSpec *spec = deployment->services->pdata[j];
      const FleetServiceRecord *service =
        fleet_state_lookup_service (pass->self->state, deployment->name, spec->name);

      if (!fleet_service_record_is_converged (service, spec)
          || g_hash_table_contains (pass->unhealthy, service->container_id)
          || !fleet_reconciler_is_healthy (pass->self, spec, service->container_id))
        return FALSE;
    }
  return TRUE;
}

/* Phases of the deployments whose rollout ran without failure. */
void
fleet_reconciler_finalize_phases (FleetPass *pass)
{
  FleetReconciler *self = pass->self;
  FleetDocument *desired = fleet_state_get_desired (self->state);

  for (guint i = 0; desired && i < desired->deployments->len; i++)
    {
      FleetDeploymentSpec *deployment = desired->deployments->pdata[i];
      const FleetDeploymentRecord *record;

      if (g_hash_table_contains (pass->failed, deployment->name)
          || !g_hash_table_contains (pass->attempted, deployment->name)
          || !deployment_converged (pass, deployment))
        continue;
      record = fleet_state_lookup_deployment (self->state, deployment->name);
      if (record == NULL || record->phase != FLEET_PHASE_RUNNING)
        {
          fleet_reconciler_set_phase (self, deployment->name, FLEET_PHASE_RUNNING, NULL);
          log_action ("converged", deployment->name, NULL, NULL, NULL);
          pass->changed = TRUE;
        }
      fleet_restart_policy_rollout_succeeded (self->policy, deployment->name);
    }
}
