/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-test-nats-jwt.c: NATS nkeys and JWTs made with GnuTLS Ed25519.
 *
 * An nkey is base32 (RFC 4648, unpadded) of a prefix byte naming its role,
 * the 32-byte Ed25519 key and a CRC-16/XMODEM; a seed has two prefix bytes,
 * 'S' and the role.  A NATS JWT is base64url(header).base64url(claims)
 * .base64url(Ed25519 signature of the two), issued by an nkey: an operator
 * signs accounts, an account signs its users.  nats-server checks the chain
 * from the operator it trusts; nsc, which would make these, is not in
 * Debian.
 */
#include "config.h"

#include <gnutls/abstract.h>
#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <string.h>

#include "fleet-test-nats-jwt.h"

#define PREFIX_SEED (18 << 3)
#define JWT_HEADER "{\"typ\":\"JWT\",\"alg\":\"ed25519-nkey\"}"
#define UNLIMITED "\"subs\":-1,\"data\":-1,\"payload\":-1"
#define ACCOUNT_LIMITS                                                                      \
  "{" UNLIMITED ",\"imports\":-1,\"exports\":-1,\"wildcards\":true,\"conn\":-1,\"leaf\":-1"
#define JETSTREAM_LIMITS                                                                    \
  ",\"mem_storage\":-1,\"disk_storage\":-1,\"streams\":-1,\"consumer\":-1"
#define ACCOUNT_CLAIMS                                                                      \
  "{\"limits\":%s},\"default_permissions\":{\"pub\":{},\"sub\":{}},"                        \
  "\"type\":\"account\",\"version\":2}"

struct _FleetTestNkey
{
  gnutls_privkey_t key;
  char *public_key;
  char *seed;
};

static guint16
crc16 (const guint8 *data, gsize length)
{
  guint16 crc = 0;

  for (gsize i = 0; i < length; i++)
    {
      crc ^= (guint16) (data[i] << 8);
      for (int bit = 0; bit < 8; bit++)
        crc = crc & 0x8000 ? (guint16) ((crc << 1) ^ 0x1021) : (guint16) (crc << 1);
    }
  return crc;
}

static char *
base32 (const guint8 *data, gsize length)
{
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  GString *text = g_string_new (NULL);
  guint buffer = 0, bits = 0;

  for (gsize i = 0; i < length; i++)
    {
      buffer = (buffer << 8) | data[i];
      for (bits += 8; bits >= 5; bits -= 5)
        g_string_append_c (text, alphabet[(buffer >> (bits - 5)) & 31]);
    }
  if (bits > 0)
    g_string_append_c (text, alphabet[(buffer << (5 - bits)) & 31]);
  return g_string_free (text, FALSE);
}

static char *
encode_nkey (const guint8 *prefix, gsize prefix_length, const guint8 *key)
{
  g_autoptr(GByteArray) raw = g_byte_array_new ();
  guint16 crc;

  g_byte_array_append (raw, prefix, (guint) prefix_length);
  g_byte_array_append (raw, key, 32);
  crc = crc16 (raw->data, raw->len);
  g_byte_array_append (raw, (const guint8[]){ crc & 0xff, crc >> 8 }, 2);
  return base32 (raw->data, raw->len);
}

static guint8
role_prefix (FleetTestNkeyKind kind)
{
  switch (kind)
    {
    case FLEET_TEST_NKEY_OPERATOR:
      return 14 << 3;
    case FLEET_TEST_NKEY_ACCOUNT:
      return 0;
    case FLEET_TEST_NKEY_USER:
      return 20 << 3;
    default:
      g_assert_not_reached ();
    }
}

/**
 * fleet_test_nkey_new:
 *
 * Returns: (transfer full): a new Ed25519 nkey for @kind
 */
FleetTestNkey *
fleet_test_nkey_new (FleetTestNkeyKind kind)
{
  FleetTestNkey *nkey = g_new0 (FleetTestNkey, 1);
  guint8 role = role_prefix (kind);
  const guint8 public_prefix[] = { role };
  const guint8 seed_prefix[] = { PREFIX_SEED | (role >> 5), (guint8) ((role & 31) << 3) };
  gnutls_datum_t x = { 0 }, k = { 0 };

  g_assert_cmpint (gnutls_privkey_init (&nkey->key), ==, 0);
  g_assert_cmpint (gnutls_privkey_generate (nkey->key, GNUTLS_PK_EDDSA_ED25519, 0, 0), ==, 0);
  g_assert_cmpint (gnutls_privkey_export_ecc_raw (nkey->key, NULL, &x, NULL, &k), ==, 0);
  g_assert_cmpuint (x.size, ==, 32);
  g_assert_cmpuint (k.size, ==, 32);
  nkey->public_key = encode_nkey (public_prefix, sizeof public_prefix, x.data);
  nkey->seed = encode_nkey (seed_prefix, sizeof seed_prefix, k.data);
  g_assert_cmpint (nkey->public_key[0], ==, kind);
  g_assert_cmpint (nkey->seed[0], ==, 'S');
  g_assert_cmpint (nkey->seed[1], ==, kind);
  gnutls_free (x.data);
  gnutls_free (k.data);
  return nkey;
}

void
fleet_test_nkey_free (FleetTestNkey *nkey)
{
  gnutls_privkey_deinit (nkey->key);
  g_free (nkey->public_key);
  g_free (nkey->seed);
  g_free (nkey);
}

const char *
fleet_test_nkey_get_public (FleetTestNkey *nkey)
{
  return nkey->public_key;
}

const char *
fleet_test_nkey_get_seed (FleetTestNkey *nkey)
{
  return nkey->seed;
}

static char *
base64url (const guint8 *data, gsize length)
{
  char *text = g_base64_encode (data, length);

  g_strdelimit (text, "+", '-');
  g_strdelimit (text, "/", '_');
  text[strcspn (text, "=")] = '\0';
  return text;
}

/* The claims of @subject, issued by @issuer (which need not be the key
 * that signs them), with their jti: base32 of a SHA-256 of the claims. */
static char *
make_claims (const char *issuer, const char *subject, const char *name, const char *nats_claims)
{
  static const char template[] = "{\"jti\":\"%s\",\"iat\":%" G_GINT64_FORMAT ",\"iss\":\"%s\","
                                 "\"name\":\"%s\",\"sub\":\"%s\",\"nats\":%s}";
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *unidentified = g_strdup_printf (template, "", now, issuer, name, subject,
                                                   nats_claims);
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize digest_length = sizeof digest;
  g_autofree char *jti = NULL;

  g_checksum_update (checksum, (const guchar *) unidentified, -1);
  g_checksum_get_digest (checksum, digest, &digest_length);
  jti = base32 (digest, digest_length);
  return g_strdup_printf (template, jti, now, issuer, name, subject, nats_claims);
}

static char *
sign_as (FleetTestNkey *signer, const char *issuer, const char *subject, const char *name,
         const char *nats_claims)
{
  g_autofree char *claims = make_claims (issuer, subject, name, nats_claims);
  g_autofree char *header = base64url ((const guint8 *) JWT_HEADER, strlen (JWT_HEADER));
  g_autofree char *payload = base64url ((const guint8 *) claims, strlen (claims));
  g_autofree char *signed_part = g_strconcat (header, ".", payload, NULL);
  gnutls_datum_t data = { (unsigned char *) signed_part, (unsigned int) strlen (signed_part) };
  gnutls_datum_t signature = { 0 };
  g_autofree char *encoded = NULL;

  g_assert_cmpint (gnutls_privkey_sign_data2 (signer->key, GNUTLS_SIGN_EDDSA_ED25519, 0, &data,
                                              &signature),
                   ==, 0);
  g_assert_cmpuint (signature.size, ==, 64);
  encoded = base64url (signature.data, signature.size);
  gnutls_free (signature.data);
  return g_strconcat (signed_part, ".", encoded, NULL);
}

/**
 * fleet_test_jwt_sign:
 * @issuer: the key that issues and signs
 * @subject: the public key the claims are about
 * @nats_claims: the JSON object of the "nats" claim
 *
 * Returns: (transfer full): the JWT
 */
char *
fleet_test_jwt_sign (FleetTestNkey *issuer, const char *subject, const char *name,
                     const char *nats_claims)
{
  return sign_as (issuer, issuer->public_key, subject, name, nats_claims);
}

/**
 * fleet_test_nats_operator_new:
 *
 * An operator with a system account and one account with JetStream.
 */
FleetTestNatsOperator *
fleet_test_nats_operator_new (void)
{
  FleetTestNatsOperator *op = g_new0 (FleetTestNatsOperator, 1);
  g_autofree char *operator_claims = NULL;
  g_autofree char *system_claims = g_strdup_printf (ACCOUNT_CLAIMS, ACCOUNT_LIMITS);
  g_autofree char *account_claims = g_strdup_printf (ACCOUNT_CLAIMS,
                                                     ACCOUNT_LIMITS JETSTREAM_LIMITS);

  op->operator_key = fleet_test_nkey_new (FLEET_TEST_NKEY_OPERATOR);
  op->system = fleet_test_nkey_new (FLEET_TEST_NKEY_ACCOUNT);
  op->account = fleet_test_nkey_new (FLEET_TEST_NKEY_ACCOUNT);
  operator_claims = g_strdup_printf ("{\"system_account\":\"%s\",\"type\":\"operator\","
                                     "\"version\":2}",
                                     op->system->public_key);
  op->operator_jwt = fleet_test_jwt_sign (op->operator_key, op->operator_key->public_key,
                                          "fleet-test", operator_claims);
  op->system_jwt = fleet_test_jwt_sign (op->operator_key, op->system->public_key, "SYS",
                                        system_claims);
  op->account_jwt = fleet_test_jwt_sign (op->operator_key, op->account->public_key, "fleet",
                                         account_claims);
  return op;
}

void
fleet_test_nats_operator_free (FleetTestNatsOperator *op)
{
  g_clear_pointer (&op->operator_key, fleet_test_nkey_free);
  g_clear_pointer (&op->system, fleet_test_nkey_free);
  g_clear_pointer (&op->account, fleet_test_nkey_free);
  g_free (op->operator_jwt);
  g_free (op->system_jwt);
  g_free (op->account_jwt);
  g_free (op);
}

/**
 * fleet_test_nats_operator_config:
 * @dir: where to write the operator's JWT
 *
 * Returns: (transfer full): nats-server configuration trusting @op, with
 *   its accounts preloaded into a memory resolver
 */
char *
fleet_test_nats_operator_config (FleetTestNatsOperator *op, const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "operator.jwt", NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, op->operator_jwt, -1, &error);
  g_assert_no_error (error);
  return g_strdup_printf ("operator: \"%s\"\n"
                          "system_account: \"%s\"\n"
                          "resolver: MEMORY\n"
                          "resolver_preload: {\n  %s: \"%s\"\n  %s: \"%s\"\n}\n",
                          path, op->system->public_key, op->system->public_key,
                          op->system_jwt, op->account->public_key, op->account_jwt);
}

/**
 * fleet_test_nats_write_creds:
 * @signer: the account that signs the new user's JWT
 * @issuer: (nullable): the account the JWT names as its issuer, when not
 *   @signer's (a forgery)
 * @dir: where to write DIR/NAME.creds
 * @name: the user's name
 *
 * A new user of @issuer, in a .creds file as nsc writes them.
 *
 * Returns: (transfer full): the file's path
 */
char *
fleet_test_nats_write_creds (FleetTestNkey *signer, const char *issuer, const char *dir,
                             const char *name)
{
  g_autoptr(FleetTestNkey) user = fleet_test_nkey_new (FLEET_TEST_NKEY_USER);
  g_autofree char *jwt = sign_as (signer, issuer ? issuer : signer->public_key,
                                  user->public_key, name,
                                  "{\"pub\":{},\"sub\":{}," UNLIMITED ","
                                  "\"type\":\"user\",\"version\":2}");
  g_autofree char *file = g_strconcat (name, ".creds", NULL);
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  text = g_strdup_printf ("-----BEGIN NATS USER JWT-----\n%s\n------END NATS USER JWT------\n\n"
                          "************************* IMPORTANT *************************\n"
                          "NKEY Seed printed below can be used to sign and prove identity.\n"
                          "NKEYs are sensitive and should be treated as secrets.\n\n"
                          "-----BEGIN USER NKEY SEED-----\n%s\n------END USER NKEY SEED------\n\n"
                          "*************************************************************\n",
                          jwt, user->seed);
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, 0600), ==, 0);
  return g_steal_pointer (&path);
}
