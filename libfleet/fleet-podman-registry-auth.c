/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-podman-registry-auth.c: pulls from registries that need
 * credentials, with the credentials file fleetd.conf names.
 *
 * The file is in podman's own auth.json format (containers-auth.json(5)):
 * {"auths": {"registry.example.com[/namespace]": {"auth": base64("user:password")}}}.
 * It is read at every pull, so that a rotated password needs no restart,
 * and handed to podman in the pull request's X-Registry-Auth header as
 * podman's own client does: base64url of a JSON map from each key to
 * {"username", "password"}, which podman matches against the image as it
 * would its own auth.json.  Nothing of it is logged.
 */
#include "config.h"

#include <string.h>

#include "fleet-podman-private.h"
#include "fleet-util-private.h"

/* One entry: "auth" is base64 of "user:password"; an "identitytoken" is
 * passed on as it is. */
static gboolean
add_entry (JsonBuilder *builder, const char *key, JsonNode *node, GError **error)
{
  JsonObject *entry = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  const char *auth = entry ? _fleet_podman_json_get_string (entry, "auth") : NULL;
  const char *token = entry ? _fleet_podman_json_get_string (entry, "identitytoken") : NULL;
  g_autofree guchar *decoded = NULL;
  g_autofree char *text = NULL;
  g_autofree char *user = NULL;
  gsize len = 0;
  const char *colon;

  if (entry == NULL || (auth == NULL && token == NULL))
    return fleet_throw (error, FLEET_ERROR_PULL_FAILED,
                        "auths.\"%s\": expected an object with \"auth\"", key);
  json_builder_set_member_name (builder, key);
  json_builder_begin_object (builder);
  if (auth != NULL)
    {
      decoded = g_base64_decode (auth, &len);
      text = g_strndup ((const char *)decoded, len);
      colon = strchr (text, ':');
      if (len == 0 || colon == NULL || strlen (text) != len)
        return fleet_throw (error, FLEET_ERROR_PULL_FAILED,
                            "auths.\"%s\".auth: expected base64 of USER:PASSWORD", key);
      user = g_strndup (text, colon - text);
      json_builder_set_member_name (builder, "username");
      json_builder_add_string_value (builder, user);
      json_builder_set_member_name (builder, "password");
      json_builder_add_string_value (builder, colon + 1);
    }
  if (token != NULL)
    {
      json_builder_set_member_name (builder, "identitytoken");
      json_builder_add_string_value (builder, token);
    }
  json_builder_end_object (builder);
  return TRUE;
}

/**
 * _fleet_podman_registry_auth_header:
 * @auth_json: the contents of an auth.json file
 *
 * Returns: (transfer full): the value of the X-Registry-Auth header that
 *   hands podman every credential of @auth_json, or %NULL with
 *   FLEET_ERROR_PULL_FAILED saying what is wrong with it (never a secret)
 */
char *
_fleet_podman_registry_auth_header (const char *auth_json, gsize length, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) map = NULL;
  g_autoptr(GList) keys = NULL;
  g_autofree char *json = NULL;
  JsonNode *root;
  JsonObject *auths;
  char *encoded;

  if (!json_parser_load_from_data (parser, auth_json, (gssize)length, NULL)
      || (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return fleet_null_throw (error, FLEET_ERROR_PULL_FAILED, "not a JSON object");
  auths = _fleet_podman_json_get_object (json_node_get_object (root), "auths");
  if (auths == NULL)
    return fleet_null_throw (error, FLEET_ERROR_PULL_FAILED, "no \"auths\" object");
  json_builder_begin_object (builder);
  keys = json_object_get_members (auths);
  for (GList *l = keys; l != NULL; l = l->next)
    if (!add_entry (builder, l->data, json_object_get_member (auths, l->data), error))
      return NULL;
  json_builder_end_object (builder);
  map = json_builder_get_root (builder);
  json = json_to_string (map, FALSE);
  /* base64url, as podman decodes it */
  encoded = g_base64_encode ((const guchar *)json, strlen (json));
  g_strdelimit (encoded, "+", '-');
  g_strdelimit (encoded, "/", '_');
  memset (json, 0, strlen (json));
  return encoded;
}

typedef struct
{
  char *image;
  char *auth_file;
  char *path;
  guint timeout_secs;
} PullData;

static void
pull_data_free (gpointer data)
{
  PullData *d = data;

  g_free (d->image);
  g_free (d->auth_file);
  g_free (d->path);
  g_free (d);
}

static void
on_pulled (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  PullData *d = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response
      = _fleet_podman_client_request_finish (FLEET_PODMAN_CLIENT (source), result, &error);
  g_autofree char *pull_error = NULL;

  if (response == NULL || !_fleet_podman_response_check (response, FLEET_ERROR_PULL_FAILED, &error))
    {
      _fleet_podman_return_error (task, error, "pulling %s", d->image);
      return;
    }
  /* podman answers 200 at once and says how the pull went in the stream */
  pull_error = _fleet_podman_pull_get_error (response->body);
  if (pull_error != NULL)
    g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_PULL_FAILED, "podman: pulling %s: %s",
                             d->image, pull_error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_auth_file_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  PullData *d = g_task_get_task_data (task);
  FleetPodmanRuntime *runtime = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *header = NULL;
  gsize length = 0;

  if (g_file_load_contents_finish (G_FILE (source), result, &contents, &length, NULL, &error))
    header = _fleet_podman_registry_auth_header (contents, length, &error);
  if (contents != NULL)
    memset (contents, 0, length);
  if (header == NULL)
    {
      g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_PULL_FAILED,
                               "pulling %s: registry credentials %s: %s", d->image, d->auth_file,
                               error->message);
      return;
    }
  _fleet_podman_client_request_with_header_async (_fleet_podman_runtime_get_client (runtime),
                                                  "POST", d->path, "X-Registry-Auth", header,
                                                  d->timeout_secs, cancellable, on_pulled,
                                                  g_steal_pointer (&task));
}

/**
 * _fleet_podman_pull_image_with_auth:
 * @auth_file: the credentials file
 * @path: the pull request's path (below the API prefix)
 *
 * The pull primitive, with the credentials of @auth_file; finished with
 * _fleet_podman_finish_boolean().
 */
void
_fleet_podman_pull_image_with_auth (FleetContainerRuntime *runtime, const char *image,
                                    const char *auth_file, const char *path,
                                    guint timeout_secs, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = _fleet_podman_runtime_new_task (FLEET_PODMAN_RUNTIME (runtime), cancellable,
                                                callback, user_data, _fleet_podman_pull_image);
  g_autoptr(GFile) file = g_file_new_for_path (auth_file);
  PullData *d = g_new0 (PullData, 1);

  d->image = g_strdup (image);
  d->auth_file = g_strdup (auth_file);
  d->path = g_strdup (path);
  d->timeout_secs = timeout_secs;
  g_task_set_task_data (task, d, pull_data_free);
  g_file_load_contents_async (file, cancellable, on_auth_file_read, task);
}
