/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-daemon-run.c: fleetd as a process over its life: a second instance,
 * SIGTERM and carrying on from persisted state with the source unreachable,
 * fetch failures that change nothing, status reports to a real HTTP server
 * and systemd notifications on a real datagram socket.
 *
 * The fake runtime keeps its containers in memory, so a restarted fleetd
 * finds none of them: restart tests check what fleetd persisted and that it
 * resumes from it, not that containers survive (the podman tests do that). */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <unistd.h>

#include "fleet-daemon-fixture.h"
#include "fleet-util-private.h"
#include "fleet-dbus.h"

static void
test_second_instance (Fixture *f, gconstpointer data)
{
  g_autofree char *err = NULL;

  start_fleetd (f, NULL, NULL);
  g_assert_cmpint (fleetd_once (f, NULL, &err, "--bus", "session", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "fleetd: cannot own the name dev.fleet.Agent1 on the session "
                                 "bus"));
  g_assert_cmpint (stop_fleetd (f), ==, 0);
}

/* Lifecycle. */

/* SIGTERM: exit 0 with the state persisted; a restart with the source gone
 * carries on from it. */
static void
test_sigterm_and_restart (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetState) state = NULL;
  g_autoptr(JsonNode) running = NULL;
  g_autoptr(JsonNode) resumed = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *log = NULL;
  g_autofree char *log2 = NULL;

  start_fleetd (f, NULL, NULL);
  running = wait_for_status ("Running", 1);
  digest = g_strdup (status_string (running, "desired_digest"));
  g_assert_cmpint (stop_fleetd (f), ==, 0);
  log = read_log (f);
  g_assert_nonnull (strstr (log, "action=stop result=ok"));

  state = load_state (f);
  g_assert_nonnull (fleet_state_get_desired (state));
  g_assert_cmpstr (fleet_state_get_desired (state)->digest, ==, digest);
  g_assert_true (fleet_is_container_id (fleet_deployment_record_lookup_service (
    fleet_state_lookup_deployment (state, "hello"), "web")->container_id));

  g_unlink (f->doc_path);
  start_fleetd (f, NULL, NULL);
  resumed = wait_for_status ("Running", 1);
  g_assert_cmpstr (status_string (resumed, "desired_digest"), ==, digest);
  log2 = read_log (f);
  g_assert_nonnull (strstr (log2, "action=recover"));
  while (g_strcmp0 (last_fetch_string (resumed, "result"), "error") != 0)
    {
      g_clear_pointer (&resumed, json_node_unref);
      fleet_test_sleep_ms (50);
      resumed = get_status ();
    }
  g_assert_cmpstr (status_string (resumed, "phase"), ==, "Running");
  g_assert_cmpint (stop_fleetd (f), ==, 0);
}

static guint
count_occurrences (const char *haystack, const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (haystack, needle); p; p = strstr (p + 1, needle))
    n++;
  return n;
}

/* An invalid document changes nothing, shows in the status, and is logged
 * once however often it is fetched; the next valid one is applied. */
static void
test_fetch_failure (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonNode) running = NULL;
  g_autoptr(JsonNode) failing = NULL;
  g_autoptr(JsonNode) recovered = NULL;
  g_autofree char *log = NULL;
  g_autofree char *err = NULL;

  start_fleetd (f, NULL, NULL);
  running = wait_for_status ("Running", 1);
  write_file (f->doc_path, "{\"generation\":2,\"deployments\":{\"hello\":{\"type\":\"Docker\"}}}");
  failing = get_status ();
  while (g_strcmp0 (last_fetch_string (failing, "result"), "error") != 0)
    {
      g_clear_pointer (&failing, json_node_unref);
      fleet_test_sleep_ms (50);
      failing = get_status ();
    }
  g_assert_nonnull (strstr (last_fetch_string (failing, "error"), "deployments.hello"));
  g_assert_cmpstr (status_string (failing, "phase"), ==, "Running");
  g_assert_cmpstr (status_string (failing, "desired_digest"), ==,
                   status_string (running, "desired_digest"));

  /* fleetctl reconcile reports the cause. */
  g_assert_cmpint (fleetctl (FALSE, NULL, &err, "reconcile", NULL), ==, 1);
  g_assert_true (g_str_has_prefix (err, "fleetctl: "));
  g_assert_nonnull (strstr (err, "deployments.hello"));

  /* Several polls and backoff retries later (last_fetch.at moves on),
   * still logged once. */
  {
    g_autofree char *first_at = g_strdup (last_fetch_string (failing, "at"));
    g_autoptr(JsonNode) later = NULL;

    fleet_test_sleep_ms (3500);
    later = get_status ();
    g_assert_cmpstr (last_fetch_string (later, "result"), ==, "error");
    g_assert_cmpstr (last_fetch_string (later, "at"), >, first_at);
  }
  log = read_log (f);
  g_assert_cmpuint (count_occurrences (log, "result=error"), ==, 1);

  write_doc (f, 2, "localhost/hello:v2");
  recovered = wait_for_status ("Running", 2);
  g_assert_cmpstr (last_fetch_string (recovered, "result"), ==, "ok");
  g_assert_cmpint (stop_fleetd (f), ==, 0);
}

/* Reporting. */

typedef struct
{
  guint puts;
  char *last_body;
} StatusServer;

static void
on_status_put (SoupServer *server, SoupServerMessage *message, const char *path,
               GHashTable *query, gpointer user_data)
{
  StatusServer *s = user_data;
  g_autoptr(GBytes) body = soup_message_body_flatten (
    soup_server_message_get_request_body (message));

  if (g_str_equal (soup_server_message_get_method (message), "PUT"))
    {
      s->puts++;
      g_free (s->last_body);
      s->last_body = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
    }
  soup_server_message_set_status (message, SOUP_STATUS_NO_CONTENT, NULL);
}

static void
test_status_url (Fixture *f, gconstpointer data)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoslist(GUri) uris = NULL;
  g_autofree char *base = NULL;
  g_autofree char *url = NULL;
  StatusServer s = { 0, };
  gint64 deadline = g_get_monotonic_time () + FLEET_TEST_PROCESS_TIMEOUT_MSECS * 1000;

  soup_server_add_handler (server, "/status/test-device", on_status_put, &s, NULL);
  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  base = g_uri_to_string (uris->data);
  url = g_strconcat (base, "status/{device}", NULL);

  start_fleetd (f, NULL, (const char *const[]){ "--status-url", url, NULL });
  while (s.last_body == NULL || strstr (s.last_body, "\"phase\":\"Running\"") == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_nonnull (strstr (s.last_body, "\"device_id\":\"test-device\""));
  g_assert_nonnull (strstr (s.last_body, "\"generation\":1"));
  g_assert_cmpint (stop_fleetd (f), ==, 0);
  g_free (s.last_body);
}

static char *
receive_notification (GSocket *socket)
{
  g_autoptr(GError) error = NULL;
  char buffer[4096];
  gssize n;

  g_socket_set_timeout (socket, FLEET_TEST_PROCESS_TIMEOUT_MSECS / 1000);
  n = g_socket_receive (socket, buffer, sizeof buffer, NULL, &error);
  g_assert_no_error (error);
  return g_strndup (buffer, n);
}

/* Wait for a notification starting with @prefix, skipping others. */
static void
expect_notification (GSocket *socket, const char *prefix)
{
  while (TRUE)
    {
      g_autofree char *message = receive_notification (socket);

      if (g_str_has_prefix (message, prefix))
        return;
    }
}

static void
test_systemd_notify (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "notify", NULL);
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM,
                                            G_SOCKET_PROTOCOL_DEFAULT, &error);
  const char *env[] = { "NOTIFY_SOCKET", path, "WATCHDOG_USEC", "400000", NULL };

  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);

  start_fleetd (f, env, NULL);
  expect_notification (socket, "READY=1");
  expect_notification (socket, "STATUS=Running, generation 1");
  expect_notification (socket, "WATCHDOG=1");
  expect_notification (socket, "WATCHDOG=1");
  g_subprocess_send_signal (f->fleetd, SIGTERM);
  expect_notification (socket, "STOPPING=1");
  g_assert_cmpint (stop_fleetd (f), ==, 0);
}

int
main (int argc, char **argv)
{
  int ret;

  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  fleet_test_init (&argc, &argv);
  (void) fleet_error_quark ();

#define ADD(name, func) g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/daemon/second-instance", test_second_instance);
  ADD ("/daemon/sigterm-and-restart", test_sigterm_and_restart);
  ADD ("/daemon/fetch-failure", test_fetch_failure);
  ADD ("/daemon/status-url", test_status_url);
  ADD ("/daemon/systemd-notify", test_systemd_notify);
#undef ADD

  if (!fleet_test_bus_start ())
    {
      g_print ("1..0 # SKIP dbus-daemon is not installed\n");
      return 0;
    }
  ret = g_test_run ();
  fleet_test_bus_stop ();
  return ret;
}
