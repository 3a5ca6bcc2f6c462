/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-document.h: the desired-state document, parsed and validated. */
#pragma once

#if !defined (__FLEET_H_INSIDE__) && !defined (FLEET_COMPILATION)
#error "Only <fleet/fleet.h> can be included directly."
#endif

#include "fleet-deployment-spec.h"

G_BEGIN_DECLS

/**
 * FleetLimits:
 * @max_document_bytes: largest accepted document
 * @max_deployments: most deployments in one document
 * @max_services: most services in all deployments together
 * @max_string_bytes: longest string (value or member name)
 *
 * Initialise with fleet_limits_init_default() and change what is needed.
 *
 * Since: 0.2
 */
typedef struct
{
  gsize max_document_bytes;
  guint max_deployments;
  guint max_services;
  gsize max_string_bytes;
} FleetLimits;

/**
 * FLEET_DEFAULT_MAX_DOCUMENT_BYTES:
 *
 * The largest document accepted, in bytes, by default.
 *
 * Since: 0.2
 */
#define FLEET_DEFAULT_MAX_DOCUMENT_BYTES (1024 * 1024)
/**
 * FLEET_DEFAULT_MAX_DEPLOYMENTS:
 *
 * The most deployments a document may have, by default.
 *
 * Since: 0.2
 */
#define FLEET_DEFAULT_MAX_DEPLOYMENTS 256
/**
 * FLEET_DEFAULT_MAX_SERVICES:
 *
 * The most services a document may have, in all its deployments, by default.
 *
 * Since: 0.2
 */
#define FLEET_DEFAULT_MAX_SERVICES 1024
/**
 * FLEET_DEFAULT_MAX_STRING_BYTES:
 *
 * The longest string a document may hold, in bytes, by default.
 *
 * Since: 0.2
 */
#define FLEET_DEFAULT_MAX_STRING_BYTES 4096

void fleet_limits_init_default (FleetLimits *limits);

/**
 * FleetDocument:
 * @generation: the document's generation, or -1 when it has none
 * @deployments: (element-type FleetDeploymentSpec): sorted by name
 * @canonical: the canonical serialisation of the document
 * @digest: "sha256:<hex>" of @canonical
 * @issued_at: (nullable): when the document was issued (its `issued_at`)
 * @expires: (nullable): when it stops being accepted (its `expires`)
 *
 * Immutable once built; shared by reference.  All members are read-only.
 *
 * Since: 0.2
 */
typedef struct _FleetDocument FleetDocument;

struct _FleetDocument
{
  /*< private >*/
  gatomicrefcount ref;
  /*< public >*/
  gint64 generation;
  GPtrArray *deployments;
  GBytes *canonical;
  char *digest;
  GDateTime *issued_at;
  GDateTime *expires;
};

GType fleet_document_get_type (void) G_GNUC_CONST;
#define FLEET_TYPE_DOCUMENT (fleet_document_get_type ())

FleetDocument *fleet_document_new_from_bytes (GBytes *bytes, const FleetLimits *limits,
                                              GError **error);
FleetDocument *fleet_document_new_from_data (const char *data, gssize len,
                                             const FleetLimits *limits, GError **error);
FleetDocument *fleet_document_new_empty (void);
FleetDocument *fleet_document_ref (FleetDocument *document);
void fleet_document_unref (FleetDocument *document);
FleetDeploymentSpec *fleet_document_lookup_deployment (FleetDocument *document, const char *name);
FleetServiceSpec *fleet_document_lookup_service (FleetDocument *document, const char *deployment,
                                                 const char *service);
gboolean fleet_document_equal (FleetDocument *a, FleetDocument *b);
guint fleet_document_count_services (FleetDocument *document);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetDocument, fleet_document_unref)

G_END_DECLS
