/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-signature.c: the file formats of OpenBSD's signify(1), so that
 * operators sign documents with an existing, audited tool
 * (`signify -S -e -s KEY.sec -m device.json -x device.json.sig`), and the
 * Ed25519 check, by GnuTLS (already underneath libsoup's TLS).
 *
 * Every signify file starts with the same two lines:
 *
 *   untrusted comment: <free text, 1 to 1024 bytes>
 *   <base64 of "Ed" + 8-byte key number + the key or signature>
 *
 * A public key carries a 32-byte Ed25519 key; a signature a 64-byte
 * Ed25519 signature.  An embedded signature (`signify -S -e`) is the two
 * lines followed by the signed message's exact bytes.  The reading is
 * stricter than signify's own: canonical base64 only (no whitespace, no
 * stray bits), "\n" line ends, no control characters in the comment.  A
 * malformed file is refused with one line naming what is wrong; nothing
 * is repaired or canonicalised, since the signature covers exact bytes.
 */
#include "config.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <string.h>

#include "fleet-signature-private.h"
#include "fleet-util-private.h"

#define COMMENT_HEADER_LEN (sizeof FLEET_SIGNIFY_COMMENT_HEADER - 1)
/* signify's COMMENTMAXLEN is 1024, its terminating NUL included. */
#define COMMENT_MAX_BYTES 1023
#define PKALG "Ed"
#define PKALG_BYTES 2

typedef struct
{
  const char *what;  /* what line 2 holds, for messages */
  gsize body_bytes;  /* the key or signature after "Ed" and the key number */
} FileKind;

static const FileKind public_key_kind = { "an Ed25519 public key", FLEET_SIGNIFY_PUBLIC_KEY_BYTES };
static const FileKind signature_kind = { "an Ed25519 signature", FLEET_SIGNIFY_SIGNATURE_BYTES };

/* TRUE when @data starts like a signify file (and so is no JSON text). */
gboolean
_fleet_signify_has_signature (const char *data, gsize len)
{
  return len >= COMMENT_HEADER_LEN && memcmp (data, FLEET_SIGNIFY_COMMENT_HEADER,
                                              COMMENT_HEADER_LEN) == 0;
}

/* The first line: the header and a comment of printable text. */
static gboolean
check_comment_line (const char *line, gsize len, GError **error)
{
  if (!_fleet_signify_has_signature (line, len))
    return fleet_throw (error, FLEET_ERROR_BAD_SIGNATURE,
                        "line 1: expected \"%s\" and a comment", FLEET_SIGNIFY_COMMENT_HEADER);
  if (len == COMMENT_HEADER_LEN)
    return fleet_throw (error, FLEET_ERROR_BAD_SIGNATURE, "line 1: the comment is empty");
  if (len - COMMENT_HEADER_LEN > COMMENT_MAX_BYTES)
    return fleet_throw (error, FLEET_ERROR_BAD_SIGNATURE,
                        "line 1: the comment is longer than %u bytes", COMMENT_MAX_BYTES);
  for (gsize i = COMMENT_HEADER_LEN; i < len; i++)
    if (line[i] == '\r')
      return fleet_throw (error, FLEET_ERROR_BAD_SIGNATURE,
                          "line 1: ends with a carriage return (expected \"\\n\" line ends)");
    else if ((guchar) line[i] < 0x20 && line[i] != '\t')
      return fleet_throw (error, FLEET_ERROR_BAD_SIGNATURE,
                          "line 1: control character 0x%02x in the comment", (guchar) line[i]);
  return TRUE;
}

/* The second line: canonical base64 of exactly "Ed" + key number + body,
 * checked by encoding the decoded bytes again. */
static gboolean
decode_line (const char *line, gsize len, const FileKind *kind, guint8 *out, GError **error)
{
  gsize expected = PKALG_BYTES + FLEET_SIGNIFY_KEY_NUMBER_BYTES + kind->body_bytes;
  gsize expected_chars = (expected + 2) / 3 * 4;
  g_autofree char *text = NULL;
  g_autofree guchar *decoded = NULL;
  g_autofree char *encoded = NULL;
  gsize decoded_len = 0;

  if (len > 0 && line[len - 1] == '\r')
    return fleet_throw (error, FLEET_ERROR_BAD_SIGNATURE,
                        "line 2: ends with a carriage return (expected \"\\n\" line ends)");
  if (len != expected_chars)
    return fleet_throw (error, FLEET_ERROR_BAD_SIGNATURE,
                        "line 2: expected %" G_GSIZE_FORMAT " base64 characters (%s), got %"
                        G_GSIZE_FORMAT, expected_chars, kind->what, len);
  text = g_strndup (line, len);
  decoded = g_base64_decode (text, &decoded_len);
  encoded = decoded_len == expected ? g_base64_encode (decoded, decoded_len) : NULL;
  if (encoded == NULL || strcmp (encoded, text) != 0)
    return fleet_throw (error, FLEET_ERROR_BAD_SIGNATURE, "line 2: not canonical base64 of %s",
                        kind->what);
  if (memcmp (decoded, PKALG, PKALG_BYTES) != 0)
    {
      g_autofree char *alg = fleet_escape_controls ((const char[]) { (char) decoded[0],
                                                                    (char) decoded[1], '\0' });
      return fleet_throw (error, FLEET_ERROR_BAD_SIGNATURE,
                          "line 2: unsupported algorithm \"%s\" (expected \"" PKALG "\", Ed25519)",
                          alg);
    }
  memcpy (out, decoded + PKALG_BYTES, expected - PKALG_BYTES);
  return TRUE;
}

/* The two lines at the start of @data; *@out_consumed: their bytes, both
 * "\n" included. */
static gboolean
parse_two_lines (const char *data, gsize len, const FileKind *kind, guint8 *out,
                 gsize *out_consumed, GError **error)
{
  const char *first_end = memchr (data, '\n', len);
  const char *second;
  const char *second_end;

  if (first_end == NULL)
    return check_comment_line (data, len, error)
           && fleet_throw (error, FLEET_ERROR_BAD_SIGNATURE, "line 1: no line end (truncated?)");
  if (!check_comment_line (data, first_end - data, error))
    return FALSE;
  second = first_end + 1;
  second_end = memchr (second, '\n', len - (second - data));
  if (second_end == NULL)
    return fleet_throw (error, FLEET_ERROR_BAD_SIGNATURE, "line 2: %s (truncated?)",
                        second == data + len ? "missing" : "no line end");
  if (!decode_line (second, second_end - second, kind, out, error))
    return FALSE;
  *out_consumed = second_end + 1 - data;
  return TRUE;
}

/**
 * _fleet_signify_parse_public_key:
 *
 * A whole public key file (`signify -G -p KEY.pub`): the two lines and
 * nothing after them.
 */
gboolean
_fleet_signify_parse_public_key (const char *data, gsize len, FleetSignifyPublicKey *out,
                                 GError **error)
{
  guint8 raw[FLEET_SIGNIFY_KEY_NUMBER_BYTES + FLEET_SIGNIFY_PUBLIC_KEY_BYTES];
  gsize consumed;

  if (!parse_two_lines (data, len, &public_key_kind, raw, &consumed, error))
    return FALSE;
  if (consumed != len)
    return fleet_throw (error, FLEET_ERROR_BAD_SIGNATURE,
                        "%" G_GSIZE_FORMAT " unexpected bytes after line 2", len - consumed);
  memcpy (out->key_number, raw, FLEET_SIGNIFY_KEY_NUMBER_BYTES);
  memcpy (out->key, raw + FLEET_SIGNIFY_KEY_NUMBER_BYTES, FLEET_SIGNIFY_PUBLIC_KEY_BYTES);
  return TRUE;
}

/**
 * _fleet_signify_parse_signature:
 * @out_consumed: (out): the bytes of the two lines; an embedded signature's
 *   message starts there, a detached signature must end there
 */
gboolean
_fleet_signify_parse_signature (const char *data, gsize len, gsize *out_consumed,
                                FleetSignifySignature *out, GError **error)
{
  guint8 raw[FLEET_SIGNIFY_KEY_NUMBER_BYTES + FLEET_SIGNIFY_SIGNATURE_BYTES];

  if (!parse_two_lines (data, len, &signature_kind, raw, out_consumed, error))
    return FALSE;
  memcpy (out->key_number, raw, FLEET_SIGNIFY_KEY_NUMBER_BYTES);
  memcpy (out->signature, raw + FLEET_SIGNIFY_KEY_NUMBER_BYTES, FLEET_SIGNIFY_SIGNATURE_BYTES);
  return TRUE;
}

G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_pubkey_t, gnutls_pubkey_deinit, NULL)

/**
 * _fleet_signify_verify:
 *
 * Whether @signature is @key's Ed25519 signature of @message.  The key
 * numbers are the caller's business (it looked @key up by them).
 */
gboolean
_fleet_signify_verify (const FleetSignifyPublicKey *key, const FleetSignifySignature *signature,
                       const void *message, gsize len)
{
  g_auto(gnutls_pubkey_t) pubkey = NULL;
  gnutls_datum_t point = { (unsigned char *) key->key, FLEET_SIGNIFY_PUBLIC_KEY_BYTES };
  gnutls_datum_t data = { (unsigned char *) (len ? message : ""), (unsigned int) len };
  gnutls_datum_t sig = { (unsigned char *) signature->signature, FLEET_SIGNIFY_SIGNATURE_BYTES };

  g_return_val_if_fail (len <= G_MAXUINT, FALSE);

  if (gnutls_pubkey_init (&pubkey) < 0)
    return FALSE;
  if (gnutls_pubkey_import_ecc_raw (pubkey, GNUTLS_ECC_CURVE_ED25519, &point, NULL) < 0)
    return FALSE;
  return gnutls_pubkey_verify_data2 (pubkey, GNUTLS_SIGN_EDDSA_ED25519, 0, &data, &sig) >= 0;
}

/* The key number as 16 lower-case hex digits, as fleet shows it. */
char *
_fleet_signify_key_number_to_string (const guint8 *key_number)
{
  GString *out = g_string_sized_new (2 * FLEET_SIGNIFY_KEY_NUMBER_BYTES);

  for (guint i = 0; i < FLEET_SIGNIFY_KEY_NUMBER_BYTES; i++)
    g_string_append_printf (out, "%02x", key_number[i]);
  return g_string_free (out, FALSE);
}
