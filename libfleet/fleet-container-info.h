/* fleet-container-info.h: what a runtime reports about one container. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * FleetContainerState:
 * @FLEET_CONTAINER_STATE_UNKNOWN: a state fleet has no name for
 * @FLEET_CONTAINER_STATE_CREATED: created, never started
 * @FLEET_CONTAINER_STATE_RUNNING: running (or paused: it exists and holds its process)
 * @FLEET_CONTAINER_STATE_EXITED: stopped, exited or dead
 */
typedef enum
{
  FLEET_CONTAINER_STATE_UNKNOWN,
  FLEET_CONTAINER_STATE_CREATED,
  FLEET_CONTAINER_STATE_RUNNING,
  FLEET_CONTAINER_STATE_EXITED,
} FleetContainerState;

GType fleet_container_state_get_type (void) G_GNUC_CONST;
#define FLEET_TYPE_CONTAINER_STATE (fleet_container_state_get_type ())

/**
 * FleetContainerInfo:
 * @id: the container id (64 hex characters)
 * @name: the container name
 * @deployment: (nullable): its fleet.deployment label
 * @service: (nullable): its fleet.service label
 * @spec_digest: (nullable): its fleet.spec-digest label
 * @image: (nullable): the image it was created from
 * @state: its state
 * @exit_code: the exit code of its last run, when @state is EXITED
 */
typedef struct
{
  /*< private >*/
  gatomicrefcount ref;
  /*< public >*/
  char *id;
  char *name;
  char *deployment;
  char *service;
  char *spec_digest;
  char *image;
  FleetContainerState state;
  int exit_code;
} FleetContainerInfo;

GType fleet_container_info_get_type (void) G_GNUC_CONST;
#define FLEET_TYPE_CONTAINER_INFO (fleet_container_info_get_type ())

FleetContainerInfo *fleet_container_info_new (const char *id, const char *name);
FleetContainerInfo *fleet_container_info_ref (FleetContainerInfo *info);
void fleet_container_info_unref (FleetContainerInfo *info);
const char *fleet_container_state_to_string (FleetContainerState state);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetContainerInfo, fleet_container_info_unref)

/* Labels the agent puts on every container it creates. */
#define FLEET_LABEL_DEPLOYMENT "fleet.deployment"
#define FLEET_LABEL_SERVICE "fleet.service"
#define FLEET_LABEL_SPEC_DIGEST "fleet.spec-digest"

G_END_DECLS
