/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-podman-runtime.h: the FleetContainerRuntime that drives podman,
 * through its libpod REST API on a unix socket.
 */
#pragma once

#if !defined (__FLEET_H_INSIDE__) && !defined (FLEET_COMPILATION)
#error "Only <fleet/fleet.h> can be included directly."
#endif

#include "fleet-container-runtime.h"

G_BEGIN_DECLS

/**
 * FleetPodmanRuntime:
 *
 * A #FleetContainerRuntime talking to podman's REST API over its Unix socket.
 *
 * Since: 0.2
 */
#define FLEET_TYPE_PODMAN_RUNTIME (fleet_podman_runtime_get_type ())
G_DECLARE_FINAL_TYPE (FleetPodmanRuntime, fleet_podman_runtime, FLEET, PODMAN_RUNTIME, GObject)

/* Where a system-wide podman listens (podman.socket). */
/**
 * FLEET_PODMAN_DEFAULT_SOCKET:
 *
 * The path of podman's API socket when none is given.
 *
 * Since: 0.2
 */
#define FLEET_PODMAN_DEFAULT_SOCKET "/run/podman/podman.sock"

FleetPodmanRuntime *fleet_podman_runtime_new (const char *socket_path);
const char *fleet_podman_runtime_get_socket_path (FleetPodmanRuntime *self);
guint64 fleet_podman_runtime_get_request_count (FleetPodmanRuntime *self);
void fleet_podman_runtime_set_registry_auth_file (FleetPodmanRuntime *self, const char *path);
const char *fleet_podman_runtime_get_registry_auth_file (FleetPodmanRuntime *self);

G_END_DECLS
