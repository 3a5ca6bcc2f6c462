/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-canonical-json.h: the canonical JSON form that digests are taken of. */
#pragma once

#if !defined (__FLEET_H_INSIDE__) && !defined (FLEET_COMPILATION)
#error "Only <fleet/fleet.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

GBytes *fleet_canonical_json (JsonNode *node);
char *fleet_canonical_json_digest (JsonNode *node);

G_END_DECLS
