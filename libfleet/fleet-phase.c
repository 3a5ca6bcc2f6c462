/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-phase.c: phase names as the status document spells them. */
#include "config.h"

#include "fleet-phase.h"

static const GEnumValue phase_values[] = {
  { FLEET_PHASE_PENDING, "FLEET_PHASE_PENDING", "Pending" },
  { FLEET_PHASE_RUNNING, "FLEET_PHASE_RUNNING", "Running" },
  { FLEET_PHASE_FAILED, "FLEET_PHASE_FAILED", "Failed" },
  { 0, NULL, NULL },
};

GType
fleet_phase_get_type (void)
{
  static gsize type_id = 0;

  if (g_once_init_enter (&type_id))
    g_once_init_leave (&type_id, g_enum_register_static ("FleetPhase", phase_values));
  return type_id;
}

/**
 * fleet_phase_to_string:
 * @phase: the phase
 *
 * The phase as the status document names it.
 *
 * Returns: "Pending", "Running" or "Failed"
 *
 * Since: 0.2
 */
const char *
fleet_phase_to_string (FleetPhase phase)
{
  g_return_val_if_fail (phase <= FLEET_PHASE_FAILED, "Failed");

  return phase_values[phase].value_nick;
}

/**
 * fleet_phase_from_string:
 * @s: an #char
 * @out_phase: (out) (optional): the phase after the pass
 *
 * The phase named @s (the reverse of fleet_phase_to_string()).
 *
 * Returns: %TRUE when @s names a phase
 *
 * Since: 0.2
 */
gboolean
fleet_phase_from_string (const char *s, FleetPhase *out_phase)
{
  g_return_val_if_fail (s != NULL, FALSE);

  for (guint i = 0; phase_values[i].value_nick != NULL; i++)
    {
      if (g_strcmp0 (s, phase_values[i].value_nick) == 0)
        {
          *out_phase = phase_values[i].value;
          return TRUE;
        }
    }
  return FALSE;
}
