/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-fake-runtime-knobs.c: what tests see of FleetFakeRuntime and do to
 * it behind the caller's back: the call log, faults injected per image, and
 * containers that crash, pause, vanish or appear.
 */
#include "config.h"

#include <signal.h>

#include "fleet-fake-runtime-private.h"
#include "fleet-util-private.h"

/**
 * fleet_fake_runtime_get_calls:
 * @self: a #FleetFakeRuntime
 *
 * Returns: (transfer none) (element-type utf8): the call log
 *
 * Since: 0.2
 */
GPtrArray *
fleet_fake_runtime_get_calls (FleetFakeRuntime *self)
{
  g_return_val_if_fail (FLEET_IS_FAKE_RUNTIME (self), NULL);

  return self->calls;
}

/**
 * fleet_fake_runtime_count_calls:
 * @self: a #FleetFakeRuntime
 * @verb: the first word of the calls to count ("create", "start", ...)
 *
 * How many logged calls start with the word @verb.
 *
 * Returns: the number of calls logged with that verb
 *
 * Since: 0.2
 */
guint
fleet_fake_runtime_count_calls (FleetFakeRuntime *self, const char *verb)
{
  gsize len;
  guint n = 0;

  g_return_val_if_fail (FLEET_IS_FAKE_RUNTIME (self), 0);
  g_return_val_if_fail (verb != NULL, 0);

  len = strlen (verb);
  for (guint i = 0; i < self->calls->len; i++)
    {
      const char *call = self->calls->pdata[i];

      if (strncmp (call, verb, len) == 0 && (call[len] == ' ' || call[len] == '\0'))
        n++;
    }
  return n;
}

/**
 * fleet_fake_runtime_count_mutating_calls:
 * @self: a #FleetFakeRuntime
 *
 * Calls that change containers: create, start, stop, kill, remove, rename,
 * unpause, network-connect.
 *
 * Returns: the number of such calls logged
 *
 * Since: 0.2
 */
guint
fleet_fake_runtime_count_mutating_calls (FleetFakeRuntime *self)
{
  static const char *const verbs[]
      = { "create", "start", "stop", "kill", "remove", "rename", "unpause", "network-connect" };
  guint n = 0;

  g_return_val_if_fail (FLEET_IS_FAKE_RUNTIME (self), 0);

  for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
    n += fleet_fake_runtime_count_calls (self, verbs[i]);
  return n;
}

/**
 * fleet_fake_runtime_clear_calls:
 * @self: a #FleetFakeRuntime
 *
 * Empty the call log.
 *
 * Since: 0.2
 */
void
fleet_fake_runtime_clear_calls (FleetFakeRuntime *self)
{
  g_return_if_fail (FLEET_IS_FAKE_RUNTIME (self));

  g_ptr_array_set_size (self->calls, 0);
}

/**
 * fleet_fake_runtime_format_calls:
 * @self: a #FleetFakeRuntime
 *
 * The call log as text, one call a line, for test failure messages.
 *
 * Returns: (transfer full): the call log, one call a line
 *
 * Since: 0.2
 */
char *
fleet_fake_runtime_format_calls (FleetFakeRuntime *self)
{
  GString *s;

  g_return_val_if_fail (FLEET_IS_FAKE_RUNTIME (self), NULL);

  s = g_string_new (NULL);
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

/**
 * fleet_fake_runtime_set_pull_fails:
 * @self: a #FleetFakeRuntime
 * @image: the image
 * @fails: %TRUE to make the pulls fail, %FALSE to let them succeed again
 *
 * Pulling @image fails.
 *
 * Since: 0.2
 */
void
fleet_fake_runtime_set_pull_fails (FleetFakeRuntime *self, const char *image, gboolean fails)
{
  g_return_if_fail (FLEET_IS_FAKE_RUNTIME (self));
  set_flag (self->pull_fails, image, fails);
}

/**
 * fleet_fake_runtime_set_pull_hangs:
 * @self: a #FleetFakeRuntime
 * @image: the image
 * @hangs: %TRUE to make the pulls hang, %FALSE to let them complete again
 *
 * Pulling @image never finishes: it fails with G_IO_ERROR_CANCELLED when the
 * caller cancels it, and hangs when it cannot.
 *
 * Since: 0.2
 */
void
fleet_fake_runtime_set_pull_hangs (FleetFakeRuntime *self, const char *image, gboolean hangs)
{
  g_return_if_fail (FLEET_IS_FAKE_RUNTIME (self));
  set_flag (self->pull_hangs, image, hangs);
}

/**
 * fleet_fake_runtime_set_start_fails:
 * @self: a #FleetFakeRuntime
 * @image: the image
 * @fails: %TRUE to make the starts fail, %FALSE to let them succeed again
 *
 * Containers of @image are created but fail to start, and stay where they
 * were (created), as when their command cannot be executed.
 *
 * Since: 0.2
 */
void
fleet_fake_runtime_set_start_fails (FleetFakeRuntime *self, const char *image, gboolean fails)
{
  g_return_if_fail (FLEET_IS_FAKE_RUNTIME (self));
  set_flag (self->start_fails, image, fails);
}

/**
 * fleet_fake_runtime_set_ignores_stop_signal:
 * @self: a #FleetFakeRuntime
 * @image: the image
 * @ignores: %TRUE to ignore the stop signal, %FALSE to obey it again
 *
 * Containers of @image ignore every signal but SIGKILL: a stop waits out the
 * grace period and ends with SIGKILL ("kill ID SIGKILL" in the log, exit code
 * 137).
 *
 * Since: 0.2
 */
void
fleet_fake_runtime_set_ignores_stop_signal (FleetFakeRuntime *self, const char *image,
                                            gboolean ignores)
{
  g_return_if_fail (FLEET_IS_FAKE_RUNTIME (self));
  set_flag (self->ignores_stop, image, ignores);
}

/**
 * fleet_fake_runtime_set_exits_at_once:
 * @self: a #FleetFakeRuntime
 * @image: the image
 * @exits: %TRUE to make them exit, %FALSE to let them run again
 *
 * Containers of @image start, then exit with code 1 at once.
 *
 * Since: 0.2
 */
void
fleet_fake_runtime_set_exits_at_once (FleetFakeRuntime *self, const char *image, gboolean exits)
{
  g_return_if_fail (FLEET_IS_FAKE_RUNTIME (self));
  g_return_if_fail (image != NULL);

  if (exits)
    fleet_fake_runtime_set_exit_code (self, image, FAKE_EXIT_CODE_DEFAULT);
  else
    g_hash_table_remove (self->exits_at_once, image);
}

/**
 * fleet_fake_runtime_set_exit_code:
 * @self: a #FleetFakeRuntime
 * @image: the image
 * @exit_code: the exit code
 *
 * Containers of @image start, then exit with @exit_code at once.
 *
 * Since: 0.2
 */
void
fleet_fake_runtime_set_exit_code (FleetFakeRuntime *self, const char *image, int exit_code)
{
  g_return_if_fail (FLEET_IS_FAKE_RUNTIME (self));
  g_return_if_fail (image != NULL);

  g_hash_table_insert (self->exits_at_once, g_strdup (image), GINT_TO_POINTER (exit_code));
}

/**
 * fleet_fake_runtime_set_id_salt:
 * @self: a #FleetFakeRuntime
 * @salt: (nullable): mixed into every new container id, or %NULL for none
 *
 * Container ids are derived from a counter, so two fake runtimes give the
 * same ids; a salt (e.g. the time) keeps runs of `fleetd --runtime fake`
 * apart, where a replacement would otherwise get its old id.
 *
 * Since: 0.2
 */
void
fleet_fake_runtime_set_id_salt (FleetFakeRuntime *self, const char *salt)
{
  g_return_if_fail (FLEET_IS_FAKE_RUNTIME (self));
  g_free (self->id_salt);
  self->id_salt = g_strdup (salt);
}

/**
 * fleet_fake_runtime_set_unreachable:
 * @self: a #FleetFakeRuntime
 * @unreachable: %TRUE to refuse every request, %FALSE to answer again
 *
 * Every request fails with FLEET_ERROR_RUNTIME_UNAVAILABLE.
 *
 * Since: 0.2
 */
void
fleet_fake_runtime_set_unreachable (FleetFakeRuntime *self, gboolean unreachable)
{
  g_return_if_fail (FLEET_IS_FAKE_RUNTIME (self));
  self->unreachable = unreachable;
}

/**
 * fleet_fake_runtime_set_networks_without_dns:
 * @self: a #FleetFakeRuntime
 * @without_dns: whether networks created from now on resolve no names
 *
 * New networks do not resolve names, as under podman's CNI backend without
 * the dnsname plugin.
 *
 * Since: 0.2
 */
void
fleet_fake_runtime_set_networks_without_dns (FleetFakeRuntime *self, gboolean without_dns)
{
  g_return_if_fail (FLEET_IS_FAKE_RUNTIME (self));
  self->networks_without_dns = without_dns;
}

/**
 * fleet_fake_runtime_count_refused:
 * @self: a #FleetFakeRuntime
 *
 * How many requests were refused while unreachable.
 *
 * Returns: the number of refused requests
 *
 * Since: 0.2
 */
guint
fleet_fake_runtime_count_refused (FleetFakeRuntime *self)
{
  g_return_val_if_fail (FLEET_IS_FAKE_RUNTIME (self), 0);
  return self->refused;
}

/**
 * fleet_fake_runtime_set_latency:
 * @self: a #FleetFakeRuntime
 * @msecs: the delay of every request, in milliseconds (0 for none)
 *
 * Every request completes @msecs after it was made.
 *
 * Since: 0.2
 */
void
fleet_fake_runtime_set_latency (FleetFakeRuntime *self, guint msecs)
{
  g_return_if_fail (FLEET_IS_FAKE_RUNTIME (self));
  self->latency_msecs = msecs;
}

/**
 * fleet_fake_runtime_kill_container:
 * @self: a #FleetFakeRuntime
 * @id_or_name: a container's id or name
 * @exit_code: the exit code it dies with
 *
 * The container's process dies with @exit_code, as if it crashed; emits
 * ::container-died when events are watched.
 *
 * Returns: %TRUE when there was such a running (or paused) container
 *
 * Since: 0.2
 */
gboolean
fleet_fake_runtime_kill_container (FleetFakeRuntime *self, const char *id_or_name, int exit_code)
{
  FakeContainer *c;

  g_return_val_if_fail (FLEET_IS_FAKE_RUNTIME (self), FALSE);

  c = _fleet_fake_find (self, id_or_name, NULL);
  if (c == NULL
      || (c->info->state != FLEET_CONTAINER_STATE_RUNNING
          && c->info->state != FLEET_CONTAINER_STATE_PAUSED))
    return FALSE;
  _fleet_fake_exit (self, c, exit_code);
  return TRUE;
}

/* Whether podman's restart policy, as fleet creates containers with it,
 * restarts @c after it exited with its current exit code. */
static gboolean
policy_restarts (FakeContainer *c)
{
  if (c->spec == NULL)
    return FALSE;
  switch (c->spec->restart)
    {
    case FLEET_SERVICE_RESTART_ALWAYS:
      return TRUE;
    case FLEET_SERVICE_RESTART_ON_FAILURE:
      return c->info->exit_code != 0
             && (c->spec->restart_max_retries == 0
                 || c->info->restart_count < c->spec->restart_max_retries);
    case FLEET_SERVICE_RESTART_NO:
    default:
      return FALSE;
    }
}

/* The running container @id_or_name's process dies (exit status 1); NULL
 * when there is no such running container. */
static FakeContainer *
crash (FleetFakeRuntime *self, const char *id_or_name)
{
  FakeContainer *c = _fleet_fake_find (self, id_or_name, NULL);

  if (c == NULL || c->info->state != FLEET_CONTAINER_STATE_RUNNING)
    return NULL;
  _fleet_fake_exit (self, c, FAKE_EXIT_CODE_DEFAULT);
  return c;
}

/**
 * fleet_fake_runtime_restart_by_policy:
 * @self: a #FleetFakeRuntime
 * @id_or_name: a container's id or name
 *
 * The running container's process dies (exit status 1), as in a crash,
 * and the runtime applies the container's restart policy, as podman does
 * with the policy a service's `restart` gives: ::container-died is emitted
 * (when events are watched), and unless the policy leaves it exited it runs
 * again with its restart count one higher.  A container stopped on request
 * is never restarted: it does not run, so this does nothing to it.
 *
 * Returns: %TRUE when there was such a running container
 *
 * Since: 0.2
 */
gboolean
fleet_fake_runtime_restart_by_policy (FleetFakeRuntime *self, const char *id_or_name)
{
  FakeContainer *c;

  g_return_val_if_fail (FLEET_IS_FAKE_RUNTIME (self), FALSE);

  c = crash (self, id_or_name);
  if (c == NULL)
    return FALSE;
  if (!policy_restarts (c))
    return TRUE;
  c->info->restart_count++;
  _fleet_fake_run (self, c);
  return TRUE;
}

/**
 * fleet_fake_runtime_restart_by_policy_late:
 * @self: a #FleetFakeRuntime
 * @id_or_name: a container's id or name
 *
 * As fleet_fake_runtime_restart_by_policy(), but the runtime's restart
 * lands late: the container stays exited until the next start of it, and
 * the restart happens just before that start reaches it, which then finds
 * it running (podman's cleanup process winning the race against a start of
 * fleet's).  A stop meanwhile cancels the restart.
 *
 * Returns: %TRUE when there was such a running container
 *
 * Since: 0.2
 */
gboolean
fleet_fake_runtime_restart_by_policy_late (FleetFakeRuntime *self, const char *id_or_name)
{
  FakeContainer *c;

  g_return_val_if_fail (FLEET_IS_FAKE_RUNTIME (self), FALSE);

  c = crash (self, id_or_name);
  if (c == NULL)
    return FALSE;
  c->restart_due = policy_restarts (c);
  return TRUE;
}

/* The late restart of fleet_fake_runtime_restart_by_policy_late(), if one
 * is due. */
void
_fleet_fake_restart_due (FleetFakeRuntime *self, FakeContainer *c)
{
  if (!c->restart_due)
    return;
  c->restart_due = FALSE;
  if (c->info->state != FLEET_CONTAINER_STATE_EXITED)
    return;
  c->info->restart_count++;
  _fleet_fake_run (self, c);
}

/**
 * fleet_fake_runtime_pause_container:
 * @self: a #FleetFakeRuntime
 * @id_or_name: a container's id or name
 *
 * The running container is frozen, as by `podman pause`.
 *
 * Returns: %TRUE when there was such a running container
 *
 * Since: 0.2
 */
gboolean
fleet_fake_runtime_pause_container (FleetFakeRuntime *self, const char *id_or_name)
{
  FakeContainer *c;

  g_return_val_if_fail (FLEET_IS_FAKE_RUNTIME (self), FALSE);

  c = _fleet_fake_find (self, id_or_name, NULL);
  if (c == NULL || c->info->state != FLEET_CONTAINER_STATE_RUNNING)
    return FALSE;
  c->info->state = FLEET_CONTAINER_STATE_PAUSED;
  return TRUE;
}

/**
 * fleet_fake_runtime_remove_container:
 * @self: a #FleetFakeRuntime
 * @id_or_name: a container's id or name
 *
 * The container disappears, as after `podman rm -f` by someone else.
 *
 * Returns: %TRUE when there was such a container
 *
 * Since: 0.2
 */
gboolean
fleet_fake_runtime_remove_container (FleetFakeRuntime *self, const char *id_or_name)
{
  guint index;

  g_return_val_if_fail (FLEET_IS_FAKE_RUNTIME (self), FALSE);

  if (!_fleet_fake_find (self, id_or_name, &index))
    return FALSE;
  g_ptr_array_remove_index (self->containers, index);
  return TRUE;
}

/**
 * fleet_fake_runtime_half_remove_container:
 * @self: a #FleetFakeRuntime
 * @id_or_name: a container
 *
 * Leave the container as podman does when it is killed in the middle of
 * removing it: still listed, but stopping it or removing it without force
 * fails with %FLEET_ERROR_RUNTIME ("container state improper"); only a
 * forced removal clears it.
 *
 * Returns: %FALSE when there is no such container
 *
 * Since: 0.2
 */
gboolean
fleet_fake_runtime_half_remove_container (FleetFakeRuntime *self, const char *id_or_name)
{
  FakeContainer *c;

  g_return_val_if_fail (FLEET_IS_FAKE_RUNTIME (self), FALSE);
  g_return_val_if_fail (id_or_name != NULL, FALSE);

  c = _fleet_fake_find (self, id_or_name, NULL);
  if (c == NULL)
    return FALSE;
  c->half_removed = TRUE;
  return TRUE;
}

/**
 * fleet_fake_runtime_hold_name:
 * @self: a #FleetFakeRuntime
 * @name: a container name
 *
 * Have @name held by a container the runtime does not list, as podman's
 * storage keeps one after podman was killed in the middle of a create:
 * creating a container of that name fails with %FLEET_ERROR_EXISTS, inspect
 * and list do not see it, and removing @name clears it.
 *
 * Since: 0.2
 */
void
fleet_fake_runtime_hold_name (FleetFakeRuntime *self, const char *name)
{
  g_return_if_fail (FLEET_IS_FAKE_RUNTIME (self));
  g_return_if_fail (name != NULL);

  g_hash_table_insert (self->held_names, g_strdup (name),
                       g_compute_checksum_for_string (G_CHECKSUM_SHA256, name, -1));
}

/**
 * fleet_fake_runtime_add_container:
 * @self: a #FleetFakeRuntime
 * @name: the container's name
 * @image: the image
 * @deployment: (nullable): the fleet.deployment label, or %NULL for a
 *   container fleet did not create
 * @service: (nullable): the fleet.service label, or %NULL
 * @spec_digest: (nullable): the fleet.spec-digest label, or %NULL
 * @running: %TRUE for a running container, %FALSE for an exited one
 *
 * Add a container behind the agent's back, not logged.  Its report does not
 * say which networks it is on (networks is %NULL).
 *
 * Returns: (transfer full): its id
 *
 * Since: 0.2
 */
char *
fleet_fake_runtime_add_container (FleetFakeRuntime *self, const char *name, const char *image,
                                  const char *deployment, const char *service,
                                  const char *spec_digest, gboolean running)
{
  FakeContainer *c;

  g_return_val_if_fail (FLEET_IS_FAKE_RUNTIME (self), NULL);

  c = _fleet_fake_add (self, name, image);
  fleet_container_info_set_label (c->info, FLEET_LABEL_DEPLOYMENT, deployment);
  fleet_container_info_set_label (c->info, FLEET_LABEL_SERVICE, service);
  fleet_container_info_set_label (c->info, FLEET_LABEL_SPEC_DIGEST, spec_digest);
  c->info->state = running ? FLEET_CONTAINER_STATE_RUNNING : FLEET_CONTAINER_STATE_EXITED;
  g_clear_pointer (&c->info->networks, g_strfreev);
  return g_strdup (c->info->id);
}

/**
 * fleet_fake_runtime_lookup:
 * @self: a #FleetFakeRuntime
 * @id_or_name: a container's id or name
 *
 * Returns: (transfer none) (nullable): the container's report, live
 *
 * Since: 0.2
 */
FleetContainerInfo *
fleet_fake_runtime_lookup (FleetFakeRuntime *self, const char *id_or_name)
{
  FakeContainer *c;

  g_return_val_if_fail (FLEET_IS_FAKE_RUNTIME (self), NULL);

  c = _fleet_fake_find (self, id_or_name, NULL);
  return c ? c->info : NULL;
}

/**
 * fleet_fake_runtime_lookup_spec:
 * @self: a #FleetFakeRuntime
 * @id: the container's id
 *
 * Returns: (transfer none) (nullable): the spec the container was created from
 *
 * Since: 0.2
 */
FleetServiceSpec *
fleet_fake_runtime_lookup_spec (FleetFakeRuntime *self, const char *id)
{
  FakeContainer *c;

  g_return_val_if_fail (FLEET_IS_FAKE_RUNTIME (self), NULL);

  c = _fleet_fake_find (self, id, NULL);
  return c ? c->spec : NULL;
}

/**
 * fleet_fake_runtime_count_containers:
 * @self: a #FleetFakeRuntime
 *
 * How many containers the runtime has, in any state.
 *
 * Returns: the number of containers
 *
 * Since: 0.2
 */
guint
fleet_fake_runtime_count_containers (FleetFakeRuntime *self)
{
  g_return_val_if_fail (FLEET_IS_FAKE_RUNTIME (self), 0);

  return self->containers->len;
}
