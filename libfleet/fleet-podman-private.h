/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-podman-private.h: the pieces FleetPodmanRuntime is built from, each
 * in its own file: the HTTP plumbing to podman's libpod REST API
 * (fleet-podman-client.c), the create request built from a service spec
 * (fleet-podman-spec.c), the container reports read from podman's answers
 * (fleet-podman-info.c), the died-event stream (fleet-podman-events.c), the
 * one-request operations (fleet-podman-ops.c) and the stop
 * (fleet-podman-stop.c), on the plumbing fleet-podman-runtime.c shares.
 * Not installed; the leading underscores keep these out of libfleet's ABI.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "fleet-container-info.h"
#include "fleet-error.h"
#include "fleet-podman-runtime.h"
#include "fleet-service-spec.h"

G_BEGIN_DECLS

/* The libpod API version every path is prefixed with.  Podman 4.x answers
 * this version; a newer podman still serves it. */
#define FLEET_PODMAN_API_PREFIX "/v4.0.0/libpod"

/* How long an ordinary request may take before podman counts as hung. */
#define FLEET_PODMAN_REQUEST_TIMEOUT_SECS 60

/* fleet-podman-client.c */

/**
 * FleetPodmanResponse:
 * @status: the HTTP status
 * @body: the raw body
 *
 * Read the body as JSON with _fleet_podman_response_get_json(); it is parsed
 * on demand because not every answer is one JSON value (pull streams JSON
 * lines).
 */
typedef struct
{
  guint status;
  GBytes *body;
  /*< private >*/
  JsonNode *json;
  gboolean json_parsed;
} FleetPodmanResponse;

void _fleet_podman_response_free (FleetPodmanResponse *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetPodmanResponse, _fleet_podman_response_free)

JsonNode *_fleet_podman_response_get_json (FleetPodmanResponse *response);
gboolean _fleet_podman_response_is_success (FleetPodmanResponse *response);
gboolean _fleet_podman_response_is_not_found (FleetPodmanResponse *response);
gboolean _fleet_podman_response_is_name_conflict (FleetPodmanResponse *response);
gboolean _fleet_podman_response_check (FleetPodmanResponse *response, FleetError code,
                                       GError **error);
char *_fleet_podman_response_describe_error (FleetPodmanResponse *response);

#define FLEET_TYPE_PODMAN_CLIENT (_fleet_podman_client_get_type ())
G_DECLARE_FINAL_TYPE (FleetPodmanClient, _fleet_podman_client, FLEET, PODMAN_CLIENT, GObject)

FleetPodmanClient *_fleet_podman_client_new (const char *socket_path);
const char *_fleet_podman_client_get_socket_path (FleetPodmanClient *self);
guint64 _fleet_podman_client_get_request_count (FleetPodmanClient *self);

void _fleet_podman_client_request_async (FleetPodmanClient *self, const char *method,
                                         const char *path, JsonNode *body, guint timeout_secs,
                                         GCancellable *cancellable, GAsyncReadyCallback callback,
                                         gpointer user_data);
void _fleet_podman_client_request_with_header_async (FleetPodmanClient *self, const char *method,
                                                     const char *path, const char *header,
                                                     const char *value, guint timeout_secs,
                                                     GCancellable *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer user_data);
FleetPodmanResponse *_fleet_podman_client_request_finish (FleetPodmanClient *self,
                                                          GAsyncResult *result, GError **error);

void _fleet_podman_client_open_stream_async (FleetPodmanClient *self, const char *path,
                                             GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data);
GInputStream *_fleet_podman_client_open_stream_finish (FleetPodmanClient *self,
                                                       GAsyncResult *result, GError **error);

/* fleet-podman-spec.c */

JsonNode *_fleet_podman_spec_to_create_json (const char *name, FleetServiceSpec *spec,
                                             GHashTable *labels);

/* fleet-podman-info.c */

const char *_fleet_podman_json_get_string (JsonObject *object, const char *member);
JsonObject *_fleet_podman_json_get_object (JsonObject *object, const char *member);
FleetContainerState _fleet_podman_parse_state (const char *state);
FleetContainerInfo *_fleet_podman_info_from_inspect (JsonNode *node, GError **error);
GPtrArray *_fleet_podman_info_list_from_json (JsonNode *node, GError **error);
guint _fleet_podman_inspect_get_stop_timeout (JsonNode *node);
int _fleet_podman_inspect_get_stop_signal (JsonNode *node);
gboolean _fleet_podman_inspect_has_restart_policy (JsonNode *node);
char *_fleet_podman_pull_get_error (GBytes *body);

/* fleet-podman-runtime.c: what every operation needs */

FleetPodmanClient *_fleet_podman_runtime_get_client (FleetPodmanRuntime *self);
GTask *_fleet_podman_runtime_new_task (FleetPodmanRuntime *self, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data,
                                       gpointer source_tag);
void _fleet_podman_runtime_send (GTask *task, const char *method, const char *path,
                                 JsonNode *body, guint timeout_secs, GCancellable *cancellable,
                                 GAsyncReadyCallback callback);
FleetPodmanResponse *_fleet_podman_runtime_receive (GObject *source, GAsyncResult *result,
                                                    GError **error);
void _fleet_podman_return_error (GTask *task, GError *error, const char *format, ...)
    G_GNUC_PRINTF (3, 4);
char *_fleet_podman_container_path (const char *id, const char *suffix);
char *_fleet_podman_describe (const char *id_or_name);
gboolean _fleet_podman_response_check_container (FleetPodmanResponse *response,
                                                 FleetError code, GError **error);

/* fleet-podman-ops.c */

void _fleet_podman_pull_image (FleetContainerRuntime *runtime, const char *image,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data);
void _fleet_podman_create (FleetContainerRuntime *runtime, const char *name,
                           FleetServiceSpec *spec, GHashTable *labels, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data);
void _fleet_podman_start (FleetContainerRuntime *runtime, const char *id,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data);
void _fleet_podman_remove (FleetContainerRuntime *runtime, const char *id, gboolean force,
                           GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data);
void _fleet_podman_inspect (FleetContainerRuntime *runtime, const char *id,
                            GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data);
void _fleet_podman_list (FleetContainerRuntime *runtime, const char *label,
                         GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data);
void _fleet_podman_rename (FleetContainerRuntime *runtime, const char *id, const char *new_name,
                           GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data);
void _fleet_podman_unpause (FleetContainerRuntime *runtime, const char *id,
                            GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data);
gboolean _fleet_podman_finish_boolean (FleetContainerRuntime *runtime, GAsyncResult *result,
                                       GError **error);
char *_fleet_podman_finish_id (FleetContainerRuntime *runtime, GAsyncResult *result,
                               GError **error);
FleetContainerInfo *_fleet_podman_finish_info (FleetContainerRuntime *runtime,
                                               GAsyncResult *result, GError **error);
GPtrArray *_fleet_podman_finish_list (FleetContainerRuntime *runtime, GAsyncResult *result,
                                      GError **error);

/* fleet-podman-health.c */

void _fleet_podman_add_healthconfig (JsonBuilder *builder, FleetServiceSpec *spec);
void _fleet_podman_run_healthcheck (FleetContainerRuntime *runtime, const char *id,
                                    const FleetHealthcheck *check, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);
gboolean _fleet_podman_run_healthcheck_finish (FleetContainerRuntime *runtime,
                                               GAsyncResult *result, gboolean *out_passed,
                                               char **out_output, GError **error);

/* fleet-podman-stop.c */

void _fleet_podman_stop (FleetContainerRuntime *runtime, const char *id, int signal,
                         int grace_secs, GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data);

/* fleet-podman-network.c */

void _fleet_podman_network_ensure (FleetContainerRuntime *runtime, const char *name,
                                   GHashTable *labels, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
gboolean _fleet_podman_network_ensure_finish (FleetContainerRuntime *runtime,
                                              GAsyncResult *result, gboolean *out_dns_enabled,
                                              GError **error);
void _fleet_podman_network_connect (FleetContainerRuntime *runtime, const char *network,
                                    const char *id, const char *const *aliases,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data);
void _fleet_podman_network_disconnect (FleetContainerRuntime *runtime, const char *network,
                                       const char *id, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data);
void _fleet_podman_network_remove (FleetContainerRuntime *runtime, const char *name,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data);
void _fleet_podman_create_on_network (FleetContainerRuntime *runtime, const char *name,
                                      FleetServiceSpec *spec, GHashTable *labels,
                                      const char *network, const char *const *aliases,
                                      GCancellable *cancellable, GAsyncReadyCallback callback,
                                      gpointer user_data);
void _fleet_podman_create_json_set_network (JsonNode *create, const char *network,
                                            const char *const *aliases);
char **_fleet_podman_networks_from_inspect (JsonObject *inspect);
char **_fleet_podman_networks_from_list_entry (JsonObject *entry);

/* fleet-podman-registry-auth.c */

char *_fleet_podman_registry_auth_header (const char *auth_json, gsize length, GError **error);
void _fleet_podman_pull_image_with_auth (FleetContainerRuntime *runtime, const char *image,
                                         const char *auth_file, const char *path,
                                         guint timeout_secs, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);

/* fleet-podman-events.c */

typedef void (*FleetPodmanDiedFunc) (const char *container_id, const char *deployment,
                                     const char *service, gpointer user_data);

#define FLEET_TYPE_PODMAN_EVENTS (_fleet_podman_events_get_type ())
G_DECLARE_FINAL_TYPE (FleetPodmanEvents, _fleet_podman_events, FLEET, PODMAN_EVENTS, GObject)

FleetPodmanEvents *_fleet_podman_events_new (FleetPodmanClient *client, FleetPodmanDiedFunc func,
                                             gpointer user_data);
void _fleet_podman_events_start (FleetPodmanEvents *self);
void _fleet_podman_events_stop (FleetPodmanEvents *self);
gboolean _fleet_podman_events_parse_died (const char *line, char **out_id, char **out_deployment,
                                          char **out_service);

G_END_DECLS
