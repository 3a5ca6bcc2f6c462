/* fleetd-dbus-agent.c: the dev.fleet.Agent1 object at /dev/fleet/Agent1.
 *
 * It subclasses the skeleton gdbus-codegen generates from
 * data/dev.fleet.Agent1.xml and fills in its handle_* methods, as
 * rpm-ostree's daemon does; the properties follow the agent, and the
 * reconciler's deployment-phase-changed signal becomes
 * DeploymentPhaseChanged.
 *
 * Authorization happens in one place, g-authorize-method, before any
 * handler runs: reading (GetStatus, Plan, properties) is open to everyone;
 * the mutating method (Reconcile) only to uid 0.  The daemon asks the bus
 * for the caller's uid itself rather than relying on the bus policy, which
 * may be missing or edited.
 */
#include "config.h"

#include "fleetd-dbus-agent.h"
#include "fleet-util-private.h"

struct _FleetdDBusAgent
{
  FleetAgent1Skeleton parent_instance;

  FleetdAgent *agent;
};

static void fleetd_dbus_agent_iface_init (FleetAgent1Iface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FleetdDBusAgent, fleetd_dbus_agent, FLEET_TYPE_AGENT1_SKELETON,
                               G_IMPLEMENT_INTERFACE (FLEET_TYPE_AGENT1,
                                                      fleetd_dbus_agent_iface_init))

/* Methods that change something, and so require root. */
static const char *const mutating_methods[] = { "Reconcile", NULL };

static const char *
empty_if_null (const char *s)
{
  return s ? s : "";
}

static void
sync_properties (FleetdDBusAgent *self)
{
  FleetAgent1 *iface = FLEET_AGENT1 (self);
  FleetReconciler *reconciler = fleetd_agent_get_reconciler (self->agent);
  FleetDocument *desired = fleet_reconciler_get_desired (reconciler);
  const FleetFetchStatus *fetch = fleetd_agent_get_last_fetch (self->agent);

  fleet_agent1_set_version (iface, PACKAGE_VERSION);
  fleet_agent1_set_device_id (iface, fleetd_agent_get_device_id (self->agent));
  fleet_agent1_set_phase (iface, fleet_phase_to_string (fleet_reconciler_get_phase (reconciler)));
  fleet_agent1_set_generation (iface, desired ? desired->generation : -1);
  fleet_agent1_set_desired_digest (iface, desired ? desired->digest : "");
  fleet_agent1_set_signed_by (iface, empty_if_null (fleetd_agent_get_signed_by (self->agent)));
  fleet_agent1_set_last_fetch_at (iface, empty_if_null (fetch->at));
  fleet_agent1_set_last_fetch_result (iface, empty_if_null (fetch->result));
  fleet_agent1_set_last_fetch_error (iface, empty_if_null (fetch->error));
}

static void
on_agent_changed (FleetdAgent *agent, gpointer user_data)
{
  sync_properties (user_data);
}

static void
on_phase_notify (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  sync_properties (user_data);
}

static void
on_deployment_phase_changed (FleetReconciler *reconciler, const char *deployment,
                             const char *phase, gpointer user_data)
{
  fleet_agent1_emit_deployment_phase_changed (FLEET_AGENT1 (user_data), deployment, phase);
}

/* Authorization. */

static gboolean
is_mutating (GDBusMethodInvocation *invocation)
{
  const char *interface = g_dbus_method_invocation_get_interface_name (invocation);
  const char *method = g_dbus_method_invocation_get_method_name (invocation);

  return g_strcmp0 (interface, FLEET_DBUS_NAME) == 0
         && g_strv_contains (mutating_methods, method);
}

/* The uid of the caller, from the bus.  Synchronous, and that is fine:
 * GLib runs g-authorize-method in a worker thread when a skeleton overrides
 * it, and only then dispatches the handler on the main context, so the
 * main loop never waits for this round trip. */
static gboolean
get_caller_uid (GDBusMethodInvocation *invocation, guint32 *out_uid, GError **error)
{
  const char *sender = g_dbus_method_invocation_get_sender (invocation);
  g_autoptr(GVariant) reply = NULL;

  if (sender == NULL)
    return fleet_throw (error, FLEET_ERROR_PERMISSION_DENIED, "cannot identify the caller");
  reply = g_dbus_connection_call_sync (g_dbus_method_invocation_get_connection (invocation),
                                       "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetConnectionUnixUser",
                                       g_variant_new ("(s)", sender), G_VARIANT_TYPE ("(u)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(u)", out_uid);
  return TRUE;
}

static gboolean
fleetd_dbus_agent_authorize_method (GDBusInterfaceSkeleton *skeleton,
                                    GDBusMethodInvocation *invocation)
{
  g_autoptr(GError) error = NULL;
  const char *method = g_dbus_method_invocation_get_method_name (invocation);
  guint32 uid = G_MAXUINT32;

  if (!is_mutating (invocation))
    return TRUE;
  if (!get_caller_uid (invocation, &uid, &error))
    {
      g_dbus_method_invocation_return_error (invocation, FLEET_ERROR,
                                             FLEET_ERROR_PERMISSION_DENIED,
                                             "%s requires root, and the caller's uid is "
                                             "unknown: %s",
                                             method, error->message);
      return FALSE;
    }
  if (uid != 0)
    {
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "FLEET_ACTION", "refuse", "MESSAGE",
                        "action=refuse method=%s caller=%s uid=%u reason=\"not root\"", method,
                        g_dbus_method_invocation_get_sender (invocation), uid);
      g_dbus_method_invocation_return_error (invocation, FLEET_ERROR,
                                             FLEET_ERROR_PERMISSION_DENIED, "%s requires root",
                                             method);
      return FALSE;
    }
  return TRUE;
}

/* Methods. */

static gboolean
handle_get_status (FleetAgent1 *object, GDBusMethodInvocation *invocation)
{
  FleetdDBusAgent *self = FLEETD_DBUS_AGENT (object);
  g_autofree char *json = fleetd_agent_build_status_json (self->agent, FALSE);

  fleet_agent1_complete_get_status (object, invocation, json);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
on_reconciled (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  g_autoptr(GError) error = NULL;
  FleetPhase phase;

  if (!fleetd_agent_reconcile_finish (FLEETD_AGENT (source), result, &phase, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  fleet_agent1_complete_reconcile (NULL, invocation, fleet_phase_to_string (phase));
}

static gboolean
handle_reconcile (FleetAgent1 *object, GDBusMethodInvocation *invocation)
{
  FleetdDBusAgent *self = FLEETD_DBUS_AGENT (object);

  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "FLEET_ACTION", "reconcile", "MESSAGE",
                    "action=reconcile caller=%s reason=\"requested over D-Bus\"",
                    g_dbus_method_invocation_get_sender (invocation));
  fleetd_agent_reconcile_async (self->agent, NULL, on_reconciled, g_object_ref (invocation));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_plan (FleetAgent1 *object, GDBusMethodInvocation *invocation, const char *document)
{
  FleetdDBusAgent *self = FLEETD_DBUS_AGENT (object);
  g_autoptr(GError) error = NULL;
  g_autofree char *signed_by = NULL;
  g_autoptr(FleetPlan) plan = fleetd_agent_plan (self->agent, document, &signed_by, &error);
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *text = NULL;

  if (plan == NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  json = fleet_plan_to_json (plan);
  if (signed_by != NULL)
    json_object_set_string_member (json_node_get_object (json), "signed_by", signed_by);
  else
    json_object_set_null_member (json_node_get_object (json), "signed_by");
  text = json_to_string (json, FALSE);
  fleet_agent1_complete_plan (object, invocation, text);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
fleetd_dbus_agent_iface_init (FleetAgent1Iface *iface)
{
  iface->handle_get_status = handle_get_status;
  iface->handle_reconcile = handle_reconcile;
  iface->handle_plan = handle_plan;
}

/* Lifecycle. */

static void
fleetd_dbus_agent_dispose (GObject *object)
{
  FleetdDBusAgent *self = FLEETD_DBUS_AGENT (object);

  if (self->agent)
    {
      g_signal_handlers_disconnect_by_data (fleetd_agent_get_reconciler (self->agent), self);
      g_signal_handlers_disconnect_by_data (self->agent, self);
    }
  g_clear_object (&self->agent);
  G_OBJECT_CLASS (fleetd_dbus_agent_parent_class)->dispose (object);
}

static void
fleetd_dbus_agent_class_init (FleetdDBusAgentClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = fleetd_dbus_agent_dispose;
  G_DBUS_INTERFACE_SKELETON_CLASS (klass)->g_authorize_method =
    fleetd_dbus_agent_authorize_method;
}

static void
fleetd_dbus_agent_init (FleetdDBusAgent *self)
{
}

/**
 * fleetd_dbus_agent_new:
 *
 * Returns: (transfer full): the D-Bus object for @agent, to export with
 *   g_dbus_interface_skeleton_export() at %FLEET_DBUS_PATH
 */
FleetdDBusAgent *
fleetd_dbus_agent_new (FleetdAgent *agent)
{
  FleetdDBusAgent *self;
  FleetReconciler *reconciler;

  g_return_val_if_fail (FLEETD_IS_AGENT (agent), NULL);

  self = g_object_new (FLEETD_TYPE_DBUS_AGENT, NULL);
  self->agent = g_object_ref (agent);
  reconciler = fleetd_agent_get_reconciler (agent);
  g_signal_connect (agent, "changed", G_CALLBACK (on_agent_changed), self);
  g_signal_connect (agent, "fetched", G_CALLBACK (on_agent_changed), self);
  g_signal_connect (reconciler, "notify::phase", G_CALLBACK (on_phase_notify), self);
  g_signal_connect (reconciler, "deployment-phase-changed",
                    G_CALLBACK (on_deployment_phase_changed), self);
  sync_properties (self);
  return self;
}
