/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-state.c: libFuzzer target for the persisted state's reader (`make
 * fuzz`), also replayed over its corpus by `make check`.  An input is the
 * contents of state.json, optionally followed by a NUL byte and the
 * contents of desired.json (neither can hold a NUL itself).  A corrupt
 * state.json must be refused with FLEET_ERROR_STATE_CORRUPT, a desired.json
 * that is no document must leave the state without one, and nothing may
 * crash; a state that loads must save and load again to the same bytes.
 */
#include "config.h"

#include <string.h>

#include <fleet.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  const guint8 *nul = memchr (data, '\0', size);
  gsize state_size = nul ? (gsize) (nul - data) : size;
  g_autoptr(GBytes) bytes = g_bytes_new (data, state_size);
  g_autoptr(GBytes) desired = nul ? g_bytes_new (nul + 1, size - state_size - 1) : NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetState) state = fleet_state_deserialize (bytes, desired, &error);
  g_autoptr(GBytes) saved = NULL;
  g_autoptr(FleetState) again = NULL;
  g_autoptr(GBytes) resaved = NULL;

  if (state == NULL)
    {
      g_assert_error (error, FLEET_ERROR, FLEET_ERROR_STATE_CORRUPT);
      return 0;
    }
  saved = fleet_state_serialize (state);
  again = fleet_state_deserialize (saved, fleet_state_get_desired (state) ? fleet_state_get_desired (state)->canonical : NULL,
                                   &error);
  g_assert_no_error (error);
  g_assert_true ((fleet_state_get_desired (state) == NULL) == (fleet_state_get_desired (again) == NULL));
  g_assert_true (fleet_state_get_desired (state) == NULL || fleet_document_equal (fleet_state_get_desired (state), fleet_state_get_desired (again)));
  g_assert_cmpint (fleet_state_get_generation (state), ==, fleet_state_get_generation (again));
  resaved = fleet_state_serialize (again);
  g_assert_true (g_bytes_equal (saved, resaved));
  return 0;
}
