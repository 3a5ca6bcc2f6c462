/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-nats-status.c: fleetd's NATS parts.  The source is made from the
 * settings (the TLS files and bearer token are the HTTP source's options,
 * the rest are the nats-* options); and the status document (contract §3)
 * is put into the status bucket under the device id, after each change and
 * at least every heartbeat, so that a control plane watches the whole fleet
 * with one key-value watch.  The document says when it was written.
 *
 * As with the status URL, reporting never holds up reconciling: a change
 * schedules a put a moment later (a burst of changes is one put of the
 * latest status), a change while a put is in flight is put when it
 * completes, and a failed put (the server is unreachable) is retried with
 * capped backoff with jitter and logged once.  The put goes over the
 * source's connection, in a worker thread.
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "fleetd-nats-status.h"
#include <fleet.h>
#include "fleet-util-private.h"
#include "fleetd-log.h"

#define RETRY_INITIAL_MSECS 1000
#define RETRY_MAX_MSECS (60 * 1000)
#define RETRY_JITTER 0.2

gboolean
fleetd_config_is_nats (FleetdConfig *config)
{
  const char *scheme = g_uri_peek_scheme (config->source);

  return g_strcmp0 (scheme, "nats") == 0 || g_strcmp0 (scheme, "tls") == 0;
}

/* The source of a nats:// or tls:// --source. */
FleetSource *
fleetd_nats_source_new (FleetdConfig *config, GError **error)
{
  FleetNatsSourceOptions options;

  fleet_nats_source_options_init (&options);
  options.device_id = config->device_id;
  if (config->max_document_bytes)
    options.max_bytes = config->max_document_bytes;
  options.connect_timeout_secs = config->connect_timeout;
  options.ca_file = config->ca_file;
  options.client_cert_file = config->client_cert;
  options.client_key_file = config->client_key;
  options.token_file = config->bearer_token_file;
  options.user = config->nats_user;
  options.password_file = config->nats_password_file;
  options.creds_file = config->nats_creds_file;
  options.nkey = config->nats_nkey;
  options.nkey_seed_file = config->nats_nkey_seed_file;
  return fleet_nats_source_new (config->source, &options, error);
}

struct _FleetdNatsStatus
{
  GObject parent_instance;

  FleetNatsSource *source;
  char *bucket;
  char *key;
  FleetdStatusBuildFunc build;
  gpointer build_data;
  GDestroyNotify build_destroy;

  GCancellable *cancellable;
  guint coalesce_msecs;
  guint heartbeat_msecs;
  FleetBackoff backoff;
  guint send_id;
  guint heartbeat_id;
  gboolean in_flight;
  gboolean dirty;
  char *logged_error;
  guint sent_count;
  GPtrArray *flush_next; /* GTask, completed by the next put to start */
  GPtrArray *flush_this; /* GTask, completed by the put in flight */
};

G_DEFINE_FINAL_TYPE (FleetdNatsStatus, fleetd_nats_status, G_TYPE_OBJECT)

static void schedule_put (FleetdNatsStatus *self, guint delay_msecs);

static void
fleetd_nats_status_dispose (GObject *object)
{
  FleetdNatsStatus *self = FLEETD_NATS_STATUS (object);

  fleetd_nats_status_stop (self);
  g_clear_object (&self->source);
  if (self->build_destroy)
    g_clear_pointer (&self->build_data, self->build_destroy);
  G_OBJECT_CLASS (fleetd_nats_status_parent_class)->dispose (object);
}

static void
fleetd_nats_status_finalize (GObject *object)
{
  FleetdNatsStatus *self = FLEETD_NATS_STATUS (object);

  g_free (self->bucket);
  g_free (self->key);
  g_free (self->logged_error);
  g_object_unref (self->cancellable);
  g_ptr_array_unref (self->flush_next);
  g_ptr_array_unref (self->flush_this);
  G_OBJECT_CLASS (fleetd_nats_status_parent_class)->finalize (object);
}

static void
fleetd_nats_status_class_init (FleetdNatsStatusClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fleetd_nats_status_dispose;
  object_class->finalize = fleetd_nats_status_finalize;
}

static void
fleetd_nats_status_init (FleetdNatsStatus *self)
{
  self->cancellable = g_cancellable_new ();
  self->coalesce_msecs = FLEETD_STATUS_COALESCE_MSECS;
  self->heartbeat_msecs = FLEETD_STATUS_HEARTBEAT_SECS * 1000;
  fleet_backoff_init (&self->backoff, RETRY_INITIAL_MSECS, RETRY_MAX_MSECS, RETRY_JITTER);
  self->flush_next = g_ptr_array_new_with_free_func (g_object_unref);
  self->flush_this = g_ptr_array_new_with_free_func (g_object_unref);
}

static void
complete_flushes (GPtrArray *tasks, const GError *error)
{
  for (guint i = 0; i < tasks->len; i++)
    {
      if (error)
        g_task_return_error (tasks->pdata[i], g_error_copy (error));
      else
        g_task_return_boolean (tasks->pdata[i], TRUE);
    }
  g_ptr_array_set_size (tasks, 0);
}

/**
 * fleetd_nats_status_new:
 * @source: the NATS source, whose connection carries the puts
 * @build: returns the status document, called at each put
 *
 * Returns: (transfer full): nothing is put before fleetd_nats_status_start()
 */
FleetdNatsStatus *
fleetd_nats_status_new (FleetNatsSource *source, const char *bucket, const char *key,
                        FleetdStatusBuildFunc build, gpointer user_data, GDestroyNotify destroy)
{
  FleetdNatsStatus *self = g_object_new (FLEETD_TYPE_NATS_STATUS, NULL);

  self->source = g_object_ref (source);
  self->bucket = g_strdup (bucket);
  self->key = g_strdup (key);
  self->build = build;
  self->build_data = user_data;
  self->build_destroy = destroy;
  return self;
}

/* For tests: shorter delays than a device wants. */
void
fleetd_nats_status_set_timing (FleetdNatsStatus *self, guint coalesce_msecs,
                               guint heartbeat_msecs)
{
  g_return_if_fail (FLEETD_IS_NATS_STATUS (self));

  self->coalesce_msecs = coalesce_msecs;
  self->heartbeat_msecs = heartbeat_msecs;
}

guint
fleetd_nats_status_get_sent_count (FleetdNatsStatus *self)
{
  g_return_val_if_fail (FLEETD_IS_NATS_STATUS (self), 0);
  return self->sent_count;
}

static gboolean
on_heartbeat (gpointer user_data)
{
  schedule_put (user_data, 0);
  return G_SOURCE_CONTINUE;
}

static void
restart_heartbeat (FleetdNatsStatus *self)
{
  g_clear_handle_id (&self->heartbeat_id, g_source_remove);
  if (!g_cancellable_is_cancelled (self->cancellable))
    self->heartbeat_id = g_timeout_add (self->heartbeat_msecs, on_heartbeat, self);
}

static void
log_outcome (FleetdNatsStatus *self, const GError *error)
{
  if (error == NULL && self->logged_error != NULL)
    {
      fleetd_log_event (G_LOG_LEVEL_MESSAGE, "report-status",
                        "bucket=%s key=%s result=ok (recovered)", self->bucket, self->key);
      g_clear_pointer (&self->logged_error, g_free);
    }
  else if (error != NULL && g_strcmp0 (self->logged_error, error->message) != 0)
    {
      g_autofree char *quoted = fleet_log_quote (error->message);

      fleetd_log_event (G_LOG_LEVEL_MESSAGE, "report-status",
                        "bucket=%s key=%s result=error error=%s (retrying with backoff; not "
                        "logged again while it persists)",
                        self->bucket, self->key, quoted);
      g_free (self->logged_error);
      self->logged_error = g_strdup (error->message);
    }
}

static void
on_put (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(FleetdNatsStatus) self = user_data;
  g_autoptr(GError) error = NULL;

  self->in_flight = FALSE;
  if (!fleet_nats_source_put_finish (FLEET_NATS_SOURCE (source), result, &error))
    {
      complete_flushes (self->flush_this, error);
      if (g_cancellable_is_cancelled (self->cancellable))
        return;
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED))
        {
          /* The source is still connecting, and reports it if that fails. */
          schedule_put (self, RETRY_INITIAL_MSECS);
          return;
        }
      log_outcome (self, error);
      self->dirty = FALSE;
      schedule_put (self, fleet_backoff_failed (&self->backoff, g_get_monotonic_time ()));
      return;
    }
  self->sent_count++;
  fleet_backoff_reset (&self->backoff);
  log_outcome (self, NULL);
  restart_heartbeat (self);
  complete_flushes (self->flush_this, NULL);
  if (self->dirty || self->flush_next->len > 0)
    schedule_put (self, self->flush_next->len > 0 ? 0 : self->coalesce_msecs);
  self->dirty = FALSE;
}

/* The status document with when it was written: a heartbeat that changes
 * nothing else is still news. */
static GBytes *
build_stamped (FleetdNatsStatus *self)
{
  g_autofree char *json = self->build (self->build_data);
  g_autoptr(JsonNode) node = json_from_string (json, NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *at = g_date_time_format_iso8601 (now);
  char *stamped;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      gsize length = strlen (json);

      return g_bytes_new_take (g_steal_pointer (&json), length);
    }
  json_object_set_string_member (json_node_get_object (node), "reported_at", at);
  stamped = json_to_string (node, FALSE);
  return g_bytes_new_take (stamped, strlen (stamped));
}

static gboolean
on_put_due (gpointer user_data)
{
  FleetdNatsStatus *self = user_data;
  g_autoptr(GBytes) body = build_stamped (self);

  self->send_id = 0;
  self->in_flight = TRUE;
  g_ptr_array_extend_and_steal (self->flush_this, g_steal_pointer (&self->flush_next));
  self->flush_next = g_ptr_array_new_with_free_func (g_object_unref);
  fleet_nats_source_put_async (self->source, self->bucket, self->key, body, self->cancellable,
                               on_put, g_object_ref (self));
  return G_SOURCE_REMOVE;
}

static void
schedule_put (FleetdNatsStatus *self, guint delay_msecs)
{
  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  if (self->in_flight)
    {
      self->dirty = TRUE;
      return;
    }
  if (self->send_id == 0)
    self->send_id = g_timeout_add (delay_msecs, on_put_due, self);
}

void
fleetd_nats_status_start (FleetdNatsStatus *self)
{
  g_return_if_fail (FLEETD_IS_NATS_STATUS (self));

  schedule_put (self, 0);
  restart_heartbeat (self);
}

void
fleetd_nats_status_changed (FleetdNatsStatus *self)
{
  g_return_if_fail (FLEETD_IS_NATS_STATUS (self));

  schedule_put (self, self->coalesce_msecs);
}

void
fleetd_nats_status_stop (FleetdNatsStatus *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (FLEETD_IS_NATS_STATUS (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->send_id, g_source_remove);
  g_clear_handle_id (&self->heartbeat_id, g_source_remove);
  error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "status reporting stopped");
  complete_flushes (self->flush_next, error);
}

/**
 * fleetd_nats_status_flush_async:
 *
 * Put the current status now, and complete when the put is done (or
 * failed, logged): before `fleetd --once` exits.
 */
void
fleetd_nats_status_flush_async (FleetdNatsStatus *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FLEETD_IS_NATS_STATUS (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fleetd_nats_status_flush_async);
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "status reporting stopped");
      return;
    }
  g_ptr_array_add (self->flush_next, g_steal_pointer (&task));
  if (self->in_flight)
    return;
  g_clear_handle_id (&self->send_id, g_source_remove);
  schedule_put (self, 0);
}

gboolean
fleetd_nats_status_flush_finish (FleetdNatsStatus *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
