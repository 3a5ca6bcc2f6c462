/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-runtime.c: the container runtime fleetd drives: podman, through
 * its REST API socket, or the in-memory fake runtime of libfleet.
 *
 * Test hook: the fake runtime cannot be told to fail from the command line,
 * so with --runtime fake (only) fleetd reads FLEET_TEST_FAKE_PULL_FAILS,
 * FLEET_TEST_FAKE_START_FAILS and FLEET_TEST_FAKE_EXITS, comma-separated
 * lists of images whose pull fails, whose start fails, or whose containers
 * exit as soon as they started.  They exist for tests/test-daemon.c and do nothing for
 * the podman runtime.
 */
#include "config.h"

#include "fleetd-runtime.h"
#include "fleet-util-private.h"

typedef void (*SetFailsFunc) (FleetFakeRuntime *self, const char *image, gboolean fails);

static void
apply_test_faults (FleetFakeRuntime *runtime, const char *variable, SetFailsFunc set_fails)
{
  const char *value = g_getenv (variable);
  g_auto(GStrv) images = NULL;

  if (value == NULL || *value == '\0')
    return;
  images = g_strsplit (value, ",", -1);
  for (guint i = 0; images[i] != NULL; i++)
    if (*images[i] != '\0')
      set_fails (runtime, images[i], TRUE);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                    "fake runtime: %s=%s (test hook)", variable, value);
}

static FleetContainerRuntime *
new_fake_runtime (void)
{
  g_autoptr(FleetFakeRuntime) runtime = fleet_fake_runtime_new ();
  g_autofree char *salt = g_strdup_printf ("%" G_GINT64_FORMAT "-", g_get_real_time ());

  fleet_fake_runtime_set_id_salt (runtime, salt);

  apply_test_faults (runtime, "FLEET_TEST_FAKE_PULL_FAILS", fleet_fake_runtime_set_pull_fails);
  apply_test_faults (runtime, "FLEET_TEST_FAKE_START_FAILS", fleet_fake_runtime_set_start_fails);
  apply_test_faults (runtime, "FLEET_TEST_FAKE_EXITS", fleet_fake_runtime_set_exits_at_once);
  return FLEET_CONTAINER_RUNTIME (g_steal_pointer (&runtime));
}

/**
 * fleetd_runtime_new:
 *
 * Returns: (transfer full): the runtime @config asks for, or %NULL with an
 *   error when it cannot be used
 */
FleetContainerRuntime *
fleetd_runtime_new (const FleetdConfig *config, GError **error)
{
  switch (config->runtime)
    {
    case FLEETD_RUNTIME_FAKE:
      return new_fake_runtime ();
    case FLEETD_RUNTIME_PODMAN:
    default:
      /* A socket that is missing or dead is not fatal here: the reconciler
       * reports FLEET_ERROR_RUNTIME_UNAVAILABLE and backs off until podman
       * (or its socket unit) is up. */
      {
        FleetPodmanRuntime *podman = fleet_podman_runtime_new (config->podman_socket);

        fleet_podman_runtime_set_registry_auth_file (podman, config->registry_auth_file);
        return FLEET_CONTAINER_RUNTIME (podman);
      }
    }
}
