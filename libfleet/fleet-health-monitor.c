/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-health-monitor.c: run the health checks of running containers on
 * fleetd's own timers, and count their results as compose does.
 *
 * Each watched container has a timer: every `interval` one check runs
 * through the runtime (fleet_container_runtime_run_healthcheck_async()), cut at
 * `timeout` by cancelling it, so that a check that hangs counts as failed
 * and never holds up the next one, nor the checks of other containers:
 * all of them are asynchronous on the main context, and an idle device
 * pays one timer per checked container.  A check that passes makes the
 * container healthy; `retries` consecutive failures make it unhealthy,
 * except failures within `start_period` of the start, which do not count.
 * A check that could not be run at all (the container is not running, the
 * runtime is unreachable) counts for nothing: the reconciler deals with
 * dead containers.  Only changes of status are reported.
 */
#include "config.h"

#include <string.h>

#include "fleet-health-monitor-private.h"
#include "fleet-util-private.h"

typedef struct
{
  gatomicrefcount ref;
  FleetHealthMonitor *monitor; /* NULL once unwatched */
  FleetServiceSpec *spec;
  char *container_id;
  FleetHealthStatus status;
  char *output;
  guint failures;
  gint64 started_at;
  gint64 healthy_since; /* monotonic, while healthy */
  guint timer_id;
  guint deadline_id;
  GCancellable *check; /* the check in flight, or NULL */
  gboolean timed_out;
  gboolean seen;
} Watch;

struct _FleetHealthMonitor
{
  FleetContainerRuntime *runtime;
  FleetHealthChangedFunc changed;
  gpointer user_data;
  GHashTable *watches; /* container id -> Watch */
};

const char *
fleet_health_status_to_string (FleetHealthStatus status)
{
  switch (status)
    {
    case FLEET_HEALTH_STARTING:
      return "starting";
    case FLEET_HEALTH_HEALTHY:
      return "healthy";
    case FLEET_HEALTH_UNHEALTHY:
      return "unhealthy";
    case FLEET_HEALTH_NONE:
    default:
      return NULL;
    }
}

static Watch *
watch_ref (Watch *watch)
{
  g_atomic_ref_count_inc (&watch->ref);
  return watch;
}

static void
watch_unref (Watch *watch)
{
  if (!g_atomic_ref_count_dec (&watch->ref))
    return;
  fleet_service_spec_unref (watch->spec);
  g_free (watch->container_id);
  g_free (watch->output);
  g_clear_object (&watch->check);
  g_free (watch);
}

/* Stops everything the watch has running; a check in flight completes into
 * a watch that is no longer the monitor's. */
static void
watch_detach (gpointer data)
{
  Watch *watch = data;

  watch->monitor = NULL;
  g_clear_handle_id (&watch->timer_id, g_source_remove);
  g_clear_handle_id (&watch->deadline_id, g_source_remove);
  if (watch->check != NULL)
    g_cancellable_cancel (watch->check);
  watch_unref (watch);
}

FleetHealthMonitor *
fleet_health_monitor_new (FleetContainerRuntime *runtime, FleetHealthChangedFunc changed,
                          gpointer user_data)
{
  FleetHealthMonitor *monitor = g_new0 (FleetHealthMonitor, 1);

  monitor->runtime = g_object_ref (runtime);
  monitor->changed = changed;
  monitor->user_data = user_data;
  monitor->watches = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, watch_detach);
  return monitor;
}

void
fleet_health_monitor_free (FleetHealthMonitor *monitor)
{
  if (monitor == NULL)
    return;
  g_hash_table_unref (monitor->watches);
  g_object_unref (monitor->runtime);
  g_free (monitor);
}

static void schedule_check (Watch *watch, guint delay_msecs);

static void
set_status (Watch *watch, FleetHealthStatus status)
{
  FleetHealthMonitor *monitor = watch->monitor;

  if (watch->status == status)
    return;
  watch->status = status;
  watch->healthy_since = status == FLEET_HEALTH_HEALTHY ? g_get_monotonic_time () : 0;
  /* the callback may unwatch: keep the watch alive through it */
  watch_ref (watch);
  monitor->changed (watch->spec, watch->container_id, status, watch->output,
                    monitor->user_data);
  watch_unref (watch);
}

static void
count_result (Watch *watch, gboolean passed)
{
  const FleetHealthcheck *check = watch->spec->healthcheck;
  gint64 since_start = (g_get_monotonic_time () - watch->started_at) / 1000;

  if (passed)
    {
      watch->failures = 0;
      set_status (watch, FLEET_HEALTH_HEALTHY);
      return;
    }
  if (watch->status == FLEET_HEALTH_STARTING && since_start < check->start_period_msecs)
    return;
  if (++watch->failures >= check->retries)
    set_status (watch, FLEET_HEALTH_UNHEALTHY);
}

/* What the status shows of a check's output: its first line, cut short. */
#define MAX_OUTPUT_BYTES 256

static char *
one_line (char *output)
{
  char *end;

  if (output == NULL)
    return NULL;
  g_strstrip (output);
  end = strchr (output, '\n');
  if (end != NULL)
    *end = '\0';
  if (strlen (output) > MAX_OUTPUT_BYTES)
    {
      end = output + MAX_OUTPUT_BYTES;
      /* not inside a UTF-8 sequence */
      while (end > output && ((guchar) *end & 0xc0) == 0x80)
        end--;
      *end = '\0';
    }
  return output;
}

static void
on_checked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Watch *watch = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *output = NULL;
  gboolean passed = FALSE;
  gboolean ran;

  ran = fleet_container_runtime_run_healthcheck_finish (FLEET_CONTAINER_RUNTIME (source), result,
                                                        &passed, &output, &error);
  if (watch->monitor == NULL)
    {
      watch_unref (watch);
      return;
    }
  g_clear_handle_id (&watch->deadline_id, g_source_remove);
  g_clear_object (&watch->check);
  if (watch->timed_out)
    {
      ran = TRUE;
      passed = FALSE;
      g_clear_pointer (&output, g_free);
      output = g_strdup_printf ("the check did not finish within %u ms",
                                watch->spec->healthcheck->timeout_msecs);
    }
  if (ran)
    {
      g_free (watch->output);
      watch->output = one_line (g_steal_pointer (&output));
      count_result (watch, passed);
    }
  if (watch->monitor != NULL)
    schedule_check (watch, watch->spec->healthcheck->interval_msecs);
  watch_unref (watch);
}

static gboolean
on_deadline (gpointer user_data)
{
  Watch *watch = user_data;

  watch->deadline_id = 0;
  watch->timed_out = TRUE;
  g_cancellable_cancel (watch->check);
  return G_SOURCE_REMOVE;
}

static gboolean
on_timer (gpointer user_data)
{
  Watch *watch = user_data;
  const FleetHealthcheck *check = watch->spec->healthcheck;

  watch->timer_id = 0;
  watch->check = g_cancellable_new ();
  watch->timed_out = FALSE;
  watch->deadline_id = g_timeout_add (check->timeout_msecs, on_deadline, watch);
  fleet_container_runtime_run_healthcheck_async (watch->monitor->runtime, watch->container_id,
                                                 check, watch->check, on_checked,
                                                 watch_ref (watch));
  return G_SOURCE_REMOVE;
}

static void
schedule_check (Watch *watch, guint delay_msecs)
{
  g_clear_handle_id (&watch->timer_id, g_source_remove);
  watch->timer_id = g_timeout_add (delay_msecs, on_timer, watch);
}

/**
 * fleet_health_monitor_watch:
 * @spec: the service, with an active health check
 *
 * Check @container_id from now on, starting with the status "starting";
 * a container already watched keeps its status and timer.
 */
void
fleet_health_monitor_watch (FleetHealthMonitor *monitor, FleetServiceSpec *spec,
                            const char *container_id)
{
  Watch *watch = g_hash_table_lookup (monitor->watches, container_id);

  g_return_if_fail (fleet_healthcheck_is_active (spec->healthcheck));

  if (watch != NULL && watch->spec->digest != NULL && spec->digest != NULL
      && g_str_equal (watch->spec->digest, spec->digest))
    {
      watch->seen = TRUE;
      return;
    }
  watch = g_new0 (Watch, 1);
  g_atomic_ref_count_init (&watch->ref);
  watch->monitor = monitor;
  watch->spec = fleet_service_spec_ref (spec);
  watch->container_id = g_strdup (container_id);
  watch->status = FLEET_HEALTH_STARTING;
  watch->started_at = g_get_monotonic_time ();
  watch->seen = TRUE;
  g_hash_table_replace (monitor->watches, watch->container_id, watch);
  schedule_check (watch, spec->healthcheck->interval_msecs);
}

/* In a sync: go on checking @container_id as it is checked now (with the
 * check it was watched with), if it is. */
void
fleet_health_monitor_keep (FleetHealthMonitor *monitor, const char *container_id)
{
  Watch *watch = g_hash_table_lookup (monitor->watches, container_id);

  if (watch != NULL)
    watch->seen = TRUE;
}

void
fleet_health_monitor_unwatch (FleetHealthMonitor *monitor, const char *container_id)
{
  g_hash_table_remove (monitor->watches, container_id);
}

/* A sync: the containers fleet_health_monitor_watch() is called for
 * between the two are kept, the others unwatched. */
void
fleet_health_monitor_begin_sync (FleetHealthMonitor *monitor)
{
  GHashTableIter iter;
  Watch *watch;

  g_hash_table_iter_init (&iter, monitor->watches);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &watch))
    watch->seen = FALSE;
}

void
fleet_health_monitor_end_sync (FleetHealthMonitor *monitor)
{
  GHashTableIter iter;
  Watch *watch;

  g_hash_table_iter_init (&iter, monitor->watches);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &watch))
    if (!watch->seen)
      g_hash_table_iter_remove (&iter);
}

/* No more checks: on shutdown. */
void
fleet_health_monitor_stop (FleetHealthMonitor *monitor)
{
  g_hash_table_remove_all (monitor->watches);
}

/**
 * fleet_health_monitor_get:
 * @out_output: (out) (optional) (transfer none): the last check's output
 *
 * Returns: the status of @container_id, %FLEET_HEALTH_NONE when not watched
 */
FleetHealthStatus
fleet_health_monitor_get (FleetHealthMonitor *monitor, const char *container_id,
                          const char **out_output)
{
  Watch *watch = container_id ? g_hash_table_lookup (monitor->watches, container_id) : NULL;

  if (out_output)
    *out_output = watch ? watch->output : NULL;
  return watch ? watch->status : FLEET_HEALTH_NONE;
}

/* How many checks are in flight. */
guint
fleet_health_monitor_count_running (FleetHealthMonitor *monitor)
{
  GHashTableIter iter;
  Watch *watch;
  guint n = 0;

  g_hash_table_iter_init (&iter, monitor->watches);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &watch))
    n += watch->check != NULL;
  return n;
}

/* Since when @container_id has been healthy (monotonic), or 0. */
gint64
fleet_health_monitor_get_healthy_since (FleetHealthMonitor *monitor, const char *container_id)
{
  Watch *watch = container_id ? g_hash_table_lookup (monitor->watches, container_id) : NULL;

  return watch && watch->status == FLEET_HEALTH_HEALTHY ? watch->healthy_since : 0;
}
