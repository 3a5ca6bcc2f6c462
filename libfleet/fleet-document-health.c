/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-document-health.c: `healthcheck` and `update_config`, a service's
 * health check and how a changed service is replaced.
 *
 * The health check is compose's, with two probes fleetd runs itself for
 * images without a shell:
 *
 *   "healthcheck": {"test": ["CMD", "/bin/check"], "interval": "10s",
 *                   "timeout": "2s", "retries": 3, "start_period": "1m"}
 *   "healthcheck": {"http": {"port": 8080, "path": "/healthz",
 *                            "status": "200-299"}}
 *   "healthcheck": {"tcp": {"port": 5432}, "on_unhealthy": "none"}
 *
 * Durations are compose's (Go's): numbers with the units h, m, s, ms and
 * us, as in "1m30s" or "1.5s".  `update_config` is compose's
 * `deploy.update_config`, written on the service itself as fleet's service
 * fields are: {"order": "start-first", "monitor": "30s"}.
 */
#include "config.h"

#include <string.h>

#include "fleet-document-parser-private.h"

#define invalid _fleet_document_invalid

#define MIN_INTERVAL_MSECS 1000
#define MAX_DURATION_MSECS (24 * 3600 * 1000)
#define MAX_RETRIES 1000
#define MAX_MONITOR_SECS 3600

/* "1m30s", "500ms", "1.5s": each number with its unit, in milliseconds;
 * a bare "0" is zero, as in Go. */
static gboolean
parse_duration_string (const char *s, guint64 *out_msecs)
{
  static const struct
  {
    const char *unit;
    double msecs;
  } units[] = { { "ms", 1 }, { "us", 0.001 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 } };
  double total = 0;

  if (g_str_equal (s, "0"))
    return (*out_msecs = 0), TRUE;
  if (*s == '\0')
    return FALSE;
  while (*s != '\0')
    {
      gsize whole = strspn (s, "0123456789");
      gsize frac = s[whole] == '.' ? strspn (s + whole + 1, "0123456789") : 0;
      gsize len = whole + (s[whole] == '.' ? 1 + frac : 0);
      gsize u = 0;

      if ((whole == 0 && frac == 0) || len > 12)
        return FALSE;
      while (u < G_N_ELEMENTS (units) && !g_str_has_prefix (s + len, units[u].unit))
        u++;
      if (u == G_N_ELEMENTS (units))
        return FALSE;
      total += g_ascii_strtod (s, NULL) * units[u].msecs;
      if (total > MAX_DURATION_MSECS)
        return FALSE;
      s += len + strlen (units[u].unit);
    }
  *out_msecs = (guint64) total;
  return TRUE;
}

static gboolean
parse_duration (FleetParseContext *ctx, const FleetJsonValue *value,
                const FleetDocumentPath *path, guint min_msecs, guint *out, GError **error)
{
  const char *s = _fleet_document_require_string (ctx, value, path, error);
  guint64 msecs;

  if (s == NULL)
    return FALSE;
  if (!parse_duration_string (s, &msecs))
    return invalid (error, path, "expected a duration such as \"30s\" or \"1m30s\" (numbers "
                    "with h, m, s, ms or us, at most 24h), got \"%s\"", s);
  if (msecs < min_msecs)
    return invalid (error, path, "\"%s\" is too short (at least %u ms)", s, min_msecs);
  *out = (guint) msecs;
  return TRUE;
}

static gboolean
parse_test (FleetParseContext *ctx, const FleetJsonValue *value, const FleetDocumentPath *path,
            char ***out, GError **error)
{
  const FleetJsonValue *elements = _fleet_json_tree_get_children (ctx->tree, value);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const char *s;

  /* compose: a string is a shell command */
  if (value->type == FLEET_JSON_STRING)
    {
      if ((s = _fleet_document_require_string (ctx, value, path, error)) == NULL)
        return FALSE;
      if (*s == '\0')
        return invalid (error, path, "the command is empty");
      g_strv_builder_add_many (builder, "CMD-SHELL", s, NULL);
      *out = g_strv_builder_end (builder);
      return TRUE;
    }
  if (!_fleet_document_require_array (value, path, error))
    return FALSE;
  for (guint i = 0; i < value->n_children; i++)
    {
      FleetDocumentPath p = FLEET_DOCUMENT_ELEMENT (path, i);

      if ((s = _fleet_document_require_string (ctx, &elements[i], &p, error)) == NULL)
        return FALSE;
      g_strv_builder_add (builder, s);
    }
  *out = g_strv_builder_end (builder);
  if (value->n_children == 1 && g_str_equal ((*out)[0], "NONE"))
    return TRUE;
  if (value->n_children >= 2 && g_str_equal ((*out)[0], "CMD") && *(*out)[1] != '\0')
    return TRUE;
  if (value->n_children == 2 && g_str_equal ((*out)[0], "CMD-SHELL") && *(*out)[1] != '\0')
    return TRUE;
  g_clear_pointer (out, g_strfreev);
  return invalid (error, path, "expected [\"CMD\", ARG...], [\"CMD-SHELL\", COMMAND] or "
                  "[\"NONE\"]");
}

/* "200", 200 or "200-299". */
static gboolean
parse_status_range (FleetParseContext *ctx, const FleetJsonValue *value,
                    const FleetDocumentPath *path, FleetHealthcheck *check, GError **error)
{
  const char *s;
  char *end = NULL;
  guint64 low, high;

  if (value->type == FLEET_JSON_INTEGER)
    {
      if (value->v.integer < 100 || value->v.integer > 599)
        return invalid (error, path, "%" G_GINT64_FORMAT " is not an HTTP status (100..599)",
                        value->v.integer);
      check->min_status = check->max_status = (guint) value->v.integer;
      return TRUE;
    }
  if ((s = _fleet_document_require_string (ctx, value, path, error)) == NULL)
    return FALSE;
  if (strspn (s, "0123456789") == 3 && (s[3] == '\0' || s[3] == '-'))
    {
      low = g_ascii_strtoull (s, &end, 10);
      high = *end == '-' && strspn (end + 1, "0123456789") == 3 && end[4] == '\0'
               ? g_ascii_strtoull (end + 1, NULL, 10) : *end == '\0' ? low : 0;
      if (low >= 100 && high <= 599 && low <= high)
        {
          check->min_status = (guint) low;
          check->max_status = (guint) high;
          return TRUE;
        }
    }
  return invalid (error, path, "expected an HTTP status or a range such as \"200-399\" "
                  "(100..599, low to high), got \"%s\"", s);
}

static gboolean
parse_http (FleetParseContext *ctx, const FleetJsonValue *value, const FleetDocumentPath *path,
             FleetHealthcheck *check, GError **error)
{
  static const char *const allowed[] = { "port", "path", "status", NULL };
  const FleetJsonValue *found[G_N_ELEMENTS (allowed)] = { NULL, };
  FleetDocumentPath port_path = FLEET_DOCUMENT_MEMBER (path, "port");
  FleetDocumentPath path_path = FLEET_DOCUMENT_MEMBER (path, "path");
  FleetDocumentPath status_path = FLEET_DOCUMENT_MEMBER (path, "status");
  gint64 port;
  const char *s;

  if (!_fleet_document_require_object (value, path, error)
      || !_fleet_document_check_members (ctx, value, path, allowed, found, error))
    return FALSE;
  if (found[0] == NULL)
    return invalid (error, &port_path, "required field is missing");
  if (!_fleet_document_require_int (found[0], &port_path, 1, 65535, &port, error))
    return FALSE;
  check->port = (guint16) port;
  if (found[1] != NULL)
    {
      if ((s = _fleet_document_require_string (ctx, found[1], &path_path, error)) == NULL)
        return FALSE;
      if (s[0] != '/' || _fleet_document_has_space_or_control (s))
        return invalid (error, &path_path, "expected a path starting with / without whitespace "
                        "or control characters, got \"%s\"", s);
      check->path = g_strdup (s);
    }
  return found[2] == NULL || parse_status_range (ctx, found[2], &status_path, check, error);
}

static gboolean
parse_tcp (FleetParseContext *ctx, const FleetJsonValue *value, const FleetDocumentPath *path,
           FleetHealthcheck *check, GError **error)
{
  static const char *const allowed[] = { "port", NULL };
  const FleetJsonValue *found[G_N_ELEMENTS (allowed)] = { NULL, };
  FleetDocumentPath port_path = FLEET_DOCUMENT_MEMBER (path, "port");
  gint64 port;

  if (!_fleet_document_require_object (value, path, error)
      || !_fleet_document_check_members (ctx, value, path, allowed, found, error))
    return FALSE;
  if (found[0] == NULL)
    return invalid (error, &port_path, "required field is missing");
  if (!_fleet_document_require_int (found[0], &port_path, 1, 65535, &port, error))
    return FALSE;
  check->port = (guint16) port;
  return TRUE;
}

static gboolean
parse_on_unhealthy (FleetParseContext *ctx, const FleetJsonValue *value,
                    const FleetDocumentPath *path, FleetHealthcheck *check, GError **error)
{
  const char *s = _fleet_document_require_string (ctx, value, path, error);

  if (s == NULL)
    return FALSE;
  if (g_str_equal (s, "restart"))
    check->on_unhealthy = FLEET_ON_UNHEALTHY_RESTART;
  else if (g_str_equal (s, "none"))
    check->on_unhealthy = FLEET_ON_UNHEALTHY_NONE;
  else
    return invalid (error, path, "unknown action \"%s\" (expected \"restart\" or \"none\")", s);
  return TRUE;
}

enum
{
  HC_TEST,
  HC_HTTP,
  HC_TCP,
  HC_INTERVAL,
  HC_TIMEOUT,
  HC_RETRIES,
  HC_START_PERIOD,
  HC_DISABLE,
  HC_ON_UNHEALTHY,
  HC_N_MEMBERS
};

static const char *const healthcheck_members[HC_N_MEMBERS + 1] = {
  "test", "http", "tcp", "interval", "timeout", "retries", "start_period", "disable",
  "on_unhealthy", NULL,
};

/* Exactly one of test, http and tcp says what is checked. */
static gboolean
parse_check_kind (FleetParseContext *ctx, const FleetJsonValue **found,
                  const FleetDocumentPath *path, FleetHealthcheck *check, gboolean *out_none,
                  GError **error)
{
  guint n = (found[HC_TEST] != NULL) + (found[HC_HTTP] != NULL) + (found[HC_TCP] != NULL);
  FleetDocumentPath test_path = FLEET_DOCUMENT_MEMBER (path, "test");
  FleetDocumentPath http_path = FLEET_DOCUMENT_MEMBER (path, "http");
  FleetDocumentPath tcp_path = FLEET_DOCUMENT_MEMBER (path, "tcp");

  if (n != 1)
    return invalid (error, path, n == 0 ? "expected one of \"test\", \"http\" and \"tcp\""
                                        : "\"test\", \"http\" and \"tcp\" exclude each other");
  if (found[HC_HTTP] != NULL)
    {
      check->kind = FLEET_HEALTHCHECK_HTTP;
      return parse_http (ctx, found[HC_HTTP], &http_path, check, error);
    }
  if (found[HC_TCP] != NULL)
    {
      check->kind = FLEET_HEALTHCHECK_TCP;
      return parse_tcp (ctx, found[HC_TCP], &tcp_path, check, error);
    }
  check->kind = FLEET_HEALTHCHECK_EXEC;
  if (!parse_test (ctx, found[HC_TEST], &test_path, &check->test, error))
    return FALSE;
  *out_none = g_str_equal (check->test[0], "NONE");
  return TRUE;
}

static gboolean
parse_check_timing (FleetParseContext *ctx, const FleetJsonValue **found,
                    const FleetDocumentPath *path, FleetHealthcheck *check, GError **error)
{
  FleetDocumentPath interval_path = FLEET_DOCUMENT_MEMBER (path, "interval");
  FleetDocumentPath timeout_path = FLEET_DOCUMENT_MEMBER (path, "timeout");
  FleetDocumentPath retries_path = FLEET_DOCUMENT_MEMBER (path, "retries");
  FleetDocumentPath start_path = FLEET_DOCUMENT_MEMBER (path, "start_period");
  FleetDocumentPath on_path = FLEET_DOCUMENT_MEMBER (path, "on_unhealthy");
  gint64 retries = FLEET_HEALTHCHECK_DEFAULT_RETRIES;

  check->interval_msecs = FLEET_HEALTHCHECK_DEFAULT_INTERVAL_MSECS;
  check->timeout_msecs = FLEET_HEALTHCHECK_DEFAULT_TIMEOUT_MSECS;
  if ((found[HC_INTERVAL] != NULL
       && !parse_duration (ctx, found[HC_INTERVAL], &interval_path, MIN_INTERVAL_MSECS,
                           &check->interval_msecs, error))
      || (found[HC_TIMEOUT] != NULL
          && !parse_duration (ctx, found[HC_TIMEOUT], &timeout_path, 1, &check->timeout_msecs,
                              error))
      || (found[HC_RETRIES] != NULL
          && !_fleet_document_require_int (found[HC_RETRIES], &retries_path, 1, MAX_RETRIES,
                                           &retries, error))
      || (found[HC_START_PERIOD] != NULL
          && !parse_duration (ctx, found[HC_START_PERIOD], &start_path, 0,
                              &check->start_period_msecs, error))
      || (found[HC_ON_UNHEALTHY] != NULL
          && !parse_on_unhealthy (ctx, found[HC_ON_UNHEALTHY], &on_path, check, error)))
    return FALSE;
  check->retries = (guint) retries;
  return TRUE;
}

FLEET_DOCUMENT_FIELD_PARSER (healthcheck)
{
  const FleetJsonValue *found[HC_N_MEMBERS] = { NULL, };
  FleetDocumentPath disable_path = FLEET_DOCUMENT_MEMBER (path, "disable");
  FleetHealthcheck *check;
  gboolean disable = FALSE;
  gboolean none = FALSE;

  spec->healthcheck = check = g_new0 (FleetHealthcheck, 1);
  if (!_fleet_document_require_object (value, path, error)
      || !_fleet_document_check_members (ctx, value, path, healthcheck_members, found, error))
    return FALSE;
  if (found[HC_DISABLE] != NULL
      && !_fleet_document_require_boolean (found[HC_DISABLE], &disable_path, &disable, error))
    return FALSE;
  check->min_status = 200;
  check->max_status = 399;
  if (disable)
    {
      /* compose: "disable: true" is ["NONE"], and says nothing else */
      for (guint i = 0; i < HC_N_MEMBERS; i++)
        if (i != HC_DISABLE && found[i] != NULL)
          return invalid (error, path, "\"disable\": true excludes \"%s\"",
                          healthcheck_members[i]);
      check->kind = FLEET_HEALTHCHECK_NONE;
      return TRUE;
    }
  if (!parse_check_kind (ctx, found, path, check, &none, error)
      || !parse_check_timing (ctx, found, path, check, error))
    return FALSE;
  if (none)
    check->kind = FLEET_HEALTHCHECK_NONE;
  return TRUE;
}

FLEET_DOCUMENT_FIELD_PARSER (update_config)
{
  static const char *const allowed[] = { "order", "monitor", NULL };
  const FleetJsonValue *found[G_N_ELEMENTS (allowed)] = { NULL, };
  FleetDocumentPath order_path = FLEET_DOCUMENT_MEMBER (path, "order");
  FleetDocumentPath monitor_path = FLEET_DOCUMENT_MEMBER (path, "monitor");
  const char *order;
  guint monitor_msecs = 0;

  if (!_fleet_document_require_object (value, path, error)
      || !_fleet_document_check_members (ctx, value, path, allowed, found, error))
    return FALSE;
  if (found[0] != NULL)
    {
      if ((order = _fleet_document_require_string (ctx, found[0], &order_path, error)) == NULL)
        return FALSE;
      if (g_str_equal (order, "stop-first"))
        spec->update_config.order = FLEET_UPDATE_STOP_FIRST;
      else if (g_str_equal (order, "start-first"))
        spec->update_config.order = FLEET_UPDATE_START_FIRST;
      else
        return invalid (error, &order_path, "unknown order \"%s\" (expected \"stop-first\" or "
                        "\"start-first\")", order);
    }
  if (found[1] != NULL
      && !parse_duration (ctx, found[1], &monitor_path, 0, &monitor_msecs, error))
    return FALSE;
  if (monitor_msecs > MAX_MONITOR_SECS * 1000)
    return invalid (error, &monitor_path, "at most %d seconds", MAX_MONITOR_SECS);
  spec->update_config.monitor_secs = (monitor_msecs + 999) / 1000;
  return TRUE;
}

/**
 * _fleet_document_check_start_first:
 *
 * Two containers of a service run side by side during a start-first
 * replacement: what only one of them can have refuses it.
 */
gboolean
_fleet_document_check_start_first (const FleetServiceSpec *spec, const FleetDocumentPath *path,
                                   GError **error)
{
  FleetDocumentPath update_path = FLEET_DOCUMENT_MEMBER (path, "update_config");
  FleetDocumentPath order_path = FLEET_DOCUMENT_MEMBER (&update_path, "order");
  const char *why = NULL;

  if (spec->update_config.order != FLEET_UPDATE_START_FIRST)
    return TRUE;
  if (spec->ports->len > 0)
    why = "it publishes host ports";
  else if (spec->network_mode == FLEET_NETWORK_MODE_HOST)
    why = "it uses the host's network";
  else if (spec->devices->len > 0)
    why = "it takes host devices";
  if (why == NULL)
    return TRUE;
  return invalid (error, &order_path, "\"start-first\" runs two containers of the service at "
                  "once, and %s (use \"stop-first\")", why);
}
