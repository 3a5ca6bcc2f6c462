/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-reconciler-private.h: the reconciler's parts, and what they share.
 *
 *   fleet-reconciler.c          the object and its API
 *   fleet-scheduler.c           scheduling of passes
 *   fleet-reconciler-records.c  what a pass observes and records: adoption,
 *                               dead containers, phases, failures, the state
 *   fleet-executor.c            lanes, and one entry per kind of action
 *   fleet-restart-policy.c      retry and crash-loop backoff
 *   fleet-reconciler-health.c   health checks: which run, and what they change
 *
 * A pass lists the runtime's containers once, plans (fleet-plan.c), and
 * hands each deployment's actions to that deployment's lane.  Lanes run
 * side by side, each one action at a time, so that one deployment's long
 * grace period never holds up another's liveness: a pass that starts while
 * a lane is still busy leaves that deployment alone.  A pass is over when
 * every lane it fed has drained.
 */
#pragma once

#include "fleet-reconciler.h"
#include "fleet-restart-policy-private.h"

G_BEGIN_DECLS

typedef struct _FleetLane FleetLane;
typedef struct _FleetHealthMonitor FleetHealthMonitor;

typedef struct
{
  FleetReconciler *self;
  FleetPlan *plan;           /* the lanes run its actions */
  GPtrArray *waiters;        /* GTask */
  GHashTable *failed;        /* deployments that failed in this pass */
  GHashTable *attempted;     /* deployments whose rollout ran in this pass */
  GHashTable *unhealthy;     /* ids of recorded containers found not running */
  GHashTable *busy;          /* deployments left alone: their lane was busy */
  GError *error;             /* why the pass could not run at all */
  guint lanes_running;       /* lanes this pass fed that have not drained */
  gboolean planning;         /* still listing and planning */
  gboolean changed;
} FleetPass;

struct _FleetReconciler
{
  GObject parent_instance;

  FleetContainerRuntime *runtime;
  char *state_dir;
  FleetState *state;
  FleetPhase phase;
  FleetRestartPolicy *policy;

  FleetPass *planning;       /* the pass listing and planning, or NULL */
  GHashTable *lanes;         /* deployment -> FleetLane, while it has work */
  GHashTable *unhealthy_stops; /* ids being stopped for being unhealthy */
  guint passes_running;      /* passes not yet finished */
  gboolean pass_requested;
  gboolean busy_skipped;     /* a pass left a busy deployment alone */
  gboolean retry_now;
  guint start_idle_id;
  guint wakeup_id;
  gint64 wakeup_at;
  FleetDocument *pending_document;
  GPtrArray *waiters;        /* GTask, for the next pass */
  gboolean stopping;
  GCancellable *cancellable; /* cancelled on shutdown: lists and pulls */
  GPtrArray *shutdown_tasks;
  gulong died_handler_id;
  char *persist_error;       /* why the state could not be saved, or NULL */
  guint save_retry_id;
  FleetHealthMonitor *health; /* created by the first pass */
  GHashTable *restart_counts; /* container id -> the runtime's restarts last seen */
  GHashTable *up_since;       /* container id -> monotonic start time, while a
                               * service without a check serves its monitor */
};

/* fleet-scheduler.c */
void fleet_reconciler_request_pass (FleetReconciler *self);
void fleet_reconciler_complete_waiters (GPtrArray *waiters, FleetPhase phase,
                                        const GError *error);
void fleet_reconciler_finish_shutdown (FleetReconciler *self);
void fleet_reconciler_note_wakeup (FleetReconciler *self, gint64 at);
void fleet_reconciler_pass_lane_drained (FleetPass *pass);

/* fleet-reconciler-records.c */
void fleet_reconciler_log_action (const char *action, const char *deployment,
                                  const char *service, const char *container_id,
                                  const char *detail);
gboolean fleet_reconciler_save_state (FleetReconciler *self);
void fleet_reconciler_set_phase (FleetReconciler *self, const char *deployment,
                                 FleetPhase phase, const char *error_message);
void fleet_reconciler_update_phase (FleetReconciler *self);
void fleet_reconciler_emit_changed (FleetReconciler *self);
void fleet_reconciler_fail_deployment (FleetPass *pass, const char *deployment,
                                       const char *message);
gboolean fleet_reconciler_record_container (FleetPass *pass, FleetPlanAction *action,
                                            const char *container_id, const char *digest);
gboolean fleet_reconciler_forget_service (FleetPass *pass, FleetPlanAction *action);
gboolean fleet_reconciler_accept_document (FleetReconciler *self, FleetDocument *document,
                                           GError **error);
void fleet_reconciler_adopt_containers (FleetPass *pass, GPtrArray *containers);
void fleet_reconciler_note_dead_containers (FleetPass *pass, GPtrArray *containers);

/* fleet-reconciler-restarts.c */
void fleet_reconciler_note_runtime_restarts (FleetPass *pass, GPtrArray *containers);
void fleet_reconciler_note_attempted (FleetPass *pass);
void fleet_reconciler_fail_pending_deployments (FleetPass *pass);
void fleet_reconciler_finalize_phases (FleetPass *pass);
gboolean fleet_reconciler_skip_rollout (const char *deployment, const char *service,
                                        gpointer user_data);
gboolean fleet_reconciler_skip_restart (const char *deployment, const char *service,
                                        gpointer user_data);
gboolean fleet_reconciler_skip_busy (const char *deployment, const char *service,
                                     gpointer user_data);

/* fleet-reconciler-health.c */
void fleet_reconciler_sync_health (FleetPass *pass);
gboolean fleet_reconciler_is_healthy (FleetReconciler *self, FleetServiceSpec *spec,
                                      const char *container_id);
void fleet_reconciler_stop_health (FleetReconciler *self);
void fleet_reconciler_note_started (FleetReconciler *self, FleetServiceSpec *spec,
                                    const char *container_id);
void fleet_reconciler_watch_container (FleetReconciler *self, FleetServiceSpec *spec,
                                       const char *container_id);
const char *fleet_reconciler_get_health (FleetReconciler *self, const char *container_id,
                                         gboolean *out_healthy, gboolean *out_unhealthy);

/* fleet-executor.c */
void fleet_executor_dispatch (FleetPass *pass, FleetPlan *plan);
gboolean fleet_executor_is_stopping (FleetReconciler *self, const char *container_id);
FleetPass *fleet_lane_get_pass (FleetLane *lane);
void fleet_lane_fail (FleetLane *lane, const char *message);
void fleet_lane_halt (FleetLane *lane);
void fleet_lane_continue (FleetLane *lane);

/* fleet-start-first.c */
void fleet_executor_run_start_first (FleetLane *lane, FleetPlanAction *action);

/* fleet-await-healthy.c */
void fleet_executor_run_await_healthy (FleetLane *lane, FleetPlanAction *action);
gboolean fleet_executor_is_busy (FleetReconciler *self, const char *deployment);
void fleet_lane_free (FleetLane *lane);

G_END_DECLS
