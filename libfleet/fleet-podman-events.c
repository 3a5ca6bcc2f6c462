/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-podman-events.c: follow podman's event stream and report the fleet
 * containers that die.
 *
 * The stream is a long-lived GET /events?stream=true answered with one JSON
 * object per line.  It breaks whenever podman restarts (a socket-activated
 * podman exits when idle), so it is reopened with capped exponential backoff,
 * asking podman to replay from the moment it broke: a container that dies
 * while the agent is not listening is still reported, and a duplicate report
 * costs the reconciler only an idle pass.  Podman puts the container's
 * labels into the event's Actor.Attributes, so no lookup is needed.
 */
#include "config.h"

#include "fleet-backoff.h"
#include "fleet-podman-private.h"
#include "fleet-util-private.h"

#define RECONNECT_INITIAL_MSECS 500
#define RECONNECT_MAX_MSECS (30 * 1000)
#define RECONNECT_JITTER 0.1

#define EVENTS_FILTER "{\"type\":[\"container\"],\"event\":[\"died\"]}"

struct _FleetPodmanEvents
{
  GObject parent_instance;

  FleetPodmanClient *client;
  FleetPodmanDiedFunc func;
  gpointer user_data;

  GCancellable *cancellable; /* of the stream in use; NULL when stopped */
  GDataInputStream *lines;
  FleetBackoff backoff;
  guint reconnect_id;
  gint64 resume_since; /* wall-clock seconds to replay from */
};

G_DEFINE_FINAL_TYPE (FleetPodmanEvents, _fleet_podman_events, G_TYPE_OBJECT)

static void open_stream (FleetPodmanEvents *self);

static void
_fleet_podman_events_dispose (GObject *object)
{
  FleetPodmanEvents *self = FLEET_PODMAN_EVENTS (object);

  _fleet_podman_events_stop (self);
  g_clear_object (&self->client);
  G_OBJECT_CLASS (_fleet_podman_events_parent_class)->dispose (object);
}

static void
_fleet_podman_events_class_init (FleetPodmanEventsClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = _fleet_podman_events_dispose;
}

static void
_fleet_podman_events_init (FleetPodmanEvents *self)
{
  fleet_backoff_init (&self->backoff, RECONNECT_INITIAL_MSECS, RECONNECT_MAX_MSECS,
                      RECONNECT_JITTER);
}

/**
 * _fleet_podman_events_new:
 * @func: called for every fleet container that dies, until stopped
 */
FleetPodmanEvents *
_fleet_podman_events_new (FleetPodmanClient *client, FleetPodmanDiedFunc func, gpointer user_data)
{
  FleetPodmanEvents *self = g_object_new (FLEET_TYPE_PODMAN_EVENTS, NULL);

  self->client = g_object_ref (client);
  self->func = func;
  self->user_data = user_data;
  return self;
}

/**
 * _fleet_podman_events_parse_died:
 * @line: one line of the event stream
 * @out_deployment: (out) (nullable): its fleet.deployment label, or %NULL
 *
 * Returns: TRUE when @line is a container's "died" event
 */
gboolean
_fleet_podman_events_parse_died (const char *line, char **out_id, char **out_deployment,
                                 char **out_service)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *event;
  JsonObject *actor;
  JsonObject *attributes;
  const char *action;
  const char *id;

  if (!json_parser_load_from_data (parser, line, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return FALSE;
  event = json_node_get_object (json_parser_get_root (parser));
  action = _fleet_podman_json_get_string (event, "Action");
  if (action == NULL)
    action = _fleet_podman_json_get_string (event, "status");
  if (g_strcmp0 (_fleet_podman_json_get_string (event, "Type"), "container") != 0
      || g_strcmp0 (action, "died") != 0)
    return FALSE;
  actor = _fleet_podman_json_get_object (event, "Actor");
  attributes = _fleet_podman_json_get_object (actor, "Attributes");
  id = _fleet_podman_json_get_string (actor, "ID");
  if (id == NULL)
    id = _fleet_podman_json_get_string (event, "id");
  if (id == NULL)
    return FALSE;
  *out_id = g_strdup (id);
  *out_deployment = g_strdup (_fleet_podman_json_get_string (attributes, FLEET_LABEL_DEPLOYMENT));
  *out_service = g_strdup (_fleet_podman_json_get_string (attributes, FLEET_LABEL_SERVICE));
  return TRUE;
}

static void
handle_line (FleetPodmanEvents *self, const char *line)
{
  g_autofree char *id = NULL;
  g_autofree char *deployment = NULL;
  g_autofree char *service = NULL;

  if (!_fleet_podman_events_parse_died (line, &id, &deployment, &service))
    return;
  /* Containers without the label are not the agent's. */
  if (deployment == NULL)
    return;
  self->func (id, deployment, service, self->user_data);
}

static gboolean
on_reconnect (gpointer user_data)
{
  FleetPodmanEvents *self = user_data;

  self->reconnect_id = 0;
  open_stream (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (FleetPodmanEvents *self, const GError *error)
{
  guint delay;

  g_clear_object (&self->lines);
  /* Replay from here, so that what dies while we are away is not missed. */
  if (self->backoff.failures == 0)
    self->resume_since = g_get_real_time () / G_USEC_PER_SEC;
  delay = fleet_backoff_failed (&self->backoff, g_get_monotonic_time ());
  if (self->backoff.failures == 1)
    fleet_log_notice ("event-stream", "podman event stream: %s; reconnecting in %u ms",
                      error ? error->message : "closed by podman", delay);
  else
    g_debug ("podman event stream: %s; reconnecting in %u ms",
             error ? error->message : "closed by podman", delay);
  self->reconnect_id = g_timeout_add_full (G_PRIORITY_DEFAULT, delay, on_reconnect,
                                           g_object_ref (self), g_object_unref);
}

static void
on_line (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(FleetPodmanEvents) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                                     result, NULL, &error);

  /* Stopped, or a stream that was replaced: nothing more to do. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      || G_DATA_INPUT_STREAM (source) != self->lines)
    return;
  if (line == NULL)
    {
      schedule_reconnect (self, error);
      return;
    }
  handle_line (self, line);
  /* Still listening?  The callback may have stopped us. */
  if (self->lines != NULL)
    g_data_input_stream_read_line_async (self->lines, G_PRIORITY_DEFAULT, self->cancellable,
                                         on_line, g_object_ref (self));
}

static void
on_opened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(FleetPodmanEvents) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) stream
      = _fleet_podman_client_open_stream_finish (FLEET_PODMAN_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->cancellable == NULL)
    return;
  if (stream == NULL)
    {
      schedule_reconnect (self, error);
      return;
    }
  if (self->backoff.failures > 0)
    fleet_log_notice ("event-stream", "podman event stream: reconnected");
  fleet_backoff_reset (&self->backoff);
  self->lines = g_data_input_stream_new (stream);
  g_data_input_stream_read_line_async (self->lines, G_PRIORITY_DEFAULT, self->cancellable, on_line,
                                       g_object_ref (self));
}

static void
open_stream (FleetPodmanEvents *self)
{
  g_autofree char *filters = g_uri_escape_string (EVENTS_FILTER, NULL, FALSE);
  g_autofree char *path = g_strdup_printf (
      "/events?stream=true&since=%" G_GINT64_FORMAT "&filters=%s", self->resume_since, filters);

  _fleet_podman_client_open_stream_async (self->client, path, self->cancellable, on_opened,
                                          g_object_ref (self));
}

/* Start following the stream; reports begin with what dies from now on. */
void
_fleet_podman_events_start (FleetPodmanEvents *self)
{
  g_return_if_fail (FLEET_IS_PODMAN_EVENTS (self));

  if (self->cancellable != NULL)
    return;
  self->cancellable = g_cancellable_new ();
  self->resume_since = g_get_real_time () / G_USEC_PER_SEC;
  fleet_backoff_reset (&self->backoff);
  open_stream (self);
}

/* Stop following; no report is made after this returns. */
void
_fleet_podman_events_stop (FleetPodmanEvents *self)
{
  g_return_if_fail (FLEET_IS_PODMAN_EVENTS (self));

  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->lines);
}
