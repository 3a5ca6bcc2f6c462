/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-phase.h: the phases a deployment, and the agent, report. */
#pragma once

#if !defined (__FLEET_H_INSIDE__) && !defined (FLEET_COMPILATION)
#error "Only <fleet/fleet.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * FleetPhase:
 * @FLEET_PHASE_PENDING: accepted, not yet converged
 * @FLEET_PHASE_RUNNING: every service runs at its desired digest
 * @FLEET_PHASE_FAILED: the last action failed
 *
 * The phase of a deployment, or of the device as a whole.
 *
 * Since: 0.2
 */
typedef enum
{
  FLEET_PHASE_PENDING,
  FLEET_PHASE_RUNNING,
  FLEET_PHASE_FAILED,
} FleetPhase;

GType fleet_phase_get_type (void) G_GNUC_CONST;
#define FLEET_TYPE_PHASE (fleet_phase_get_type ())

const char *fleet_phase_to_string (FleetPhase phase);
gboolean fleet_phase_from_string (const char *s, FleetPhase *out_phase);

G_END_DECLS
