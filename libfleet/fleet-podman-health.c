/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-podman-health.c: health checks with podman.
 *
 * An exec check is given to podman in the create request (healthconfig),
 * with an interval of 0: podman then sets up none of its systemd timers,
 * which silently never fire where there is no systemd, and fleetd runs
 * each check itself through podman's "run healthcheck" endpoint on its own
 * timers.  HTTP and TCP probes are fleetd's (fleet-probe.c), sent to the
 * container's address as podman's inspect reports it: its first network's
 * address, or the loopback address for a container on the host's network.
 */
#include "config.h"

#include "fleet-podman-private.h"
#include "fleet-probe.h"
#include "fleet-util-private.h"

#define NSECS_PER_MSEC G_GINT64_CONSTANT (1000000)

/**
 * _fleet_podman_add_healthconfig:
 *
 * The create request's healthconfig for @spec's exec check; ["NONE"] when
 * the document turns the image's own check off.  Nothing for a service
 * that says nothing, as before health checks existed.
 */
void
_fleet_podman_add_healthconfig (JsonBuilder *builder, FleetServiceSpec *spec)
{
  const FleetHealthcheck *check = spec->healthcheck;
  gboolean none = check != NULL && check->kind != FLEET_HEALTHCHECK_EXEC;

  if (check == NULL)
    return;
  json_builder_set_member_name (builder, "healthconfig");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "Test");
  json_builder_begin_array (builder);
  if (none)
    json_builder_add_string_value (builder, "NONE");
  for (guint i = 0; !none && check->test[i] != NULL; i++)
    json_builder_add_string_value (builder, check->test[i]);
  json_builder_end_array (builder);
  if (!none)
    {
      json_builder_set_member_name (builder, "Interval");
      json_builder_add_int_value (builder, 0);
      json_builder_set_member_name (builder, "Timeout");
      json_builder_add_int_value (builder, check->timeout_msecs * NSECS_PER_MSEC);
      json_builder_set_member_name (builder, "Retries");
      json_builder_add_int_value (builder, check->retries);
    }
  json_builder_end_object (builder);
}

typedef struct
{
  char *target;
  FleetHealthcheck check; /* a copy of what the probe needs */
  gboolean passed;
  char *output;
} HealthData;

static void
health_data_free (gpointer data)
{
  HealthData *d = data;

  g_free (d->target);
  g_free (d->check.path);
  g_free (d->output);
  g_free (d);
}

/* The last log entry's output, when this podman reports it. */
static char *
last_output (JsonObject *object)
{
  JsonArray *log = object && json_object_has_member (object, "Log")
                       && JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "Log"))
                     ? json_object_get_array_member (object, "Log") : NULL;
  JsonNode *last;
  const char *output;

  if (log == NULL || json_array_get_length (log) == 0)
    return NULL;
  last = json_array_get_element (log, json_array_get_length (log) - 1);
  if (!JSON_NODE_HOLDS_OBJECT (last))
    return NULL;
  output = _fleet_podman_json_get_string (json_node_get_object (last), "Output");
  return output ? g_strstrip (g_strdup (output)) : NULL;
}

static void
on_exec_checked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  HealthData *d = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = _fleet_podman_runtime_receive (source, result, &error);
  JsonNode *json;
  JsonObject *object;
  const char *status;

  if (response == NULL)
    {
      _fleet_podman_return_error (task, error, "running the health check of %s", d->target);
      return;
    }
  if (response->status == 404 || response->status == 409)
    {
      /* no such container, or it is not running: nothing was checked */
      g_autofree char *why = _fleet_podman_response_describe_error (response);

      error = g_error_new (FLEET_ERROR, response->status == 404 ? FLEET_ERROR_NOT_FOUND
                                                                : FLEET_ERROR_RUNTIME,
                           "%s", why);
      _fleet_podman_return_error (task, error, "running the health check of %s", d->target);
      return;
    }
  if (!_fleet_podman_response_is_success (response))
    {
      /* podman's own timeout, or the check could not be executed: a failure */
      d->output = _fleet_podman_response_describe_error (response);
      g_task_return_boolean (task, TRUE);
      return;
    }
  json = _fleet_podman_response_get_json (response);
  object = json && JSON_NODE_HOLDS_OBJECT (json) ? json_node_get_object (json) : NULL;
  status = _fleet_podman_json_get_string (object, "Status");
  d->passed = g_strcmp0 (status, "healthy") == 0;
  d->output = last_output (object);
  if (d->output == NULL)
    d->output = g_strdup (status ? status : "");
  g_task_return_boolean (task, TRUE);
}

static void
on_probed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  HealthData *d = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  d->passed = fleet_probe_run_finish (result, &d->output, &error);
  if (!d->passed)
    d->output = g_strdup (error->message);
  g_task_return_boolean (task, TRUE);
}

/* The address a probe reaches the container at, from its inspect. */
static char *
container_address (JsonObject *inspect)
{
  JsonObject *host_config = _fleet_podman_json_get_object (inspect, "HostConfig");
  JsonObject *settings = _fleet_podman_json_get_object (inspect, "NetworkSettings");
  JsonObject *networks = _fleet_podman_json_get_object (settings, "Networks");
  const char *ip = _fleet_podman_json_get_string (settings, "IPAddress");
  g_autoptr(GList) names = networks ? json_object_get_members (networks) : NULL;

  if (g_strcmp0 (_fleet_podman_json_get_string (host_config, "NetworkMode"), "host") == 0)
    return g_strdup ("127.0.0.1");
  if (ip != NULL && *ip != '\0')
    return g_strdup (ip);
  names = g_list_sort (names, (GCompareFunc) g_strcmp0);
  for (GList *l = names; l != NULL; l = l->next)
    {
      ip = _fleet_podman_json_get_string (_fleet_podman_json_get_object (networks, l->data),
                                          "IPAddress");
      if (ip != NULL && *ip != '\0')
        return g_strdup (ip);
    }
  return NULL;
}

static void
on_inspected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  HealthData *d = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = _fleet_podman_runtime_receive (source, result, &error);
  JsonNode *json;
  g_autofree char *address = NULL;
  FleetProbe probe;

  if (response == NULL
      || !_fleet_podman_response_check_container (response, FLEET_ERROR_RUNTIME, &error))
    {
      _fleet_podman_return_error (task, error, "inspecting %s", d->target);
      return;
    }
  json = _fleet_podman_response_get_json (response);
  address = container_address (json && JSON_NODE_HOLDS_OBJECT (json) ? json_node_get_object (json)
                                                                      : NULL);
  if (address == NULL)
    {
      d->output = g_strdup ("the container has no network address");
      g_task_return_boolean (task, TRUE);
      return;
    }
  fleet_probe_init (&probe, d->check.kind == FLEET_HEALTHCHECK_HTTP ? FLEET_PROBE_HTTP
                                                                     : FLEET_PROBE_TCP,
                    address, d->check.port);
  if (d->check.path != NULL)
    g_free (probe.path), probe.path = g_strdup (d->check.path);
  probe.min_status = d->check.min_status;
  probe.max_status = d->check.max_status;
  probe.timeout_msecs = d->check.timeout_msecs;
  fleet_probe_run_async (&probe, g_task_get_cancellable (task), on_probed, g_object_ref (task));
  fleet_probe_clear (&probe);
}

void
_fleet_podman_run_healthcheck (FleetContainerRuntime *runtime, const char *id,
                               const FleetHealthcheck *check, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = _fleet_podman_runtime_new_task (FLEET_PODMAN_RUNTIME (runtime), cancellable,
                                                callback, user_data,
                                                _fleet_podman_run_healthcheck);
  HealthData *d = g_new0 (HealthData, 1);
  g_autofree char *path = NULL;

  d->target = _fleet_podman_describe (id);
  d->check = *check;
  d->check.test = NULL;
  d->check.path = g_strdup (check->path);
  g_task_set_task_data (task, d, health_data_free);
  /* Podman 4 serves "run healthcheck" as a GET. */
  if (check->kind == FLEET_HEALTHCHECK_EXEC)
    {
      path = _fleet_podman_container_path (id, "/healthcheck");
      _fleet_podman_runtime_send (task, "GET", path, NULL, FLEET_PODMAN_REQUEST_TIMEOUT_SECS,
                                  NULL, on_exec_checked);
    }
  else
    {
      path = _fleet_podman_container_path (id, "/json");
      _fleet_podman_runtime_send (task, "GET", path, NULL, FLEET_PODMAN_REQUEST_TIMEOUT_SECS,
                                  NULL, on_inspected);
    }
}

gboolean
_fleet_podman_run_healthcheck_finish (FleetContainerRuntime *runtime, GAsyncResult *result,
                                      gboolean *out_passed, char **out_output, GError **error)
{
  HealthData *d;

  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == _fleet_podman_run_healthcheck,
                        FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  d = g_task_get_task_data (G_TASK (result));
  *out_passed = d->passed;
  if (out_output)
    *out_output = g_strdup (d->output ? d->output : "");
  return TRUE;
}
