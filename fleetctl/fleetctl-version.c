/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetctl-version.c: `fleetctl version`: the versions of fleetctl and of
 * the running fleetd.  The client's is printed even when fleetd cannot be
 * reached (then exit 1).
 */
#include "config.h"

#include "fleetctl-common.h"

int
fleetctl_version (FleetctlContext *context, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetAgent1) proxy = NULL;
  const char *daemon_version;

  if (!fleetctl_parse_options (context, &argc, &argv, NULL, NULL,
                               "Show the versions of fleetctl and fleetd.", &error))
    return fleetctl_usage_error ("%s", error->message);
  if (argc > 1)
    return fleetctl_usage_error ("version: unexpected argument \"%s\"", argv[1]);
  g_print ("fleetctl %s\n", PACKAGE_VERSION);
  proxy = fleetctl_connect (context, &error);
  if (proxy == NULL)
    return fleetctl_fail (error);
  daemon_version = fleet_agent1_get_version (proxy);
  if (daemon_version == NULL)
    return fleetctl_error ("fleetd on the %s bus did not report its version",
                           fleetctl_bus_name (context));
  g_print ("fleetd %s\n", daemon_version);
  return 0;
}
