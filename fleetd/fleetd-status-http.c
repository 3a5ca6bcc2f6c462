/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-status-http.c: the status URL as a status sink: each report is a
 * PUT of the status document (contract §3), with the source's CA file,
 * client certificate and bearer token (one server, one identity); any 2xx
 * answer is success. */
#include "config.h"

#include <libsoup/soup.h>

#include "fleetd-status-http.h"
#include "fleet-http-credentials-private.h"
#include "fleet-util-private.h"

struct _FleetdStatusHttp
{
  GObject parent_instance;

  char *url;
  SoupSession *session;
  FleetHttpCredentials *credentials;
};

static void fleetd_status_http_sink_init (FleetdStatusSinkInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FleetdStatusHttp, fleetd_status_http, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FLEETD_TYPE_STATUS_SINK,
                                                      fleetd_status_http_sink_init))

static void
fleetd_status_http_finalize (GObject *object)
{
  FleetdStatusHttp *self = FLEETD_STATUS_HTTP (object);

  g_free (self->url);
  g_clear_object (&self->session);
  g_clear_pointer (&self->credentials, fleet_http_credentials_unref);
  G_OBJECT_CLASS (fleetd_status_http_parent_class)->finalize (object);
}

static void
fleetd_status_http_class_init (FleetdStatusHttpClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fleetd_status_http_finalize;
}

static void
fleetd_status_http_init (FleetdStatusHttp *self)
{
  self->session = soup_session_new_with_options ("timeout", FLEETD_STATUS_TIMEOUT_SECS,
                                                 "user-agent", "fleetd/" PACKAGE_VERSION, NULL);
}

/**
 * fleetd_status_http_new:
 * @url: where to PUT the status document
 * @credentials: (nullable): the CA file, client certificate and bearer
 *   token to talk to the server with (the source's), or %NULL
 *
 * Returns: (transfer full): the sink
 */
FleetdStatusSink *
fleetd_status_http_new (const char *url, FleetHttpCredentials *credentials)
{
  FleetdStatusHttp *self;

  g_return_val_if_fail (url != NULL, NULL);

  self = g_object_new (FLEETD_TYPE_STATUS_HTTP, NULL);
  self->url = g_strdup (url);
  if (credentials)
    {
      self->credentials = fleet_http_credentials_ref (credentials);
      _fleet_http_credentials_setup_session (credentials, self->session);
    }
  return FLEETD_STATUS_SINK (self);
}

const char *
fleetd_status_http_get_url (FleetdStatusHttp *self)
{
  g_return_val_if_fail (FLEETD_IS_STATUS_HTTP (self), NULL);
  return self->url;
}

static char *
fleetd_status_http_describe (FleetdStatusSink *sink)
{
  return g_strdup_printf ("url=%s", FLEETD_STATUS_HTTP (sink)->url);
}

static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  GError *error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                              &error);
  guint status;

  if (body == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  status = soup_message_get_status (message);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_FAILED, "HTTP %u %s", status,
                             soup_message_get_reason_phrase (message));
  else
    g_task_return_boolean (task, TRUE);
}

static void
fleetd_status_http_send_async (FleetdStatusSink *sink, const char *status_json,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data)
{
  FleetdStatusHttp *self = FLEETD_STATUS_HTTP (sink);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GBytes) body = g_bytes_new (status_json, strlen (status_json));
  g_autoptr(SoupMessage) message = soup_message_new (SOUP_METHOD_PUT, self->url);
  GError *error = NULL;

  g_task_set_source_tag (task, fleetd_status_http_send_async);
  if (message == NULL)
    {
      /* The URL was checked when the configuration was read. */
      g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_INVALID_ARGUMENT,
                               "%s is not a valid URL", self->url);
      return;
    }
  soup_message_set_request_body_from_bytes (message, "application/json", body);
  /* e.g. the token file is missing: a failed report, retried later */
  if (self->credentials && !_fleet_http_credentials_authorize (self->credentials, message, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  soup_session_send_and_read_async (self->session, message, G_PRIORITY_DEFAULT, cancellable,
                                    on_sent, g_steal_pointer (&task));
}

static gboolean
fleetd_status_http_send_finish (FleetdStatusSink *sink, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, sink), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
fleetd_status_http_sink_init (FleetdStatusSinkInterface *iface)
{
  iface->describe = fleetd_status_http_describe;
  iface->send_async = fleetd_status_http_send_async;
  iface->send_finish = fleetd_status_http_send_finish;
}
