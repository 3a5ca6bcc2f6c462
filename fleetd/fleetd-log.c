/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-log.c: fleetd's structured action log: one line per action, with
 * the action also as a journal field (FLEET_ACTION), like the reconciler's.
 *
 * libfleet logs at debug level only, so that a program using the library
 * gets nothing on its stderr; its action records carry FLEET_ACTION.  The
 * writer installed by fleetd raises those to what they mean to an
 * operator: failures at warning, the rest at notice (GLib's "Message").
 * In the journal every record gets SYSLOG_IDENTIFIER=fleetd (so that
 * `journalctl -t fleetd` finds it), no empty field, and a stable
 * MESSAGE_ID for a converged deployment, a failed one and a rejected
 * document.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <fleet.h>

#include "fleetd-log.h"

static void
log_event (GLogLevelFlags level, const char *action, const char *message_id, const char *detail)
{
  const GLogField fields[] = {
    { "GLIB_DOMAIN", G_LOG_DOMAIN, -1 },
    { "MESSAGE", NULL, -1 },
    { "FLEET_ACTION", action, -1 },
    { "MESSAGE_ID", message_id, -1 },
  };
  g_autofree char *message = g_strdup_printf ("action=%s %s", action, detail);
  GLogField copy[G_N_ELEMENTS (fields)];

  memcpy (copy, fields, sizeof fields);
  copy[1].value = message;
  g_log_structured_array (level, copy, message_id ? G_N_ELEMENTS (copy) : G_N_ELEMENTS (copy) - 1);
}

void
fleetd_log_event (GLogLevelFlags level, const char *action, const char *format, ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);
  log_event (level, action, NULL, detail);
}

void
fleetd_log_event_with_id (GLogLevelFlags level, const char *action, const char *message_id,
                          const char *format, ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);
  log_event (level, action, message_id, detail);
}

/**
 * fleetd_log_message_id_for_error:
 *
 * Returns: (nullable): the MESSAGE_ID for a fetch that failed with @error:
 *   a document refused as it is (invalid, too large, stale, badly signed)
 *   has one; a source that could not be read has none
 */
const char *
fleetd_log_message_id_for_error (const GError *error)
{
  static const FleetError rejections[] = {
    FLEET_ERROR_INVALID_DOCUMENT, FLEET_ERROR_GENERATION_BACKWARDS, FLEET_ERROR_TOO_LARGE,
    FLEET_ERROR_BAD_SIGNATURE,    FLEET_ERROR_STALE_DOCUMENT,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (rejections); i++)
    if (g_error_matches (error, FLEET_ERROR, rejections[i]))
      return FLEETD_MESSAGE_ID_REJECTED;
  return NULL;
}

static const char *
field (const GLogField *fields, gsize n_fields, const char *key)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, key) && fields[i].length < 0)
      return fields[i].value;
  return NULL;
}

static gboolean
is_failure (const char *action, const char *message)
{
  static const char *const failures[] = { "failed", "list-failed", "remove-orphan-failed",
                                          "unhealthy", "died", NULL };

  return (action && g_strv_contains (failures, action))
         || (message && strstr (message, "result=error") != NULL);
}

/* What a record means to an operator: libfleet's action records are raised
 * from debug; a failure is a warning wherever it comes from. */
static GLogLevelFlags
effective_level (GLogLevelFlags level, const char *domain, const char *action,
                 const char *message)
{
  GLogLevelFlags base = level & G_LOG_LEVEL_MASK;

  if (action == NULL)
    return level;
  if (base == G_LOG_LEVEL_DEBUG)
    {
      /* fleetd's own debug records stay debug (a repeated fetch error) */
      if (g_strcmp0 (domain, "fleet") != 0)
        return level;
      return is_failure (action, message) ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_MESSAGE;
    }
  if ((base & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO)) && is_failure (action, message))
    return G_LOG_LEVEL_WARNING;
  return level;
}

static const char *
message_id_for (const char *action)
{
  if (g_strcmp0 (action, "converged") == 0)
    return FLEETD_MESSAGE_ID_CONVERGED;
  if (g_strcmp0 (action, "failed") == 0)
    return FLEETD_MESSAGE_ID_FAILED;
  return NULL;
}

static const char *
priority_for (GLogLevelFlags level)
{
  switch (level & G_LOG_LEVEL_MASK)
    {
    case G_LOG_LEVEL_ERROR:
      return "3";
    case G_LOG_LEVEL_CRITICAL:
    case G_LOG_LEVEL_WARNING:
      return "4";
    case G_LOG_LEVEL_MESSAGE:
      return "5";
    case G_LOG_LEVEL_INFO:
      return "6";
    default:
      return "7";
    }
}

/**
 * fleetd_log_journal_fields:
 * @n_out: (out): how many fields the result holds
 *
 * The record as sent to the journal: PRIORITY as meant, SYSLOG_IDENTIFIER,
 * a MESSAGE_ID where there is one, and no empty field.
 *
 * Returns: (transfer container): the fields, pointing into @fields
 */
GLogField *
fleetd_log_journal_fields (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                           gsize *n_out)
{
  GLogField *out = g_new0 (GLogField, n_fields + 3);
  const char *message_id = field (fields, n_fields, "MESSAGE_ID");
  const char *action = field (fields, n_fields, "FLEET_ACTION");
  GLogLevelFlags effective = effective_level (level, field (fields, n_fields, "GLIB_DOMAIN"),
                                              action, field (fields, n_fields, "MESSAGE"));
  gsize n = 0;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_str_equal (fields[i].key, "PRIORITY") || g_str_equal (fields[i].key, "MESSAGE_ID")
          || g_str_equal (fields[i].key, "SYSLOG_IDENTIFIER"))
        continue;
      if (fields[i].value == NULL || fields[i].length == 0
          || (fields[i].length < 0 && *(const char *) fields[i].value == '\0'))
        continue;
      out[n++] = fields[i];
    }
  out[n++] = (GLogField) { "PRIORITY", priority_for (effective), -1 };
  out[n++] = (GLogField) { "SYSLOG_IDENTIFIER", "fleetd", -1 };
  if (message_id == NULL)
    message_id = message_id_for (action);
  if (message_id != NULL)
    out[n++] = (GLogField) { "MESSAGE_ID", message_id, -1 };
  *n_out = n;
  return out;
}

/**
 * fleetd_log_writer:
 *
 * fleetd's GLogWriterFunc; see the top of this file.
 */
GLogWriterOutput
fleetd_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                   gpointer user_data)
{
  const char *action = field (fields, n_fields, "FLEET_ACTION");
  const char *domain = field (fields, n_fields, "GLIB_DOMAIN");
  GLogLevelFlags effective =
    effective_level (level, domain, action, field (fields, n_fields, "MESSAGE"));

  if ((effective & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO))
      && g_log_writer_default_would_drop (effective, domain))
    return G_LOG_WRITER_HANDLED;
  if (g_log_writer_is_journald (fileno (stderr)))
    {
      gsize n;
      g_autofree GLogField *journal = fleetd_log_journal_fields (level, fields, n_fields, &n);

      if (g_log_writer_journald (effective, journal, n, NULL) == G_LOG_WRITER_HANDLED)
        return G_LOG_WRITER_HANDLED;
    }
  return g_log_writer_standard_streams (effective, fields, n_fields, user_data);
}
