/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-status.h: the status document of the contract (§3). */
#pragma once

#if !defined (__FLEET_H_INSIDE__) && !defined (FLEET_COMPILATION)
#error "Only <fleet/fleet.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "fleet-reconciler.h"

G_BEGIN_DECLS

/**
 * FleetFetchStatus:
 * @at: (nullable): when the source was last fetched (ISO 8601)
 * @result: (nullable): "ok", "not-modified" or "error"
 * @error: (nullable): why the last fetch failed
 *
 * The outcome of the last fetch, as the agent reports it.
 *
 * Since: 0.2
 */
typedef struct
{
  char *at;
  char *result;
  char *error;
} FleetFetchStatus;

void fleet_fetch_status_clear (FleetFetchStatus *status);
void fleet_fetch_status_set (FleetFetchStatus *status, const char *result, const char *error);

JsonNode *fleet_status_build (FleetReconciler *reconciler, const char *device_id,
                              const FleetFetchStatus *last_fetch);
JsonNode *fleet_status_build_signed (FleetReconciler *reconciler, const char *device_id,
                                     const FleetFetchStatus *last_fetch, const char *signed_by);
char *fleet_status_to_string (JsonNode *status, gboolean pretty);

G_END_DECLS
