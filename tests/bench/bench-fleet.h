/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-fleet.h: the fleet of bench-fleet.c, shared by its NATS
 * (bench-fleet-nats.c) and HTTP (bench-fleet-http.c) rollouts. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  guint n;
  guint http_poll_secs;
  char *dir;
  char *fleetd;
  char *config;
  char poll_secs[16]; /* fleetd's --poll-interval in this rollout */
  GSubprocess **processes;
  gint64 *published_at; /* monotonic µs: the device's new document is out */
  gint64 *running_at;   /* monotonic µs: its status says Running at it */
  int generation;       /* the generation waited for */
  guint n_running;
} BenchFleet;

/* Let the rollout's I/O run for about @msecs. */
typedef void (*BenchPumpFunc) (BenchFleet *fleet, guint msecs, gpointer user_data);

char *bench_device_id (guint i);
char *bench_document (int generation);
void bench_note_status (BenchFleet *fleet, const char *device_id, const char *json, gsize length);
void bench_fleet_expect (BenchFleet *fleet, int generation);
void bench_fleet_spawn (BenchFleet *fleet, const char *source, const char *status_url,
                        BenchPumpFunc pump, gpointer pump_data);
void bench_fleet_stop (BenchFleet *fleet);
gboolean bench_fleet_wait_running (BenchFleet *fleet, guint timeout_secs, BenchPumpFunc pump,
                                   gpointer pump_data);
void bench_fleet_print_latency (BenchFleet *fleet, const char *label);
void bench_fleet_print_memory (BenchFleet *fleet, const char *label);
double bench_process_cpu_secs (guint pid);
guint64 bench_process_rss_kib (guint pid);

void bench_fleet_run_nats (BenchFleet *fleet);
void bench_fleet_run_http (BenchFleet *fleet);

G_END_DECLS
