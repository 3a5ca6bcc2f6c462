/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-document-parser.c: parse and validate a desired-state document.
 *
 * Validation is strict and atomic: every member must be known (a
 * service's are listed in fleet-document-fields.c), every value must follow
 * the contract's rules (fleet-document-values.c and the files the field
 * table names), and the first violation aborts the whole parse with an
 * error naming its JSON path and the rule.  Only a document that passed
 * every check is turned into a FleetDocument.
 *
 * The text is walked once by the strict reader (fleet-json-tree.c), the
 * tree it builds once by the checks here, and once more to write the
 * canonical form; both digests come from that one canonical text: the
 * document's is its SHA-256, and each service's is the SHA-256 of the
 * service's own part of it with the effective lifecycle spliced in.
 */
#include "config.h"

#include <string.h>

#include "fleet-canonical-json-private.h"
#include "fleet-deployment-spec-private.h"
#include "fleet-document-parser-private.h"
#include "fleet-document-private.h"
#include "fleet-service-spec-private.h"
#include "fleet-util-private.h"

/* Deeper than any valid document nests; bounds the reader's recursion. */
#define MAX_NESTING 32

#define invalid _fleet_document_invalid
#define member_of FLEET_DOCUMENT_MEMBER

static FleetServiceSpec *
parse_service (FleetParseContext *ctx, FleetDeploymentSpec *deployment,
               const FleetJsonValue *value, const FleetDocumentPath *path, GError **error)
{
  g_autoptr(FleetServiceSpec) spec = _fleet_service_spec_new ();
  const FleetJsonValue *found[FLEET_N_SERVICE_FIELDS + 1] = { NULL, };
  FleetParsedService parsed = { spec, value };

  if (!_fleet_document_require_object (value, path, error)
      || !_fleet_document_check_members (ctx, value, path, _fleet_service_members, found, error))
    return NULL;
  spec->deployment = g_strdup (deployment->name);
  for (guint i = 0; i < FLEET_N_SERVICE_FIELDS; i++)
    {
      const FleetServiceField *field = &_fleet_service_fields[i];
      FleetDocumentPath p = member_of (path, field->name);

      if (found[i] == NULL && field->required)
        return invalid (error, &p, "required field is missing"), NULL;
      if (found[i] != NULL && !field->parse (ctx, found[i], &p, spec, error))
        return NULL;
    }
  if (spec->env == NULL)
    spec->env = g_new0 (char *, 1);
  if (spec->labels == NULL)
    spec->labels = g_new0 (char *, 1);
  if (spec->cap_add == NULL)
    spec->cap_add = g_new0 (char *, 1);
  if (spec->cap_drop == NULL)
    spec->cap_drop = g_new0 (char *, 1);
  if (!_fleet_document_check_service (ctx, spec, path, error))
    return NULL;
  spec->lifecycle.stop_signal = g_strdup (deployment->lifecycle.stop_signal);
  spec->lifecycle.stop_signal_number = deployment->lifecycle.stop_signal_number;
  spec->lifecycle.grace_period_secs = deployment->lifecycle.grace_period_secs;
  g_array_append_val (ctx->services, parsed);
  return g_steal_pointer (&spec);
}

static gboolean
parse_services (FleetParseContext *ctx, FleetDeploymentSpec *deployment,
                const FleetJsonValue *value, const FleetDocumentPath *path, GError **error)
{
  const FleetJsonValue *elements = _fleet_json_tree_get_children (ctx->tree, value);
  guint n = value->n_children;

  if (!_fleet_document_require_array (value, path, error))
    return FALSE;
  if (n == 0)
    return invalid (error, path, "expected at least one service");
  ctx->n_services += n;
  if (ctx->n_services > ctx->limits->max_services)
    return invalid (error, path, "too many services (more than %u in the document)",
                    ctx->limits->max_services);
  for (guint i = 0; i < n; i++)
    {
      FleetDocumentPath p = FLEET_DOCUMENT_ELEMENT (path, i);
      FleetServiceSpec *spec = parse_service (ctx, deployment, &elements[i], &p, error);

      if (spec == NULL)
        return FALSE;
      g_ptr_array_add (deployment->services, spec);
      for (guint j = 0; j < i; j++)
        {
          FleetServiceSpec *other = deployment->services->pdata[j];
          g_autofree char *other_path = NULL;

          if (!g_str_equal (other->name, spec->name))
            continue;
          other_path = _fleet_document_path_to_string (path);
          return invalid (error, &p, "duplicate service name \"%s\" (also %s[%u])", other->name,
                          other_path, j);
        }
    }
  return _fleet_document_check_dependencies (ctx, deployment, path, error);
}

/* The envelope {"type": "PodmanV0", "data": {...}}: its data, or NULL. */
static const FleetJsonValue *
parse_envelope (FleetParseContext *ctx, const FleetJsonValue *value,
                const FleetDocumentPath *path, GError **error)
{
  static const char *const allowed[] = { "type", "data", NULL };
  const FleetJsonValue *found[G_N_ELEMENTS (allowed)] = { NULL, };
  FleetDocumentPath type_path = member_of (path, "type");
  FleetDocumentPath data_path = member_of (path, "data");
  const char *type;

  if (!_fleet_document_require_object (value, path, error)
      || !_fleet_document_check_members (ctx, value, path, allowed, found, error))
    return NULL;
  if (found[0] == NULL)
    return invalid (error, &type_path, "required field is missing"), NULL;
  if (!(type = _fleet_document_require_string (ctx, found[0], &type_path, error)))
    return NULL;
  if (!g_str_equal (type, "PodmanV0"))
    return invalid (error, &type_path, "unsupported type \"%s\" (expected \"PodmanV0\")", type),
           NULL;
  if (found[1] == NULL)
    return invalid (error, &data_path, "required field is missing"), NULL;
  if (!_fleet_document_require_object (found[1], &data_path, error))
    return NULL;
  return found[1];
}

static FleetDeploymentSpec *
parse_deployment (FleetParseContext *ctx, const FleetJsonValue *value,
                  const FleetDocumentPath *parent, GError **error)
{
  static const char *const allowed[] = { "services", "lifecycle", NULL };
  const FleetJsonValue *found[G_N_ELEMENTS (allowed)] = { NULL, };
  FleetDocumentPath path = member_of (parent, value->key);
  FleetDocumentPath data_path = member_of (&path, "data");
  FleetDocumentPath services_path = member_of (&data_path, "services");
  FleetDocumentPath lifecycle_path = member_of (&data_path, "lifecycle");
  g_autoptr(FleetDeploymentSpec) deployment = NULL;
  const FleetJsonValue *data;

  if (!_fleet_document_is_valid_name (value->key))
    return invalid (error, parent,
                    "\"%s\" is not a valid deployment name (1-63 of a-z, 0-9 and '-', "
                    "starting and ending with a letter or digit)", value->key),
           NULL;
  if (!(data = parse_envelope (ctx, value, &path, error)))
    return NULL;
  if (!_fleet_document_check_members (ctx, data, &data_path, allowed, found, error))
    return NULL;

  deployment = _fleet_deployment_spec_new (value->key);
  if (!_fleet_document_parse_lifecycle (ctx, found[1], &lifecycle_path, &deployment->lifecycle,
                                        error))
    return NULL;
  if (found[0] == NULL)
    return invalid (error, &services_path, "required field is missing"), NULL;
  if (!parse_services (ctx, deployment, found[0], &services_path, error))
    return NULL;
  return g_steal_pointer (&deployment);
}

static int
compare_keys (gconstpointer a, gconstpointer b)
{
  return strcmp ((*(const FleetJsonValue *const *) a)->key,
                 (*(const FleetJsonValue *const *) b)->key);
}

/* Deployments are parsed, and kept, in the order of their names. */
static gboolean
parse_deployments (FleetParseContext *ctx, const FleetJsonValue *value, FleetDocument *document,
                   GError **error)
{
  const FleetDocumentPath path = member_of (NULL, "deployments");
  const FleetJsonValue *members = _fleet_json_tree_get_children (ctx->tree, value);
  g_autoptr(GPtrArray) sorted = NULL;

  if (!_fleet_document_require_object (value, &path, error))
    return FALSE;
  if (value->n_children > ctx->limits->max_deployments)
    return invalid (error, &path, "too many deployments (%u, at most %u)", value->n_children,
                    ctx->limits->max_deployments);
  sorted = g_ptr_array_sized_new (value->n_children);
  for (guint i = 0; i < value->n_children; i++)
    {
      if (strlen (members[i].key) > ctx->limits->max_string_bytes)
        return invalid (error, &path, "member name longer than %" G_GSIZE_FORMAT " bytes",
                        ctx->limits->max_string_bytes);
      g_ptr_array_add (sorted, (gpointer) &members[i]);
    }
  g_ptr_array_sort (sorted, compare_keys);
  for (guint i = 0; i < sorted->len; i++)
    {
      FleetDeploymentSpec *deployment = parse_deployment (ctx, sorted->pdata[i], &path, error);

      if (deployment == NULL)
        return FALSE;
      g_ptr_array_add (document->deployments, deployment);
    }
  return TRUE;
}

static gboolean
parse_root (FleetParseContext *ctx, const FleetJsonValue *root, FleetDocument *document,
            GError **error)
{
  static const char *const allowed[] = { "generation", "deployments", "issued_at", "expires",
                                         NULL };
  const FleetJsonValue *found[G_N_ELEMENTS (allowed)] = { NULL, };
  const FleetDocumentPath generation_path = member_of (NULL, "generation");
  const FleetDocumentPath deployments_path = member_of (NULL, "deployments");
  const FleetDocumentPath issued_at_path = member_of (NULL, "issued_at");
  const FleetDocumentPath expires_path = member_of (NULL, "expires");

  if (!_fleet_document_require_object (root, NULL, error)
      || !_fleet_document_check_members (ctx, root, NULL, allowed, found, error))
    return FALSE;
  if (found[0] != NULL
      && !_fleet_document_require_int (found[0], &generation_path, 0, G_MAXINT64,
                                       &document->generation, error))
    return FALSE;
  if ((found[2] != NULL
       && !_fleet_document_parse_timestamp (ctx, found[2], &issued_at_path, &document->issued_at,
                                            error))
      || (found[3] != NULL
          && !_fleet_document_parse_timestamp (ctx, found[3], &expires_path, &document->expires,
                                               error)))
    return FALSE;
  if (found[1] == NULL)
    return invalid (error, &deployments_path, "required field is missing");
  return parse_deployments (ctx, found[1], document, error);
}

/* The digest of a service is that of its object as written plus the
 * effective lifecycle under "lifecycle" (a member a service itself cannot
 * have): its part of the document's canonical form, with the lifecycle
 * member spliced in where the sorted members put it. */
static char *
service_digest (FleetJsonTree *tree, GBytes *canonical, const FleetParsedService *parsed)
{
  const char *text = g_bytes_get_data (canonical, NULL);
  const FleetJsonValue *service = parsed->value;
  const FleetJsonValue *members = _fleet_json_tree_get_children (tree, service);
  const FleetLifecycle *lifecycle = &parsed->spec->lifecycle;
  gsize splice = service->canonical_end - 1;
  gboolean before_member = FALSE;
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *member = NULL;

  for (guint i = 0; i < service->n_children; i++)
    if (strcmp (members[i].key, "lifecycle") > 0 && members[i].canonical_start <= splice)
      splice = members[i].canonical_start, before_member = TRUE;
  /* Signal names are plain capitals and digits: nothing to escape. */
  member = g_strdup_printf ("%s\"lifecycle\":{\"grace_period_secs\":%u,\"stop_signal\":\"%s\"}%s",
                            !before_member && service->n_children > 0 ? "," : "",
                            lifecycle->grace_period_secs, lifecycle->stop_signal,
                            before_member ? "," : "");
  g_checksum_update (checksum, (const guchar *) text + service->canonical_start,
                     splice - service->canonical_start);
  g_checksum_update (checksum, (const guchar *) member, -1);
  g_checksum_update (checksum, (const guchar *) text + splice, service->canonical_end - splice);
  return g_strconcat ("sha256:", g_checksum_get_string (checksum), NULL);
}

static void
take_digests (FleetParseContext *ctx, FleetDocument *document, gsize size_hint)
{
  document->canonical = _fleet_canonical_json_tree (ctx->tree, size_hint);
  document->digest = fleet_sha256_digest (g_bytes_get_data (document->canonical, NULL),
                                          g_bytes_get_size (document->canonical));
  for (guint i = 0; i < ctx->services->len; i++)
    {
      const FleetParsedService *parsed = &g_array_index (ctx->services, FleetParsedService, i);

      parsed->spec->digest = service_digest (ctx->tree, document->canonical, parsed);
      parsed->spec->canonical
          = g_strndup ((const char *) g_bytes_get_data (document->canonical, NULL)
                           + parsed->value->canonical_start,
                       parsed->value->canonical_end - parsed->value->canonical_start);
    }
}

/**
 * fleet_document_new_from_data:
 * @data: the document's bytes
 * @len: their length, or -1 when @data is NUL-terminated
 * @limits: (nullable): the limits to enforce, or %NULL for the defaults
 * @error: return location for a #GError
 *
 * Parse and validate a desired-state document.  On failure the error is
 * FLEET_ERROR_INVALID_DOCUMENT (or FLEET_ERROR_TOO_LARGE) and its message
 * starts with the JSON path of the offending value.
 *
 * Returns: (transfer full): the document, or %NULL
 *
 * Since: 0.2
 */
FleetDocument *
fleet_document_new_from_data (const char *data, gssize len, const FleetLimits *limits,
                              GError **error)
{
  FleetLimits default_limits;
  g_autoptr(FleetJsonTree) tree = NULL;
  g_autoptr(GArray) services = NULL;
  g_autoptr(FleetDocument) document = NULL;
  FleetParseContext ctx = { 0, };
  const char *end;
  const char *nul;
  gsize length;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (limits == NULL)
    {
      fleet_limits_init_default (&default_limits);
      limits = &default_limits;
    }
  length = len < 0 ? strlen (data) : (gsize) len;
  if (length > limits->max_document_bytes)
    return fleet_null_throw (error, FLEET_ERROR_TOO_LARGE,
                             "document: %" G_GSIZE_FORMAT " bytes is over the limit of %"
                             G_GSIZE_FORMAT " bytes", length, limits->max_document_bytes);
  if ((nul = memchr (data, '\0', length)) != NULL)
    return fleet_null_throw (error, FLEET_ERROR_INVALID_DOCUMENT,
                             "document: NUL byte at byte %" G_GSIZE_FORMAT " (not JSON text)",
                             (gsize) (nul - data));
  if (!g_utf8_validate_len (data, length, &end))
    return fleet_null_throw (error, FLEET_ERROR_INVALID_DOCUMENT,
                             "document: not valid UTF-8 (at byte %" G_GSIZE_FORMAT ")",
                             (gsize) (end - data));
  if (!(tree = _fleet_json_tree_parse (data, length, MAX_NESTING, error)))
    return NULL;

  services = g_array_new (FALSE, FALSE, sizeof (FleetParsedService));
  ctx = (FleetParseContext) { limits, tree, 0, services };
  document = _fleet_document_new ();
  if (!parse_root (&ctx, _fleet_json_tree_get_root (tree), document, error))
    return NULL;
  take_digests (&ctx, document, length);
  return g_steal_pointer (&document);
}

/**
 * fleet_document_new_from_bytes:
 * @bytes: the document
 * @limits: (nullable): the limits to enforce, or %NULL for the defaults
 * @error: return location for a #GError
 *
 * As fleet_document_new_from_data().
 *
 * Returns: (transfer full): the document, or %NULL
 *
 * Since: 0.2
 */
FleetDocument *
fleet_document_new_from_bytes (GBytes *bytes, const FleetLimits *limits, GError **error)
{
  gsize len;
  const char *data;

  g_return_val_if_fail (bytes != NULL, NULL);

  data = g_bytes_get_data (bytes, &len);
  return fleet_document_new_from_data (data ? data : "", len, limits, error);
}
