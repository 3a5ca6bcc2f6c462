/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-state.h: what the agent knows and persists: the last applied
 * document, the generation high-water mark, and per deployment its phase,
 * last error and the containers recorded for each service.
 *
 * FleetState is opaque and changed only through the operations below, so
 * that each change can be persisted on its own (see fleet_state_save()).
 * The records it hands out are read-only views, valid until the next
 * change of the state.
 */
#pragma once

#if !defined (__FLEET_H_INSIDE__) && !defined (FLEET_COMPILATION)
#error "Only <fleet/fleet.h> can be included directly."
#endif

#include "fleet-document.h"
#include "fleet-phase.h"

G_BEGIN_DECLS

/**
 * FleetServiceRecord:
 * @container_id: (nullable): the container the agent started for the service
 * @spec_digest: (nullable): the digest of the spec that container was created from
 * @candidate_id: (nullable): a new container started beside @container_id
 *   (a start-first upgrade), not yet serving in its place
 * @candidate_digest: (nullable): the digest of @candidate_id's spec
 * @completed: a one-shot job whose container @container_id ran to completion
 *   and exited 0
 *
 * Read-only: change it with the fleet_state_*() operations.
 *
 * Since: 0.2
 */
typedef struct
{
  char *container_id;
  char *spec_digest;
  char *candidate_id;
  char *candidate_digest;
  gboolean completed;
} FleetServiceRecord;

/**
 * FleetDeploymentRecord:
 * @name: the deployment
 * @phase: its phase
 * @last_error: (nullable): the error of the last failed action
 * @last_event_at: (nullable): when the phase or a container last changed (ISO 8601)
 * @services: (element-type utf8 FleetServiceRecord): service name -> record
 *
 * Read-only: change it with the fleet_state_*() operations.
 *
 * Since: 0.2
 */
typedef struct
{
  char *name;
  FleetPhase phase;
  char *last_error;
  char *last_event_at;
  GHashTable *services;
} FleetDeploymentRecord;

/**
 * FleetState:
 *
 * What the agent knows and persists: the last applied document, the
 * generation high-water mark, and the records of its deployments and
 * services.  Reference counted.
 *
 * Since: 0.2
 */
typedef struct _FleetState FleetState;

/* The state directory holds the records, rewritten as a whole now and
 * then; a journal of the changes since, appended to after every change;
 * and the desired document, written once when it is accepted. */
/**
 * FLEET_STATE_FILE_NAME:
 *
 * The file of the state directory holding the records.
 *
 * Since: 0.2
 */
#define FLEET_STATE_FILE_NAME "state.json"
/**
 * FLEET_STATE_JOURNAL_FILE_NAME:
 *
 * The file of the state directory holding the changes to the records since
 * they were last written.
 *
 * Since: 0.2
 */
#define FLEET_STATE_JOURNAL_FILE_NAME "state.journal"
/**
 * FLEET_STATE_DESIRED_FILE_NAME:
 *
 * The file of the state directory holding the desired document.
 *
 * Since: 0.2
 */
#define FLEET_STATE_DESIRED_FILE_NAME "desired.json"

GType fleet_state_get_type (void) G_GNUC_CONST;
#define FLEET_TYPE_STATE (fleet_state_get_type ())
FleetState *fleet_state_new (void);
FleetState *fleet_state_ref (FleetState *state);
void fleet_state_unref (FleetState *state);
void fleet_state_free (FleetState *state);

gint64 fleet_state_get_generation (FleetState *state);
FleetDocument *fleet_state_get_desired (FleetState *state);
const FleetDeploymentRecord *fleet_state_lookup_deployment (FleetState *state, const char *name);
const FleetServiceRecord *fleet_state_lookup_service (FleetState *state, const char *deployment,
                                                      const char *service);
GPtrArray *fleet_state_get_deployment_names (FleetState *state);
guint fleet_state_count_services (FleetState *state);
const FleetServiceRecord *fleet_deployment_record_lookup_service (
  const FleetDeploymentRecord *record, const char *name);
GPtrArray *fleet_deployment_record_get_service_names (const FleetDeploymentRecord *record);
gboolean fleet_state_has_container_id (FleetState *state, const char *container_id);

/* Operations. */
void fleet_state_set_desired (FleetState *state, FleetDocument *document);
void fleet_state_set_generation (FleetState *state, gint64 generation);
gboolean fleet_state_add_deployment (FleetState *state, const char *name);
gboolean fleet_state_set_phase (FleetState *state, const char *deployment, FleetPhase phase,
                                const char *last_error);
void fleet_state_set_last_event_at (FleetState *state, const char *deployment,
                                    const char *timestamp);
void fleet_state_record_container (FleetState *state, const char *deployment,
                                   const char *service, const char *container_id,
                                   const char *spec_digest);
void fleet_state_record_candidate (FleetState *state, const char *deployment,
                                   const char *service, const char *container_id,
                                   const char *spec_digest);
void fleet_state_promote_candidate (FleetState *state, const char *deployment,
                                    const char *service);
void fleet_state_forget_candidate (FleetState *state, const char *deployment,
                                   const char *service);
void fleet_state_set_completed (FleetState *state, const char *deployment, const char *service,
                                gboolean completed);
void fleet_state_forget_service (FleetState *state, const char *deployment, const char *service);
void fleet_state_remove_deployment (FleetState *state, const char *name);

/* Persistence. */
GBytes *fleet_state_serialize (FleetState *state);
FleetState *fleet_state_deserialize (GBytes *bytes, GBytes *desired, GError **error);
gboolean fleet_state_save (FleetState *state, const char *state_dir, GError **error);
gboolean fleet_state_save_desired (FleetState *state, FleetDocument *document,
                                   const char *state_dir, GError **error);
gboolean fleet_state_compact (FleetState *state, const char *state_dir, GError **error);
FleetState *fleet_state_load (const char *state_dir, GError **error);
FleetState *fleet_state_load_document (const char *state_dir, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetState, fleet_state_unref)

G_END_DECLS
