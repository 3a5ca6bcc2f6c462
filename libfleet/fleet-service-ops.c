/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-service-ops.c: a service's container, as the reconciler handles it,
 * composed from the runtime's primitives.
 *
 * Naming: a service's container is called "<deployment>_<service>" and
 * carries the document's labels and the fleet labels (deployment, service,
 * spec digest), which is how a restarted agent, or one that lost its state,
 * finds its containers.
 *
 * Starting: create, then start; a container that would not start is removed
 * again, so that a failed rollout leaves nothing behind.  When the name is
 * taken, the holder is looked at: one of fleet's (labelled) that the agent
 * did not record, left over from a lost state file or a crash between create
 * and record, is stopped gracefully and removed; a container fleet does not
 * manage is never touched, and the start fails instead.
 *
 * Stopping: by id, with the signal and grace period the container was
 * created with, then removed.  A container that does not exist counts as
 * stopped.
 *
 * Liveness acts on the recorded id only, never on a name, so that a
 * container that took the service's name is never mistaken for it: running,
 * nothing; paused, let run again; stopped, started again; one that cannot be
 * started (left "created" by a runtime that died while starting it), removed
 * and created anew; missing, created anew under the service's name.
 */
#include "config.h"

#include "fleet-service-ops.h"
#include "fleet-util-private.h"

/* Naming. */

/**
 * _fleet_service_container_name:
 *
 * Returns: (transfer full): the name of a service's container
 */
char *
_fleet_service_container_name (const char *deployment, const char *service)
{
  return g_strdup_printf ("%s_%s", deployment, service);
}

/**
 * _fleet_service_labels:
 *
 * Returns: (transfer full) (element-type utf8 utf8): the labels a service's
 *   container carries: the document's, and fleet's
 */
GHashTable *
_fleet_service_labels (FleetServiceSpec *spec)
{
  GHashTable *labels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  /* The document's own first: never in the fleet.* namespace (the parser
   * refuses those), and the agent's are set last anyway. */
  for (guint i = 0; spec->labels != NULL && spec->labels[i] != NULL; i++)
    {
      const char *eq = strchr (spec->labels[i], '=');

      if (eq != NULL)
        g_hash_table_insert (labels, g_strndup (spec->labels[i], eq - spec->labels[i]),
                             g_strdup (eq + 1));
    }
  g_hash_table_insert (labels, g_strdup (FLEET_LABEL_DEPLOYMENT), g_strdup (spec->deployment));
  g_hash_table_insert (labels, g_strdup (FLEET_LABEL_SERVICE), g_strdup (spec->name));
  g_hash_table_insert (labels, g_strdup (FLEET_LABEL_SPEC_DIGEST), g_strdup (spec->digest));
  return labels;
}

static GTask *
new_task (FleetContainerRuntime *runtime, GCancellable *cancellable, GAsyncReadyCallback callback,
          gpointer user_data, gpointer source_tag, gpointer data, GDestroyNotify data_free)
{
  GTask *task = g_task_new (runtime, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, data, data_free);
  return task;
}

/* _fleet_service_stop: stop with the container's own signal and grace, then
 * remove. */

static void
on_stopped_removed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!fleet_container_runtime_remove_finish (FLEET_CONTAINER_RUNTIME (source), result, &error)
      && !g_error_matches (error, FLEET_ERROR, FLEET_ERROR_NOT_FOUND))
    g_task_return_error (task, error);
  else
    {
      g_clear_error (&error);
      g_task_return_boolean (task, TRUE);
    }
}

static void
on_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  FleetContainerRuntime *runtime = FLEET_CONTAINER_RUNTIME (source);
  const char *id = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  if (!fleet_container_runtime_stop_finish (runtime, result, &error))
    {
      if (!g_error_matches (error, FLEET_ERROR, FLEET_ERROR_NOT_FOUND)
          && !g_error_matches (error, FLEET_ERROR, FLEET_ERROR_RUNTIME))
        {
          g_task_return_error (task, error);
          return;
        }
      /* Gone, or half gone: a container podman lost while removing it
       * (podman was killed then) is still listed, but is "not known", or
       * refused ("container state improper") by a stop; only a forced
       * removal clears it.  A runtime that cannot be reached is not a
       * refusal (FLEET_ERROR_RUNTIME_UNAVAILABLE): that is retried. */
      if (g_error_matches (error, FLEET_ERROR, FLEET_ERROR_RUNTIME))
        fleet_log_notice ("remove-refused", "%.12s refuses to stop (%s); removing it by force",
                          id, error->message);
      g_error_free (error);
      fleet_container_runtime_remove_async (runtime, id, TRUE, cancellable, on_stopped_removed,
                                            g_steal_pointer (&task));
      return;
    }
  fleet_container_runtime_remove_async (runtime, id, FALSE, cancellable, on_stopped_removed,
                                        g_steal_pointer (&task));
}

/**
 * _fleet_service_stop:
 * @container_id: the recorded container
 *
 * Stop the container gracefully (its own stop signal and grace period, then
 * SIGKILL) and remove it.  A container that does not exist counts as stopped.
 */
void
_fleet_service_stop (FleetContainerRuntime *runtime, const char *container_id,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (runtime));
  g_return_if_fail (container_id != NULL);

  task = new_task (runtime, cancellable, callback, user_data, _fleet_service_stop,
                   g_strdup (container_id), g_free);
  fleet_container_runtime_stop_async (runtime, container_id, 0, -1, cancellable, on_stopped, task);
}

gboolean
_fleet_service_stop_finish (FleetContainerRuntime *runtime, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, runtime), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == _fleet_service_stop, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* _fleet_service_start: create (after dealing with a leftover that holds
 * the name), start, and remove again what would not start. */

typedef struct
{
  FleetServiceSpec *spec;
  char *name;
  GHashTable *labels;
  char *id;
  gboolean looked_at_holder;
  GError *start_error;
} StartData;

static void
start_data_free (gpointer data)
{
  StartData *d = data;

  fleet_service_spec_unref (d->spec);
  g_free (d->name);
  g_hash_table_unref (d->labels);
  g_free (d->id);
  g_clear_error (&d->start_error);
  g_free (d);
}

static void on_created (GObject *source, GAsyncResult *result, gpointer user_data);

/* In bridge mode, on the deployment's network only, by the service's name. */
static void
create_container (GTask *task)
{
  StartData *d = g_task_get_task_data (task);
  FleetContainerRuntime *runtime = g_task_get_source_object (task);
  g_autofree char *network = NULL;
  const char *aliases[] = { d->spec->name, NULL };

  if (!_fleet_service_wants_network (d->spec))
    {
      fleet_container_runtime_create_async (runtime, d->name, d->spec, d->labels,
                                            g_task_get_cancellable (task), on_created, task);
      return;
    }
  network = _fleet_service_network_name (d->spec->deployment);
  fleet_container_runtime_create_on_network_async (runtime, d->name, d->spec, d->labels,
                                                   network, aliases,
                                                   g_task_get_cancellable (task), on_created,
                                                   task);
}

static void
on_network_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  StartData *d = g_task_get_task_data (task);
  GError *error = NULL;

  if (!_fleet_service_ensure_network_finish (FLEET_CONTAINER_RUNTIME (source), result, &error))
    {
      g_prefix_error (&error, "creating %s (%s): ", d->name, d->spec->image);
      g_task_return_error (task, error);
      return;
    }
  create_container (g_steal_pointer (&task));
}

static void
on_failed_start_removed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  StartData *d = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!fleet_container_runtime_remove_finish (FLEET_CONTAINER_RUNTIME (source), result, &error)
      && !g_error_matches (error, FLEET_ERROR, FLEET_ERROR_NOT_FOUND))
    /* Not fatal: the orphan sweep removes it at the next pass. */
    fleet_log_notice ("remove-failed-start", "removing %s (%.12s) after it failed to start: %s",
                      d->name, d->id, error->message);
  g_task_return_error (task, g_steal_pointer (&d->start_error));
}

static void
on_container_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  StartData *d = g_task_get_task_data (task);
  FleetContainerRuntime *runtime = FLEET_CONTAINER_RUNTIME (source);
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (fleet_container_runtime_start_finish (runtime, result, &d->start_error))
    {
      g_task_return_pointer (task, g_steal_pointer (&d->id), g_free);
      return;
    }
  if (!g_error_matches (d->start_error, FLEET_ERROR, FLEET_ERROR_START_FAILED))
    {
      g_task_return_error (task, g_steal_pointer (&d->start_error));
      return;
    }
  /* A runtime leaves a container that failed to start in "created": remove
   * it, so that a failed rollout leaves nothing behind. */
  fleet_container_runtime_remove_async (runtime, d->id, TRUE, cancellable, on_failed_start_removed,
                                        g_steal_pointer (&task));
}

static void
on_leftover_removed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!_fleet_service_stop_finish (FLEET_CONTAINER_RUNTIME (source), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  create_container (g_steal_pointer (&task));
}

static void
on_name_cleared (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  StartData *d = g_task_get_task_data (task);
  GError *error = NULL;

  if (!fleet_container_runtime_remove_finish (FLEET_CONTAINER_RUNTIME (source), result, &error)
      && !g_error_matches (error, FLEET_ERROR, FLEET_ERROR_NOT_FOUND))
    {
      g_prefix_error (&error, "creating %s (%s): clearing its name: ", d->name, d->spec->image);
      g_task_return_error (task, error);
      return;
    }
  g_clear_error (&error);
  create_container (g_steal_pointer (&task));
}

static void
on_name_holder_inspected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  StartData *d = g_task_get_task_data (task);
  FleetContainerRuntime *runtime = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;
  g_autoptr(FleetContainerInfo) holder
      = fleet_container_runtime_inspect_finish (FLEET_CONTAINER_RUNTIME (source), result, &error);

  if (g_error_matches (error, FLEET_ERROR, FLEET_ERROR_NOT_FOUND))
    {
      /* No container the runtime knows holds the name: either it went in
       * the meantime, or podman was killed in the middle of a create and
       * left the name to a container only its storage knows.  Removing the
       * name clears that (and is a no-op otherwise); then create again. */
      g_error_free (error);
      fleet_log_notice ("clear-name",
                        "%s: the name is held by no container podman lists (left behind by an "
                        "interrupted create); removing it from storage",
                        d->name);
      fleet_container_runtime_remove_async (runtime, d->name, TRUE, cancellable, on_name_cleared,
                                            g_steal_pointer (&task));
      return;
    }
  if (holder == NULL)
    {
      g_prefix_error (&error,
                      "creating %s (%s): looking at the container holding its name: ", d->name,
                      d->spec->image);
      g_task_return_error (task, error);
      return;
    }
  if (holder->deployment == NULL)
    {
      g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_START_FAILED,
                               "creating %s (%s): the name is held by container %.12s, which "
                               "fleet does not manage (no %s label); it is left alone",
                               d->name, d->spec->image, holder->id, FLEET_LABEL_DEPLOYMENT);
      return;
    }
  fleet_log_notice ("remove-leftover", "removing leftover container %s (%.12s) that holds the name",
                    d->name, holder->id);
  _fleet_service_stop (runtime, holder->id, cancellable, on_leftover_removed,
                       g_steal_pointer (&task));
}

static void
on_created (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  StartData *d = g_task_get_task_data (task);
  FleetContainerRuntime *runtime = FLEET_CONTAINER_RUNTIME (source);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  d->id = fleet_container_runtime_create_finish (runtime, result, &error);
  if (g_error_matches (error, FLEET_ERROR, FLEET_ERROR_EXISTS) && !d->looked_at_holder)
    {
      /* Someone holds the name: look before removing anything. */
      g_error_free (error);
      d->looked_at_holder = TRUE;
      fleet_container_runtime_inspect_async (runtime, d->name, cancellable,
                                             on_name_holder_inspected, g_steal_pointer (&task));
      return;
    }
  if (d->id == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  fleet_container_runtime_start_async (runtime, d->id, cancellable, on_container_started,
                                       g_steal_pointer (&task));
}

/**
 * _fleet_service_start:
 *
 * Create the service's container under its name, with its labels, and start
 * it.  A leftover of fleet's holding the name is stopped and removed first;
 * a container fleet does not manage holding it makes this fail.  A container
 * that would not start is removed again.
 */
void
_fleet_service_start (FleetContainerRuntime *runtime, FleetServiceSpec *spec,
                      GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree char *name = _fleet_service_container_name (spec->deployment, spec->name);

  _fleet_service_start_as (runtime, spec, name, cancellable, callback, user_data);
}

/**
 * _fleet_service_start_as:
 * @name: the container's name
 *
 * As _fleet_service_start(), under another name than the service's (a
 * start-first candidate's); finish with _fleet_service_start_finish().
 */
void
_fleet_service_start_as (FleetContainerRuntime *runtime, FleetServiceSpec *spec,
                         const char *name, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
  StartData *d;
  GTask *task;

  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (runtime));
  g_return_if_fail (spec != NULL);
  g_return_if_fail (name != NULL);

  d = g_new0 (StartData, 1);
  d->spec = fleet_service_spec_ref (spec);
  d->name = g_strdup (name);
  d->labels = _fleet_service_labels (spec);
  task = new_task (runtime, cancellable, callback, user_data, _fleet_service_start, d,
                   start_data_free);
  if (_fleet_service_wants_network (spec))
    _fleet_service_ensure_network (runtime, spec->deployment, cancellable, on_network_ready,
                                   task);
  else
    create_container (task);
}

/**
 * _fleet_service_start_finish:
 *
 * Returns: (transfer full): the id of the new, running container
 */
char *
_fleet_service_start_finish (FleetContainerRuntime *runtime, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, runtime), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == _fleet_service_start, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* _fleet_service_ensure_running: liveness by the recorded id.  What the
 * runtime reports about the container's configuration is deliberately not
 * looked at. */

typedef struct
{
  FleetServiceSpec *spec;
  char *id;
  FleetContainerState state; /* as found */
  guint restart_count;       /* the runtime's own restarts, as found */
  FleetLivenessAction action;
} EnsureData;

static void
ensure_data_free (gpointer data)
{
  EnsureData *d = data;

  fleet_service_spec_unref (d->spec);
  g_free (d->id);
  g_free (d);
}

static void
on_ensure_created (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *id = _fleet_service_start_finish (FLEET_CONTAINER_RUNTIME (source), result, &error);

  if (id == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, id, g_free);
}

static void
create_anew (GTask *task, FleetLivenessAction action)
{
  EnsureData *d = g_task_get_task_data (task);

  d->action = action;
  _fleet_service_start (g_task_get_source_object (task), d->spec, g_task_get_cancellable (task),
                        on_ensure_created, task);
}

static void
on_stuck_removed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!fleet_container_runtime_remove_finish (FLEET_CONTAINER_RUNTIME (source), result, &error)
      && !g_error_matches (error, FLEET_ERROR, FLEET_ERROR_NOT_FOUND))
    {
      g_task_return_error (task, error);
      return;
    }
  g_clear_error (&error);
  create_anew (g_steal_pointer (&task), FLEET_LIVENESS_RECREATED);
}

/* Started: by fleet, or by the runtime's restart policy just before
 * fleet's start reached it (which then found it running); its restart
 * count says which, so that one crash counts once in the backoff. */
static void
on_restart_checked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  EnsureData *d = g_task_get_task_data (task);
  g_autoptr(FleetContainerInfo) info
      = fleet_container_runtime_inspect_finish (FLEET_CONTAINER_RUNTIME (source), result, NULL);

  if (info != NULL && info->restart_count > d->restart_count)
    d->action = FLEET_LIVENESS_RESTARTED_BY_RUNTIME;
  g_task_return_pointer (task, g_strdup (d->id), g_free);
}

static void
on_ensure_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  EnsureData *d = g_task_get_task_data (task);
  FleetContainerRuntime *runtime = FLEET_CONTAINER_RUNTIME (source);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  if (fleet_container_runtime_start_finish (runtime, result, &error))
    fleet_container_runtime_inspect_async (runtime, d->id, cancellable, on_restart_checked,
                                           g_steal_pointer (&task));
  else if (g_error_matches (error, FLEET_ERROR, FLEET_ERROR_NOT_FOUND))
    {
      g_error_free (error);
      create_anew (g_steal_pointer (&task), FLEET_LIVENESS_CREATED);
    }
  else if (g_error_matches (error, FLEET_ERROR, FLEET_ERROR_START_FAILED)
           && (d->state == FLEET_CONTAINER_STATE_CREATED
               || d->state == FLEET_CONTAINER_STATE_EXITED))
    {
      /* Retrying would fail the same way for ever (a container left
       * "created" by a runtime that died while starting it is one such):
       * replace it.  One in a passing state (stopping...) is left to get
       * there, and tried again later. */
      fleet_log_notice ("recreate",
                        "removing container %.12s, which cannot be started, to create it anew: %s",
                        d->id, error->message);
      g_error_free (error);
      fleet_container_runtime_remove_async (runtime, d->id, TRUE, cancellable, on_stuck_removed,
                                            g_steal_pointer (&task));
    }
  else
    g_task_return_error (task, error);
}

static void
on_unpaused (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  EnsureData *d = g_task_get_task_data (task);
  GError *error = NULL;

  if (!fleet_container_runtime_unpause_finish (FLEET_CONTAINER_RUNTIME (source), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_strdup (d->id), g_free);
}

static void
on_ensure_inspected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  EnsureData *d = g_task_get_task_data (task);
  FleetContainerRuntime *runtime = FLEET_CONTAINER_RUNTIME (source);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;
  g_autoptr(FleetContainerInfo) info
      = fleet_container_runtime_inspect_finish (runtime, result, &error);

  if (g_error_matches (error, FLEET_ERROR, FLEET_ERROR_NOT_FOUND))
    {
      g_error_free (error);
      create_anew (g_steal_pointer (&task), FLEET_LIVENESS_CREATED);
      return;
    }
  if (info == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_free (d->id);
  d->id = g_strdup (info->id);
  d->state = info->state;
  d->restart_count = info->restart_count;
  switch (info->state)
    {
    case FLEET_CONTAINER_STATE_RUNNING:
      d->action = FLEET_LIVENESS_NONE;
      g_task_return_pointer (task, g_strdup (d->id), g_free);
      break;
    case FLEET_CONTAINER_STATE_PAUSED:
      d->action = FLEET_LIVENESS_UNPAUSED;
      fleet_container_runtime_unpause_async (runtime, d->id, cancellable, on_unpaused,
                                             g_steal_pointer (&task));
      break;
    case FLEET_CONTAINER_STATE_UNKNOWN:
    case FLEET_CONTAINER_STATE_CREATED:
    case FLEET_CONTAINER_STATE_EXITED:
    default:
      d->action = FLEET_LIVENESS_STARTED;
      fleet_container_runtime_start_async (runtime, d->id, cancellable, on_ensure_started,
                                           g_steal_pointer (&task));
      break;
    }
}

/**
 * _fleet_service_ensure_running:
 * @container_id: the recorded container
 *
 * Liveness only: keep the recorded container running, acting on its id.
 */
void
_fleet_service_ensure_running (FleetContainerRuntime *runtime, FleetServiceSpec *spec,
                               const char *container_id, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  EnsureData *d;
  GTask *task;

  g_return_if_fail (FLEET_IS_CONTAINER_RUNTIME (runtime));
  g_return_if_fail (spec != NULL);
  g_return_if_fail (container_id != NULL);

  d = g_new0 (EnsureData, 1);
  d->spec = fleet_service_spec_ref (spec);
  d->id = g_strdup (container_id);
  task = new_task (runtime, cancellable, callback, user_data, _fleet_service_ensure_running, d,
                   ensure_data_free);
  fleet_container_runtime_inspect_async (runtime, container_id, cancellable, on_ensure_inspected,
                                         task);
}

/**
 * _fleet_service_ensure_running_finish:
 * @out_action: (out) (optional): what was done
 *
 * Returns: (transfer full): the id of the running container: the same id, or
 *   a new one when it had to be created
 */
char *
_fleet_service_ensure_running_finish (FleetContainerRuntime *runtime, GAsyncResult *result,
                                      FleetLivenessAction *out_action, GError **error)
{
  EnsureData *d;
  char *id;

  g_return_val_if_fail (g_task_is_valid (result, runtime), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == _fleet_service_ensure_running,
                        NULL);

  d = g_task_get_task_data (G_TASK (result));
  id = g_task_propagate_pointer (G_TASK (result), error);
  if (id != NULL && out_action != NULL)
    *out_action = d->action;
  return id;
}
