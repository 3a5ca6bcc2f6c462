/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-health-fields.c: `healthcheck` and `update_config`: their valid
 * forms, the defaults filled in, and that a document without them keeps
 * its digests.  Their invalid forms are in test-document.c.
 */
#include "config.h"

#include "fleet-test-utils.h"

#define SVC(body)                                                                          \
  "{\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[" body "]}}}}"
#define WEB(extra) SVC ("{\"name\":\"web\",\"image\":\"img\"" extra "}")

static FleetServiceSpec *
web_of (FleetDocument *doc)
{
  FleetServiceSpec *web = fleet_document_lookup_service (doc, "hello", "web");

  g_assert_nonnull (web);
  return web;
}

static void
test_defaults (void)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (WEB (""));
  FleetServiceSpec *web = web_of (doc);

  g_assert_null (web->healthcheck);
  g_assert_cmpint (web->update_config.order, ==, FLEET_UPDATE_STOP_FIRST);
  g_assert_cmpuint (web->update_config.monitor_secs, ==, 0);
}

static void
test_exec (void)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (
      WEB (",\"healthcheck\":{\"test\":[\"CMD\",\"/bin/check\",\"-q\"],\"interval\":\"1m30s\","
           "\"timeout\":\"1.5s\",\"retries\":5,\"start_period\":\"250ms\"}"));
  FleetHealthcheck *check = web_of (doc)->healthcheck;
  const char *const test[] = { "CMD", "/bin/check", "-q", NULL };

  g_assert_nonnull (check);
  g_assert_cmpint (check->kind, ==, FLEET_HEALTHCHECK_EXEC);
  g_assert_cmpstrv (check->test, test);
  g_assert_cmpuint (check->interval_msecs, ==, 90000);
  g_assert_cmpuint (check->timeout_msecs, ==, 1500);
  g_assert_cmpuint (check->retries, ==, 5);
  g_assert_cmpuint (check->start_period_msecs, ==, 250);
  g_assert_cmpint (check->on_unhealthy, ==, FLEET_ON_UNHEALTHY_RESTART);
}

/* compose's defaults, and its string form: a shell command */
static void
test_exec_shell_defaults (void)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (
      WEB (",\"healthcheck\":{\"test\":\"test -e /tmp/ok\",\"on_unhealthy\":\"none\"}"));
  FleetHealthcheck *check = web_of (doc)->healthcheck;
  const char *const test[] = { "CMD-SHELL", "test -e /tmp/ok", NULL };

  g_assert_cmpstrv (check->test, test);
  g_assert_cmpuint (check->interval_msecs, ==, 30000);
  g_assert_cmpuint (check->timeout_msecs, ==, 30000);
  g_assert_cmpuint (check->retries, ==, 3);
  g_assert_cmpuint (check->start_period_msecs, ==, 0);
  g_assert_cmpint (check->on_unhealthy, ==, FLEET_ON_UNHEALTHY_NONE);
}

static void
test_none (void)
{
  g_autoptr(FleetDocument) a = fleet_test_document (WEB (",\"healthcheck\":{\"test\":[\"NONE\"]}"));
  g_autoptr(FleetDocument) b = fleet_test_document (WEB (",\"healthcheck\":{\"disable\":true}"));

  g_assert_cmpint (web_of (a)->healthcheck->kind, ==, FLEET_HEALTHCHECK_NONE);
  g_assert_cmpint (web_of (b)->healthcheck->kind, ==, FLEET_HEALTHCHECK_NONE);
  g_assert_false (fleet_healthcheck_is_active (web_of (a)->healthcheck));
  g_assert_false (fleet_healthcheck_is_active (NULL));
}

static void
test_http_tcp (void)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (SVC (
      "{\"name\":\"web\",\"image\":\"img\",\"healthcheck\":{\"http\":{\"port\":8080,\"path\":"
      "\"/healthz\",\"status\":\"200-204\"},\"interval\":\"2s\",\"timeout\":\"100ms\"}},"
      "{\"name\":\"db\",\"image\":\"img\",\"healthcheck\":{\"tcp\":{\"port\":5432}}},"
      "{\"name\":\"api\",\"image\":\"img\",\"healthcheck\":{\"http\":{\"port\":80,\"status\":"
      "204}}}"));
  FleetHealthcheck *web = web_of (doc)->healthcheck;
  FleetHealthcheck *db = fleet_document_lookup_service (doc, "hello", "db")->healthcheck;
  FleetHealthcheck *api = fleet_document_lookup_service (doc, "hello", "api")->healthcheck;

  g_assert_cmpint (web->kind, ==, FLEET_HEALTHCHECK_HTTP);
  g_assert_cmpuint (web->port, ==, 8080);
  g_assert_cmpstr (web->path, ==, "/healthz");
  g_assert_cmpuint (web->min_status, ==, 200);
  g_assert_cmpuint (web->max_status, ==, 204);
  g_assert_cmpuint (web->interval_msecs, ==, 2000);
  g_assert_cmpuint (web->timeout_msecs, ==, 100);
  g_assert_cmpint (db->kind, ==, FLEET_HEALTHCHECK_TCP);
  g_assert_cmpuint (db->port, ==, 5432);
  g_assert_null (db->path);
  g_assert_cmpuint (api->min_status, ==, 204);
  g_assert_cmpuint (api->max_status, ==, 204);
  g_assert_null (api->path);
}

static void
test_update_config (void)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (
      WEB (",\"update_config\":{\"order\":\"start-first\",\"monitor\":\"1m\"}"));
  g_autoptr(FleetDocument) stop = fleet_test_document (
      WEB (",\"ports\":[\"80:80\"],\"update_config\":{\"order\":\"stop-first\"}"));

  g_assert_cmpint (web_of (doc)->update_config.order, ==, FLEET_UPDATE_START_FIRST);
  g_assert_cmpuint (web_of (doc)->update_config.monitor_secs, ==, 60);
  g_assert_cmpstr (fleet_update_order_to_string (web_of (doc)->update_config.order), ==,
                   "start-first");
  g_assert_cmpint (web_of (stop)->update_config.order, ==, FLEET_UPDATE_STOP_FIRST);
}

/* A service of the current release digests as it did: the fields take part
 * only when written. */
static void
test_digest_only_when_written (void)
{
#define EXAMPLE_WEB(extra)                                                                       \
  SVC ("{\"name\":\"web\",\"image\":\"localhost/fleet-example:v1\",\"command\":[\"/bin/httpd\","  \
       "\"-f\",\"-p\",\"8080\"],\"ports\":[\"8080:8080\"]" extra "}")
  g_autoptr(FleetDocument) plain = fleet_test_document (EXAMPLE_WEB (""));
  g_autoptr(FleetDocument) checked = fleet_test_document (
      EXAMPLE_WEB (",\"healthcheck\":{\"tcp\":{\"port\":8080}}"));
  g_autoptr(FleetDocument) ordered = fleet_test_document (
      EXAMPLE_WEB (",\"update_config\":{\"order\":\"stop-first\"}"));
#undef EXAMPLE_WEB

  /* the digest fleet-desired-state(5) gives for this service */
  g_assert_cmpstr (web_of (plain)->digest, ==,
                   "sha256:17a4d4d3aecdcab58c00738563d6648fa815ca45a792690863c4207fc921f894");
  g_assert_cmpstr (web_of (checked)->digest, !=, web_of (plain)->digest);
  g_assert_cmpstr (web_of (ordered)->digest, !=, web_of (plain)->digest);
  g_assert_cmpstr (web_of (checked)->digest, !=, web_of (ordered)->digest);
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);

  g_test_add_func ("/health-fields/defaults", test_defaults);
  g_test_add_func ("/health-fields/exec", test_exec);
  g_test_add_func ("/health-fields/exec-shell-defaults", test_exec_shell_defaults);
  g_test_add_func ("/health-fields/none", test_none);
  g_test_add_func ("/health-fields/http-tcp", test_http_tcp);
  g_test_add_func ("/health-fields/update-config", test_update_config);
  g_test_add_func ("/health-fields/digest-only-when-written", test_digest_only_when_written);

  return g_test_run ();
}
