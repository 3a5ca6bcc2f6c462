/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-fake-runtime-health.c: health checks of FleetFakeRuntime, and the
 * knobs that make the containers of an image fail them or hang in them.
 *
 * Every kind of check (exec, HTTP, TCP) is answered from the knobs alone,
 * logged as "healthcheck ID KIND", so that reconciler tests decide health
 * exactly; the probes themselves are tested on their own and against podman.
 */
#include "config.h"

#include "fleet-error.h"
#include "fleet-fake-runtime-private.h"

/**
 * fleet_fake_runtime_set_unhealthy:
 * @self: a #FleetFakeRuntime
 * @image: the image
 * @output: (nullable): what the failing check prints, or %NULL to make its
 *   checks pass again
 *
 * Containers of @image fail their health checks with @output, or pass them
 * again when @output is %NULL.
 *
 * Since: 0.2
 */
void
fleet_fake_runtime_set_unhealthy (FleetFakeRuntime *self, const char *image, const char *output)
{
  g_return_if_fail (FLEET_IS_FAKE_RUNTIME (self));
  g_return_if_fail (image != NULL);

  if (output == NULL)
    g_hash_table_remove (self->unhealthy, image);
  else
    g_hash_table_insert (self->unhealthy, g_strdup (image), g_strdup (output));
}

/**
 * fleet_fake_runtime_set_health_hangs:
 * @self: a #FleetFakeRuntime
 * @image: the image
 * @hangs: %TRUE to make the checks hang, %FALSE to let them pass again
 *
 * The health checks of containers of @image never answer: only the caller's
 * cancellable ends them.
 *
 * Since: 0.2
 */
void
fleet_fake_runtime_set_health_hangs (FleetFakeRuntime *self, const char *image, gboolean hangs)
{
  g_return_if_fail (FLEET_IS_FAKE_RUNTIME (self));
  g_return_if_fail (image != NULL);

  if (hangs)
    g_hash_table_insert (self->unhealthy, g_strdup (image), NULL);
  else
    g_hash_table_remove (self->unhealthy, image);
}

typedef struct
{
  gboolean passed;
  char *output;
} FakeHealth;

static void
fake_health_free (gpointer data)
{
  FakeHealth *health = data;

  g_free (health->output);
  g_free (health);
}

static gboolean
on_hanging_check_cancelled (GCancellable *cancellable, gpointer user_data)
{
  g_task_return_error_if_cancelled (G_TASK (user_data));
  return G_SOURCE_REMOVE;
}

static void
do_healthcheck (FleetFakeRuntime *self, GTask *task)
{
  const char *id = g_object_get_data (G_OBJECT (task), "fake-target");
  const char *kind = g_object_get_data (G_OBJECT (task), "fake-kind");
  FakeContainer *c = _fleet_fake_find (self, id, NULL);
  FakeHealth *health;
  gpointer output;

  _fleet_fake_log_call (self, "healthcheck %s %s", id, kind);
  if (c == NULL || c->info->state != FLEET_CONTAINER_STATE_RUNNING)
    {
      g_task_return_new_error (task, FLEET_ERROR, c ? FLEET_ERROR_RUNTIME : FLEET_ERROR_NOT_FOUND,
                               "fake runtime: container %s is not running", id);
      return;
    }
  if (g_hash_table_lookup_extended (self->unhealthy, c->info->image, NULL, &output)
      && output == NULL)
    {
      /* hangs: answered by the cancellable only */
      g_autoptr(GSource) source = g_cancellable_source_new (g_task_get_cancellable (task));

      g_source_set_callback (source, G_SOURCE_FUNC (on_hanging_check_cancelled),
                             g_object_ref (task), g_object_unref);
      g_source_attach (source, g_task_get_context (task));
      return;
    }
  health = g_new0 (FakeHealth, 1);
  health->passed = output == NULL;
  health->output = g_strdup (output ? output : "ok");
  g_task_return_pointer (task, health, fake_health_free);
}

static void
fake_run_healthcheck (FleetContainerRuntime *runtime, const char *id,
                      const FleetHealthcheck *check, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (runtime, cancellable, callback, user_data);

  g_task_set_source_tag (task, fake_run_healthcheck);
  g_object_set_data_full (G_OBJECT (task), "fake-target", g_strdup (id), g_free);
  g_object_set_data (G_OBJECT (task), "fake-kind",
                     (gpointer) fleet_healthcheck_kind_to_string (check->kind));
  _fleet_fake_schedule (FLEET_FAKE_RUNTIME (runtime), task, do_healthcheck);
}

static gboolean
fake_run_healthcheck_finish (FleetContainerRuntime *runtime, GAsyncResult *result,
                             gboolean *out_passed, char **out_output, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  FakeHealth *health;

  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fake_run_healthcheck, FALSE);

  health = g_task_propagate_pointer (G_TASK (result), error);
  if (health == NULL)
    return FALSE;
  *out_passed = health->passed;
  if (out_output)
    *out_output = g_steal_pointer (&health->output);
  fake_health_free (health);
  return TRUE;
}

void
_fleet_fake_runtime_health_iface_init (FleetContainerRuntimeInterface *iface)
{
  iface->run_healthcheck = fake_run_healthcheck;
  iface->run_healthcheck_finish = fake_run_healthcheck_finish;
}
