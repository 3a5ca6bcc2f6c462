/* fleet-podman-private.h: the pieces FleetPodmanRuntime is built from, each
 * in its own file: the HTTP plumbing to podman's libpod REST API
 * (fleet-podman-client.c), the create request built from a service spec
 * (fleet-podman-spec.c), the container reports read from podman's answers
 * (fleet-podman-info.c) and the died-event stream (fleet-podman-events.c).
 * Not installed; the leading underscores keep these out of libfleet's ABI.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "fleet-container-info.h"
#include "fleet-error.h"
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
FleetPodmanResponse *_fleet_podman_client_request_finish (FleetPodmanClient *self,
                                                          GAsyncResult *result, GError **error);

void _fleet_podman_client_open_stream_async (FleetPodmanClient *self, const char *path,
                                             GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data);
GInputStream *_fleet_podman_client_open_stream_finish (FleetPodmanClient *self,
                                                       GAsyncResult *result, GError **error);

/* fleet-podman-spec.c */

JsonNode *_fleet_podman_spec_to_create_json (FleetServiceSpec *spec);

/* fleet-podman-info.c */

const char *_fleet_podman_json_get_string (JsonObject *object, const char *member);
JsonObject *_fleet_podman_json_get_object (JsonObject *object, const char *member);
FleetContainerState _fleet_podman_parse_state (const char *state);
FleetContainerInfo *_fleet_podman_info_from_inspect (JsonNode *node, GError **error);
GPtrArray *_fleet_podman_info_list_from_json (JsonNode *node, GError **error);
guint _fleet_podman_inspect_get_stop_timeout (JsonNode *node);
char *_fleet_podman_pull_get_error (GBytes *body);

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
