/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-error.c: the FLEET_ERROR domain.  Every code has a D-Bus error name,
 * registered with the domain, so an error raised in fleetd reaches fleetctl
 * as the same domain and code with the daemon's message.
 */
#include "config.h"

#include <gio/gio.h>

#include "fleet-error.h"

static const GDBusErrorEntry fleet_error_entries[] = {
  { FLEET_ERROR_FAILED, "dev.fleet.Error.Failed" },
  { FLEET_ERROR_INVALID_DOCUMENT, "dev.fleet.Error.InvalidDocument" },
  { FLEET_ERROR_GENERATION_BACKWARDS, "dev.fleet.Error.GenerationBackwards" },
  { FLEET_ERROR_TOO_LARGE, "dev.fleet.Error.TooLarge" },
  { FLEET_ERROR_NOT_FOUND, "dev.fleet.Error.NotFound" },
  { FLEET_ERROR_RUNTIME_UNAVAILABLE, "dev.fleet.Error.RuntimeUnavailable" },
  { FLEET_ERROR_RUNTIME, "dev.fleet.Error.Runtime" },
  { FLEET_ERROR_PULL_FAILED, "dev.fleet.Error.PullFailed" },
  { FLEET_ERROR_START_FAILED, "dev.fleet.Error.StartFailed" },
  { FLEET_ERROR_FETCH_FAILED, "dev.fleet.Error.FetchFailed" },
  { FLEET_ERROR_STATE_CORRUPT, "dev.fleet.Error.StateCorrupt" },
  { FLEET_ERROR_PERMISSION_DENIED, "dev.fleet.Error.PermissionDenied" },
  { FLEET_ERROR_BUSY, "dev.fleet.Error.Busy" },
  { FLEET_ERROR_INVALID_ARGUMENT, "dev.fleet.Error.InvalidArgument" },
  { FLEET_ERROR_STATE_UNSUPPORTED, "dev.fleet.Error.StateUnsupported" },
  { FLEET_ERROR_BAD_SIGNATURE, "dev.fleet.Error.BadSignature" },
  { FLEET_ERROR_STALE_DOCUMENT, "dev.fleet.Error.StaleDocument" },
  { FLEET_ERROR_EXISTS, "dev.fleet.Error.Exists" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (fleet_error_entries) == FLEET_ERROR_LAST + 1);

/**
 * fleet_error_quark:
 *
 * The error domain of libfleet, %FLEET_ERROR.  Its codes map to D-Bus error
 * names (`dev.fleet.Error.*`).
 *
 * Returns: the quark of the error domain
 *
 * Since: 0.2
 */
GQuark
fleet_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("fleet-error-quark", &quark, fleet_error_entries,
                                      G_N_ELEMENTS (fleet_error_entries));
  return (GQuark) quark;
}
