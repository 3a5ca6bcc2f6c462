/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-daemon-fixture.h: the daemon test programs' shared fixture; see
 * fleet-daemon-fixture.c. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "fleet-test-processes.h"
#include "fleet-test-utils.h"

#define NOBODY_UID 65534
#define DOC_TMPL                                                                            \
  "{\"generation\":%d,\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{"          \
  "\"services\":[{\"name\":\"web\",\"image\":\"%s\",\"env\":{\"GREETING\":\"hi\"}}]}}}}"

typedef struct
{
  char *dir;
  char *doc_path;
  char *source;
  char *state_dir;
  char *config;
  char *log_path;
  GSubprocess *fleetd;
} Fixture;

int fleetctl (gboolean as_nobody, char **out, char **err, ...);
GPtrArray *fleetd_argv (Fixture *f, const char *const *extra);
int fleetd_once (Fixture *f, const char *const *env, char **err, ...);
void start_fleetd (Fixture *f, const char *const *env, const char *const *extra);
int stop_fleetd (Fixture *f);
char *read_log (Fixture *f);
JsonNode *get_status (void);
const char *status_string (JsonNode *status, const char *member);
const char *last_fetch_string (JsonNode *status, const char *member);
JsonNode *wait_for_status (const char *phase, gint64 generation);
void write_doc (Fixture *f, int generation, const char *image);
void write_file (const char *path, const char *contents);
void fixture_setup (Fixture *f, gconstpointer data);
void fixture_teardown (Fixture *f, gconstpointer data);
FleetState *load_state (Fixture *f);
gboolean can_switch_users (void);
