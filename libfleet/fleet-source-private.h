/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-source-private.h: the poller behind FleetSource: when to look at
 * the source again (the poll interval, or capped backoff with jitter while
 * fetches fail or their documents are rejected).
 */
#pragma once

#include "fleet-source.h"

G_BEGIN_DECLS

/*
 * FleetPollOutcome:
 * @FLEET_POLL_OUTCOME_FAILED: the fetch failed, or the caller rejected its document
 * @FLEET_POLL_OUTCOME_DOCUMENT: a document the caller has yet to commit or reject
 * @FLEET_POLL_OUTCOME_CURRENT: not modified, or the caller committed the document
 */
typedef enum
{
  FLEET_POLL_OUTCOME_FAILED,
  FLEET_POLL_OUTCOME_DOCUMENT,
  FLEET_POLL_OUTCOME_CURRENT,
} FleetPollOutcome;

typedef struct _FleetSourcePoller FleetSourcePoller;

FleetSourcePoller *_fleet_source_poller_new (FleetSource *source);
void _fleet_source_poller_free (FleetSourcePoller *poller);
void _fleet_source_poller_set_interval (FleetSourcePoller *poller, guint secs);
void _fleet_source_poller_set_backoff (FleetSourcePoller *poller, guint initial_msecs,
                                       guint max_msecs);
void _fleet_source_poller_start (FleetSourcePoller *poller);
void _fleet_source_poller_stop (FleetSourcePoller *poller);
void _fleet_source_poller_note (FleetSourcePoller *poller, FleetPollOutcome outcome);
gint64 _fleet_source_poller_get_next_in (FleetSourcePoller *poller);

FleetSourcePoller *_fleet_source_get_poller (FleetSource *self);

G_END_DECLS
