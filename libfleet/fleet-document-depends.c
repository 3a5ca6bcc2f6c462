/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-document-depends.c: `depends_on`, the start order within a
 * deployment, in compose's two forms:
 *
 *   "depends_on": ["db", "cache"]
 *   "depends_on": {"migrate": {"condition": "service_completed_successfully"},
 *                  "db": {"condition": "service_started"}}
 *
 * A service's own field is checked with the service; what needs the whole
 * deployment (every name known, no cycle, a job that can complete) once
 * all its services are read.
 */
#include "config.h"

#include <string.h>

#include "fleet-document-parser-private.h"

#define invalid _fleet_document_invalid

static gboolean
add_dependency (FleetServiceSpec *spec, const char *name, FleetDependencyCondition condition,
                const FleetDocumentPath *path, GError **error)
{
  FleetServiceDependency *dependency;

  if (!_fleet_document_is_valid_name (name))
    return invalid (error, path, "\"%s\" is not a valid service name", name);
  if (g_str_equal (name, spec->name))
    return invalid (error, path, "service \"%s\" cannot depend on itself", name);
  dependency = g_new0 (FleetServiceDependency, 1);
  dependency->service = g_strdup (name);
  dependency->condition = condition;
  g_ptr_array_add (spec->depends_on, dependency);
  return TRUE;
}

static gboolean
parse_dependency_list (FleetParseContext *ctx, const FleetJsonValue *value,
                       const FleetDocumentPath *path, FleetServiceSpec *spec, GError **error)
{
  const FleetJsonValue *elements = _fleet_json_tree_get_children (ctx->tree, value);

  for (guint i = 0; i < value->n_children; i++)
    {
      FleetDocumentPath p = FLEET_DOCUMENT_ELEMENT (path, i);
      const char *name = _fleet_document_require_string (ctx, &elements[i], &p, error);

      if (name == NULL)
        return FALSE;
      for (guint j = 0; j < i; j++)
        if (g_str_equal (((FleetServiceDependency *) spec->depends_on->pdata[j])->service, name))
          {
            FleetDocumentPath q = FLEET_DOCUMENT_ELEMENT (path, j);
            g_autofree char *where = _fleet_document_path_to_string (&q);

            return invalid (error, &p, "\"%s\" is listed twice (also %s)", name, where);
          }
      if (!add_dependency (spec, name, FLEET_DEPENDENCY_SERVICE_STARTED, &p, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_condition (FleetParseContext *ctx, const FleetJsonValue *value,
                 const FleetDocumentPath *path, FleetDependencyCondition *out, GError **error)
{
  const char *s = _fleet_document_require_string (ctx, value, path, error);

  if (s == NULL)
    return FALSE;
  if (g_str_equal (s, "service_started"))
    *out = FLEET_DEPENDENCY_SERVICE_STARTED;
  else if (g_str_equal (s, "service_completed_successfully"))
    *out = FLEET_DEPENDENCY_SERVICE_COMPLETED_SUCCESSFULLY;
  else if (g_str_equal (s, "service_healthy"))
    *out = FLEET_DEPENDENCY_SERVICE_HEALTHY;
  else
    return invalid (error, path, "unknown condition \"%s\" (expected \"service_started\", "
                    "\"service_completed_successfully\" or \"service_healthy\")", s);
  return TRUE;
}

static gboolean
parse_dependency_object (FleetParseContext *ctx, const FleetJsonValue *value,
                         const FleetDocumentPath *path, FleetServiceSpec *spec, GError **error)
{
  static const char *const allowed[] = { "condition", NULL };
  const FleetJsonValue *members = _fleet_json_tree_get_children (ctx->tree, value);

  for (guint i = 0; i < value->n_children; i++)
    {
      const FleetJsonValue *found[G_N_ELEMENTS (allowed)] = { NULL, };
      FleetDocumentPath p = FLEET_DOCUMENT_MEMBER (path, members[i].key);
      FleetDocumentPath condition_path = FLEET_DOCUMENT_MEMBER (&p, "condition");
      FleetDependencyCondition condition = FLEET_DEPENDENCY_SERVICE_STARTED;

      if (strlen (members[i].key) > ctx->limits->max_string_bytes)
        return invalid (error, path, "member name longer than %" G_GSIZE_FORMAT " bytes",
                        ctx->limits->max_string_bytes);
      if (!_fleet_document_require_object (&members[i], &p, error)
          || !_fleet_document_check_members (ctx, &members[i], &p, allowed, found, error))
        return FALSE;
      if (found[0] == NULL)
        return invalid (error, &condition_path, "required field is missing");
      if (!parse_condition (ctx, found[0], &condition_path, &condition, error)
          || !add_dependency (spec, members[i].key, condition, &p, error))
        return FALSE;
    }
  return TRUE;
}

FLEET_DOCUMENT_FIELD_PARSER (depends_on)
{
  if (value->type == FLEET_JSON_ARRAY)
    return parse_dependency_list (ctx, value, path, spec, error);
  if (value->type == FLEET_JSON_OBJECT)
    return parse_dependency_object (ctx, value, path, spec, error);
  return invalid (error, path, "expected an array of service names or an object of "
                  "{\"condition\": ...} by service name");
}

/* What the checks of a deployment's dependencies share. */
typedef struct
{
  FleetParseContext *ctx;
  FleetDeploymentSpec *deployment;
  const FleetDocumentPath *services_path;
  GHashTable *index; /* service name -> its position + 1 */
  guint8 *state;     /* per service: NOT_VISITED, ON_PATH or DONE */
  GArray *path;      /* guint: the services on the path being walked */
  GError **error;
} DependencyWalk;

enum
{
  NOT_VISITED,
  ON_PATH,
  DONE,
};

static FleetServiceSpec *
service_at (DependencyWalk *walk, guint i)
{
  return walk->deployment->services->pdata[i];
}

/* The JSON value of the service at @i: the parsed services of this
 * deployment are the last ones the context collected. */
static const FleetJsonValue *
service_value_at (DependencyWalk *walk, guint i)
{
  guint base = walk->ctx->services->len - walk->deployment->services->len;

  return g_array_index (walk->ctx->services, FleetParsedService, base + i).value;
}

/* Fails with @rule at the path of dependency @j of service @i. */
static gboolean
dependency_invalid (DependencyWalk *walk, guint i, guint j, const char *rule)
{
  const FleetJsonValue *value = _fleet_json_object_get_member (
      walk->ctx->tree, service_value_at (walk, i), "depends_on");
  FleetServiceDependency *dependency = service_at (walk, i)->depends_on->pdata[j];
  FleetDocumentPath service_path = FLEET_DOCUMENT_ELEMENT (walk->services_path, i);
  FleetDocumentPath field_path = FLEET_DOCUMENT_MEMBER (&service_path, "depends_on");
  FleetDocumentPath element_path = FLEET_DOCUMENT_ELEMENT (&field_path, j);
  FleetDocumentPath member_path = FLEET_DOCUMENT_MEMBER (&field_path, dependency->service);

  return invalid (walk->error, value->type == FLEET_JSON_ARRAY ? &element_path : &member_path,
                  "%s", rule);
}

/* Every dependency names a service of the deployment, and one that must
 * complete can: a service restarted always never does. */
static gboolean
check_targets (DependencyWalk *walk, guint i)
{
  GPtrArray *depends_on = service_at (walk, i)->depends_on;

  for (guint j = 0; j < depends_on->len; j++)
    {
      FleetServiceDependency *dependency = depends_on->pdata[j];
      guint target = GPOINTER_TO_UINT (g_hash_table_lookup (walk->index, dependency->service));
      g_autofree char *rule = NULL;

      if (target == 0)
        rule = g_strdup_printf ("unknown service \"%s\" (deployment \"%s\" has none of that "
                                "name)", dependency->service, walk->deployment->name);
      else if (dependency->condition == FLEET_DEPENDENCY_SERVICE_COMPLETED_SUCCESSFULLY
               && service_at (walk, target - 1)->restart == FLEET_SERVICE_RESTART_ALWAYS)
        rule = g_strdup_printf ("service \"%s\" is restarted always, so it never completes "
                                "(give it \"restart\": \"no\" or \"on-failure\")",
                                dependency->service);
      else if (dependency->condition == FLEET_DEPENDENCY_SERVICE_HEALTHY
               && !fleet_healthcheck_is_active (service_at (walk, target - 1)->healthcheck))
        rule = g_strdup_printf ("service \"%s\" has no health check, so it never becomes "
                                "healthy", dependency->service);
      if (rule != NULL)
        return dependency_invalid (walk, i, j, rule);
    }
  return TRUE;
}

/* "a -> b -> c -> a": the walked path from @target back to it. */
static char *
describe_cycle (DependencyWalk *walk, guint target)
{
  GString *out = g_string_new (NULL);
  guint start = walk->path->len;

  while (start > 0 && g_array_index (walk->path, guint, start - 1) != target)
    start--;
  for (guint k = start - 1; k < walk->path->len; k++)
    g_string_append_printf (out, "%s -> ", service_at (walk, g_array_index (walk->path, guint,
                                                                             k))->name);
  g_string_append (out, service_at (walk, target)->name);
  return g_string_free (out, FALSE);
}

/* Depth first from service @i; the depth is bounded by the number of
 * services of the deployment. */
static gboolean
walk_from (DependencyWalk *walk, guint i)
{
  GPtrArray *depends_on = service_at (walk, i)->depends_on;

  walk->state[i] = ON_PATH;
  g_array_append_val (walk->path, i);
  for (guint j = 0; j < depends_on->len; j++)
    {
      FleetServiceDependency *dependency = depends_on->pdata[j];
      guint target = GPOINTER_TO_UINT (g_hash_table_lookup (walk->index, dependency->service)) - 1;

      if (walk->state[target] == ON_PATH)
        {
          g_autofree char *cycle = describe_cycle (walk, target);
          g_autofree char *rule = g_strdup_printf ("dependency cycle: %s", cycle);

          return dependency_invalid (walk, i, j, rule);
        }
      if (walk->state[target] == NOT_VISITED && !walk_from (walk, target))
        return FALSE;
    }
  g_array_set_size (walk->path, walk->path->len - 1);
  walk->state[i] = DONE;
  return TRUE;
}

/**
 * _fleet_document_check_dependencies:
 * @services_path: the path of the deployment's services array
 *
 * The rules of `depends_on` that need the whole deployment: every name is
 * a service of it, a service that must complete can, and there is no
 * cycle.  The first violation in document order is reported.
 */
gboolean
_fleet_document_check_dependencies (FleetParseContext *ctx, FleetDeploymentSpec *deployment,
                                    const FleetDocumentPath *services_path, GError **error)
{
  guint n = deployment->services->len;
  g_autoptr(GHashTable) index = NULL;
  g_autofree guint8 *state = NULL;
  g_autoptr(GArray) path = NULL;
  DependencyWalk walk = { ctx, deployment, services_path, NULL, NULL, NULL, error };
  guint with_dependencies = 0;

  for (guint i = 0; i < n; i++)
    with_dependencies += service_at (&walk, i)->depends_on->len > 0;
  if (with_dependencies == 0)
    return TRUE;
  walk.index = index = g_hash_table_new (g_str_hash, g_str_equal);
  walk.state = state = g_new0 (guint8, n);
  walk.path = path = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < n; i++)
    g_hash_table_insert (index, service_at (&walk, i)->name, GUINT_TO_POINTER (i + 1));
  for (guint i = 0; i < n; i++)
    if (!check_targets (&walk, i))
      return FALSE;
  for (guint i = 0; i < n; i++)
    if (state[i] == NOT_VISITED && !walk_from (&walk, i))
      return FALSE;
  return TRUE;
}
