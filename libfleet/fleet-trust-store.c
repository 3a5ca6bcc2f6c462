/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-trust-store.c: the keys whose signatures a device accepts: every
 * `*.pub` file (signify's public key format) in one directory,
 * /etc/fleet/trusted.d by default.  A signature names its key by signify's
 * key number, so several keys can be trusted at once, and a key is rotated
 * by adding the new one, re-signing, and removing the old.
 *
 * A file that cannot be read or is not a valid key (or repeats another's
 * key number with a different key, or is writable by anyone) is reported,
 * one line each, and skipped: one bad file does not cost the device its
 * other keys.  A missing directory is no keys; one that exists but cannot
 * be listed is an error, since whether signatures are required may depend
 * on what it holds.
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "fleet-trust-store-private.h"
#include "fleet-util-private.h"

/* A public key file is about 100 bytes; this is plenty. */
#define MAX_KEY_FILE_BYTES 4096

struct _FleetTrustStore
{
  char *dir;
  GArray *keys; /* FleetSignifyPublicKey, in file name order */
};

void
_fleet_trust_store_free (FleetTrustStore *store)
{
  g_free (store->dir);
  g_array_unref (store->keys);
  g_free (store);
}

const FleetSignifyPublicKey *
_fleet_trust_store_lookup (FleetTrustStore *store, const guint8 *key_number)
{
  for (guint i = 0; i < store->keys->len; i++)
    {
      const FleetSignifyPublicKey *key = &g_array_index (store->keys, FleetSignifyPublicKey, i);

      if (memcmp (key->key_number, key_number, FLEET_SIGNIFY_KEY_NUMBER_BYTES) == 0)
        return key;
    }
  return NULL;
}

guint
_fleet_trust_store_get_n_keys (FleetTrustStore *store)
{
  return store->keys->len;
}

const char *
_fleet_trust_store_get_dir (FleetTrustStore *store)
{
  return store->dir;
}

/* "0123456789abcdef, fedcba9876543210", or "none". */
char *
_fleet_trust_store_list_key_numbers (FleetTrustStore *store)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < store->keys->len; i++)
    {
      g_autofree char *number = _fleet_signify_key_number_to_string (
        g_array_index (store->keys, FleetSignifyPublicKey, i).key_number);

      g_string_append_printf (out, "%s%s", i ? ", " : "", number);
    }
  if (out->len == 0)
    g_string_append (out, "none");
  return g_string_free (out, FALSE);
}

static gboolean
read_key_file (const char *path, FleetSignifyPublicKey *out, GError **error)
{
  g_autofree char *contents = NULL;
  gsize len;
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    {
      int errsv = errno;

      return fleet_throw (error, FLEET_ERROR_FAILED, "%s", g_strerror (errsv));
    }
  if (!S_ISREG (st.st_mode))
    return fleet_throw (error, FLEET_ERROR_FAILED, "not a regular file");
  if (st.st_mode & S_IWOTH)
    return fleet_throw (error, FLEET_ERROR_FAILED,
                        "writable by every user, so not trusted (chmod o-w)");
  if (st.st_size > MAX_KEY_FILE_BYTES)
    return fleet_throw (error, FLEET_ERROR_FAILED, "too large for a public key (%" G_GINT64_FORMAT
                        " bytes)", (gint64) st.st_size);
  if (!g_file_get_contents (path, &contents, &len, error))
    return FALSE;
  return _fleet_signify_parse_public_key (contents, len, out, error);
}

/* Add the key in @path, or say in @problems why not. */
static void
add_key_file (FleetTrustStore *store, const char *path, GPtrArray *problems)
{
  g_autoptr(GError) error = NULL;
  FleetSignifyPublicKey key;
  const FleetSignifyPublicKey *same_number;

  if (!read_key_file (path, &key, &error))
    {
      g_autofree char *clean = fleet_escape_controls (error->message);

      g_ptr_array_add (problems, g_strdup_printf ("%s: %s (skipped)", path, clean));
      return;
    }
  same_number = _fleet_trust_store_lookup (store, key.key_number);
  if (same_number != NULL && memcmp (same_number->key, key.key, sizeof key.key) != 0)
    {
      g_autofree char *number = _fleet_signify_key_number_to_string (key.key_number);

      g_ptr_array_add (problems,
                       g_strdup_printf ("%s: key number %s is already that of another trusted "
                                        "key (skipped)", path, number));
      return;
    }
  if (same_number == NULL)
    g_array_append_val (store->keys, key);
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static GPtrArray *
list_key_files (const char *dir, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GDir) listing = g_dir_open (dir, 0, &local_error);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (listing == NULL)
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&names);
      return fleet_null_throw (error, FLEET_ERROR_INVALID_ARGUMENT, "%s", local_error->message);
    }
  while ((name = g_dir_read_name (listing)) != NULL)
    if (g_str_has_suffix (name, ".pub") && name[0] != '.')
      g_ptr_array_add (names, g_build_filename (dir, name, NULL));
  g_ptr_array_sort (names, compare_paths);
  return g_steal_pointer (&names);
}

/**
 * _fleet_trust_store_load:
 * @dir: (nullable): the directory of `*.pub` files, or %NULL for no keys
 * @out_problems: (out) (element-type utf8): one line for each file skipped
 *
 * Returns: (transfer full): the keys, or %NULL when @dir exists but
 *   cannot be listed
 */
FleetTrustStore *
_fleet_trust_store_load (const char *dir, GPtrArray **out_problems, GError **error)
{
  g_autoptr(FleetTrustStore) store = g_new0 (FleetTrustStore, 1);
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) files = NULL;

  store->dir = g_strdup (dir ? dir : "(none)");
  store->keys = g_array_new (FALSE, FALSE, sizeof (FleetSignifyPublicKey));
  if (dir == NULL)
    {
      *out_problems = g_steal_pointer (&problems);
      return g_steal_pointer (&store);
    }
  files = list_key_files (dir, error);
  if (files == NULL)
    return NULL;
  for (guint i = 0; i < files->len; i++)
    add_key_file (store, files->pdata[i], problems);
  *out_problems = g_steal_pointer (&problems);
  return g_steal_pointer (&store);
}
