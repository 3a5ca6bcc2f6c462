/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-fleetd-status.c: the status reporter against a real HTTP server (an
 * in-process SoupServer on 127.0.0.1): the PUT carries the contract's
 * status document, bursts of changes are coalesced, failures are retried
 * with backoff, reports repeat periodically, and a flush waits for the
 * server's answer.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "fleet-test-utils.h"
#include "fleet-util-private.h"
#include "fleetd-status-http.h"
#include "fleetd-status-reporter.h"

#define HELLO_DOC                                                                          \
  "{\"generation\":7,\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{"         \
  "\"services\":[{\"name\":\"web\",\"image\":\"localhost/hello:v2\"}]}}}}"

typedef struct
{
  SoupServer *server;
  char *url;
  GPtrArray *bodies;    /* GBytes of the PUTs received */
  guint requests;
  guint fail_first;     /* answer 500 to this many requests */
  char *last_method;
  char *last_content_type;
  char *last_authorization;

  FleetFakeRuntime *runtime;
  FleetReconciler *reconciler;
  FleetFetchStatus fetch;
  guint builds;
} Fixture;

static void
on_request (SoupServer *server, SoupServerMessage *message, const char *path, GHashTable *query,
            gpointer user_data)
{
  Fixture *f = user_data;
  SoupMessageBody *body = soup_server_message_get_request_body (message);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);

  f->requests++;
  g_free (f->last_method);
  f->last_method = g_strdup (soup_server_message_get_method (message));
  g_free (f->last_content_type);
  f->last_content_type = g_strdup (soup_message_headers_get_content_type (
    soup_server_message_get_request_headers (message), NULL));
  g_free (f->last_authorization);
  f->last_authorization = g_strdup (soup_message_headers_get_one (
    soup_server_message_get_request_headers (message), "Authorization"));
  if (f->fail_first > 0)
    {
      f->fail_first--;
      soup_server_message_set_status (message, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL);
      return;
    }
  g_ptr_array_add (f->bodies, g_bytes_ref (bytes));
  soup_server_message_set_status (message, SOUP_STATUS_NO_CONTENT, NULL);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoslist(GUri) uris = NULL;
  g_autofree char *base = NULL;
  g_autoptr(FleetDocument) document = fleet_test_document (HELLO_DOC);

  f->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->server, "/status", on_request, f, NULL);
  soup_server_listen_local (f->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (f->server);
  base = g_uri_to_string (uris->data);
  f->url = g_strconcat (base, "status", NULL);
  f->bodies = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  f->runtime = fleet_fake_runtime_new ();
  f->reconciler = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), NULL);
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, document), ==, FLEET_PHASE_RUNNING);
  fleet_fetch_status_set (&f->fetch, "ok", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  /* Let the server close its side of the keep-alive connections. */
  soup_server_disconnect (f->server);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&f->server);
  g_free (f->url);
  g_ptr_array_unref (f->bodies);
  g_free (f->last_method);
  g_free (f->last_content_type);
  g_free (f->last_authorization);
  g_clear_object (&f->reconciler);
  g_clear_object (&f->runtime);
  fleet_fetch_status_clear (&f->fetch);
}

static char *
build_status (gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr(JsonNode) status = fleet_status_build (f->reconciler, "edge-042", &f->fetch);

  f->builds++;
  return fleet_status_to_string (status, FALSE);
}

static FleetdStatusReporter *
new_reporter (Fixture *f, guint heartbeat_msecs)
{
  g_autoptr(FleetdStatusSink) sink = fleetd_status_http_new (f->url, NULL);
  FleetdStatusReporter *reporter = fleetd_status_reporter_new (sink, build_status, f, NULL);

  fleetd_status_reporter_set_timing (reporter, 50, heartbeat_msecs, 20, 80);
  return reporter;
}

static void
wait_for_bodies (Fixture *f, guint n)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (f->bodies->len < n)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
wait_for_sent (FleetdStatusReporter *reporter, guint n)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (fleetd_status_reporter_get_sent_count (reporter) < n)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static JsonObject *
parse_object (GBytes *bytes, JsonParser *parser)
{
  g_autoptr(GError) error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  json_parser_load_from_data (parser, data, (gssize) len, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_node_get_object (json_parser_get_root (parser));
}

/* The PUT carries every member of the contract's status document. */
static void
test_put_document (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetdStatusReporter) reporter = new_reporter (f, 60 * 1000);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *status, *fetch, *deployments, *hello, *ids;

  fleetd_status_reporter_start (reporter);
  wait_for_bodies (f, 1);
  g_assert_cmpstr (f->last_method, ==, "PUT");
  g_assert_cmpstr (f->last_content_type, ==, "application/json");

  status = parse_object (f->bodies->pdata[0], parser);
  g_assert_cmpstr (json_object_get_string_member (status, "device_id"), ==, "edge-042");
  g_assert_cmpstr (json_object_get_string_member (status, "agent_version"), ==, PACKAGE_VERSION);
  g_assert_cmpint (json_object_get_int_member (status, "generation"), ==, 7);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (status, "desired_digest"),
                                   "sha256:"));
  g_assert_cmpstr (json_object_get_string_member (status, "phase"), ==, "Running");
  fetch = json_object_get_object_member (status, "last_fetch");
  g_assert_nonnull (json_object_get_string_member (fetch, "at"));
  g_assert_cmpstr (json_object_get_string_member (fetch, "result"), ==, "ok");
  g_assert_true (json_object_get_null_member (fetch, "error"));
  deployments = json_object_get_object_member (status, "deployments");
  hello = json_object_get_object_member (deployments, "hello");
  g_assert_cmpstr (json_object_get_string_member (hello, "phase"), ==, "Running");
  g_assert_true (json_object_get_null_member (hello, "last_error"));
  g_assert_nonnull (json_object_get_string_member (hello, "last_event_at"));
  ids = json_object_get_object_member (hello, "container_ids");
  g_assert_true (fleet_is_container_id (json_object_get_string_member (ids, "web")));
  wait_for_sent (reporter, 1);
  g_assert_cmpuint (fleetd_status_reporter_get_sent_count (reporter), ==, 1);
}

/* A burst of changes is one report, of the latest status. */
static void
test_coalesce (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetdStatusReporter) reporter = new_reporter (f, 60 * 1000);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *status;

  fleetd_status_reporter_start (reporter);
  wait_for_bodies (f, 1);
  for (guint i = 0; i < 20; i++)
    fleetd_status_reporter_changed (reporter);
  fleet_fetch_status_set (&f->fetch, "error", "connection refused");
  wait_for_bodies (f, 2);
  fleet_test_sleep_ms (200);
  g_assert_cmpuint (f->bodies->len, ==, 2);
  g_assert_cmpuint (f->builds, ==, 2);

  status = parse_object (f->bodies->pdata[1], parser);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (status,
                                                                                 "last_fetch"),
                                                  "error"),
                   ==, "connection refused");
}

/* A failed PUT is retried with backoff until the server takes it. */
static void
test_retry (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetdStatusReporter) reporter = new_reporter (f, 60 * 1000);

  f->fail_first = 3;
  fleetd_status_reporter_start (reporter);
  wait_for_sent (reporter, 1);
  g_assert_cmpuint (f->requests, ==, 4);
  g_assert_cmpuint (f->bodies->len, ==, 1);
  fleet_test_sleep_ms (200);
  g_assert_cmpuint (f->requests, ==, 4);
}

/* Without changes, the status is still reported periodically. */
static void
test_periodic (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetdStatusReporter) reporter = new_reporter (f, 100);

  fleetd_status_reporter_start (reporter);
  wait_for_bodies (f, 4);
  g_assert_cmpuint (f->requests, ==, 4);
}

typedef struct
{
  gboolean done;
  gboolean ok;
  GError *error;
} FlushResult;

static void
on_flushed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FlushResult *r = user_data;

  r->ok = fleetd_status_reporter_flush_finish (FLEETD_STATUS_REPORTER (source), result,
                                               &r->error);
  r->done = TRUE;
}

/* A flush sends now and completes with the server's answer. */
static void
test_flush (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetdStatusReporter) reporter = new_reporter (f, 60 * 1000);
  FlushResult ok = { 0, };
  FlushResult failed = { 0, };

  fleetd_status_reporter_flush_async (reporter, NULL, on_flushed, &ok);
  fleet_test_wait (&ok.done);
  g_assert_no_error (ok.error);
  g_assert_true (ok.ok);
  g_assert_cmpuint (f->bodies->len, ==, 1);

  f->fail_first = 1;
  fleetd_status_reporter_flush_async (reporter, NULL, on_flushed, &failed);
  fleet_test_wait (&failed.done);
  g_assert_false (failed.ok);
  g_assert_error (failed.error, FLEET_ERROR, FLEET_ERROR_FAILED);
  g_assert_cmpstr (failed.error->message, ==, "HTTP 500 Internal Server Error");
  g_clear_error (&failed.error);
  fleetd_status_reporter_stop (reporter);
}

/* An unreachable server: nothing blocks, and stopping abandons the retries. */
static void
test_unreachable (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetdStatusReporter) reporter = NULL;
  FlushResult r = { 0, };

  soup_server_disconnect (f->server);
  reporter = new_reporter (f, 60 * 1000);
  fleetd_status_reporter_flush_async (reporter, NULL, on_flushed, &r);
  fleet_test_wait (&r.done);
  g_assert_false (r.ok);
  g_assert_nonnull (r.error);
  g_clear_error (&r.error);
  fleetd_status_reporter_stop (reporter);
}

/* Once stopped, nothing more is sent, heartbeat or change. */
static void
test_stop (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetdStatusReporter) reporter = new_reporter (f, 50);
  guint sent;

  fleetd_status_reporter_start (reporter);
  wait_for_bodies (f, 2);
  fleetd_status_reporter_stop (reporter);
  sent = f->requests;
  fleetd_status_reporter_changed (reporter);
  fleet_test_sleep_ms (300);
  g_assert_cmpuint (f->requests, ==, sent);
}

/* The status goes to the server with the source's credentials: here the
 * bearer token (read at each report, so a rotated one is used), and a
 * missing token file is a failed report that is retried. */
static void
test_credentials (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = fleet_test_make_tmpdir ();
  g_autofree char *token = g_build_filename (dir, "token", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetdStatusReporter) reporter = NULL;
  g_autoptr(FleetHttpCredentials) credentials = NULL;
  g_autoptr(FleetdStatusSink) sink = NULL;

  g_assert_true (g_file_set_contents (token, "t0ken\n", -1, NULL));
  credentials = fleet_http_credentials_new (NULL, NULL, NULL, token, &error);
  g_assert_no_error (error);
  sink = fleetd_status_http_new (f->url, credentials);
  reporter = fleetd_status_reporter_new (sink, build_status, f, NULL);
  fleetd_status_reporter_set_timing (reporter, 50, 60000, 20, 80);
  fleetd_status_reporter_start (reporter);
  wait_for_bodies (f, 1);
  g_assert_cmpstr (f->last_authorization, ==, "Bearer t0ken");

  g_assert_true (g_file_set_contents (token, "rotated", -1, NULL));
  fleetd_status_reporter_changed (reporter);
  wait_for_bodies (f, 2);
  g_assert_cmpstr (f->last_authorization, ==, "Bearer rotated");

  g_unlink (token);
  fleetd_status_reporter_changed (reporter);
  fleet_test_sleep_ms (300);
  g_assert_cmpuint (f->bodies->len, ==, 2);
  g_assert_true (g_file_set_contents (token, "back", -1, NULL));
  wait_for_bodies (f, 3);
  g_assert_cmpstr (f->last_authorization, ==, "Bearer back");
  fleetd_status_reporter_stop (reporter);
  fleet_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  /* The isolated test directories have no GSettings schemas, which the
   * desktop proxy resolver module would need; no proxy is involved here. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  fleet_test_init (&argc, &argv);

#define ADD(name, func) g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/fleetd-status/put-document", test_put_document);
  ADD ("/fleetd-status/coalesce", test_coalesce);
  ADD ("/fleetd-status/retry", test_retry);
  ADD ("/fleetd-status/periodic", test_periodic);
  ADD ("/fleetd-status/flush", test_flush);
  ADD ("/fleetd-status/unreachable", test_unreachable);
  ADD ("/fleetd-status/stop", test_stop);
  ADD ("/fleetd-status/credentials", test_credentials);
#undef ADD

  return g_test_run ();
}
