/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetctl-common.h: what fleetctl's commands share: options, the
 * connection to fleetd, error output and tables.
 */
#pragma once

#include <fleet.h>

#include "fleet-dbus.h"

G_BEGIN_DECLS

/* Exit statuses (fleetctl(1), EXIT STATUS).  Any failure is 1, a bad
 * command line 2.  `status` tells the device's phase as LSB init scripts'
 * status actions tell a service's: 0 Running, 1 Failed, 3 Pending, and 4
 * when it cannot be known (fleetd cannot be reached). */
#define FLEETCTL_EXIT_FAILURE 1
#define FLEETCTL_EXIT_USAGE 2
#define FLEETCTL_EXIT_PENDING 3
#define FLEETCTL_EXIT_UNKNOWN 4

typedef struct
{
  GBusType bus_type;
} FleetctlContext;

typedef int (*FleetctlCommandFunc) (FleetctlContext *context, int argc, char **argv);

typedef struct
{
  const char *name;
  FleetctlCommandFunc run;
  const char *summary;
} FleetctlCommand;

int fleetctl_status (FleetctlContext *context, int argc, char **argv);
int fleetctl_reconcile (FleetctlContext *context, int argc, char **argv);
int fleetctl_plan (FleetctlContext *context, int argc, char **argv);
int fleetctl_version (FleetctlContext *context, int argc, char **argv);

gboolean fleetctl_parse_options (FleetctlContext *context, int *argc, char ***argv,
                                 const GOptionEntry *entries, const char *parameters,
                                 const char *summary, GError **error);
gboolean fleetctl_parse_bus (FleetctlContext *context, const char *value, GError **error);
const char *fleetctl_bus_name (FleetctlContext *context);
FleetAgent1 *fleetctl_connect (FleetctlContext *context, GError **error);
int fleetctl_fail (GError *error);
int fleetctl_usage_error (const char *format, ...) G_GNUC_PRINTF (1, 2);
int fleetctl_error (const char *format, ...) G_GNUC_PRINTF (1, 2);
int fleetctl_fail_with_prefix (const char *prefix, GError *error);

/* A table printed in aligned columns, the first row being the header. */
typedef struct _FleetctlTable FleetctlTable;
FleetctlTable *fleetctl_table_new (guint n_columns);
void fleetctl_table_add_row (FleetctlTable *table, ...) G_GNUC_NULL_TERMINATED;
void fleetctl_table_print (FleetctlTable *table);
void fleetctl_table_free (FleetctlTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetctlTable, fleetctl_table_free)

G_END_DECLS
