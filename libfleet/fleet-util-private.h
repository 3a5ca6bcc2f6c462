/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-util-private.h: small helpers used across libfleet, fleetd and
 * fleetctl.  Not installed; everything here is static inline so that none of
 * it becomes part of libfleet's ABI.
 */
#pragma once

#include <gio/gio.h>
#include <string.h>

#include "fleet.h"

G_BEGIN_DECLS

/* Set @error to FLEET_ERROR/@code with a printf-style message and return
 * FALSE, so a check reads as one line: `return fleet_throw (error, ...);`.
 */
static inline gboolean G_GNUC_PRINTF (3, 4)
fleet_throw (GError **error, FleetError code, const char *format, ...)
{
  va_list args;

  if (error == NULL)
    return FALSE;
  va_start (args, format);
  *error = g_error_new_valist (FLEET_ERROR, code, format, args);
  va_end (args);
  return FALSE;
}

/* The same, for functions that return a pointer. */
#define fleet_null_throw(error, code, ...) \
  (fleet_throw ((error), (code), __VA_ARGS__), NULL)

/* Prefix the message of *@error with "@prefix: " and return FALSE. */
static inline gboolean
fleet_prefix_error (GError **error, const char *prefix)
{
  if (error != NULL && *error != NULL)
    g_prefix_error (error, "%s: ", prefix);
  return FALSE;
}

/* "2026-11-27T12:00:00Z" for @dt, or for now when @dt is NULL. */
static inline char *
fleet_format_timestamp (GDateTime *dt)
{
  g_autoptr(GDateTime) utc = dt ? g_date_time_to_utc (dt) : g_date_time_new_now_utc ();

  return g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");
}

/* "sha256:" + lower-case hex of @data. */
static inline char *
fleet_sha256_digest (const void *data, gsize len)
{
  g_autofree char *hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, len);

  return g_strconcat ("sha256:", hex, NULL);
}

/* TRUE when @s is a 64-character lower-case hex string, as container ids are. */
static inline gboolean
fleet_is_container_id (const char *s)
{
  gsize i;

  if (s == NULL)
    return FALSE;
  for (i = 0; s[i] != '\0'; i++)
    if (!g_ascii_isdigit (s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
      return FALSE;
  return i == 64;
}

/* Messages and log lines quote what documents and runtimes say (names,
 * keys, values, errors), which may hold newlines or other control
 * characters: escape them (and bytes that are not UTF-8) so that every
 * message stays one line, as logs and `fleetctl` print it. */
static inline char *
fleet_escape_controls (const char *message)
{
  GString *out = g_string_sized_new (strlen (message));
  const char *valid_end = message;

  g_utf8_validate (message, -1, &valid_end);
  for (const unsigned char *p = (const unsigned char *) message; *p; p++)
    {
      if ((const char *) p >= valid_end && *p >= 0x80)
        g_string_append_printf (out, "\\x%02x", *p);
      else if (*p == '\n')
        g_string_append (out, "\\n");
      else if (*p == '\t')
        g_string_append (out, "\\t");
      else if (*p == '\r')
        g_string_append (out, "\\r");
      else if (*p < 0x20 || *p == 0x7f)
        g_string_append_printf (out, "\\x%02x", *p);
      else
        g_string_append_c (out, (char) *p);
    }
  return g_string_free (out, FALSE);
}

/* A value for a key=value log line: in double quotes, with quotes and
 * backslashes escaped and the line kept one line. */
static inline char *
fleet_log_quote (const char *value)
{
  g_autofree char *one_line = fleet_escape_controls (value ? value : "");
  GString *out = g_string_new ("\"");

  for (const char *p = one_line; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

/* A record for the operator, named by @action (FLEET_ACTION): at debug
 * level, since libfleet never writes to a program's stderr by itself;
 * fleetd's log writer raises it. */
#define fleet_log_notice(action, ...)                                                      \
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_DEBUG, "FLEET_ACTION", (action), "MESSAGE",  \
                    __VA_ARGS__)

/* Finish a GTask that returns a FleetPhase with g_task_return_int(). */
static inline gboolean
fleet_task_propagate_phase (GTask *task, FleetPhase *out_phase, GError **error)
{
  gssize phase = g_task_propagate_int (task, error);

  if (phase < 0)
    return FALSE;
  if (out_phase)
    *out_phase = (FleetPhase) phase;
  return TRUE;
}

G_END_DECLS
