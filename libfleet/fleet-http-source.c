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
 *
 * A document that is not in signify's embedded form may have a detached
 * signature beside it, URL.sig: it is fetched after each new document;
 * 404, 410, or a body that is not a signify signature (a server's page
 * for any path), means none.
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

/* signify's embedded form begins so; a detached signature is about 150
 * bytes. */
#define EMBEDDED_PREFIX "untrusted comment: "
#define MAX_SIGNATURE_BYTES 4096

static void fetch_detached_signature (GTask *task, GBytes *body, const char *validator);

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
  /* signify's embedded form carries its signature; otherwise one may be
   * beside the document. */
  if (g_bytes_get_size (body) >= strlen (EMBEDDED_PREFIX)
      && memcmp (g_bytes_get_data (body, NULL), EMBEDDED_PREFIX, strlen (EMBEDDED_PREFIX)) == 0)
    {
      g_task_return_pointer (task, fleet_fetch_result_new (FALSE, body, validator),
                             (GDestroyNotify) fleet_fetch_result_unref);
      return;
    }
  fetch_detached_signature (g_steal_pointer (&task), body, validator);
}

/* The detached signature URL.sig, fetched after a document came (200):
 * 404 or 410 means there is none; anything else fails the fetch.  With a
 * signature, the version is the digest of both (so a new signature alone
 * is seen, and no If-None-Match is sent for such a document). */

typedef struct
{
  GTask *task; /* the document's fetch */
  GBytes *body;
  char *validator;
  SoupMessage *message;
  char *uri;
} SignatureFetch;

static void
signature_fetch_free (SignatureFetch *sf)
{
  g_clear_object (&sf->task);
  g_clear_pointer (&sf->body, g_bytes_unref);
  g_free (sf->validator);
  if (sf->message)
    g_signal_handlers_disconnect_by_data (sf->message, sf);
  g_clear_object (&sf->message);
  g_free (sf->uri);
  g_free (sf);
}

static void
return_with_signature (SignatureFetch *sf, GBytes *signature)
{
  FleetFetchResult *result;

  if (signature != NULL)
    {
      g_autofree char *of_body = fleet_sha256_digest (g_bytes_get_data (sf->body, NULL),
                                                      g_bytes_get_size (sf->body));
      g_autofree char *of_signature = fleet_sha256_digest (g_bytes_get_data (signature, NULL),
                                                           g_bytes_get_size (signature));

      g_free (sf->validator);
      sf->validator = g_strconcat (of_body, ";sig=", of_signature, NULL);
    }
  result = fleet_fetch_result_new (FALSE, sf->body, sf->validator);
  result->signature = signature ? g_bytes_ref (signature) : NULL;
  g_task_return_pointer (sf->task, result, (GDestroyNotify) fleet_fetch_result_unref);
  signature_fetch_free (sf);
}

static void
on_signature_body (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SignatureFetch *sf = user_data;
  GError *error = NULL;
  g_autoptr(GBytes) signature = _fleet_read_limited_finish (result, &error);

  g_input_stream_close_async (G_INPUT_STREAM (source), G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  /* far larger than a signature: some page of the server's, not one */
  if (g_error_matches (error, FLEET_ERROR, FLEET_ERROR_TOO_LARGE))
    {
      g_clear_error (&error);
      return_with_signature (sf, NULL);
      return;
    }
  if (signature == NULL)
    {
      g_prefix_error (&error, "%s: ", sf->uri);
      g_task_return_error (sf->task, error);
      signature_fetch_free (sf);
      return;
    }
  /* Servers that answer 200 to any path (a page of their own) have no
   * signature there: what is not in signify's form counts as none; a
   * device that requires signatures refuses the document all the same. */
  if (g_bytes_get_size (signature) < strlen (EMBEDDED_PREFIX)
      || memcmp (g_bytes_get_data (signature, NULL), EMBEDDED_PREFIX, strlen (EMBEDDED_PREFIX)))
    g_clear_pointer (&signature, g_bytes_unref);
  return_with_signature (sf, signature);
}

static void
on_signature_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SignatureFetch *sf = user_data;
  GError *error = NULL;
  g_autoptr(GInputStream) stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  guint status;

  if (stream == NULL)
    {
      g_prefix_error (&error, "%s: ", sf->uri);
      g_task_return_error (sf->task, error);
      signature_fetch_free (sf);
      return;
    }
  status = soup_message_get_status (sf->message);
  if (status == SOUP_STATUS_NOT_FOUND || status == SOUP_STATUS_GONE)
    {
      g_input_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      return_with_signature (sf, NULL);
      return;
    }
  if (status != SOUP_STATUS_OK)
    {
      g_input_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      g_task_return_new_error (sf->task, FLEET_ERROR, FLEET_ERROR_FETCH_FAILED, "%s: HTTP %u %s",
                               sf->uri, status, soup_message_get_reason_phrase (sf->message));
      signature_fetch_free (sf);
      return;
    }
  _fleet_read_limited_async (stream, MAX_SIGNATURE_BYTES, g_task_get_cancellable (sf->task),
                             on_signature_body, sf);
}

/* As for the document: credentials only for the configured server. */
static void
on_signature_starting (SoupMessage *message, gpointer user_data)
{
  SignatureFetch *sf = user_data;
  FleetHttpSource *self = g_task_get_source_object (sf->task);

  if (!same_origin (soup_message_get_uri (message), self->uri))
    soup_message_headers_remove (soup_message_get_request_headers (message), "Authorization");
}

static void
fetch_detached_signature (GTask *task, GBytes *body, const char *validator)
{
  FleetHttpSource *self = g_task_get_source_object (task);
  FetchData *d = g_task_get_task_data (task);
  GUri *where = soup_message_get_uri (d->message);
  SignatureFetch *sf = g_new0 (SignatureFetch, 1);
  g_autofree char *path = g_strconcat (g_uri_get_path (where), ".sig", NULL);
  g_autoptr(GUri) uri = g_uri_build (G_URI_FLAGS_ENCODED, g_uri_get_scheme (where), NULL,
                                     g_uri_get_host (where), g_uri_get_port (where), path,
                                     g_uri_get_query (where), NULL);
  GError *error = NULL;

  sf->task = task;
  sf->body = g_bytes_ref (body);
  sf->validator = g_strdup (validator);
  sf->uri = g_uri_to_string_partial (uri, G_URI_HIDE_PASSWORD);
  sf->message = soup_message_new_from_uri (SOUP_METHOD_GET, uri);
  g_signal_connect (sf->message, "starting", G_CALLBACK (on_signature_starting), sf);
  if (same_origin (uri, self->uri)
      && !_fleet_http_credentials_authorize (self->credentials, sf->message, &error))
    {
      g_task_return_error (sf->task, error);
      signature_fetch_free (sf);
      return;
    }
  soup_session_send_async (self->session, sf->message, G_PRIORITY_DEFAULT,
                           g_task_get_cancellable (task), on_signature_sent, sf);
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

/**
 * fleet_http_source_options_init:
 * @options: the options to set to their defaults
 *
 * Set @options to the defaults: no device id, the default limits and
 * timeouts, no credentials.
 *
 * Since: 0.2
 */
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
 * @error: return location for a #GError, or %NULL
 *
 * Returns: (transfer full): the source, or %NULL when the URL, the CA file
 *   or the client certificate cannot be used
 *
 * Since: 0.2
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
