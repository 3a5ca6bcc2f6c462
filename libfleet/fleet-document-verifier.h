/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-document-verifier.h: signed desired-state documents: the signature,
 * the device's trusted keys, and the freshness rules.
 */
#pragma once

#if !defined (__FLEET_H_INSIDE__) && !defined (FLEET_COMPILATION)
#error "Only <fleet/fleet.h> can be included directly."
#endif

#include <glib-object.h>

#include "fleet-document.h"

G_BEGIN_DECLS

/**
 * FleetSignaturePolicy:
 * @FLEET_SIGNATURE_POLICY_AUTO: required when there are trusted keys
 * @FLEET_SIGNATURE_POLICY_REQUIRED: required; with no trusted keys no
 *   document is accepted
 * @FLEET_SIGNATURE_POLICY_OPTIONAL: unsigned documents are accepted; a
 *   signature that is there is still checked
 *
 * Whether a document must be signed (`require-signature=auto|yes|no`).
 *
 * Since: 0.2
 */
typedef enum
{
  FLEET_SIGNATURE_POLICY_AUTO,
  FLEET_SIGNATURE_POLICY_REQUIRED,
  FLEET_SIGNATURE_POLICY_OPTIONAL,
} FleetSignaturePolicy;

/**
 * FleetDocumentVerifier:
 *
 * Checks the signatures of documents against trusted keys and refuses
 * documents older than the last one accepted.
 *
 * Since: 0.2
 */
#define FLEET_TYPE_DOCUMENT_VERIFIER (fleet_document_verifier_get_type ())
G_DECLARE_FINAL_TYPE (FleetDocumentVerifier, fleet_document_verifier, FLEET, DOCUMENT_VERIFIER,
                      GObject)

FleetDocumentVerifier *fleet_document_verifier_new (const char *trusted_keys_dir,
                                                    FleetSignaturePolicy policy,
                                                    const char *state_dir, GError **error);
FleetDocumentVerifier *fleet_document_verifier_new_unchecked (void);
GPtrArray *fleet_document_verifier_get_problems (FleetDocumentVerifier *self);
gboolean fleet_document_verifier_get_required (FleetDocumentVerifier *self);
guint fleet_document_verifier_get_n_keys (FleetDocumentVerifier *self);
char *fleet_document_verifier_describe_keys (FleetDocumentVerifier *self);
gboolean fleet_document_verifier_reload_keys (FleetDocumentVerifier *self, gboolean *out_changed,
                                              GError **error);

FleetDocument *fleet_document_verifier_open (FleetDocumentVerifier *self, GBytes *bytes,
                                             GBytes *detached_signature,
                                             const FleetLimits *limits, char **out_signed_by,
                                             GError **error);
gboolean fleet_document_verifier_accept (FleetDocumentVerifier *self, FleetDocument *document,
                                         GError **error);
const char *fleet_document_verifier_get_signed_by (FleetDocumentVerifier *self,
                                                  FleetDocument *applied);

G_END_DECLS
