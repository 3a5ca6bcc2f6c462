/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-backoff.h: capped exponential backoff with jitter. */
#pragma once

#if !defined (__FLEET_H_INSIDE__) && !defined (FLEET_COMPILATION)
#error "Only <fleet/fleet.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/**
 * FleetBackoff:
 * @initial_msecs: the first delay
 * @max_msecs: the cap
 * @jitter: spread each delay by up to this fraction either way (0 for none)
 * @failures: consecutive failures so far
 * @next_at: monotonic time (µs) before which no retry is due; 0 when none is pending
 *
 * Capped exponential backoff with jitter, for retries: a plain struct, set up
 * with fleet_backoff_init().
 *
 * Since: 0.2
 */
typedef struct
{
  guint initial_msecs;
  guint max_msecs;
  double jitter;
  guint failures;
  gint64 next_at;
} FleetBackoff;

void fleet_backoff_init (FleetBackoff *backoff, guint initial_msecs, guint max_msecs,
                         double jitter);
guint fleet_backoff_failed (FleetBackoff *backoff, gint64 now);
void fleet_backoff_reset (FleetBackoff *backoff);
gboolean fleet_backoff_is_waiting (const FleetBackoff *backoff, gint64 now);

G_END_DECLS
