/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-restart-policy-private.h: when the reconciler may try again.
 *
 * Two kinds of retry, both capped exponential backoffs: a deployment whose
 * rollout failed is retried (with jitter, so that a fleet that failed
 * together does not retry together), and a service whose container died is
 * restarted under a crash-loop backoff.  The policy only answers "not yet,
 * wait until T" or "go ahead"; the reconciler acts.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FleetRestartPolicy FleetRestartPolicy;

FleetRestartPolicy *fleet_restart_policy_new (guint retry_initial_msecs, guint retry_max_msecs);
void fleet_restart_policy_free (FleetRestartPolicy *policy);
void fleet_restart_policy_set_retry_backoff (FleetRestartPolicy *policy, guint initial_msecs,
                                             guint max_msecs);

gboolean fleet_restart_policy_rollout_waiting (FleetRestartPolicy *policy, const char *deployment,
                                               gint64 now, gint64 *out_due_at);
guint fleet_restart_policy_rollout_failed (FleetRestartPolicy *policy, const char *deployment);
void fleet_restart_policy_rollout_attempted (FleetRestartPolicy *policy, const char *deployment);
void fleet_restart_policy_rollout_succeeded (FleetRestartPolicy *policy, const char *deployment);
void fleet_restart_policy_forget_deployment (FleetRestartPolicy *policy, const char *deployment);

gboolean fleet_restart_policy_restart_waiting (FleetRestartPolicy *policy, const char *deployment,
                                               const char *service, gint64 now,
                                               gint64 *out_due_at);
void fleet_restart_policy_restarted (FleetRestartPolicy *policy, const char *deployment,
                                     const char *service);
void fleet_restart_policy_forget_service (FleetRestartPolicy *policy, const char *deployment,
                                          const char *service);

void fleet_restart_policy_retry_now (FleetRestartPolicy *policy);
gint64 fleet_restart_policy_next_due (FleetRestartPolicy *policy);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetRestartPolicy, fleet_restart_policy_free)

G_END_DECLS
