/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-fleetd-log.c: what reaches an operator's log.  libfleet says
 * nothing on a program's stderr by itself; fleetd's writer raises its
 * action records, makes failures warnings, and gives journal records
 * SYSLOG_IDENTIFIER, a stable MESSAGE_ID where one applies, and no empty
 * fields. */
#include "config.h"

#include "fleet-test-utils.h"
#include "fleetd-log.h"

static const char *
find (const GLogField *fields, gsize n, const char *key)
{
  for (gsize i = 0; i < n; i++)
    if (g_str_equal (fields[i].key, key))
      return fields[i].value;
  return NULL;
}

/* A program using the library: an upgrade says nothing on stderr. */
static void
test_library_is_quiet (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(FleetFakeRuntime) runtime = fleet_fake_runtime_new ();
      g_autoptr(FleetReconciler) reconciler =
        fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (runtime), NULL);
      g_autoptr(FleetDocument) doc = fleet_test_document (
        "{\"deployments\":{\"a\":{\"type\":\"PodmanV0\",\"data\":{\"services\":["
        "{\"name\":\"s\",\"image\":\"i\"}]}}}}");

      g_unsetenv ("G_MESSAGES_DEBUG");
      fleet_fake_runtime_set_start_fails (runtime, "i", TRUE);
      fleet_test_apply (reconciler, doc, 0, NULL, NULL);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr_unmatched ("*action=*");
}

/* Through fleetd's writer, on stderr: the same records, failures as warnings. */
static void
test_writer_raises (void)
{
  if (g_test_subprocess ())
    {
      /* a warning is what it should be here, not a test failure */
      g_log_set_always_fatal (G_LOG_FATAL_MASK);
      g_log_set_fatal_mask ("fleet", G_LOG_FATAL_MASK);
      g_log_set_writer_func (fleetd_log_writer, NULL, NULL);
      g_log_structured ("fleet", G_LOG_LEVEL_DEBUG, "FLEET_ACTION", "converged", "MESSAGE",
                        "action=converged deployment=a");
      g_log_structured ("fleet", G_LOG_LEVEL_DEBUG, "FLEET_ACTION", "failed", "MESSAGE",
                        "action=failed deployment=a");
      g_log_structured ("fleet", G_LOG_LEVEL_DEBUG, "MESSAGE", "a plain debug line");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*fleet-Message: *action=converged deployment=a*");
  g_test_trap_assert_stderr ("*fleet-WARNING **: *action=failed deployment=a*");
  g_test_trap_assert_stderr_unmatched ("*a plain debug line*");
}

static void
test_journal_fields (void)
{
  const GLogField failed[] = {
    { "GLIB_DOMAIN", "fleet", -1 },
    { "MESSAGE", "action=failed deployment=a", -1 },
    { "FLEET_ACTION", "failed", -1 },
    { "FLEET_SERVICE", "", -1 },
    { "PRIORITY", "7", -1 },
  };
  const GLogField converged[] = {
    { "GLIB_DOMAIN", "fleet", -1 },
    { "MESSAGE", "action=converged deployment=a", -1 },
    { "FLEET_ACTION", "converged", -1 },
  };
  const GLogField fetch_error[] = {
    { "GLIB_DOMAIN", "fleetd", -1 },
    { "MESSAGE", "action=fetch source=x result=error error=\"y\"", -1 },
    { "FLEET_ACTION", "fetch", -1 },
  };
  gsize n;
  g_autofree GLogField *out = NULL;

  out = fleetd_log_journal_fields (G_LOG_LEVEL_DEBUG, failed, G_N_ELEMENTS (failed), &n);
  g_assert_cmpstr (find (out, n, "PRIORITY"), ==, "4");
  g_assert_cmpstr (find (out, n, "SYSLOG_IDENTIFIER"), ==, "fleetd");
  g_assert_cmpstr (find (out, n, "MESSAGE_ID"), ==, FLEETD_MESSAGE_ID_FAILED);
  g_assert_null (find (out, n, "FLEET_SERVICE"));
  g_clear_pointer (&out, g_free);

  out = fleetd_log_journal_fields (G_LOG_LEVEL_DEBUG, converged, G_N_ELEMENTS (converged), &n);
  g_assert_cmpstr (find (out, n, "PRIORITY"), ==, "5");
  g_assert_cmpstr (find (out, n, "MESSAGE_ID"), ==, FLEETD_MESSAGE_ID_CONVERGED);
  g_clear_pointer (&out, g_free);

  out = fleetd_log_journal_fields (G_LOG_LEVEL_MESSAGE, fetch_error, G_N_ELEMENTS (fetch_error),
                                   &n);
  g_assert_cmpstr (find (out, n, "PRIORITY"), ==, "4");
  g_assert_null (find (out, n, "MESSAGE_ID"));
}

static void
test_rejected_id (void)
{
  g_autoptr(GError) invalid = g_error_new (FLEET_ERROR, FLEET_ERROR_INVALID_DOCUMENT, "x");
  g_autoptr(GError) stale = g_error_new (FLEET_ERROR, FLEET_ERROR_STALE_DOCUMENT, "x");
  g_autoptr(GError) unreachable = g_error_new (FLEET_ERROR, FLEET_ERROR_FETCH_FAILED, "x");

  g_assert_cmpstr (fleetd_log_message_id_for_error (invalid), ==, FLEETD_MESSAGE_ID_REJECTED);
  g_assert_cmpstr (fleetd_log_message_id_for_error (stale), ==, FLEETD_MESSAGE_ID_REJECTED);
  g_assert_null (fleetd_log_message_id_for_error (unreachable));
}

int
main (int argc, char **argv)
{
  /* GLib's default log writer, as a program using the library has it */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/fleetd-log/library-is-quiet", test_library_is_quiet);
  g_test_add_func ("/fleetd-log/writer-raises", test_writer_raises);
  g_test_add_func ("/fleetd-log/journal-fields", test_journal_fields);
  g_test_add_func ("/fleetd-log/rejected-id", test_rejected_id);
  return g_test_run ();
}
