/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-http-source.c: the desired-state document over HTTP(S) with
 * libsoup 3.
 *
 * Conditional requests (If-None-Match with the ETag of the last document the
 * caller committed): a 304 costs no parsing and no runtime work.  A 304 to a
 * request that asked about no document is an error, not "not modified":
 * there is nothing to keep.  A redirect to another origin gets neither the
 * ETag nor the bearer token meant for the first, and its ETag is not used
 * as a validator (the body's digest is).  The body is read as a stream and
 * the fetch aborted as soon as it exceeds the size limit.  Connecting has
 * its own timeout (the session's I/O timeout); the whole fetch has the
 * source's deadline.  TLS verifies against the system CAs or a configured
 * CA file; a client certificate (mutual TLS) and a bearer token file are
 * optional.  The token file is read at every fetch so it can be rotated.
 */
#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "fleet-document.h"
#include "fleet-http-credentials-private.h"
#include "fleet-http-source.h"
#include "fleet-read-limited-private.h"
#include "fleet-util-private.h"

struct _FleetHttpSource
{
  FleetSource parent_instance;

  SoupSession *session;
  GUri *uri;
  gsize max_bytes;
  FleetHttpCredentials *credentials;
};

typedef struct
{
  FleetHttpSource *self; /* the task's source object */
  SoupMessage *message;
  gboolean asked_if_modified; /* the request that was answered carried If-None-Match */
} FetchData;

G_DEFINE_FINAL_TYPE (FleetHttpSource, fleet_http_source, FLEET_TYPE_SOURCE)

static void
fleet_http_source_finalize (GObject *object)
{
  FleetHttpSource *self = FLEET_HTTP_SOURCE (object);

  g_clear_object (&self->session);
  g_clear_pointer (&self->uri, g_uri_unref);
  g_clear_pointer (&self->credentials, fleet_http_credentials_unref);
  G_OBJECT_CLASS (fleet_http_source_parent_class)->finalize (object);
}

static void
fetch_data_free (gpointer data)
{
  FetchData *d = data;

  if (d->message)
    g_signal_handlers_disconnect_by_data (d->message, d);
  g_clear_object (&d->message);
  g_free (d);
}

static int
effective_port (GUri *uri)
{
  int port = g_uri_get_port (uri);

  if (port != -1)
    return port;
  return g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80;
}

/* Same scheme, host and port. */
static gboolean
same_origin (GUri *a, GUri *b)
{
  return g_ascii_strcasecmp (g_uri_get_scheme (a), g_uri_get_scheme (b)) == 0
         && g_ascii_strcasecmp (g_uri_get_host (a), g_uri_get_host (b)) == 0
         && effective_port (a) == effective_port (b);
}

/* Before each request of the fetch, redirects included: what was meant for
 * the configured server is not told to another. */
static void
on_starting (SoupMessage *message, gpointer user_data)
{
  FetchData *d = user_data;
  FleetHttpSource *self = d->self;
  SoupMessageHeaders *headers = soup_message_get_request_headers (message);

  if (!same_origin (soup_message_get_uri (message), self->uri))
    {
      soup_message_headers_remove (headers, "If-None-Match");
      soup_message_headers_remove (headers, "Authorization");
    }
  d->asked_if_modified = soup_message_headers_get_one (headers, "If-None-Match") != NULL;
}

static void
on_body (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  FleetHttpSource *self = g_task_get_source_object (task);
  FetchData *d = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GBytes) body = _fleet_read_limited_finish (result, &error);
  const char *etag = NULL;
  g_autofree char *validator = NULL;

  g_input_stream_close_async (G_INPUT_STREAM (source), G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  if (body == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* Without an ETag of the configured server, the body's digest stands
   * in, so that an unchanged document is still recognised as such. */
  if (same_origin (soup_message_get_uri (d->message), self->uri))
    etag = soup_message_headers_get_one (soup_message_get_response_headers (d->message), "ETag");
  validator = etag ? g_strdup (etag)
                   : fleet_sha256_digest (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_task_return_pointer (task, fleet_fetch_result_new (FALSE, body, validator),
                         (GDestroyNotify) fleet_fetch_result_unref);
}

/* Whether the response is one to read on: 200, or 304 to a conditional
 * request.  Otherwise fail @task with the cause. */
static gboolean
check_status (GTask *task, GInputStream *stream)
{
  FetchData *d = g_task_get_task_data (task);
  guint status = soup_message_get_status (d->message);
  goffset length = soup_message_headers_get_content_length (
    soup_message_get_response_headers (d->message));
  FleetError code = FLEET_ERROR_FETCH_FAILED;
  g_autofree char *message = NULL;

  if (status == SOUP_STATUS_NOT_MODIFIED && !d->asked_if_modified)
    message = g_strdup ("HTTP 304 Not Modified to a request that named no document "
                        "(If-None-Match): there is nothing to keep");
  else if (status != SOUP_STATUS_OK && status != SOUP_STATUS_NOT_MODIFIED)
    message = g_strdup_printf ("HTTP %u %s", status, soup_message_get_reason_phrase (d->message));
  else if (status == SOUP_STATUS_OK && length > 0 && (guint64) length > d->self->max_bytes)
    {
      code = FLEET_ERROR_TOO_LARGE;
      message = g_strdup_printf ("document: %" G_GINT64_FORMAT " bytes is over the limit of %"
                                 G_GSIZE_FORMAT " bytes", (gint64) length, d->self->max_bytes);
    }
  if (message == NULL)
    return TRUE;
  g_input_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  g_task_return_new_error (task, FLEET_ERROR, code, "%s", message);
  return FALSE;
}

static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  FleetHttpSource *self = g_task_get_source_object (task);
  FetchData *d = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GInputStream) stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  GCancellable *cancellable;

  if (stream == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (!check_status (task, stream))
    return;
  if (soup_message_get_status (d->message) == SOUP_STATUS_NOT_MODIFIED)
    {
      g_input_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      g_task_return_pointer (task,
                             fleet_fetch_result_new (TRUE, NULL,
                                                     fleet_source_get_committed (
                                                       FLEET_SOURCE (self))),
                             (GDestroyNotify) fleet_fetch_result_unref);
      return;
    }
  cancellable = g_task_get_cancellable (task);
  _fleet_read_limited_async (stream, self->max_bytes, cancellable, on_body,
                             g_steal_pointer (&task));
}

static void
http_source_fetch (FleetSource *source, GCancellable *cancellable, GAsyncReadyCallback callback,
                   gpointer user_data)
{
  FleetHttpSource *self = FLEET_HTTP_SOURCE (source);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  FetchData *d = g_new0 (FetchData, 1);
  const char *committed = fleet_source_get_committed (source);
  SoupMessageHeaders *headers;
  GError *error = NULL;

  g_task_set_source_tag (task, http_source_fetch);
  g_task_set_task_data (task, d, fetch_data_free);
  d->self = self;
  d->message = soup_message_new_from_uri (SOUP_METHOD_GET, self->uri);
  g_signal_connect (d->message, "starting", G_CALLBACK (on_starting), d);
  headers = soup_message_get_request_headers (d->message);
  soup_message_headers_replace (headers, "Accept", "application/json");
  /* A digest is ours, not the server's: never sent. */
  if (committed && !g_str_has_prefix (committed, "sha256:"))
    soup_message_headers_replace (headers, "If-None-Match", committed);
  if (!_fleet_http_credentials_authorize (self->credentials, d->message, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  soup_session_send_async (self->session, d->message, G_PRIORITY_DEFAULT, cancellable, on_sent,
                           g_steal_pointer (&task));
}

static FleetFetchResult *
http_source_fetch_finish (FleetSource *source, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, source), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
fleet_http_source_class_init (FleetHttpSourceClass *klass)
{
  FleetSourceClass *source_class = FLEET_SOURCE_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = fleet_http_source_finalize;
  source_class->fetch = http_source_fetch;
  source_class->fetch_finish = http_source_fetch_finish;
}

static void
fleet_http_source_init (FleetHttpSource *self)
{
  fleet_source_set_polling (FLEET_SOURCE (self), TRUE);
}

void
fleet_http_source_options_init (FleetHttpSourceOptions *options)
{
  g_return_if_fail (options != NULL);

  memset (options, 0, sizeof *options);
  options->max_bytes = FLEET_DEFAULT_MAX_DOCUMENT_BYTES;
  options->connect_timeout_secs = FLEET_DEFAULT_CONNECT_TIMEOUT_SECS;
  options->timeout_secs = FLEET_DEFAULT_FETCH_TIMEOUT_SECS;
}

/**
 * fleet_http_source_new:
 * @uri: an `http://` or `https://` URL, possibly with `{device}`
 * @options: (nullable): the options, or %NULL for the defaults
 *
 * Returns: (transfer full): the source, or %NULL when the URL, the CA file
 *   or the client certificate cannot be used
 */
FleetSource *
fleet_http_source_new (const char *uri, const FleetHttpSourceOptions *options, GError **error)
{
  FleetHttpSourceOptions defaults;
  g_autoptr(FleetHttpSource) self = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GUri) parsed = NULL;
  g_autofree char *expanded = NULL;

  g_return_val_if_fail (uri != NULL, NULL);

  if (options == NULL)
    {
      fleet_http_source_options_init (&defaults);
      options = &defaults;
    }
  expanded = fleet_source_expand_uri (uri, options->device_id);
  parsed = g_uri_parse (expanded, G_URI_FLAGS_ENCODED, &local_error);
  if (parsed == NULL || g_uri_get_host (parsed) == NULL || *g_uri_get_host (parsed) == '\0')
    return fleet_null_throw (error, FLEET_ERROR_INVALID_ARGUMENT, "source: invalid URL %s%s%s",
                             expanded, local_error ? ": " : "",
                             local_error ? local_error->message : "");
  self = g_object_new (FLEET_TYPE_HTTP_SOURCE, "uri", expanded, "fetch-timeout",
                       options->timeout_secs, NULL);
  self->uri = g_steal_pointer (&parsed);
  self->max_bytes = options->max_bytes ? options->max_bytes : FLEET_DEFAULT_MAX_DOCUMENT_BYTES;
  self->session = soup_session_new_with_options (
    "timeout", options->connect_timeout_secs ? options->connect_timeout_secs
                                             : FLEET_DEFAULT_CONNECT_TIMEOUT_SECS,
    "user-agent", "fleetd/" PACKAGE_VERSION, NULL);
  self->credentials = fleet_http_credentials_new (options->ca_file, options->client_cert_file,
                                                  options->client_key_file,
                                                  options->bearer_token_file, error);
  if (self->credentials == NULL)
    return NULL;
  _fleet_http_credentials_setup_session (self->credentials, self->session);
  return FLEET_SOURCE (g_steal_pointer (&self));
}
