/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetctl-reconcile.c: `fleetctl reconcile`: ask fleetd to fetch and apply
 * the desired state now, retrying failed deployments, and wait for the
 * outcome: exit 0 when Running, 1 when Failed (or on any error).  fleetd
 * refuses callers other than root, and on the system bus the shipped policy
 * refuses them before fleetd sees the call.
 */
#include "config.h"

#include "fleetctl-common.h"

int
fleetctl_reconcile (FleetctlContext *context, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetAgent1) proxy = NULL;
  g_autofree char *phase = NULL;

  if (!fleetctl_parse_options (context, &argc, &argv, NULL, NULL,
                               "Fetch and apply the desired state now, and wait until the device "
                               "is Running (exit 0) or Failed (exit 1).  Root only.",
                               &error))
    return fleetctl_usage_error ("%s", error->message);
  if (argc > 1)
    return fleetctl_usage_error ("reconcile: unexpected argument \"%s\"", argv[1]);
  proxy = fleetctl_connect (context, &error);
  if (proxy == NULL)
    return fleetctl_fail (error);
  /* Pulling images can take long: wait as long as fleetd works on it. */
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (proxy), G_MAXINT);
  if (!fleet_agent1_call_reconcile_sync (proxy, &phase, NULL, &error))
    {
      /* The bus's AccessDenied text is a dump of the policy rules that
       * matched; say what it means, as fleetd itself would. */
      if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED))
        {
          g_printerr ("fleetctl: Reconcile requires root (refused by the %s bus policy)\n",
                      fleetctl_bus_name (context));
          return FLEETCTL_EXIT_FAILURE;
        }
      return fleetctl_fail (error);
    }
  g_print ("%s\n", phase);
  return g_str_equal (phase, "Running") ? 0 : FLEETCTL_EXIT_FAILURE;
}
