/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-test-nats.c: a private nats-server for tests.
 *
 * Debian's nats-server runs with JetStream on 127.0.0.1, at a port found
 * free, with its store in a temporary directory that outlives a restart (so
 * that a test can stop the server and start it again with its buckets), and
 * optionally with a user and password, a token, an nkey, TLS, or in
 * operator mode (users authenticate with JWTs: fleet-test-nats-jwt.c).
 * Keys are put with nats.c, over a fresh connection each time, so that a
 * restarted server needs no care; every failure fails the test.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <nats/nats.h>
#include <unistd.h>

#include "fleet-test-nats.h"
#include "fleet-test-utils.h"

#define READY_TIMEOUT_MSECS (15 * 1000)

/* Skip the test, with the reason, when there is no nats-server. */
gboolean
fleet_test_nats_skip_unless_available (void)
{
  g_autofree char *path = g_find_program_in_path ("nats-server");

  if (path != NULL)
    return FALSE;
  g_test_skip ("nats-server is not installed (Debian: nats-server)");
  return TRUE;
}

FleetTestNats *
fleet_test_nats_new (void)
{
  FleetTestNats *nats = g_new0 (FleetTestNats, 1);

  nats->dir = fleet_test_make_tmpdir ();
  nats->port = fleet_test_free_port ();
  nats->url = g_strdup_printf ("nats://127.0.0.1:%u", nats->port);
  return nats;
}

/* The certificates of gen-test-certs.sh, in DIR/certs. */
char *
fleet_test_nats_make_certs (const char *dir)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "gen-test-certs.sh", NULL);
  g_autofree char *certs = g_build_filename (dir, "certs", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;

  g_assert_cmpint (g_mkdir_with_parents (certs, 0700), ==, 0);
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "sh", script, certs, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_check (process, NULL, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&certs);
}

static char *
write_config (FleetTestNats *nats)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *path = g_build_filename (nats->dir, "nats-server.conf", NULL);
  g_autofree char *store = g_build_filename (nats->dir, "store", NULL);
  g_autoptr(GError) error = NULL;

  g_string_append_printf (text, "listen: \"127.0.0.1:%u\"\n", nats->port);
  g_string_append_printf (text, "jetstream { store_dir: \"%s\" }\n", store);
  if (nats->user != NULL)
    g_string_append_printf (text, "authorization { user: \"%s\", password: \"%s\" }\n",
                            nats->user, nats->password);
  if (nats->token != NULL)
    g_string_append_printf (text, "authorization { token: \"%s\" }\n", nats->token);
  if (nats->nkey != NULL)
    g_string_append_printf (text, "authorization { users: [ { nkey: \"%s\" } ] }\n",
                            nats->nkey);
  if (nats->operator_mode != NULL)
    {
      g_autofree char *trust = fleet_test_nats_operator_config (nats->operator_mode, nats->dir);

      g_string_append (text, trust);
    }
  if (nats->cert_dir != NULL)
    g_string_append_printf (text,
                            "tls { cert_file: \"%s/server.pem\", key_file: \"%s/server.key\", "
                            "ca_file: \"%s/ca.pem\", verify: %s }\n",
                            nats->cert_dir, nats->cert_dir, nats->cert_dir,
                            nats->verify_clients ? "true" : "false");
  g_file_set_contents (path, text->str, -1, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

/* Connect as the tests' client: with the server's user, and its CA and a
 * client certificate under TLS. */
static natsConnection *
try_connect (FleetTestNats *nats, natsStatus *out_status)
{
  natsOptions *opts = NULL;
  natsConnection *nc = NULL;

  g_assert_cmpint (natsOptions_Create (&opts), ==, NATS_OK);
  natsOptions_SetURL (opts, nats->url);
  natsOptions_SetTimeout (opts, 2000);
  natsOptions_SetAllowReconnect (opts, false);
  if (nats->user != NULL)
    natsOptions_SetUserInfo (opts, nats->user, nats->password);
  if (nats->token != NULL)
    natsOptions_SetToken (opts, nats->token);
  if (nats->nkey != NULL)
    natsOptions_SetNKeyFromSeed (opts, nats->nkey, nats->nkey_seed_file);
  if (nats->creds_file != NULL)
    natsOptions_SetUserCredentialsFromFiles (opts, nats->creds_file, NULL);
  if (nats->cert_dir != NULL)
    {
      g_autofree char *ca = g_build_filename (nats->cert_dir, "ca.pem", NULL);
      g_autofree char *cert = g_build_filename (nats->cert_dir, "client.pem", NULL);
      g_autofree char *key = g_build_filename (nats->cert_dir, "client.key", NULL);

      natsOptions_SetSecure (opts, true);
      natsOptions_LoadCATrustedCertificates (opts, ca);
      natsOptions_LoadCertificatesChain (opts, cert, key);
    }
  *out_status = natsConnection_Connect (&nc, opts);
  natsOptions_Destroy (opts);
  return *out_status == NATS_OK ? nc : NULL;
}

static void
wait_ready (FleetTestNats *nats)
{
  gint64 deadline = g_get_monotonic_time () + READY_TIMEOUT_MSECS * G_TIME_SPAN_MILLISECOND;
  natsStatus status = NATS_OK;

  while (g_get_monotonic_time () < deadline)
    {
      natsConnection *nc = try_connect (nats, &status);

      if (nc != NULL)
        {
          natsConnection_Destroy (nc);
          return;
        }
      g_assert_nonnull (g_subprocess_get_identifier (nats->process));
      fleet_test_sleep_ms (50);
    }
  g_error ("nats-server at %s not ready: %s", nats->url, natsStatus_GetText (status));
}

/* Start (or start again, with the same store and port). */
void
fleet_test_nats_start (FleetTestNats *nats)
{
  g_autofree char *config = write_config (nats);
  g_autofree char *log = g_build_filename (nats->dir, "nats-server.log", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_null (nats->process);
  nats->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                      | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                                    &error, "nats-server", "-c", config, "-l", log, NULL);
  g_assert_no_error (error);
  wait_ready (nats);
}

void
fleet_test_nats_stop (FleetTestNats *nats)
{
  if (nats->process == NULL)
    return;
  g_subprocess_send_signal (nats->process, SIGTERM);
  g_subprocess_wait (nats->process, NULL, NULL);
  g_clear_object (&nats->process);
}

void
fleet_test_nats_free (FleetTestNats *nats)
{
  fleet_test_nats_stop (nats);
  fleet_test_rm_rf (nats->dir);
  g_free (nats->dir);
  g_free (nats->url);
  g_free (nats->user);
  g_free (nats->password);
  g_free (nats->cert_dir);
  g_free (nats->token);
  g_free (nats->nkey);
  g_free (nats->nkey_seed_file);
  g_clear_pointer (&nats->operator_mode, fleet_test_nats_operator_free);
  g_free (nats->creds_file);
  g_free (nats);
}

/* A new user nkey for the server to require: @nats's nkey (public, "U...")
 * and a file holding its seed ("SU..."), which the client uses too. */
void
fleet_test_nats_make_nkey (FleetTestNats *nats)
{
  g_autoptr(FleetTestNkey) nkey = fleet_test_nkey_new (FLEET_TEST_NKEY_USER);

  nats->nkey = g_strdup (fleet_test_nkey_get_public (nkey));
  nats->nkey_seed_file = g_build_filename (nats->dir, "user.nk", NULL);
  g_assert_true (g_file_set_contents (nats->nkey_seed_file, fleet_test_nkey_get_seed (nkey), -1,
                                      NULL));
}

/* Operator (JWT) mode: the server trusts a new operator, and the tests'
 * client is a user of its account, with @nats's creds_file. */
void
fleet_test_nats_use_operator (FleetTestNats *nats)
{
  g_assert_null (nats->operator_mode);
  nats->operator_mode = fleet_test_nats_operator_new ();
  nats->creds_file = fleet_test_nats_write_creds (nats->operator_mode->account, NULL, nats->dir,
                                                  "test-client");
}

/* The client. */

typedef struct
{
  natsConnection *nc;
  jsCtx *js;
  kvStore *kv;
} Client;

static void
client_close (Client *client)
{
  g_clear_pointer (&client->kv, kvStore_Destroy);
  g_clear_pointer (&client->js, jsCtx_Destroy);
  g_clear_pointer (&client->nc, natsConnection_Destroy);
}

static void
client_open (FleetTestNats *nats, Client *client, const char *bucket)
{
  natsStatus status = NATS_OK;

  /* nats.c 3.4.1 now and then sends a JWT's or nkey's CONNECT without the
   * nonce's signature (the server logs "Signature missing" and refuses it):
   * about one connection in a hundred here.  The tests' own client, whose
   * credentials are right, tries again; fleetd's connection retries as it
   * does after any refused connect. */
  for (guint attempt = 0; attempt < 3 && client->nc == NULL; attempt++)
    client->nc = try_connect (nats, &status);
  if (client->nc == NULL)
    {
      g_autofree char *log_path = g_build_filename (nats->dir, "nats-server.log", NULL);
      g_autofree char *log = NULL;

      /* The server's own words on why, for whoever reads the failure. */
      if (g_file_get_contents (log_path, &log, NULL, NULL))
        g_test_message ("nats-server.log:\n%s", log);
      g_error ("connecting to %s: %s (nats.c: %s)", nats->url, natsStatus_GetText (status),
               nats_GetLastError (NULL));
    }
  g_assert_cmpint (natsConnection_JetStream (&client->js, client->nc, NULL), ==, NATS_OK);
  if (bucket != NULL)
    {
      status = js_KeyValue (&client->kv, client->js, bucket);
      if (status != NATS_OK)
        g_error ("bucket %s: %s", bucket, natsStatus_GetText (status));
    }
}

void
fleet_test_nats_create_bucket (FleetTestNats *nats, const char *bucket)
{
  Client client = { 0 };
  kvConfig config;
  natsStatus status;

  client_open (nats, &client, NULL);
  kvConfig_Init (&config);
  config.Bucket = bucket;
  config.History = 5;
  status = js_CreateKeyValue (&client.kv, client.js, &config);
  if (status != NATS_OK)
    g_error ("creating bucket %s: %s", bucket, natsStatus_GetText (status));
  client_close (&client);
}

/* Returns: the new revision */
guint64
fleet_test_nats_put (FleetTestNats *nats, const char *bucket, const char *key, const char *value)
{
  Client client = { 0 };
  uint64_t revision = 0;

  client_open (nats, &client, bucket);
  g_assert_cmpint (kvStore_PutString (&revision, client.kv, key, value), ==, NATS_OK);
  client_close (&client);
  return revision;
}

void
fleet_test_nats_delete (FleetTestNats *nats, const char *bucket, const char *key)
{
  Client client = { 0 };

  client_open (nats, &client, bucket);
  g_assert_cmpint (kvStore_Delete (client.kv, key), ==, NATS_OK);
  client_close (&client);
}

/* Returns: (nullable): the key's value, %NULL when it has none */
char *
fleet_test_nats_get (FleetTestNats *nats, const char *bucket, const char *key)
{
  Client client = { 0 };
  kvEntry *entry = NULL;
  char *value = NULL;
  natsStatus status;

  client_open (nats, &client, NULL);
  if (js_KeyValue (&client.kv, client.js, bucket) == NATS_OK
      && (status = kvStore_Get (&entry, client.kv, key)) == NATS_OK)
    {
      value = g_strndup (kvEntry_Value (entry), (gsize) kvEntry_ValueLen (entry));
      kvEntry_Destroy (entry);
    }
  client_close (&client);
  return value;
}

/* nats.c's global state, at the end of a test program (for valgrind). */
void
fleet_test_nats_shutdown (void)
{
  nats_CloseAndWait (5000);
}
