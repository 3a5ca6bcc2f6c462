/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-state-private.h: FleetState's insides, shared by the files that
 * implement it: fleet-state.c (the records and their operations),
 * fleet-state-file.c (state.json and desired.json) and
 * fleet-state-journal.c (state.journal).
 */
#pragma once

#include <json-glib/json-glib.h>

#include "fleet-state.h"

G_BEGIN_DECLS

struct _FleetState
{
  gatomicrefcount ref;
  gint64 generation;
  FleetDocument *desired;
  FleetDocument *previous; /* the one desired before, in memory only, or NULL */
  GHashTable *deployments; /* name -> FleetDeploymentRecord */

  /* Persistence bookkeeping. */
  GHashTable *dirty;       /* journal keys changed since the last save */
  gboolean full_save_due;  /* the next save rewrites state.json */
  char *saved_dir;         /* where state.json was last written or read */
  char *saved_desired_digest; /* the document desired.json holds there */
  char *journal_base;      /* digest of that state.json, which the journal extends */
  int journal_fd;          /* open for appending, or -1 */
  guint journal_entries;   /* entries in the journal since state.json */
};

/* A journal key names what an entry is about: a deployment's own record
 * (phase, error) or one service record.  Sorting the keys puts a
 * deployment's own entry before its services'. */
char *fleet_state_journal_key (const char *deployment, const char *service);
void fleet_state_mark_dirty (FleetState *state, const char *deployment, const char *service);

FleetDeploymentRecord *fleet_state_ensure_deployment_record (FleetState *state, const char *name);
FleetServiceRecord *fleet_state_ensure_service_record (FleetDeploymentRecord *record,
                                                       const char *name);

/* fleet-state-file.c */
gboolean fleet_state_get_true (JsonObject *object, const char *name);
gboolean fleet_state_write_file (const char *path, GBytes *bytes, GError **error);
gboolean fleet_state_load_deployment (FleetState *state, const char *name, JsonNode *node,
                                      GError **error);
gboolean fleet_state_parse_service (FleetDeploymentRecord *record, const char *name,
                                    JsonObject *object, GError **error);
void fleet_state_add_service_members (JsonBuilder *builder, const FleetServiceRecord *service);
void fleet_state_add_deployment_members (JsonBuilder *builder,
                                         const FleetDeploymentRecord *record);

/* fleet-state-journal.c */
gboolean fleet_state_journal_append (FleetState *state, const char *state_dir, GError **error);
void fleet_state_journal_close (FleetState *state);
void fleet_state_journal_replay (FleetState *state, const char *path, const char *base);
gboolean fleet_state_journal_remove (const char *state_dir, GError **error);

FleetDocument *fleet_state_get_previous_desired (FleetState *state);

G_END_DECLS
