/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-sources.c: the HTTP(S) source against a real HTTP server on
 * 127.0.0.1 (libsoup's SoupServer, in process): ETag and 304 (and a 304
 * with nothing cached), a redirect to another origin, errors of every kind
 * with their cause, size limits while streaming, timeouts, TLS with a
 * private CA and a client certificate, the bearer token and {device}
 * substitution; and the factory.  The file source is in test-file-source.c.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "fleet-test-utils.h"

#define DOC "{\"generation\":1,\"deployments\":{}}"

/* What a detached signature looks like; the source does not verify it. */
#define DETACHED_SIG "untrusted comment: signature from signify secret key\nRWS...\n"

typedef struct
{
  SoupServer *server;
  char *base; /* "http://127.0.0.1:PORT" */
  char *dir;
  guint requests;
  guint signature_requests;
  char *last_path;
  char *last_if_none_match;
  char *last_authorization;
  GPtrArray *paused; /* SoupServerMessage kept unanswered */
  char *moved_to;    /* where /moving redirects, or NULL to answer itself */
} Fixture;

static void
record_request (Fixture *f, SoupServerMessage *msg, const char *path)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  /* the documents' requests; their detached signatures' apart */
  if (g_str_has_suffix (path, ".sig"))
    {
      f->signature_requests++;
      return;
    }
  f->requests++;
  g_free (f->last_path);
  f->last_path = g_strdup (path);
  g_free (f->last_if_none_match);
  f->last_if_none_match = g_strdup (soup_message_headers_get_one (headers, "If-None-Match"));
  g_free (f->last_authorization);
  f->last_authorization = g_strdup (soup_message_headers_get_one (headers, "Authorization"));
}

/* 200 with @body (static), and @etag when not NULL. */
static void
serve (SoupServerMessage *msg, const char *etag, const char *type, const char *body)
{
  if (etag != NULL)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "ETag", etag);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_STATIC, body, strlen (body));
}

/* The document as version "v1": 304 to a client that has it. */
static void
serve_versioned (SoupServerMessage *msg)
{
  const char *inm = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                  "If-None-Match");

  if (g_strcmp0 (inm, "\"v1\"") != 0)
    {
      serve (msg, "\"v1\"", "application/json", DOC);
      return;
    }
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "ETag",
                                "\"v1\"");
  soup_server_message_set_status (msg, SOUP_STATUS_NOT_MODIFIED, NULL);
}

/* 3 MiB of spaces, with a length or chunked. */
static void
serve_big (SoupServerMessage *msg, gboolean chunked)
{
  gsize size = 3 * 1024 * 1024;
  char *body = g_malloc (size);

  memset (body, ' ', size);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  if (chunked)
    soup_message_headers_set_encoding (soup_server_message_get_response_headers (msg),
                                       SOUP_ENCODING_CHUNKED);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, body, size);
}

static void
handle (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
        gpointer user_data)
{
  Fixture *f = user_data;

  record_request (f, msg, path);
  if (g_str_equal (path, "/doc") || g_str_has_prefix (path, "/devices/"))
    serve_versioned (msg);
  else if (g_str_equal (path, "/no-etag"))
    serve (msg, NULL, "application/json", DOC);
  else if (g_str_equal (path, "/always-304"))
    {
      /* A broken server (or cache) that answers 304 to anything. */
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "ETag",
                                    "\"v1\"");
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_MODIFIED, NULL);
    }
  else if (g_str_equal (path, "/moving") && f->moved_to != NULL)
    soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, f->moved_to);
  else if (g_str_equal (path, "/moving"))
    serve (msg, "\"v1\"", "application/json", DOC);
  else if (g_str_equal (path, "/error") || g_str_equal (path, "/bad-sig.sig"))
    soup_server_message_set_status (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL);
  else if (g_str_equal (path, "/auth") && g_strcmp0 (f->last_authorization, "Bearer s3cret") == 0)
    serve (msg, NULL, "application/json", DOC);
  else if (g_str_equal (path, "/auth"))
    soup_server_message_set_status (msg, SOUP_STATUS_UNAUTHORIZED, NULL);
  else if (g_str_equal (path, "/big") || g_str_equal (path, "/big-chunked"))
    serve_big (msg, g_str_equal (path, "/big-chunked"));
  else if (g_str_equal (path, "/signed") || g_str_equal (path, "/bad-sig"))
    serve (msg, "\"s1\"", "application/json", DOC);
  else if (g_str_equal (path, "/signed.sig"))
    serve (msg, NULL, "text/plain", DETACHED_SIG);
  else if (g_str_equal (path, "/stall"))
    {
      /* Never answer. */
      soup_server_message_pause (msg);
      g_ptr_array_add (f->paused, g_object_ref (msg));
    }
  else
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

static void
start_server (Fixture *f, GTlsCertificate *certificate)
{
  g_autoptr(GError) error = NULL;
  GSList *uris;

  f->server = soup_server_new ("tls-certificate", certificate, NULL);
  soup_server_add_handler (f->server, NULL, handle, f, NULL);
  g_assert_true (soup_server_listen_local (
    f->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY | (certificate ? SOUP_SERVER_LISTEN_HTTPS : 0),
    &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (f->server);
  g_free (f->base);
  f->base = g_strdup_printf ("%s://127.0.0.1:%d", certificate ? "https" : "http",
                             g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = fleet_test_make_tmpdir ();
  f->paused = g_ptr_array_new_with_free_func (g_object_unref);
  start_server (f, NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < f->paused->len; i++)
    soup_server_message_unpause (f->paused->pdata[i]);
  g_ptr_array_unref (f->paused);
  soup_server_disconnect (f->server);
  g_clear_object (&f->server);
  /* let the server's connections finish closing */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_free (f->base);
  g_free (f->last_path);
  g_free (f->last_if_none_match);
  g_free (f->last_authorization);
  g_free (f->moved_to);
  fleet_test_rm_rf (f->dir);
  g_free (f->dir);
}

typedef struct
{
  gboolean done;
  FleetFetchResult *result;
  GError *error;
} FetchOutcome;

static void
on_fetched (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FetchOutcome *o = user_data;

  o->result = fleet_source_fetch_finish (FLEET_SOURCE (source), result, &o->error);
  o->done = TRUE;
}

static FleetFetchResult *
fetch (FleetSource *source, GError **error)
{
  FetchOutcome o = { 0, };

  fleet_source_fetch_async (source, NULL, on_fetched, &o);
  fleet_test_wait (&o.done);
  if (o.error)
    g_propagate_error (error, o.error);
  return o.result;
}

static FleetSource *
new_source (const char *uri, FleetHttpSourceOptions *options)
{
  g_autoptr(GError) error = NULL;
  FleetSource *source = options ? fleet_http_source_new (uri, options, &error)
                                : fleet_source_new_for_uri (uri, NULL, &error);

  g_assert_no_error (error);
  return source;
}



static void
test_http_etag (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = g_strconcat (f->base, "/doc", NULL);
  g_autoptr(FleetSource) source = new_source (uri, NULL);
  g_autoptr(FleetFetchResult) first = NULL;
  g_autoptr(FleetFetchResult) again = NULL;
  g_autoptr(FleetFetchResult) second = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (FLEET_IS_HTTP_SOURCE (source));
  first = fetch (source, &error);
  g_assert_no_error (error);
  g_assert_false (first->not_modified);
  g_assert_cmpstr (first->validator, ==, "\"v1\"");
  g_assert_cmpmem (g_bytes_get_data (first->body, NULL), g_bytes_get_size (first->body), DOC,
                   strlen (DOC));
  g_assert_null (f->last_if_none_match);

  /* not committed (the caller rejected it): fetched whole again */
  again = fetch (source, &error);
  g_assert_no_error (error);
  g_assert_false (again->not_modified);
  g_assert_null (f->last_if_none_match);

  fleet_source_commit (source, first->validator);
  second = fetch (source, &error);
  g_assert_no_error (error);
  g_assert_true (second->not_modified);
  g_assert_null (second->body);
  g_assert_cmpstr (f->last_if_none_match, ==, "\"v1\"");
  g_assert_cmpuint (f->requests, ==, 3);
}

/* Without an ETag the body's digest tells an unchanged document. */
static void
test_http_no_etag (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = g_strconcat (f->base, "/no-etag", NULL);
  g_autoptr(FleetSource) source = new_source (uri, NULL);
  g_autoptr(FleetFetchResult) first = fetch (source, NULL);
  g_autoptr(FleetFetchResult) second = NULL;

  g_assert_true (g_str_has_prefix (first->validator, "sha256:"));
  fleet_source_commit (source, first->validator);
  second = fetch (source, NULL);
  g_assert_true (second->not_modified);
  g_assert_null (f->last_if_none_match);
}

static void
assert_fetch_fails (FleetSource *source, int code, const char *substring)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetFetchResult) result = fetch (source, &error);

  g_assert_null (result);
  g_assert_error (error, FLEET_ERROR, code);
  if (strstr (error->message, substring) == NULL)
    g_error ("expected \"%s\" in \"%s\"", substring, error->message);
  g_assert_true (g_str_has_prefix (error->message, "fetching "));
  g_assert_null (strchr (error->message, '\n'));
}

static void
write_file (const char *path, const char *contents)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

/* A 304 is an answer to If-None-Match: without one (nothing cached) it
 * keeps nothing, and is an error rather than a silent "not modified"; the
 * retry asks for the document again, still without If-None-Match. */
static void
test_http_304_with_nothing_cached (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = g_strconcat (f->base, "/always-304", NULL);
  g_autoptr(FleetSource) source = new_source (uri, NULL);

  for (guint i = 0; i < 2; i++)
    {
      assert_fetch_fails (source, FLEET_ERROR_FETCH_FAILED, "HTTP 304 Not Modified");
      g_assert_null (f->last_if_none_match);
    }
  g_assert_cmpuint (f->requests, ==, 2);

  /* With a document committed, the same answer means "keep it". */
  fleet_source_commit (source, "\"v1\"");
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(FleetFetchResult) result = fetch (source, &error);

    g_assert_no_error (error);
    g_assert_true (result->not_modified);
    g_assert_cmpstr (f->last_if_none_match, ==, "\"v1\"");
  }
}

typedef struct
{
  guint requests;
  char *if_none_match;
  char *authorization;
} OtherOrigin;

static void
handle_other_origin (SoupServer *server, SoupServerMessage *msg, const char *path,
                     GHashTable *query, gpointer user_data)
{
  OtherOrigin *other = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  /* a detached signature looked for beside the document: none here */
  if (g_str_has_suffix (path, ".sig"))
    {
      g_assert_null (soup_message_headers_get_one (headers, "Authorization"));
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  other->requests++;
  g_free (other->if_none_match);
  other->if_none_match = g_strdup (soup_message_headers_get_one (headers, "If-None-Match"));
  g_free (other->authorization);
  other->authorization = g_strdup (soup_message_headers_get_one (headers, "Authorization"));
  serve (msg, "\"elsewhere\"", "application/json", DOC);
}

/* Redirected to another origin (here another port), the request carries
 * neither the first server's ETag nor its bearer token, and the other
 * server's ETag is not taken for a validator of the first. */
static void
test_http_cross_origin_redirect (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = g_strconcat (f->base, "/moving", NULL);
  g_autofree char *token_file = g_build_filename (f->dir, "token", NULL);
  g_autoptr(SoupServer) other_server = soup_server_new (NULL, NULL);
  OtherOrigin other = { 0, };
  FleetHttpSourceOptions options;
  g_autoptr(FleetSource) source = NULL;
  g_autoptr(FleetFetchResult) first = NULL;
  g_autoptr(FleetFetchResult) moved = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *other_url = NULL;
  GSList *uris;

  soup_server_add_handler (other_server, NULL, handle_other_origin, &other, NULL);
  g_assert_true (soup_server_listen_local (other_server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  uris = soup_server_get_uris (other_server);
  other_url = g_strdup_printf ("http://127.0.0.1:%d/doc", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  write_file (token_file, "s3cret");
  fleet_http_source_options_init (&options);
  options.bearer_token_file = token_file;
  source = new_source (uri, &options);
  first = fetch (source, &error);
  g_assert_no_error (error);
  fleet_source_commit (source, first->validator);

  f->moved_to = g_strdup (other_url);
  moved = fetch (source, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (f->last_if_none_match, ==, "\"v1\"");
  g_assert_cmpstr (f->last_authorization, ==, "Bearer s3cret");
  g_assert_cmpuint (other.requests, ==, 1);
  g_assert_null (other.if_none_match);
  g_assert_null (other.authorization);
  g_assert_false (moved->not_modified);
  g_assert_true (g_str_has_prefix (moved->validator, "sha256:"));

  soup_server_disconnect (other_server);
  g_free (other.if_none_match);
  g_free (other.authorization);
}

static void
test_http_500 (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = g_strconcat (f->base, "/error", NULL);
  g_autoptr(FleetSource) source = new_source (uri, NULL);

  assert_fetch_fails (source, FLEET_ERROR_FETCH_FAILED, "HTTP 500 Internal Server Error");
}

static void
test_http_refused (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *uri = NULL;
  g_autoptr(FleetSource) source = NULL;

  /* a port that was just free: nothing listens there */
  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  uri = g_strdup_printf ("http://127.0.0.1:%u/doc",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_close (socket, NULL);
  source = new_source (uri, NULL);
  assert_fetch_fails (source, FLEET_ERROR_FETCH_FAILED, "refused");
}

static void
test_http_stall_times_out (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = g_strconcat (f->base, "/stall", NULL);
  FleetHttpSourceOptions options;
  g_autoptr(FleetSource) source = NULL;
  gint64 start = g_get_monotonic_time ();

  fleet_http_source_options_init (&options);
  options.timeout_secs = 1;
  source = new_source (uri, &options);
  assert_fetch_fails (source, FLEET_ERROR_FETCH_FAILED, "timed out after 1 s");
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
}

static void
test_http_too_large (Fixture *f, gconstpointer data)
{
  const char *paths[] = { "/big", "/big-chunked" };

  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *uri = g_strconcat (f->base, paths[i], NULL);
      g_autoptr(FleetSource) source = new_source (uri, NULL);

      assert_fetch_fails (source, FLEET_ERROR_TOO_LARGE, "over the limit of 1048576 bytes");
    }
}

/* A server that promises 100 bytes, sends 10 and hangs up. */
static gboolean
on_truncating_connection (GSocketService *service, GSocketConnection *connection,
                          GObject *source, gpointer user_data)
{
  static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              "Content-Length: 100\r\n\r\n{\"deploym";
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  char buf[4096];

  /* read (and ignore) the request, then answer short and close */
  g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)), buf, sizeof buf,
                       NULL, NULL);
  g_output_stream_write_all (out, reply, strlen (reply), NULL, NULL, NULL);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return TRUE;
}

static void
test_http_truncated (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocketService) service = g_threaded_socket_service_new (1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;
  g_autoptr(FleetSource) source = NULL;

  g_signal_connect (service, "run", G_CALLBACK (on_truncating_connection), NULL);
  g_socket_listener_add_address (G_SOCKET_LISTENER (service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  uri = g_strdup_printf ("http://127.0.0.1:%u/doc",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective)));
  source = new_source (uri, NULL);
  assert_fetch_fails (source, FLEET_ERROR_FETCH_FAILED, "fetching http://127.0.0.1:");
  g_socket_service_stop (service);
}

static void
test_http_bearer_token (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = g_strconcat (f->base, "/auth", NULL);
  g_autofree char *token_file = g_build_filename (f->dir, "token", NULL);
  FleetHttpSourceOptions options;
  g_autoptr(FleetSource) source = NULL;
  g_autoptr(FleetFetchResult) result = NULL;
  g_autoptr(GError) error = NULL;

  write_file (token_file, "s3cret\n");
  fleet_http_source_options_init (&options);
  options.bearer_token_file = token_file;
  source = new_source (uri, &options);
  result = fetch (source, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (f->last_authorization, ==, "Bearer s3cret");

  /* rotated: read again at the next fetch */
  write_file (token_file, "rotated");
  assert_fetch_fails (source, FLEET_ERROR_FETCH_FAILED, "HTTP 401 Unauthorized");
  g_assert_cmpstr (f->last_authorization, ==, "Bearer rotated");

  g_unlink (token_file);
  assert_fetch_fails (source, FLEET_ERROR_FETCH_FAILED, "token");

  /* read on the main loop: never from something that is not a small file */
  g_assert_cmpint (g_mkdir (token_file, 0700), ==, 0);
  assert_fetch_fails (source, FLEET_ERROR_FETCH_FAILED, "not a token file");
  g_rmdir (token_file);
}

static void
test_http_device_substitution (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = g_strconcat (f->base, "/devices/{device}.json", NULL);
  FleetHttpSourceOptions options;
  g_autoptr(FleetSource) source = NULL;
  g_autoptr(FleetFetchResult) result = NULL;
  g_autofree char *expected = NULL;

  fleet_http_source_options_init (&options);
  options.device_id = "edge-042";
  source = new_source (uri, &options);
  result = fetch (source, NULL);
  g_assert_nonnull (result);
  g_assert_cmpstr (f->last_path, ==, "/devices/edge-042.json");
  expected = g_strconcat (f->base, "/devices/edge-042.json", NULL);
  g_assert_cmpstr (fleet_source_get_uri (source), ==, expected);

  /* an id is a path segment, never a path: it is escaped */
  g_clear_pointer (&expected, g_free);
  expected = fleet_source_expand_uri ("https://h/d/{device}?x={device}", "a/b c");
  g_assert_cmpstr (expected, ==, "https://h/d/a%2Fb%20c?x=a%2Fb%20c");
}

static GTlsCertificate *
load_certificate (const char *dir, const char *who)
{
  g_autofree char *cert = g_strdup_printf ("%s/%s.pem", dir, who);
  g_autofree char *key = g_strdup_printf ("%s/%s.key", dir, who);
  g_autoptr(GError) error = NULL;
  GTlsCertificate *certificate = g_tls_certificate_new_from_files (cert, key, &error);

  g_assert_no_error (error);
  return certificate;
}

static void
make_certificates (Fixture *f)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "gen-test-certs.sh", NULL);
  const char *argv[] = { "/bin/sh", script, f->dir, NULL };
  g_autoptr(GError) error = NULL;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status,
                &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);
}

/* openssl s_server requiring a client certificate signed by the test CA;
 * with -www it answers 200 with a page describing the client certificate. */
static GSubprocess *
start_mtls_server (Fixture *f, guint16 port)
{
  g_autofree char *accept = g_strdup_printf ("127.0.0.1:%u", port);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (
    G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  GSubprocess *server;

  g_subprocess_launcher_set_cwd (launcher, f->dir);
  server = g_subprocess_launcher_spawn (launcher, &error, "openssl", "s_server", "-accept", accept,
                                        "-cert", "server.pem", "-key", "server.key", "-CAfile",
                                        "ca.pem", "-Verify", "1", "-www", "-quiet", NULL);
  g_assert_no_error (error);
  for (guint i = 0; i < 100; i++)
    {
      g_autoptr(GSocketConnection) connection =
        g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
      if (connection != NULL)
        return server;
      g_usleep (50 * 1000);
    }
  g_error ("openssl s_server did not start on %s", accept);
}

static void
test_https (Fixture *f, gconstpointer data)
{
  g_autoptr(GTlsCertificate) server_cert = NULL;
  g_autofree char *ca_file = NULL;
  g_autofree char *client_cert = NULL;
  g_autofree char *client_key = NULL;
  g_autofree char *uri = NULL;
  FleetHttpSourceOptions options;
  g_autoptr(GError) error = NULL;

  make_certificates (f);
  ca_file = g_build_filename (f->dir, "ca.pem", NULL);
  client_cert = g_build_filename (f->dir, "client.pem", NULL);
  client_key = g_build_filename (f->dir, "client.key", NULL);
  server_cert = load_certificate (f->dir, "server");
  soup_server_disconnect (f->server);
  g_clear_object (&f->server);
  start_server (f, server_cert);
  uri = g_strconcat (f->base, "/doc", NULL);

  /* the system CAs do not know the private CA */
  {
    g_autoptr(FleetSource) source = new_source (uri, NULL);

    assert_fetch_fails (source, FLEET_ERROR_FETCH_FAILED, "fetching https://127.0.0.1:");
  }
  /* with the CA file it verifies */
  fleet_http_source_options_init (&options);
  options.ca_file = ca_file;
  {
    g_autoptr(FleetSource) source = new_source (uri, &options);
    g_autoptr(FleetFetchResult) result = fetch (source, &error);

    g_assert_no_error (error);
    g_assert_false (result->not_modified);
    g_assert_cmpmem (g_bytes_get_data (result->body, NULL), g_bytes_get_size (result->body), DOC,
                     strlen (DOC));
  }
  /* a certificate without its key is a configuration error, said at once */
  options.client_cert_file = client_cert;
  g_assert_null (fleet_http_source_new (uri, &options, &error));
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  options.client_cert_file = NULL;
  /* a CA file that does not exist likewise */
  options.ca_file = "/nonexistent/ca.pem";
  g_assert_null (fleet_http_source_new (uri, &options, &error));
  g_assert_true (g_str_has_prefix (error->message, "CA file: "));
  g_clear_error (&error);
}

/* Mutual TLS against a server that requires a client certificate. */
static void
test_https_client_certificate (Fixture *f, gconstpointer data)
{
  guint16 port = fleet_test_free_port ();
  g_autoptr(GSubprocess) server = NULL;
  g_autofree char *uri = g_strdup_printf ("https://127.0.0.1:%u/", port);
  g_autofree char *ca_file = g_build_filename (f->dir, "ca.pem", NULL);
  g_autofree char *client_cert = g_build_filename (f->dir, "client.pem", NULL);
  g_autofree char *client_key = g_build_filename (f->dir, "client.key", NULL);
  FleetHttpSourceOptions options;
  g_autoptr(GError) error = NULL;

  make_certificates (f);
  server = start_mtls_server (f, port);
  fleet_http_source_options_init (&options);
  options.ca_file = ca_file;
  options.timeout_secs = 10;
  {
    g_autoptr(FleetSource) source = new_source (uri, &options);

    assert_fetch_fails (source, FLEET_ERROR_FETCH_FAILED, "fetching https://127.0.0.1:");
  }
  options.client_cert_file = client_cert;
  options.client_key_file = client_key;
  {
    g_autoptr(FleetSource) source = new_source (uri, &options);
    g_autoptr(FleetFetchResult) result = fetch (source, &error);
    g_autofree char *page = NULL;

    g_assert_no_error (error);
    page = g_strndup (g_bytes_get_data (result->body, NULL), g_bytes_get_size (result->body));
    g_assert_nonnull (strstr (page, "Subject: CN=fleet test client"));
  }
  g_subprocess_force_exit (server);
  g_subprocess_wait (server, NULL, NULL);
}

static void
test_factory (Fixture *f, gconstpointer data)
{
  const char *bad[] = { "", "ftp://host/doc", "file://otherhost/doc", "http:///nohost" };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(FleetSource) source = fleet_source_new_for_uri (bad[i], NULL, &error);

      g_assert_null (source);
      g_assert_error (error, FLEET_ERROR, FLEET_ERROR_INVALID_ARGUMENT);
      g_test_message ("%s -> %s", bad[i], error->message);
    }
}

/* A document with a detached signature beside it (URL.sig): the signature
 * comes with the document, and is part of its version; without one (404)
 * the ETag stays the version; a .sig that cannot be fetched fails the
 * fetch, naming it. */
static void
test_http_detached_signature (Fixture *f, gconstpointer data)
{
  g_autofree char *signed_uri = g_strconcat (f->base, "/signed", NULL);
  g_autofree char *plain_uri = g_strconcat (f->base, "/doc", NULL);
  g_autofree char *bad_uri = g_strconcat (f->base, "/bad-sig", NULL);
  g_autoptr(FleetSource) signed_source = new_source (signed_uri, NULL);
  g_autoptr(FleetSource) plain = new_source (plain_uri, NULL);
  g_autoptr(FleetSource) bad = new_source (bad_uri, NULL);
  g_autoptr(FleetFetchResult) result = NULL;
  g_autoptr(FleetFetchResult) again = NULL;
  g_autoptr(FleetFetchResult) unsigned_result = NULL;
  g_autoptr(GError) error = NULL;

  result = fetch (signed_source, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result->signature);
  g_assert_cmpmem (g_bytes_get_data (result->signature, NULL),
                   g_bytes_get_size (result->signature), DETACHED_SIG, strlen (DETACHED_SIG));
  g_assert_true (g_str_has_prefix (result->validator, "sha256:"));
  g_assert_nonnull (strstr (result->validator, ";sig=sha256:"));
  g_assert_cmpuint (f->signature_requests, ==, 1);
  fleet_source_commit (signed_source, result->validator);
  again = fetch (signed_source, &error);
  g_assert_no_error (error);
  g_assert_true (again->not_modified);

  unsigned_result = fetch (plain, &error);
  g_assert_no_error (error);
  g_assert_null (unsigned_result->signature);
  g_assert_cmpstr (unsigned_result->validator, ==, "\"v1\"");

  g_assert_null (fetch (bad, &error));
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_FETCH_FAILED);
  g_assert_nonnull (strstr (error->message, "/bad-sig.sig: HTTP 500"));
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/sources/http-etag", test_http_etag);
  ADD ("/sources/http-detached-signature", test_http_detached_signature);
  ADD ("/sources/http-no-etag", test_http_no_etag);
  ADD ("/sources/http-304-with-nothing-cached", test_http_304_with_nothing_cached);
  ADD ("/sources/http-cross-origin-redirect", test_http_cross_origin_redirect);
  ADD ("/sources/http-500", test_http_500);
  ADD ("/sources/http-refused", test_http_refused);
  ADD ("/sources/http-stall-times-out", test_http_stall_times_out);
  ADD ("/sources/http-too-large", test_http_too_large);
  ADD ("/sources/http-truncated", test_http_truncated);
  ADD ("/sources/http-bearer-token", test_http_bearer_token);
  ADD ("/sources/http-device-substitution", test_http_device_substitution);
  ADD ("/sources/https", test_https);
  ADD ("/sources/https-client-certificate", test_https_client_certificate);
  ADD ("/sources/factory", test_factory);
#undef ADD

  return g_test_run ();
}
