/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-conformance.c: the two backends of tests/test-runtime-conformance.c
 * and what its cases share.
 *
 * The fake is told what the test images of tests/images/build-images.sh do;
 * podman runs them.  Behind the runtime's back, the fake is poked through its
 * knobs and podman through its CLI.
 */
#include "config.h"

#include <signal.h>

#include "fleet-conformance.h"
#include "fleet-test-runtime.h"
#include "fleet-test-utils.h"
#include "fleet-util-private.h"

/* The fake: images behave as tests/images/build-images.sh makes them. */

static gboolean
fake_setup (ConfFixture *f)
{
  f->fake = fleet_fake_runtime_new ();
  fleet_fake_runtime_set_ignores_stop_signal (f->fake, "localhost/fleet-test:ignore-term", TRUE);
  fleet_fake_runtime_set_exit_code (f->fake, "localhost/fleet-test:exits", 3);
  fleet_fake_runtime_set_start_fails (f->fake, "localhost/fleet-test:broken", TRUE);
  fleet_fake_runtime_set_pull_fails (f->fake, "localhost/fleet-test:missing", TRUE);
  f->rt = FLEET_CONTAINER_RUNTIME (g_object_ref (f->fake));
  return TRUE;
}

static void
fake_teardown (ConfFixture *f)
{
  g_clear_object (&f->fake);
}

static void
fake_settle (ConfFixture *f, const char *id)
{
}

static void
fake_pause (ConfFixture *f, const char *id)
{
  g_assert_true (fleet_fake_runtime_pause_container (f->fake, id));
}

static void
fake_crash (ConfFixture *f, const char *id)
{
  g_assert_true (fleet_fake_runtime_kill_container (f->fake, id, 128 + SIGKILL));
}

static gboolean
fake_hold_name (ConfFixture *f, const char *name, const char *image)
{
  fleet_fake_runtime_hold_name (f->fake, name);
  return TRUE;
}

/* Podman: the real thing, sabotaged through its CLI. */

static gboolean
podman_setup (ConfFixture *f)
{
  f->h = fleet_podman_harness_require ();
  if (f->h == NULL)
    return FALSE;
  f->rt = FLEET_CONTAINER_RUNTIME (fleet_podman_runtime_new (fleet_podman_harness_get_socket (f->h)));
  return TRUE;
}

static void
podman_teardown (ConfFixture *f)
{
  fleet_podman_harness_reset (f->h);
}

static void
podman_settle (ConfFixture *f, const char *id)
{
  fleet_podman_harness_wait_for_signal_handlers (f->h, id);
}

static void
podman_cli (ConfFixture *f, const char *verb, const char *id)
{
  g_autoptr(GError) error = NULL;

  fleet_podman_harness_podman (f->h, NULL, &error, verb, id, NULL);
  g_assert_no_error (error);
}

static void
podman_pause (ConfFixture *f, const char *id)
{
  podman_cli (f, "pause", id);
}

static void
podman_crash (ConfFixture *f, const char *id)
{
  podman_cli (f, "kill", id);
}

static gboolean
podman_hold_name (ConfFixture *f, const char *name, const char *image)
{
  g_autoptr(GError) error = NULL;

  if (fleet_podman_harness_hold_name (f->h, name, image, &error))
    return TRUE;
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_test_skip (error->message);
  return FALSE;
}

const ConfBackend conf_backends[] = {
  { "fake", fake_setup, fake_teardown, fake_settle, fake_pause, fake_crash, fake_hold_name },
  { "podman", podman_setup, podman_teardown, podman_settle, podman_pause, podman_crash,
    podman_hold_name },
};

void
conf_fixture_setup (ConfFixture *f, const ConfBackend *backend)
{
  f->backend = backend;
  f->documents = g_ptr_array_new_with_free_func ((GDestroyNotify)fleet_document_unref);
  f->deaths = g_ptr_array_new_with_free_func (g_free);
  if (!f->backend->setup (f))
    g_clear_object (&f->rt);
}

void
conf_fixture_teardown (ConfFixture *f)
{
  if (f->rt != NULL)
    {
      g_signal_handlers_disconnect_by_data (f->rt, f);
      f->backend->teardown (f);
    }
  g_clear_object (&f->rt);
  g_ptr_array_unref (f->documents);
  g_ptr_array_unref (f->deaths);
}

/* Helpers. */

/* A service "conf/svc" from localhost/fleet-test:@tag with that lifecycle
 * and @restart (NULL: the default, "always"); valid as long as the
 * fixture. */
FleetServiceSpec *
conf_spec_restart (ConfFixture *f, const char *tag, const char *signal, int grace,
                   const char *restart)
{
  g_autofree char *restart_member
      = restart != NULL ? g_strdup_printf (",\"restart\":\"%s\"", restart) : g_strdup ("");
  g_autofree char *json = g_strdup_printf (
      "{\"deployments\":{\"conf\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":"
      "\"svc\",\"image\":\"localhost/fleet-test:%s\"%s}],\"lifecycle\":{\"stop_signal\":"
      "\"%s\",\"grace_period_secs\":%d}}}}}",
      tag, restart_member, signal, grace);
  FleetDocument *document = fleet_test_document (json);

  g_ptr_array_add (f->documents, document);
  return fleet_document_lookup_service (document, "conf", "svc");
}

FleetServiceSpec *
conf_spec (ConfFixture *f, const char *tag, const char *signal, int grace)
{
  return conf_spec_restart (f, tag, signal, grace, NULL);
}

/* The labels a caller gives: fleet's, for @deployment (NULL: none), and one
 * of its own. */
GHashTable *
conf_labels (const char *deployment, FleetServiceSpec *spec)
{
  GHashTable *labels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_hash_table_insert (labels, g_strdup ("conformance"), g_strdup ("yes"));
  if (deployment != NULL)
    {
      g_hash_table_insert (labels, g_strdup (FLEET_LABEL_DEPLOYMENT), g_strdup (deployment));
      g_hash_table_insert (labels, g_strdup (FLEET_LABEL_SERVICE), g_strdup (spec->name));
      g_hash_table_insert (labels, g_strdup (FLEET_LABEL_SPEC_DIGEST), g_strdup (spec->digest));
    }
  return labels;
}

char *
conf_create (ConfFixture *f, const char *name, FleetServiceSpec *spec, const char *deployment)
{
  g_autoptr(GHashTable) labels = conf_labels (deployment, spec);
  g_autoptr(GError) error = NULL;
  char *id = fleet_test_runtime_create (f->rt, name, spec, labels, &error);

  g_assert_no_error (error);
  g_assert_true (fleet_is_container_id (id));
  return id;
}

/* Created, started, and ready for signals. */
char *
conf_run (ConfFixture *f, const char *name, FleetServiceSpec *spec, const char *deployment)
{
  g_autoptr(GError) error = NULL;
  char *id = conf_create (f, name, spec, deployment);

  g_assert_true (fleet_test_runtime_start (f->rt, id, &error));
  g_assert_no_error (error);
  f->backend->settle (f, id);
  return id;
}

FleetContainerInfo *
conf_inspect (ConfFixture *f, const char *id)
{
  g_autoptr(GError) error = NULL;
  FleetContainerInfo *info = fleet_test_runtime_inspect (f->rt, id, &error);

  g_assert_no_error (error);
  return info;
}

FleetContainerState
conf_state (ConfFixture *f, const char *id)
{
  return fleet_test_runtime_state (f->rt, id);
}

int
conf_exit_code (ConfFixture *f, const char *id)
{
  g_autoptr(FleetContainerInfo) info = conf_inspect (f, id);

  g_assert_cmpint (info->state, ==, FLEET_CONTAINER_STATE_EXITED);
  return info->exit_code;
}

/* @error is @code, on one line. */
void
conf_assert_error (GError *error, FleetError code)
{
  g_assert_error (error, FLEET_ERROR, (int)code);
  g_test_message ("%s", error->message);
  g_assert_null (strchr (error->message, '\n'));
}

void
conf_stop_ok (ConfFixture *f, const char *id, int signal, int grace)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (fleet_test_runtime_stop (f->rt, id, signal, grace, &error));
  g_assert_no_error (error);
}

FleetContainerInfo *
conf_find (GPtrArray *list, const char *id)
{
  for (guint i = 0; i < list->len; i++)
    if (g_str_equal (((FleetContainerInfo *)list->pdata[i])->id, id))
      return list->pdata[i];
  return NULL;
}

GPtrArray *
conf_list (ConfFixture *f, const char *label)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *containers = fleet_test_runtime_list (f->rt, label, &error);

  g_assert_no_error (error);
  return containers;
}

/* Events. */

static void
on_died (FleetContainerRuntime *runtime, const char *id, const char *deployment,
         const char *service, gpointer user_data)
{
  ConfFixture *f = user_data;

  g_ptr_array_add (f->deaths, g_strdup_printf ("%s %s/%s", id, deployment, service));
}

void
conf_watch (ConfFixture *f)
{
  g_signal_connect (f->rt, "container-died", G_CALLBACK (on_died), f);
  fleet_container_runtime_watch_events (f->rt);
}

/* How @id was reported dead ("ID DEPLOYMENT/SERVICE"), or NULL.  Podman
 * replays the events of the second the watch began in, so others' deaths
 * may be there too. */
const char *
conf_died (ConfFixture *f, const char *id)
{
  for (guint i = 0; i < f->deaths->len; i++)
    if (g_str_has_prefix (f->deaths->pdata[i], id))
      return f->deaths->pdata[i];
  return NULL;
}

void
conf_wait_for_death (ConfFixture *f, const char *id)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (conf_died (f, id) == NULL && g_get_monotonic_time () < deadline)
    fleet_test_sleep_ms (20);
  g_assert_nonnull (conf_died (f, id));
}

