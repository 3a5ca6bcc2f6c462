/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-trust-watch.c: fleetd trusts the keys that trusted-keys-dir holds
 * now, not the ones it held when fleetd started, so that a key is added,
 * rotated or removed without a restart.
 *
 * A GFileMonitor watches the directory (GLib also notices it appear when
 * it is missing); the keys are read again once the directory has been
 * quiet for a moment, so that a key file being written is read whole.
 * SIGHUP (`systemctl reload fleetd`) reads them at once, for file systems
 * whose changes a monitor does not see.  A directory that cannot be listed
 * keeps the keys read before, and says why.
 */
#include "config.h"

#include <glib-unix.h>
#include <signal.h>

#include "fleetd-trust-watch.h"
#include "fleetd-log.h"
#include "fleet-util-private.h"

/* How long the directory must be quiet before the keys are read again. */
#define SETTLE_MS 500

struct _FleetdTrustWatch
{
  FleetDocumentVerifier *verifier;
  char *dir;
  GFileMonitor *monitor;
  guint settle_id;
  guint sighup_id;
  FleetdTrustReloadedFunc reloaded;
  gpointer user_data;
};

/**
 * fleetd_trust_watch_reload:
 *
 * Read the keys again now, and tell the caller.
 *
 * Returns: %FALSE when the directory could not be listed (logged; the
 *   keys read before are kept)
 */
gboolean
fleetd_trust_watch_reload (FleetdTrustWatch *watch)
{
  g_autoptr(GError) error = NULL;

  g_clear_handle_id (&watch->settle_id, g_source_remove);
  if (!fleet_document_verifier_reload_keys (watch->verifier, &error))
    {
      g_autofree char *quoted = fleet_log_quote (error->message);

      fleetd_log_event (G_LOG_LEVEL_WARNING, "trust",
                        "result=error dir=%s error=%s (the keys read before are kept)", watch->dir,
                        quoted);
      return FALSE;
    }
  watch->reloaded (watch->user_data);
  return TRUE;
}

static gboolean
on_settled (gpointer user_data)
{
  FleetdTrustWatch *watch = user_data;

  watch->settle_id = 0;
  fleetd_trust_watch_reload (watch);
  return G_SOURCE_REMOVE;
}

static void
on_changed (GFileMonitor *monitor, GFile *file, GFile *other, GFileMonitorEvent event,
            gpointer user_data)
{
  FleetdTrustWatch *watch = user_data;

  g_clear_handle_id (&watch->settle_id, g_source_remove);
  watch->settle_id = g_timeout_add (SETTLE_MS, on_settled, watch);
}

static gboolean
on_sighup (gpointer user_data)
{
  fleetd_trust_watch_reload (user_data);
  return G_SOURCE_CONTINUE;
}

/**
 * fleetd_trust_watch_new:
 * @verifier: whose keys to read again (borrowed: it must outlive the watch)
 * @dir: the directory of trusted keys
 * @reloaded: called after each reading
 *
 * Start watching @dir, and SIGHUP.  When @dir cannot be watched, that is
 * logged and SIGHUP still works.
 *
 * Returns: (transfer full): the watch
 */
FleetdTrustWatch *
fleetd_trust_watch_new (FleetDocumentVerifier *verifier, const char *dir,
                        FleetdTrustReloadedFunc reloaded, gpointer user_data)
{
  g_autoptr(FleetdTrustWatch) watch = g_new0 (FleetdTrustWatch, 1);
  g_autoptr(GFile) file = g_file_new_for_path (dir);
  g_autoptr(GError) error = NULL;

  watch->verifier = verifier;
  watch->dir = g_strdup (dir);
  watch->reloaded = reloaded;
  watch->user_data = user_data;
  watch->monitor = g_file_monitor_directory (file, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  if (watch->monitor == NULL)
    {
      g_autofree char *quoted = fleet_log_quote (error->message);

      fleetd_log_event (G_LOG_LEVEL_WARNING, "trust",
                        "result=error dir=%s error=%s (changes are read on SIGHUP only)", dir,
                        quoted);
    }
  else
    g_signal_connect (watch->monitor, "changed", G_CALLBACK (on_changed), watch);
  watch->sighup_id = g_unix_signal_add (SIGHUP, on_sighup, watch);
  return g_steal_pointer (&watch);
}

void
fleetd_trust_watch_free (FleetdTrustWatch *watch)
{
  g_clear_handle_id (&watch->settle_id, g_source_remove);
  g_clear_handle_id (&watch->sighup_id, g_source_remove);
  if (watch->monitor != NULL)
    {
      g_signal_handlers_disconnect_by_data (watch->monitor, watch);
      g_file_monitor_cancel (watch->monitor);
      g_clear_object (&watch->monitor);
    }
  g_free (watch->dir);
  g_free (watch);
}
