/* fleetd-log.h: fleetd's structured action log. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void fleetd_log_event (GLogLevelFlags level, const char *action, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

G_END_DECLS
