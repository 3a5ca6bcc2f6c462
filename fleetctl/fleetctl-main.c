/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetctl-main.c: the entry point of fleetctl, the command-line client of
 * fleetd: global options, then one command from the table below, each in
 * its own fleetctl-<command>.c.
 */
#include "config.h"

#include <locale.h>

#include "fleetctl-common.h"

static const FleetctlCommand commands[] = {
  { "status", fleetctl_status, "Show the phase of each deployment and service" },
  { "reconcile", fleetctl_reconcile,
    "Fetch and apply the desired state now (root, or as polkit allows)" },
  { "plan", fleetctl_plan, "Show what applying a document would do, changing nothing" },
  { "version", fleetctl_version, "Show the versions of fleetctl and fleetd" },
};

static char *
describe_commands (void)
{
  GString *text = g_string_new ("Commands:\n");

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    g_string_append_printf (text, "  %-12s%s\n", commands[i].name, commands[i].summary);
  g_string_append (text, "\nRun \"fleetctl COMMAND --help\" for a command's options.\n"
                         "Exit status: 0 on success, 1 on failure, 2 for a bad command line;\n"
                         "status: 0 Running, 1 Failed, 3 Pending, 4 fleetd cannot be reached.");
  return g_string_free (text, FALSE);
}

static const FleetctlCommand *
lookup_command (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (commands[i].name, name))
      return &commands[i];
  return NULL;
}

static gboolean
on_bus_option (const char *option_name, const char *value, gpointer data, GError **error)
{
  return fleetctl_parse_bus (data, value, error);
}

/* The options before the command; parsing stops at the command. */
static gboolean
parse_global_options (FleetctlContext *context, int *argc, char ***argv, gboolean *version,
                      GError **error)
{
  const GOptionEntry entries[] = {
    { "bus", 0, 0, G_OPTION_ARG_CALLBACK, on_bus_option,
      "Talk to fleetd on the system (default) or session bus", "system|session" },
    { "version", 0, 0, G_OPTION_ARG_NONE, version, "Print fleetctl's version and exit", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) option_context = g_option_context_new ("COMMAND [ARGS...]");
  GOptionGroup *group = g_option_group_new ("fleetctl", "fleetctl options",
                                            "Show fleetctl options", context, NULL);
  g_autofree char *description = describe_commands ();

  g_option_group_add_entries (group, entries);
  g_option_context_set_main_group (option_context, group);
  g_option_context_set_strict_posix (option_context, TRUE);
  g_option_context_set_summary (option_context, "Show and steer fleetd, the container agent.");
  g_option_context_set_description (option_context, description);
  return g_option_context_parse (option_context, argc, argv, error);
}

int
main (int argc, char **argv)
{
  FleetctlContext context = { .bus_type = G_BUS_TYPE_SYSTEM };
  g_autoptr(GError) error = NULL;
  g_autofree char *prgname = NULL;
  const FleetctlCommand *command;
  gboolean version = FALSE;

  setlocale (LC_ALL, "");
  g_set_prgname ("fleetctl");
  /* Register the dev.fleet.Error.* names, so the daemon's errors map back. */
  (void) fleet_error_quark ();

  if (!parse_global_options (&context, &argc, &argv, &version, &error))
    {
      g_printerr ("fleetctl: %s\n", error->message);
      return FLEETCTL_EXIT_USAGE;
    }
  /* As fleetd --version: this program's, without asking fleetd (that is
   * what the version command is for). */
  if (version)
    {
      g_print ("fleetctl %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (argc < 2)
    {
      g_printerr ("fleetctl: no command given (try \"fleetctl --help\")\n");
      return FLEETCTL_EXIT_USAGE;
    }
  command = lookup_command (argv[1]);
  if (command == NULL)
    {
      g_printerr ("fleetctl: unknown command \"%s\" (try \"fleetctl --help\")\n", argv[1]);
      return FLEETCTL_EXIT_USAGE;
    }
  /* So that "fleetctl plan --help" says "Usage: fleetctl plan ...". */
  prgname = g_strconcat ("fleetctl ", command->name, NULL);
  g_set_prgname (prgname);
  return command->run (&context, argc - 1, argv + 1);
}
