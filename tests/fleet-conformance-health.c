/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-conformance-health.c: the conformance cases of run_healthcheck
 * (tests/test-runtime-conformance.c runs them against every backend).
 *
 * A check that fails is one whose command exits 1 in the container
 * (podman), or, to the fake, one of an image set to fail its checks: the
 * fake knows nothing of what runs inside.  The checks' timeout is below
 * the second podman accepts: the runtime must still create them.
 */
#include "config.h"

#include "fleet-conformance.h"
#include "fleet-test-utils.h"

static FleetServiceSpec *
checked_spec (ConfFixture *f, const char *test)
{
  g_autofree char *json = g_strdup_printf (
      "{\"deployments\":{\"conf\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":"
      "\"svc\",\"image\":\"localhost/fleet-test:signals\",\"healthcheck\":{\"test\":%s,"
      "\"timeout\":\"500ms\"}}]}}}}",
      test);
  FleetDocument *document = fleet_test_document (json);

  g_ptr_array_add (f->documents, document);
  return fleet_document_lookup_service (document, "conf", "svc");
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Run @spec's check once against @id: whether it ran, passed, and its output. */
static gboolean
run_check (ConfFixture *f, const char *id, FleetServiceSpec *spec, gboolean *out_passed,
           char **out_output, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  fleet_container_runtime_run_healthcheck_async (f->rt, id, spec->healthcheck, NULL, on_done,
                                                 &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return fleet_container_runtime_run_healthcheck_finish (f->rt, result, out_passed, out_output,
                                                         error);
}

void
conf_test_healthcheck_passes (ConfFixture *f, gconstpointer data)
{
  FleetServiceSpec *spec = checked_spec (f, "[\"CMD-SHELL\",\"echo fine\"]");
  g_autofree char *id = conf_run (f, "conf_svc", spec, "conf");
  g_autofree char *output = NULL;
  g_autoptr(GError) error = NULL;
  gboolean passed = FALSE;

  g_assert_true (run_check (f, id, spec, &passed, &output, &error));
  g_assert_no_error (error);
  g_assert_true (passed);
  g_assert_nonnull (output);
}

void
conf_test_healthcheck_fails (ConfFixture *f, gconstpointer data)
{
  FleetServiceSpec *spec = checked_spec (f, "[\"CMD\",\"false\"]");
  g_autofree char *id = conf_run (f, "conf_svc", spec, "conf");
  g_autofree char *output = NULL;
  g_autoptr(GError) error = NULL;
  gboolean passed = TRUE;

  if (f->fake != NULL)
    fleet_fake_runtime_set_unhealthy (f->fake, spec->image, "");
  g_assert_true (run_check (f, id, spec, &passed, &output, &error));
  g_assert_no_error (error);
  g_assert_false (passed);
  /* the container is not affected */
  g_assert_cmpint (conf_state (f, id), ==, FLEET_CONTAINER_STATE_RUNNING);
}

/* A check cannot run in a container that is not running, nor in one that
 * does not exist. */
void
conf_test_healthcheck_not_running (ConfFixture *f, gconstpointer data)
{
  FleetServiceSpec *spec = checked_spec (f, "[\"CMD\",\"true\"]");
  g_autofree char *id = conf_create (f, "conf_svc", spec, "conf");
  g_autoptr(GError) error = NULL;
  gboolean passed = TRUE;

  g_assert_false (run_check (f, id, spec, &passed, NULL, &error));
  conf_assert_error (error, FLEET_ERROR_RUNTIME);
  g_clear_error (&error);
  g_assert_false (run_check (f, CONF_NO_SUCH_ID, spec, &passed, NULL, &error));
  conf_assert_error (error, FLEET_ERROR_NOT_FOUND);
}
