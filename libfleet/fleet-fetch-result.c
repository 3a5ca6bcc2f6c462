/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-fetch-result.c: what one fetch of a FleetSource brought (see
 * fleet-source.h), a reference-counted boxed type.
 */
#include "config.h"

#include "fleet-source.h"

G_DEFINE_BOXED_TYPE (FleetFetchResult, fleet_fetch_result, fleet_fetch_result_ref,
                     fleet_fetch_result_unref)

/**
 * fleet_fetch_result_new:
 * @not_modified: %TRUE when the document has not changed since the last committed fetch
 * @body: (nullable): the document, %NULL when @not_modified
 * @validator: (nullable): the version's validator
 *
 * Returns: (transfer full): a result
 *
 * Since: 0.2
 */
FleetFetchResult *
fleet_fetch_result_new (gboolean not_modified, GBytes *body, const char *validator)
{
  FleetFetchResult *result = g_new0 (FleetFetchResult, 1);

  g_atomic_ref_count_init (&result->ref);
  result->not_modified = not_modified;
  result->body = body ? g_bytes_ref (body) : NULL;
  result->validator = g_strdup (validator);
  return result;
}

/**
 * fleet_fetch_result_ref:
 * @result: a fetch result
 *
 * Take a reference to @result.
 *
 * Returns: (transfer full): @result
 *
 * Since: 0.2
 */
FleetFetchResult *
fleet_fetch_result_ref (FleetFetchResult *result)
{
  g_return_val_if_fail (result != NULL, NULL);

  g_atomic_ref_count_inc (&result->ref);
  return result;
}

/**
 * fleet_fetch_result_unref:
 * @result: a fetch result
 *
 * Drop a reference to @result; the last one frees it.
 *
 * Since: 0.2
 */
void
fleet_fetch_result_unref (FleetFetchResult *result)
{
  g_return_if_fail (result != NULL);

  if (!g_atomic_ref_count_dec (&result->ref))
    return;
  g_clear_pointer (&result->body, g_bytes_unref);
  g_free (result->validator);
  g_clear_pointer (&result->signature, g_bytes_unref);
  g_free (result);
}
