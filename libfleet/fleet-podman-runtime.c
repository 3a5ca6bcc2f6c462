/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-podman-runtime.c: FleetContainerRuntime on podman's libpod REST API.
 *
 * Each primitive is one request (fleet-podman-ops.c), or for a stop a short
 * chain of them (fleet-podman-stop.c), run asynchronously on the caller's
 * main context.  This file holds the object, the plumbing they share (one
 * task per operation; podman's answers mapped onto FLEET_ERROR codes the way
 * FleetFakeRuntime maps its own) and the event stream.
 */
#include "config.h"

#include <string.h>

#include "fleet-podman-private.h"
#include "fleet-podman-runtime.h"
#include "fleet-util-private.h"

struct _FleetPodmanRuntime
{
  GObject parent_instance;

  char *socket_path;
  char *registry_auth_file;
  FleetPodmanClient *client;
  FleetPodmanEvents *events;
};

enum
{
  PROP_0,
  PROP_SOCKET_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void fleet_podman_runtime_iface_init (FleetContainerRuntimeInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FleetPodmanRuntime, fleet_podman_runtime, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FLEET_TYPE_CONTAINER_RUNTIME,
                                                      fleet_podman_runtime_iface_init))

/* Plumbing shared by the operations. */

GTask *
_fleet_podman_runtime_new_task (FleetPodmanRuntime *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data,
                                gpointer source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  return task;
}

/* Send one request for @task (cancelled by @cancellable, the task's own
 * when NULL); the callback gets @task's reference. */
void
_fleet_podman_runtime_send (GTask *task, const char *method, const char *path, JsonNode *body,
                            guint timeout_secs, GCancellable *cancellable,
                            GAsyncReadyCallback callback)
{
  FleetPodmanRuntime *self = g_task_get_source_object (task);

  _fleet_podman_client_request_async (self->client, method, path, body, timeout_secs,
                                      cancellable ? cancellable : g_task_get_cancellable (task),
                                      callback, task);
}

FleetPodmanResponse *
_fleet_podman_runtime_receive (GObject *source, GAsyncResult *result, GError **error)
{
  return _fleet_podman_client_request_finish (FLEET_PODMAN_CLIENT (source), result, error);
}

/* Complete @task with @error, its message prefixed with "podman: <what>: ",
 * what was attempted.  Cancellation is passed on as it is. */
void
_fleet_podman_return_error (GTask *task, GError *error, const char *format, ...)
{
  g_autofree char *what = NULL;
  va_list args;

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      va_start (args, format);
      what = g_strdup_vprintf (format, args);
      va_end (args);
      g_prefix_error (&error, "podman: %s: ", what);
    }
  g_task_return_error (task, error);
}

/* "/containers/<escaped id or name><suffix>" */
char *
_fleet_podman_container_path (const char *id, const char *suffix)
{
  g_autofree char *escaped = g_uri_escape_string (id, NULL, FALSE);

  return g_strconcat ("/containers/", escaped, suffix, NULL);
}

/* How messages name a container: a name as it is, an id by its first 12
 * characters, as podman's CLI shows it. */
char *
_fleet_podman_describe (const char *id_or_name)
{
  return fleet_is_container_id (id_or_name) ? g_strndup (id_or_name, 12) : g_strdup (id_or_name);
}

/* TRUE for a successful answer about a container; otherwise its error:
 * FLEET_ERROR_NOT_FOUND when there is no such container, FLEET_ERROR_EXISTS
 * when a name is taken, @code for any other refusal. */
gboolean
_fleet_podman_response_check_container (FleetPodmanResponse *response, FleetError code,
                                        GError **error)
{
  g_autofree char *text = NULL;

  if (_fleet_podman_response_is_success (response))
    return TRUE;
  text = _fleet_podman_response_describe_error (response);
  /* A container podman lost in the middle of removing it (podman was
   * killed then) is still listed, but "not known" to everything else. */
  if (_fleet_podman_response_is_not_found (response)
      || (response->status == 500 && text != NULL
          && (strstr (text, "container not known") || strstr (text, "no such container"))))
    return fleet_throw (error, FLEET_ERROR_NOT_FOUND, "%s", text);
  if (_fleet_podman_response_is_name_conflict (response))
    return fleet_throw (error, FLEET_ERROR_EXISTS, "%s", text);
  return fleet_throw (error, code, "%s", text);
}

/* watch_events */

static void
on_container_died (const char *container_id, const char *deployment, const char *service,
                   gpointer user_data)
{
  fleet_container_runtime_emit_container_died (FLEET_CONTAINER_RUNTIME (user_data), container_id,
                                               deployment, service);
}

static void
podman_watch_events (FleetContainerRuntime *runtime)
{
  FleetPodmanRuntime *self = FLEET_PODMAN_RUNTIME (runtime);

  if (self->events != NULL)
    return;
  self->events = _fleet_podman_events_new (self->client, on_container_died, self);
  _fleet_podman_events_start (self->events);
}

static void
fleet_podman_runtime_iface_init (FleetContainerRuntimeInterface *iface)
{
  iface->pull_image = _fleet_podman_pull_image;
  iface->pull_image_finish = _fleet_podman_finish_boolean;
  iface->create = _fleet_podman_create;
  iface->create_finish = _fleet_podman_finish_id;
  iface->start = _fleet_podman_start;
  iface->start_finish = _fleet_podman_finish_boolean;
  iface->stop = _fleet_podman_stop;
  iface->stop_finish = _fleet_podman_finish_boolean;
  iface->remove = _fleet_podman_remove;
  iface->remove_finish = _fleet_podman_finish_boolean;
  iface->inspect = _fleet_podman_inspect;
  iface->inspect_finish = _fleet_podman_finish_info;
  iface->list = _fleet_podman_list;
  iface->list_finish = _fleet_podman_finish_list;
  iface->rename = _fleet_podman_rename;
  iface->rename_finish = _fleet_podman_finish_boolean;
  iface->unpause = _fleet_podman_unpause;
  iface->unpause_finish = _fleet_podman_finish_boolean;
  iface->watch_events = podman_watch_events;
  iface->network_ensure = _fleet_podman_network_ensure;
  iface->network_ensure_finish = _fleet_podman_network_ensure_finish;
  iface->network_connect = _fleet_podman_network_connect;
  iface->network_connect_finish = _fleet_podman_finish_boolean;
  iface->network_disconnect = _fleet_podman_network_disconnect;
  iface->network_disconnect_finish = _fleet_podman_finish_boolean;
  iface->network_remove = _fleet_podman_network_remove;
  iface->network_remove_finish = _fleet_podman_finish_boolean;
  iface->run_healthcheck = _fleet_podman_run_healthcheck;
  iface->run_healthcheck_finish = _fleet_podman_run_healthcheck_finish;
  iface->create_on_network = _fleet_podman_create_on_network;
}

/* GObject */

static void
fleet_podman_runtime_constructed (GObject *object)
{
  FleetPodmanRuntime *self = FLEET_PODMAN_RUNTIME (object);

  G_OBJECT_CLASS (fleet_podman_runtime_parent_class)->constructed (object);
  if (self->socket_path == NULL)
    self->socket_path = g_strdup (FLEET_PODMAN_DEFAULT_SOCKET);
  self->client = _fleet_podman_client_new (self->socket_path);
}

static void
fleet_podman_runtime_dispose (GObject *object)
{
  FleetPodmanRuntime *self = FLEET_PODMAN_RUNTIME (object);

  /* The stream's callbacks hold the watcher, not us: stop it reporting. */
  if (self->events != NULL)
    _fleet_podman_events_stop (self->events);
  g_clear_object (&self->events);
  G_OBJECT_CLASS (fleet_podman_runtime_parent_class)->dispose (object);
}

static void
fleet_podman_runtime_finalize (GObject *object)
{
  FleetPodmanRuntime *self = FLEET_PODMAN_RUNTIME (object);

  g_clear_object (&self->client);
  g_free (self->socket_path);
  g_free (self->registry_auth_file);
  G_OBJECT_CLASS (fleet_podman_runtime_parent_class)->finalize (object);
}

static void
fleet_podman_runtime_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  FleetPodmanRuntime *self = FLEET_PODMAN_RUNTIME (object);

  switch (prop_id)
    {
    case PROP_SOCKET_PATH:
      g_value_set_string (value, self->socket_path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fleet_podman_runtime_set_property (GObject *object, guint prop_id, const GValue *value,
                                   GParamSpec *pspec)
{
  FleetPodmanRuntime *self = FLEET_PODMAN_RUNTIME (object);

  switch (prop_id)
    {
    case PROP_SOCKET_PATH:
      self->socket_path = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fleet_podman_runtime_class_init (FleetPodmanRuntimeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = fleet_podman_runtime_constructed;
  object_class->dispose = fleet_podman_runtime_dispose;
  object_class->finalize = fleet_podman_runtime_finalize;
  object_class->get_property = fleet_podman_runtime_get_property;
  object_class->set_property = fleet_podman_runtime_set_property;

  /**
   * FleetPodmanRuntime:socket-path:
   *
   * The unix socket podman's API service listens on; %NULL for
   * %FLEET_PODMAN_DEFAULT_SOCKET.
   */
  properties[PROP_SOCKET_PATH]
      = g_param_spec_string ("socket-path", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fleet_podman_runtime_init (FleetPodmanRuntime *self)
{
}

/**
 * fleet_podman_runtime_new:
 * @socket_path: (nullable): podman's API socket, or %NULL for
 *   %FLEET_PODMAN_DEFAULT_SOCKET
 *
 * Nothing is connected until the first request; a socket that is missing
 * or dead makes requests fail with FLEET_ERROR_RUNTIME_UNAVAILABLE.
 *
 * Returns: (transfer full): a new runtime
 *
 * Since: 0.2
 */
FleetPodmanRuntime *
fleet_podman_runtime_new (const char *socket_path)
{
  return g_object_new (FLEET_TYPE_PODMAN_RUNTIME, "socket-path", socket_path, NULL);
}

/**
 * fleet_podman_runtime_get_socket_path:
 * @self: a #FleetPodmanRuntime
 *
 * The path of podman's API socket.
 *
 * Returns: the socket path
 *
 * Since: 0.2
 */
const char *
fleet_podman_runtime_get_socket_path (FleetPodmanRuntime *self)
{
  g_return_val_if_fail (FLEET_IS_PODMAN_RUNTIME (self), NULL);

  return self->socket_path;
}

/**
 * fleet_podman_runtime_get_request_count:
 * @self: a #FleetPodmanRuntime
 *
 * How many HTTP requests this runtime has sent to podman, the event
 * stream's (re)connections included.  For tests and benchmarks.
 *
 * Since: 0.2
 */
guint64
fleet_podman_runtime_get_request_count (FleetPodmanRuntime *self)
{
  g_return_val_if_fail (FLEET_IS_PODMAN_RUNTIME (self), 0);

  return _fleet_podman_client_get_request_count (self->client);
}

/**
 * fleet_podman_runtime_set_registry_auth_file:
 * @self: a #FleetPodmanRuntime
 * @path: (nullable) (type filename): a credentials file in podman's auth.json
 *   format, or %NULL for podman's own
 *
 * Pull images with the registry credentials in @path, read at each pull and
 * handed to podman with the request (podman's X-Registry-Auth).
 *
 * Since: 0.2
 */
void
fleet_podman_runtime_set_registry_auth_file (FleetPodmanRuntime *self, const char *path)
{
  g_return_if_fail (FLEET_IS_PODMAN_RUNTIME (self));

  g_free (self->registry_auth_file);
  self->registry_auth_file = g_strdup (path);
}

/**
 * fleet_podman_runtime_get_registry_auth_file:
 * @self: a #FleetPodmanRuntime
 *
 * Returns: (nullable) (type filename): the credentials file pulls use, or
 *   %NULL for podman's own
 *
 * Since: 0.2
 */
const char *
fleet_podman_runtime_get_registry_auth_file (FleetPodmanRuntime *self)
{
  g_return_val_if_fail (FLEET_IS_PODMAN_RUNTIME (self), NULL);

  return self->registry_auth_file;
}

FleetPodmanClient *
_fleet_podman_runtime_get_client (FleetPodmanRuntime *self)
{
  return self->client;
}
