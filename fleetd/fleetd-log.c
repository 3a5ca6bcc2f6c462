/* fleetd-log.c: fleetd's structured action log: one line per action, with
 * the action also as a journal field (FLEET_ACTION), like the reconciler's.
 */
#include "config.h"

#include "fleetd-log.h"

void
fleetd_log_event (GLogLevelFlags level, const char *action, const char *format, ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);
  g_log_structured (G_LOG_DOMAIN, level, "FLEET_ACTION", action, "MESSAGE", "action=%s %s",
                    action, detail);
}
