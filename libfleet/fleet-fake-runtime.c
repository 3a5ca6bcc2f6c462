/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-fake-runtime.c: an in-memory FleetContainerRuntime.
 *
 * It models what podman does closely enough that
 * tests/test-runtime-conformance.c holds both to the same behaviour:
 * containers are created, running, paused or exited; a stop delivers its
 * signal, which ends a process with 128 + the signal's number, unless the
 * image ignores it, when SIGKILL follows after the grace period, on a real
 * timer; containers of some images exit on their own or cannot start; the
 * died event follows every exit of a labelled container.
 *
 * Deterministic (container ids are derived from a counter), every request is
 * recorded in a call log that tests assert on, and faults can be injected
 * (fleet-fake-runtime-knobs.c).  Each request takes effect when it
 * completes, from the main context, as a real runtime's would.
 */
#include "config.h"

#include <signal.h>

#include "fleet-fake-runtime-private.h"
#include "fleet-util-private.h"

G_DEFINE_FINAL_TYPE_WITH_CODE (FleetFakeRuntime, fleet_fake_runtime, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FLEET_TYPE_CONTAINER_RUNTIME,
                                                      _fleet_fake_runtime_iface_init))

static void
fake_container_free (gpointer data)
{
  FakeContainer *c = data;

  fleet_container_info_unref (c->info);
  g_clear_pointer (&c->spec, fleet_service_spec_unref);
  g_free (c);
}

static void
fleet_fake_runtime_finalize (GObject *object)
{
  FleetFakeRuntime *self = FLEET_FAKE_RUNTIME (object);

  g_ptr_array_unref (self->containers);
  g_ptr_array_unref (self->calls);
  g_hash_table_unref (self->pulled);
  g_hash_table_unref (self->pull_fails);
  g_hash_table_unref (self->pull_hangs);
  g_hash_table_unref (self->start_fails);
  g_hash_table_unref (self->ignores_stop);
  g_hash_table_unref (self->exits_at_once);
  g_hash_table_unref (self->held_names);
  g_hash_table_unref (self->networks);
  g_hash_table_unref (self->unhealthy);
  g_free (self->id_salt);
  G_OBJECT_CLASS (fleet_fake_runtime_parent_class)->finalize (object);
}

static void
fleet_fake_runtime_class_init (FleetFakeRuntimeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fleet_fake_runtime_finalize;
}

static GHashTable *
new_image_set (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static void
fleet_fake_runtime_init (FleetFakeRuntime *self)
{
  self->containers = g_ptr_array_new_with_free_func (fake_container_free);
  self->calls = g_ptr_array_new_with_free_func (g_free);
  self->pulled = new_image_set ();
  self->pull_fails = new_image_set ();
  self->pull_hangs = new_image_set ();
  self->start_fails = new_image_set ();
  self->ignores_stop = new_image_set ();
  self->exits_at_once = new_image_set ();
  self->held_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->networks = new_image_set ();
  self->unhealthy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/**
 * fleet_fake_runtime_new:
 *
 * A container runtime that keeps its containers in memory and logs every
 * call, for tests and `fleetd --runtime fake`.
 *
 * Returns: (transfer full): a new runtime with no containers
 *
 * Since: 0.2
 */
FleetFakeRuntime *
fleet_fake_runtime_new (void)
{
  return g_object_new (FLEET_TYPE_FAKE_RUNTIME, NULL);
}

/* The model. */

void
_fleet_fake_log_call (FleetFakeRuntime *self, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (self->calls, g_strdup_vprintf (format, args));
  va_end (args);
}

/* By id or by name, as podman resolves what it is given. */
FakeContainer *
_fleet_fake_find (FleetFakeRuntime *self, const char *id_or_name, guint *out_index)
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

/* A new container, created (not started), with the default lifecycle. */
FakeContainer *
_fleet_fake_add (FleetFakeRuntime *self, const char *name, const char *image)
{
  FakeContainer *c = g_new0 (FakeContainer, 1);
  g_autofree char *seed = g_strdup_printf ("fake-container-%s%" G_GUINT64_FORMAT,
                                           self->id_salt ? self->id_salt : "", self->next_id++);
  g_autofree char *id = g_compute_checksum_for_string (G_CHECKSUM_SHA256, seed, -1);

  c->info = fleet_container_info_new (id, name);
  c->info->image = g_strdup (image);
  c->info->state = FLEET_CONTAINER_STATE_CREATED;
  c->info->networks = g_new0 (char *, 1);
  c->stop_signal = SIGTERM;
  c->grace_period_secs = FLEET_DEFAULT_GRACE_PERIOD_SECS;
  g_ptr_array_add (self->containers, c);
  return c;
}

/* Its process ends with @exit_code; as podman does, a labelled container is
 * reported dead whatever ended it, a stop on request included. */
void
_fleet_fake_exit (FleetFakeRuntime *self, FakeContainer *c, int exit_code)
{
  c->info->state = FLEET_CONTAINER_STATE_EXITED;
  c->info->exit_code = exit_code;
  if (self->watching && c->info->deployment != NULL)
    fleet_container_runtime_emit_container_died (FLEET_CONTAINER_RUNTIME (self), c->info->id,
                                                 c->info->deployment, c->info->service);
}

/* It runs; a container of an image set to exit at once dies as soon as it
 * started, as a program that cannot find its configuration would. */
void
_fleet_fake_run (FleetFakeRuntime *self, FakeContainer *c)
{
  gpointer code;

  c->info->state = FLEET_CONTAINER_STATE_RUNNING;
  c->info->exit_code = 0;
  if (c->info->image != NULL
      && g_hash_table_lookup_extended (self->exits_at_once, c->info->image, NULL, &code))
    _fleet_fake_exit (self, c, GPOINTER_TO_INT (code));
}

/* Gone, whatever its state. */
void
_fleet_fake_discard (FleetFakeRuntime *self, FakeContainer *c)
{
  guint index;

  if (_fleet_fake_find (self, c->info->id, &index) == c)
    g_ptr_array_remove_index (self->containers, index);
}

/* Whether a container can be created from @image: it was pulled, or it is
 * not one that cannot be had (images are taken to be present, as on a
 * device with imported images, unless they cannot be pulled). */
gboolean
_fleet_fake_image_known (FleetFakeRuntime *self, const char *image)
{
  return g_hash_table_contains (self->pulled, image)
         || !g_hash_table_contains (self->pull_fails, image);
}

/* Scheduling: every request completes from the main context. */

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
void
_fleet_fake_schedule (FleetFakeRuntime *self, GTask *task, FakeOperation op)
{
  g_autoptr(GSource) source = self->latency_msecs ? g_timeout_source_new (self->latency_msecs)
                                                  : g_idle_source_new ();

  g_object_set_data (G_OBJECT (task), "fake-op", op);
  g_task_attach_source (task, source, run_operation);
}
