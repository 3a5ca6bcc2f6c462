/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-signals-private.h: signal names as documents spell them. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Parse "SIGTERM" or "TERM"; returns the signal number and sets
 * *@canonical_name to the "SIG"-prefixed name, or returns 0 when @name is not
 * a signal this platform knows by name.
 */
int _fleet_signal_from_name (const char *name, const char **canonical_name);

/* The "SIG"-prefixed name of @signum, or NULL. */
const char *_fleet_signal_to_name (int signum);

G_END_DECLS
