/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-fleet-nats.c: bench-fleet's rollout over NATS: one nats-server with
 * JetStream, the fleet watching the "desired" bucket, its statuses watched
 * in the "fleet-status" bucket with one key-value watch, as a control plane
 * would. */
#include "config.h"

#include <nats/nats.h>

#include "bench-fleet.h"
#include "fleet-test-nats.h"

#define BUCKET "desired"
#define STATUS_BUCKET "fleet-status"

typedef struct
{
  natsConnection *nc;
  jsCtx *js;
  kvStore *desired;
  kvStore *status;
  kvWatcher *watcher;
} Client;

static void
check (natsStatus status, const char *what)
{
  if (status != NATS_OK)
    g_error ("bench-fleet: %s: %s", what, natsStatus_GetText (status));
}

static void
client_open (Client *client, const char *url)
{
  kvConfig config;

  check (natsConnection_ConnectTo (&client->nc, url), "connect");
  check (natsConnection_JetStream (&client->js, client->nc, NULL), "JetStream");
  kvConfig_Init (&config);
  config.Bucket = BUCKET;
  check (js_CreateKeyValue (&client->desired, client->js, &config), BUCKET);
  kvConfig_Init (&config);
  config.Bucket = STATUS_BUCKET;
  check (js_CreateKeyValue (&client->status, client->js, &config), STATUS_BUCKET);
  check (kvStore_WatchAll (&client->watcher, client->status, NULL), "watch");
}

static void
client_close (Client *client)
{
  kvWatcher_Destroy (client->watcher);
  kvStore_Destroy (client->status);
  kvStore_Destroy (client->desired);
  jsCtx_Destroy (client->js);
  natsConnection_Destroy (client->nc);
}

static void
pump (BenchFleet *fleet, guint msecs, gpointer user_data)
{
  Client *client = user_data;
  gint64 end = g_get_monotonic_time () + (gint64) msecs * G_TIME_SPAN_MILLISECOND;
  gint64 left;

  while ((left = (end - g_get_monotonic_time ()) / 1000) > 0)
    {
      kvEntry *entry = NULL;
      natsStatus status = kvWatcher_Next (&entry, client->watcher, left);

      if (status == NATS_TIMEOUT)
        return;
      check (status, "watching the statuses");
      if (entry == NULL)
        continue;
      {
        g_autofree char *json = g_strndup (kvEntry_Value (entry), kvEntry_ValueLen (entry));

        bench_note_status (fleet, kvEntry_Key (entry), json, strlen (json));
      }
      kvEntry_Destroy (entry);
    }
}

static void
publish (BenchFleet *fleet, Client *client, int generation)
{
  g_autofree char *document = bench_document (generation);

  bench_fleet_expect (fleet, generation);
  for (guint i = 0; i < fleet->n; i++)
    {
      g_autofree char *id = bench_device_id (i);

      check (kvStore_PutString (NULL, client->desired, id, document), "put");
      fleet->published_at[i] = g_get_monotonic_time ();
    }
}

void
bench_fleet_run_nats (BenchFleet *fleet)
{
  g_autoptr(FleetTestNats) server = fleet_test_nats_new ();
  g_autofree char *source = NULL;
  Client client = { 0 };
  guint64 pid;
  double cpu_before;
  gint64 published;

  g_print ("NATS (one nats-server, JetStream key-value watch):\n");
  fleet_test_nats_start (server);
  g_assert_true (g_ascii_string_to_unsigned (g_subprocess_get_identifier (server->process), 10,
                                             1, G_MAXUINT, &pid, NULL));
  client_open (&client, server->url);
  source = g_strdup_printf ("%s/%s", server->url, BUCKET);
  g_strlcpy (fleet->poll_secs, "30", sizeof fleet->poll_secs);

  publish (fleet, &client, 1);
  bench_fleet_spawn (fleet, source, NULL, pump, &client);
  bench_fleet_wait_running (fleet, 600, pump, &client);
  bench_fleet_print_latency (fleet, "start (generation 1)");

  cpu_before = bench_process_cpu_secs ((guint) pid);
  published = g_get_monotonic_time ();
  publish (fleet, &client, 2);
  g_print ("  published %u documents in %.0f ms\n", fleet->n,
           (g_get_monotonic_time () - published) / 1000.0);
  bench_fleet_wait_running (fleet, 300, pump, &client);
  bench_fleet_print_latency (fleet, "rollout (generation 2)");
  g_print ("  nats-server: %.2f s of CPU during the rollout, RSS %.1f MiB with %u "
           "connections\n",
           bench_process_cpu_secs ((guint) pid) - cpu_before,
           bench_process_rss_kib ((guint) pid) / 1024.0, fleet->n + 1);
  bench_fleet_print_memory (fleet, "NATS");
  bench_fleet_stop (fleet);
  client_close (&client);
}
