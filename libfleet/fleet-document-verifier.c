/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-document-verifier.c: a device runs only what its owner signed,
 * whatever carried the document.  Every fetched document passes through
 * fleet_document_verifier_open() before anything else looks at it:
 *
 * - The signature, in signify's format (fleet-signature.c): embedded (the
 *   comment line, the signature line, then the document's exact bytes) or
 *   detached (a `.sig` beside the document).  It must verify, with a
 *   trusted key (fleet-trust-store.c), over exactly the bytes that are then
 *   parsed: nothing is canonicalised first.  Unsigned documents are
 *   refused when the policy requires signatures: `yes`, or `auto` with
 *   trusted keys.  A device without trusted keys cannot check a signature
 *   and does not require one: it takes a signed document as an unsigned
 *   one, so that documents can be signed before the keys reach devices.
 * - Freshness: a document issued (`issued_at`) before the last one
 *   accepted is an old one replayed; one past its `expires` is refused.
 *   "Now" is never taken as earlier than the last accepted issued_at nor
 *   than fleetd's build date, since many devices have no reliable clock.
 *
 * What was accepted is remembered in the state directory
 * (fleet-signature-record.c) once the caller applies the document
 * (fleet_document_verifier_accept()).  A refusal changes nothing.
 */
#include "config.h"

#include "fleet-document-verifier.h"
#include "fleet-document-verifier-private.h"
#include "fleet-signature-record-private.h"
#include "fleet-trust-store-private.h"
#include "fleet-util-private.h"

struct _FleetDocumentVerifier
{
  GObject parent_instance;

  FleetTrustStore *keys;
  char *keys_dir;              /* nullable: no keys */
  FleetSignaturePolicy policy;
  char *state_dir;             /* nullable: nothing persisted */
  FleetSignatureRecord record; /* the last document accepted */
  GPtrArray *problems;         /* char *: skipped key files, an unreadable record */
  GHashTable *signers;         /* digest -> key number or "": documents opened, not accepted */
  gint64 now_for_testing;      /* 0: the system clock */
};

G_DEFINE_FINAL_TYPE (FleetDocumentVerifier, fleet_document_verifier, G_TYPE_OBJECT)

static void
fleet_document_verifier_finalize (GObject *object)
{
  FleetDocumentVerifier *self = FLEET_DOCUMENT_VERIFIER (object);

  g_clear_pointer (&self->keys, _fleet_trust_store_free);
  g_free (self->keys_dir);
  g_free (self->state_dir);
  _fleet_signature_record_clear (&self->record);
  g_clear_pointer (&self->problems, g_ptr_array_unref);
  g_hash_table_unref (self->signers);
  G_OBJECT_CLASS (fleet_document_verifier_parent_class)->finalize (object);
}

static void
fleet_document_verifier_class_init (FleetDocumentVerifierClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fleet_document_verifier_finalize;
}

static void
fleet_document_verifier_init (FleetDocumentVerifier *self)
{
  self->signers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/**
 * fleet_document_verifier_new:
 * @trusted_keys_dir: (nullable): the directory of trusted `*.pub` keys (it
 *   may be missing), or %NULL for none
 * @policy: whether documents must be signed
 * @state_dir: (nullable): where the last accepted document is remembered,
 *   or %NULL to remember it only in memory
 * @error: return location for a #GError, or %NULL
 *
 * Key files that cannot be used and an unreadable record are not fatal:
 * see fleet_document_verifier_get_problems().
 *
 * Returns: (transfer full): the verifier, or %NULL when @trusted_keys_dir
 *   exists but cannot be listed
 *
 * Since: 0.2
 */
FleetDocumentVerifier *
fleet_document_verifier_new (const char *trusted_keys_dir, FleetSignaturePolicy policy,
                             const char *state_dir, GError **error)
{
  g_autoptr(FleetDocumentVerifier) self = NULL;
  g_autoptr(GError) record_error = NULL;

  g_return_val_if_fail (policy <= FLEET_SIGNATURE_POLICY_OPTIONAL, NULL);

  self = g_object_new (FLEET_TYPE_DOCUMENT_VERIFIER, NULL);
  self->policy = policy;
  self->state_dir = g_strdup (state_dir);
  self->keys_dir = g_strdup (trusted_keys_dir);
  self->keys = _fleet_trust_store_load (trusted_keys_dir, &self->problems, error);
  if (self->keys == NULL)
    return NULL;
  /* The replay rule then falls back on the generation rule and the
   * build date; refusing every document would wedge the device. */
  if (state_dir != NULL && !_fleet_signature_record_load (state_dir, &self->record, &record_error))
    g_ptr_array_add (self->problems, g_strdup_printf ("%s (ignored)", record_error->message));
  return g_steal_pointer (&self);
}

/**
 * fleet_document_verifier_new_unchecked:
 *
 * A verifier that trusts no key and requires no signature, and remembers
 * the last document accepted in memory only: documents are parsed and
 * their freshness checked, signatures are not.
 *
 * Returns: (transfer full): the verifier
 *
 * Since: 0.2
 */
FleetDocumentVerifier *
fleet_document_verifier_new_unchecked (void)
{
  return fleet_document_verifier_new (NULL, FLEET_SIGNATURE_POLICY_OPTIONAL, NULL, NULL);
}

/**
 * fleet_document_verifier_get_problems:
 * @self: a #FleetDocumentVerifier
 *
 * Returns: (transfer none) (element-type utf8): one line for each key
 *   file skipped, and for a record of the last document that could not
 *   be read, for the caller to log
 *
 * Since: 0.2
 */
GPtrArray *
fleet_document_verifier_get_problems (FleetDocumentVerifier *self)
{
  g_return_val_if_fail (FLEET_IS_DOCUMENT_VERIFIER (self), NULL);
  return self->problems;
}

/**
 * fleet_document_verifier_get_required:
 * @self: a #FleetDocumentVerifier
 *
 * Whether an unsigned document is refused.
 *
 * Returns: %TRUE when documents must be signed
 *
 * Since: 0.2
 */
gboolean
fleet_document_verifier_get_required (FleetDocumentVerifier *self)
{
  g_return_val_if_fail (FLEET_IS_DOCUMENT_VERIFIER (self), FALSE);

  return self->policy == FLEET_SIGNATURE_POLICY_REQUIRED
         || (self->policy == FLEET_SIGNATURE_POLICY_AUTO
             && _fleet_trust_store_get_n_keys (self->keys) > 0);
}

/**
 * fleet_document_verifier_get_n_keys:
 * @self: a #FleetDocumentVerifier
 *
 * How many trusted keys the verifier holds.
 *
 * Returns: the number of trusted keys
 *
 * Since: 0.2
 */
guint
fleet_document_verifier_get_n_keys (FleetDocumentVerifier *self)
{
  g_return_val_if_fail (FLEET_IS_DOCUMENT_VERIFIER (self), 0);
  return _fleet_trust_store_get_n_keys (self->keys);
}

/**
 * fleet_document_verifier_describe_keys:
 * @self: a #FleetDocumentVerifier
 *
 * The trusted key numbers, "0123456789abcdef, ..." or "none".
 *
 * Returns: (transfer full): the key numbers, for a log line
 *
 * Since: 0.2
 */
char *
fleet_document_verifier_describe_keys (FleetDocumentVerifier *self)
{
  g_return_val_if_fail (FLEET_IS_DOCUMENT_VERIFIER (self), NULL);
  return _fleet_trust_store_list_key_numbers (self->keys);
}

/**
 * fleet_document_verifier_reload_keys:
 * @self: a #FleetDocumentVerifier
 * @out_changed: (out) (optional): whether the set of trusted keys changed
 * @error: return location for a #GError
 *
 * Read the trusted keys directory again, so that keys added or removed
 * since the verifier was made are trusted or no longer trusted from now
 * on.  The problems (fleet_document_verifier_get_problems()) are then
 * those of this reading.  When the directory exists but cannot be listed,
 * the keys trusted so far stay trusted and %FALSE is returned.
 *
 * Returns: %TRUE when the directory was read
 *
 * Since: 0.2
 */
gboolean
fleet_document_verifier_reload_keys (FleetDocumentVerifier *self, gboolean *out_changed,
                                     GError **error)
{
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(FleetTrustStore) keys = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  g_return_val_if_fail (FLEET_IS_DOCUMENT_VERIFIER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  keys = _fleet_trust_store_load (self->keys_dir, &problems, error);
  if (keys == NULL)
    return FALSE;
  before = _fleet_trust_store_list_key_numbers (self->keys);
  after = _fleet_trust_store_list_key_numbers (keys);
  g_clear_pointer (&self->keys, _fleet_trust_store_free);
  self->keys = g_steal_pointer (&keys);
  g_clear_pointer (&self->problems, g_ptr_array_unref);
  self->problems = g_steal_pointer (&problems);
  if (out_changed != NULL)
    *out_changed = !g_str_equal (before, after);
  return TRUE;
}

/* For tests: the system clock says @unix_secs (0: ask the system again). */
void
_fleet_document_verifier_set_now (FleetDocumentVerifier *self, gint64 unix_secs)
{
  g_return_if_fail (FLEET_IS_DOCUMENT_VERIFIER (self));
  self->now_for_testing = unix_secs;
}

/* Signatures. */

static gboolean
check_unsigned (FleetDocumentVerifier *self, GError **error)
{
  const char *dir = _fleet_trust_store_get_dir (self->keys);
  guint n_keys = _fleet_trust_store_get_n_keys (self->keys);

  if (!fleet_document_verifier_get_required (self))
    return TRUE;
  if (n_keys == 0)
    return fleet_throw (error, FLEET_ERROR_BAD_SIGNATURE,
                        "signature: the document is not signed, and this device requires a "
                        "signature (require-signature=yes), but trusts no key (none in %s)",
                        dir);
  return fleet_throw (error, FLEET_ERROR_BAD_SIGNATURE,
                      "signature: the document is not signed, and this device requires a "
                      "signature (%u trusted key%s in %s)",
                      n_keys, n_keys == 1 ? "" : "s", dir);
}

/* @signature must be a trusted key's, of exactly @message. */
static gboolean
check_signed (FleetDocumentVerifier *self, const FleetSignifySignature *signature,
              const char *message, gsize len, char **out_signed_by, GError **error)
{
  g_autofree char *number = _fleet_signify_key_number_to_string (signature->key_number);
  const char *dir = _fleet_trust_store_get_dir (self->keys);
  const FleetSignifyPublicKey *key;

  if (_fleet_trust_store_get_n_keys (self->keys) == 0)
    {
      if (self->policy == FLEET_SIGNATURE_POLICY_REQUIRED)
        return fleet_throw (error, FLEET_ERROR_BAD_SIGNATURE,
                            "signature: signed by key %s, but this device trusts no key (none "
                            "in %s)", number, dir);
      g_debug ("signature by key %s not checked: no trusted keys in %s", number, dir);
      return TRUE;
    }
  key = _fleet_trust_store_lookup (self->keys, signature->key_number);
  if (key == NULL)
    {
      g_autofree char *trusted = _fleet_trust_store_list_key_numbers (self->keys);

      return fleet_throw (error, FLEET_ERROR_BAD_SIGNATURE,
                          "signature: signed by key %s, which is not trusted (trusted in %s: %s)",
                          number, dir, trusted);
    }
  if (!_fleet_signify_verify (key, signature, message, len))
    return fleet_throw (error, FLEET_ERROR_BAD_SIGNATURE,
                        "signature: does not match the document (signed by key %s): the "
                        "document or its signature was changed after signing", number);
  *out_signed_by = g_steal_pointer (&number);
  return TRUE;
}

/* The signature, if any: *@out_offset is where the document starts. */
static gboolean
check_signature (FleetDocumentVerifier *self, const char *data, gsize len, GBytes *detached,
                 gsize *out_offset, char **out_signed_by, GError **error)
{
  FleetSignifySignature signature;
  gsize consumed = 0;

  *out_offset = 0;
  if (_fleet_signify_has_signature (data, len))
    {
      if (detached != NULL)
        return fleet_throw (error, FLEET_ERROR_BAD_SIGNATURE,
                            "signature: the document is signed (embedded) and has a detached "
                            "signature as well: keep one of them");
      if (!_fleet_signify_parse_signature (data, len, &consumed, &signature, error))
        return fleet_prefix_error (error, "signature");
      *out_offset = consumed;
    }
  else if (detached != NULL)
    {
      gsize detached_len;
      const char *detached_data = g_bytes_get_data (detached, &detached_len);

      if (!_fleet_signify_parse_signature (detached_data ? detached_data : "", detached_len,
                                           &consumed, &signature, error))
        return fleet_prefix_error (error, "detached signature");
      if (consumed != detached_len)
        return fleet_throw (error, FLEET_ERROR_BAD_SIGNATURE,
                            "detached signature: %" G_GSIZE_FORMAT " unexpected bytes after "
                            "line 2", detached_len - consumed);
    }
  else
    return check_unsigned (self, error);
  return check_signed (self, &signature, data + *out_offset, len - *out_offset, out_signed_by,
                       error);
}

/* Freshness. */

/* The clock, never earlier than the build date nor the last issued_at. */
static GDateTime *
get_now (FleetDocumentVerifier *self)
{
  gint64 now = self->now_for_testing ? self->now_for_testing
                                     : g_get_real_time () / G_USEC_PER_SEC;
  GDateTime *last = self->record.issued_at;

  now = MAX (now, (gint64) FLEET_BUILD_EPOCH);
  if (last != NULL && g_date_time_to_unix (last) >= now)
    return g_date_time_ref (last);
  return g_date_time_new_from_unix_utc (now);
}

static gboolean
check_replay (FleetDocumentVerifier *self, FleetDocument *document, GError **error)
{
  GDateTime *last = self->record.issued_at;
  g_autofree char *last_text = last ? fleet_format_timestamp (last) : NULL;
  g_autofree char *issued_text = NULL;
  int order;

  if (last == NULL)
    return TRUE;
  if (document->issued_at == NULL)
    return fleet_throw (error, FLEET_ERROR_STALE_DOCUMENT,
                        "issued_at: missing, but the last document accepted was issued at %s: "
                        "refusing what could be an older document replayed", last_text);
  issued_text = fleet_format_timestamp (document->issued_at);
  order = g_date_time_compare (document->issued_at, last);
  if (order < 0)
    return fleet_throw (error, FLEET_ERROR_STALE_DOCUMENT,
                        "issued_at: %s is before the last document accepted (issued at %s): "
                        "refusing an older document replayed", issued_text, last_text);
  if (order == 0 && g_strcmp0 (document->digest, self->record.digest) != 0)
    return fleet_throw (error, FLEET_ERROR_STALE_DOCUMENT,
                        "issued_at: %s is that of the last document accepted, which was another "
                        "document: issue the new one later", issued_text);
  return TRUE;
}

static gboolean
check_freshness (FleetDocumentVerifier *self, FleetDocument *document, GError **error)
{
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *expires_text = NULL;
  g_autofree char *now_text = NULL;

  if (!check_replay (self, document, error))
    return FALSE;
  if (document->expires == NULL)
    return TRUE;
  expires_text = fleet_format_timestamp (document->expires);
  if (document->issued_at != NULL && g_date_time_compare (document->expires,
                                                          document->issued_at) <= 0)
    return fleet_throw (error, FLEET_ERROR_INVALID_DOCUMENT, "expires: %s is not after issued_at",
                        expires_text);
  now = get_now (self);
  if (g_date_time_compare (document->expires, now) > 0)
    return TRUE;
  now_text = fleet_format_timestamp (now);
  return fleet_throw (error, FLEET_ERROR_STALE_DOCUMENT,
                      "expires: the document expired at %s (now is %s); running containers are "
                      "left as they are", expires_text, now_text);
}

/* Who signed a document opened: fleet_document_verifier_accept() needs it
 * after the document went through the agent's queue.  Documents opened
 * but never accepted (refused by the reconciler, planned, superseded) are
 * forgotten at the next acceptance; a bound keeps a device that accepts
 * nothing for long from collecting them. */
#define MAX_SIGNERS 64

static void
remember_signer (FleetDocumentVerifier *self, FleetDocument *document, const char *signed_by)
{
  if (g_hash_table_size (self->signers) >= MAX_SIGNERS)
    g_hash_table_remove_all (self->signers);
  g_hash_table_replace (self->signers, g_strdup (document->digest),
                        g_strdup (signed_by ? signed_by : ""));
}

/**
 * fleet_document_verifier_open:
 * @self: a #FleetDocumentVerifier
 * @bytes: what the source returned: a document, signed (embedded) or not
 * @detached_signature: (nullable): a detached signature of @bytes (the
 *   `.sig` beside the document)
 * @limits: (nullable): the limits the document is parsed with
 * @out_signed_by: (out) (optional) (nullable): the number of the key that
 *   signed the document (16 hex digits), %NULL when it is not signed (or
 *   no key could check it)
 * @error: return location for a #GError, or %NULL
 *
 * Check the signature, parse exactly the signed bytes, and check the
 * document's freshness.  Changes nothing; call
 * fleet_document_verifier_accept() once the document is applied.
 *
 * Returns: (transfer full): the document, or %NULL with a one-line error:
 *   FLEET_ERROR_BAD_SIGNATURE, FLEET_ERROR_STALE_DOCUMENT or the parser's
 *
 * Since: 0.2
 */
FleetDocument *
fleet_document_verifier_open (FleetDocumentVerifier *self, GBytes *bytes,
                              GBytes *detached_signature, const FleetLimits *limits,
                              char **out_signed_by, GError **error)
{
  g_autofree char *signed_by = NULL;
  g_autoptr(FleetDocument) document = NULL;
  const char *data;
  gsize len;
  gsize offset;

  g_return_val_if_fail (FLEET_IS_DOCUMENT_VERIFIER (self), NULL);
  g_return_val_if_fail (bytes != NULL, NULL);

  data = g_bytes_get_data (bytes, &len);
  if (data == NULL)
    data = "";
  if (!check_signature (self, data, len, detached_signature, &offset, &signed_by, error))
    return NULL;
  document = fleet_document_new_from_data (data + offset, len - offset, limits, error);
  if (document == NULL || !check_freshness (self, document, error))
    return NULL;
  remember_signer (self, document, signed_by);
  if (out_signed_by != NULL)
    *out_signed_by = g_steal_pointer (&signed_by);
  return g_steal_pointer (&document);
}

/**
 * fleet_document_verifier_accept:
 * @self: a #FleetDocumentVerifier
 * @document: a document from fleet_document_verifier_open(), now taken by
 *   the reconciler
 * @error: return location for a #GError, or %NULL
 *
 * Remember @document, and who signed it, as the last one accepted: nothing
 * issued before it is accepted from now on, even after a restart.
 * Remembered in memory even when it cannot be persisted.  Accepting the
 * last document accepted again changes nothing.
 *
 * Returns: FALSE when the record could not be written
 *
 * Since: 0.2
 */
gboolean
fleet_document_verifier_accept (FleetDocumentVerifier *self, FleetDocument *document,
                                GError **error)
{
  FleetSignatureRecord *record;
  const char *signed_by;

  g_return_val_if_fail (FLEET_IS_DOCUMENT_VERIFIER (self), FALSE);
  g_return_val_if_fail (document != NULL, FALSE);

  record = &self->record;
  signed_by = g_hash_table_lookup (self->signers, document->digest);
  if (signed_by == NULL && g_strcmp0 (record->digest, document->digest) == 0)
    return TRUE;
  _fleet_signature_record_clear (record);
  record->issued_at = document->issued_at ? g_date_time_ref (document->issued_at) : NULL;
  record->signed_by = signed_by && *signed_by ? g_strdup (signed_by) : NULL;
  record->digest = g_strdup (document->digest);
  g_hash_table_remove_all (self->signers);
  if (self->state_dir == NULL)
    return TRUE;
  if (!_fleet_signature_record_save (self->state_dir, record, error))
    return fleet_prefix_error (error, "cannot remember the document accepted");
  return TRUE;
}

/**
 * fleet_document_verifier_get_signed_by:
 * @self: a #FleetDocumentVerifier
 * @applied: (nullable): the document being applied
 *
 * Returns: (nullable): the number of the key that signed @applied, or
 *   %NULL when it was not signed (or is not the last one accepted)
 *
 * Since: 0.2
 */
const char *
fleet_document_verifier_get_signed_by (FleetDocumentVerifier *self, FleetDocument *applied)
{
  g_return_val_if_fail (FLEET_IS_DOCUMENT_VERIFIER (self), NULL);

  if (applied == NULL || g_strcmp0 (applied->digest, self->record.digest) != 0)
    return NULL;
  return self->record.signed_by;
}
