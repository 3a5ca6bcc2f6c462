/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-backoff.c: capped exponential backoff with jitter, as used for
 * retrying failed rollouts, fetches and status reports.  The jitter keeps a
 * fleet of devices that failed together (a registry or server outage) from
 * retrying together.
 */
#include "config.h"

#include "fleet-backoff.h"

/**
 * fleet_backoff_init:
 * @backoff: the backoff
 * @initial_msecs: the delay after the first failure, in milliseconds
 * @max_msecs: the longest delay, in milliseconds
 * @jitter: how much each delay varies at random, as a fraction (0.2 is ±20 %)
 *
 * Start @backoff with no failures: each failure doubles the delay, from
 * @initial_msecs up to @max_msecs.
 *
 * Since: 0.2
 */
void
fleet_backoff_init (FleetBackoff *backoff, guint initial_msecs, guint max_msecs, double jitter)
{
  g_return_if_fail (backoff != NULL);

  backoff->initial_msecs = MAX (initial_msecs, 1);
  backoff->max_msecs = MAX (max_msecs, backoff->initial_msecs);
  backoff->jitter = CLAMP (jitter, 0.0, 1.0);
  fleet_backoff_reset (backoff);
}

/**
 * fleet_backoff_failed:
 * @backoff: the backoff
 * @now: the monotonic time, as g_get_monotonic_time()
 *
 * Record a failure at @now and compute when to retry.
 *
 * Returns: the delay, in milliseconds, until the retry is due
 *
 * Since: 0.2
 */
guint
fleet_backoff_failed (FleetBackoff *backoff, gint64 now)
{
  double delay;

  g_return_val_if_fail (backoff != NULL, 0);

  delay = backoff->initial_msecs;
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

/**
 * fleet_backoff_reset:
 * @backoff: the backoff
 *
 * Forget the failures: the next failure waits the initial delay again.
 *
 * Since: 0.2
 */
void
fleet_backoff_reset (FleetBackoff *backoff)
{
  g_return_if_fail (backoff != NULL);

  backoff->failures = 0;
  backoff->next_at = 0;
}

/**
 * fleet_backoff_is_waiting:
 * @backoff: the backoff
 * @now: the monotonic time, in microseconds (g_get_monotonic_time())
 *
 * Whether the delay after the last failure has not passed yet.
 *
 * Returns: %TRUE until the time fleet_backoff_failed() set has come
 *
 * Since: 0.2
 */
gboolean
fleet_backoff_is_waiting (const FleetBackoff *backoff, gint64 now)
{
  g_return_val_if_fail (backoff != NULL, FALSE);

  return backoff->next_at > now;
}
