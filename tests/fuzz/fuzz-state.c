/* fuzz-state.c: libFuzzer target for the persisted state file reader
 * (`make fuzz`), also replayed over its corpus by `make check`.  A corrupt
 * state file must be refused with FLEET_ERROR_STATE_CORRUPT, never crash;
 * one that loads must serialise and load again to the same bytes.
 */
#include "config.h"

#include <fleet.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetState) state = fleet_state_deserialize (bytes, &error);
  g_autoptr(GBytes) saved = NULL;
  g_autoptr(FleetState) again = NULL;
  g_autoptr(GBytes) resaved = NULL;

  if (state == NULL)
    {
      g_assert_error (error, FLEET_ERROR, FLEET_ERROR_STATE_CORRUPT);
      return 0;
    }
  saved = fleet_state_serialize (state);
  again = fleet_state_deserialize (saved, &error);
  g_assert_no_error (error);
  resaved = fleet_state_serialize (again);
  g_assert_true (g_bytes_equal (saved, resaved));
  return 0;
}
