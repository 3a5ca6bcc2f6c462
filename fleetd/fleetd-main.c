/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-main.c: the entry point of fleetd, the edge-device container
 * agent: read the settings, then hand over to fleetd-daemon.c.
 */
#include "config.h"

#include <locale.h>

#include "fleetd-config.h"
#include "fleetd-daemon.h"
#include "fleetd-log.h"

int
main (int argc, char **argv)
{
  g_autoptr(FleetdConfig) config = fleetd_config_new ();
  g_autoptr(GError) error = NULL;

  setlocale (LC_ALL, "");
  g_set_prgname ("fleetd");
  g_log_set_writer_func (fleetd_log_writer, NULL, NULL);

  if (!fleetd_config_parse (config, &argc, &argv, FLEETD_DEFAULT_CONFIG_FILE, &error))
    {
      g_printerr ("fleetd: %s\n", error->message);
      return FLEETD_EXIT_USAGE;
    }
  if (config->version)
    {
      g_print ("fleetd %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (!fleetd_config_resolve_device_id (config, FLEETD_DEFAULT_MACHINE_ID_FILE, &error)
      || !fleetd_config_check_complete (config, &error))
    {
      g_printerr ("fleetd: %s\n", error->message);
      return FLEETD_EXIT_USAGE;
    }
  return fleetd_daemon_run (config);
}
