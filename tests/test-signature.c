/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-signature.c: signed documents, verified by FleetDocumentVerifier,
 * with keys and signatures made by the real signify-openbsd: valid
 * (embedded and detached), a flipped byte in the document or in the
 * signature, an untrusted key, truncated files, a detached signature of
 * another document, malformed files, expired and replayed documents, key
 * rotation, unsigned documents with and without a requirement, bad key
 * files beside good ones, and the RFC 3339 timestamps themselves.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "fleet-document-verifier-private.h"
#include "fleet-test-signify.h"
#include "fleet-test-utils.h"
#include "fleet-util-private.h"

#define DOC_TMPL                                                                             \
  "{\"generation\":%d,%s\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{"        \
  "\"services\":[{\"name\":\"web\",\"image\":\"localhost/hello:v%d\"}]}}}}\n"

/* Made once: A and B are trusted (as each test says), C never is. */
static FleetTestKey *key_a, *key_b, *key_c;
static char *keys_dir;

typedef struct
{
  char *dir;
  char *trusted;
  char *state;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = fleet_test_make_tmpdir ();
  f->trusted = g_build_filename (f->dir, "trusted.d", NULL);
  f->state = g_build_filename (f->dir, "state", NULL);
  g_mkdir_with_parents (f->trusted, 0755);
  g_mkdir_with_parents (f->state, 0700);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  fleet_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->trusted);
  g_free (f->state);
}

/* FALSE (the test skipped) without signify-openbsd. */
static gboolean
have_keys (void)
{
  return key_a != NULL || fleet_test_signify_check ();
}

/* A document: @version is its generation and image tag; @times (may be
 * "") are members put before "deployments", e.g. "\"issued_at\":...,". */
static char *
make_document (int version, const char *times)
{
  return g_strdup_printf (DOC_TMPL, version, times, version);
}

static char *
issued (const char *issued_at, const char *expires)
{
  GString *out = g_string_new (NULL);

  if (issued_at)
    g_string_append_printf (out, "\"issued_at\":\"%s\",", issued_at);
  if (expires)
    g_string_append_printf (out, "\"expires\":\"%s\",", expires);
  return g_string_free (out, FALSE);
}

static FleetDocumentVerifier *
new_verifier (Fixture *f, FleetSignaturePolicy policy)
{
  g_autoptr(GError) error = NULL;
  FleetDocumentVerifier *verifier = fleet_document_verifier_new (f->trusted, policy, f->state,
                                                                 &error);

  g_assert_no_error (error);
  return verifier;
}

/* Open @text (and @detached); on success, *@out_signed_by. */
static FleetDocument *
open_text (FleetDocumentVerifier *verifier, const char *text, gssize len, GBytes *detached,
           char **out_signed_by, GError **error)
{
  g_autoptr(GBytes) bytes = g_bytes_new (text, len < 0 ? strlen (text) : (gsize) len);

  return fleet_document_verifier_open (verifier, bytes, detached, NULL, out_signed_by, error);
}

static void
assert_refused (FleetDocumentVerifier *verifier, const char *text, gssize len, GBytes *detached,
                FleetError code, const char *message_part)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetDocument) document = open_text (verifier, text, len, detached, NULL, &error);

  g_assert_null (document);
  g_assert_error (error, FLEET_ERROR, (gint) code);
  if (strstr (error->message, message_part) == NULL)
    g_error ("expected \"%s\" in: %s", message_part, error->message);
  g_assert_null (strchr (error->message, '\n'));
}

/* Open @text, which must be accepted as signed by @key (or unsigned). */
static FleetDocument *
assert_accepted (FleetDocumentVerifier *verifier, const char *text, GBytes *detached,
                 const FleetTestKey *key)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *signed_by = NULL;
  FleetDocument *document = open_text (verifier, text, -1, detached, &signed_by, &error);

  g_assert_no_error (error);
  g_assert_nonnull (document);
  g_assert_cmpstr (signed_by, ==, key ? key->number : NULL);
  return document;
}

static void
accept_document (FleetDocumentVerifier *verifier, FleetDocument *document)
{
  g_autoptr(GError) error = NULL;

  fleet_document_verifier_accept (verifier, document, &error);
  g_assert_no_error (error);
}

/* Valid signatures. */

static void
test_valid_embedded (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocumentVerifier) verifier = NULL;
  g_autoptr(FleetDocument) document = NULL;
  g_autoptr(FleetDocument) plain = NULL;
  g_autofree char *json = make_document (1, "");
  g_autofree char *signed_text = NULL;

  if (!have_keys ())
    return;
  fleet_test_key_install (key_a, f->trusted);
  verifier = new_verifier (f, FLEET_SIGNATURE_POLICY_AUTO);
  g_assert_true (fleet_document_verifier_get_required (verifier));
  g_assert_cmpuint (fleet_document_verifier_get_n_keys (verifier), ==, 1);
  signed_text = fleet_test_sign_text (key_a, json);
  document = assert_accepted (verifier, signed_text, NULL, key_a);
  /* What was parsed is exactly the signed document. */
  plain = fleet_test_document (json);
  g_assert_cmpstr (document->digest, ==, plain->digest);
  g_assert_cmpint (document->generation, ==, 1);
}

static void
test_valid_detached (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocumentVerifier) verifier = NULL;
  g_autoptr(FleetDocument) document = NULL;
  g_autofree char *json = make_document (1, "");
  g_autoptr(GBytes) signature = NULL;

  if (!have_keys ())
    return;
  fleet_test_key_install (key_a, f->trusted);
  verifier = new_verifier (f, FLEET_SIGNATURE_POLICY_AUTO);
  signature = fleet_test_sign (key_a, json, -1, FALSE);
  document = assert_accepted (verifier, json, signature, key_a);
  /* Both at once is ambiguous. */
  {
    g_autofree char *signed_text = fleet_test_sign_text (key_a, json);

    assert_refused (verifier, signed_text, -1, signature, FLEET_ERROR_BAD_SIGNATURE,
                    "detached signature as well");
  }
}

/* Tampering. */

static void
test_flipped_document_byte (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocumentVerifier) verifier = NULL;
  g_autofree char *json = make_document (1, "");
  g_autofree char *signed_text = NULL;
  char *tag;

  if (!have_keys ())
    return;
  fleet_test_key_install (key_a, f->trusted);
  verifier = new_verifier (f, FLEET_SIGNATURE_POLICY_AUTO);
  signed_text = fleet_test_sign_text (key_a, json);
  /* hello:v1 becomes hello:v0: still a valid document, no longer signed. */
  tag = strstr (signed_text, "hello:v1");
  g_assert_nonnull (tag);
  tag[strlen ("hello:v")] ^= 0x01;
  assert_refused (verifier, signed_text, -1, NULL, FLEET_ERROR_BAD_SIGNATURE,
                  "does not match the document (signed by key");
  /* The same change in a detached setting. */
  {
    g_autoptr(GBytes) signature = fleet_test_sign (key_a, json, -1, FALSE);
    g_autofree char *changed = g_strdup (json);

    strstr (changed, "hello:v1")[strlen ("hello:v")] ^= 0x01;
    assert_refused (verifier, changed, -1, signature, FLEET_ERROR_BAD_SIGNATURE,
                    "does not match the document");
  }
}

/* Flip one bit of the Ed25519 signature itself, keeping the base64 valid. */
static void
test_flipped_signature_byte (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocumentVerifier) verifier = NULL;
  g_autofree char *json = make_document (1, "");
  g_autofree char *signed_text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree guchar *raw = NULL;
  g_autofree char *encoded = NULL;
  g_autofree char *tampered = NULL;
  gsize raw_len;

  if (!have_keys ())
    return;
  fleet_test_key_install (key_a, f->trusted);
  verifier = new_verifier (f, FLEET_SIGNATURE_POLICY_AUTO);
  signed_text = fleet_test_sign_text (key_a, json);
  lines = g_strsplit (signed_text, "\n", 3);
  raw = g_base64_decode (lines[1], &raw_len);
  g_assert_cmpuint (raw_len, ==, 2 + 8 + 64);
  raw[2 + 8 + 20] ^= 0x01;
  encoded = g_base64_encode (raw, raw_len);
  tampered = g_strdup_printf ("%s\n%s\n%s", lines[0], encoded, lines[2]);
  assert_refused (verifier, tampered, -1, NULL, FLEET_ERROR_BAD_SIGNATURE, "does not match");
  /* A flipped key number names a key that is not trusted. */
  raw[2 + 8 + 20] ^= 0x01;
  raw[2] ^= 0x01;
  g_free (encoded);
  g_free (tampered);
  encoded = g_base64_encode (raw, raw_len);
  tampered = g_strdup_printf ("%s\n%s\n%s", lines[0], encoded, lines[2]);
  assert_refused (verifier, tampered, -1, NULL, FLEET_ERROR_BAD_SIGNATURE, "not trusted");
}

static void
test_untrusted_key (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocumentVerifier) verifier = NULL;
  g_autofree char *json = make_document (1, "");
  g_autofree char *signed_text = NULL;
  g_autofree char *expected = NULL;

  if (!have_keys ())
    return;
  fleet_test_key_install (key_a, f->trusted);
  verifier = new_verifier (f, FLEET_SIGNATURE_POLICY_AUTO);
  signed_text = fleet_test_sign_text (key_c, json);
  expected = g_strdup_printf ("signed by key %s, which is not trusted", key_c->number);
  assert_refused (verifier, signed_text, -1, NULL, FLEET_ERROR_BAD_SIGNATURE, expected);
  /* Not even when signatures are optional: a signature that is there is checked. */
  g_clear_object (&verifier);
  verifier = new_verifier (f, FLEET_SIGNATURE_POLICY_OPTIONAL);
  assert_refused (verifier, signed_text, -1, NULL, FLEET_ERROR_BAD_SIGNATURE, expected);
}

/* Every truncation of a signed document is refused. */
static void
test_truncated (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocumentVerifier) verifier = NULL;
  g_autofree char *json = make_document (1, "");
  g_autofree char *signed_text = NULL;
  gsize len;

  if (!have_keys ())
    return;
  fleet_test_key_install (key_a, f->trusted);
  verifier = new_verifier (f, FLEET_SIGNATURE_POLICY_AUTO);
  signed_text = fleet_test_sign_text (key_a, json);
  len = strlen (signed_text);
  for (gsize cut = 0; cut < len; cut++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(FleetDocument) document = open_text (verifier, signed_text, cut, NULL, NULL,
                                                     &error);

      g_assert_null (document);
      g_assert_nonnull (error);
    }
  assert_refused (verifier, signed_text, 40, NULL, FLEET_ERROR_BAD_SIGNATURE, "line 2");
  assert_refused (verifier, signed_text, len - 2, NULL, FLEET_ERROR_BAD_SIGNATURE,
                  "does not match");
}

static void
test_detached_of_another_document (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocumentVerifier) verifier = NULL;
  g_autofree char *v1 = make_document (1, "");
  g_autofree char *v2 = make_document (2, "");
  g_autoptr(GBytes) signature_of_v1 = NULL;

  if (!have_keys ())
    return;
  fleet_test_key_install (key_a, f->trusted);
  verifier = new_verifier (f, FLEET_SIGNATURE_POLICY_AUTO);
  signature_of_v1 = fleet_test_sign (key_a, v1, -1, FALSE);
  assert_refused (verifier, v2, -1, signature_of_v1, FLEET_ERROR_BAD_SIGNATURE,
                  "does not match the document");
}

/* Malformed signature files are refused, each with what is wrong. */
static void
test_malformed (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocumentVerifier) verifier = NULL;
  g_autofree char *json = make_document (1, "");
  g_autofree char *good = NULL;
  g_auto(GStrv) lines = NULL;
  /* The comment line, its end, the base64 line, its end; then the document. */
  struct
  {
    const char *comment;
    const char *comment_end;
    const char *base64; /* NULL: the real one */
    const char *base64_end;
    const char *expected;
  } cases[] = {
    { "untrusted comment: fleet", "\r\n", NULL, "\n", "carriage return" },
    { "untrusted comment: fleet", "\n", NULL, "\r\n", "carriage return" },
    { "untrusted comment: ", "\n", NULL, "\n", "the comment is empty" },
    { "untrusted comment: a\001b", "\n", NULL, "\n", "control character 0x01" },
    { "untrusted comment: fleet", "\n", "RVg=", "\n", "base64 characters" },
    { "untrusted comment: fleet", "\n", NULL, "", "expected 100 base64 characters" },
  };
  if (!have_keys ())
    return;
  fleet_test_key_install (key_a, f->trusted);
  verifier = new_verifier (f, FLEET_SIGNATURE_POLICY_AUTO);
  good = fleet_test_sign_text (key_a, json);
  lines = g_strsplit (good, "\n", 3);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strconcat (cases[i].comment, cases[i].comment_end,
                                           cases[i].base64 ? cases[i].base64 : lines[1],
                                           cases[i].base64_end, lines[2], NULL);

      assert_refused (verifier, text, -1, NULL, FLEET_ERROR_BAD_SIGNATURE, cases[i].expected);
    }
  /* Another algorithm than "Ed", in valid base64. */
  {
    g_autofree guchar *raw = NULL;
    g_autofree char *encoded = NULL;
    g_autofree char *text = NULL;
    gsize raw_len;

    raw = g_base64_decode (lines[1], &raw_len);
    raw[0] = 'X';
    encoded = g_base64_encode (raw, raw_len);
    text = g_strdup_printf ("%s\n%s\n%s", lines[0], encoded, lines[2]);
    assert_refused (verifier, text, -1, NULL, FLEET_ERROR_BAD_SIGNATURE,
                    "unsupported algorithm");
  }
  /* A detached signature without the header. */
  {
    g_autofree char *detached_text = g_strdup_printf ("comment: x\n%s\n", lines[1]);
    g_autoptr(GBytes) detached = g_bytes_new (detached_text, strlen (detached_text));

    assert_refused (verifier, json, -1, detached, FLEET_ERROR_BAD_SIGNATURE,
                    "detached signature: line 1: expected \"untrusted comment: \"");
  }
  /* A detached signature with something after it. */
  {
    g_autofree char *detached_text = g_strdup_printf ("%s\n%s\nextra\n", lines[0], lines[1]);
    g_autoptr(GBytes) detached = g_bytes_new (detached_text, strlen (detached_text));

    assert_refused (verifier, json, -1, detached, FLEET_ERROR_BAD_SIGNATURE, "unexpected bytes");
  }
}

/* Freshness. */

static void
test_expired (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocumentVerifier) verifier = NULL;
  g_autofree char *times = issued ("2000-01-01T00:00:00Z", "2001-01-01T00:00:00Z");
  g_autofree char *json = make_document (1, times);
  g_autofree char *signed_text = NULL;

  if (!have_keys ())
    return;
  fleet_test_key_install (key_a, f->trusted);
  verifier = new_verifier (f, FLEET_SIGNATURE_POLICY_AUTO);
  signed_text = fleet_test_sign_text (key_a, json);
  assert_refused (verifier, signed_text, -1, NULL, FLEET_ERROR_STALE_DOCUMENT,
                  "expires: the document expired at 2001-01-01T00:00:00Z");
}

/* A device whose clock says 1970 still knows it is no earlier than the
 * build date. */
static void
test_clock_not_before_build (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocumentVerifier) verifier = NULL;
  g_autoptr(GDateTime) before_build = g_date_time_new_from_unix_utc (FLEET_BUILD_EPOCH - 3600);
  g_autoptr(GDateTime) after_build =
    g_date_time_new_from_unix_utc (FLEET_BUILD_EPOCH + 10 * 365 * 24 * 3600LL);
  g_autofree char *before_text = fleet_format_timestamp (before_build);
  g_autofree char *after_text = fleet_format_timestamp (after_build);
  g_autofree char *times_old = issued (NULL, before_text);
  g_autofree char *times_new = issued (NULL, after_text);
  g_autofree char *old = make_document (1, times_old);
  g_autofree char *fresh = make_document (1, times_new);
  g_autoptr(FleetDocument) accepted = NULL;

  verifier = new_verifier (f, FLEET_SIGNATURE_POLICY_AUTO);
  _fleet_document_verifier_set_now (verifier, 1000);
  assert_refused (verifier, old, -1, NULL, FLEET_ERROR_STALE_DOCUMENT, "expired");
  accepted = assert_accepted (verifier, fresh, NULL, NULL);
}

static void
test_replay (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocumentVerifier) verifier = NULL;
  g_autoptr(FleetDocumentVerifier) restarted = NULL;
  g_autofree char *t1 = issued ("2030-01-01T00:00:00Z", NULL);
  g_autofree char *t2 = issued ("2030-01-02T00:00:00+01:00", NULL);
  g_autofree char *v1 = make_document (1, t1);
  g_autofree char *v2 = make_document (2, t2);
  g_autofree char *v3 = make_document (3, t2);
  g_autofree char *none = make_document (4, "");
  g_autofree char *s1 = NULL, *s2 = NULL, *s3 = NULL, *s4 = NULL;
  g_autoptr(FleetDocument) d2 = NULL;
  g_autoptr(FleetDocument) again = NULL;

  if (!have_keys ())
    return;
  fleet_test_key_install (key_a, f->trusted);
  verifier = new_verifier (f, FLEET_SIGNATURE_POLICY_AUTO);
  s1 = fleet_test_sign_text (key_a, v1);
  s2 = fleet_test_sign_text (key_a, v2);
  s3 = fleet_test_sign_text (key_a, v3);
  s4 = fleet_test_sign_text (key_a, none);
  d2 = assert_accepted (verifier, s2, NULL, key_a);
  accept_document (verifier, d2);
  g_assert_cmpstr (fleet_document_verifier_get_signed_by (verifier, d2), ==, key_a->number);
  /* The older document, validly signed, is a replay. */
  assert_refused (verifier, s1, -1, NULL, FLEET_ERROR_STALE_DOCUMENT,
                  "issued_at: 2030-01-01T00:00:00Z is before the last document accepted");
  /* The same document again is fine; another one issued at the same time is not. */
  again = assert_accepted (verifier, s2, NULL, key_a);
  assert_refused (verifier, s3, -1, NULL, FLEET_ERROR_STALE_DOCUMENT, "another document");
  assert_refused (verifier, s4, -1, NULL, FLEET_ERROR_STALE_DOCUMENT, "issued_at: missing");
  /* After a restart too. */
  restarted = new_verifier (f, FLEET_SIGNATURE_POLICY_AUTO);
  g_assert_cmpuint (fleet_document_verifier_get_problems (restarted)->len, ==, 0);
  assert_refused (restarted, s1, -1, NULL, FLEET_ERROR_STALE_DOCUMENT, "before the last");
  g_assert_cmpstr (fleet_document_verifier_get_signed_by (restarted, d2), ==, key_a->number);
}

/* Rotation: trust A and B, move to B, drop A. */
static void
test_rotation (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocumentVerifier) both = NULL;
  g_autoptr(FleetDocumentVerifier) only_b = NULL;
  g_autofree char *json = make_document (1, "");
  g_autofree char *by_a = NULL;
  g_autofree char *by_b = NULL;
  g_autofree char *a_pub = NULL;
  g_autoptr(FleetDocument) d1 = NULL;
  g_autoptr(FleetDocument) d2 = NULL;
  g_autoptr(FleetDocument) d3 = NULL;

  if (!have_keys ())
    return;
  fleet_test_key_install (key_a, f->trusted);
  fleet_test_key_install (key_b, f->trusted);
  both = new_verifier (f, FLEET_SIGNATURE_POLICY_AUTO);
  g_assert_cmpuint (fleet_document_verifier_get_n_keys (both), ==, 2);
  by_a = fleet_test_sign_text (key_a, json);
  by_b = fleet_test_sign_text (key_b, json);
  d1 = assert_accepted (both, by_a, NULL, key_a);
  d2 = assert_accepted (both, by_b, NULL, key_b);
  a_pub = g_build_filename (f->trusted, "a.pub", NULL);
  g_assert_cmpint (g_unlink (a_pub), ==, 0);
  only_b = new_verifier (f, FLEET_SIGNATURE_POLICY_AUTO);
  assert_refused (only_b, by_a, -1, NULL, FLEET_ERROR_BAD_SIGNATURE, "not trusted");
  d3 = assert_accepted (only_b, by_b, NULL, key_b);
}

/* The same verifier, its directory read again: a key removed is no longer
 * trusted, one added is; a reading that finds nothing new says so, and a
 * directory that cannot be listed keeps the keys of the last reading. */
static void
test_reload_keys (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocumentVerifier) verifier = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = make_document (1, "");
  g_autofree char *by_a = NULL;
  g_autofree char *by_b = NULL;
  g_autofree char *a_pub = NULL;
  g_autoptr(FleetDocument) d1 = NULL;
  g_autoptr(FleetDocument) d2 = NULL;
  gboolean changed = FALSE;

  if (!have_keys ())
    return;
  fleet_test_key_install (key_a, f->trusted);
  verifier = new_verifier (f, FLEET_SIGNATURE_POLICY_AUTO);
  by_a = fleet_test_sign_text (key_a, json);
  by_b = fleet_test_sign_text (key_b, json);
  assert_refused (verifier, by_b, -1, NULL, FLEET_ERROR_BAD_SIGNATURE, "not trusted");

  fleet_test_key_install (key_b, f->trusted);
  a_pub = g_build_filename (f->trusted, "a.pub", NULL);
  g_assert_cmpint (g_unlink (a_pub), ==, 0);
  g_assert_true (fleet_document_verifier_reload_keys (verifier, &changed, &error));
  g_assert_no_error (error);
  g_assert_true (changed);
  g_assert_cmpuint (fleet_document_verifier_get_n_keys (verifier), ==, 1);
  assert_refused (verifier, by_a, -1, NULL, FLEET_ERROR_BAD_SIGNATURE, "not trusted");
  d1 = assert_accepted (verifier, by_b, NULL, key_b);

  g_assert_true (fleet_document_verifier_reload_keys (verifier, &changed, &error));
  g_assert_false (changed);

  /* A file where the directory was: it cannot be listed. */
  fleet_test_rm_rf (f->trusted);
  g_file_set_contents (f->trusted, "not a directory", -1, &error);
  g_assert_no_error (error);
  g_assert_false (fleet_document_verifier_reload_keys (verifier, &changed, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpuint (fleet_document_verifier_get_n_keys (verifier), ==, 1);
  d2 = assert_accepted (verifier, by_b, NULL, key_b);
}

/* The policy. */

static void
test_unsigned (Fixture *f, gconstpointer data)
{
  g_autofree char *json = make_document (1, "");
  g_autoptr(FleetDocumentVerifier) no_keys_auto = NULL;
  g_autoptr(FleetDocumentVerifier) no_keys_yes = NULL;
  g_autoptr(FleetDocumentVerifier) keys_auto = NULL;
  g_autoptr(FleetDocumentVerifier) keys_no = NULL;
  g_autoptr(FleetDocument) d1 = NULL;
  g_autoptr(FleetDocument) d2 = NULL;
  g_autoptr(FleetDocument) d3 = NULL;
  g_autofree char *signed_text = NULL;

  if (!have_keys ())
    return;
  /* No keys: nothing is required, and a signature cannot be checked. */
  no_keys_auto = new_verifier (f, FLEET_SIGNATURE_POLICY_AUTO);
  g_assert_false (fleet_document_verifier_get_required (no_keys_auto));
  d1 = assert_accepted (no_keys_auto, json, NULL, NULL);
  signed_text = fleet_test_sign_text (key_a, json);
  d2 = assert_accepted (no_keys_auto, signed_text, NULL, NULL);
  no_keys_yes = new_verifier (f, FLEET_SIGNATURE_POLICY_REQUIRED);
  assert_refused (no_keys_yes, json, -1, NULL, FLEET_ERROR_BAD_SIGNATURE, "trusts no key");
  assert_refused (no_keys_yes, signed_text, -1, NULL, FLEET_ERROR_BAD_SIGNATURE, "trusts no key");
  /* Keys: required unless configured otherwise. */
  fleet_test_key_install (key_a, f->trusted);
  keys_auto = new_verifier (f, FLEET_SIGNATURE_POLICY_AUTO);
  assert_refused (keys_auto, json, -1, NULL, FLEET_ERROR_BAD_SIGNATURE,
                  "the document is not signed, and this device requires a signature");
  keys_no = new_verifier (f, FLEET_SIGNATURE_POLICY_OPTIONAL);
  g_assert_false (fleet_document_verifier_get_required (keys_no));
  d3 = assert_accepted (keys_no, json, NULL, NULL);
}

static void
write_file (const char *path, const char *contents)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

/* Bad key files are reported, one line each, and skipped. */
static void
test_bad_key_file (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocumentVerifier) verifier = NULL;
  g_autofree char *json = make_document (1, "");
  g_autofree char *signed_text = NULL;
  g_autofree char *garbage = g_build_filename (f->trusted, "garbage.pub", NULL);
  g_autofree char *truncated = g_build_filename (f->trusted, "truncated.pub", NULL);
  g_autofree char *open_to_all = g_build_filename (f->trusted, "open.pub", NULL);
  g_autofree char *ignored = g_build_filename (f->trusted, "README", NULL);
  g_autofree char *pub = NULL;
  g_autoptr(FleetDocument) accepted = NULL;
  GPtrArray *problems;

  if (!have_keys ())
    return;
  fleet_test_key_install (key_a, f->trusted);
  g_file_get_contents (key_b->public_path, &pub, NULL, NULL);
  write_file (garbage, "not a key\n");
  pub[strlen (pub) - 10] = '\0';
  write_file (truncated, pub);
  write_file (ignored, "not a .pub file, not read\n");
  fleet_test_key_install (key_c, f->trusted);
  {
    g_autofree char *c_pub = g_build_filename (f->trusted, "c.pub", NULL);

    g_assert_cmpint (g_rename (c_pub, open_to_all), ==, 0);
  }
  g_chmod (open_to_all, 0666);
  verifier = new_verifier (f, FLEET_SIGNATURE_POLICY_AUTO);
  problems = fleet_document_verifier_get_problems (verifier);
  g_assert_cmpuint (problems->len, ==, 3);
  g_assert_true (g_str_has_prefix (problems->pdata[0], garbage));
  g_assert_true (g_str_has_prefix (problems->pdata[1], open_to_all));
  g_assert_nonnull (strstr (problems->pdata[1], "writable by every user"));
  g_assert_true (g_str_has_prefix (problems->pdata[2], truncated));
  for (guint i = 0; i < problems->len; i++)
    g_assert_null (strchr (problems->pdata[i], '\n'));
  g_assert_cmpuint (fleet_document_verifier_get_n_keys (verifier), ==, 1);
  signed_text = fleet_test_sign_text (key_a, json);
  accepted = assert_accepted (verifier, signed_text, NULL, key_a);
}

/* The timestamps: RFC 3339 date-times only. */
static void
test_timestamps (void)
{
  const char *valid[] = { "2026-05-01T12:00:00Z", "2026-05-01t12:00:00z",
                          "2026-05-01T12:00:00.5+02:00", "2026-05-01T12:00:00-07:30" };
  const char *invalid[] = { "2026-05-01", "2026-05-01T12:00:00", "2026-05-01 12:00:00Z",
                            "2026-W18-5T12:00:00Z", "20260501T120000Z", "2026-13-01T00:00:00Z",
                            "2026-02-30T00:00:00Z", "2026-05-01T24:00:00Z", "2026-05-01T12:00Z",
                            "2026-05-01T12:00:00.Z", "2026-05-01T12:00:00+0200", "" };

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      g_autofree char *times = issued (valid[i], NULL);
      g_autofree char *json = make_document (1, times);
      g_autoptr(FleetDocument) parsed = fleet_test_document (json);

      g_assert_nonnull (parsed->issued_at);
      g_assert_null (parsed->expires);
    }
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autofree char *times = issued (NULL, invalid[i]);
      g_autofree char *json = make_document (1, times);
      g_autoptr(GError) error = NULL;
      g_autoptr(FleetDocument) parsed = fleet_document_new_from_data (json, -1, NULL, &error);

      g_assert_null (parsed);
      g_assert_error (error, FLEET_ERROR, FLEET_ERROR_INVALID_DOCUMENT);
      g_assert_true (g_str_has_prefix (error->message, "expires: "));
    }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(FleetDocument) parsed =
      fleet_document_new_from_data ("{\"issued_at\":1,\"deployments\":{}}", -1, NULL, &error);

    g_assert_error (error, FLEET_ERROR, FLEET_ERROR_INVALID_DOCUMENT);
    g_assert_cmpstr (error->message, ==, "issued_at: expected a string, got an integer");
  }
}

/* expires must come after issued_at. */
static void
test_expires_before_issued (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocumentVerifier) verifier = NULL;
  g_autofree char *times = issued ("2090-01-02T00:00:00Z", "2090-01-01T00:00:00Z");
  g_autofree char *json = make_document (1, times);

  verifier = new_verifier (f, FLEET_SIGNATURE_POLICY_AUTO);
  assert_refused (verifier, json, -1, NULL, FLEET_ERROR_INVALID_DOCUMENT,
                  "is not after issued_at");
}

static void
make_keys (void)
{
  g_autofree char *signify = g_find_program_in_path ("signify-openbsd");

  if (signify == NULL)
    return;
  keys_dir = fleet_test_make_tmpdir ();
  key_a = fleet_test_key_new (keys_dir, "a");
  key_b = fleet_test_key_new (keys_dir, "b");
  key_c = fleet_test_key_new (keys_dir, "c");
}

#define ADD(name, func) g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int argc, char **argv)
{
  int result;

  fleet_test_init (&argc, &argv);
  make_keys ();
  ADD ("/signature/valid-embedded", test_valid_embedded);
  ADD ("/signature/valid-detached", test_valid_detached);
  ADD ("/signature/flipped-document-byte", test_flipped_document_byte);
  ADD ("/signature/flipped-signature-byte", test_flipped_signature_byte);
  ADD ("/signature/untrusted-key", test_untrusted_key);
  ADD ("/signature/truncated", test_truncated);
  ADD ("/signature/detached-of-another-document", test_detached_of_another_document);
  ADD ("/signature/malformed", test_malformed);
  ADD ("/signature/expired", test_expired);
  ADD ("/signature/clock-not-before-build", test_clock_not_before_build);
  ADD ("/signature/replay", test_replay);
  ADD ("/signature/rotation", test_rotation);
  ADD ("/signature/reload-keys", test_reload_keys);
  ADD ("/signature/unsigned", test_unsigned);
  ADD ("/signature/bad-key-file", test_bad_key_file);
  ADD ("/signature/expires-before-issued", test_expires_before_issued);
  g_test_add_func ("/signature/timestamps", test_timestamps);
  result = g_test_run ();
  if (keys_dir != NULL)
    fleet_test_rm_rf (keys_dir);
  g_free (keys_dir);
  g_clear_pointer (&key_a, fleet_test_key_free);
  g_clear_pointer (&key_b, fleet_test_key_free);
  g_clear_pointer (&key_c, fleet_test_key_free);
  return result;
}
