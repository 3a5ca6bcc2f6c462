/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-probe.c: fleetd's own HTTP and TCP health probes, against real
 * servers on 127.0.0.1: healthy, unhealthy by status, refused, and a
 * server that never answers, cut at the probe's timeout. */
#include "config.h"

#include <libsoup/soup.h>

#include "fleet-probe.h"
#include "fleet-test-utils.h"

typedef struct
{
  SoupServer *server;
  guint16 port;
  GPtrArray *paused; /* SoupServerMessage never answered */
} Fixture;

static void
handle (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
        gpointer user_data)
{
  Fixture *f = user_data;

  if (g_str_equal (path, "/hang"))
    {
      soup_server_message_pause (msg);
      g_ptr_array_add (f->paused, g_object_ref (msg));
      return;
    }
  soup_server_message_set_status (msg, g_str_equal (path, "/ok") ? 204 : 503, NULL);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  GSList *uris;

  f->paused = g_ptr_array_new_with_free_func (g_object_unref);
  f->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->server, NULL, handle, f, NULL);
  g_assert_true (soup_server_listen_local (f->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (f->server);
  f->port = (guint16) g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < f->paused->len; i++)
    soup_server_message_unpause (f->paused->pdata[i]);
  g_ptr_array_unref (f->paused);
  soup_server_disconnect (f->server);
  g_clear_object (&f->server);
}

typedef struct
{
  gboolean done;
  gboolean healthy;
  char *output;
  GError *error;
} Result;

static void
on_probed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Result *r = user_data;

  r->healthy = fleet_probe_run_finish (result, &r->output, &r->error);
  r->done = TRUE;
}

static gboolean
probe (FleetProbeKind kind, guint16 port, const char *path, guint timeout_msecs,
       char **out_text)
{
  FleetProbe p;
  Result r = { 0, };

  fleet_probe_init (&p, kind, "127.0.0.1", port);
  if (path)
    {
      g_free (p.path);
      p.path = g_strdup (path);
    }
  p.timeout_msecs = timeout_msecs;
  fleet_probe_run_async (&p, NULL, on_probed, &r);
  fleet_test_wait (&r.done);
  fleet_probe_clear (&p);
  *out_text = r.healthy ? r.output : g_strdup (r.error->message);
  if (!r.healthy)
    g_test_message ("unhealthy: %s", r.error->message);
  g_clear_error (&r.error);
  return r.healthy;
}

static void
test_http (Fixture *f, gconstpointer data)
{
  g_autofree char *ok = NULL;
  g_autofree char *bad = NULL;

  g_assert_true (probe (FLEET_PROBE_HTTP, f->port, "/ok", 2000, &ok));
  g_assert_cmpstr (ok, ==, "HTTP 204");
  g_assert_false (probe (FLEET_PROBE_HTTP, f->port, "/bad", 2000, &bad));
  g_assert_cmpstr (bad, ==, "HTTP 503: outside 200-399");
}

/* A server that accepts and never answers is cut at the timeout. */
static void
test_http_hangs (Fixture *f, gconstpointer data)
{
  g_autofree char *text = NULL;

  g_assert_false (probe (FLEET_PROBE_HTTP, f->port, "/hang", 300, &text));
  g_assert_cmpstr (text, ==, "no answer within 300 ms");
  g_assert_cmpuint (f->paused->len, ==, 1);
}

static void
test_tcp (Fixture *f, gconstpointer data)
{
  g_autofree char *ok = NULL;
  g_autofree char *refused = NULL;
  g_autoptr(GSocketListener) closed = g_socket_listener_new ();
  guint16 port;

  g_assert_true (probe (FLEET_PROBE_TCP, f->port, NULL, 2000, &ok));
  g_assert_cmpstr (ok, ==, "connected");
  /* a port that was just free: nothing listens there */
  port = g_socket_listener_add_any_inet_port (closed, NULL, NULL);
  g_socket_listener_close (closed);
  g_assert_false (probe (FLEET_PROBE_TCP, port, NULL, 2000, &refused));
  g_assert_nonnull (strstr (refused, "refused"));
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/probe/http", test_http);
  ADD ("/probe/http-hangs", test_http_hangs);
  ADD ("/probe/tcp", test_tcp);
  return g_test_run ();
}
