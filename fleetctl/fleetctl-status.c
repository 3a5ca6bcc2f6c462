/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetctl-status.c: `fleetctl status [--json]`: the status document (contract
 * §3) of fleetd, as JSON or as a table with one row per service: its
 * deployment's phase, its container (short id), image, health (a column
 * only when a service has a check) and the deployment's last error, under the aggregate phase, generation, signing key and last
 * fetch.  The exit status tells the aggregate phase, so that a script can
 * test it.
 */
#include "config.h"

#include "fleetctl-common.h"

static const char *
member_string (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return "";
  return json_node_get_string (node);
}

static JsonObject *
member_object (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static void
print_summary (JsonObject *status)
{
  JsonNode *generation = json_object_get_member (status, "generation");
  JsonObject *fetch = member_object (status, "last_fetch");
  g_autofree char *generation_text = NULL;

  if (generation && JSON_NODE_HOLDS_VALUE (generation)
      && json_node_get_value_type (generation) == G_TYPE_INT64)
    generation_text = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (generation));
  g_print ("Device:      %s\n", member_string (status, "device_id"));
  g_print ("Phase:       %s\n", member_string (status, "phase"));
  g_print ("Generation:  %s\n", generation_text ? generation_text : "-");
  g_print ("Document:    %s\n", *member_string (status, "desired_digest")
                                  ? member_string (status, "desired_digest") : "-");
  g_print ("Signed by:   %s\n", *member_string (status, "signed_by")
                                  ? member_string (status, "signed_by") : "-");
  if (fetch == NULL)
    g_print ("Last fetch:  never\n");
  else if (*member_string (fetch, "error"))
    g_print ("Last fetch:  %s at %s: %s\n", member_string (fetch, "result"),
             member_string (fetch, "at"), member_string (fetch, "error"));
  else
    g_print ("Last fetch:  %s at %s\n", member_string (fetch, "result"),
             member_string (fetch, "at"));
}

/* The services of a deployment: those desired, and those still recorded. */
static GList *
list_services (JsonObject *deployment)
{
  JsonObject *desired = member_object (deployment, "services");
  JsonObject *recorded = member_object (deployment, "container_ids");
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GList) desired_names = desired ? json_object_get_members (desired) : NULL;
  g_autoptr(GList) recorded_names = recorded ? json_object_get_members (recorded) : NULL;

  for (GList *l = desired_names; l; l = l->next)
    g_hash_table_add (names, l->data);
  for (GList *l = recorded_names; l; l = l->next)
    g_hash_table_add (names, l->data);
  return g_list_sort (g_hash_table_get_keys (names), (GCompareFunc) g_strcmp0);
}

static void
add_deployment_rows (FleetctlTable *table, const char *name, JsonObject *deployment,
                     gboolean with_health)
{
  g_autoptr(GList) services = list_services (deployment);
  const char *phase = member_string (deployment, "phase");
  const char *last_error = member_string (deployment, "last_error");

  if (services == NULL)
    fleetctl_table_add_row (table, name, "", phase, "", "", last_error, NULL);
  for (GList *l = services; l; l = l->next)
    {
      JsonObject *service = member_object (member_object (deployment, "services"), l->data);
      const char *id = member_string (member_object (deployment, "container_ids"), l->data);
      g_autofree char *short_id = g_strndup (id, 12);

      const char *health = member_string (service, "health");

      if (with_health)
        fleetctl_table_add_row (table, name, l->data, phase, short_id,
                                member_string (service, "image"), health ? health : "-",
                                last_error, NULL);
      else
        fleetctl_table_add_row (table, name, l->data, phase, short_id,
                                member_string (service, "image"), last_error, NULL);
    }
}

/* Whether any service has a health check: only then a HEALTH column. */
static gboolean
any_health (JsonObject *deployments)
{
  g_autoptr(GList) names = deployments ? json_object_get_members (deployments) : NULL;

  for (GList *l = names; l; l = l->next)
    {
      JsonObject *services = member_object (member_object (deployments, l->data), "services");
      g_autoptr(GList) service_names = services ? json_object_get_members (services) : NULL;

      for (GList *m = service_names; m; m = m->next)
        if (member_string (member_object (services, m->data), "health") != NULL)
          return TRUE;
    }
  return FALSE;
}

static void
print_table (JsonObject *status)
{
  JsonObject *deployments = member_object (status, "deployments");
  g_autoptr(GList) names = deployments ? json_object_get_members (deployments) : NULL;
  gboolean with_health = any_health (deployments);
  g_autoptr(FleetctlTable) table = fleetctl_table_new (with_health ? 7 : 6);

  names = g_list_sort (names, (GCompareFunc) g_strcmp0);
  print_summary (status);
  if (names == NULL)
    {
      g_print ("\nNo deployments.\n");
      return;
    }
  g_print ("\n");
  if (with_health)
    fleetctl_table_add_row (table, "DEPLOYMENT", "SERVICE", "PHASE", "CONTAINER", "IMAGE",
                            "HEALTH", "LAST ERROR", NULL);
  else
    fleetctl_table_add_row (table, "DEPLOYMENT", "SERVICE", "PHASE", "CONTAINER", "IMAGE",
                            "LAST ERROR", NULL);
  for (GList *l = names; l; l = l->next)
    add_deployment_rows (table, l->data, member_object (deployments, l->data), with_health);
  fleetctl_table_print (table);
}

/* Not knowing the phase (fleetd cannot be reached, or sent what is not a
 * status) is an exit status of its own: a script must not take it for
 * Failed. */
static int
fail_phase_unknown (GError *error)
{
  fleetctl_fail (error);
  return FLEETCTL_EXIT_UNKNOWN;
}

/* The exit status for the device's phase: 0 Running, 1 Failed, 3 Pending. */
static int
exit_status_for_phase (JsonObject *status)
{
  const char *text = member_string (status, "phase");
  FleetPhase phase;

  if (!fleet_phase_from_string (text, &phase))
    {
      g_printerr ("fleetctl: fleetd reported an unknown phase \"%s\"\n", text);
      return FLEETCTL_EXIT_UNKNOWN;
    }
  switch (phase)
    {
    case FLEET_PHASE_RUNNING:
      return 0;
    case FLEET_PHASE_FAILED:
      return FLEETCTL_EXIT_FAILURE;
    case FLEET_PHASE_PENDING:
      return FLEETCTL_EXIT_PENDING;
    }
  return FLEETCTL_EXIT_UNKNOWN;
}

int
fleetctl_status (FleetctlContext *context, int argc, char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the status document as JSON", NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetAgent1) proxy = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *pretty = NULL;

  if (!fleetctl_parse_options (context, &argc, &argv, entries, NULL,
                               "Show the phase of each deployment and service.", &error))
    return fleetctl_usage_error ("%s", error->message);
  if (argc > 1)
    return fleetctl_usage_error ("status: unexpected argument \"%s\"", argv[1]);
  proxy = fleetctl_connect (context, &error);
  if (proxy == NULL || !fleet_agent1_call_get_status_sync (proxy, &text, NULL, &error))
    return fail_phase_unknown (error);
  if (!json_parser_load_from_data (parser, text, -1, &error)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      fleetctl_error ("fleetd sent a status that is not a JSON object");
      return FLEETCTL_EXIT_UNKNOWN;
    }
  if (json)
    {
      pretty = json_to_string (json_parser_get_root (parser), TRUE);
      g_print ("%s\n", pretty);
    }
  else
    print_table (json_node_get_object (json_parser_get_root (parser)));
  return exit_status_for_phase (json_node_get_object (json_parser_get_root (parser)));
}
