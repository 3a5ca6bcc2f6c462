/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-trust-watch.c: tell when the trusted keys directory changed, so
 * that keys are added, rotated and withdrawn without restarting fleetd.
 *
 * The directory is watched with a GFileMonitor (inotify), which also sees
 * it created or removed as a whole.  Changes come in bursts (a package
 * unpacking several keys, an editor's temporary files, a copy written in
 * pieces), so ::changed is emitted once the directory has been quiet for a
 * moment, not for every event.
 */
#include "config.h"

#include "fleetd-trust-watch.h"

struct _FleetdTrustWatch
{
  GObject parent_instance;

  GFileMonitor *monitor;
  guint settle_msecs;
  guint settle_id;
};

G_DEFINE_FINAL_TYPE (FleetdTrustWatch, fleetd_trust_watch, G_TYPE_OBJECT)

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
fleetd_trust_watch_dispose (GObject *object)
{
  FleetdTrustWatch *self = FLEETD_TRUST_WATCH (object);

  g_clear_handle_id (&self->settle_id, g_source_remove);
  if (self->monitor != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->monitor, self);
      g_file_monitor_cancel (self->monitor);
      g_clear_object (&self->monitor);
    }
  G_OBJECT_CLASS (fleetd_trust_watch_parent_class)->dispose (object);
}

static void
fleetd_trust_watch_class_init (FleetdTrustWatchClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = fleetd_trust_watch_dispose;

  /**
   * FleetdTrustWatch::changed:
   *
   * The directory changed, and has been quiet since for the settle time.
   */
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
fleetd_trust_watch_init (FleetdTrustWatch *self)
{
}

static gboolean
on_settled (gpointer user_data)
{
  FleetdTrustWatch *self = user_data;

  self->settle_id = 0;
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  return G_SOURCE_REMOVE;
}

static void
on_monitor_changed (GFileMonitor *monitor, GFile *file, GFile *other, GFileMonitorEvent event,
                    gpointer user_data)
{
  FleetdTrustWatch *self = user_data;

  /* Attribute changes count: a key made world-writable is no longer
   * trusted, and one made private again is. */
  g_clear_handle_id (&self->settle_id, g_source_remove);
  self->settle_id = g_timeout_add (self->settle_msecs, on_settled, self);
}

/**
 * fleetd_trust_watch_new:
 * @dir: the trusted keys directory (it may not exist yet)
 * @settle_msecs: how long the directory must be quiet before ::changed
 *
 * Returns: (transfer full): the watch, or %NULL when the directory cannot
 *   be watched
 */
FleetdTrustWatch *
fleetd_trust_watch_new (const char *dir, guint settle_msecs, GError **error)
{
  g_autoptr(FleetdTrustWatch) self = g_object_new (FLEETD_TYPE_TRUST_WATCH, NULL);
  g_autoptr(GFile) file = NULL;

  g_return_val_if_fail (dir != NULL, NULL);

  file = g_file_new_for_path (dir);
  self->settle_msecs = settle_msecs;
  self->monitor = g_file_monitor_directory (file, G_FILE_MONITOR_WATCH_MOVES, NULL, error);
  if (self->monitor == NULL)
    return NULL;
  g_signal_connect (self->monitor, "changed", G_CALLBACK (on_monitor_changed), self);
  return g_steal_pointer (&self);
}
