/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-reconciler-fixture.h: what the reconciler's test programs share:
 * a reconciler over the fake runtime with a state directory, a document,
 * and looks at the fake runtime's call log. */
#pragma once

#include <glib/gstdio.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "fleet-test-utils.h"
#include "fleet-util-private.h"

#define DOC_TMPL                                                                           \
  "{\"generation\":%d,\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{"          \
  "\"services\":[{\"name\":\"web\",\"image\":\"localhost/hello:%s\","                        \
  "\"env\":{\"GREETING\":\"%s\",\"MODE\":\"prod\"},"                                         \
  "\"volumes\":[\"/srv/hello:/data:ro\",\"hello-cache:/cache\"],"                            \
  "\"ports\":[\"8080:8080\"]}],"                                                             \
  "\"lifecycle\":{\"stop_signal\":\"%s\",\"grace_period_secs\":%d}}}}}"

typedef struct
{
  FleetFakeRuntime *runtime;
  FleetReconciler *reconciler;
  char *state_dir;
} Fixture;

static inline void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->runtime = fleet_fake_runtime_new ();
  f->state_dir = fleet_test_make_tmpdir ();
  f->reconciler = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
  fleet_reconciler_set_retry_backoff (f->reconciler, 10, 40);
}

static inline void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->reconciler);
  g_clear_object (&f->runtime);
  fleet_test_rm_rf (f->state_dir);
  g_free (f->state_dir);
}

static inline FleetDocument *
hello_doc (int generation, const char *version, const char *greeting, const char *signal,
           int grace)
{
  g_autofree char *json = g_strdup_printf (DOC_TMPL, generation, version, greeting, signal, grace);

  return fleet_test_document (json);
}

static inline guint
count_calls_matching (FleetFakeRuntime *runtime, const char *prefix)
{
  GPtrArray *calls = fleet_fake_runtime_get_calls (runtime);
  guint n = 0;

  for (guint i = 0; i < calls->len; i++)
    if (g_str_has_prefix (calls->pdata[i], prefix))
      n++;
  return n;
}

static inline int
call_index (FleetFakeRuntime *runtime, const char *call)
{
  GPtrArray *calls = fleet_fake_runtime_get_calls (runtime);

  for (guint i = 0; i < calls->len; i++)
    if (g_str_equal (calls->pdata[i], call))
      return (int) i;
  return -1;
}

static inline void
assert_calls (FleetFakeRuntime *runtime, const char *const *expected)
{
  GPtrArray *calls = fleet_fake_runtime_get_calls (runtime);
  g_autofree char *log = fleet_fake_runtime_format_calls (runtime);
  guint n = g_strv_length ((char **) expected);

  if (calls->len != n)
    g_error ("expected %u runtime calls, got %u:\n%s", n, calls->len, log);
  for (guint i = 0; i < n; i++)
    if (!g_str_equal (calls->pdata[i], expected[i]))
      g_error ("call %u: expected \"%s\", got:\n%s", i, expected[i], log);
}

static inline const FleetDeploymentRecord *
record (Fixture *f, const char *deployment)
{
  return fleet_state_lookup_deployment (fleet_reconciler_get_state (f->reconciler), deployment);
}

static inline void
on_shutdown (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_assert_true (fleet_reconciler_shutdown_finish (FLEET_RECONCILER (source), result, NULL));
  *(gboolean *) user_data = TRUE;
}

/* An apply that a shutdown cut short reports the shutdown. */
static inline void
on_applied_cancelled (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (fleet_reconciler_apply_finish (FLEET_RECONCILER (source), result, NULL,
                                                 &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  *(gboolean *) user_data = TRUE;
}
