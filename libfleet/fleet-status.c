/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-status.c: build the status document (contract §3) from the
 * reconciler's state.  Members beyond the contract's are additions only:
 * per deployment a "services" object with each service's image and digests,
 * "state_error", why the state file could not be written (or null), and
 * "signed_by", the number of the key that signed the applied document (or
 * null).
 */
#include "config.h"

#include "fleet-status.h"
#include "fleet-util-private.h"

/**
 * fleet_fetch_status_clear:
 * @status: the fetch status
 *
 * Free what @status holds and set its members to %NULL.
 *
 * Since: 0.2
 */
void
fleet_fetch_status_clear (FleetFetchStatus *status)
{
  g_return_if_fail (status != NULL);

  g_clear_pointer (&status->at, g_free);
  g_clear_pointer (&status->result, g_free);
  g_clear_pointer (&status->error, g_free);
}

/**
 * fleet_fetch_status_set:
 * @status: the fetch status
 * @result: "ok", "not-modified" or "error"
 * @error: (nullable): why the fetch failed, or %NULL
 *
 * Record a fetch that happened now.
 *
 * Since: 0.2
 */
void
fleet_fetch_status_set (FleetFetchStatus *status, const char *result, const char *error)
{
  g_return_if_fail (status != NULL);

  fleet_fetch_status_clear (status);
  status->at = fleet_format_timestamp (NULL);
  status->result = g_strdup (result);
  status->error = g_strdup (error);
}

static void
add_nullable (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  if (value)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

/* "health" and "health_output" of a service with a check. */
static void
add_health (JsonBuilder *builder, FleetReconciler *reconciler, FleetServiceSpec *desired)
{
  const char *output = NULL;
  const char *health;

  if (!fleet_healthcheck_is_active (desired->healthcheck))
    return;
  health = fleet_reconciler_get_service_health (reconciler, desired->deployment, desired->name,
                                                &output);
  add_nullable (builder, "health", health ? health : "starting");
  add_nullable (builder, "health_output", output);
}

static void
add_services (JsonBuilder *builder, FleetReconciler *reconciler,
              const FleetDeploymentRecord *record, FleetDeploymentSpec *spec)
{
  g_autoptr(GPtrArray) names = fleet_deployment_record_get_service_names (record);

  json_builder_set_member_name (builder, "container_ids");
  json_builder_begin_object (builder);
  for (guint i = 0; i < names->len; i++)
    {
      const FleetServiceRecord *service =
        fleet_deployment_record_lookup_service (record, names->pdata[i]);

      if (service->container_id)
        add_nullable (builder, names->pdata[i], service->container_id);
    }
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "services");
  json_builder_begin_object (builder);
  for (guint i = 0; spec && i < spec->services->len; i++)
    {
      FleetServiceSpec *desired = spec->services->pdata[i];
      const FleetServiceRecord *service =
        fleet_deployment_record_lookup_service (record, desired->name);

      json_builder_set_member_name (builder, desired->name);
      json_builder_begin_object (builder);
      add_nullable (builder, "image", desired->image);
      add_nullable (builder, "container_id", service ? service->container_id : NULL);
      add_nullable (builder, "spec_digest", service ? service->spec_digest : NULL);
      add_nullable (builder, "desired_digest", desired->digest);
      add_health (builder, reconciler, desired);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
}

static void
add_deployments (JsonBuilder *builder, FleetReconciler *reconciler)
{
  FleetState *state = fleet_reconciler_get_state (reconciler);
  g_autoptr(GPtrArray) names = fleet_state_get_deployment_names (state);

  json_builder_set_member_name (builder, "deployments");
  json_builder_begin_object (builder);
  for (guint i = 0; i < names->len; i++)
    {
      const FleetDeploymentRecord *record = fleet_state_lookup_deployment (state,
                                                                           names->pdata[i]);
      FleetDocument *desired = fleet_state_get_desired (state);
      FleetDeploymentSpec *spec =
        desired ? fleet_document_lookup_deployment (desired, record->name) : NULL;

      json_builder_set_member_name (builder, record->name);
      json_builder_begin_object (builder);
      add_nullable (builder, "phase", fleet_phase_to_string (record->phase));
      add_services (builder, reconciler, record, spec);
      add_nullable (builder, "last_error", record->last_error);
      add_nullable (builder, "last_event_at", record->last_event_at);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
}

/**
 * fleet_status_build:
 * @reconciler: the reconciler
 * @device_id: the device id
 * @last_fetch: (nullable): the last fetch, or %NULL when there was none
 *
 * As fleet_status_build_signed(), for a document not signed.
 *
 * Returns: (transfer full): the status document
 *
 * Since: 0.2
 */
JsonNode *
fleet_status_build (FleetReconciler *reconciler, const char *device_id,
                    const FleetFetchStatus *last_fetch)
{
  g_return_val_if_fail (FLEET_IS_RECONCILER (reconciler), NULL);

  return fleet_status_build_signed (reconciler, device_id, last_fetch, NULL);
}

/**
 * fleet_status_build_signed:
 * @reconciler: the reconciler
 * @device_id: the device id
 * @last_fetch: (nullable): the last fetch, or %NULL when there was none
 * @signed_by: (nullable): the number of the key that signed the document
 *   being applied, %NULL when it is not signed
 *
 * Returns: (transfer full): the status document
 *
 * Since: 0.2
 */
JsonNode *
fleet_status_build_signed (FleetReconciler *reconciler, const char *device_id,
                           const FleetFetchStatus *last_fetch, const char *signed_by)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  FleetState *state;
  FleetDocument *desired;

  g_return_val_if_fail (FLEET_IS_RECONCILER (reconciler), NULL);

  state = fleet_reconciler_get_state (reconciler);
  desired = fleet_state_get_desired (state);
  json_builder_begin_object (builder);
  add_nullable (builder, "device_id", device_id);
  add_nullable (builder, "agent_version", PACKAGE_VERSION);
  json_builder_set_member_name (builder, "generation");
  if (desired && desired->generation >= 0)
    json_builder_add_int_value (builder, desired->generation);
  else
    json_builder_add_null_value (builder);
  add_nullable (builder, "desired_digest", desired ? desired->digest : NULL);
  add_nullable (builder, "signed_by", signed_by);
  add_nullable (builder, "phase", fleet_phase_to_string (fleet_reconciler_get_phase (reconciler)));
  json_builder_set_member_name (builder, "last_fetch");
  if (last_fetch && last_fetch->result)
    {
      json_builder_begin_object (builder);
      add_nullable (builder, "at", last_fetch->at);
      add_nullable (builder, "result", last_fetch->result);
      add_nullable (builder, "error", last_fetch->error);
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);
  add_deployments (builder, reconciler);
  add_nullable (builder, "state_error", fleet_reconciler_get_persist_error (reconciler));
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/**
 * fleet_status_to_string:
 * @status: the fetch status
 * @pretty: %TRUE to indent it
 *
 * The status document as JSON text.
 *
 * Returns: (transfer full): the JSON text
 *
 * Since: 0.2
 */
char *
fleet_status_to_string (JsonNode *status, gboolean pretty)
{
  g_return_val_if_fail (status != NULL, NULL);

  return json_to_string (status, pretty);
}
