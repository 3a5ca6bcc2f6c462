/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-service-spec-private.h: construction of service specs, for the
 * document parser only.
 */
#pragma once

#include "fleet-service-spec.h"

G_BEGIN_DECLS

FleetServiceSpec *_fleet_service_spec_new (void);

G_END_DECLS
