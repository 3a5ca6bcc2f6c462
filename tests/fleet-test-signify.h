/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-test-signify.h: keys and signatures made by the real signify
 * (Debian's signify-openbsd), for the tests of signed documents.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char *public_path;
  char *secret_path;
  char *number; /* the key number, 16 hex digits */
} FleetTestKey;

gboolean fleet_test_signify_check (void);
FleetTestKey *fleet_test_key_new (const char *dir, const char *name);
void fleet_test_key_free (FleetTestKey *key);
void fleet_test_key_install (const FleetTestKey *key, const char *trusted_dir);
GBytes *fleet_test_sign (const FleetTestKey *key, const char *message, gssize len,
                         gboolean embedded);
char *fleet_test_sign_text (const FleetTestKey *key, const char *message);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetTestKey, fleet_test_key_free)

G_END_DECLS
