/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-document-verifier-private.h: what tests may do to a verifier. */
#pragma once

#include "fleet-document-verifier.h"

G_BEGIN_DECLS

void _fleet_document_verifier_set_now (FleetDocumentVerifier *self, gint64 unix_secs);

G_END_DECLS
