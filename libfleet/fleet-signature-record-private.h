/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-signature-record-private.h: what the device remembers of the last
 * document it accepted, for the replay and clock rules of signed documents.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FLEET_SIGNATURE_RECORD_FILE "signature.json"

/**
 * FleetSignatureRecord:
 * @issued_at: (nullable): the document's issued_at
 * @signed_by: (nullable): the key number that signed it (16 hex digits)
 * @digest: (nullable): the document's digest; %NULL when nothing was
 *   accepted yet
 */
typedef struct
{
  GDateTime *issued_at;
  char *signed_by;
  char *digest;
} FleetSignatureRecord;

void _fleet_signature_record_clear (FleetSignatureRecord *record);
gboolean _fleet_signature_record_load (const char *state_dir, FleetSignatureRecord *out,
                                       GError **error);
gboolean _fleet_signature_record_save (const char *state_dir, const FleetSignatureRecord *record,
                                       GError **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FleetSignatureRecord, _fleet_signature_record_clear)

G_END_DECLS
