/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-signature-daemon.c: the real fleetd and fleetctl with signed
 * documents (made by signify-openbsd), the fake runtime and a file source:
 * `fleetd --once` accepts a signed document and remembers who signed it;
 * a tampered, replayed or unsigned document (where required) changes
 * nothing in the state directory and exits 1 naming the reason; a detached
 * PATH.sig is read beside the file; and a running fleetd, on a private bus,
 * shows the signing key in its status, D-Bus property and `fleetctl
 * status`, verifies `fleetctl plan FILE` the same way, and keeps polling
 * past a tampered document, reporting it as the fetch error.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>

#include "fleet-dbus.h"
#include "fleet-test-processes.h"
#include "fleet-test-signify.h"
#include "fleet-test-utils.h"

#define TIMEOUT_SECS 20

#define DOC_TMPL                                                                             \
  "{\"generation\":%d,\"issued_at\":\"2030-01-0%dT00:00:00Z\",\"deployments\":{\"hello\":{" \
  "\"type\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":\"web\",\"image\":"                \
  "\"localhost/hello:v%d\"}]}}}}\n"

static FleetTestKey *key;
static char *keys_dir;

typedef struct
{
  char *dir;
  char *doc_path;
  char *state_dir;
  char *trusted_dir;
  char *config;
  char *log_path;
  GSubprocess *fleetd;
} Fixture;

static int
run (const char *const *argv, char **out)
{
  g_autoptr(GSubprocessLauncher) launcher =
    fleet_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);

  return fleet_test_run (launcher, argv, NULL, out, NULL);
}

/* fleetd [EXTRA...] with the fixture's settings, --once unless @daemon. */
static GPtrArray *
fleetd_argv (Fixture *f, gboolean daemon, const char *extra)
{
  GPtrArray *argv = g_ptr_array_new ();
  const char *const common[] = {
    fleet_test_fleetd_path (), "--config", f->config, "--runtime", "fake", "--source",
    f->doc_path, "--state-dir", f->state_dir, "--device-id", "test-device",
    "--trusted-keys-dir", f->trusted_dir, "--poll-interval", "1", "--tick-interval", "1",
  };

  for (guint i = 0; i < G_N_ELEMENTS (common); i++)
    g_ptr_array_add (argv, (gpointer) common[i]);
  g_ptr_array_add (argv, daemon ? (gpointer) "--bus=session" : (gpointer) "--once");
  if (extra)
    g_ptr_array_add (argv, (gpointer) extra);
  g_ptr_array_add (argv, NULL);
  return argv;
}

static int
fleetd_once (Fixture *f, const char *extra, char **out)
{
  g_autoptr(GPtrArray) argv = fleetd_argv (f, FALSE, extra);

  return run ((const char *const *) argv->pdata, out);
}

static void
write_file (const char *path, const char *contents)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static char *
read_file (const char *path)
{
  g_autofree char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, NULL);
  return g_steal_pointer (&contents);
}

/* Version @v of the document (its generation, image tag and issue day). */
static char *
document (int v)
{
  return g_strdup_printf (DOC_TMPL, v, v, v);
}

static void
write_signed (Fixture *f, int v)
{
  g_autofree char *json = document (v);
  g_autofree char *signed_text = fleet_test_sign_text (key, json);

  write_file (f->doc_path, signed_text);
}

/* Version @v, signed, then changed: hello:v@v becomes hello:v9. */
static void
write_tampered (Fixture *f, int v)
{
  g_autofree char *json = document (v);
  g_autofree char *signed_text = fleet_test_sign_text (key, json);
  g_autofree char *tag = g_strdup_printf ("hello:v%d", v);
  char *at = strstr (signed_text, tag);

  g_assert_nonnull (at);
  at[strlen ("hello:v")] = '9';
  write_file (f->doc_path, signed_text);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Every file of the state directory, name and contents. */
static char *
snapshot_state (Fixture *f)
{
  g_autoptr(GDir) dir = g_dir_open (f->state_dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GString *out = g_string_new (NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (f->state_dir, names->pdata[i], NULL);
      g_autofree char *contents = read_file (path);

      g_string_append_printf (out, "== %s\n%s\n", (char *) names->pdata[i], contents);
    }
  return g_string_free (out, FALSE);
}

static void
assert_contains (const char *text, const char *part)
{
  if (text == NULL || strstr (text, part) == NULL)
    g_error ("expected \"%s\" in:\n%s", part, text);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = fleet_test_make_tmpdir ();
  g_chmod (f->dir, 0755);
  f->doc_path = g_build_filename (f->dir, "device.json", NULL);
  f->state_dir = g_build_filename (f->dir, "state", NULL);
  f->trusted_dir = g_build_filename (f->dir, "trusted.d", NULL);
  f->config = g_build_filename (f->dir, "fleetd.conf", NULL);
  f->log_path = g_build_filename (f->dir, "fleetd.log", NULL);
  write_file (f->config, "# everything is on the command line\n");
  if (key != NULL)
    fleet_test_key_install (key, f->trusted_dir);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->fleetd)
    {
      g_subprocess_force_exit (f->fleetd);
      g_subprocess_wait (f->fleetd, NULL, NULL);
      g_clear_object (&f->fleetd);
    }
  fleet_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->doc_path);
  g_free (f->state_dir);
  g_free (f->trusted_dir);
  g_free (f->config);
  g_free (f->log_path);
}

static gboolean
have_keys (void)
{
  return key != NULL || fleet_test_signify_check ();
}

/* --once. */

static void
test_once_signed (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_autofree char *record_path = NULL;
  g_autofree char *record = NULL;
  g_autofree char *expected = NULL;

  if (!have_keys ())
    return;
  write_signed (f, 1);
  g_assert_cmpint (fleetd_once (f, NULL, &out), ==, 0);
  assert_contains (out, "action=trust");
  assert_contains (out, "require_signature=yes (documents must be signed by a trusted key)");
  assert_contains (out, key->number);
  record_path = g_build_filename (f->state_dir, "signature.json", NULL);
  record = read_file (record_path);
  expected = g_strdup_printf ("\"signed_by\":\"%s\"", key->number);
  assert_contains (record, expected);
  assert_contains (record, "\"issued_at\":\"2030-01-01T00:00:00Z\"");
}

/* A tampered document: exit 1 with the reason; the state directory is
 * exactly as it was. */
static void
test_once_tampered (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  if (!have_keys ())
    return;
  write_signed (f, 1);
  g_assert_cmpint (fleetd_once (f, NULL, NULL), ==, 0);
  before = snapshot_state (f);
  write_tampered (f, 2);
  g_assert_cmpint (fleetd_once (f, NULL, &out), ==, 1);
  assert_contains (out, "action=fetch");
  assert_contains (out, "signature: does not match the document (signed by key");
  after = snapshot_state (f);
  g_assert_cmpstr (after, ==, before);
}

/* An older document, validly signed, is a replay. */
static void
test_once_replay (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  if (!have_keys ())
    return;
  write_signed (f, 2);
  g_assert_cmpint (fleetd_once (f, NULL, NULL), ==, 0);
  before = snapshot_state (f);
  write_signed (f, 1);
  g_assert_cmpint (fleetd_once (f, NULL, &out), ==, 1);
  assert_contains (out, "issued_at: 2030-01-01T00:00:00Z is before the last document accepted");
  after = snapshot_state (f);
  g_assert_cmpstr (after, ==, before);
}

static void
test_once_unsigned (Fixture *f, gconstpointer data)
{
  g_autofree char *json = document (1);
  g_autofree char *out = NULL;
  g_autofree char *no_keys = NULL;

  if (!have_keys ())
    return;
  write_file (f->doc_path, json);
  g_assert_cmpint (fleetd_once (f, NULL, &out), ==, 1);
  assert_contains (out, "signature: the document is not signed, and this device requires");
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(FleetState) state = fleet_state_load (f->state_dir, &error);
    g_autofree char *record = g_build_filename (f->state_dir, "signature.json", NULL);

    g_assert_no_error (error);
    g_assert_null (fleet_state_get_desired (state));
    g_assert_false (g_file_test (record, G_FILE_TEST_EXISTS));
  }
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (fleetd_once (f, "--require-signature=no", &out), ==, 0);
  assert_contains (out, "require_signature=no (require-signature=no");

  /* Without trusted keys nothing is required (a new device: the fake
   * runtime's containers do not outlive fleetd). */
  no_keys = g_build_filename (f->dir, "no-keys.d", NULL);
  g_free (f->trusted_dir);
  f->trusted_dir = g_steal_pointer (&no_keys);
  g_free (f->state_dir);
  f->state_dir = g_build_filename (f->dir, "state2", NULL);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (fleetd_once (f, NULL, &out), ==, 0);
  assert_contains (out, "require_signature=no (no trusted key");
}

/* The setting in the config file; a bad value is a usage error. */
static void
test_once_config (Fixture *f, gconstpointer data)
{
  g_autofree char *json = document (1);
  g_autofree char *out = NULL;

  if (!have_keys ())
    return;
  write_file (f->doc_path, json);
  write_file (f->config, "[fleetd]\nrequire-signature=maybe\n");
  g_assert_cmpint (fleetd_once (f, NULL, &out), ==, 2);
  assert_contains (out, "require-signature: expected auto|yes|no, got \"maybe\"");
  write_file (f->config, "[fleetd]\nrequire-signature=no\n");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (fleetd_once (f, NULL, &out), ==, 0);
  assert_contains (out, "require_signature=no (require-signature=no");
}

/* A detached PATH.sig beside the document. */
static void
test_once_detached (Fixture *f, gconstpointer data)
{
  g_autofree char *v1 = document (1);
  g_autofree char *v2 = document (2);
  g_autoptr(GBytes) sig1 = NULL;
  g_autofree char *sig_path = g_strconcat (f->doc_path, ".sig", NULL);
  g_autofree char *out = NULL;

  if (!have_keys ())
    return;
  sig1 = fleet_test_sign (key, v1, -1, FALSE);
  write_file (f->doc_path, v1);
  write_file (sig_path, g_bytes_get_data (sig1, NULL));
  g_assert_cmpint (fleetd_once (f, NULL, &out), ==, 0);
  /* The signature of v1 beside v2. */
  write_file (f->doc_path, v2);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (fleetd_once (f, NULL, &out), ==, 1);
  assert_contains (out, "signature: does not match the document");
}

/* A running fleetd. */

static void
start_fleetd (Fixture *f, const char *extra)
{
  g_autoptr(GPtrArray) argv = fleetd_argv (f, TRUE, extra);

  f->fleetd = fleet_test_fleetd_start ((const char *const *) argv->pdata, NULL, f->log_path);
}

static FleetAgent1 *
get_proxy (void)
{
  g_autoptr(GError) error = NULL;
  FleetAgent1 *proxy = fleet_agent1_proxy_new_sync (fleet_test_bus_connection (), G_DBUS_PROXY_FLAGS_NONE,
                                                    FLEET_DBUS_NAME, FLEET_DBUS_PATH, NULL,
                                                    &error);

  g_assert_no_error (error);
  return proxy;
}

static JsonObject *
get_status (JsonParser *parser)
{
  g_autoptr(FleetAgent1) proxy = get_proxy ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  fleet_agent1_call_get_status_sync (proxy, &text, NULL, &error);
  g_assert_no_error (error);
  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

static const char *
last_fetch_error (JsonObject *status)
{
  JsonObject *fetch = json_object_get_object_member (status, "last_fetch");

  return fetch ? json_object_get_string_member_with_default (fetch, "error", NULL) : NULL;
}

/* Wait until the status is Running at @generation, or (with @error_part)
 * until the last fetch failed with it. */
static void
wait_for (JsonParser *parser, gint64 generation, const char *error_part)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_SECS * G_USEC_PER_SEC;

  while (TRUE)
    {
      JsonObject *status = get_status (parser);
      const char *fetch_error = last_fetch_error (status);

      if (error_part != NULL && fetch_error != NULL && strstr (fetch_error, error_part) != NULL)
        return;
      if (error_part == NULL
          && g_strcmp0 (json_object_get_string_member (status, "phase"), "Running") == 0
          && json_object_get_int_member_with_default (status, "generation", -1) == generation)
        return;
      if (g_get_monotonic_time () > deadline)
        {
          g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), status);
          g_autofree char *text = json_to_string (node, TRUE);

          g_error ("waited %d s for %s; the status is %s", TIMEOUT_SECS,
                   error_part ? error_part : "Running", text);
        }
      fleet_test_sleep_ms (50);
    }
}

static int
fleetctl (char **out, const char *command, const char *arg)
{
  const char *const argv[] = { fleet_test_fleetctl_path (), "--bus=session", command, arg, NULL };

  return run (argv, out);
}

static void
test_running (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(FleetAgent1) proxy = NULL;
  g_autofree char *out = NULL;
  g_autofree char *plan_path = g_build_filename (f->dir, "v2.json", NULL);
  g_autofree char *expected = NULL;
  g_autofree char *v2 = document (2);
  g_autofree char *v2_signed = NULL;
  JsonObject *status;

  if (!have_keys ())
    return;
  write_signed (f, 1);
  start_fleetd (f, NULL);
  wait_for (parser, 1, NULL);
  status = get_status (parser);
  g_assert_cmpstr (json_object_get_string_member (status, "signed_by"), ==, key->number);
  proxy = get_proxy ();
  g_assert_cmpstr (fleet_agent1_get_signed_by (proxy), ==, key->number);
  g_assert_cmpint (fleetctl (&out, "status", NULL), ==, 0);
  expected = g_strdup_printf ("Signed by:   %s", key->number);
  assert_contains (out, expected);

  /* fleetctl plan verifies as the agent does, and says who signed. */
  v2_signed = fleet_test_sign_text (key, v2);
  write_file (plan_path, v2_signed);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (fleetctl (&out, "plan", plan_path), ==, 0);
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("Signed by trusted key %s.", key->number);
  assert_contains (out, expected);
  strstr (v2_signed, "hello:v2")[strlen ("hello:v")] = '9';
  write_file (plan_path, v2_signed);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (fleetctl (&out, "plan", plan_path), ==, 1);
  assert_contains (out, "signature: does not match the document");

  /* A tampered document is the fetch error; what runs stays; polling goes on. */
  write_tampered (f, 2);
  wait_for (parser, -1, "signature: does not match the document");
  status = get_status (parser);
  g_assert_cmpint (json_object_get_int_member (status, "generation"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (status, "phase"), ==, "Running");
  g_assert_cmpstr (json_object_get_string_member (status, "signed_by"), ==, key->number);
  write_signed (f, 2);
  wait_for (parser, 2, NULL);
  g_assert_cmpint (fleet_test_fleetd_stop (f->fleetd), ==, 0);
  g_clear_object (&f->fleetd);
}

/* Wait until fleetd has logged a line with both @part and @other_part. */
static void
wait_for_log_line (Fixture *f, const char *part, const char *other_part)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_SECS * G_USEC_PER_SEC;

  while (TRUE)
    {
      g_autofree char *log = read_file (f->log_path);
      g_auto(GStrv) lines = g_strsplit (log ? log : "", "\n", -1);

      for (guint i = 0; lines[i] != NULL; i++)
        if (strstr (lines[i], part) != NULL && strstr (lines[i], other_part) != NULL)
          return;
      if (g_get_monotonic_time () > deadline)
        g_error ("waited %d s for a line with \"%s\" and \"%s\" in fleetd's log:\n%s",
                 TIMEOUT_SECS, part, other_part, log);
      fleet_test_sleep_ms (50);
    }
}

/* Keys added to and removed from the trusted directory count at once, with
 * no restart: a signed document refused for want of its key is taken as
 * soon as the key is there, and one signed with a withdrawn key is
 * refused; SIGHUP reads the directory again too. */
static void
test_keys_reloaded (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *installed = NULL;
  JsonObject *status;

  if (!have_keys ())
    return;
  installed = g_build_filename (f->trusted_dir, "fleet.pub", NULL);
  g_assert_true (g_file_test (installed, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_unlink (installed), ==, 0);
  write_signed (f, 1);
  start_fleetd (f, "--require-signature=yes");
  wait_for (parser, -1, "this device trusts no key");

  fleet_test_key_install (key, f->trusted_dir);
  wait_for (parser, 1, NULL);
  status = get_status (parser);
  g_assert_cmpstr (json_object_get_string_member (status, "signed_by"), ==, key->number);

  g_assert_cmpint (g_unlink (installed), ==, 0);
  wait_for_log_line (f, "reason=directory-changed", "keys=none");
  write_signed (f, 2);
  wait_for (parser, -1, "this device trusts no key");
  status = get_status (parser);
  g_assert_cmpint (json_object_get_int_member (status, "generation"), ==, 1);

  fleet_test_key_install (key, f->trusted_dir);
  wait_for (parser, 2, NULL);

  /* SIGHUP reads the directory again (systemctl reload), and says so. */
  g_subprocess_send_signal (f->fleetd, SIGHUP);
  wait_for_log_line (f, "action=trust", "reason=SIGHUP");
  g_assert_cmpint (fleet_test_fleetd_stop (f->fleetd), ==, 0);
  g_clear_object (&f->fleetd);
}

#define ADD(name, func) g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int argc, char **argv)
{
  g_autofree char *signify = g_find_program_in_path ("signify-openbsd");
  int ret;

  fleet_test_init (&argc, &argv);
  (void) fleet_error_quark ();
  if (!fleet_test_bus_start ())
    {
      g_print ("1..0 # SKIP dbus-daemon is not installed\n");
      return 0;
    }
  if (signify != NULL)
    {
      keys_dir = fleet_test_make_tmpdir ();
      key = fleet_test_key_new (keys_dir, "fleet");
    }
  ADD ("/signature-daemon/once/signed", test_once_signed);
  ADD ("/signature-daemon/once/tampered", test_once_tampered);
  ADD ("/signature-daemon/once/replay", test_once_replay);
  ADD ("/signature-daemon/once/unsigned", test_once_unsigned);
  ADD ("/signature-daemon/once/detached", test_once_detached);
  ADD ("/signature-daemon/once/config", test_once_config);
  ADD ("/signature-daemon/running", test_running);
  ADD ("/signature-daemon/keys-reloaded", test_keys_reloaded);
  ret = g_test_run ();
  fleet_test_bus_stop ();
  if (keys_dir != NULL)
    fleet_test_rm_rf (keys_dir);
  g_free (keys_dir);
  g_clear_pointer (&key, fleet_test_key_free);
  return ret;
}
