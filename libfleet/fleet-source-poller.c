/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-source-poller.c: when a source that cannot be told of a change
 * looks at it again.
 *
 * Every poll interval; but while fetches fail, or the caller rejects what
 * they bring, sooner at first: capped exponential backoff with jitter (so
 * that a fleet that failed together does not retry together), never later
 * than the poll interval, so that a fixed document is picked up as soon as
 * a working one would be.  A document the caller has yet to judge neither
 * ends nor extends the backoff: only its commit or its rejection does.
 *
 * The poller schedules; the source fetches (one fetch at a time, see
 * fleet-source.c) and tells the poller how each one went.
 */
#include "config.h"

#include "fleet-backoff.h"
#include "fleet-source-private.h"

#define RETRY_JITTER 0.2

struct _FleetSourcePoller
{
  FleetSource *source; /* owns the poller */
  guint interval_secs;
  FleetBackoff backoff;
  guint timer_id;
  gint64 due_at;
  gboolean running;
};

FleetSourcePoller *
_fleet_source_poller_new (FleetSource *source)
{
  FleetSourcePoller *poller = g_new0 (FleetSourcePoller, 1);

  poller->source = source;
  poller->interval_secs = FLEET_DEFAULT_POLL_INTERVAL_SECS;
  fleet_backoff_init (&poller->backoff, FLEET_DEFAULT_RETRY_INITIAL_MSECS,
                      FLEET_DEFAULT_RETRY_MAX_MSECS, RETRY_JITTER);
  return poller;
}

void
_fleet_source_poller_free (FleetSourcePoller *poller)
{
  if (poller == NULL)
    return;
  g_clear_handle_id (&poller->timer_id, g_source_remove);
  g_free (poller);
}

static gboolean
on_due (gpointer user_data)
{
  FleetSourcePoller *poller = user_data;

  poller->timer_id = 0;
  poller->due_at = 0;
  fleet_source_poll_now (poller->source);
  return G_SOURCE_REMOVE;
}

/* The next look: the poll interval, or the backoff while failing. */
static void
schedule (FleetSourcePoller *poller)
{
  gint64 now = g_get_monotonic_time ();
  guint64 delay_msecs = (guint64) poller->interval_secs * 1000;

  g_clear_handle_id (&poller->timer_id, g_source_remove);
  poller->due_at = 0;
  if (!poller->running)
    return;
  if (fleet_backoff_is_waiting (&poller->backoff, now))
    delay_msecs = MIN ((guint64) (poller->backoff.next_at - now + 999) / 1000, delay_msecs);
  poller->due_at = now + (gint64) delay_msecs * 1000;
  poller->timer_id = g_timeout_add ((guint) MIN (delay_msecs, G_MAXUINT), on_due, poller);
}

void
_fleet_source_poller_set_interval (FleetSourcePoller *poller, guint secs)
{
  poller->interval_secs = MAX (secs, 1);
  if (poller->timer_id != 0)
    schedule (poller);
}

void
_fleet_source_poller_set_backoff (FleetSourcePoller *poller, guint initial_msecs,
                                  guint max_msecs)
{
  fleet_backoff_init (&poller->backoff, initial_msecs, max_msecs, RETRY_JITTER);
}

/* Look now, and from then on by the schedule. */
void
_fleet_source_poller_start (FleetSourcePoller *poller)
{
  if (poller->running)
    return;
  poller->running = TRUE;
  fleet_source_poll_now (poller->source);
}

void
_fleet_source_poller_stop (FleetSourcePoller *poller)
{
  poller->running = FALSE;
  g_clear_handle_id (&poller->timer_id, g_source_remove);
  poller->due_at = 0;
}

/* A fetch ended, or the caller judged its document. */
void
_fleet_source_poller_note (FleetSourcePoller *poller, FleetPollOutcome outcome)
{
  switch (outcome)
    {
    case FLEET_POLL_OUTCOME_FAILED:
      fleet_backoff_failed (&poller->backoff, g_get_monotonic_time ());
      break;
    case FLEET_POLL_OUTCOME_CURRENT:
      fleet_backoff_reset (&poller->backoff);
      break;
    case FLEET_POLL_OUTCOME_DOCUMENT:
    default:
      break;
    }
  schedule (poller);
}

/* Milliseconds until the next look, or -1 when none is scheduled. */
gint64
_fleet_source_poller_get_next_in (FleetSourcePoller *poller)
{
  if (poller->timer_id == 0)
    return -1;
  return MAX (poller->due_at - g_get_monotonic_time (), 0) / 1000;
}

/* The polling settings of FleetSource (fleet-source.h). */

/**
 * fleet_source_set_poll_interval:
 * @self: a #FleetSource
 * @secs: how often a polling source looks for a new document (default 30)
 *
 * Since: 0.2
 */
void
fleet_source_set_poll_interval (FleetSource *self, guint secs)
{
  g_return_if_fail (FLEET_IS_SOURCE (self));

  _fleet_source_poller_set_interval (_fleet_source_get_poller (self), secs);
}

/**
 * fleet_source_set_retry_backoff:
 * @self: a #FleetSource
 * @initial_msecs: the delay after the first failure, in milliseconds
 * @max_msecs: the longest delay, in milliseconds
 *
 * How a polling source retries while fetches fail or their documents are
 * rejected: after @initial_msecs, doubling with jitter up to @max_msecs,
 * and never later than the poll interval (default 1 s to 5 min).
 *
 * Since: 0.2
 */
void
fleet_source_set_retry_backoff (FleetSource *self, guint initial_msecs, guint max_msecs)
{
  g_return_if_fail (FLEET_IS_SOURCE (self));

  _fleet_source_poller_set_backoff (_fleet_source_get_poller (self), initial_msecs, max_msecs);
}

/**
 * fleet_source_get_next_poll_in:
 * @self: a #FleetSource
 *
 * Returns: the milliseconds until a polling source looks again, or -1 when
 *   no look is scheduled
 *
 * Since: 0.2
 */
gint64
fleet_source_get_next_poll_in (FleetSource *self)
{
  g_return_val_if_fail (FLEET_IS_SOURCE (self), -1);

  return _fleet_source_poller_get_next_in (_fleet_source_get_poller (self));
}
