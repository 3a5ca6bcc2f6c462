/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-document-private.h: construction, for the document parser. */
#pragma once

#include "fleet-document.h"

G_BEGIN_DECLS

FleetDocument *_fleet_document_new (void);

G_END_DECLS
