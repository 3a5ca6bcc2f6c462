/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-podman-client.c: the HTTP plumbing under FleetPodmanRuntime.
 *
 * Talks to podman's libpod REST API over its unix socket with libsoup,
 * asynchronously on the caller's main context.  Every request carries its own
 * deadline (a libsoup session only has an inactivity timeout, which would cut
 * a stop that legitimately waits out a long grace period), transport failures
 * become FLEET_ERROR_RUNTIME_UNAVAILABLE so the reconciler backs off instead
 * of failing deployments on a podman restart, and every request sent is
 * counted, which is how tests and the benchmark prove an idle tick costs one
 * request.  The event stream gets a session of its own with no timeouts.
 */
#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <libsoup/soup.h>

#include "fleet-podman-private.h"
#include "fleet-util-private.h"

/* Keep idle connections for less time than a socket-activated podman
 * (`podman.service` runs with --time=5s) keeps its end open, so that a
 * request is never written into a connection podman is about to close. */
#define IDLE_CONNECTION_SECS 3
/* How long podman may take to answer the event stream's headers. */
#define STREAM_OPEN_TIMEOUT_SECS 30

struct _FleetPodmanClient
{
  GObject parent_instance;

  char *socket_path;
  SoupSession *session;
  SoupSession *stream_session;
  guint64 request_count;
};

G_DEFINE_FINAL_TYPE (FleetPodmanClient, _fleet_podman_client, G_TYPE_OBJECT)

static void
_fleet_podman_client_finalize (GObject *object)
{
  FleetPodmanClient *self = FLEET_PODMAN_CLIENT (object);

  g_free (self->socket_path);
  g_clear_object (&self->session);
  g_clear_object (&self->stream_session);
  G_OBJECT_CLASS (_fleet_podman_client_parent_class)->finalize (object);
}

static void
_fleet_podman_client_class_init (FleetPodmanClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = _fleet_podman_client_finalize;
}

static void
_fleet_podman_client_init (FleetPodmanClient *self)
{
}

static SoupSession *
new_session (const char *socket_path, guint idle_timeout_secs)
{
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (socket_path);

  /* clang-format off */
  return soup_session_new_with_options ("remote-connectable", address,
                                        "timeout", 0,
                                        "idle-timeout", idle_timeout_secs,
                                        "max-conns-per-host", 8,
                                        "user-agent", PACKAGE_NAME "/" PACKAGE_VERSION,
                                        NULL);
  /* clang-format on */
}

FleetPodmanClient *
_fleet_podman_client_new (const char *socket_path)
{
  FleetPodmanClient *self = g_object_new (FLEET_TYPE_PODMAN_CLIENT, NULL);

  self->socket_path = g_strdup (socket_path);
  self->session = new_session (socket_path, IDLE_CONNECTION_SECS);
  self->stream_session = new_session (socket_path, 0);
  return self;
}

const char *
_fleet_podman_client_get_socket_path (FleetPodmanClient *self)
{
  return self->socket_path;
}

guint64
_fleet_podman_client_get_request_count (FleetPodmanClient *self)
{
  return self->request_count;
}

/* Responses. */

void
_fleet_podman_response_free (FleetPodmanResponse *response)
{
  g_bytes_unref (response->body);
  g_clear_pointer (&response->json, json_node_unref);
  g_free (response);
}

static JsonNode *
parse_json (GBytes *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len = 0;
  const char *data = g_bytes_get_data (body, &len);

  if (len == 0 || !json_parser_load_from_data (parser, data, (gssize)len, NULL))
    return NULL;
  return json_parser_steal_root (parser);
}

/**
 * _fleet_podman_response_get_json:
 *
 * Returns: (transfer none) (nullable): the body parsed as one JSON value,
 *   or %NULL when it is empty or not one JSON value
 */
JsonNode *
_fleet_podman_response_get_json (FleetPodmanResponse *response)
{
  if (!response->json_parsed)
    {
      response->json = parse_json (response->body);
      response->json_parsed = TRUE;
    }
  return response->json;
}

/* 304 is podman's "already started" / "already stopped": the goal holds. */
gboolean
_fleet_podman_response_is_success (FleetPodmanResponse *response)
{
  return (response->status >= 200 && response->status < 300) || response->status == 304;
}

gboolean
_fleet_podman_response_is_not_found (FleetPodmanResponse *response)
{
  return response->status == SOUP_STATUS_NOT_FOUND;
}

static const char *
error_member (FleetPodmanResponse *response, const char *member)
{
  JsonNode *json = _fleet_podman_response_get_json (response);

  if (json == NULL || !JSON_NODE_HOLDS_OBJECT (json))
    return NULL;
  return _fleet_podman_json_get_string (json_node_get_object (json), member);
}

/* The libpod API documents 409 for a name in use, but podman 4.3 answers
 * 500 with the storage layer's cause "that name is already in use". */
gboolean
_fleet_podman_response_is_name_conflict (FleetPodmanResponse *response)
{
  const char *cause = error_member (response, "cause");

  if (response->status == SOUP_STATUS_CONFLICT)
    return TRUE;
  return response->status >= 500 && cause != NULL
         && (strstr (cause, "already in use") != NULL || strstr (cause, "already exists") != NULL);
}

/* Podman's own words for a failed request, on one line: its "message"
 * (which ends with the "cause"), else the cause, else the HTTP status. */
char *
_fleet_podman_response_describe_error (FleetPodmanResponse *response)
{
  const char *message = error_member (response, "message");
  const char *cause = error_member (response, "cause");
  char *text;

  if (message != NULL && *message != '\0')
    text = g_strdup (message);
  else if (cause != NULL && *cause != '\0')
    text = g_strdup (cause);
  else
    text = g_strdup_printf ("HTTP %u %s", response->status,
                            soup_status_get_phrase (response->status));
  g_strstrip (g_strdelimit (text, "\r\n", ' '));
  return text;
}

/* TRUE for a successful response; otherwise @code with podman's message.
 * Callers for whom a 404 means something (gone, not found) look first. */
gboolean
_fleet_podman_response_check (FleetPodmanResponse *response, FleetError code, GError **error)
{
  g_autofree char *text = NULL;

  if (_fleet_podman_response_is_success (response))
    return TRUE;
  text = _fleet_podman_response_describe_error (response);
  return fleet_throw (error, code, "%s", text);
}

/* Requests. */

typedef struct
{
  SoupMessage *message;
  GCancellable *cancellable; /* cancelled by the caller's, or by the deadline */
  GCancellable *caller_cancellable;
  gulong caller_handler;
  GSource *deadline;
  guint timeout_secs;
  gboolean timed_out;
} Request;

static void
request_clear_deadline (Request *request)
{
  if (request->deadline != NULL)
    {
      g_source_destroy (request->deadline);
      g_clear_pointer (&request->deadline, g_source_unref);
    }
}

static void
request_free (gpointer data)
{
  Request *request = data;

  request_clear_deadline (request);
  if (request->caller_handler != 0)
    g_cancellable_disconnect (request->caller_cancellable, request->caller_handler);
  g_clear_object (&request->caller_cancellable);
  g_clear_object (&request->cancellable);
  g_clear_object (&request->message);
  g_free (request);
}

static void
on_caller_cancelled (GCancellable *caller, gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static gboolean
on_deadline (gpointer user_data)
{
  Request *request = g_task_get_task_data (G_TASK (user_data));

  request->timed_out = TRUE;
  g_cancellable_cancel (request->cancellable);
  return G_SOURCE_REMOVE;
}

/* A task for one HTTP exchange, or NULL (and @task already completed) when
 * @path does not make a valid URI. */
static GTask *
new_request_task (FleetPodmanClient *self, const char *method, const char *path, guint timeout_secs,
                  GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data,
                  gpointer source_tag)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *uri = g_strconcat ("http://podman" FLEET_PODMAN_API_PREFIX, path, NULL);
  Request *request = g_new0 (Request, 1);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, request, request_free);
  request->message = soup_message_new (method, uri);
  if (request->message == NULL)
    {
      g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_INVALID_ARGUMENT,
                               "podman: invalid request path %s", path);
      return NULL;
    }
  request->timeout_secs = timeout_secs;
  request->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      request->caller_cancellable = g_object_ref (cancellable);
      request->caller_handler
          = g_cancellable_connect (cancellable, G_CALLBACK (on_caller_cancelled),
                                   g_object_ref (request->cancellable), g_object_unref);
    }
  request->deadline = g_timeout_source_new_seconds (timeout_secs);
  g_task_attach_source (task, request->deadline, on_deadline);
  self->request_count++;
  return g_steal_pointer (&task);
}

/* Turn a transport-level failure into the error the caller sees. */
static GError *
transport_error (FleetPodmanClient *self, GTask *task, GError *error)
{
  Request *request = g_task_get_task_data (task);
  GError *result;

  if (request->timed_out)
    result = g_error_new (FLEET_ERROR, FLEET_ERROR_RUNTIME_UNAVAILABLE,
                          "no answer from podman at %s within %u s", self->socket_path,
                          request->timeout_secs);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return error;
  else
    result = g_error_new (FLEET_ERROR, FLEET_ERROR_RUNTIME_UNAVAILABLE,
                          "cannot talk to podman at %s: %s", self->socket_path, error->message);
  g_error_free (error);
  return result;
}

static void
on_request_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  FleetPodmanClient *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);
  GError *error = NULL;
  GBytes *body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  FleetPodmanResponse *response;

  request_clear_deadline (request);
  if (body == NULL)
    {
      g_task_return_error (task, transport_error (self, task, error));
      return;
    }
  response = g_new0 (FleetPodmanResponse, 1);
  response->status = soup_message_get_status (request->message);
  response->body = body;
  g_task_return_pointer (task, response, (GDestroyNotify)_fleet_podman_response_free);
}

/**
 * _fleet_podman_client_request_async:
 * @method: the HTTP method
 * @path: the path below the API prefix, with its query, already escaped
 * @body: (nullable): a JSON request body
 * @timeout_secs: the deadline for the whole exchange
 *
 * Send one request and read the whole answer.  Any HTTP status completes the
 * request successfully; only transport failures, the deadline and
 * cancellation are errors.
 */
void
_fleet_podman_client_request_async (FleetPodmanClient *self, const char *method, const char *path,
                                    JsonNode *body, guint timeout_secs, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;
  Request *request;

  g_return_if_fail (FLEET_IS_PODMAN_CLIENT (self));

  task = new_request_task (self, method, path, timeout_secs, cancellable, callback, user_data,
                           _fleet_podman_client_request_async);
  if (task == NULL)
    return;
  request = g_task_get_task_data (task);
  if (body != NULL)
    {
      char *data = json_to_string (body, FALSE);
      g_autoptr(GBytes) bytes = g_bytes_new_take (data, strlen (data));

      soup_message_set_request_body_from_bytes (request->message, "application/json", bytes);
    }
  soup_session_send_and_read_async (self->session, request->message, G_PRIORITY_DEFAULT,
                                    request->cancellable, on_request_read, task);
}

/**
 * _fleet_podman_client_request_with_header_async:
 * @header: a request header to send, such as X-Registry-Auth
 * @value: its value
 *
 * As _fleet_podman_client_request_async(), without a body, with @header;
 * finished with _fleet_podman_client_request_finish().
 */
void
_fleet_podman_client_request_with_header_async (FleetPodmanClient *self, const char *method,
                                                const char *path, const char *header,
                                                const char *value, guint timeout_secs,
                                                GCancellable *cancellable,
                                                GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;
  Request *request;

  g_return_if_fail (FLEET_IS_PODMAN_CLIENT (self));
  g_return_if_fail (header != NULL && value != NULL);

  task = new_request_task (self, method, path, timeout_secs, cancellable, callback, user_data,
                           _fleet_podman_client_request_async);
  if (task == NULL)
    return;
  request = g_task_get_task_data (task);
  soup_message_headers_replace (soup_message_get_request_headers (request->message), header,
                                value);
  soup_session_send_and_read_async (self->session, request->message, G_PRIORITY_DEFAULT,
                                    request->cancellable, on_request_read, task);
}

/**
 * _fleet_podman_client_request_finish:
 *
 * Returns: (transfer full): the response, whatever its status; %NULL with
 *   FLEET_ERROR_RUNTIME_UNAVAILABLE when podman could not be reached or did
 *   not answer in time, or G_IO_ERROR_CANCELLED
 */
FleetPodmanResponse *
_fleet_podman_client_request_finish (FleetPodmanClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Streams. */

static void
on_stream_opened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  FleetPodmanClient *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GInputStream) stream
      = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  guint status;

  request_clear_deadline (request);
  if (stream == NULL)
    {
      g_task_return_error (task, transport_error (self, task, error));
      return;
    }
  status = soup_message_get_status (request->message);
  if (status != SOUP_STATUS_OK)
    {
      g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_RUNTIME, "podman answered HTTP %u %s",
                               status, soup_status_get_phrase (status));
      return;
    }
  /* The body stream is only good while its message lives. */
  g_object_set_data_full (G_OBJECT (stream), "fleet-podman-message",
                          g_object_ref (request->message), g_object_unref);
  g_task_return_pointer (task, g_steal_pointer (&stream), g_object_unref);
}

/**
 * _fleet_podman_client_open_stream_async:
 * @path: the path below the API prefix, with its query, already escaped
 *
 * GET @path and complete as soon as podman has answered 200 with headers,
 * handing over the body as it arrives.  Only the headers have a deadline;
 * the body may take forever, as an event stream does.
 */
void
_fleet_podman_client_open_stream_async (FleetPodmanClient *self, const char *path,
                                        GCancellable *cancellable, GAsyncReadyCallback callback,
                                        gpointer user_data)
{
  GTask *task;
  Request *request;

  g_return_if_fail (FLEET_IS_PODMAN_CLIENT (self));

  task = new_request_task (self, SOUP_METHOD_GET, path, STREAM_OPEN_TIMEOUT_SECS, cancellable,
                           callback, user_data, _fleet_podman_client_open_stream_async);
  if (task == NULL)
    return;
  request = g_task_get_task_data (task);
  soup_session_send_async (self->stream_session, request->message, G_PRIORITY_DEFAULT,
                           request->cancellable, on_stream_opened, task);
}

/**
 * _fleet_podman_client_open_stream_finish:
 *
 * Returns: (transfer full): the response body
 */
GInputStream *
_fleet_podman_client_open_stream_finish (FleetPodmanClient *self, GAsyncResult *result,
                                         GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
