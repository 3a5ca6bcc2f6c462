/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-canonical-json-private.h: the canonical form of a strict-JSON tree,
 * for the document parser.
 */
#pragma once

#include "fleet-canonical-json.h"
#include "fleet-json-tree-private.h"

G_BEGIN_DECLS

GBytes *_fleet_canonical_json_tree (FleetJsonTree *tree, gsize size_hint);

G_END_DECLS
