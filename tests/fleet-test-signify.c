/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-test-signify.c: run the real signify-openbsd to make keys and
 * signatures, so that what fleet verifies is what operators produce.
 * Without the tool the tests are skipped, except in CI (CI=true), where
 * that fails: autogen.sh --install-deps installs it.
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "fleet-signature-private.h"
#include "fleet-test-signify.h"

#define SIGNIFY "signify-openbsd"

/* TRUE when signify-openbsd can be run; otherwise the test is skipped (or
 * fails, in CI). */
gboolean
fleet_test_signify_check (void)
{
  g_autofree char *path = g_find_program_in_path (SIGNIFY);

  if (path != NULL)
    return TRUE;
  if (g_strcmp0 (g_getenv ("CI"), "true") == 0)
    g_error (SIGNIFY " is not installed (autogen.sh --install-deps installs it)");
  g_test_skip (SIGNIFY " is not installed (apt-get install signify-openbsd)");
  return FALSE;
}

static void
run_signify (const char *const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", argv[1], err);
}

/* A new key pair DIR/NAME.pub and DIR/NAME.sec, without a passphrase. */
FleetTestKey *
fleet_test_key_new (const char *dir, const char *name)
{
  FleetTestKey *key = g_new0 (FleetTestKey, 1);
  g_autofree char *pub_name = g_strconcat (name, ".pub", NULL);
  g_autofree char *sec_name = g_strconcat (name, ".sec", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  FleetSignifyPublicKey parsed;
  gsize len;

  key->public_path = g_build_filename (dir, pub_name, NULL);
  key->secret_path = g_build_filename (dir, sec_name, NULL);
  run_signify ((const char *const[]) { SIGNIFY, "-G", "-n", "-c", name, "-p", key->public_path,
                                       "-s", key->secret_path, NULL });
  g_file_get_contents (key->public_path, &contents, &len, &error);
  g_assert_no_error (error);
  _fleet_signify_parse_public_key (contents, len, &parsed, &error);
  g_assert_no_error (error);
  key->number = _fleet_signify_key_number_to_string (parsed.key_number);
  return key;
}

void
fleet_test_key_free (FleetTestKey *key)
{
  g_free (key->public_path);
  g_free (key->secret_path);
  g_free (key->number);
  g_free (key);
}

/* Copy the public key into @trusted_dir. */
void
fleet_test_key_install (const FleetTestKey *key, const char *trusted_dir)
{
  g_autofree char *contents = NULL;
  g_autofree char *base = g_path_get_basename (key->public_path);
  g_autofree char *target = g_build_filename (trusted_dir, base, NULL);
  g_autoptr(GError) error = NULL;

  g_mkdir_with_parents (trusted_dir, 0755);
  g_file_get_contents (key->public_path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_file_set_contents (target, contents, -1, &error);
  g_assert_no_error (error);
}

/* signify -S [-e]: the embedded form (signature, then @message), or the
 * detached signature alone. */
GBytes *
fleet_test_sign (const FleetTestKey *key, const char *message, gssize len, gboolean embedded)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmpdir = g_dir_make_tmp ("fleet-sign-XXXXXX", &error);
  g_autofree char *msg_path = g_build_filename (tmpdir, "message", NULL);
  g_autofree char *sig_path = g_build_filename (tmpdir, "message.sig", NULL);
  g_autofree char *contents = NULL;
  gsize contents_len;

  g_assert_no_error (error);
  g_file_set_contents (msg_path, message, len, &error);
  g_assert_no_error (error);
  if (embedded)
    run_signify ((const char *const[]) { SIGNIFY, "-S", "-e", "-s", key->secret_path, "-m",
                                         msg_path, "-x", sig_path, NULL });
  else
    run_signify ((const char *const[]) { SIGNIFY, "-S", "-s", key->secret_path, "-m", msg_path,
                                         "-x", sig_path, NULL });
  g_file_get_contents (sig_path, &contents, &contents_len, &error);
  g_assert_no_error (error);
  g_unlink (msg_path);
  g_unlink (sig_path);
  g_rmdir (tmpdir);
  return g_bytes_new_take (g_steal_pointer (&contents), contents_len);
}

/* The embedded form of @message, as a string. */
char *
fleet_test_sign_text (const FleetTestKey *key, const char *message)
{
  g_autoptr(GBytes) signed_bytes = fleet_test_sign (key, message, -1, TRUE);
  gsize len;
  const char *data = g_bytes_get_data (signed_bytes, &len);

  return g_strndup (data, len);
}
