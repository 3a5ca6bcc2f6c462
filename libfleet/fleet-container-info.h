/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-container-info.h: what a runtime reports about one container. */
#pragma once

#if !defined (__FLEET_H_INSIDE__) && !defined (FLEET_COMPILATION)
#error "Only <fleet/fleet.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * FleetContainerState:
 * @FLEET_CONTAINER_STATE_UNKNOWN: a state fleet has no name for
 * @FLEET_CONTAINER_STATE_CREATED: created (or initialized), not running: never started, or
 *   left there by a start that failed
 * @FLEET_CONTAINER_STATE_RUNNING: running
 * @FLEET_CONTAINER_STATE_EXITED: stopped, exited or dead
 * @FLEET_CONTAINER_STATE_PAUSED: frozen: it holds its process, which does not run
 *
 * The state of a container, as podman reports it.
 *
 * Since: 0.2
 */
typedef enum
{
  FLEET_CONTAINER_STATE_UNKNOWN,
  FLEET_CONTAINER_STATE_CREATED,
  FLEET_CONTAINER_STATE_RUNNING,
  FLEET_CONTAINER_STATE_EXITED,
  FLEET_CONTAINER_STATE_PAUSED,
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
 * @labels: (element-type utf8 utf8): all its labels, never %NULL; set them with
 *   fleet_container_info_set_label(), which keeps the three members above in step
 * @networks: (nullable) (array zero-terminated=1): the networks it is on, sorted, or
 *   %NULL when the runtime did not say
 * @restart_count: how often the runtime restarted it by its own restart policy
 *
 * What a container runtime reports about one container.
 *
 * Since: 0.2
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
  GHashTable *labels;
  char **networks;
  guint restart_count;
} FleetContainerInfo;

GType fleet_container_info_get_type (void) G_GNUC_CONST;
#define FLEET_TYPE_CONTAINER_INFO (fleet_container_info_get_type ())

FleetContainerInfo *fleet_container_info_new (const char *id, const char *name);
FleetContainerInfo *fleet_container_info_copy (const FleetContainerInfo *info);
FleetContainerInfo *fleet_container_info_ref (FleetContainerInfo *info);
void fleet_container_info_unref (FleetContainerInfo *info);
void fleet_container_info_set_label (FleetContainerInfo *info, const char *key,
                                     const char *value);
const char *fleet_container_info_get_label (const FleetContainerInfo *info, const char *key);
gboolean fleet_container_info_matches_label (const FleetContainerInfo *info, const char *filter);
const char *fleet_container_state_to_string (FleetContainerState state);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetContainerInfo, fleet_container_info_unref)

/* Labels the agent puts on every container it creates. */
/**
 * FLEET_LABEL_DEPLOYMENT:
 *
 * The container label naming the deployment a container belongs to.
 *
 * Since: 0.2
 */
#define FLEET_LABEL_DEPLOYMENT "fleet.deployment"
/**
 * FLEET_LABEL_SERVICE:
 *
 * The container label naming the service a container runs.
 *
 * Since: 0.2
 */
#define FLEET_LABEL_SERVICE "fleet.service"
/**
 * FLEET_LABEL_SPEC_DIGEST:
 *
 * The container label holding the digest of the spec a container was created
 * from.
 *
 * Since: 0.2
 */
#define FLEET_LABEL_SPEC_DIGEST "fleet.spec-digest"

G_END_DECLS
