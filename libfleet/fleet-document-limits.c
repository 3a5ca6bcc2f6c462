/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-document-limits.c: the fields that bound what a service's
 * container may use up on a small device (memory, CPU time, processes,
 * log space) and how it is restarted.
 *
 * Byte values are written as compose writes them: an integer number of
 * bytes, or a string of digits with one of the units b, k, kb, m, mb, g and
 * gb (any case; k is 1024 bytes, m 1024 k, g 1024 m).
 */
#include "config.h"

#include <string.h>

#include "fleet-document-parser-private.h"

#define invalid _fleet_document_invalid

/* Below this the kernel cannot even start a container's process (podman
 * fails at start, not at create: refuse it here). */
#define MIN_MEM_LIMIT (6 * 1024 * 1024)
#define MIN_CPUS 0.01 /* a quota of 1 ms per 100 ms, the kernel's smallest */
#define MAX_CPUS 1024
#define MAX_PIDS_LIMIT 4194304 /* PID_MAX_LIMIT */
#define MAX_RESTART_RETRIES 10000

static gboolean
parse_byte_string (const char *s, gint64 *out)
{
  static const struct
  {
    const char *unit;
    gint64 factor;
  } units[] = {
    { "", 1 }, { "b", 1 }, { "k", 1 << 10 }, { "kb", 1 << 10 }, { "m", 1 << 20 },
    { "mb", 1 << 20 }, { "g", 1 << 30 }, { "gb", 1 << 30 },
  };
  gsize digits = strspn (s, "0123456789");
  guint64 amount;

  if (digits == 0 || digits > 18)
    return FALSE;
  amount = g_ascii_strtoull (s, NULL, 10);
  for (gsize i = 0; i < G_N_ELEMENTS (units); i++)
    if (g_ascii_strcasecmp (s + digits, units[i].unit) == 0)
      {
        if (amount > (guint64) (G_MAXINT64 / units[i].factor))
          return FALSE;
        *out = (gint64) amount * units[i].factor;
        return TRUE;
      }
  return FALSE;
}

static gboolean
parse_byte_value (FleetParseContext *ctx, const FleetJsonValue *value,
                  const FleetDocumentPath *path, gint64 *out, GError **error)
{
  const char *s;

  if (value->type == FLEET_JSON_INTEGER)
    {
      if (value->v.integer <= 0)
        return invalid (error, path, "%" G_GINT64_FORMAT " is not a size (more than 0 bytes)",
                        value->v.integer);
      *out = value->v.integer;
      return TRUE;
    }
  if (value->type != FLEET_JSON_STRING)
    return invalid (error, path, "expected a byte value such as \"512m\" or an integer number "
                    "of bytes");
  if ((s = _fleet_document_require_string (ctx, value, path, error)) == NULL)
    return FALSE;
  if (!parse_byte_string (s, out))
    return invalid (error, path, "expected a byte value such as \"512m\" (digits, then b, k, "
                    "kb, m, mb, g or gb), got \"%s\"", s);
  if (*out == 0)
    return invalid (error, path, "\"%s\" is not a size (more than 0 bytes)", s);
  return TRUE;
}

FLEET_DOCUMENT_FIELD_PARSER (mem_limit)
{
  if (!parse_byte_value (ctx, value, path, &spec->mem_limit, error))
    return FALSE;
  if (spec->mem_limit < MIN_MEM_LIMIT)
    return invalid (error, path, "%" G_GINT64_FORMAT " bytes is below the smallest memory "
                    "limit, 6m", spec->mem_limit);
  return TRUE;
}

/* A decimal number as a string: "0.5", "2". */
static gboolean
parse_decimal_string (const char *s, double *out)
{
  gsize whole = strspn (s, "0123456789");
  gsize fraction = 0;

  if (whole == 0 || whole > 6)
    return FALSE;
  if (s[whole] == '.')
    {
      fraction = strspn (s + whole + 1, "0123456789");
      if (fraction == 0 || fraction > 9)
        return FALSE;
      fraction++;
    }
  if (s[whole + fraction] != '\0')
    return FALSE;
  *out = g_ascii_strtod (s, NULL);
  return TRUE;
}

FLEET_DOCUMENT_FIELD_PARSER (cpus)
{
  double cpus;
  const char *s;

  if (value->type == FLEET_JSON_INTEGER)
    cpus = (double) value->v.integer;
  else if (value->type == FLEET_JSON_DOUBLE)
    cpus = value->v.number;
  else if (value->type != FLEET_JSON_STRING)
    return invalid (error, path, "expected a number of CPUs such as 0.5");
  else if ((s = _fleet_document_require_string (ctx, value, path, error)) == NULL)
    return FALSE;
  else if (!parse_decimal_string (s, &cpus))
    return invalid (error, path, "expected a number of CPUs such as 0.5, got \"%s\"", s);
  if (cpus <= 0)
    return invalid (error, path, "%g CPUs is no limit (expected more than 0)", cpus);
  if (cpus < MIN_CPUS || cpus > MAX_CPUS)
    return invalid (error, path, "%g CPUs is out of range %g..%d", cpus, MIN_CPUS, MAX_CPUS);
  spec->cpus = cpus;
  return TRUE;
}

FLEET_DOCUMENT_FIELD_PARSER (pids_limit)
{
  if (value->type == FLEET_JSON_INTEGER && value->v.integer == 0)
    return invalid (error, path, "0 is not a limit (expected -1 for no limit, or 1..%d)",
                    MAX_PIDS_LIMIT);
  if (value->type == FLEET_JSON_INTEGER && value->v.integer == -1)
    {
      spec->pids_limit = -1;
      return TRUE;
    }
  return _fleet_document_require_int (value, path, 1, MAX_PIDS_LIMIT, &spec->pids_limit, error);
}

/* "always", "on-failure", "on-failure:MAX_RETRIES" or "no" */
static gboolean
parse_restart_policy (const char *s, FleetServiceSpec *spec)
{
  const char *count;
  guint64 retries;

  if (g_str_equal (s, "always"))
    spec->restart = FLEET_SERVICE_RESTART_ALWAYS;
  else if (g_str_equal (s, "no"))
    spec->restart = FLEET_SERVICE_RESTART_NO;
  else if (g_str_equal (s, "on-failure"))
    spec->restart = FLEET_SERVICE_RESTART_ON_FAILURE;
  else if (g_str_has_prefix (s, "on-failure:"))
    {
      count = s + strlen ("on-failure:");
      if (*count == '\0' || *count == '0' || strlen (count) > 5
          || strspn (count, "0123456789") != strlen (count)
          || (retries = g_ascii_strtoull (count, NULL, 10)) > MAX_RESTART_RETRIES)
        return FALSE;
      spec->restart = FLEET_SERVICE_RESTART_ON_FAILURE;
      spec->restart_max_retries = (guint) retries;
    }
  else
    return FALSE;
  return TRUE;
}

FLEET_DOCUMENT_FIELD_PARSER (restart)
{
  const char *s = _fleet_document_require_string (ctx, value, path, error);

  if (s == NULL)
    return FALSE;
  if (!parse_restart_policy (s, spec))
    return invalid (error, path, "unknown restart policy \"%s\" (expected \"always\", "
                    "\"on-failure\", \"on-failure:MAX_RETRIES\" with 1..%d retries, or \"no\")",
                    s, MAX_RESTART_RETRIES);
  spec->restart_is_default = FALSE;
  return TRUE;
}

static gboolean
parse_log_driver (FleetParseContext *ctx, const FleetJsonValue *value,
                  const FleetDocumentPath *path, FleetServiceSpec *spec, GError **error)
{
  const char *driver = _fleet_document_require_string (ctx, value, path, error);

  if (driver == NULL)
    return FALSE;
  if (g_str_equal (driver, "journald"))
    spec->log_driver = FLEET_LOG_DRIVER_JOURNALD;
  else if (g_str_equal (driver, "k8s-file"))
    spec->log_driver = FLEET_LOG_DRIVER_K8S_FILE;
  else if (g_str_equal (driver, "none"))
    spec->log_driver = FLEET_LOG_DRIVER_NONE;
  else
    return invalid (error, path, "unknown log driver \"%s\" (expected \"journald\", "
                    "\"k8s-file\" or \"none\")", driver);
  return TRUE;
}

/* Only podman's k8s-file driver keeps a size-limited file of its own. */
static gboolean
parse_log_options (FleetParseContext *ctx, const FleetJsonValue *value,
                   const FleetDocumentPath *path, FleetServiceSpec *spec, GError **error)
{
  static const char *const allowed[] = { "max-size", NULL };
  const FleetJsonValue *found[G_N_ELEMENTS (allowed)] = { NULL, };
  FleetDocumentPath size_path = FLEET_DOCUMENT_MEMBER (path, "max-size");

  if (!_fleet_document_require_object (value, path, error)
      || !_fleet_document_check_members (ctx, value, path, allowed, found, error))
    return FALSE;
  if (found[0] == NULL)
    return TRUE;
  if (!parse_byte_value (ctx, found[0], &size_path, &spec->log_max_size, error))
    return FALSE;
  if (spec->log_driver != FLEET_LOG_DRIVER_K8S_FILE)
    return invalid (error, &size_path, "a size limit needs \"driver\": \"k8s-file\"");
  return TRUE;
}

FLEET_DOCUMENT_FIELD_PARSER (logging)
{
  static const char *const allowed[] = { "driver", "options", NULL };
  const FleetJsonValue *found[G_N_ELEMENTS (allowed)] = { NULL, };
  FleetDocumentPath driver_path = FLEET_DOCUMENT_MEMBER (path, "driver");
  FleetDocumentPath options_path = FLEET_DOCUMENT_MEMBER (path, "options");

  if (!_fleet_document_require_object (value, path, error)
      || !_fleet_document_check_members (ctx, value, path, allowed, found, error))
    return FALSE;
  if (found[0] != NULL && !parse_log_driver (ctx, found[0], &driver_path, spec, error))
    return FALSE;
  return found[1] == NULL || parse_log_options (ctx, found[1], &options_path, spec, error);
}
