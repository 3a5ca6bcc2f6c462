/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetctl-common.c: what fleetctl's commands share.  The connection to
 * fleetd turns every way of not finding it (no bus, no owner of the name)
 * into one line ("fleetd is not running on the system bus", or why the bus
 * itself cannot be reached); errors from
 * the daemon arrive as FLEET_ERROR (the domain is registered with its
 * dev.fleet.Error.* names) and are printed with the daemon's message.
 */
#include "config.h"

#include <stdio.h>

#include "fleetctl-common.h"
#include "fleet-util-private.h"

gboolean
fleetctl_parse_bus (FleetctlContext *context, const char *value, GError **error)
{
  if (g_strcmp0 (value, "system") == 0)
    context->bus_type = G_BUS_TYPE_SYSTEM;
  else if (g_strcmp0 (value, "session") == 0)
    context->bus_type = G_BUS_TYPE_SESSION;
  else
    return fleet_throw (error, FLEET_ERROR_INVALID_ARGUMENT,
                        "--bus: expected system|session, got \"%s\"", value);
  return TRUE;
}

const char *
fleetctl_bus_name (FleetctlContext *context)
{
  return context->bus_type == G_BUS_TYPE_SESSION ? "session" : "system";
}

static gboolean
on_bus_option (const char *option_name, const char *value, gpointer data, GError **error)
{
  return fleetctl_parse_bus (data, value, error);
}

/**
 * fleetctl_parse_options:
 * @entries: (nullable): the command's own options
 * @parameters: what follows the options, for --help ("FILE")
 *
 * Parse a command's arguments (argv[0] being the command), accepting the
 * global --bus there too.  Prints --help and exits, as GOptionContext does.
 */
gboolean
fleetctl_parse_options (FleetctlContext *context, int *argc, char ***argv,
                        const GOptionEntry *entries, const char *parameters,
                        const char *summary, GError **error)
{
  const GOptionEntry bus_entries[] = {
    { "bus", 0, 0, G_OPTION_ARG_CALLBACK, on_bus_option,
      "Talk to fleetd on the system (default) or session bus", "system|session" },
    { NULL }
  };
  g_autoptr(GOptionContext) option_context = g_option_context_new (parameters);
  GOptionGroup *group = g_option_group_new ("fleetctl", "fleetctl options",
                                            "Show fleetctl options", context, NULL);

  g_option_group_add_entries (group, bus_entries);
  if (entries)
    g_option_group_add_entries (group, entries);
  g_option_context_set_main_group (option_context, group);
  g_option_context_set_summary (option_context, summary);
  return g_option_context_parse (option_context, argc, argv, error);
}

/**
 * fleetctl_connect:
 *
 * Returns: (transfer full): a proxy for fleetd, or %NULL with a one-line
 *   error when fleetd cannot be reached
 */
FleetAgent1 *
fleetctl_connect (FleetctlContext *context, GError **error)
{
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(FleetAgent1) proxy = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *owner = NULL;
  const char *bus = fleetctl_bus_name (context);

  connection = g_bus_get_sync (context->bus_type, NULL, &local_error);
  if (connection == NULL)
    return fleet_null_throw (error, FLEET_ERROR_FAILED,
                             "cannot connect to the %s bus, so fleetd cannot be reached: %s",
                             bus, local_error->message);
  proxy = fleet_agent1_proxy_new_sync (connection, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START,
                                       FLEET_DBUS_NAME, FLEET_DBUS_PATH, NULL, &local_error);
  if (proxy == NULL)
    return fleet_null_throw (error, FLEET_ERROR_FAILED, "cannot talk to fleetd on the %s bus: %s",
                             bus, local_error->message);
  owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (proxy));
  if (owner == NULL)
    return fleet_null_throw (error, FLEET_ERROR_FAILED, "fleetd is not running on the %s bus",
                             bus);
  return g_steal_pointer (&proxy);
}

/* Print @error as fleetctl's one line; returns the exit status 1. */
int
fleetctl_fail (GError *error)
{
  return fleetctl_fail_with_prefix (NULL, error);
}

/* The same, naming what the error is about (a file), e.g.
 * "fleetctl: doc.json: deployments.x: ...". */
int
fleetctl_fail_with_prefix (const char *prefix, GError *error)
{
  g_dbus_error_strip_remote_error (error);
  if (prefix)
    g_printerr ("fleetctl: %s: %s\n", prefix, error->message);
  else
    g_printerr ("fleetctl: %s\n", error->message);
  return FLEETCTL_EXIT_FAILURE;
}

static void
print_line (const char *format, va_list args)
{
  g_autofree char *message = g_strdup_vprintf (format, args);

  g_printerr ("fleetctl: %s\n", message);
}

/* A bad command line: print the message, return the exit status 2. */
int
fleetctl_usage_error (const char *format, ...)
{
  va_list args;

  va_start (args, format);
  print_line (format, args);
  va_end (args);
  return FLEETCTL_EXIT_USAGE;
}

/* Any other failure: print the message, return the exit status 1. */
int
fleetctl_error (const char *format, ...)
{
  va_list args;

  va_start (args, format);
  print_line (format, args);
  va_end (args);
  return FLEETCTL_EXIT_FAILURE;
}

/* Tables. */

struct _FleetctlTable
{
  guint n_columns;
  GPtrArray *rows; /* GStrv */
};

FleetctlTable *
fleetctl_table_new (guint n_columns)
{
  FleetctlTable *table = g_new0 (FleetctlTable, 1);

  table->n_columns = n_columns;
  table->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  return table;
}

void
fleetctl_table_free (FleetctlTable *table)
{
  g_ptr_array_unref (table->rows);
  g_free (table);
}

/* Add a row of n_columns strings (NULL-terminated list; missing cells are "-"). */
void
fleetctl_table_add_row (FleetctlTable *table, ...)
{
  char **row = g_new0 (char *, table->n_columns + 1);
  va_list args;
  const char *cell;
  guint i = 0;

  va_start (args, table);
  while (i < table->n_columns && (cell = va_arg (args, const char *)) != NULL)
    row[i++] = g_strdup (*cell ? cell : "-");
  va_end (args);
  for (; i < table->n_columns; i++)
    row[i] = g_strdup ("-");
  g_ptr_array_add (table->rows, row);
}

void
fleetctl_table_print (FleetctlTable *table)
{
  g_autofree guint *widths = g_new0 (guint, table->n_columns);

  for (guint r = 0; r < table->rows->len; r++)
    {
      char **row = table->rows->pdata[r];

      for (guint c = 0; c < table->n_columns; c++)
        widths[c] = MAX (widths[c], (guint) g_utf8_strlen (row[c], -1));
    }
  for (guint r = 0; r < table->rows->len; r++)
    {
      char **row = table->rows->pdata[r];
      g_autoptr(GString) line = g_string_new (NULL);

      for (guint c = 0; c < table->n_columns; c++)
        {
          g_string_append (line, row[c]);
          if (c + 1 < table->n_columns)
            for (guint pad = g_utf8_strlen (row[c], -1); pad < widths[c] + 2; pad++)
              g_string_append_c (line, ' ');
        }
      g_print ("%s\n", line->str);
    }
}
