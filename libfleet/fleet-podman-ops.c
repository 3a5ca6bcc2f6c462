/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-podman-ops.c: the primitives that are one request to podman.
 *
 * Each is a row of the same pattern: send a request, map a refusal onto a
 * FLEET_ERROR code (404: NOT_FOUND, a name in use: EXISTS, anything else:
 * the code of the operation), and read what a successful answer carries.
 * Nothing here decides what to do next; callers compose these.
 */
#include "config.h"

#include "fleet-podman-private.h"
#include "fleet-util-private.h"

/* Pulling a large image over a slow link takes long, and podman reports no
 * progress we could use as a heartbeat. */
#define PULL_TIMEOUT_SECS (30 * 60)

typedef void (*AnswerFunc) (GTask *task, FleetPodmanResponse *response);

typedef struct
{
  const char *doing;     /* for messages: "podman: <doing> <target>: ..." */
  FleetError refused;    /* what a refusal means, apart from 404 and a name in use */
  gboolean on_container; /* 404 means "no such container" */
  AnswerFunc answer;     /* completes the task from a successful answer */
} Operation;

typedef struct
{
  const Operation *op;
  char *target;
} OperationData;

static void
operation_data_free (gpointer data)
{
  OperationData *d = data;

  g_free (d->target);
  g_free (d);
}

static void
on_answered (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  OperationData *d = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = _fleet_podman_runtime_receive (source, result, &error);
  gboolean ok = FALSE;

  if (response != NULL)
    ok = d->op->on_container
             ? _fleet_podman_response_check_container (response, d->op->refused, &error)
             : _fleet_podman_response_check (response, d->op->refused, &error);
  if (!ok)
    {
      _fleet_podman_return_error (task, error, "%s %s", d->op->doing, d->target);
      return;
    }
  d->op->answer (task, response);
}

/* Run @op: one request, @target naming what it is about in messages. */
static void
run_operation (FleetContainerRuntime *runtime, const Operation *op, const char *target,
               const char *method, const char *path, JsonNode *body, guint timeout_secs,
               GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data,
               gpointer source_tag)
{
  GTask *task = _fleet_podman_runtime_new_task (FLEET_PODMAN_RUNTIME (runtime), cancellable,
                                                callback, user_data, source_tag);
  OperationData *d = g_new0 (OperationData, 1);

  d->op = op;
  d->target = _fleet_podman_describe (target);
  g_task_set_task_data (task, d, operation_data_free);
  _fleet_podman_runtime_send (task, method, path, body, timeout_secs, NULL, on_answered);
}

/* What successful answers carry. */

static void
answer_done (GTask *task, FleetPodmanResponse *response)
{
  g_task_return_boolean (task, TRUE);
}

/* Podman answers a pull with 200 at once and reports a failure inside the
 * stream. */
static void
answer_pulled (GTask *task, FleetPodmanResponse *response)
{
  OperationData *d = g_task_get_task_data (task);
  g_autofree char *pull_error = _fleet_podman_pull_get_error (response->body);

  if (pull_error != NULL)
    g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_PULL_FAILED, "podman: pulling %s: %s",
                             d->target, pull_error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
answer_created (GTask *task, FleetPodmanResponse *response)
{
  OperationData *d = g_task_get_task_data (task);
  JsonNode *json = _fleet_podman_response_get_json (response);
  JsonObject *object = json && JSON_NODE_HOLDS_OBJECT (json) ? json_node_get_object (json) : NULL;
  const char *id = _fleet_podman_json_get_string (object, "Id");

  if (!fleet_is_container_id (id))
    g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_RUNTIME,
                             "podman: creating %s: unexpected answer: no container id", d->target);
  else
    g_task_return_pointer (task, g_strdup (id), g_free);
}

static void
answer_inspected (GTask *task, FleetPodmanResponse *response)
{
  GError *error = NULL;
  FleetContainerInfo *info
      = _fleet_podman_info_from_inspect (_fleet_podman_response_get_json (response), &error);

  if (info == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, info, (GDestroyNotify)fleet_container_info_unref);
}

static void
answer_listed (GTask *task, FleetPodmanResponse *response)
{
  GError *error = NULL;
  GPtrArray *list
      = _fleet_podman_info_list_from_json (_fleet_podman_response_get_json (response), &error);

  if (list == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, list, (GDestroyNotify)g_ptr_array_unref);
}

static const Operation pull_op = { "pulling", FLEET_ERROR_PULL_FAILED, FALSE, answer_pulled };
static const Operation create_op = { "creating", FLEET_ERROR_START_FAILED, TRUE, answer_created };
static const Operation start_op = { "starting", FLEET_ERROR_START_FAILED, TRUE, answer_done };
static const Operation remove_op = { "removing", FLEET_ERROR_RUNTIME, TRUE, answer_done };
static const Operation inspect_op = { "inspecting", FLEET_ERROR_RUNTIME, TRUE, answer_inspected };
static const Operation list_op = { "listing", FLEET_ERROR_RUNTIME, FALSE, answer_listed };
static const Operation rename_op = { "renaming", FLEET_ERROR_RUNTIME, TRUE, answer_done };
static const Operation unpause_op = { "unpausing", FLEET_ERROR_RUNTIME, TRUE, answer_done };

/* The primitives. */

/* policy=missing: an image already present (such as one imported onto the
 * device) is used as it is, without asking a registry. */
void
_fleet_podman_pull_image (FleetContainerRuntime *runtime, const char *image,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data)
{
  g_autofree char *reference = g_uri_escape_string (image, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/images/pull?reference=%s&policy=missing", reference);
  const char *auth_file
      = fleet_podman_runtime_get_registry_auth_file (FLEET_PODMAN_RUNTIME (runtime));

  if (auth_file != NULL)
    {
      _fleet_podman_pull_image_with_auth (runtime, image, auth_file, path, PULL_TIMEOUT_SECS,
                                          cancellable, callback, user_data);
      return;
    }
  run_operation (runtime, &pull_op, image, "POST", path, NULL, PULL_TIMEOUT_SECS, cancellable,
                 callback, user_data, _fleet_podman_pull_image);
}

void
_fleet_podman_create (FleetContainerRuntime *runtime, const char *name, FleetServiceSpec *spec,
                      GHashTable *labels, GCancellable *cancellable, GAsyncReadyCallback callback,
                      gpointer user_data)
{
  g_autoptr(JsonNode) body = _fleet_podman_spec_to_create_json (name, spec, labels);
  g_autofree char *target = g_strdup_printf ("%s (%s)", name, spec->image);

  run_operation (runtime, &create_op, target, "POST", "/containers/create", body,
                 FLEET_PODMAN_REQUEST_TIMEOUT_SECS, cancellable, callback, user_data,
                 _fleet_podman_create);
}

void
_fleet_podman_create_on_network (FleetContainerRuntime *runtime, const char *name,
                                 FleetServiceSpec *spec, GHashTable *labels, const char *network,
                                 const char *const *aliases, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(JsonNode) body = _fleet_podman_spec_to_create_json (name, spec, labels);
  g_autofree char *target = g_strdup_printf ("%s (%s)", name, spec->image);

  _fleet_podman_create_json_set_network (body, network, aliases);
  run_operation (runtime, &create_op, target, "POST", "/containers/create", body,
                 FLEET_PODMAN_REQUEST_TIMEOUT_SECS, cancellable, callback, user_data,
                 _fleet_podman_create);
}

/* 304 ("already running") counts as started. */
void
_fleet_podman_start (FleetContainerRuntime *runtime, const char *id, GCancellable *cancellable,
                     GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree char *path = _fleet_podman_container_path (id, "/start");

  run_operation (runtime, &start_op, id, "POST", path, NULL, FLEET_PODMAN_REQUEST_TIMEOUT_SECS,
                 cancellable, callback, user_data, _fleet_podman_start);
}

/* Forced: killed at once (timeout=0), not after the container's grace. */
void
_fleet_podman_remove (FleetContainerRuntime *runtime, const char *id, gboolean force,
                      GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree char *path
      = _fleet_podman_container_path (id, force ? "?force=true&timeout=0" : "");

  run_operation (runtime, &remove_op, id, "DELETE", path, NULL,
                 FLEET_PODMAN_REQUEST_TIMEOUT_SECS, cancellable, callback, user_data,
                 _fleet_podman_remove);
}

void
_fleet_podman_inspect (FleetContainerRuntime *runtime, const char *id, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree char *path = _fleet_podman_container_path (id, "/json");

  run_operation (runtime, &inspect_op, id, "GET", path, NULL, FLEET_PODMAN_REQUEST_TIMEOUT_SECS,
                 cancellable, callback, user_data, _fleet_podman_inspect);
}

/* One request, whatever the number of containers. */
void
_fleet_podman_list (FleetContainerRuntime *runtime, const char *label, GCancellable *cancellable,
                    GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree char *path = NULL;

  if (label != NULL)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) filters = NULL;
      g_autofree char *json = NULL;
      g_autofree char *escaped = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "label");
      json_builder_begin_array (builder);
      json_builder_add_string_value (builder, label);
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      filters = json_builder_get_root (builder);
      json = json_to_string (filters, FALSE);
      escaped = g_uri_escape_string (json, NULL, FALSE);
      path = g_strconcat ("/containers/json?all=true&filters=", escaped, NULL);
    }
  else
    path = g_strdup ("/containers/json?all=true");
  run_operation (runtime, &list_op, "containers", "GET", path, NULL,
                 FLEET_PODMAN_REQUEST_TIMEOUT_SECS, cancellable, callback, user_data,
                 _fleet_podman_list);
}

void
_fleet_podman_rename (FleetContainerRuntime *runtime, const char *id, const char *new_name,
                      GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree char *escaped = g_uri_escape_string (new_name, NULL, FALSE);
  g_autofree char *query = g_strconcat ("/rename?name=", escaped, NULL);
  g_autofree char *path = _fleet_podman_container_path (id, query);

  run_operation (runtime, &rename_op, id, "POST", path, NULL, FLEET_PODMAN_REQUEST_TIMEOUT_SECS,
                 cancellable, callback, user_data, _fleet_podman_rename);
}

void
_fleet_podman_unpause (FleetContainerRuntime *runtime, const char *id, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree char *path = _fleet_podman_container_path (id, "/unpause");

  run_operation (runtime, &unpause_op, id, "POST", path, NULL, FLEET_PODMAN_REQUEST_TIMEOUT_SECS,
                 cancellable, callback, user_data, _fleet_podman_unpause);
}

/* The finishers, one per kind of result. */

gboolean
_fleet_podman_finish_boolean (FleetContainerRuntime *runtime, GAsyncResult *result,
                              GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, runtime), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

char *
_fleet_podman_finish_id (FleetContainerRuntime *runtime, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, runtime), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == _fleet_podman_create, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

FleetContainerInfo *
_fleet_podman_finish_info (FleetContainerRuntime *runtime, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, runtime), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == _fleet_podman_inspect, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

GPtrArray *
_fleet_podman_finish_list (FleetContainerRuntime *runtime, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, runtime), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == _fleet_podman_list, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
