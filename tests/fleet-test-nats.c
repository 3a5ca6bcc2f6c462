/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-test-nats.c: a private nats-server for tests.
 *
 * Debian's nats-server runs with JetStream on 127.0.0.1, at a port found
 * free, with its store in a temporary directory that outlives a restart (so
 * that a test can stop the server and start it again with its buckets), and
 * optionally with a user and password or TLS.  Keys are put with nats.c,
 * over a fresh connection each time, so that a restarted server needs no
 * care; every failure fails the test.
 */
#include "config.h"

#include <arpa/inet.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <glib/gstdio.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <sys/socket.h>
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

static guint16
find_free_port (void)
{
  struct sockaddr_in address = { 0 };
  socklen_t length = sizeof address;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &address, sizeof address), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &address, &length), ==, 0);
  close (fd);
  return ntohs (address.sin_port);
}

FleetTestNats *
fleet_test_nats_new (void)
{
  FleetTestNats *nats = g_new0 (FleetTestNats, 1);

  nats->dir = fleet_test_make_tmpdir ();
  nats->port = find_free_port ();
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
  g_free (nats);
}

/* Nkeys: base32 (RFC 4648, unpadded) of prefix, key and CRC-16/XMODEM. */

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
encode_nkey (const guint8 *prefix, gsize prefix_length, const guint8 *key)
{
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  g_autoptr(GByteArray) raw = g_byte_array_new ();
  GString *text = g_string_new (NULL);
  guint16 crc;
  guint buffer = 0, bits = 0;

  g_byte_array_append (raw, prefix, (guint) prefix_length);
  g_byte_array_append (raw, key, 32);
  crc = crc16 (raw->data, raw->len);
  g_byte_array_append (raw, (const guint8[]){ crc & 0xff, crc >> 8 }, 2);
  for (guint i = 0; i < raw->len; i++)
    {
      buffer = (buffer << 8) | raw->data[i];
      for (bits += 8; bits >= 5; bits -= 5)
        g_string_append_c (text, alphabet[(buffer >> (bits - 5)) & 31]);
    }
  if (bits > 0)
    g_string_append_c (text, alphabet[(buffer << (5 - bits)) & 31]);
  return g_string_free (text, FALSE);
}

/* A new user nkey for the server to require: @nats's nkey (public, "U...")
 * and a file holding its seed ("SU..."), which the client uses too. */
void
fleet_test_nats_make_nkey (FleetTestNats *nats)
{
  static const guint8 user_prefix[] = { 20 << 3 };
  static const guint8 seed_prefix[] = { (18 << 3) | ((20 << 3) >> 5), ((20 << 3) & 31) << 3 };
  gnutls_privkey_t key;
  gnutls_datum_t x = { 0 }, k = { 0 };
  g_autofree char *seed = NULL;

  g_assert_cmpint (gnutls_privkey_init (&key), ==, 0);
  g_assert_cmpint (gnutls_privkey_generate (key, GNUTLS_PK_EDDSA_ED25519, 0, 0), ==, 0);
  g_assert_cmpint (gnutls_privkey_export_ecc_raw (key, NULL, &x, NULL, &k), ==, 0);
  g_assert_cmpuint (x.size, ==, 32);
  g_assert_cmpuint (k.size, ==, 32);
  nats->nkey = encode_nkey (user_prefix, sizeof user_prefix, x.data);
  seed = encode_nkey (seed_prefix, sizeof seed_prefix, k.data);
  nats->nkey_seed_file = g_build_filename (nats->dir, "user.nk", NULL);
  g_assert_true (g_file_set_contents (nats->nkey_seed_file, seed, -1, NULL));
  gnutls_free (x.data);
  gnutls_free (k.data);
  gnutls_privkey_deinit (key);
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

  client->nc = try_connect (nats, &status);
  if (client->nc == NULL)
    g_error ("connecting to %s: %s", nats->url, natsStatus_GetText (status));
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
