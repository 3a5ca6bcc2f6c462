/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-nats-status.c: fleetd's NATS parts.  The source is made from the
 * settings (the TLS files and bearer token are the HTTP source's options,
 * the rest are the nats-* options); and the status bucket is a status sink
 * (fleetd-status-sink.h): the status document (contract §3) is put into it
 * under the device id, so that a control plane watches the whole fleet
 * with one key-value watch.  The document says when it was written.  When
 * to put it (after each change, at least every heartbeat, retries) is the
 * status reporter's business, as for the status URL.  The put goes over
 * the source's connection, in a worker thread.
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "fleetd-nats-status.h"
#include <fleet.h>
#include "fleet-util-private.h"

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
};

static void fleetd_nats_status_sink_init (FleetdStatusSinkInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FleetdNatsStatus, fleetd_nats_status, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FLEETD_TYPE_STATUS_SINK,
                                                      fleetd_nats_status_sink_init))

static void
fleetd_nats_status_finalize (GObject *object)
{
  FleetdNatsStatus *self = FLEETD_NATS_STATUS (object);

  g_clear_object (&self->source);
  g_free (self->bucket);
  g_free (self->key);
  G_OBJECT_CLASS (fleetd_nats_status_parent_class)->finalize (object);
}

static void
fleetd_nats_status_class_init (FleetdNatsStatusClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fleetd_nats_status_finalize;
}

static void
fleetd_nats_status_init (FleetdNatsStatus *self)
{
}

/**
 * fleetd_nats_status_new:
 * @source: the NATS source, whose connection carries the puts
 * @bucket: the status bucket
 * @key: the device's key in it
 *
 * Returns: (transfer full): the sink
 */
FleetdStatusSink *
fleetd_nats_status_new (FleetNatsSource *source, const char *bucket, const char *key)
{
  FleetdNatsStatus *self;

  g_return_val_if_fail (FLEET_IS_NATS_SOURCE (source), NULL);
  g_return_val_if_fail (bucket != NULL && key != NULL, NULL);

  self = g_object_new (FLEETD_TYPE_NATS_STATUS, NULL);
  self->source = g_object_ref (source);
  self->bucket = g_strdup (bucket);
  self->key = g_strdup (key);
  return FLEETD_STATUS_SINK (self);
}

static char *
fleetd_nats_status_describe (FleetdStatusSink *sink)
{
  FleetdNatsStatus *self = FLEETD_NATS_STATUS (sink);

  return g_strdup_printf ("bucket=%s key=%s", self->bucket, self->key);
}

/* The status document with when it was written: a heartbeat that changes
 * nothing else is still news. */
static GBytes *
stamp (const char *json)
{
  g_autoptr(JsonNode) node = json_from_string (json, NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *at = g_date_time_format_iso8601 (now);
  char *stamped;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return g_bytes_new (json, strlen (json));
  json_object_set_string_member (json_node_get_object (node), "reported_at", at);
  stamped = json_to_string (node, FALSE);
  return g_bytes_new_take (stamped, strlen (stamped));
}

static void
on_put (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  /* G_IO_ERROR_NOT_CONNECTED while the source is still connecting. */
  if (!fleet_nats_source_put_finish (FLEET_NATS_SOURCE (source), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
fleetd_nats_status_send_async (FleetdStatusSink *sink, const char *status_json,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data)
{
  FleetdNatsStatus *self = FLEETD_NATS_STATUS (sink);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GBytes) body = stamp (status_json);

  g_task_set_source_tag (task, fleetd_nats_status_send_async);
  fleet_nats_source_put_async (self->source, self->bucket, self->key, body, cancellable, on_put,
                               g_steal_pointer (&task));
}

static gboolean
fleetd_nats_status_send_finish (FleetdStatusSink *sink, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, sink), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
fleetd_nats_status_sink_init (FleetdStatusSinkInterface *iface)
{
  iface->describe = fleetd_nats_status_describe;
  iface->send_async = fleetd_nats_status_send_async;
  iface->send_finish = fleetd_nats_status_send_finish;
}
