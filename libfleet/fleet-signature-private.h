/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-signature-private.h: OpenBSD signify's public keys and Ed25519
 * signatures (signify(1)), read strictly, and checked with GnuTLS.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FLEET_SIGNIFY_KEY_NUMBER_BYTES 8
#define FLEET_SIGNIFY_PUBLIC_KEY_BYTES 32
#define FLEET_SIGNIFY_SIGNATURE_BYTES 64
/* "untrusted comment: ": the first line of every signify file. */
#define FLEET_SIGNIFY_COMMENT_HEADER "untrusted comment: "

/* A public key file: "Ed", the key number, the Ed25519 key. */
typedef struct
{
  guint8 key_number[FLEET_SIGNIFY_KEY_NUMBER_BYTES];
  guint8 key[FLEET_SIGNIFY_PUBLIC_KEY_BYTES];
} FleetSignifyPublicKey;

/* A signature: "Ed", the key number of the key that made it, the
 * Ed25519 signature of the message's exact bytes. */
typedef struct
{
  guint8 key_number[FLEET_SIGNIFY_KEY_NUMBER_BYTES];
  guint8 signature[FLEET_SIGNIFY_SIGNATURE_BYTES];
} FleetSignifySignature;

gboolean _fleet_signify_parse_public_key (const char *data, gsize len, FleetSignifyPublicKey *out,
                                          GError **error);
gboolean _fleet_signify_has_signature (const char *data, gsize len);
gboolean _fleet_signify_parse_signature (const char *data, gsize len, gsize *out_consumed,
                                         FleetSignifySignature *out, GError **error);
gboolean _fleet_signify_verify (const FleetSignifyPublicKey *key,
                                const FleetSignifySignature *signature, const void *message,
                                gsize len);
char *_fleet_signify_key_number_to_string (const guint8 *key_number);

G_END_DECLS
