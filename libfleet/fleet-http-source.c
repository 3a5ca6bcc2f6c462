/* fleet-http-source.c: the desired-state document over HTTP(S) with
 * libsoup 3.
 *
 * Conditional requests (If-None-Match with the ETag of the last document the
 * caller committed): a 304 costs no parsing and no runtime work.  The body is
 * read as a stream and the fetch aborted as soon as it exceeds the size
 * limit.  Connecting has its own timeout (the session's I/O timeout) and the
 * whole fetch another.  TLS verifies against the system CAs or a configured
 * CA file; a client certificate (mutual TLS) and a bearer token file are
 * optional.  The token file is read at every fetch so it can be rotated.
 */
#include "config.h"

#include <libsoup/soup.h>

#include "fleet-http-credentials-private.h"
#include "fleet-http-source.h"
#include "fleet-read-limited-private.h"
#include "fleet-util-private.h"

struct _FleetHttpSource
{
  GObject parent_instance;

  SoupSession *session;
  GUri *uri;
  char *uri_string;
  gsize max_bytes;
  guint timeout_secs;
  FleetHttpCredentials *credentials;
  char *committed;
};

typedef struct
{
  SoupMessage *message;
  GCancellable *cancellable; /* cancelled by the caller or the timeout */
  gulong caller_cancelled_id;
  GCancellable *caller_cancellable;
  guint timeout_id;
  gboolean timed_out;
} FetchData;

static void fleet_http_source_iface_init (FleetSourceInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FleetHttpSource, fleet_http_source, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FLEET_TYPE_SOURCE,
                                                      fleet_http_source_iface_init))

static void
fleet_http_source_finalize (GObject *object)
{
  FleetHttpSource *self = FLEET_HTTP_SOURCE (object);

  g_clear_object (&self->session);
  g_clear_pointer (&self->uri, g_uri_unref);
  g_free (self->uri_string);
  g_clear_pointer (&self->credentials, _fleet_http_credentials_free);
  g_free (self->committed);
  G_OBJECT_CLASS (fleet_http_source_parent_class)->finalize (object);
}

static void
fleet_http_source_class_init (FleetHttpSourceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fleet_http_source_finalize;
}

static void
fleet_http_source_init (FleetHttpSource *self)
{
}

static void
fetch_data_free (gpointer data)
{
  FetchData *d = data;

  g_clear_handle_id (&d->timeout_id, g_source_remove);
  if (d->caller_cancellable)
    g_cancellable_disconnect (d->caller_cancellable, d->caller_cancelled_id);
  g_clear_object (&d->caller_cancellable);
  g_clear_object (&d->cancellable);
  g_clear_object (&d->message);
  g_free (d);
}

static void
fail (GTask *task, FleetError code, const char *message)
{
  FleetHttpSource *self = g_task_get_source_object (task);

  g_task_return_new_error (task, FLEET_ERROR, code, "fetching %s: %s", self->uri_string, message);
}

/* Fail with the cause: our own timeout, or the I/O error as GIO put it. */
static void
fail_with (GTask *task, GError *error)
{
  FleetHttpSource *self = g_task_get_source_object (task);
  FetchData *d = g_task_get_task_data (task);
  g_autofree char *message = NULL;

  if (d->timed_out)
    message = g_strdup_printf ("timed out after %u s", self->timeout_secs);
  else
    message = g_strdup (error->message);
  fail (task, error->domain == FLEET_ERROR ? (FleetError) error->code : FLEET_ERROR_FETCH_FAILED,
        message);
  g_error_free (error);
}

static void
on_body (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  FleetHttpSource *self = g_task_get_source_object (task);
  FetchData *d = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GBytes) body = _fleet_read_limited_finish (result, &error);
  const char *etag;
  g_autofree char *validator = NULL;

  g_input_stream_close_async (G_INPUT_STREAM (source), G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  if (body == NULL)
    {
      fail_with (task, error);
      return;
    }
  /* Without an ETag, the body's digest stands in, so that an unchanged
   * document is still recognised as such. */
  etag = soup_message_headers_get_one (soup_message_get_response_headers (d->message), "ETag");
  validator = etag ? g_strdup (etag)
                   : fleet_sha256_digest (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  if (etag == NULL && g_strcmp0 (validator, self->committed) == 0)
    g_task_return_pointer (task, fleet_fetch_result_new (TRUE, NULL, validator),
                           (GDestroyNotify) fleet_fetch_result_unref);
  else
    g_task_return_pointer (task, fleet_fetch_result_new (FALSE, body, validator),
                           (GDestroyNotify) fleet_fetch_result_unref);
}

static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  FleetHttpSource *self = g_task_get_source_object (task);
  FetchData *d = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GInputStream) stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  guint status;
  goffset length;

  if (stream == NULL)
    {
      fail_with (task, error);
      return;
    }
  status = soup_message_get_status (d->message);
  if (status == SOUP_STATUS_NOT_MODIFIED)
    {
      g_input_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      g_task_return_pointer (task, fleet_fetch_result_new (TRUE, NULL, self->committed),
                             (GDestroyNotify) fleet_fetch_result_unref);
      return;
    }
  if (status != SOUP_STATUS_OK)
    {
      g_autofree char *message = g_strdup_printf ("HTTP %u %s", status,
                                                  soup_message_get_reason_phrase (d->message));
      g_input_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      fail (task, FLEET_ERROR_FETCH_FAILED, message);
      return;
    }
  length = soup_message_headers_get_content_length (
    soup_message_get_response_headers (d->message));
  if (length > 0 && (guint64) length > self->max_bytes)
    {
      g_autofree char *message = g_strdup_printf (
        "document: %" G_GINT64_FORMAT " bytes is over the limit of %" G_GSIZE_FORMAT
        " bytes", (gint64) length, self->max_bytes);
      g_input_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      fail (task, FLEET_ERROR_TOO_LARGE, message);
      return;
    }
  _fleet_read_limited_async (stream, self->max_bytes, d->cancellable, on_body,
                             g_steal_pointer (&task));
}

static gboolean
on_timeout (gpointer user_data)
{
  FetchData *d = user_data;

  d->timeout_id = 0;
  d->timed_out = TRUE;
  g_cancellable_cancel (d->cancellable);
  return G_SOURCE_REMOVE;
}

static void
on_caller_cancelled (GCancellable *caller, gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static void
http_source_fetch (FleetSource *source, GCancellable *cancellable, GAsyncReadyCallback callback,
                   gpointer user_data)
{
  FleetHttpSource *self = FLEET_HTTP_SOURCE (source);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  FetchData *d = g_new0 (FetchData, 1);
  SoupMessageHeaders *headers;
  g_autoptr(GError) error = NULL;

  g_task_set_source_tag (task, http_source_fetch);
  g_task_set_task_data (task, d, fetch_data_free);
  d->message = soup_message_new_from_uri (SOUP_METHOD_GET, self->uri);
  d->cancellable = g_cancellable_new ();
  if (cancellable)
    {
      d->caller_cancellable = g_object_ref (cancellable);
      d->caller_cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_caller_cancelled),
                                                      g_object_ref (d->cancellable),
                                                      g_object_unref);
    }
  headers = soup_message_get_request_headers (d->message);
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (self->committed && !g_str_has_prefix (self->committed, "sha256:"))
    soup_message_headers_replace (headers, "If-None-Match", self->committed);
  if (!_fleet_http_credentials_authorize (self->credentials, d->message, &error))
    {
      fail (task, FLEET_ERROR_FETCH_FAILED, error->message);
      return;
    }
  d->timeout_id = g_timeout_add_seconds (self->timeout_secs, on_timeout, d);
  soup_session_send_async (self->session, d->message, G_PRIORITY_DEFAULT, d->cancellable, on_sent,
                           g_steal_pointer (&task));
}

static FleetFetchResult *
http_source_fetch_finish (FleetSource *source, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, source), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
http_source_commit (FleetSource *source, const char *validator)
{
  FleetHttpSource *self = FLEET_HTTP_SOURCE (source);

  if (validator == self->committed)
    return;
  g_free (self->committed);
  self->committed = g_strdup (validator);
}

static const char *
http_source_get_uri (FleetSource *source)
{
  return FLEET_HTTP_SOURCE (source)->uri_string;
}

static void
fleet_http_source_iface_init (FleetSourceInterface *iface)
{
  iface->fetch = http_source_fetch;
  iface->fetch_finish = http_source_fetch_finish;
  iface->commit = http_source_commit;
  iface->get_uri = http_source_get_uri;
}

/**
 * fleet_http_source_new:
 * @uri: an `http://` or `https://` URL (`{device}` already replaced)
 * @options: the options
 *
 * Returns: (transfer full): the source, or %NULL when the URL, the CA file
 *   or the client certificate cannot be used
 */
FleetSource *
fleet_http_source_new (const char *uri, const FleetSourceOptions *options, GError **error)
{
  g_autoptr(FleetHttpSource) self = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GUri) parsed = NULL;

  g_return_val_if_fail (uri != NULL && options != NULL, NULL);

  parsed = g_uri_parse (uri, G_URI_FLAGS_ENCODED, &local_error);
  if (parsed == NULL || g_uri_get_host (parsed) == NULL || *g_uri_get_host (parsed) == '\0')
    return fleet_null_throw (error, FLEET_ERROR_INVALID_ARGUMENT, "source: invalid URL %s%s%s",
                             uri, local_error ? ": " : "",
                             local_error ? local_error->message : "");
  self = g_object_new (FLEET_TYPE_HTTP_SOURCE, NULL);
  self->uri = g_steal_pointer (&parsed);
  self->uri_string = g_strdup (uri);
  self->max_bytes = options->max_bytes;
  self->timeout_secs = options->timeout_secs ? options->timeout_secs
                                             : FLEET_DEFAULT_FETCH_TIMEOUT_SECS;
  self->session = soup_session_new_with_options (
    "timeout", options->connect_timeout_secs ? options->connect_timeout_secs
                                             : FLEET_DEFAULT_CONNECT_TIMEOUT_SECS,
    "user-agent", "fleetd/" PACKAGE_VERSION, NULL);
  self->credentials = _fleet_http_credentials_new (options, error);
  if (self->credentials == NULL)
    return NULL;
  _fleet_http_credentials_setup_session (self->credentials, self->session);
  return FLEET_SOURCE (g_steal_pointer (&self));
}
