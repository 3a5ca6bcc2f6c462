/* fleet-state.h: what the agent knows and persists: the last applied
 * document, the generation high-water mark, and per deployment its phase,
 * last error and the container id recorded for each service.
 */
#pragma once

#include "fleet-document.h"
#include "fleet-phase.h"

G_BEGIN_DECLS

/**
 * FleetServiceRecord:
 * @container_id: (nullable): the container the agent started for the service
 * @spec_digest: (nullable): the digest of the spec that container was created from
 */
typedef struct
{
  char *container_id;
  char *spec_digest;
} FleetServiceRecord;

/**
 * FleetDeploymentRecord:
 * @name: the deployment
 * @phase: its phase
 * @last_error: (nullable): the error of the last failed action
 * @last_event_at: (nullable): when the phase or a container last changed (ISO 8601)
 * @services: (element-type utf8 FleetServiceRecord): service name -> record
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
 * @generation: the highest generation applied, or -1
 * @desired: (nullable): the last applied document
 * @deployments: (element-type utf8 FleetDeploymentRecord): name -> record
 *
 * Allocate with fleet_state_new() only: the state keeps private
 * bookkeeping beyond these members.
 */
typedef struct
{
  gint64 generation;
  FleetDocument *desired;
  GHashTable *deployments;
} FleetState;

/* The state directory holds two files: the records, rewritten after every
 * change, and the desired document, written once when it is accepted. */
#define FLEET_STATE_FILE_NAME "state.json"
#define FLEET_STATE_DESIRED_FILE_NAME "desired.json"

FleetState *fleet_state_new (void);
void fleet_state_free (FleetState *state);
FleetDeploymentRecord *fleet_state_lookup_deployment (FleetState *state, const char *name);
FleetDeploymentRecord *fleet_state_ensure_deployment (FleetState *state, const char *name);
void fleet_state_remove_deployment (FleetState *state, const char *name);
GPtrArray *fleet_state_get_deployment_names (FleetState *state);
FleetServiceRecord *fleet_deployment_record_lookup_service (FleetDeploymentRecord *record,
                                                            const char *name);
FleetServiceRecord *fleet_deployment_record_ensure_service (FleetDeploymentRecord *record,
                                                            const char *name);
GPtrArray *fleet_deployment_record_get_service_names (FleetDeploymentRecord *record);
gboolean fleet_state_has_container_id (FleetState *state, const char *container_id);

GBytes *fleet_state_serialize (FleetState *state);
FleetState *fleet_state_deserialize (GBytes *bytes, GBytes *desired, GError **error);
gboolean fleet_state_save (FleetState *state, const char *state_dir, GError **error);
FleetState *fleet_state_load (const char *state_dir, GError **error);
FleetState *fleet_state_load_document (const char *state_dir, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetState, fleet_state_free)

G_END_DECLS
