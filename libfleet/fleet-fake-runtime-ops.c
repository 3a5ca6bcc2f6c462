/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-fake-runtime-ops.c: the primitives of FleetFakeRuntime.
 *
 * Each request is logged when it takes effect ("create NAME IMAGE", "start
 * ID", "stop ID SIGNAL GRACE" with the signal and grace that apply, "kill ID
 * SIGKILL" when the grace runs out, "remove ID", "inspect ID", "list",
 * "rename ID NAME", "unpause ID", "pull IMAGE"; a container as the caller
 * named it) and fails as podman's would, with the same FLEET_ERROR codes.
 */
#include "config.h"

#include <signal.h>

#include "fleet-fake-runtime-private.h"
#include "fleet-signals-private.h"
#include "fleet-util-private.h"

/* What a request is about; each primitive uses the members it needs. */
typedef struct
{
  char *target; /* the container (as named by the caller), image or label filter */
  char *name;
  FleetServiceSpec *spec;
  GHashTable *labels;
  char *network; /* create_on_network's */
  int signal;
  int grace_secs;
  gboolean force;
} FakeRequest;

static void
fake_request_free (gpointer data)
{
  FakeRequest *r = data;

  g_free (r->target);
  g_free (r->name);
  g_clear_pointer (&r->spec, fleet_service_spec_unref);
  g_clear_pointer (&r->labels, g_hash_table_unref);
  g_free (r->network);
  g_free (r);
}

static GTask *
new_request (FleetContainerRuntime *runtime, const char *target, GCancellable *cancellable,
             GAsyncReadyCallback callback, gpointer user_data, gpointer source_tag)
{
  GTask *task = g_task_new (runtime, cancellable, callback, user_data);
  FakeRequest *r = g_new0 (FakeRequest, 1);

  g_task_set_source_tag (task, source_tag);
  r->target = g_strdup (target);
  g_task_set_task_data (task, r, fake_request_free);
  return task;
}

static FakeRequest *
request_of (GTask *task)
{
  return g_task_get_task_data (task);
}

/* The container @task is about, or NULL after failing @task with podman's
 * "no such container". */
static FakeContainer *
find_or_fail (FleetFakeRuntime *self, GTask *task)
{
  const char *target = request_of (task)->target;
  FakeContainer *c = _fleet_fake_find (self, target, NULL);

  if (c == NULL)
    g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_NOT_FOUND,
                             "fake runtime: no container with name or ID \"%s\" found", target);
  return c;
}

static gboolean
is_up (FakeContainer *c)
{
  return c->info->state == FLEET_CONTAINER_STATE_RUNNING
         || c->info->state == FLEET_CONTAINER_STATE_PAUSED;
}

/* pull_image */

static void
do_pull (FleetFakeRuntime *self, GTask *task)
{
  const char *image = request_of (task)->target;

  _fleet_fake_log_call (self, "pull %s", image);
  if (g_hash_table_contains (self->pull_fails, image))
    {
      g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_PULL_FAILED,
                               "fake runtime: pulling %s: manifest unknown", image);
      return;
    }
  g_hash_table_add (self->pulled, g_strdup (image));
  g_task_return_boolean (task, TRUE);
}

static gboolean
on_hanging_pull_cancelled (GCancellable *cancellable, gpointer user_data)
{
  g_task_return_error_if_cancelled (G_TASK (user_data));
  return G_SOURCE_REMOVE;
}

static void
fake_pull_image (FleetContainerRuntime *runtime, const char *image, GCancellable *cancellable,
                 GAsyncReadyCallback callback, gpointer user_data)
{
  FleetFakeRuntime *self = FLEET_FAKE_RUNTIME (runtime);
  g_autoptr(GTask) task
      = new_request (runtime, image, cancellable, callback, user_data, fake_pull_image);

  if (g_hash_table_contains (self->pull_hangs, image))
    {
      /* answers only when cancelled; never without a cancellable */
      g_autoptr(GSource) source = g_cancellable_source_new (cancellable);

      _fleet_fake_log_call (self, "pull %s", image);
      g_task_attach_source (task, source, G_SOURCE_FUNC (on_hanging_pull_cancelled));
      return;
    }
  _fleet_fake_schedule (self, task, do_pull);
}

/* create */

static void
do_create (FleetFakeRuntime *self, GTask *task)
{
  FakeRequest *r = request_of (task);
  FakeContainer *c;
  GHashTableIter iter;
  gpointer key, value;

  _fleet_fake_log_call (self, "create %s %s", r->name, r->spec->image);
  c = _fleet_fake_find (self, r->name, NULL);
  if (c != NULL || g_hash_table_contains (self->held_names, r->name))
    {
      g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_EXISTS,
                               "fake runtime: creating %s (%s): the name \"%s\" is already in "
                               "use by %s",
                               r->name, r->spec->image, r->name,
                               c != NULL ? c->info->id
                                         : (char *)g_hash_table_lookup (self->held_names, r->name));
      return;
    }
  if (!_fleet_fake_image_known (self, r->spec->image))
    {
      g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_START_FAILED,
                               "fake runtime: creating %s (%s): %s: image not known", r->name,
                               r->spec->image, r->spec->image);
      return;
    }
  if (r->network != NULL && !g_hash_table_contains (self->networks, r->network))
    {
      g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_START_FAILED,
                               "fake runtime: creating %s (%s): unable to find network with "
                               "name or ID %s: network not found",
                               r->name, r->spec->image, r->network);
      return;
    }
  c = _fleet_fake_add (self, r->name, r->spec->image);
  if (r->network != NULL)
    {
      const char *only[] = { r->network, NULL };

      g_strfreev (c->info->networks);
      c->info->networks = g_strdupv ((char **)only);
    }
  c->spec = fleet_service_spec_ref (r->spec);
  c->stop_signal = r->spec->lifecycle.stop_signal_number;
  c->grace_period_secs = r->spec->lifecycle.grace_period_secs;
  if (r->labels != NULL)
    {
      g_hash_table_iter_init (&iter, r->labels);
      while (g_hash_table_iter_next (&iter, &key, &value))
        fleet_container_info_set_label (c->info, key, value);
    }
  g_task_return_pointer (task, g_strdup (c->info->id), g_free);
}

static void
fake_create_request (FleetContainerRuntime *runtime, GTask *task, const char *name,
                     FleetServiceSpec *spec, GHashTable *labels)
{
  FakeRequest *r = request_of (task);

  /* Copied now, as a request body would be. */
  r->name = g_strdup (name);
  r->spec = fleet_service_spec_ref (spec);
  r->labels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (labels != NULL)
    {
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, labels);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (r->labels, g_strdup (key), g_strdup (value));
    }
  _fleet_fake_schedule (FLEET_FAKE_RUNTIME (runtime), task, do_create);
}

static void
fake_create (FleetContainerRuntime *runtime, const char *name, FleetServiceSpec *spec,
             GHashTable *labels, GCancellable *cancellable, GAsyncReadyCallback callback,
             gpointer user_data)
{
  g_autoptr(GTask) task = new_request (runtime, name, cancellable, callback, user_data,
                                       fake_create);

  fake_create_request (runtime, task, name, spec, labels);
}

/* Logged as a create; the aliases are not kept. */
static void
fake_create_on_network (FleetContainerRuntime *runtime, const char *name, FleetServiceSpec *spec,
                        GHashTable *labels, const char *network, const char *const *aliases,
                        GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data)
{
  g_autoptr(GTask) task = new_request (runtime, name, cancellable, callback, user_data,
                                       fake_create);

  request_of (task)->network = g_strdup (network);
  fake_create_request (runtime, task, name, spec, labels);
}

/* start */

static void
do_start (FleetFakeRuntime *self, GTask *task)
{
  FakeContainer *c;

  _fleet_fake_log_call (self, "start %s", request_of (task)->target);
  if ((c = find_or_fail (self, task)) == NULL)
    return;
  _fleet_fake_restart_due (self, c);
  if (c->info->state == FLEET_CONTAINER_STATE_PAUSED)
    g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_START_FAILED,
                             "fake runtime: starting %s: container %s must be in Created or "
                             "Stopped state to be started: container state improper",
                             request_of (task)->target, c->info->id);
  else if (c->info->state != FLEET_CONTAINER_STATE_RUNNING && c->info->image != NULL
           && g_hash_table_contains (self->start_fails, c->info->image))
    g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_START_FAILED,
                             "fake runtime: starting %s: exec format error",
                             request_of (task)->target);
  else
    {
      if (c->info->state != FLEET_CONTAINER_STATE_RUNNING)
        _fleet_fake_run (self, c);
      g_task_return_boolean (task, TRUE);
    }
}

static void
fake_start (FleetContainerRuntime *runtime, const char *id, GCancellable *cancellable,
            GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = new_request (runtime, id, cancellable, callback, user_data, fake_start);

  _fleet_fake_schedule (FLEET_FAKE_RUNTIME (runtime), task, do_start);
}

/* stop: the signal, then SIGKILL when the container ignores it and the
 * grace runs out. */

static gboolean
on_grace_over (gpointer user_data)
{
  GTask *task = user_data;
  FleetFakeRuntime *self = g_task_get_source_object (task);
  FakeContainer *c = _fleet_fake_find (self, request_of (task)->name, NULL);

  /* Still there and up: killed.  Gone or exited meanwhile: stopped all the same. */
  if (c != NULL && is_up (c))
    {
      _fleet_fake_log_call (self, "kill %s SIGKILL", c->info->id);
      _fleet_fake_exit (self, c, FAKE_EXIT_SIGNALLED (SIGKILL));
    }
  g_task_return_boolean (task, TRUE);
  return G_SOURCE_REMOVE;
}

static void
do_stop (FleetFakeRuntime *self, GTask *task)
{
  FakeRequest *r = request_of (task);
  FakeContainer *c = find_or_fail (self, task);
  int signal;
  guint grace;
  const char *signal_name;
  g_autoptr(GSource) timer = NULL;

  if (c == NULL)
    {
      _fleet_fake_log_call (self, "stop %s", r->target);
      return;
    }
  /* stopped on request: the policy leaves it be */
  c->restart_due = FALSE;
  signal = r->signal != 0 ? r->signal : c->stop_signal;
  grace = r->grace_secs >= 0 ? (guint)r->grace_secs : c->grace_period_secs;
  signal_name = _fleet_signal_to_name (signal);
  /* Logged as asked (an id or a name), so a test can tell a stop by the
   * recorded id from a stop by name. */
  if (signal_name != NULL)
    _fleet_fake_log_call (self, "stop %s %s %u", r->target, signal_name, grace);
  else
    _fleet_fake_log_call (self, "stop %s %d %u", r->target, signal, grace);
  if (c->half_removed)
    {
      g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_RUNTIME,
                               "fake runtime: stopping %s: container %s is running or paused, "
                               "refusing to clean up: container state improper",
                               r->target, c->info->id);
      return;
    }
  if (!is_up (c))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  /* A paused container is let run again, so that it sees the signal. */
  c->info->state = FLEET_CONTAINER_STATE_RUNNING;
  if (grace == 0 || signal == SIGKILL)
    {
      _fleet_fake_exit (self, c, FAKE_EXIT_SIGNALLED (SIGKILL));
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (c->info->image == NULL || !g_hash_table_contains (self->ignores_stop, c->info->image))
    {
      _fleet_fake_exit (self, c, FAKE_EXIT_SIGNALLED (signal));
      g_task_return_boolean (task, TRUE);
      return;
    }
  /* It ignores the signal: SIGKILL once the grace is over, for real. */
  g_free (r->name);
  r->name = g_strdup (c->info->id);
  /* Precise, as in the podman runtime: the coarse seconds timer may fire
   * up to a second early. */
  timer = g_timeout_source_new (grace * 1000);
  g_task_attach_source (task, timer, on_grace_over);
}

static void
fake_stop (FleetContainerRuntime *runtime, const char *id, int signal, int grace_secs,
           GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = new_request (runtime, id, cancellable, callback, user_data, fake_stop);

  request_of (task)->signal = signal;
  request_of (task)->grace_secs = grace_secs;
  _fleet_fake_schedule (FLEET_FAKE_RUNTIME (runtime), task, do_stop);
}

/* remove */

static void
do_remove (FleetFakeRuntime *self, GTask *task)
{
  FakeRequest *r = request_of (task);
  FakeContainer *c;

  _fleet_fake_log_call (self, r->force ? "remove %s force" : "remove %s", r->target);
  /* As podman's removal falls back to its storage for a name it does not
   * list. */
  if (_fleet_fake_find (self, r->target, NULL) == NULL
      && g_hash_table_remove (self->held_names, r->target))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if ((c = find_or_fail (self, task)) == NULL)
    return;
  if (c->half_removed && !r->force)
    {
      g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_RUNTIME,
                               "fake runtime: removing %s: container state improper", r->target);
      return;
    }
  if (is_up (c) && !r->force)
    {
      g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_RUNTIME,
                               "fake runtime: removing %s: cannot remove container %s as it is "
                               "%s - running or paused containers cannot be removed without "
                               "force",
                               r->target, c->info->id,
                               fleet_container_state_to_string (c->info->state));
      return;
    }
  if (is_up (c))
    _fleet_fake_exit (self, c, FAKE_EXIT_SIGNALLED (SIGKILL));
  _fleet_fake_discard (self, c);
  g_task_return_boolean (task, TRUE);
}

static void
fake_remove (FleetContainerRuntime *runtime, const char *id, gboolean force,
             GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = new_request (runtime, id, cancellable, callback, user_data, fake_remove);

  request_of (task)->force = force;
  _fleet_fake_schedule (FLEET_FAKE_RUNTIME (runtime), task, do_remove);
}

/* inspect */

static void
do_inspect (FleetFakeRuntime *self, GTask *task)
{
  FakeContainer *c;

  _fleet_fake_log_call (self, "inspect %s", request_of (task)->target);
  if ((c = find_or_fail (self, task)) == NULL)
    return;
  /* A copy of the container's state at this moment, as a real runtime
   * hands out, not a live view that later changes under the caller. */
  g_task_return_pointer (task, fleet_container_info_copy (c->info),
                         (GDestroyNotify)fleet_container_info_unref);
}

static void
fake_inspect (FleetContainerRuntime *runtime, const char *id, GCancellable *cancellable,
              GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = new_request (runtime, id, cancellable, callback, user_data,
                                       fake_inspect);

  _fleet_fake_schedule (FLEET_FAKE_RUNTIME (runtime), task, do_inspect);
}

/* list */

static void
do_list (FleetFakeRuntime *self, GTask *task)
{
  const char *label = request_of (task)->target;
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify)fleet_container_info_unref);

  _fleet_fake_log_call (self, "list");
  for (guint i = 0; i < self->containers->len; i++)
    {
      FakeContainer *c = self->containers->pdata[i];

      if (fleet_container_info_matches_label (c->info, label))
        g_ptr_array_add (list, fleet_container_info_copy (c->info));
    }
  g_task_return_pointer (task, list, (GDestroyNotify)g_ptr_array_unref);
}

static void
fake_list (FleetContainerRuntime *runtime, const char *label, GCancellable *cancellable,
           GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = new_request (runtime, label, cancellable, callback, user_data,
                                       fake_list);

  _fleet_fake_schedule (FLEET_FAKE_RUNTIME (runtime), task, do_list);
}

/* rename */

static void
do_rename (FleetFakeRuntime *self, GTask *task)
{
  FakeRequest *r = request_of (task);
  FakeContainer *c;
  FakeContainer *holder;

  _fleet_fake_log_call (self, "rename %s %s", r->target, r->name);
  if ((c = find_or_fail (self, task)) == NULL)
    return;
  holder = _fleet_fake_find (self, r->name, NULL);
  if (holder != NULL && holder != c)
    {
      g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_EXISTS,
                               "fake runtime: renaming %s: name %s already in use", r->target,
                               r->name);
      return;
    }
  g_free (c->info->name);
  c->info->name = g_strdup (r->name);
  g_task_return_boolean (task, TRUE);
}

static void
fake_rename (FleetContainerRuntime *runtime, const char *id, const char *new_name,
             GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = new_request (runtime, id, cancellable, callback, user_data, fake_rename);

  request_of (task)->name = g_strdup (new_name);
  _fleet_fake_schedule (FLEET_FAKE_RUNTIME (runtime), task, do_rename);
}

/* unpause */

static void
do_unpause (FleetFakeRuntime *self, GTask *task)
{
  FakeContainer *c;

  _fleet_fake_log_call (self, "unpause %s", request_of (task)->target);
  if ((c = find_or_fail (self, task)) == NULL)
    return;
  if (c->info->state != FLEET_CONTAINER_STATE_PAUSED)
    {
      g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_RUNTIME,
                               "fake runtime: unpausing %s: \"%s\" is not paused, can't unpause",
                               request_of (task)->target, c->info->id);
      return;
    }
  c->info->state = FLEET_CONTAINER_STATE_RUNNING;
  g_task_return_boolean (task, TRUE);
}

static void
fake_unpause (FleetContainerRuntime *runtime, const char *id, GCancellable *cancellable,
              GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = new_request (runtime, id, cancellable, callback, user_data,
                                       fake_unpause);

  _fleet_fake_schedule (FLEET_FAKE_RUNTIME (runtime), task, do_unpause);
}

/* Finishers, one per kind of result. */

static gboolean
fake_finish_boolean (FleetContainerRuntime *runtime, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, runtime), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static char *
fake_create_finish (FleetContainerRuntime *runtime, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, runtime), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fake_create, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static FleetContainerInfo *
fake_inspect_finish (FleetContainerRuntime *runtime, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, runtime), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fake_inspect, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static GPtrArray *
fake_list_finish (FleetContainerRuntime *runtime, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, runtime), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fake_list, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
fake_watch_events (FleetContainerRuntime *runtime)
{
  FLEET_FAKE_RUNTIME (runtime)->watching = TRUE;
}

void
_fleet_fake_runtime_iface_init (FleetContainerRuntimeInterface *iface)
{
  iface->pull_image = fake_pull_image;
  iface->pull_image_finish = fake_finish_boolean;
  iface->create = fake_create;
  iface->create_finish = fake_create_finish;
  iface->create_on_network = fake_create_on_network;
  iface->start = fake_start;
  iface->start_finish = fake_finish_boolean;
  iface->stop = fake_stop;
  iface->stop_finish = fake_finish_boolean;
  iface->remove = fake_remove;
  iface->remove_finish = fake_finish_boolean;
  iface->inspect = fake_inspect;
  iface->inspect_finish = fake_inspect_finish;
  iface->list = fake_list;
  iface->list_finish = fake_list_finish;
  iface->rename = fake_rename;
  iface->rename_finish = fake_finish_boolean;
  iface->unpause = fake_unpause;
  iface->unpause_finish = fake_finish_boolean;
  iface->watch_events = fake_watch_events;
  _fleet_fake_runtime_network_iface_init (iface);
  _fleet_fake_runtime_health_iface_init (iface);
}
