/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-test-runtime.c: the runtime's primitives and the service operations
 * run to completion on the main context, for tests.  A call that never
 * completes fails the test after a while instead of hanging the suite.
 */
#include "config.h"

#include "fleet-test-runtime.h"
#include "fleet-test-utils.h"

#define DEADLINE_SECS 180

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **)user_data = g_object_ref (result);
}

static gboolean
on_deadline (gpointer user_data)
{
  g_error ("a runtime call did not complete in %d s", DEADLINE_SECS);
  return G_SOURCE_REMOVE;
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  guint deadline = g_timeout_add_seconds (DEADLINE_SECS, on_deadline, NULL);

  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (deadline);
  return *slot;
}

gboolean
fleet_test_runtime_pull (FleetContainerRuntime *rt, const char *image, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  fleet_container_runtime_pull_image_async (rt, image, NULL, on_done, &result);
  return fleet_container_runtime_pull_image_finish (rt, wait_for (&result), error);
}

char *
fleet_test_runtime_create (FleetContainerRuntime *rt, const char *name, FleetServiceSpec *spec,
                           GHashTable *labels, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  fleet_container_runtime_create_async (rt, name, spec, labels, NULL, on_done, &result);
  return fleet_container_runtime_create_finish (rt, wait_for (&result), error);
}

char *
fleet_test_runtime_create_on_network (FleetContainerRuntime *rt, const char *name,
                                      FleetServiceSpec *spec, GHashTable *labels,
                                      const char *network, const char *alias, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  const char *aliases[] = { alias, NULL };

  fleet_container_runtime_create_on_network_async (rt, name, spec, labels, network, aliases, NULL,
                                                   on_done, &result);
  return fleet_container_runtime_create_finish (rt, wait_for (&result), error);
}

gboolean
fleet_test_runtime_start (FleetContainerRuntime *rt, const char *id, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  fleet_container_runtime_start_async (rt, id, NULL, on_done, &result);
  return fleet_container_runtime_start_finish (rt, wait_for (&result), error);
}

gboolean
fleet_test_runtime_stop (FleetContainerRuntime *rt, const char *id, int signal, int grace_secs,
                         GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  fleet_container_runtime_stop_async (rt, id, signal, grace_secs, NULL, on_done, &result);
  return fleet_container_runtime_stop_finish (rt, wait_for (&result), error);
}

gboolean
fleet_test_runtime_remove (FleetContainerRuntime *rt, const char *id, gboolean force,
                           GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  fleet_container_runtime_remove_async (rt, id, force, NULL, on_done, &result);
  return fleet_container_runtime_remove_finish (rt, wait_for (&result), error);
}

FleetContainerInfo *
fleet_test_runtime_inspect (FleetContainerRuntime *rt, const char *id, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  fleet_container_runtime_inspect_async (rt, id, NULL, on_done, &result);
  return fleet_container_runtime_inspect_finish (rt, wait_for (&result), error);
}

GPtrArray *
fleet_test_runtime_list (FleetContainerRuntime *rt, const char *label, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  fleet_container_runtime_list_async (rt, label, NULL, on_done, &result);
  return fleet_container_runtime_list_finish (rt, wait_for (&result), error);
}

gboolean
fleet_test_runtime_rename (FleetContainerRuntime *rt, const char *id, const char *new_name,
                           GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  fleet_container_runtime_rename_async (rt, id, new_name, NULL, on_done, &result);
  return fleet_container_runtime_rename_finish (rt, wait_for (&result), error);
}

gboolean
fleet_test_runtime_unpause (FleetContainerRuntime *rt, const char *id, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  fleet_container_runtime_unpause_async (rt, id, NULL, on_done, &result);
  return fleet_container_runtime_unpause_finish (rt, wait_for (&result), error);
}

/* The container's state as the runtime reports it; UNKNOWN when it does not
 * exist.  Any other failure fails the test. */
gboolean
fleet_test_runtime_network_ensure (FleetContainerRuntime *rt, const char *name,
                                   gboolean *out_dns_enabled, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  fleet_container_runtime_network_ensure_async (rt, name, NULL, NULL, on_done, &result);
  return fleet_container_runtime_network_ensure_finish (rt, wait_for (&result), out_dns_enabled,
                                                        error);
}

/* @alias: (nullable) */
gboolean
fleet_test_runtime_network_connect (FleetContainerRuntime *rt, const char *network,
                                    const char *id, const char *alias, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  const char *aliases[] = { alias, NULL };

  fleet_container_runtime_network_connect_async (rt, network, id, aliases, NULL, on_done, &result);
  return fleet_container_runtime_network_connect_finish (rt, wait_for (&result), error);
}

gboolean
fleet_test_runtime_network_disconnect (FleetContainerRuntime *rt, const char *network,
                                       const char *id, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  fleet_container_runtime_network_disconnect_async (rt, network, id, NULL, on_done, &result);
  return fleet_container_runtime_network_disconnect_finish (rt, wait_for (&result), error);
}

gboolean
fleet_test_runtime_network_remove (FleetContainerRuntime *rt, const char *name, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  fleet_container_runtime_network_remove_async (rt, name, NULL, on_done, &result);
  return fleet_container_runtime_network_remove_finish (rt, wait_for (&result), error);
}

FleetContainerState
fleet_test_runtime_state (FleetContainerRuntime *rt, const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetContainerInfo) info = fleet_test_runtime_inspect (rt, id, &error);

  if (g_error_matches (error, FLEET_ERROR, FLEET_ERROR_NOT_FOUND))
    return FLEET_CONTAINER_STATE_UNKNOWN;
  g_assert_no_error (error);
  return info->state;
}

/* Wait, running the main context, until the container reaches @state. */
gboolean
fleet_test_runtime_wait_for_state (FleetContainerRuntime *rt, const char *id,
                                   FleetContainerState state, guint timeout_secs)
{
  gint64 deadline = g_get_monotonic_time () + timeout_secs * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      if (fleet_test_runtime_state (rt, id) == state)
        return TRUE;
      fleet_test_sleep_ms (50);
    }
  return fleet_test_runtime_state (rt, id) == state;
}

char *
fleet_test_service_start (FleetContainerRuntime *rt, FleetServiceSpec *spec, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  _fleet_service_start (rt, spec, NULL, on_done, &result);
  return _fleet_service_start_finish (rt, wait_for (&result), error);
}

gboolean
fleet_test_service_stop (FleetContainerRuntime *rt, const char *id, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  _fleet_service_stop (rt, id, NULL, on_done, &result);
  return _fleet_service_stop_finish (rt, wait_for (&result), error);
}

char *
fleet_test_service_ensure_running (FleetContainerRuntime *rt, FleetServiceSpec *spec,
                                   const char *id, FleetLivenessAction *out_action,
                                   GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  _fleet_service_ensure_running (rt, spec, id, NULL, on_done, &result);
  return _fleet_service_ensure_running_finish (rt, wait_for (&result), out_action, error);
}
