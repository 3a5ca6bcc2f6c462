/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-test-bus-service.c: a stand-in for fleetd on a private bus, for
 * tests/check-dbus-policy.sh.  It owns dev.fleet.Agent1 and answers every
 * method and property of the interface described in the given XML with a
 * dummy value, so that whether a caller gets an answer is decided by the
 * bus policy alone.
 *
 *   fleet-test-bus-service ADDRESS INTERFACE-XML READY-FILE
 *
 * Writes READY-FILE once it owns the name, and runs until SIGTERM.  Exits 1,
 * with the bus's error on stderr, when it cannot own the name.
 */
#include "config.h"

#include <gio/gio.h>
#include <glib-unix.h>

#define BUS_NAME "dev.fleet.Agent1"
#define OBJECT_PATH "/dev/fleet/Agent1"

/* A value of the basic type @type, or NULL for a type this stand-in does
 * not know. */
static GVariant *
dummy_value (const GVariantType *type)
{
  if (g_variant_type_equal (type, G_VARIANT_TYPE_STRING))
    return g_variant_new_string ("");
  if (g_variant_type_equal (type, G_VARIANT_TYPE_INT64))
    return g_variant_new_int64 (0);
  if (g_variant_type_equal (type, G_VARIANT_TYPE_UINT32))
    return g_variant_new_uint32 (0);
  if (g_variant_type_equal (type, G_VARIANT_TYPE_INT32))
    return g_variant_new_int32 (0);
  if (g_variant_type_equal (type, G_VARIANT_TYPE_BOOLEAN))
    return g_variant_new_boolean (FALSE);
  return NULL;
}

static void
handle_method_call (GDBusConnection *connection, const char *sender, const char *object_path,
                    const char *interface_name, const char *method_name, GVariant *parameters,
                    GDBusMethodInvocation *invocation, gpointer user_data)
{
  const GDBusMethodInfo *method = g_dbus_method_invocation_get_method_info (invocation);
  g_autoptr(GPtrArray) values = g_ptr_array_new ();

  for (guint i = 0; method->out_args != NULL && method->out_args[i] != NULL; i++)
    {
      GVariant *value = dummy_value (G_VARIANT_TYPE (method->out_args[i]->signature));

      if (value == NULL)
        {
          g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_FAILED,
                                                 "no dummy value of type %s",
                                                 method->out_args[i]->signature);
          return;
        }
      g_ptr_array_add (values, value);
    }
  g_dbus_method_invocation_return_value (
    invocation, g_variant_new_tuple ((GVariant **) values->pdata, values->len));
}

static GVariant *
handle_get_property (GDBusConnection *connection, const char *sender, const char *object_path,
                     const char *interface_name, const char *property_name, GError **error,
                     gpointer user_data)
{
  GDBusInterfaceInfo *iface = user_data;
  GDBusPropertyInfo *property = g_dbus_interface_info_lookup_property (iface, property_name);
  GVariant *value = dummy_value (G_VARIANT_TYPE (property->signature));

  if (value == NULL)
    g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_FAILED, "no dummy value of type %s",
                 property->signature);
  return value;
}

static const GDBusInterfaceVTable vtable = {
  .method_call = handle_method_call,
  .get_property = handle_get_property,
};

static gboolean
on_sigterm (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static gboolean
own_name (GDBusConnection *connection, GError **error)
{
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (
    connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
    "RequestName", g_variant_new ("(su)", BUS_NAME, 4 /* DBUS_NAME_FLAG_DO_NOT_QUEUE */),
    G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  guint32 result;

  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(u)", &result);
  if (result != 1 /* DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER */)
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_FAILED, "RequestName replied %u", result);
      return FALSE;
    }
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  g_autoptr(GDBusNodeInfo) node = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  GDBusInterfaceInfo *iface;

  if (argc != 4)
    {
      g_printerr ("usage: %s ADDRESS INTERFACE-XML READY-FILE\n", argv[0]);
      return 2;
    }
  if (!g_file_get_contents (argv[2], &xml, NULL, &error)
      || !(node = g_dbus_node_info_new_for_xml (xml, &error)))
    {
      g_printerr ("%s: %s\n", argv[2], error->message);
      return 2;
    }
  iface = g_dbus_node_info_lookup_interface (node, BUS_NAME);
  if (iface == NULL)
    {
      g_printerr ("%s: no interface %s\n", argv[2], BUS_NAME);
      return 2;
    }

  connection = g_dbus_connection_new_for_address_sync (
    argv[1], G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
               | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
    NULL, NULL, &error);
  if (connection == NULL
      || !g_dbus_connection_register_object (connection, OBJECT_PATH, iface, &vtable, iface, NULL,
                                             &error)
      || !own_name (connection, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  if (!g_file_set_contents (argv[3], "ready\n", -1, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, on_sigterm, loop);
  g_main_loop_run (loop);
  return 0;
}
