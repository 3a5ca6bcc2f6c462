/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-capabilities-private.h: the Linux capability names a document may
 * add to or drop from a container.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

const char *_fleet_capability_lookup (const char *name);

G_END_DECLS
