/* fleet-podman-runtime.c: FleetContainerRuntime on podman's libpod REST API.
 *
 * Each operation of the interface is a short chain of requests (inspect,
 * then act) run asynchronously on the caller's main context; this file holds
 * those chains and what each podman answer means for them.  It behaves as
 * FleetFakeRuntime does: a stop uses the signal and grace period baked into
 * the container (podman's own StopTimeout, then SIGKILL) and treats a missing
 * container as stopped; a start that fails leaves no container behind; a
 * container of the same name left over from an earlier life is stopped
 * gracefully and removed before the new one is created; listing is one
 * request, so an idle liveness tick costs podman one request.
 */
#include "config.h"

#include "fleet-podman-private.h"
#include "fleet-podman-runtime.h"
#include "fleet-util-private.h"

/* A stop waits out the container's own grace period plus this much, for
 * podman to deliver SIGKILL and reap the container. */
#define STOP_MARGIN_SECS 30
/* Pulling a large image over a slow link takes long, and podman reports no
 * progress we could use as a heartbeat. */
#define PULL_TIMEOUT_SECS (30 * 60)

#define LIST_FILTER "{\"label\":[\"" FLEET_LABEL_DEPLOYMENT "\"]}"

struct _FleetPodmanRuntime
{
  GObject parent_instance;

  char *socket_path;
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
static void podman_start_service (FleetContainerRuntime *runtime, FleetServiceSpec *spec,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data);
static void podman_stop_service (FleetContainerRuntime *runtime, const char *container_id,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data);

G_DEFINE_FINAL_TYPE_WITH_CODE (FleetPodmanRuntime, fleet_podman_runtime, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FLEET_TYPE_CONTAINER_RUNTIME,
                                                      fleet_podman_runtime_iface_init))

/* Plumbing shared by the operations. */

/* Send one request for @task; the callback gets @task's reference. */
static void
send_request (GTask *task, const char *method, const char *path, JsonNode *body, guint timeout_secs,
              GAsyncReadyCallback callback)
{
  FleetPodmanRuntime *self = g_task_get_source_object (task);

  _fleet_podman_client_request_async (self->client, method, path, body, timeout_secs,
                                      g_task_get_cancellable (task), callback, task);
}

static FleetPodmanResponse *
receive_response (GObject *source, GAsyncResult *result, GError **error)
{
  return _fleet_podman_client_request_finish (FLEET_PODMAN_CLIENT (source), result, error);
}

/* Complete @task with @error, its message prefixed with "podman: <what>: ",
 * what was attempted.  Cancellation is passed on as it is. */
static void return_podman_error (GTask *task, GError *error, const char *format, ...)
    G_GNUC_PRINTF (3, 4);

static void
return_podman_error (GTask *task, GError *error, const char *format, ...)
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
static char *
container_path (const char *id_or_name, const char *suffix)
{
  g_autofree char *escaped = g_uri_escape_string (id_or_name, NULL, FALSE);

  return g_strconcat ("/containers/", escaped, suffix, NULL);
}

static GTask *
new_task (FleetPodmanRuntime *self, GCancellable *cancellable, GAsyncReadyCallback callback,
          gpointer user_data, gpointer source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  return task;
}

/* pull_image */

static void
on_pulled (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  const char *image = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = receive_response (source, result, &error);
  g_autofree char *pull_error = NULL;

  if (response == NULL || !_fleet_podman_response_check (response, FLEET_ERROR_PULL_FAILED, &error))
    {
      return_podman_error (task, error, "pulling %s", image);
      return;
    }
  /* Podman answers 200 at once and reports a failure inside the stream. */
  pull_error = _fleet_podman_pull_get_error (response->body);
  if (pull_error != NULL)
    {
      g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_PULL_FAILED, "podman: pulling %s: %s",
                               image, pull_error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/* policy=missing: an image already present (such as one imported onto the
 * device) is used as it is, without asking a registry. */
static void
podman_pull_image (FleetContainerRuntime *runtime, const char *image, GCancellable *cancellable,
                   GAsyncReadyCallback callback, gpointer user_data)
{
  FleetPodmanRuntime *self = FLEET_PODMAN_RUNTIME (runtime);
  GTask *task = new_task (self, cancellable, callback, user_data, podman_pull_image);
  g_autofree char *reference = g_uri_escape_string (image, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/images/pull?reference=%s&policy=missing", reference);

  g_task_set_task_data (task, g_strdup (image), g_free);
  send_request (task, "POST", path, NULL, PULL_TIMEOUT_SECS, on_pulled);
}

static gboolean
podman_pull_image_finish (FleetContainerRuntime *runtime, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, runtime), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* start_service: create, (on a name conflict: remove the leftover and
 * create again, once), start; remove the container again if it would not
 * start. */

typedef struct
{
  FleetServiceSpec *spec;
  char *id;
  gboolean retried;
  GError *start_error;
} StartData;

static void
start_data_free (gpointer data)
{
  StartData *d = data;

  fleet_service_spec_unref (d->spec);
  g_free (d->id);
  g_clear_error (&d->start_error);
  g_free (d);
}

static void on_created (GObject *source, GAsyncResult *result, gpointer user_data);

static void
create_container (GTask *task)
{
  StartData *d = g_task_get_task_data (task);
  g_autoptr(JsonNode) body = _fleet_podman_spec_to_create_json (d->spec);

  send_request (task, "POST", "/containers/create", body, FLEET_PODMAN_REQUEST_TIMEOUT_SECS,
                on_created);
}

static void
on_failed_start_removed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  StartData *d = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetPodmanResponse) response = receive_response (source, result, &error);

  if (response == NULL
      || (!_fleet_podman_response_is_not_found (response)
          && !_fleet_podman_response_check (response, FLEET_ERROR_RUNTIME, &error)))
    /* Not fatal: the orphan sweep removes it at the next pass. */
    g_message ("podman: removing %s after it failed to start: %s", d->id, error->message);
  g_task_return_error (task, g_steal_pointer (&d->start_error));
}

static void
on_container_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  StartData *d = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = receive_response (source, result, &error);
  g_autofree char *path = NULL;

  if (response == NULL)
    {
      return_podman_error (task, error, "starting %s (%s)", d->spec->container_name,
                           d->spec->image);
      return;
    }
  if (_fleet_podman_response_is_success (response))
    {
      g_task_return_pointer (task, g_steal_pointer (&d->id), g_free);
      return;
    }
  /* Podman leaves a container that failed to start in "created": remove it,
   * so that a failed rollout leaves nothing behind. */
  _fleet_podman_response_check (response, FLEET_ERROR_START_FAILED, &error);
  g_prefix_error (&error, "podman: starting %s (%s): ", d->spec->container_name, d->spec->image);
  d->start_error = error;
  path = container_path (d->id, "?force=true");
  send_request (g_steal_pointer (&task), "DELETE", path, NULL, FLEET_PODMAN_REQUEST_TIMEOUT_SECS,
                on_failed_start_removed);
}

static void
on_leftover_removed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }
  create_container (g_steal_pointer (&task));
}

static char *
get_created_id (FleetPodmanResponse *response, GError **error)
{
  JsonNode *json = _fleet_podman_response_get_json (response);
  JsonObject *object = json && JSON_NODE_HOLDS_OBJECT (json) ? json_node_get_object (json) : NULL;
  const char *id = _fleet_podman_json_get_string (object, "Id");

  if (!fleet_is_container_id (id))
    return fleet_null_throw (error, FLEET_ERROR_RUNTIME,
                             "unexpected answer to create: no container id");
  return g_strdup (id);
}

static FleetContainerInfo *info_from_inspect_response (FleetPodmanResponse *response,
                                                        GError **error);

/* The container holding the name is one of fleet's (labelled) that the
 * agent did not record — left over from a lost state file or a crash
 * between create and record — and is removed gracefully; a container
 * fleet does not manage is never touched, and the start fails instead. */
static void
on_name_holder_inspected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  StartData *d = g_task_get_task_data (task);
  FleetContainerRuntime *runtime = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = receive_response (source, result, &error);
  g_autoptr(FleetContainerInfo) holder = NULL;

  if (response != NULL && _fleet_podman_response_is_not_found (response))
    {
      /* gone in the meantime */
      create_container (g_steal_pointer (&task));
      return;
    }
  holder = response ? info_from_inspect_response (response, &error) : NULL;
  if (holder == NULL)
    {
      return_podman_error (task, error, "creating %s (%s): looking at the container holding "
                           "its name", d->spec->container_name, d->spec->image);
      return;
    }
  if (holder->deployment == NULL)
    {
      g_autofree char *short_id = g_strndup (holder->id, 12);

      g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_START_FAILED,
                               "podman: creating %s (%s): the name is held by container %s, "
                               "which fleet does not manage (no %s label); it is left alone",
                               d->spec->container_name, d->spec->image, short_id,
                               FLEET_LABEL_DEPLOYMENT);
      return;
    }
  g_message ("podman: removing leftover container %s (%.12s) that holds the name",
             d->spec->container_name, holder->id);
  podman_stop_service (runtime, holder->id, cancellable, on_leftover_removed,
                       g_steal_pointer (&task));
}

static void
on_created (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  StartData *d = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = receive_response (source, result, &error);
  g_autofree char *path = NULL;

  if (response != NULL && _fleet_podman_response_is_name_conflict (response) && !d->retried)
    {
      /* Someone holds the name: look before removing anything. */
      g_autofree char *holder = container_path (d->spec->container_name, "/json");

      d->retried = TRUE;
      send_request (g_steal_pointer (&task), "GET", holder, NULL,
                    FLEET_PODMAN_REQUEST_TIMEOUT_SECS, on_name_holder_inspected);
      return;
    }
  if (response == NULL || !_fleet_podman_response_check (response, FLEET_ERROR_START_FAILED, &error)
      || (d->id = get_created_id (response, &error)) == NULL)
    {
      return_podman_error (task, error, "creating %s (%s)", d->spec->container_name,
                           d->spec->image);
      return;
    }
  path = container_path (d->id, "/start");
  send_request (g_steal_pointer (&task), "POST", path, NULL, FLEET_PODMAN_REQUEST_TIMEOUT_SECS,
                on_container_started);
}

static void
podman_start_service (FleetContainerRuntime *runtime, FleetServiceSpec *spec,
                      GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  FleetPodmanRuntime *self = FLEET_PODMAN_RUNTIME (runtime);
  GTask *task = new_task (self, cancellable, callback, user_data, podman_start_service);
  StartData *d = g_new0 (StartData, 1);

  d->spec = fleet_service_spec_ref (spec);
  g_task_set_task_data (task, d, start_data_free);
  create_container (task);
}

static char *
podman_start_service_finish (FleetContainerRuntime *runtime, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, runtime), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* stop_service: inspect (to learn the grace period, and whether it is
 * there at all), stop, remove.  Gone at any step counts as stopped. */

typedef struct
{
  char *target; /* as the caller named it */
  char *id;     /* as podman knows it */
} StopData;

static void
stop_data_free (gpointer data)
{
  StopData *d = data;

  g_free (d->target);
  g_free (d->id);
  g_free (d);
}

/* The response of a step that acts on a container that may have gone
 * meanwhile: TRUE to carry on; FALSE when @task was completed, with success
 * for a 404 and the error otherwise. */
static gboolean
check_stop_step (GTask *task, FleetPodmanResponse *response, GError *error, const char *step)
{
  StopData *d = g_task_get_task_data (task);

  if (response != NULL && _fleet_podman_response_is_not_found (response))
    {
      g_task_return_boolean (task, TRUE);
      return FALSE;
    }
  if (response == NULL || !_fleet_podman_response_check (response, FLEET_ERROR_RUNTIME, &error))
    {
      return_podman_error (task, error, "%s %s", step, d->target);
      return FALSE;
    }
  return TRUE;
}

static void
on_stop_removed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = receive_response (source, result, &error);

  if (check_stop_step (task, response, error, "removing"))
    g_task_return_boolean (task, TRUE);
}

static void
remove_stopped (GTask *task)
{
  StopData *d = g_task_get_task_data (task);
  g_autofree char *path = container_path (d->id, "");

  send_request (task, "DELETE", path, NULL, FLEET_PODMAN_REQUEST_TIMEOUT_SECS, on_stop_removed);
}

static void
on_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = receive_response (source, result, &error);

  if (check_stop_step (task, response, error, "stopping"))
    remove_stopped (g_steal_pointer (&task));
}

static void
on_stop_inspected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  StopData *d = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = receive_response (source, result, &error);
  g_autoptr(FleetContainerInfo) info = NULL;
  g_autofree char *path = NULL;
  guint grace;

  if (!check_stop_step (task, response, error, "inspecting"))
    return;
  info = _fleet_podman_info_from_inspect (_fleet_podman_response_get_json (response), &error);
  if (info == NULL)
    {
      return_podman_error (task, error, "inspecting %s", d->target);
      return;
    }
  d->id = g_strdup (info->id);
  if (info->state == FLEET_CONTAINER_STATE_CREATED || info->state == FLEET_CONTAINER_STATE_EXITED)
    {
      remove_stopped (g_steal_pointer (&task));
      return;
    }
  /* No "t": podman then sends the container's own stop signal and waits its
   * own StopTimeout before SIGKILL, as the contract wants. */
  grace = _fleet_podman_inspect_get_stop_timeout (_fleet_podman_response_get_json (response));
  path = container_path (d->id, "/stop");
  send_request (g_steal_pointer (&task), "POST", path, NULL, grace + STOP_MARGIN_SECS, on_stopped);
}

static void
podman_stop_service (FleetContainerRuntime *runtime, const char *container_id,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  FleetPodmanRuntime *self = FLEET_PODMAN_RUNTIME (runtime);
  GTask *task = new_task (self, cancellable, callback, user_data, podman_stop_service);
  StopData *d = g_new0 (StopData, 1);
  g_autofree char *path = container_path (container_id, "/json");

  d->target = g_strdup (container_id);
  g_task_set_task_data (task, d, stop_data_free);
  send_request (task, "GET", path, NULL, FLEET_PODMAN_REQUEST_TIMEOUT_SECS, on_stop_inspected);
}

static gboolean
podman_stop_service_finish (FleetContainerRuntime *runtime, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, runtime), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* container_status */

/* The report on the inspected container, or NULL with the error:
 * FLEET_ERROR_NOT_FOUND when it does not exist. */
static FleetContainerInfo *
info_from_inspect_response (FleetPodmanResponse *response, GError **error)
{
  if (_fleet_podman_response_is_not_found (response))
    {
      g_autofree char *text = _fleet_podman_response_describe_error (response);

      return fleet_null_throw (error, FLEET_ERROR_NOT_FOUND, "%s", text);
    }
  if (!_fleet_podman_response_check (response, FLEET_ERROR_RUNTIME, error))
    return NULL;
  return _fleet_podman_info_from_inspect (_fleet_podman_response_get_json (response), error);
}

static void
on_status_inspected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = receive_response (source, result, &error);
  FleetContainerInfo *info = response ? info_from_inspect_response (response, &error) : NULL;

  if (info == NULL)
    {
      return_podman_error (task, error, "inspecting %s", (const char *)g_task_get_task_data (task));
      return;
    }
  g_task_return_pointer (task, info, (GDestroyNotify)fleet_container_info_unref);
}

static void
podman_container_status (FleetContainerRuntime *runtime, const char *container_id,
                         GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data)
{
  FleetPodmanRuntime *self = FLEET_PODMAN_RUNTIME (runtime);
  GTask *task = new_task (self, cancellable, callback, user_data, podman_container_status);
  g_autofree char *path = container_path (container_id, "/json");

  g_task_set_task_data (task, g_strdup (container_id), g_free);
  send_request (task, "GET", path, NULL, FLEET_PODMAN_REQUEST_TIMEOUT_SECS, on_status_inspected);
}

static FleetContainerInfo *
podman_container_status_finish (FleetContainerRuntime *runtime, GAsyncResult *result,
                                GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, runtime), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* list_services */

static void
on_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = receive_response (source, result, &error);
  GPtrArray *list = NULL;

  if (response == NULL || !_fleet_podman_response_check (response, FLEET_ERROR_RUNTIME, &error)
      || (list
          = _fleet_podman_info_list_from_json (_fleet_podman_response_get_json (response), &error))
             == NULL)
    {
      return_podman_error (task, error, "listing containers");
      return;
    }
  g_task_return_pointer (task, list, (GDestroyNotify)g_ptr_array_unref);
}

/* One request, whatever the number of containers: this is the whole cost
 * of an idle liveness tick. */
static void
podman_list_services (FleetContainerRuntime *runtime, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
  FleetPodmanRuntime *self = FLEET_PODMAN_RUNTIME (runtime);
  GTask *task = new_task (self, cancellable, callback, user_data, podman_list_services);
  g_autofree char *filters = g_uri_escape_string (LIST_FILTER, NULL, FALSE);
  g_autofree char *path = g_strconcat ("/containers/json?all=true&filters=", filters, NULL);

  send_request (task, "GET", path, NULL, FLEET_PODMAN_REQUEST_TIMEOUT_SECS, on_listed);
}

static GPtrArray *
podman_list_services_finish (FleetContainerRuntime *runtime, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, runtime), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ensure_service_running: liveness only.  What podman reports about the
 * container's configuration is deliberately not looked at. */

typedef struct
{
  FleetServiceSpec *spec;
  char *container_id;
  FleetLivenessAction action;
} EnsureData;

static void
ensure_data_free (gpointer data)
{
  EnsureData *d = data;

  fleet_service_spec_unref (d->spec);
  g_free (d->container_id);
  g_free (d);
}

static void
on_ensure_created (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *id = podman_start_service_finish (FLEET_CONTAINER_RUNTIME (source), result, &error);

  if (id == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, id, g_free);
}

static void
on_ensure_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  EnsureData *d = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = receive_response (source, result, &error);

  if (response == NULL
      || !_fleet_podman_response_check (response, FLEET_ERROR_START_FAILED, &error))
    {
      return_podman_error (task, error, "starting %s", d->spec->container_name);
      return;
    }
  g_task_return_pointer (task, g_strdup (d->container_id), g_free);
}

static void
on_ensure_inspected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  EnsureData *d = g_task_get_task_data (task);
  FleetContainerRuntime *runtime = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = receive_response (source, result, &error);
  g_autoptr(FleetContainerInfo) info = NULL;
  g_autofree char *path = NULL;

  if (response != NULL && _fleet_podman_response_is_not_found (response))
    {
      d->action = FLEET_LIVENESS_CREATED;
      podman_start_service (runtime, d->spec, cancellable, on_ensure_created,
                            g_steal_pointer (&task));
      return;
    }
  info = response ? info_from_inspect_response (response, &error) : NULL;
  if (info == NULL)
    {
      return_podman_error (task, error, "inspecting %s", d->container_id);
      return;
    }
  g_free (d->container_id);
  d->container_id = g_strdup (info->id);
  if (info->state == FLEET_CONTAINER_STATE_RUNNING)
    {
      d->action = FLEET_LIVENESS_NONE;
      g_task_return_pointer (task, g_strdup (info->id), g_free);
      return;
    }
  /* By name, as the contract says: the name is the service's identity in
   * podman, and it is the recorded container that holds it. */
  d->action = FLEET_LIVENESS_STARTED;
  path = container_path (d->spec->container_name, "/start");
  send_request (g_steal_pointer (&task), "POST", path, NULL, FLEET_PODMAN_REQUEST_TIMEOUT_SECS,
                on_ensure_started);
}

static void
podman_ensure_service_running (FleetContainerRuntime *runtime, FleetServiceSpec *spec,
                               const char *container_id, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  FleetPodmanRuntime *self = FLEET_PODMAN_RUNTIME (runtime);
  GTask *task = new_task (self, cancellable, callback, user_data, podman_ensure_service_running);
  EnsureData *d = g_new0 (EnsureData, 1);
  g_autofree char *path = container_path (container_id, "/json");

  d->spec = fleet_service_spec_ref (spec);
  d->container_id = g_strdup (container_id);
  g_task_set_task_data (task, d, ensure_data_free);
  send_request (task, "GET", path, NULL, FLEET_PODMAN_REQUEST_TIMEOUT_SECS, on_ensure_inspected);
}

static char *
podman_ensure_service_running_finish (FleetContainerRuntime *runtime, GAsyncResult *result,
                                      FleetLivenessAction *out_action, GError **error)
{
  EnsureData *d;
  char *id;

  g_return_val_if_fail (g_task_is_valid (result, runtime), NULL);

  d = g_task_get_task_data (G_TASK (result));
  id = g_task_propagate_pointer (G_TASK (result), error);
  if (id != NULL && out_action != NULL)
    *out_action = d->action;
  return id;
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
  iface->pull_image = podman_pull_image;
  iface->pull_image_finish = podman_pull_image_finish;
  iface->start_service = podman_start_service;
  iface->start_service_finish = podman_start_service_finish;
  iface->stop_service = podman_stop_service;
  iface->stop_service_finish = podman_stop_service_finish;
  iface->container_status = podman_container_status;
  iface->container_status_finish = podman_container_status_finish;
  iface->list_services = podman_list_services;
  iface->list_services_finish = podman_list_services_finish;
  iface->ensure_service_running = podman_ensure_service_running;
  iface->ensure_service_running_finish = podman_ensure_service_running_finish;
  iface->watch_events = podman_watch_events;
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
 */
FleetPodmanRuntime *
fleet_podman_runtime_new (const char *socket_path)
{
  return g_object_new (FLEET_TYPE_PODMAN_RUNTIME, "socket-path", socket_path, NULL);
}

const char *
fleet_podman_runtime_get_socket_path (FleetPodmanRuntime *self)
{
  g_return_val_if_fail (FLEET_IS_PODMAN_RUNTIME (self), NULL);

  return self->socket_path;
}

/**
 * fleet_podman_runtime_get_request_count:
 *
 * How many HTTP requests this runtime has sent to podman, the event
 * stream's (re)connections included.  For tests and benchmarks.
 */
guint64
fleet_podman_runtime_get_request_count (FleetPodmanRuntime *self)
{
  g_return_val_if_fail (FLEET_IS_PODMAN_RUNTIME (self), 0);

  return _fleet_podman_client_get_request_count (self->client);
}
