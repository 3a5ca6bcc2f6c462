/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-podman-stop.c: the stop primitive on podman, a short chain of
 * requests.
 *
 * Inspect first: a container that does not run is left alone, a paused one
 * is let run again (podman refuses to stop a paused container, and a frozen
 * process would not see the signal anyway), and the container's own signal,
 * grace period and restart policy are learnt.  With its own signal, or a
 * grace of 0, podman's stop does it all (signal, grace, SIGKILL).  Podman's
 * stop cannot send another signal, so then it is kill, wait for the exit
 * within the grace period, and SIGKILL when the grace is over.  A container
 * that goes away while it is being stopped has stopped.
 *
 * A container with a restart policy is restarted by podman when it exits
 * without having been stopped on request, and podman 4.3 counts only its
 * stop endpoint (and a kill with SIGKILL) as a request: its kill sets
 * StoppedByUser without saving it (saved from podman 4.7 on).  So another
 * signal is sent by kill and the rest is podman's stop, at once, which marks
 * the container stopping before it exits; a workload that exited of the
 * signal sooner than that is restarted by podman, and that run is stopped
 * by podman's stop, with the container's own signal.  Either way the
 * container ends stopped on request, and podman leaves it stopped.
 */
#include "config.h"

#include <signal.h>

#include <libsoup/soup.h>

#include "fleet-podman-private.h"
#include "fleet-util-private.h"

/* A stop waits out the grace period plus this much, for podman to deliver
 * SIGKILL and reap the container. */
#define STOP_MARGIN_SECS 30

/* How long to wait for podman to restart a workload that exited of a
 * signal before podman's stop could mark it (podman's cleanup process
 * restarts it within a second). */
#define RESTART_WAIT_SECS 5

/* How often a stop stops a run podman restarted, at most. */
#define MAX_RESTOPS 3

typedef struct
{
  char *target; /* as the caller named it */
  char *id;     /* as podman knows it */
  int signal;   /* 0: the container's own */
  int grace_secs;
  guint grace;  /* the grace that applies */
  GCancellable *wait_cancellable; /* the wait's: cancelled when the grace is over */
  GCancellable *cancellable;      /* the caller's, passed on to the wait's */
  gulong cancelled_id;
  GSource *grace_timer;
  gboolean grace_over;
  gboolean killed;
  gboolean has_policy; /* podman restarts it unless stopped on request */
  guint restops;       /* how often podman restarted it during the stop */
  gboolean exited_first; /* podman's stop found it exited of the signal */
} StopData;

static void
clear_wait (StopData *d)
{
  if (d->grace_timer != NULL)
    g_source_destroy (d->grace_timer);
  g_clear_pointer (&d->grace_timer, g_source_unref);
  if (d->cancelled_id != 0)
    g_cancellable_disconnect (d->cancellable, d->cancelled_id);
  d->cancelled_id = 0;
  g_clear_object (&d->wait_cancellable);
}

static void
stop_data_free (gpointer data)
{
  StopData *d = data;

  clear_wait (d);
  g_clear_object (&d->cancellable);
  g_free (d->target);
  g_free (d->id);
  g_free (d);
}

/* The answer to a step of the stop: TRUE to carry on; FALSE when @task was
 * completed, with success when the container has gone meanwhile. */
static gboolean
check_step (GTask *task, FleetPodmanResponse *response, GError *error, const char *step)
{
  StopData *d = g_task_get_task_data (task);

  if (response != NULL && _fleet_podman_response_is_not_found (response))
    {
      g_task_return_boolean (task, TRUE);
      return FALSE;
    }
  if (response == NULL
      || !_fleet_podman_response_check_container (response, FLEET_ERROR_RUNTIME, &error))
    {
      _fleet_podman_return_error (task, error, "%s %s", step, d->target);
      return FALSE;
    }
  return TRUE;
}

static void wait_for_exit (GTask *task, guint within_secs);
static void podman_stop (GTask *task);

static void
on_killed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  StopData *d = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = _fleet_podman_runtime_receive (source, result, &error);

  if (response == NULL || _fleet_podman_response_is_not_found (response))
    {
      check_step (task, response, error, "killing");
      return;
    }
  /* With a restart policy, podman's stop does the rest, so that podman
   * counts the exit as a stop on request (see the top of the file). */
  if (d->has_policy && !d->killed)
    podman_stop (g_steal_pointer (&task));
  /* A refusal is podman saying it does not run any more: the wait tells. */
  else
    wait_for_exit (g_steal_pointer (&task), d->killed ? 0 : d->grace);
}

static void
send_kill (GTask *task, int signal)
{
  StopData *d = g_task_get_task_data (task);
  g_autofree char *query = g_strdup_printf ("/kill?signal=%d", signal);
  g_autofree char *path = _fleet_podman_container_path (d->id, query);

  d->killed = signal == SIGKILL;
  _fleet_podman_runtime_send (task, "POST", path, NULL, FLEET_PODMAN_REQUEST_TIMEOUT_SECS, NULL,
                              on_killed);
}

static void
on_waited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  StopData *d = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = _fleet_podman_runtime_receive (source, result, &error);

  clear_wait (d);
  if (response == NULL && d->grace_over)
    {
      /* The wait was cut short by the grace running out, unless the caller
       * cancelled meanwhile. */
      g_clear_error (&error);
      d->grace_over = FALSE;
      if (!g_task_return_error_if_cancelled (task))
        send_kill (g_steal_pointer (&task), SIGKILL);
      return;
    }
  if (check_step (task, response, error, "waiting for"))
    g_task_return_boolean (task, TRUE);
}

static gboolean
on_grace_over (gpointer user_data)
{
  StopData *d = g_task_get_task_data (G_TASK (user_data));

  d->grace_over = TRUE;
  g_cancellable_cancel (d->wait_cancellable);
  return G_SOURCE_REMOVE;
}

static void
on_task_cancelled (GCancellable *cancellable, gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

/* Wait until the container is in @condition (a query), cut short after
 * @within_secs (0: without limit). */
static void
start_wait (GTask *task, const char *condition, guint within_secs, GAsyncReadyCallback callback)
{
  StopData *d = g_task_get_task_data (task);
  g_autofree char *query = g_strdup_printf ("/wait?%s&interval=100ms", condition);
  g_autofree char *path = _fleet_podman_container_path (d->id, query);

  clear_wait (d);
  d->wait_cancellable = g_cancellable_new ();
  if (d->cancellable != NULL)
    d->cancelled_id = g_cancellable_connect (d->cancellable, G_CALLBACK (on_task_cancelled),
                                             g_object_ref (d->wait_cancellable), g_object_unref);
  if (within_secs > 0)
    {
      /* Not the coarse seconds timer: that may fire up to a second early,
       * and the grace is a promise to the workload. */
      d->grace_timer = g_timeout_source_new ((guint)within_secs * 1000);
      g_task_attach_source (task, d->grace_timer, on_grace_over);
    }
  _fleet_podman_runtime_send (task, "POST", path, NULL,
                              within_secs + FLEET_PODMAN_REQUEST_TIMEOUT_SECS,
                              d->wait_cancellable, callback);
}

/* Wait for the container to exit; after @within_secs (0: without limit),
 * SIGKILL. */
static void
wait_for_exit (GTask *task, guint within_secs)
{
  start_wait (task, "condition=exited&condition=stopped", within_secs, on_waited);
}

/* Podman restarted the workload: that run is not wanted, podman's stop
 * kills it at once. */
static void
stop_again (GTask *task)
{
  StopData *d = g_task_get_task_data (task);

  d->restops++;
  d->grace = 0;
  podman_stop (task);
}

static void
on_restart_waited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  StopData *d = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = _fleet_podman_runtime_receive (source, result, &error);

  clear_wait (d);
  if (response == NULL && d->grace_over)
    {
      /* podman did not restart it (its policy did not match the exit) */
      g_clear_error (&error);
      if (!g_task_return_error_if_cancelled (task))
        g_task_return_boolean (task, TRUE);
      return;
    }
  if (check_step (task, response, error, "waiting for"))
    stop_again (g_steal_pointer (&task));
}

/* After kill and podman's stop of a container with a restart policy: did
 * the workload exit before podman's stop could mark it? */
static void
on_policy_checked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  StopData *d = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = _fleet_podman_runtime_receive (source, result, &error);
  g_autoptr(FleetContainerInfo) info = NULL;

  if (!check_step (task, response, error, "inspecting"))
    return;
  info = _fleet_podman_info_from_inspect (_fleet_podman_response_get_json (response), NULL);
  if (info != NULL && info->state == FLEET_CONTAINER_STATE_RUNNING)
    stop_again (g_steal_pointer (&task));
  else if (d->exited_first) /* so podman restarts it */
    start_wait (g_steal_pointer (&task), "condition=running", RESTART_WAIT_SECS,
                on_restart_waited);
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  StopData *d = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = _fleet_podman_runtime_receive (source, result, &error);
  g_autofree char *path = NULL;

  if (!check_step (task, response, error, "stopping"))
    return;
  if (!d->has_policy || d->signal == 0 || d->restops >= MAX_RESTOPS)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  /* podman answers 304 when the workload had exited already */
  d->exited_first = response->status == SOUP_STATUS_NOT_MODIFIED;
  path = _fleet_podman_container_path (d->id, "/json");
  _fleet_podman_runtime_send (g_steal_pointer (&task), "GET", path, NULL,
                              FLEET_PODMAN_REQUEST_TIMEOUT_SECS, NULL, on_policy_checked);
}

/* Podman's stop: the container's own signal, the grace, SIGKILL (at once
 * for a grace of 0); podman marks the container stopped on request. */
static void
podman_stop (GTask *task)
{
  StopData *d = g_task_get_task_data (task);
  g_autofree char *query = NULL;
  g_autofree char *path = NULL;

  query = d->grace_secs >= 0 || d->signal != 0 ? g_strdup_printf ("/stop?timeout=%u", d->grace)
                                                : g_strdup ("/stop");
  path = _fleet_podman_container_path (d->id, query);
  _fleet_podman_runtime_send (task, "POST", path, NULL, d->grace + STOP_MARGIN_SECS, NULL,
                              on_stopped);
}

/* The container runs: signal it. */
static void
signal_container (GTask *task)
{
  StopData *d = g_task_get_task_data (task);

  if (d->signal != 0 && d->grace > 0)
    send_kill (task, d->signal);
  else
    podman_stop (task);
}

static void
on_unpaused (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = _fleet_podman_runtime_receive (source, result, &error);

  if (check_step (task, response, error, "unpausing"))
    signal_container (g_steal_pointer (&task));
}

static void
on_inspected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  StopData *d = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(FleetPodmanResponse) response = _fleet_podman_runtime_receive (source, result, &error);
  g_autoptr(FleetContainerInfo) info = NULL;
  JsonNode *json;

  if (response == NULL
      || !_fleet_podman_response_check_container (response, FLEET_ERROR_RUNTIME, &error)
      || (info = _fleet_podman_info_from_inspect (_fleet_podman_response_get_json (response),
                                                  &error))
             == NULL)
    {
      _fleet_podman_return_error (task, error, "stopping %s", d->target);
      return;
    }
  json = _fleet_podman_response_get_json (response);
  d->id = g_strdup (info->id);
  d->grace = d->grace_secs >= 0 ? (guint)d->grace_secs
                                : _fleet_podman_inspect_get_stop_timeout (json);
  if (d->signal == _fleet_podman_inspect_get_stop_signal (json))
    d->signal = 0;
  d->has_policy = _fleet_podman_inspect_has_restart_policy (json);
  if (info->state == FLEET_CONTAINER_STATE_CREATED || info->state == FLEET_CONTAINER_STATE_EXITED)
    g_task_return_boolean (task, TRUE);
  else if (info->state == FLEET_CONTAINER_STATE_PAUSED)
    {
      g_autofree char *path = _fleet_podman_container_path (d->id, "/unpause");

      _fleet_podman_runtime_send (g_steal_pointer (&task), "POST", path, NULL,
                                  FLEET_PODMAN_REQUEST_TIMEOUT_SECS, NULL, on_unpaused);
    }
  else
    signal_container (g_steal_pointer (&task));
}

void
_fleet_podman_stop (FleetContainerRuntime *runtime, const char *id, int signal, int grace_secs,
                    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = _fleet_podman_runtime_new_task (FLEET_PODMAN_RUNTIME (runtime), cancellable,
                                                callback, user_data, _fleet_podman_stop);
  StopData *d = g_new0 (StopData, 1);
  g_autofree char *path = _fleet_podman_container_path (id, "/json");

  d->target = _fleet_podman_describe (id);
  d->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  d->signal = signal;
  d->grace_secs = grace_secs;
  g_task_set_task_data (task, d, stop_data_free);
  _fleet_podman_runtime_send (task, "GET", path, NULL, FLEET_PODMAN_REQUEST_TIMEOUT_SECS, NULL,
                              on_inspected);
}
