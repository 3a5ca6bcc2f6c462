/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-podman-harness.h: a private, real podman for integration tests. */
#pragma once

#include <json-glib/json-glib.h>

#include <fleet.h>

G_BEGIN_DECLS

typedef struct _FleetPodmanHarness FleetPodmanHarness;

FleetPodmanHarness *fleet_podman_harness_get (GError **error);
FleetPodmanHarness *fleet_podman_harness_require (void);
void fleet_podman_harness_shutdown (void);

const char *fleet_podman_harness_get_socket (FleetPodmanHarness *h);
const char *fleet_podman_harness_get_dir (FleetPodmanHarness *h);

gboolean fleet_podman_harness_podman (FleetPodmanHarness *h, char **out_stdout, GError **error,
                                      const char *first_arg, ...) G_GNUC_NULL_TERMINATED;
GBytes *fleet_podman_harness_request (FleetPodmanHarness *h, const char *method, const char *path,
                                      guint *out_status, GError **error);
JsonNode *fleet_podman_harness_get_json (FleetPodmanHarness *h, const char *path);
GPtrArray *fleet_podman_harness_events (FleetPodmanHarness *h, const char *event);
int fleet_podman_harness_exit_code (FleetPodmanHarness *h, const char *container_id);
guint fleet_podman_harness_count_events (FleetPodmanHarness *h, const char *event,
                                         const char *container_name);
gboolean fleet_podman_harness_hold_name (FleetPodmanHarness *h, const char *name,
                                         const char *image, GError **error);
void fleet_podman_harness_reset (FleetPodmanHarness *h);
void fleet_podman_harness_wait_for_signal_handlers (FleetPodmanHarness *h, const char *id);

G_END_DECLS
