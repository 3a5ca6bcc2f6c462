/* SPDX-License-Identifier: LGPL-2.1-or-later */
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
 * the mutating method (Reconcile) to root and to the user fleetd runs as
 * (who could do anything fleetd does anyway: this is what lets an
 * unprivileged fleetd on a session bus, as in the tests, be steered), and
 * to whomever polkit authorizes for its action (dev.fleet.reconcile), as
 * fwupd and NetworkManager do.  polkit is asked only on the system bus,
 * where it identifies callers; when it cannot be asked, the caller is
 * refused.  The daemon asks the bus for the caller's uid itself rather than
 * relying on the bus policy, which may be missing or edited.
 */
#include "config.h"

#include <polkit/polkit.h>
#include <unistd.h>

#include "fleetd-dbus-agent.h"
#include "fleetd-log.h"
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

/* Methods that change something, and the polkit action each requires of
 * callers other than root (data/dev.fleet.Agent1.policy). */
static const struct
{
  const char *method;
  const char *action;
} mutating_methods[] = {
  { "Reconcile", "dev.fleet.reconcile" },
};

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

/* The polkit action @invocation requires, or NULL for a method open to
 * everyone. */
static const char *
lookup_action (GDBusMethodInvocation *invocation)
{
  const char *interface = g_dbus_method_invocation_get_interface_name (invocation);
  const char *method = g_dbus_method_invocation_get_method_name (invocation);

  if (g_strcmp0 (interface, FLEET_DBUS_NAME) != 0)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (mutating_methods); i++)
    if (g_str_equal (mutating_methods[i].method, method))
      return mutating_methods[i].action;
  return NULL;
}

/* The uid of the caller, from the bus.  Synchronous, and that is fine:
 * GLib runs g-authorize-method in a worker thread when a skeleton overrides
 * it, and only then dispatches the handler on the main context, so the
 * main loop never waits for this round trip, nor for polkit's answer. */
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

/* polkit names a caller by its system bus name: a name on any other bus
 * would be some other process's there.  fleetd's connection is the system
 * bus's shared one (g_bus_get()) when it is on the system bus. */
static gboolean
is_system_bus (GDBusConnection *connection)
{
  g_autoptr(GDBusConnection) system_bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, NULL);

  return system_bus == connection;
}

/* Whether polkit authorizes the caller for @action; an error says why not.
 * Authentication may be asked for only when the caller allowed it (fleetctl
 * does from a terminal), since it waits for an answer. */
static gboolean
polkit_authorizes (GDBusMethodInvocation *invocation, const char *action, GError **error)
{
  const char *method = g_dbus_method_invocation_get_method_name (invocation);
  GDBusMessage *message = g_dbus_method_invocation_get_message (invocation);
  PolkitCheckAuthorizationFlags flags = POLKIT_CHECK_AUTHORIZATION_FLAGS_NONE;
  g_autoptr(PolkitSubject) subject =
    polkit_system_bus_name_new (g_dbus_method_invocation_get_sender (invocation));
  g_autoptr(PolkitAuthority) authority = NULL;
  g_autoptr(PolkitAuthorizationResult) result = NULL;
  g_autoptr(GError) local_error = NULL;

  if (g_dbus_message_get_flags (message) & G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION)
    flags |= POLKIT_CHECK_AUTHORIZATION_FLAGS_ALLOW_USER_INTERACTION;
  authority = polkit_authority_get_sync (NULL, &local_error);
  if (authority != NULL)
    result = polkit_authority_check_authorization_sync (authority, subject, action, NULL, flags,
                                                        NULL, &local_error);
  if (result == NULL)
    {
      g_dbus_error_strip_remote_error (local_error);
      return fleet_throw (error, FLEET_ERROR_PERMISSION_DENIED,
                          "%s requires root or polkit's authorization (%s), and polkit cannot "
                          "be asked: %s",
                          method, action, local_error->message);
    }
  if (polkit_authorization_result_get_is_authorized (result))
    return TRUE;
  if (polkit_authorization_result_get_is_challenge (result))
    return fleet_throw (error, FLEET_ERROR_PERMISSION_DENIED,
                        "%s requires root or an administrator's authentication (polkit action "
                        "%s), and no authentication agent could ask for it",
                        method, action);
  return fleet_throw (error, FLEET_ERROR_PERMISSION_DENIED,
                      "%s is not authorized for this user (polkit action %s)", method, action);
}

/* Root, fleetd's own user, and whom polkit authorizes for @action. */
static gboolean
authorize_caller (GDBusMethodInvocation *invocation, const char *action, guint32 *out_uid,
                  GError **error)
{
  const char *method = g_dbus_method_invocation_get_method_name (invocation);
  g_autoptr(GError) local_error = NULL;

  if (!get_caller_uid (invocation, out_uid, &local_error))
    return fleet_throw (error, FLEET_ERROR_PERMISSION_DENIED,
                        "%s requires root, and the caller's uid is unknown: %s", method,
                        local_error->message);
  if (*out_uid == 0 || *out_uid == getuid ())
    return TRUE;
  if (!is_system_bus (g_dbus_method_invocation_get_connection (invocation)))
    return fleet_throw (error, FLEET_ERROR_PERMISSION_DENIED, "%s requires root", method);
  if (!polkit_authorizes (invocation, action, error))
    return FALSE;
  fleetd_log_event (G_LOG_LEVEL_MESSAGE, "authorize",
                    "method=%s caller=%s uid=%u polkit_action=%s", method,
                    g_dbus_method_invocation_get_sender (invocation), *out_uid, action);
  return TRUE;
}

static gboolean
fleetd_dbus_agent_authorize_method (GDBusInterfaceSkeleton *skeleton,
                                    GDBusMethodInvocation *invocation)
{
  g_autoptr(GError) error = NULL;
  const char *action = lookup_action (invocation);
  guint32 uid = G_MAXUINT32;
  g_autofree char *reason = NULL;

  if (action == NULL || authorize_caller (invocation, action, &uid, &error))
    return TRUE;
  reason = fleet_log_quote (error->message);
  fleetd_log_event (G_LOG_LEVEL_MESSAGE, "refuse", "method=%s caller=%s uid=%u reason=%s",
                    g_dbus_method_invocation_get_method_name (invocation),
                    g_dbus_method_invocation_get_sender (invocation), uid, reason);
  g_dbus_method_invocation_return_gerror (invocation, error);
  return FALSE;
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
