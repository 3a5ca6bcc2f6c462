/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-restart-policy.c: retry and crash-loop backoff, per deployment and
 * per service.  See fleet-restart-policy-private.h.
 */
#include "config.h"

#include "fleet-backoff.h"
#include "fleet-restart-policy-private.h"

#define RETRY_JITTER 0.1
/* Crash-loop backoff for restarting a dead container: the first restart is
 * immediate, then 1 s, 2 s, ... up to 5 min between restarts; a container
 * that stayed up for CRASH_RESET_USECS starts again from zero. */
#define CRASH_INITIAL_MSECS 1000
#define CRASH_MAX_MSECS (5 * 60 * 1000)
#define CRASH_RESET_USECS (10 * G_USEC_PER_SEC * 60)

typedef struct
{
  FleetBackoff backoff;
  gint64 last_restart;
} CrashLoop;

struct _FleetRestartPolicy
{
  guint retry_initial_msecs;
  guint retry_max_msecs;
  GHashTable *rollouts;    /* deployment -> FleetBackoff */
  GHashTable *crash_loops; /* "deployment/service" -> CrashLoop */
};

FleetRestartPolicy *
fleet_restart_policy_new (guint retry_initial_msecs, guint retry_max_msecs)
{
  FleetRestartPolicy *policy = g_new0 (FleetRestartPolicy, 1);

  policy->retry_initial_msecs = retry_initial_msecs;
  policy->retry_max_msecs = retry_max_msecs;
  policy->rollouts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  policy->crash_loops = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return policy;
}

void
fleet_restart_policy_free (FleetRestartPolicy *policy)
{
  if (policy == NULL)
    return;
  g_hash_table_unref (policy->rollouts);
  g_hash_table_unref (policy->crash_loops);
  g_free (policy);
}

/* Takes effect for the next failure: pending retries are forgotten. */
void
fleet_restart_policy_set_retry_backoff (FleetRestartPolicy *policy, guint initial_msecs,
                                        guint max_msecs)
{
  policy->retry_initial_msecs = initial_msecs;
  policy->retry_max_msecs = max_msecs;
  g_hash_table_remove_all (policy->rollouts);
}

static gboolean
waiting (const FleetBackoff *backoff, gint64 now, gint64 *out_due_at)
{
  if (backoff == NULL || !fleet_backoff_is_waiting (backoff, now))
    return FALSE;
  if (out_due_at)
    *out_due_at = backoff->next_at;
  return TRUE;
}

/* Whether the rollout of @deployment is backing off after a failure; when
 * it is, @out_due_at says until when. */
gboolean
fleet_restart_policy_rollout_waiting (FleetRestartPolicy *policy, const char *deployment,
                                      gint64 now, gint64 *out_due_at)
{
  return waiting (g_hash_table_lookup (policy->rollouts, deployment), now, out_due_at);
}

/* Returns: the delay until the retry, in milliseconds */
guint
fleet_restart_policy_rollout_failed (FleetRestartPolicy *policy, const char *deployment)
{
  FleetBackoff *backoff = g_hash_table_lookup (policy->rollouts, deployment);

  if (backoff == NULL)
    {
      backoff = g_new0 (FleetBackoff, 1);
      fleet_backoff_init (backoff, policy->retry_initial_msecs, policy->retry_max_msecs,
                          RETRY_JITTER);
      g_hash_table_insert (policy->rollouts, g_strdup (deployment), backoff);
    }
  return fleet_backoff_failed (backoff, g_get_monotonic_time ());
}

/* A retry that was due is being made: it is consumed (a new failure
 * schedules the next one), and the failure count kept. */
void
fleet_restart_policy_rollout_attempted (FleetRestartPolicy *policy, const char *deployment)
{
  FleetBackoff *backoff = g_hash_table_lookup (policy->rollouts, deployment);

  if (backoff != NULL)
    backoff->next_at = 0;
}

void
fleet_restart_policy_rollout_succeeded (FleetRestartPolicy *policy, const char *deployment)
{
  FleetBackoff *backoff = g_hash_table_lookup (policy->rollouts, deployment);

  if (backoff != NULL)
    fleet_backoff_reset (backoff);
}

/* A new document for @deployment, or none at all: its retries start over. */
void
fleet_restart_policy_forget_deployment (FleetRestartPolicy *policy, const char *deployment)
{
  g_hash_table_remove (policy->rollouts, deployment);
}

static CrashLoop *
ensure_crash_loop (FleetRestartPolicy *policy, const char *deployment, const char *service)
{
  g_autofree char *key = g_strdup_printf ("%s/%s", deployment, service);
  CrashLoop *loop = g_hash_table_lookup (policy->crash_loops, key);

  if (loop == NULL)
    {
      loop = g_new0 (CrashLoop, 1);
      fleet_backoff_init (&loop->backoff, CRASH_INITIAL_MSECS, CRASH_MAX_MSECS, 0);
      g_hash_table_insert (policy->crash_loops, g_steal_pointer (&key), loop);
    }
  return loop;
}

gboolean
fleet_restart_policy_restart_waiting (FleetRestartPolicy *policy, const char *deployment,
                                      const char *service, gint64 now, gint64 *out_due_at)
{
  g_autofree char *key = g_strdup_printf ("%s/%s", deployment, service);
  CrashLoop *loop = g_hash_table_lookup (policy->crash_loops, key);

  return waiting (loop ? &loop->backoff : NULL, now, out_due_at);
}

/* A dead container of @service was restarted (or could not be): the next
 * restart waits longer, unless the last one is long enough ago. */
void
fleet_restart_policy_restarted (FleetRestartPolicy *policy, const char *deployment,
                                const char *service)
{
  CrashLoop *loop = ensure_crash_loop (policy, deployment, service);
  gint64 now = g_get_monotonic_time ();

  if (loop->last_restart != 0 && now - loop->last_restart > CRASH_RESET_USECS)
    fleet_backoff_reset (&loop->backoff);
  loop->last_restart = now;
  fleet_backoff_failed (&loop->backoff, now);
}

/* A container of another spec, or none: the old one's crashes say nothing
 * about what comes next. */
void
fleet_restart_policy_forget_service (FleetRestartPolicy *policy, const char *deployment,
                                     const char *service)
{
  g_autofree char *key = g_strdup_printf ("%s/%s", deployment, service);

  g_hash_table_remove (policy->crash_loops, key);
}

/* An operator asked to retry now: no backoff is waited out. */
void
fleet_restart_policy_retry_now (FleetRestartPolicy *policy)
{
  GHashTableIter iter;
  CrashLoop *loop;

  g_hash_table_remove_all (policy->rollouts);
  g_hash_table_iter_init (&iter, policy->crash_loops);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &loop))
    loop->backoff.next_at = 0;
}

/* Returns: the earliest time a rollout retry is due (a slow pass can
 * outlast a short backoff, so one already due counts too), or 0 */
gint64
fleet_restart_policy_next_due (FleetRestartPolicy *policy)
{
  GHashTableIter iter;
  FleetBackoff *backoff;
  gint64 due = 0;

  g_hash_table_iter_init (&iter, policy->rollouts);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &backoff))
    if (backoff->next_at != 0 && (due == 0 || backoff->next_at < due))
      due = backoff->next_at;
  return due;
}
