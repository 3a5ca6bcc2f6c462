/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-fleetd-notify.c: the sd_notify messages fleetd sends, received on a
 * real unix datagram socket, as systemd would receive them: at a path and
 * at an abstract address, plus the watchdog and the environment.
 */
#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <unistd.h>

#include "fleet-test-utils.h"
#include "fleetd-notify.h"

typedef struct
{
  char *dir;
  GSocket *listener;
  char *address; /* as in $NOTIFY_SOCKET */
} Fixture;

static GSocket *
bind_datagram_socket (GSocketAddress *address)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM,
                                            G_SOCKET_PROTOCOL_DEFAULT, &error);

  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (socket, 5);
  return g_steal_pointer (&socket);
}

static void
setup_path (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocketAddress) address = NULL;

  f->dir = fleet_test_make_tmpdir ();
  f->address = g_build_filename (f->dir, "notify", NULL);
  address = g_unix_socket_address_new (f->address);
  f->listener = bind_datagram_socket (address);
}

static void
setup_abstract (Fixture *f, gconstpointer data)
{
  g_autofree char *name = g_strdup_printf ("fleet-test-notify-%d-%u", (int) getpid (),
                                           g_random_int ());
  g_autoptr(GSocketAddress) address =
    g_unix_socket_address_new_with_type (name, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);

  f->address = g_strconcat ("@", name, NULL);
  f->listener = bind_datagram_socket (address);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->listener);
  if (f->dir)
    fleet_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->address);
}

static char *
receive (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  char buffer[4096];
  gssize n = g_socket_receive (f->listener, buffer, sizeof buffer, NULL, &error);

  g_assert_no_error (error);
  return g_strndup (buffer, n);
}

static void
test_messages (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetdNotifier) notifier = fleetd_notifier_new (f->address, &error);
  g_autofree char *ready = NULL;
  g_autofree char *status = NULL;
  g_autofree char *stopping = NULL;

  g_assert_no_error (error);
  fleetd_notifier_ready (notifier);
  fleetd_notifier_status (notifier, "Running, generation 7");
  fleetd_notifier_stopping (notifier);

  ready = receive (f);
  status = receive (f);
  stopping = receive (f);
  g_assert_cmpstr (ready, ==, "READY=1");
  g_assert_cmpstr (status, ==, "STATUS=Running, generation 7");
  g_assert_cmpstr (stopping, ==, "STOPPING=1");
}

static gboolean
on_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* WATCHDOG=1 every half WATCHDOG_USEC, from the main loop. */
static void
test_watchdog (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetdNotifier) notifier = fleetd_notifier_new (f->address, &error);

  g_assert_no_error (error);
  fleetd_notifier_start_watchdog (notifier, 40 * 1000);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GSource) source = g_socket_create_source (f->listener, G_IO_IN, NULL);
      gboolean readable = FALSE;
      g_autofree char *message = NULL;

      g_source_set_callback (source, (GSourceFunc) (void (*) (void)) on_readable, &readable,
                             NULL);
      g_source_attach (source, NULL);
      fleet_test_wait (&readable);
      message = receive (f);
      g_assert_cmpstr (message, ==, "WATCHDOG=1");
    }
  fleetd_notifier_start_watchdog (notifier, 0);
}

static void
test_environment (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetdNotifier) none = NULL;
  g_autoptr(FleetdNotifier) bad = NULL;
  g_autofree char *pid = g_strdup_printf ("%d", (int) getpid ());

  /* Not started by systemd: no notifier, no error. */
  g_unsetenv ("NOTIFY_SOCKET");
  none = fleetd_notifier_new_from_environment (&error);
  g_assert_no_error (error);
  g_assert_null (none);

  g_setenv ("NOTIFY_SOCKET", "relative/path", TRUE);
  bad = fleetd_notifier_new_from_environment (&error);
  g_assert_null (bad);
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_INVALID_ARGUMENT);
  g_unsetenv ("NOTIFY_SOCKET");

  g_unsetenv ("WATCHDOG_USEC");
  g_unsetenv ("WATCHDOG_PID");
  g_assert_cmpuint (fleetd_notifier_get_watchdog_usec (), ==, 0);
  g_setenv ("WATCHDOG_USEC", "30000000", TRUE);
  g_assert_cmpuint (fleetd_notifier_get_watchdog_usec (), ==, 30000000);
  g_setenv ("WATCHDOG_PID", pid, TRUE);
  g_assert_cmpuint (fleetd_notifier_get_watchdog_usec (), ==, 30000000);
  /* Meant for another process (the watchdog is not inherited). */
  g_setenv ("WATCHDOG_PID", "1", TRUE);
  g_assert_cmpuint (fleetd_notifier_get_watchdog_usec (), ==, 0);
  g_setenv ("WATCHDOG_PID", pid, TRUE);
  g_setenv ("WATCHDOG_USEC", "soon", TRUE);
  g_assert_cmpuint (fleetd_notifier_get_watchdog_usec (), ==, 0);
  g_unsetenv ("WATCHDOG_USEC");
  g_unsetenv ("WATCHDOG_PID");
}

/* Nobody listening is logged once, and never fatal. */
static void
test_nobody_listening (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetdNotifier) notifier = NULL;

  g_clear_object (&f->listener);
  notifier = fleetd_notifier_new (f->address, &error);
  g_assert_no_error (error);
  g_assert_false (fleetd_notifier_send (notifier, "READY=1", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  fleetd_notifier_ready (notifier);
  fleetd_notifier_ready (notifier);
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);

  g_test_add ("/fleetd-notify/path/messages", Fixture, NULL, setup_path, test_messages,
              teardown);
  g_test_add ("/fleetd-notify/abstract/messages", Fixture, NULL, setup_abstract, test_messages,
              teardown);
  g_test_add ("/fleetd-notify/path/watchdog", Fixture, NULL, setup_path, test_watchdog,
              teardown);
  g_test_add ("/fleetd-notify/path/nobody-listening", Fixture, NULL, setup_path,
              test_nobody_listening, teardown);
  g_test_add_func ("/fleetd-notify/environment", test_environment);

  return g_test_run ();
}
