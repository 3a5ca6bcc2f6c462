/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-document-parser-private.h: what the two halves of the document
 * parser share: fleet-document-parser.c reads the document's structure,
 * fleet-document-values.c the rules of its values.
 */
#pragma once

#include "fleet-deployment-spec.h"
#include "fleet-document.h"
#include "fleet-json-tree-private.h"

G_BEGIN_DECLS

/* Where a value is, as a chain up to the document: rendered as
 * "deployments.hello.data.services[0].ports[1]" only when an error names
 * it, so that valid documents cost no path strings.  The document itself
 * is the NULL path. */
typedef struct _FleetDocumentPath FleetDocumentPath;

struct _FleetDocumentPath
{
  const FleetDocumentPath *parent;
  const char *key; /* a member name, or NULL for the element at @index */
  guint index;
};

#define FLEET_DOCUMENT_MEMBER(parent_, key_) { (parent_), (key_), 0 }
#define FLEET_DOCUMENT_ELEMENT(parent_, index_) { (parent_), NULL, (index_) }

typedef struct
{
  const FleetLimits *limits;
  FleetJsonTree *tree;
  guint n_services;
  GArray *services; /* FleetParsedService: the digests to take once all is valid */
} FleetParseContext;

typedef struct
{
  FleetServiceSpec *spec;
  const FleetJsonValue *value;
} FleetParsedService;

char *_fleet_document_path_to_string (const FleetDocumentPath *path);
gboolean _fleet_document_invalid (GError **error, const FleetDocumentPath *path,
                                  const char *format, ...) G_GNUC_PRINTF (3, 4);

gboolean _fleet_document_check_members (FleetParseContext *ctx, const FleetJsonValue *object,
                                        const FleetDocumentPath *path,
                                        const char *const *allowed,
                                        const FleetJsonValue **found, GError **error);
gboolean _fleet_document_require_object (const FleetJsonValue *value,
                                         const FleetDocumentPath *path, GError **error);
gboolean _fleet_document_require_array (const FleetJsonValue *value,
                                        const FleetDocumentPath *path, GError **error);
const char *_fleet_document_require_string (FleetParseContext *ctx, const FleetJsonValue *value,
                                            const FleetDocumentPath *path, GError **error);
/* Called by _fleet_document_for_each_string() for the element @index of an
 * array, @s, at @path. */
typedef gboolean (*FleetDocumentStringFunc) (FleetParseContext *ctx, const char *s, guint index,
                                             const FleetDocumentPath *path, gpointer data,
                                             GError **error);
gboolean _fleet_document_for_each_string (FleetParseContext *ctx, const FleetJsonValue *value,
                                          const FleetDocumentPath *path,
                                          FleetDocumentStringFunc func, gpointer data,
                                          GError **error);
gboolean _fleet_document_require_int (const FleetJsonValue *value,
                                      const FleetDocumentPath *path, gint64 min, gint64 max,
                                      gint64 *out, GError **error);
gboolean _fleet_document_require_boolean (const FleetJsonValue *value,
                                          const FleetDocumentPath *path, gboolean *out,
                                          GError **error);
gboolean _fleet_document_is_valid_name (const char *s);
gboolean _fleet_document_has_space_or_control (const char *s);
gboolean _fleet_document_check_absolute_path (const char *s, const FleetDocumentPath *path,
                                              const char *what, GError **error);

gboolean _fleet_document_parse_timestamp (FleetParseContext *ctx, const FleetJsonValue *value,
                                          const FleetDocumentPath *path, GDateTime **out,
                                          GError **error);

gboolean _fleet_document_parse_lifecycle (FleetParseContext *ctx, const FleetJsonValue *value,
                                          const FleetDocumentPath *path, FleetLifecycle *out,
                                          GError **error);

/* The parsers of a service's fields, other than its name and image. */
typedef gboolean (*FleetServiceFieldParser) (FleetParseContext *ctx,
                                             const FleetJsonValue *value,
                                             const FleetDocumentPath *path,
                                             FleetServiceSpec *spec, GError **error);

gboolean _fleet_document_parse_command (FleetParseContext *ctx, const FleetJsonValue *value,
                                        const FleetDocumentPath *path, FleetServiceSpec *spec,
                                        GError **error);
gboolean _fleet_document_parse_env (FleetParseContext *ctx, const FleetJsonValue *value,
                                    const FleetDocumentPath *path, FleetServiceSpec *spec,
                                    GError **error);
gboolean _fleet_document_parse_ports (FleetParseContext *ctx, const FleetJsonValue *value,
                                      const FleetDocumentPath *path, FleetServiceSpec *spec,
                                      GError **error);
gboolean _fleet_document_parse_volumes (FleetParseContext *ctx, const FleetJsonValue *value,
                                        const FleetDocumentPath *path, FleetServiceSpec *spec,
                                        GError **error);

/* The table of a service's fields (fleet-document-fields.c): its JSON name,
 * whether it is required, and its parser. */
typedef struct
{
  const char *name;
  gboolean required;
  FleetServiceFieldParser parse;
} FleetServiceField;

#define FLEET_N_SERVICE_FIELDS 26

extern const FleetServiceField _fleet_service_fields[FLEET_N_SERVICE_FIELDS];
extern const char *const _fleet_service_members[FLEET_N_SERVICE_FIELDS + 1];

gboolean _fleet_document_check_service (FleetParseContext *ctx, const FleetServiceSpec *spec,
                                        const FleetDocumentPath *path, GError **error);

#define FLEET_DOCUMENT_FIELD_PARSER(name_)                                                        \
  gboolean _fleet_document_parse_##name_ (FleetParseContext *ctx, const FleetJsonValue *value,    \
                                          const FleetDocumentPath *path, FleetServiceSpec *spec, \
                                          GError **error)

/* fleet-document-host.c: what of the host a container may reach */
FLEET_DOCUMENT_FIELD_PARSER (devices);
FLEET_DOCUMENT_FIELD_PARSER (device_cgroup_rules);
FLEET_DOCUMENT_FIELD_PARSER (privileged);
FLEET_DOCUMENT_FIELD_PARSER (cap_add);
FLEET_DOCUMENT_FIELD_PARSER (cap_drop);
FLEET_DOCUMENT_FIELD_PARSER (network_mode);

/* fleet-document-limits.c: what a container may use up, and its restarts */
FLEET_DOCUMENT_FIELD_PARSER (restart);
FLEET_DOCUMENT_FIELD_PARSER (mem_limit);
FLEET_DOCUMENT_FIELD_PARSER (cpus);
FLEET_DOCUMENT_FIELD_PARSER (pids_limit);
FLEET_DOCUMENT_FIELD_PARSER (logging);

/* fleet-document-container.c: the container's own process and filesystem */
FLEET_DOCUMENT_FIELD_PARSER (user);
FLEET_DOCUMENT_FIELD_PARSER (working_dir);
FLEET_DOCUMENT_FIELD_PARSER (read_only);
FLEET_DOCUMENT_FIELD_PARSER (tmpfs);
FLEET_DOCUMENT_FIELD_PARSER (labels);
FLEET_DOCUMENT_FIELD_PARSER (hostname);

/* fleet-document-depends.c: start order within a deployment */
FLEET_DOCUMENT_FIELD_PARSER (depends_on);
gboolean _fleet_document_check_dependencies (FleetParseContext *ctx,
                                             FleetDeploymentSpec *deployment,
                                             const FleetDocumentPath *services_path,
                                             GError **error);

/* fleet-document-health.c: health checks and the replacement order */
FLEET_DOCUMENT_FIELD_PARSER (healthcheck);
FLEET_DOCUMENT_FIELD_PARSER (update_config);
gboolean _fleet_document_check_start_first (const FleetServiceSpec *spec,
                                            const FleetDocumentPath *path, GError **error);

G_END_DECLS
