/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-notify.c: the sd_notify protocol, without libsystemd.  When
 * systemd starts fleetd with Type=notify it sets $NOTIFY_SOCKET to a unix
 * datagram socket (a path, or an abstract name written with a leading '@');
 * fleetd sends "READY=1" once it is up, "STATUS=..." when the phase or the
 * generation changes, "WATCHDOG=1" every half $WATCHDOG_USEC while the main
 * loop runs, and "STOPPING=1" on shutdown.  Sending never blocks, and a
 * failure is logged once: the agent's work does not depend on systemd
 * listening.
 */
#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <string.h>
#include <unistd.h>

#include "fleetd-notify.h"
#include "fleet-util-private.h"

struct _FleetdNotifier
{
  GObject parent_instance;

  GSocket *socket;
  GSocketAddress *address;
  guint watchdog_id;
  gboolean warned;
};

G_DEFINE_FINAL_TYPE (FleetdNotifier, fleetd_notifier, G_TYPE_OBJECT)

static void
fleetd_notifier_dispose (GObject *object)
{
  FleetdNotifier *self = FLEETD_NOTIFIER (object);

  g_clear_handle_id (&self->watchdog_id, g_source_remove);
  g_clear_object (&self->socket);
  g_clear_object (&self->address);
  G_OBJECT_CLASS (fleetd_notifier_parent_class)->dispose (object);
}

static void
fleetd_notifier_class_init (FleetdNotifierClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = fleetd_notifier_dispose;
}

static void
fleetd_notifier_init (FleetdNotifier *self)
{
}

static GSocketAddress *
parse_address (const char *address, GError **error)
{
  if (address[0] == '/')
    return g_unix_socket_address_new (address);
  if (address[0] == '@' && address[1] != '\0')
    return g_unix_socket_address_new_with_type (address + 1, -1,
                                                G_UNIX_SOCKET_ADDRESS_ABSTRACT);
  return fleet_null_throw (error, FLEET_ERROR_INVALID_ARGUMENT,
                           "NOTIFY_SOCKET: expected an absolute path or @name, got \"%s\"",
                           address);
}

/**
 * fleetd_notifier_new:
 * @address: a socket path, or "@name" for an abstract socket
 *
 * Returns: (transfer full): a notifier sending to @address
 */
FleetdNotifier *
fleetd_notifier_new (const char *address, GError **error)
{
  g_autoptr(FleetdNotifier) self = g_object_new (FLEETD_TYPE_NOTIFIER, NULL);

  self->address = parse_address (address, error);
  if (self->address == NULL)
    return NULL;
  self->socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM,
                               G_SOCKET_PROTOCOL_DEFAULT, error);
  if (self->socket == NULL)
    return NULL;
  g_socket_set_blocking (self->socket, FALSE);
  return g_steal_pointer (&self);
}

/**
 * fleetd_notifier_new_from_environment:
 *
 * Returns: (transfer full) (nullable): a notifier for $NOTIFY_SOCKET, or
 *   %NULL without error when it is not set (not started by systemd)
 */
FleetdNotifier *
fleetd_notifier_new_from_environment (GError **error)
{
  const char *address = g_getenv ("NOTIFY_SOCKET");

  if (address == NULL || *address == '\0')
    return NULL;
  return fleetd_notifier_new (address, error);
}

/* Send one notification, e.g. "READY=1". */
gboolean
fleetd_notifier_send (FleetdNotifier *self, const char *message, GError **error)
{
  gsize len = strlen (message);
  gssize sent;

  g_return_val_if_fail (FLEETD_IS_NOTIFIER (self), FALSE);

  sent = g_socket_send_to (self->socket, self->address, message, len, NULL, error);
  if (sent < 0)
    return FALSE;
  if ((gsize) sent != len)
    return fleet_throw (error, FLEET_ERROR_FAILED, "short write to NOTIFY_SOCKET");
  return TRUE;
}

/* Send @message; a failure is logged the first time only. */
void
fleetd_notifier_notify (FleetdNotifier *self, const char *message)
{
  g_autoptr(GError) error = NULL;

  if (self == NULL || fleetd_notifier_send (self, message, &error) || self->warned)
    return;
  self->warned = TRUE;
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                    "cannot notify systemd: %s (further failures are not logged)",
                    error->message);
}

void
fleetd_notifier_ready (FleetdNotifier *self)
{
  fleetd_notifier_notify (self, "READY=1");
}

void
fleetd_notifier_status (FleetdNotifier *self, const char *status)
{
  g_autofree char *message = g_strconcat ("STATUS=", status, NULL);

  fleetd_notifier_notify (self, message);
}

void
fleetd_notifier_stopping (FleetdNotifier *self)
{
  fleetd_notifier_notify (self, "STOPPING=1");
}

/**
 * fleetd_notifier_get_watchdog_usec:
 *
 * Returns: $WATCHDOG_USEC when the watchdog is meant for this process, else 0
 */
guint64
fleetd_notifier_get_watchdog_usec (void)
{
  const char *usec = g_getenv ("WATCHDOG_USEC");
  const char *pid = g_getenv ("WATCHDOG_PID");
  guint64 value = 0;
  guint64 for_pid = 0;

  if (usec == NULL || !g_ascii_string_to_unsigned (usec, 10, 1, G_MAXUINT64, &value, NULL))
    return 0;
  if (pid != NULL && (!g_ascii_string_to_unsigned (pid, 10, 1, G_MAXUINT64, &for_pid, NULL)
                      || for_pid != (guint64) getpid ()))
    return 0;
  return value;
}

static gboolean
on_watchdog (gpointer user_data)
{
  fleetd_notifier_notify (user_data, "WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}

/* Send "WATCHDOG=1" every half @watchdog_usec, as systemd asks. */
void
fleetd_notifier_start_watchdog (FleetdNotifier *self, guint64 watchdog_usec)
{
  guint64 interval_ms = MAX (watchdog_usec / 2 / 1000, 1);

  g_return_if_fail (FLEETD_IS_NOTIFIER (self));

  g_clear_handle_id (&self->watchdog_id, g_source_remove);
  if (watchdog_usec == 0)
    return;
  self->watchdog_id = g_timeout_add ((guint) MIN (interval_ms, G_MAXUINT), on_watchdog, self);
}
