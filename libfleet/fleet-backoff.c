/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-backoff.c: capped exponential backoff with jitter, as used for
 * retrying failed rollouts, fetches and status reports.  The jitter keeps a
 * fleet of devices that failed together (a registry or server outage) from
 * retrying together.
 */
#include "config.h"

#include "fleet-backoff.h"

void
fleet_backoff_init (FleetBackoff *backoff, guint initial_msecs, guint max_msecs, double jitter)
{
  backoff->initial_msecs = MAX (initial_msecs, 1);
  backoff->max_msecs = MAX (max_msecs, backoff->initial_msecs);
  backoff->jitter = CLAMP (jitter, 0.0, 1.0);
  fleet_backoff_reset (backoff);
}

/**
 * fleet_backoff_failed:
 * @now: the monotonic time, as g_get_monotonic_time()
 *
 * Record a failure at @now and compute when to retry.
 *
 * Returns: the delay, in milliseconds, until the retry is due
 */
guint
fleet_backoff_failed (FleetBackoff *backoff, gint64 now)
{
  double delay = backoff->initial_msecs;

  backoff->failures++;
  for (guint i = 1; i < backoff->failures && delay < backoff->max_msecs; i++)
    delay *= 2;
  delay = MIN (delay, (double) backoff->max_msecs);
  if (backoff->jitter > 0)
    delay *= 1.0 + backoff->jitter * g_random_double_range (-1.0, 1.0);
  delay = CLAMP (delay, 1.0, (double) backoff->max_msecs);
  backoff->next_at = now + (gint64) delay * 1000;
  return (guint) delay;
}

void
fleet_backoff_reset (FleetBackoff *backoff)
{
  backoff->failures = 0;
  backoff->next_at = 0;
}

gboolean
fleet_backoff_is_waiting (const FleetBackoff *backoff, gint64 now)
{
  return backoff->next_at > now;
}
