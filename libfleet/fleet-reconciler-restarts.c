/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-reconciler-restarts.c: the runtime's own restarts, counted into
 * fleet's crash-loop backoff.
 *
 * Containers are created with podman's restart policy, so podman restarts a
 * crash at its own speed, without waiting for fleet to hear of it.  Fleet
 * stays the outer loop: every pass compares each recorded container's
 * restart count with the one it saw last, counts the difference as
 * restarts of the service (as if fleet had restarted it), and when the
 * runtime restarted a service sooner than fleet's backoff allows, stops it;
 * the liveness pass starts it again when the backoff is over.  A stop on
 * request is not followed by a restart of podman's, so the two never fight.
 * One crash counts once: when a pass lists the container exited and
 * podman's restart lands before fleet's own start (which then finds it
 * running), the start sees the restart count rise and counts nothing
 * (FLEET_LIVENESS_RESTARTED_BY_RUNTIME); the restart is counted here.
 * Counted restarts also begin update_config.monitor again, as fleet's own
 * starts do.
 * Containers an earlier release created have no policy: their count never
 * moves, and fleet restarts them itself, as it always did.
 */
#include "config.h"

#include "fleet-reconciler-private.h"
#include "fleet-util-private.h"

static void
on_throttled (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree char *id = user_data;
  g_autoptr(GError) error = NULL;

  if (!fleet_container_runtime_stop_finish (FLEET_CONTAINER_RUNTIME (source), result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *quoted = fleet_log_quote (error->message);
      g_autofree char *detail = g_strdup_printf ("error=%s", quoted);

      fleet_reconciler_log_action ("throttle-failed", NULL, NULL, id, detail);
    }
}

/* @info's container was restarted @restarts times by the runtime since the
 * last pass. */
static void
note_restarts (FleetReconciler *self, FleetContainerInfo *info, guint restarts)
{
  FleetDocument *desired = fleet_state_get_desired (self->state);
  FleetServiceSpec *spec
      = desired ? fleet_document_lookup_service (desired, info->deployment, info->service) : NULL;
  gboolean too_soon = fleet_restart_policy_restart_waiting (
      self->policy, info->deployment, info->service, g_get_monotonic_time (), NULL);
  g_autofree char *detail
      = g_strdup_printf ("restarts=%u reason=\"runtime restart policy\"", restarts);

  fleet_reconciler_log_action ("restarted-by-runtime", info->deployment, info->service, info->id,
                               detail);
  for (guint i = 0; i < restarts; i++)
    fleet_restart_policy_restarted (self->policy, info->deployment, info->service);
  /* a start, as one of fleet's: update_config.monitor begins again */
  if (spec != NULL && g_strcmp0 (spec->digest, info->spec_digest) == 0)
    fleet_reconciler_note_started (self, spec, info->id);
  if (!too_soon || info->state != FLEET_CONTAINER_STATE_RUNNING
      || fleet_executor_is_busy (self, info->deployment))
    return;
  fleet_reconciler_log_action ("throttle", info->deployment, info->service, info->id,
                               "reason=\"crash loop: restarted sooner than the backoff allows\"");
  fleet_container_runtime_stop_async (self->runtime, info->id, 0, -1, self->cancellable,
                                      on_throttled, g_strdup (info->id));
}

/* Whether @info is a recorded container of a service. */
static gboolean
is_recorded (FleetReconciler *self, FleetContainerInfo *info)
{
  return info->deployment != NULL && info->service != NULL
         && fleet_state_has_container_id (self->state, info->id);
}

/**
 * fleet_reconciler_note_runtime_restarts:
 * @containers: (element-type FleetContainerInfo): the runtime's view, this pass
 *
 * Count the restarts the runtime made since the last pass into the
 * services' crash loops; the first sight of a container only notes its count.
 */
void
fleet_reconciler_note_runtime_restarts (FleetPass *pass, GPtrArray *containers)
{
  FleetReconciler *self = pass->self;
  g_autoptr(GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer key;

  if (self->restart_counts == NULL)
    self->restart_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < containers->len; i++)
    {
      FleetContainerInfo *info = containers->pdata[i];
      gpointer last;
      gboolean known;

      if (!is_recorded (self, info))
        continue;
      g_hash_table_add (listed, info->id);
      known = g_hash_table_lookup_extended (self->restart_counts, info->id, NULL, &last);
      g_hash_table_replace (self->restart_counts, g_strdup (info->id),
                            GUINT_TO_POINTER (info->restart_count));
      if (known && info->restart_count > GPOINTER_TO_UINT (last))
        note_restarts (self, info, info->restart_count - GPOINTER_TO_UINT (last));
    }
  /* gone containers are forgotten */
  g_hash_table_iter_init (&iter, self->restart_counts);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (listed, key))
      g_hash_table_iter_remove (&iter);
}
