/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-plan-order.c: the start order within a deployment (depends_on),
 * and the one-shot jobs that others wait for.
 *
 * Services are started after the services they depend on, otherwise in
 * document order.  A job (restart "no" or "on-failure") that a service
 * waits for with service_completed_successfully must have run to
 * completion, exit 0, before that service starts: the plan adds an
 * AWAIT_COMPLETION action after the job's start, and runs the job again
 * when a waiting service is started and the job's recorded container has
 * not completed.  A completed job is not run again on ticks or restarts of
 * fleetd, only when its spec changes.
 */
#include "config.h"

#include "fleet-plan-private.h"

/* Whether a service of @deployment names dependencies at all. */
static gboolean
has_dependencies (FleetDeploymentSpec *deployment)
{
  for (guint i = 0; i < deployment->services->len; i++)
    if (((FleetServiceSpec *) deployment->services->pdata[i])->depends_on->len > 0)
      return TRUE;
  return FALSE;
}

/**
 * fleet_plan_order_services:
 * @selected: (element-type FleetServiceSpec): services of @deployment, in
 *   document order
 *
 * Returns: (transfer container): @selected, each after the selected services
 *   it depends on; otherwise in document order
 */
GPtrArray *
fleet_plan_order_services (FleetDeploymentSpec *deployment, GPtrArray *selected)
{
  g_autoptr(GHashTable) pending = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *ordered = g_ptr_array_new ();
  gboolean progress = TRUE;

  if (!has_dependencies (deployment))
    {
      g_ptr_array_extend (ordered, selected, NULL, NULL);
      return ordered;
    }
  for (guint i = 0; i < selected->len; i++)
    g_hash_table_add (pending, ((FleetServiceSpec *) selected->pdata[i])->name);
  /* The document has no cycles (the parser refuses them): each round
   * takes at least one service. */
  while (g_hash_table_size (pending) > 0 && progress)
    {
      progress = FALSE;
      for (guint i = 0; i < selected->len; i++)
        {
          FleetServiceSpec *spec = selected->pdata[i];
          gboolean ready = g_hash_table_contains (pending, spec->name);

          for (guint j = 0; ready && j < spec->depends_on->len; j++)
            {
              FleetServiceDependency *dep = spec->depends_on->pdata[j];

              ready = !g_hash_table_contains (pending, dep->service);
            }
          if (!ready)
            continue;
          g_hash_table_remove (pending, spec->name);
          g_ptr_array_add (ordered, spec);
          progress = TRUE;
        }
    }
  g_assert (g_hash_table_size (pending) == 0);
  return ordered;
}

/* Whether a service among @selected waits for @job to complete. */
gboolean
fleet_plan_is_awaited (GPtrArray *selected, const char *job)
{
  for (guint i = 0; i < selected->len; i++)
    {
      FleetServiceSpec *spec = selected->pdata[i];

      for (guint j = 0; j < spec->depends_on->len; j++)
        {
          FleetServiceDependency *dep = spec->depends_on->pdata[j];

          if (dep->condition == FLEET_DEPENDENCY_SERVICE_COMPLETED_SUCCESSFULLY
              && g_str_equal (dep->service, job))
            return TRUE;
        }
    }
  return FALSE;
}

/**
 * fleet_plan_add_jobs_to_rerun:
 * @changed: (element-type FleetServiceSpec): the services to start; jobs
 *   they wait for that have not completed are added, in document order
 */
void
fleet_plan_add_jobs_to_rerun (FleetDeploymentSpec *deployment,
                              const FleetDeploymentRecord *record, GPtrArray *changed)
{
  if (!has_dependencies (deployment))
    return;
  for (guint i = 0; i < deployment->services->len; i++)
    {
      FleetServiceSpec *job = deployment->services->pdata[i];
      const FleetServiceRecord *service =
        record ? fleet_deployment_record_lookup_service (record, job->name) : NULL;
      gboolean listed = FALSE;

      for (guint j = 0; j < changed->len && !listed; j++)
        listed = changed->pdata[j] == job;
      if (listed || (service != NULL && service->completed)
          || !fleet_plan_is_awaited (changed, job->name))
        continue;
      g_ptr_array_add (changed, job);
    }
}

/* Whether @spec is a job: it is meant to exit, and exit 0 is success. */
gboolean
fleet_service_spec_is_job (FleetServiceSpec *spec)
{
  return spec->restart != FLEET_SERVICE_RESTART_ALWAYS;
}

/* Whether @info is a job's container that ran to completion. */
gboolean
fleet_plan_job_completed (FleetServiceSpec *spec, FleetContainerInfo *info)
{
  return fleet_service_spec_is_job (spec) && info != NULL
         && info->state == FLEET_CONTAINER_STATE_EXITED && info->exit_code == 0;
}

static int
compare_stop_rank (gconstpointer a, gconstpointer b, gpointer user_data)
{
  GHashTable *rank = user_data;
  int ra = GPOINTER_TO_INT (g_hash_table_lookup (rank, *(const char *const *)a));
  int rb = GPOINTER_TO_INT (g_hash_table_lookup (rank, *(const char *const *)b));

  return ra - rb;
}

/**
 * fleet_plan_order_stops:
 * @applied: (nullable): the deployment as the applied document has it
 * @names: (element-type utf8): the names of services to stop; sorted in place
 *
 * Dependants stop before their dependencies: the reverse of the start
 * order @applied gives them.  Names @applied does not know (or all, without
 * it) keep their order, ahead of the others.
 */
void
fleet_plan_order_stops (FleetDeploymentSpec *applied, GPtrArray *names)
{
  g_autoptr(GHashTable) rank = NULL;
  g_autoptr(GPtrArray) started = NULL;

  if (applied == NULL || !has_dependencies (applied))
    return;
  started = fleet_plan_order_services (applied, applied->services);
  rank = g_hash_table_new (g_str_hash, g_str_equal);
  /* the last to start ranks 1, stops first among the known */
  for (guint i = 0; i < started->len; i++)
    g_hash_table_insert (rank, ((FleetServiceSpec *) started->pdata[i])->name,
                         GINT_TO_POINTER (started->len - i));
  /* stable: the unknown (rank 0) keep their order */
  g_ptr_array_sort_with_data (names, compare_stop_rank, rank);
}
