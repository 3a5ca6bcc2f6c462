/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetctl-reconcile.c: `fleetctl reconcile`: ask fleetd to fetch and apply
 * the desired state now, retrying failed deployments, and wait for the
 * outcome: exit 0 when Running, 1 when Failed (or on any error).  fleetd
 * allows root, and asks polkit about anyone else; from a terminal, polkit
 * may ask for a password, through the user's authentication agent.
 */
#include "config.h"

#include <unistd.h>

#include "fleetctl-common.h"

int
fleetctl_reconcile (FleetctlContext *context, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetAgent1) proxy = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *phase = NULL;
  /* A script must not wait for a password prompt; a person may answer one. */
  GDBusCallFlags flags = isatty (STDIN_FILENO) ? G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION
                                               : G_DBUS_CALL_FLAGS_NONE;

  if (!fleetctl_parse_options (context, &argc, &argv, NULL, NULL,
                               "Fetch and apply the desired state now, and wait until the device "
                               "is Running (exit 0) or Failed (exit 1).  For root, and whom "
                               "polkit authorizes (dev.fleet.reconcile).",
                               &error))
    return fleetctl_usage_error ("%s", error->message);
  if (argc > 1)
    return fleetctl_usage_error ("reconcile: unexpected argument \"%s\"", argv[1]);
  proxy = fleetctl_connect (context, &error);
  if (proxy == NULL)
    return fleetctl_fail (error);
  /* Pulling images can take long: wait as long as fleetd works on it. */
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (proxy), G_MAXINT);
  reply = g_dbus_proxy_call_sync (G_DBUS_PROXY (proxy), "Reconcile", NULL, flags, -1, NULL,
                                  &error);
  if (reply == NULL)
    {
      /* The shipped policy lets the call through to fleetd, which decides;
       * a stricter local one refuses it at the bus, whose AccessDenied text
       * is a dump of the rules that matched.  Say what it means instead. */
      if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED))
        {
          g_printerr ("fleetctl: Reconcile is refused by the %s bus policy\n",
                      fleetctl_bus_name (context));
          return FLEETCTL_EXIT_FAILURE;
        }
      return fleetctl_fail (error);
    }
  g_variant_get (reply, "(s)", &phase);
  g_print ("%s\n", phase);
  return g_str_equal (phase, "Running") ? 0 : FLEETCTL_EXIT_FAILURE;
}
