/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-trust-store-private.h: the public keys a device trusts, from a
 * directory of signify public key files, looked up by key number.
 */
#pragma once

#include "fleet-signature-private.h"

G_BEGIN_DECLS

typedef struct _FleetTrustStore FleetTrustStore;

FleetTrustStore *_fleet_trust_store_load (const char *dir, GPtrArray **out_problems,
                                          GError **error);
void _fleet_trust_store_free (FleetTrustStore *store);
const FleetSignifyPublicKey *_fleet_trust_store_lookup (FleetTrustStore *store,
                                                        const guint8 *key_number);
guint _fleet_trust_store_get_n_keys (FleetTrustStore *store);
char *_fleet_trust_store_list_key_numbers (FleetTrustStore *store);
const char *_fleet_trust_store_get_dir (FleetTrustStore *store);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetTrustStore, _fleet_trust_store_free)

G_END_DECLS
