/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-agent-status.c: what the agent tells without changing anything:
 * a dry run of a candidate document (verified and validated as a fetched
 * one), and the status document, with the key that signed the document
 * being applied.
 */
#include "config.h"

#include <string.h>

#include "fleetd-agent-private.h"

/**
 * fleetd_agent_plan:
 * @document_text: a candidate desired-state document, signed (embedded) or not
 * @out_signed_by: (out) (optional) (nullable): the number of the key that
 *   signed it, %NULL when it is not signed
 *
 * A dry run: verify and validate @document_text as a fetched document
 * would be, and compute what applying it would do.  Changes nothing.
 *
 * Returns: (transfer full): the plan, or %NULL with the validation error
 */
FleetPlan *
fleetd_agent_plan (FleetdAgent *self, const char *document_text, char **out_signed_by,
                   GError **error)
{
  FleetReconciler *reconciler;
  g_autoptr(FleetDocument) document = NULL;
  g_autoptr(GBytes) bytes = NULL;

  g_return_val_if_fail (FLEETD_IS_AGENT (self), NULL);
  g_return_val_if_fail (document_text != NULL, NULL);

  reconciler = fleetd_agent_get_reconciler (self);
  bytes = g_bytes_new_static (document_text, strlen (document_text));
  document = fleet_document_verifier_open (_fleetd_agent_get_verifier (self), bytes, NULL,
                                           _fleetd_agent_get_limits (self), out_signed_by, error);
  if (document == NULL || !fleet_reconciler_check_document (reconciler, document, error))
    return NULL;
  return fleet_reconciler_plan (reconciler, document);
}

/* The key number that signed the document being applied, or NULL. */
const char *
fleetd_agent_get_signed_by (FleetdAgent *self)
{
  FleetDocument *desired;

  g_return_val_if_fail (FLEETD_IS_AGENT (self), NULL);

  desired = fleet_reconciler_get_desired (fleetd_agent_get_reconciler (self));
  return fleet_document_verifier_get_signed_by (_fleetd_agent_get_verifier (self), desired);
}

/* The status document of contract §3. */
JsonNode *
fleetd_agent_build_status (FleetdAgent *self)
{
  g_return_val_if_fail (FLEETD_IS_AGENT (self), NULL);
  return fleet_status_build_signed (fleetd_agent_get_reconciler (self),
                                    fleetd_agent_get_device_id (self),
                                    fleetd_agent_get_last_fetch (self),
                                    fleetd_agent_get_signed_by (self));
}

char *
fleetd_agent_build_status_json (FleetdAgent *self, gboolean pretty)
{
  g_autoptr(JsonNode) status = fleetd_agent_build_status (self);

  return fleet_status_to_string (status, pretty);
}
