/* fleet-fake-runtime.c: an in-memory FleetContainerRuntime.
 *
 * Deterministic (container ids are derived from a counter), every request is
 * recorded in a call log that tests assert on, and faults can be injected:
 * failing pulls and starts, containers that ignore their stop signal, a
 * container that dies, an unreachable runtime, and latency.  Each request
 * takes effect when it completes, from the main context, as a real runtime's
 * would.
 */
#include "config.h"

#include "fleet-fake-runtime.h"
#include "fleet-util-private.h"

typedef struct
{
  FleetContainerInfo *info;
  FleetServiceSpec *spec; /* NULL for containers added by a test */
  char *stop_signal;
  guint grace_period_secs;
} FakeContainer;

struct _FleetFakeRuntime
{
  GObject parent_instance;

  GPtrArray *containers; /* FakeContainer, in creation order */
  GPtrArray *calls;
  guint64 next_id;
  char *id_salt;
  GHashTable *pull_fails;
  GHashTable *pull_hangs;
  GHashTable *start_fails;
  GHashTable *ignores_stop;
  GHashTable *exits_at_once;
  gboolean unreachable;
  guint refused;
  gboolean watching;
  guint latency_msecs;
};

static void fleet_fake_runtime_iface_init (FleetContainerRuntimeInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FleetFakeRuntime, fleet_fake_runtime, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FLEET_TYPE_CONTAINER_RUNTIME,
                                                      fleet_fake_runtime_iface_init))

static void
fake_container_free (gpointer data)
{
  FakeContainer *c = data;

  fleet_container_info_unref (c->info);
  g_clear_pointer (&c->spec, fleet_service_spec_unref);
  g_free (c->stop_signal);
  g_free (c);
}

static void
fleet_fake_runtime_finalize (GObject *object)
{
  FleetFakeRuntime *self = FLEET_FAKE_RUNTIME (object);

  g_ptr_array_unref (self->containers);
  g_ptr_array_unref (self->calls);
  g_hash_table_unref (self->pull_fails);
  g_hash_table_unref (self->pull_hangs);
  g_hash_table_unref (self->start_fails);
  g_hash_table_unref (self->ignores_stop);
  g_hash_table_unref (self->exits_at_once);
  g_free (self->id_salt);
  G_OBJECT_CLASS (fleet_fake_runtime_parent_class)->finalize (object);
}

static void
fleet_fake_runtime_class_init (FleetFakeRuntimeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fleet_fake_runtime_finalize;
}

static void
fleet_fake_runtime_init (FleetFakeRuntime *self)
{
  self->containers = g_ptr_array_new_with_free_func (fake_container_free);
  self->calls = g_ptr_array_new_with_free_func (g_free);
  self->pull_fails = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->pull_hangs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->start_fails = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->ignores_stop = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->exits_at_once = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

FleetFakeRuntime *
fleet_fake_runtime_new (void)
{
  return g_object_new (FLEET_TYPE_FAKE_RUNTIME, NULL);
}

static void G_GNUC_PRINTF (2, 3)
log_call (FleetFakeRuntime *self, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (self->calls, g_strdup_vprintf (format, args));
  va_end (args);
}

/* What a real runtime hands out: a copy of the container's state at that
 * moment, not a live view that later changes under the caller. */
static FleetContainerInfo *
snapshot (FakeContainer *c)
{
  FleetContainerInfo *info = fleet_container_info_new (c->info->id, c->info->name);

  info->deployment = g_strdup (c->info->deployment);
  info->service = g_strdup (c->info->service);
  info->spec_digest = g_strdup (c->info->spec_digest);
  info->image = g_strdup (c->info->image);
  info->state = c->info->state;
  info->exit_code = c->info->exit_code;
  return info;
}

static FakeContainer *
find_container (FleetFakeRuntime *self, const char *id_or_name, guint *out_index)
{
  for (guint i = 0; i < self->containers->len; i++)
    {
      FakeContainer *c = self->containers->pdata[i];

      if (g_str_equal (c->info->id, id_or_name) || g_str_equal (c->info->name, id_or_name))
        {
          if (out_index)
            *out_index = i;
          return c;
        }
    }
  return NULL;
}

static FakeContainer *
create_container (FleetFakeRuntime *self, const char *name, const char *image)
{
  FakeContainer *c = g_new0 (FakeContainer, 1);
  g_autofree char *seed = g_strdup_printf ("fake-container-%s%" G_GUINT64_FORMAT,
                                           self->id_salt ? self->id_salt : "", self->next_id++);
  g_autofree char *id = g_compute_checksum_for_string (G_CHECKSUM_SHA256, seed, -1);

  c->info = fleet_container_info_new (id, name);
  c->info->image = g_strdup (image);
  c->info->state = FLEET_CONTAINER_STATE_CREATED;
  c->stop_signal = g_strdup (FLEET_DEFAULT_STOP_SIGNAL);
  c->grace_period_secs = FLEET_DEFAULT_GRACE_PERIOD_SECS;
  g_ptr_array_add (self->containers, c);
  return c;
}

static void
emit_died (FleetFakeRuntime *self, FakeContainer *c)
{
  if (self->watching && c->info->deployment != NULL)
    fleet_container_runtime_emit_container_died (FLEET_CONTAINER_RUNTIME (self), c->info->id,
                                                 c->info->deployment, c->info->service);
}

/* A container of an image set to exit at once dies as soon as it started,
 * as a program that cannot find its configuration would. */
static void
exit_if_configured (FleetFakeRuntime *self, FakeContainer *c)
{
  if (c->info->image == NULL || !g_hash_table_contains (self->exits_at_once, c->info->image))
    return;
  c->info->state = FLEET_CONTAINER_STATE_EXITED;
  c->info->exit_code = 1;
  emit_died (self, c);
}

/* Stop gracefully with the container's own signal and grace, SIGKILL after. */
static void
stop_container (FleetFakeRuntime *self, FakeContainer *c, const char *as_asked)
{
  /* Logged as asked (an id or a name), so a test can tell a stop by the
   * recorded id from a stop by name. */
  log_call (self, "stop %s %s %u", as_asked, c->stop_signal, c->grace_period_secs);
  if (c->info->state != FLEET_CONTAINER_STATE_RUNNING)
    return;
  if (c->info->image && g_hash_table_contains (self->ignores_stop, c->info->image))
    {
      log_call (self, "kill %s SIGKILL", c->info->id);
      c->info->exit_code = 137;
    }
  else
    c->info->exit_code = 0;
  c->info->state = FLEET_CONTAINER_STATE_EXITED;
  /* As podman does, a container stopped on request is reported dead too. */
  emit_died (self, c);
}

static void
remove_container (FleetFakeRuntime *self, FakeContainer *c)
{
  guint index;

  log_call (self, "remove %s", c->info->id);
  if (find_container (self, c->info->id, &index))
    g_ptr_array_remove_index (self->containers, index);
}

static gboolean
check_reachable (FleetFakeRuntime *self, GTask *task)
{
  if (!self->unreachable)
    return TRUE;
  self->refused++;
  g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_RUNTIME_UNAVAILABLE,
                           "fake runtime: cannot connect (unreachable)");
  return FALSE;
}

typedef void (*FakeOperation) (FleetFakeRuntime *self, GTask *task);

static gboolean
run_operation (gpointer user_data)
{
  GTask *task = user_data;
  FleetFakeRuntime *self = g_task_get_source_object (task);
  FakeOperation op = g_object_get_data (G_OBJECT (task), "fake-op");

  if (!g_task_return_error_if_cancelled (task) && check_reachable (self, task))
    op (self, task);
  return G_SOURCE_REMOVE;
}

/* Complete @task by running @op from the main context, after the configured
 * latency. */
static void
schedule (FleetFakeRuntime *self, GTask *task, FakeOperation op)
{
  g_autoptr(GSource) source = self->latency_msecs ? g_timeout_source_new (self->latency_msecs)
                                                  : g_idle_source_new ();

  g_object_set_data (G_OBJECT (task), "fake-op", op);
  g_task_attach_source (task, source, run_operation);
}

static GTask *
new_task (FleetFakeRuntime *self, GCancellable *cancellable, GAsyncReadyCallback callback,
          gpointer user_data, gpointer source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  return task;
}

/* pull_image */

static void
do_pull (FleetFakeRuntime *self, GTask *task)
{
  const char *image = g_task_get_task_data (task);

  log_call (self, "pull %s", image);
  if (g_hash_table_contains (self->pull_fails, image))
    g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_PULL_FAILED,
                             "fake runtime: pulling %s: manifest unknown", image);
  else
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
  g_autoptr(GTask) task = new_task (self, cancellable, callback, user_data, fake_pull_image);

  g_task_set_task_data (task, g_strdup (image), g_free);
  if (g_hash_table_contains (self->pull_hangs, image))
    {
      /* answers only when cancelled; never without a cancellable */
      g_autoptr(GSource) source = g_cancellable_source_new (cancellable);

      log_call (self, "pull %s", image);
      g_task_attach_source (task, source, G_SOURCE_FUNC (on_hanging_pull_cancelled));
      return;
    }
  schedule (self, task, do_pull);
}

static gboolean
fake_pull_image_finish (FleetContainerRuntime *runtime, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, runtime), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* start_service */

static char *
create_and_start (FleetFakeRuntime *self, FleetServiceSpec *spec, GError **error)
{
  FakeContainer *leftover = find_container (self, spec->container_name, NULL);
  FakeContainer *c;

  if (leftover != NULL && leftover->info->deployment == NULL)
    {
      log_call (self, "create %s %s", spec->container_name, spec->image);
      return fleet_null_throw (error, FLEET_ERROR_START_FAILED,
                               "fake runtime: creating %s: the name is held by a container "
                               "fleet does not manage", spec->container_name);
    }
  if (leftover != NULL)
    {
      stop_container (self, leftover, leftover->info->id);
      remove_container (self, leftover);
    }
  log_call (self, "create %s %s", spec->container_name, spec->image);
  c = create_container (self, spec->container_name, spec->image);
  c->spec = fleet_service_spec_ref (spec);
  c->info->deployment = g_strdup (spec->deployment);
  c->info->service = g_strdup (spec->name);
  c->info->spec_digest = g_strdup (spec->digest);
  g_free (c->stop_signal);
  c->stop_signal = g_strdup (spec->lifecycle.stop_signal);
  c->grace_period_secs = spec->lifecycle.grace_period_secs;

  log_call (self, "start %s", c->info->id);
  if (g_hash_table_contains (self->start_fails, spec->image))
    {
      g_autofree char *id = g_strdup (c->info->id);

      remove_container (self, c);
      return fleet_null_throw (error, FLEET_ERROR_START_FAILED,
                               "fake runtime: starting %s (%s): exec format error",
                               spec->container_name, id);
    }
  c->info->state = FLEET_CONTAINER_STATE_RUNNING;
  exit_if_configured (self, c);
  return g_strdup (c->info->id);
}

static void
do_start (FleetFakeRuntime *self, GTask *task)
{
  GError *error = NULL;
  char *id = create_and_start (self, g_task_get_task_data (task), &error);

  if (id == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, id, g_free);
}

static void
fake_start_service (FleetContainerRuntime *runtime, FleetServiceSpec *spec,
                    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  FleetFakeRuntime *self = FLEET_FAKE_RUNTIME (runtime);
  g_autoptr(GTask) task = new_task (self, cancellable, callback, user_data, fake_start_service);

  g_task_set_task_data (task, fleet_service_spec_ref (spec),
                        (GDestroyNotify) fleet_service_spec_unref);
  schedule (self, task, do_start);
}

static char *
fake_start_service_finish (FleetContainerRuntime *runtime, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, runtime), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* stop_service */

static void
do_stop (FleetFakeRuntime *self, GTask *task)
{
  const char *id = g_task_get_task_data (task);
  FakeContainer *c = find_container (self, id, NULL);

  if (c == NULL)
    {
      /* Podman answers 404; an absent container counts as stopped. */
      log_call (self, "stop %s", id);
      g_task_return_boolean (task, TRUE);
      return;
    }
  stop_container (self, c, id);
  remove_container (self, c);
  g_task_return_boolean (task, TRUE);
}

static void
fake_stop_service (FleetContainerRuntime *runtime, const char *container_id,
                   GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  FleetFakeRuntime *self = FLEET_FAKE_RUNTIME (runtime);
  g_autoptr(GTask) task = new_task (self, cancellable, callback, user_data, fake_stop_service);

  g_task_set_task_data (task, g_strdup (container_id), g_free);
  schedule (self, task, do_stop);
}

static gboolean
fake_stop_service_finish (FleetContainerRuntime *runtime, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, runtime), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* container_status */

static void
do_inspect (FleetFakeRuntime *self, GTask *task)
{
  const char *id = g_task_get_task_data (task);
  FakeContainer *c = find_container (self, id, NULL);

  log_call (self, "inspect %s", id);
  if (c == NULL)
    g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_NOT_FOUND,
                             "fake runtime: no such container %s", id);
  else
    g_task_return_pointer (task, snapshot (c), (GDestroyNotify) fleet_container_info_unref);
}

static void
fake_container_status (FleetContainerRuntime *runtime, const char *container_id,
                       GCancellable *cancellable, GAsyncReadyCallback callback,
                       gpointer user_data)
{
  FleetFakeRuntime *self = FLEET_FAKE_RUNTIME (runtime);
  g_autoptr(GTask) task = new_task (self, cancellable, callback, user_data,
                                    fake_container_status);

  g_task_set_task_data (task, g_strdup (container_id), g_free);
  schedule (self, task, do_inspect);
}

static FleetContainerInfo *
fake_container_status_finish (FleetContainerRuntime *runtime, GAsyncResult *result,
                              GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, runtime), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* list_services */

static void
do_list (FleetFakeRuntime *self, GTask *task)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) fleet_container_info_unref);

  log_call (self, "list");
  for (guint i = 0; i < self->containers->len; i++)
    {
      FakeContainer *c = self->containers->pdata[i];

      if (c->info->deployment != NULL)
        g_ptr_array_add (list, snapshot (c));
    }
  g_task_return_pointer (task, list, (GDestroyNotify) g_ptr_array_unref);
}

static void
fake_list_services (FleetContainerRuntime *runtime, GCancellable *cancellable,
                    GAsyncReadyCallback callback, gpointer user_data)
{
  FleetFakeRuntime *self = FLEET_FAKE_RUNTIME (runtime);
  g_autoptr(GTask) task = new_task (self, cancellable, callback, user_data, fake_list_services);

  schedule (self, task, do_list);
}

static GPtrArray *
fake_list_services_finish (FleetContainerRuntime *runtime, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, runtime), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ensure_service_running */

typedef struct
{
  FleetServiceSpec *spec;
  char *container_id;
  FleetLivenessAction action;
} EnsureData;

static void
ensure_data_free (gpointer data)
{
  EnsureData *d = data;

  fleet_service_spec_unref (d->spec);
  g_free (d->container_id);
  g_free (d);
}

static void
do_ensure (FleetFakeRuntime *self, GTask *task)
{
  EnsureData *d = g_task_get_task_data (task);
  FakeContainer *c = find_container (self, d->container_id, NULL);
  GError *error = NULL;
  char *id;

  log_call (self, "inspect %s", d->container_id);
  if (c != NULL && c->info->state == FLEET_CONTAINER_STATE_RUNNING)
    {
      d->action = FLEET_LIVENESS_NONE;
      g_task_return_pointer (task, g_strdup (c->info->id), g_free);
      return;
    }
  if (c != NULL)
    {
      log_call (self, "start %s", c->info->name);
      if (g_hash_table_contains (self->start_fails, c->info->image))
        {
          g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_START_FAILED,
                                   "fake runtime: starting %s: exec format error", c->info->name);
          return;
        }
      c->info->state = FLEET_CONTAINER_STATE_RUNNING;
      exit_if_configured (self, c);
      d->action = FLEET_LIVENESS_STARTED;
      g_task_return_pointer (task, g_strdup (c->info->id), g_free);
      return;
    }
  id = create_and_start (self, d->spec, &error);
  d->action = FLEET_LIVENESS_CREATED;
  if (id == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, id, g_free);
}

static void
fake_ensure_service_running (FleetContainerRuntime *runtime, FleetServiceSpec *spec,
                             const char *container_id, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  FleetFakeRuntime *self = FLEET_FAKE_RUNTIME (runtime);
  g_autoptr(GTask) task = new_task (self, cancellable, callback, user_data,
                                    fake_ensure_service_running);
  EnsureData *d = g_new0 (EnsureData, 1);

  d->spec = fleet_service_spec_ref (spec);
  d->container_id = g_strdup (container_id);
  g_task_set_task_data (task, d, ensure_data_free);
  schedule (self, task, do_ensure);
}

static char *
fake_ensure_service_running_finish (FleetContainerRuntime *runtime, GAsyncResult *result,
                                    FleetLivenessAction *out_action, GError **error)
{
  EnsureData *d;
  char *id;

  g_return_val_if_fail (g_task_is_valid (result, runtime), NULL);

  d = g_task_get_task_data (G_TASK (result));
  id = g_task_propagate_pointer (G_TASK (result), error);

  if (id != NULL && out_action != NULL)
    *out_action = d->action;
  return id;
}

static void
fake_watch_events (FleetContainerRuntime *runtime)
{
  FLEET_FAKE_RUNTIME (runtime)->watching = TRUE;
}

static void
fleet_fake_runtime_iface_init (FleetContainerRuntimeInterface *iface)
{
  iface->pull_image = fake_pull_image;
  iface->pull_image_finish = fake_pull_image_finish;
  iface->start_service = fake_start_service;
  iface->start_service_finish = fake_start_service_finish;
  iface->stop_service = fake_stop_service;
  iface->stop_service_finish = fake_stop_service_finish;
  iface->container_status = fake_container_status;
  iface->container_status_finish = fake_container_status_finish;
  iface->list_services = fake_list_services;
  iface->list_services_finish = fake_list_services_finish;
  iface->ensure_service_running = fake_ensure_service_running;
  iface->ensure_service_running_finish = fake_ensure_service_running_finish;
  iface->watch_events = fake_watch_events;
}

/* The test-facing API. */

/**
 * fleet_fake_runtime_get_calls:
 *
 * Returns: (transfer none) (element-type utf8): the call log
 */
GPtrArray *
fleet_fake_runtime_get_calls (FleetFakeRuntime *self)
{
  g_return_val_if_fail (FLEET_IS_FAKE_RUNTIME (self), NULL);

  return self->calls;
}

/* How many logged calls start with the word @verb. */
guint
fleet_fake_runtime_count_calls (FleetFakeRuntime *self, const char *verb)
{
  gsize len = strlen (verb);
  guint n = 0;

  g_return_val_if_fail (FLEET_IS_FAKE_RUNTIME (self), 0);

  for (guint i = 0; i < self->calls->len; i++)
    {
      const char *call = self->calls->pdata[i];

      if (strncmp (call, verb, len) == 0 && (call[len] == ' ' || call[len] == '\0'))
        n++;
    }
  return n;
}

/* Calls that change containers: create, start, stop, kill, remove. */
guint
fleet_fake_runtime_count_mutating_calls (FleetFakeRuntime *self)
{
  static const char *const verbs[] = { "create", "start", "stop", "kill", "remove" };
  guint n = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
    n += fleet_fake_runtime_count_calls (self, verbs[i]);
  return n;
}

void
fleet_fake_runtime_clear_calls (FleetFakeRuntime *self)
{
  g_return_if_fail (FLEET_IS_FAKE_RUNTIME (self));

  g_ptr_array_set_size (self->calls, 0);
}

/* The call log as text, one call a line, for test failure messages. */
char *
fleet_fake_runtime_format_calls (FleetFakeRuntime *self)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < self->calls->len; i++)
    g_string_append_printf (s, "  %s\n", (const char *) self->calls->pdata[i]);
  return g_string_free (s, FALSE);
}

static void
set_flag (GHashTable *table, const char *key, gboolean on)
{
  if (on)
    g_hash_table_add (table, g_strdup (key));
  else
    g_hash_table_remove (table, key);
}

/* Pulling @image fails. */
void
fleet_fake_runtime_set_pull_fails (FleetFakeRuntime *self, const char *image, gboolean fails)
{
  g_return_if_fail (FLEET_IS_FAKE_RUNTIME (self));
  set_flag (self->pull_fails, image, fails);
}

/* Pulling @image never finishes: it fails with G_IO_ERROR_CANCELLED when
 * the caller cancels it, and hangs when it cannot. */
void
fleet_fake_runtime_set_pull_hangs (FleetFakeRuntime *self, const char *image, gboolean hangs)
{
  g_return_if_fail (FLEET_IS_FAKE_RUNTIME (self));
  set_flag (self->pull_hangs, image, hangs);
}

/* Containers of @image are created but fail to start. */
void
fleet_fake_runtime_set_start_fails (FleetFakeRuntime *self, const char *image, gboolean fails)
{
  g_return_if_fail (FLEET_IS_FAKE_RUNTIME (self));
  set_flag (self->start_fails, image, fails);
}

/* Containers of @image ignore their stop signal: a stop runs past the grace
 * period and ends with SIGKILL ("kill ID SIGKILL" in the log). */
void
fleet_fake_runtime_set_ignores_stop_signal (FleetFakeRuntime *self, const char *image,
                                            gboolean ignores)
{
  g_return_if_fail (FLEET_IS_FAKE_RUNTIME (self));
  set_flag (self->ignores_stop, image, ignores);
}

/* Containers of @image start, then exit with code 1 at once. */
void
fleet_fake_runtime_set_exits_at_once (FleetFakeRuntime *self, const char *image, gboolean exits)
{
  g_return_if_fail (FLEET_IS_FAKE_RUNTIME (self));
  set_flag (self->exits_at_once, image, exits);
}

/* Container ids are derived from a counter, so two fake runtimes give
 * the same ids; a salt (e.g. the time) keeps runs of `fleetd --runtime
 * fake` apart, where a replacement would otherwise get its old id. */
void
fleet_fake_runtime_set_id_salt (FleetFakeRuntime *self, const char *salt)
{
  g_return_if_fail (FLEET_IS_FAKE_RUNTIME (self));
  g_free (self->id_salt);
  self->id_salt = g_strdup (salt);
}

/* Every request fails with FLEET_ERROR_RUNTIME_UNAVAILABLE. */
void
fleet_fake_runtime_set_unreachable (FleetFakeRuntime *self, gboolean unreachable)
{
  g_return_if_fail (FLEET_IS_FAKE_RUNTIME (self));
  self->unreachable = unreachable;
}

/* How many requests were refused while unreachable. */
guint
fleet_fake_runtime_count_refused (FleetFakeRuntime *self)
{
  g_return_val_if_fail (FLEET_IS_FAKE_RUNTIME (self), 0);
  return self->refused;
}

/* Every request completes @msecs after it was made. */
void
fleet_fake_runtime_set_latency (FleetFakeRuntime *self, guint msecs)
{
  g_return_if_fail (FLEET_IS_FAKE_RUNTIME (self));
  self->latency_msecs = msecs;
}

/* The container's process dies with @exit_code, as if it crashed; emits
 * ::container-died when events are watched. */
gboolean
fleet_fake_runtime_kill_container (FleetFakeRuntime *self, const char *id_or_name, int exit_code)
{
  FakeContainer *c;

  g_return_val_if_fail (FLEET_IS_FAKE_RUNTIME (self), FALSE);

  c = find_container (self, id_or_name, NULL);
  if (c == NULL || c->info->state != FLEET_CONTAINER_STATE_RUNNING)
    return FALSE;
  c->info->state = FLEET_CONTAINER_STATE_EXITED;
  c->info->exit_code = exit_code;
  emit_died (self, c);
  return TRUE;
}

/* The container disappears, as after `podman rm -f` by someone else. */
gboolean
fleet_fake_runtime_remove_container (FleetFakeRuntime *self, const char *id_or_name)
{
  guint index;

  g_return_val_if_fail (FLEET_IS_FAKE_RUNTIME (self), FALSE);

  if (!find_container (self, id_or_name, &index))
    return FALSE;
  g_ptr_array_remove_index (self->containers, index);
  return TRUE;
}

/**
 * fleet_fake_runtime_add_container:
 * @deployment: (nullable): the fleet.deployment label, or %NULL for a
 *   container fleet did not create
 *
 * Add a container behind the agent's back, not logged.
 *
 * Returns: (transfer full): its id
 */
char *
fleet_fake_runtime_add_container (FleetFakeRuntime *self, const char *name, const char *image,
                                  const char *deployment, const char *service,
                                  const char *spec_digest, gboolean running)
{
  FakeContainer *c;

  g_return_val_if_fail (FLEET_IS_FAKE_RUNTIME (self), NULL);

  c = create_container (self, name, image);
  c->info->deployment = g_strdup (deployment);
  c->info->service = g_strdup (service);
  c->info->spec_digest = g_strdup (spec_digest);
  c->info->state = running ? FLEET_CONTAINER_STATE_RUNNING : FLEET_CONTAINER_STATE_EXITED;
  return g_strdup (c->info->id);
}

/**
 * fleet_fake_runtime_lookup:
 *
 * Returns: (transfer none) (nullable): the container's report
 */
FleetContainerInfo *
fleet_fake_runtime_lookup (FleetFakeRuntime *self, const char *id_or_name)
{
  FakeContainer *c;

  g_return_val_if_fail (FLEET_IS_FAKE_RUNTIME (self), NULL);

  c = find_container (self, id_or_name, NULL);
  return c ? c->info : NULL;
}

/**
 * fleet_fake_runtime_lookup_spec:
 *
 * Returns: (transfer none) (nullable): the spec the container was created from
 */
FleetServiceSpec *
fleet_fake_runtime_lookup_spec (FleetFakeRuntime *self, const char *id)
{
  FakeContainer *c;

  g_return_val_if_fail (FLEET_IS_FAKE_RUNTIME (self), NULL);

  c = find_container (self, id, NULL);
  return c ? c->spec : NULL;
}

guint
fleet_fake_runtime_count_containers (FleetFakeRuntime *self)
{
  g_return_val_if_fail (FLEET_IS_FAKE_RUNTIME (self), 0);

  return self->containers->len;
}
