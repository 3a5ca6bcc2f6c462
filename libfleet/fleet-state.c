/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-state.c: the agent's records, and the operations that change them.
 *
 * Every operation notes what it changed, so that fleet_state_save() can
 * persist just that (fleet-state-journal.c) instead of every record again:
 * an upgrade of n services then writes O(n) bytes, not O(n²).
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "fleet-state-private.h"
#include "fleet-util-private.h"

static void
service_record_free (gpointer data)
{
  FleetServiceRecord *record = data;

  g_free (record->container_id);
  g_free (record->spec_digest);
  g_free (record->candidate_id);
  g_free (record->candidate_digest);
  g_free (record);
}

static void
deployment_record_free (gpointer data)
{
  FleetDeploymentRecord *record = data;

  g_free (record->name);
  g_free (record->last_error);
  g_free (record->last_event_at);
  g_hash_table_unref (record->services);
  g_free (record);
}

/**
 * fleet_state_new:
 *
 * An empty state: no document, no deployments, generation -1, not persisted.
 *
 * Returns: (transfer full): the state
 *
 * Since: 0.2
 */
FleetState *
fleet_state_new (void)
{
  FleetState *state = g_new0 (FleetState, 1);

  g_atomic_ref_count_init (&state->ref);
  state->generation = -1;
  state->deployments = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                              deployment_record_free);
  state->dirty = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  state->full_save_due = TRUE;
  state->journal_fd = -1;
  return state;
}

G_DEFINE_BOXED_TYPE (FleetState, fleet_state, fleet_state_ref, fleet_state_unref)

/**
 * fleet_state_ref:
 * @state: a state
 *
 * Returns: (transfer full): @state, with one more reference
 *
 * Since: 0.2
 */
FleetState *
fleet_state_ref (FleetState *state)
{
  g_return_val_if_fail (state != NULL, NULL);

  g_atomic_ref_count_inc (&state->ref);
  return state;
}

/**
 * fleet_state_free:
 * @state: (nullable): a state
 *
 * The same as fleet_state_unref(), for a caller that holds the only
 * reference; %NULL is ignored.
 *
 * Since: 0.2
 */
void
fleet_state_free (FleetState *state)
{
  if (state != NULL)
    fleet_state_unref (state);
}

/**
 * fleet_state_unref:
 * @state: a state
 *
 * Drop a reference to @state; the last one closes its journal and frees it
 * (what was not saved is lost).
 *
 * Since: 0.2
 */
void
fleet_state_unref (FleetState *state)
{
  g_return_if_fail (state != NULL);

  if (!g_atomic_ref_count_dec (&state->ref))
    return;
  fleet_state_journal_close (state);
  g_clear_pointer (&state->desired, fleet_document_unref);
  g_clear_pointer (&state->previous, fleet_document_unref);
  g_hash_table_unref (state->deployments);
  g_hash_table_unref (state->dirty);
  g_free (state->saved_dir);
  g_free (state->saved_desired_digest);
  g_free (state->journal_base);
  g_free (state);
}

char *
fleet_state_journal_key (const char *deployment, const char *service)
{
  return service ? g_strconcat (deployment, "\002", service, NULL)
                 : g_strconcat (deployment, "\001", NULL);
}

void
fleet_state_mark_dirty (FleetState *state, const char *deployment, const char *service)
{
  g_hash_table_add (state->dirty, fleet_state_journal_key (deployment, service));
}

/**
 * fleet_state_get_generation:
 * @state: the state
 *
 * Returns: the highest generation applied, or -1
 *
 * Since: 0.2
 */
gint64
fleet_state_get_generation (FleetState *state)
{
  g_return_val_if_fail (state != NULL, -1);
  return state->generation;
}

/**
 * fleet_state_get_desired:
 * @state: the state
 *
 * Returns: (transfer none) (nullable): the last accepted document
 *
 * Since: 0.2
 */
FleetDocument *
fleet_state_get_desired (FleetState *state)
{
  g_return_val_if_fail (state != NULL, NULL);
  return state->desired;
}

/* The document desired before the last one set, as long as this state is
 * in memory: what the containers of dropped services were created from.
 * (transfer none) (nullable) */
FleetDocument *
fleet_state_get_previous_desired (FleetState *state)
{
  g_return_val_if_fail (state != NULL, NULL);
  return state->previous;
}

/**
 * fleet_state_set_desired:
 * @state: the state
 * @document: the accepted document
 *
 * Make @document the desired one, and raise the generation to its own.
 * The next save writes desired.json and every record.
 *
 * Since: 0.2
 */
void
fleet_state_set_desired (FleetState *state, FleetDocument *document)
{
  g_return_if_fail (state != NULL);
  g_return_if_fail (document != NULL);

  fleet_document_ref (document);
  g_clear_pointer (&state->previous, fleet_document_unref);
  state->previous = g_steal_pointer (&state->desired);
  state->desired = document;
  state->generation = MAX (state->generation, document->generation);
  state->full_save_due = TRUE;
}

/**
 * fleet_state_set_generation:
 * @state: the state
 * @generation: the generation
 *
 * For tests and for readers of old formats: the generation as recorded.
 *
 * Since: 0.2
 */
void
fleet_state_set_generation (FleetState *state, gint64 generation)
{
  g_return_if_fail (state != NULL);

  state->generation = generation;
  state->full_save_due = TRUE;
}

/**
 * fleet_state_lookup_deployment:
 * @state: the state
 * @name: the name
 *
 * The record of the deployment @name.
 *
 * Returns: (transfer none) (nullable): the record, valid until the state
 *   changes, or %NULL
 *
 * Since: 0.2
 */
const FleetDeploymentRecord *
fleet_state_lookup_deployment (FleetState *state, const char *name)
{
  g_return_val_if_fail (state != NULL, NULL);
  return g_hash_table_lookup (state->deployments, name);
}

/**
 * fleet_state_lookup_service:
 * @state: the state
 * @deployment: the deployment's name
 * @service: the service's name
 *
 * The record of @service in @deployment.
 *
 * Returns: (transfer none) (nullable): the record, valid until the state
 *   changes, or %NULL
 *
 * Since: 0.2
 */
const FleetServiceRecord *
fleet_state_lookup_service (FleetState *state, const char *deployment, const char *service)
{
  const FleetDeploymentRecord *record;

  g_return_val_if_fail (state != NULL, NULL);

  record = fleet_state_lookup_deployment (state, deployment);
  return record ? g_hash_table_lookup (record->services, service) : NULL;
}

FleetDeploymentRecord *
fleet_state_ensure_deployment_record (FleetState *state, const char *name)
{
  FleetDeploymentRecord *record = g_hash_table_lookup (state->deployments, name);

  if (record == NULL)
    {
      record = g_new0 (FleetDeploymentRecord, 1);
      record->name = g_strdup (name);
      record->phase = FLEET_PHASE_PENDING;
      record->services = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                service_record_free);
      g_hash_table_insert (state->deployments, record->name, record);
      fleet_state_mark_dirty (state, name, NULL);
    }
  return record;
}

FleetServiceRecord *
fleet_state_ensure_service_record (FleetDeploymentRecord *record, const char *name)
{
  FleetServiceRecord *service = g_hash_table_lookup (record->services, name);

  if (service == NULL)
    {
      service = g_new0 (FleetServiceRecord, 1);
      g_hash_table_insert (record->services, g_strdup (name), service);
    }
  return service;
}

/**
 * fleet_state_add_deployment:
 * @state: the state
 * @name: the name
 *
 * Returns: whether the deployment is new (Pending, no services)
 *
 * Since: 0.2
 */
gboolean
fleet_state_add_deployment (FleetState *state, const char *name)
{
  g_return_val_if_fail (state != NULL, FALSE);

  if (g_hash_table_contains (state->deployments, name))
    return FALSE;
  fleet_state_ensure_deployment_record (state, name);
  return TRUE;
}

static void
touch (FleetState *state, FleetDeploymentRecord *record)
{
  g_free (record->last_event_at);
  record->last_event_at = fleet_format_timestamp (NULL);
  fleet_state_mark_dirty (state, record->name, NULL);
}

/**
 * fleet_state_set_phase:
 * @state: the state
 * @deployment: the deployment's name
 * @phase: the deployment's phase
 * @last_error: (nullable): why it failed
 *
 * Set the phase and last error of @deployment, creating its record if
 * needed, and note the time when either changed.
 *
 * Returns: whether the phase changed
 *
 * Since: 0.2
 */
gboolean
fleet_state_set_phase (FleetState *state, const char *deployment, FleetPhase phase,
                       const char *last_error)
{
  FleetDeploymentRecord *record;
  gboolean changed;

  g_return_val_if_fail (state != NULL, FALSE);

  record = fleet_state_ensure_deployment_record (state, deployment);
  changed = record->phase != phase;
  if (!changed && g_strcmp0 (record->last_error, last_error) == 0)
    return FALSE;
  record->phase = phase;
  g_free (record->last_error);
  record->last_error = g_strdup (last_error);
  touch (state, record);
  return changed;
}

/**
 * fleet_state_set_last_event_at:
 * @state: the state
 * @deployment: the deployment's name
 * @timestamp: (nullable): when, in ISO 8601, or %NULL for "not known"
 *
 * For readers of the records: when the deployment last changed.
 *
 * Since: 0.2
 */
void
fleet_state_set_last_event_at (FleetState *state, const char *deployment, const char *timestamp)
{
  FleetDeploymentRecord *record;

  g_return_if_fail (state != NULL);

  record = fleet_state_ensure_deployment_record (state, deployment);
  g_free (record->last_event_at);
  record->last_event_at = g_strdup (timestamp);
  fleet_state_mark_dirty (state, deployment, NULL);
}

static FleetServiceRecord *
change_service (FleetState *state, const char *deployment, const char *service)
{
  FleetDeploymentRecord *record = fleet_state_ensure_deployment_record (state, deployment);

  touch (state, record);
  fleet_state_mark_dirty (state, deployment, service);
  return fleet_state_ensure_service_record (record, service);
}

static void
replace_string (char **field, const char *value)
{
  char *copy = g_strdup (value);

  g_free (*field);
  *field = copy;
}

/**
 * fleet_state_record_container:
 * @state: the state
 * @deployment: the deployment's name
 * @service: the service's name
 * @container_id: (nullable): the container now serving @service, or %NULL for none
 * @spec_digest: (nullable): the digest of its spec
 *
 * Since: 0.2
 */
void
fleet_state_record_container (FleetState *state, const char *deployment, const char *service,
                              const char *container_id, const char *spec_digest)
{
  FleetServiceRecord *record;

  g_return_if_fail (state != NULL);

  record = change_service (state, deployment, service);
  if (g_strcmp0 (record->container_id, container_id) != 0)
    record->completed = FALSE;
  replace_string (&record->container_id, container_id);
  replace_string (&record->spec_digest, spec_digest);
}

/**
 * fleet_state_set_completed:
 * @state: the state
 * @deployment: the deployment's name
 * @service: the service's name
 * @completed: %TRUE when it exited 0
 *
 * Whether the job's recorded container ran to completion (exit 0).
 *
 * Since: 0.2
 */
void
fleet_state_set_completed (FleetState *state, const char *deployment, const char *service,
                           gboolean completed)
{
  FleetServiceRecord *record;

  g_return_if_fail (state != NULL);

  record = change_service (state, deployment, service);
  record->completed = completed;
}

/**
 * fleet_state_record_candidate:
 * @state: the state
 * @deployment: the deployment's name
 * @service: the service's name
 * @container_id: the container's id
 * @spec_digest: (nullable): the digest of the spec the container was created from
 *
 * A new container started beside the serving one, not serving yet.
 *
 * Since: 0.2
 */
void
fleet_state_record_candidate (FleetState *state, const char *deployment, const char *service,
                              const char *container_id, const char *spec_digest)
{
  FleetServiceRecord *record;

  g_return_if_fail (state != NULL);

  record = change_service (state, deployment, service);
  replace_string (&record->candidate_id, container_id);
  replace_string (&record->candidate_digest, spec_digest);
}

/**
 * fleet_state_promote_candidate:
 * @state: the state
 * @deployment: the deployment's name
 * @service: the service's name
 *
 * The candidate serves now, in place of the old container.
 *
 * Since: 0.2
 */
void
fleet_state_promote_candidate (FleetState *state, const char *deployment, const char *service)
{
  FleetServiceRecord *record;

  g_return_if_fail (state != NULL);

  record = change_service (state, deployment, service);
  g_free (record->container_id);
  g_free (record->spec_digest);
  record->container_id = g_steal_pointer (&record->candidate_id);
  record->spec_digest = g_steal_pointer (&record->candidate_digest);
  record->completed = FALSE;
}

/**
 * fleet_state_forget_candidate:
 * @state: the state
 * @deployment: the deployment's name
 * @service: the service's name
 *
 * Drop the candidate container of @service from its record (the start-first
 * upgrade was abandoned); the serving container stays recorded.
 *
 * Since: 0.2
 */
void
fleet_state_forget_candidate (FleetState *state, const char *deployment, const char *service)
{
  FleetServiceRecord *record;

  g_return_if_fail (state != NULL);

  record = change_service (state, deployment, service);
  g_clear_pointer (&record->candidate_id, g_free);
  g_clear_pointer (&record->candidate_digest, g_free);
}

/**
 * fleet_state_forget_service:
 * @state: the state
 * @deployment: the deployment's name
 * @service: the service's name
 *
 * @service is gone from @deployment, with its containers.
 *
 * Since: 0.2
 */
void
fleet_state_forget_service (FleetState *state, const char *deployment, const char *service)
{
  FleetDeploymentRecord *record;

  g_return_if_fail (state != NULL);

  record = g_hash_table_lookup (state->deployments, deployment);
  if (record == NULL || !g_hash_table_remove (record->services, service))
    return;
  touch (state, record);
  fleet_state_mark_dirty (state, deployment, service);
}

/**
 * fleet_state_remove_deployment:
 * @state: the state
 * @name: the name
 *
 * Drop the record of the deployment @name and of all its services.
 *
 * Since: 0.2
 */
void
fleet_state_remove_deployment (FleetState *state, const char *name)
{
  FleetDeploymentRecord *record;
  GHashTableIter iter;
  gpointer service;

  g_return_if_fail (state != NULL);

  record = g_hash_table_lookup (state->deployments, name);
  if (record == NULL)
    return;
  g_hash_table_iter_init (&iter, record->services);
  while (g_hash_table_iter_next (&iter, &service, NULL))
    fleet_state_mark_dirty (state, name, service);
  fleet_state_mark_dirty (state, name, NULL);
  g_hash_table_remove (state->deployments, name);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static GPtrArray *
sorted_keys (GHashTable *table)
{
  GPtrArray *keys = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, compare_strings);
  return keys;
}

/**
 * fleet_state_get_deployment_names:
 * @state: the state
 *
 * Returns: (transfer container) (element-type utf8): the recorded
 *   deployments' names, sorted
 *
 * Since: 0.2
 */
GPtrArray *
fleet_state_get_deployment_names (FleetState *state)
{
  g_return_val_if_fail (state != NULL, NULL);
  return sorted_keys (state->deployments);
}

/**
 * fleet_state_count_services:
 * @state: the state
 *
 * Returns: how many service records there are, in all deployments
 *
 * Since: 0.2
 */
guint
fleet_state_count_services (FleetState *state)
{
  GHashTableIter iter;
  FleetDeploymentRecord *record;
  guint n = 0;

  g_return_val_if_fail (state != NULL, 0);

  g_hash_table_iter_init (&iter, state->deployments);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &record))
    n += g_hash_table_size (record->services);
  return n;
}

/**
 * fleet_deployment_record_lookup_service:
 * @record: a deployment record
 * @name: the name
 *
 * The record of the service @name in @record.
 *
 * Returns: (transfer none) (nullable): the record, or %NULL
 *
 * Since: 0.2
 */
const FleetServiceRecord *
fleet_deployment_record_lookup_service (const FleetDeploymentRecord *record, const char *name)
{
  g_return_val_if_fail (record != NULL, NULL);
  return g_hash_table_lookup (record->services, name);
}

/**
 * fleet_deployment_record_get_service_names:
 * @record: the record
 *
 * Returns: (transfer container) (element-type utf8): the recorded services'
 *   names, sorted
 *
 * Since: 0.2
 */
GPtrArray *
fleet_deployment_record_get_service_names (const FleetDeploymentRecord *record)
{
  g_return_val_if_fail (record != NULL, NULL);
  return sorted_keys (record->services);
}

/**
 * fleet_state_has_container_id:
 * @state: the state
 * @container_id: the container's id
 *
 * Whether any service record holds @container_id, serving or candidate.
 *
 * Returns: %TRUE when a record holds @container_id
 *
 * Since: 0.2
 */
gboolean
fleet_state_has_container_id (FleetState *state, const char *container_id)
{
  GHashTableIter iter;
  FleetDeploymentRecord *record;

  g_return_val_if_fail (state != NULL, FALSE);

  g_hash_table_iter_init (&iter, state->deployments);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &record))
    {
      GHashTableIter siter;
      FleetServiceRecord *service;

      g_hash_table_iter_init (&siter, record->services);
      while (g_hash_table_iter_next (&siter, NULL, (gpointer *) &service))
        if (g_strcmp0 (service->container_id, container_id) == 0
            || g_strcmp0 (service->candidate_id, container_id) == 0)
          return TRUE;
    }
  return FALSE;
}
