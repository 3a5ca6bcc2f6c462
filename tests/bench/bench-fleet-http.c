/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-fleet-http.c: bench-fleet's rollout over HTTP: one local libsoup
 * server serves every device's document with an ETag (304 when unchanged)
 * and takes their status PUTs; the fleet polls it every poll interval. */
#include "config.h"

#include <libsoup/soup.h>

#include "bench-fleet.h"

typedef struct
{
  BenchFleet *fleet;
  SoupServer *server;
  int generation; /* served */
  guint requests;
  guint not_modified;
} Http;

static char *
device_of (const char *path, const char *prefix, const char *suffix)
{
  if (!g_str_has_prefix (path, prefix) || !g_str_has_suffix (path, suffix))
    return NULL;
  return g_strndup (path + strlen (prefix), strlen (path) - strlen (prefix) - strlen (suffix));
}

static void
on_request (SoupServer *server, SoupServerMessage *message, const char *path, GHashTable *query,
            gpointer user_data)
{
  Http *http = user_data;
  g_autofree char *device = NULL;
  g_autofree char *etag = g_strdup_printf ("\"gen-%d\"", http->generation);
  SoupMessageHeaders *request = soup_server_message_get_request_headers (message);

  http->requests++;
  if ((device = device_of (path, "/status/", "")) != NULL)
    {
      SoupMessageBody *body = soup_server_message_get_request_body (message);
      g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
      g_autofree char *json = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

      bench_note_status (http->fleet, device, json, strlen (json));
      soup_server_message_set_status (message, SOUP_STATUS_NO_CONTENT, NULL);
      return;
    }
  if ((device = device_of (path, "/devices/", ".json")) == NULL)
    {
      soup_server_message_set_status (message, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  soup_message_headers_replace (soup_server_message_get_response_headers (message), "ETag", etag);
  if (g_strcmp0 (soup_message_headers_get_one (request, "If-None-Match"), etag) == 0)
    {
      http->not_modified++;
      soup_server_message_set_status (message, SOUP_STATUS_NOT_MODIFIED, NULL);
      return;
    }
  {
    char *document = bench_document (http->generation);

    soup_server_message_set_response (message, "application/json", SOUP_MEMORY_TAKE, document,
                                      strlen (document));
    soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
  }
}

static void
pump (BenchFleet *fleet, guint msecs, gpointer user_data)
{
  gint64 end = g_get_monotonic_time () + (gint64) msecs * G_TIME_SPAN_MILLISECOND;

  while (g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
}

void
bench_fleet_run_http (BenchFleet *fleet)
{
  Http http = { .fleet = fleet, .generation = 1 };
  g_autoptr(GError) error = NULL;
  g_autofree char *source = NULL, *status_url = NULL;
  GSList *uris;
  guint port;
  gint64 switched;

  g_print ("HTTP (one libsoup server, ETag polling every %u s):\n", fleet->http_poll_secs);
  http.server = soup_server_new (NULL, NULL);
  soup_server_add_handler (http.server, NULL, on_request, &http, NULL);
  soup_server_listen_local (http.server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (http.server);
  port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  source = g_strdup_printf ("http://127.0.0.1:%u/devices/{device}.json", port);
  status_url = g_strdup_printf ("http://127.0.0.1:%u/status/{device}", port);
  g_snprintf (fleet->poll_secs, sizeof fleet->poll_secs, "%u", fleet->http_poll_secs);

  bench_fleet_expect (fleet, 1);
  for (guint i = 0; i < fleet->n; i++)
    fleet->published_at[i] = g_get_monotonic_time ();
  bench_fleet_spawn (fleet, source, status_url, pump, &http);
  bench_fleet_wait_running (fleet, 600, pump, &http);
  bench_fleet_print_latency (fleet, "start (generation 1)");

  bench_fleet_expect (fleet, 2);
  http.generation = 2;
  http.requests = http.not_modified = 0;
  switched = g_get_monotonic_time ();
  for (guint i = 0; i < fleet->n; i++)
    fleet->published_at[i] = switched;
  bench_fleet_wait_running (fleet, fleet->http_poll_secs * 2 + 120, pump, &http);
  bench_fleet_print_latency (fleet, "rollout (generation 2)");
  g_print ("  server: %u requests during the rollout, %u of them 304 Not Modified\n",
           http.requests, http.not_modified);
  bench_fleet_print_memory (fleet, "HTTP");
  bench_fleet_stop (fleet);
  soup_server_disconnect (http.server);
  g_object_unref (http.server);
}
