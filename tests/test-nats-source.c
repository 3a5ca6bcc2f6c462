/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-nats-source.c: FleetNatsSource against a real nats-server with
 * JetStream (fleet-test-nats.c): both layouts, deletes, bursts, bad
 * documents, a server that is down at first or restarts, and TLS,
 * password, token, nkey and .creds (operator mode) authentication.  The
 * source is watched through its signals; the agent's handling of what it
 * announces is test-nats-daemon.c's.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "fleet.h"
#include "fleet-nats-private.h"
#include "fleet-test-nats.h"
#include "fleet-test-utils.h"

#define BUCKET "desired"
#define DEVICE "dev1"
#define WHOLE_TMPL                                                                          \
  "{\"generation\":%d,\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{"          \
  "\"services\":[{\"name\":\"web\",\"image\":\"%s\"}]}}}}"
#define ENVELOPE_TMPL                                                                       \
  "{\"type\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":\"web\",\"image\":\"%s\"}]}}"

typedef struct
{
  FleetTestNats *nats;
  FleetSource *source;
  FleetNatsSourceOptions options;
  GPtrArray *documents; /* char *: bodies announced */
  GPtrArray *failures;  /* char *: messages announced */
  char *wanted;         /* wait for a document containing this */
  char *wanted_failure; /* or for a failure containing this */
  gboolean done;
} Fixture;

static void
on_document (FleetSource *source, FleetFetchResult *result, gpointer user_data)
{
  Fixture *f = user_data;
  gsize size;
  const char *data;

  if (result->not_modified)
    return;
  data = g_bytes_get_data (result->body, &size);
  g_ptr_array_add (f->documents, g_strndup (data, size));
  g_test_message ("document: %.*s", (int) MIN (size, 120), data);
  fleet_source_commit (source, result->validator);
  if (f->wanted != NULL && strstr (f->documents->pdata[f->documents->len - 1], f->wanted))
    f->done = TRUE;
}

static void
on_failed (FleetSource *source, const GError *error, gpointer user_data)
{
  Fixture *f = user_data;

  /* in the log, for a wait that runs out */
  g_test_message ("source failed: %s", error->message);
  g_ptr_array_add (f->failures, g_strdup (error->message));
  if (f->wanted_failure != NULL && strstr (error->message, f->wanted_failure))
    f->done = TRUE;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->nats = fleet_test_nats_new ();
  f->documents = g_ptr_array_new_with_free_func (g_free);
  f->failures = g_ptr_array_new_with_free_func (g_free);
  fleet_nats_source_options_init (&f->options);
  f->options.device_id = DEVICE;
  f->options.retry_initial_msecs = 100;
  f->options.retry_max_msecs = 500;
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->source != NULL)
    {
      fleet_source_stop (f->source);
      g_signal_handlers_disconnect_by_data (f->source, f);
      g_clear_object (&f->source);
    }
  g_clear_pointer (&f->nats, fleet_test_nats_free);
  g_ptr_array_unref (f->documents);
  g_ptr_array_unref (f->failures);
  g_free (f->wanted);
  g_free (f->wanted_failure);
}

static void
start_source (Fixture *f, const char *url)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = g_strdup_printf ("%s/%s", url ? url : f->nats->url, BUCKET);

  f->source = fleet_nats_source_new (uri, &f->options, &error);
  g_assert_no_error (error);
  g_signal_connect (f->source, "document", G_CALLBACK (on_document), f);
  g_signal_connect (f->source, "failed", G_CALLBACK (on_failed), f);
  fleet_source_start (f->source);
}

static const char *
wait_document (Fixture *f, const char *containing)
{
  g_free (f->wanted);
  f->wanted = g_strdup (containing);
  f->done = FALSE;
  fleet_test_wait (&f->done);
  g_clear_pointer (&f->wanted, g_free);
  return f->documents->pdata[f->documents->len - 1];
}

static const char *
wait_failure (Fixture *f, const char *containing)
{
  g_free (f->wanted_failure);
  f->wanted_failure = g_strdup (containing);
  f->done = FALSE;
  fleet_test_wait (&f->done);
  g_clear_pointer (&f->wanted_failure, g_free);
  return f->failures->pdata[f->failures->len - 1];
}

static void
put_whole (Fixture *f, int generation, const char *image)
{
  g_autofree char *doc = g_strdup_printf (WHOLE_TMPL, generation, image);

  fleet_test_nats_put (f->nats, BUCKET, DEVICE, doc);
}

static guint64
put_part (Fixture *f, const char *deployment, const char *image)
{
  g_autofree char *key = g_strdup_printf ("%s.%s", DEVICE, deployment);
  g_autofree char *envelope = g_strdup_printf (ENVELOPE_TMPL, image);

  return fleet_test_nats_put (f->nats, BUCKET, key, envelope);
}

static gint64
generation_of (const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (json, &error);

  g_assert_no_error (error);
  return json_object_get_int_member (json_node_get_object (node), "generation");
}

static gboolean
skip_or_start_server (Fixture *f)
{
  if (fleet_test_nats_skip_unless_available ())
    return TRUE;
  fleet_test_nats_start (f->nats);
  fleet_test_nats_create_bucket (f->nats, BUCKET);
  return FALSE;
}

/* The whole document under the device id: applied, then updated; and how
 * long a put takes to arrive (a figure, not an assertion). */
static void
test_whole_document (Fixture *f, gconstpointer data)
{
  gint64 put_at;

  if (skip_or_start_server (f))
    return;
  put_whole (f, 1, "img:v1");
  start_source (f, NULL);
  g_assert_cmpint (generation_of (wait_document (f, "img:v1")), ==, 1);
  put_at = g_get_monotonic_time ();
  put_whole (f, 2, "img:v2");
  g_assert_cmpint (generation_of (wait_document (f, "img:v2")), ==, 2);
  g_test_message ("a put arrived %.1f ms after it was made (settle %u ms)",
                  (g_get_monotonic_time () - put_at) / 1000.0, f->options.settle_msecs);
  g_assert_cmpuint (f->failures->len, ==, 0);
}

/* Harmony's layout: two deployments make one document whose generation is
 * the highest revision; a deleted key drops its deployment. */
static void
test_harmony_layout (Fixture *f, gconstpointer data)
{
  const char *doc;
  guint64 revision;
  gint64 generation;

  if (skip_or_start_server (f))
    return;
  put_part (f, "alpha", "img:a1");
  revision = put_part (f, "beta", "img:b1");
  fleet_test_nats_put (f->nats, BUCKET, "other.alpha", "{\"not\":\"mine\"}");
  start_source (f, NULL);
  doc = wait_document (f, "img:b1");
  /* Only once the initial values are complete: no half document before. */
  g_assert_cmpuint (f->documents->len, ==, 1);
  g_assert_nonnull (strstr (doc, "\"alpha\""));
  g_assert_nonnull (strstr (doc, "img:a1"));
  g_assert_null (strstr (doc, "mine"));
  g_assert_cmpint (generation_of (doc), ==, (gint64) revision);
  generation = generation_of (doc);

  fleet_test_nats_delete (f->nats, BUCKET, DEVICE ".alpha");
  doc = wait_document (f, "img:b1");
  g_assert_null (strstr (doc, "\"alpha\""));
  g_assert_cmpint (generation_of (doc), >, generation);
}

/* Puts in quick succession are announced as one document, the last. */
static void
test_rapid_puts (Fixture *f, gconstpointer data)
{
  const guint n_puts = 8;
  guint before;

  if (skip_or_start_server (f))
    return;
  f->options.settle_msecs = 400;
  put_part (f, "alpha", "img:0");
  start_source (f, NULL);
  wait_document (f, "img:0");
  before = f->documents->len;
  for (guint i = 1; i <= n_puts; i++)
    {
      g_autofree char *image = g_strdup_printf ("img:%u", i);

      put_part (f, "alpha", image);
    }
  wait_document (f, "img:8");
  g_test_message ("%u puts were announced as %u document(s)", n_puts,
                  f->documents->len - before);
  g_assert_cmpuint (f->documents->len - before, <, n_puts);
}

/* A deployment key that is not JSON: a failure naming the key. */
static void
test_invalid_envelope (Fixture *f, gconstpointer data)
{
  const char *message;

  if (skip_or_start_server (f))
    return;
  fleet_test_nats_put (f->nats, BUCKET, DEVICE ".alpha", "{not json");
  start_source (f, NULL);
  message = wait_failure (f, "key " DEVICE ".alpha");
  g_test_message ("%s", message);
  g_assert_null (strchr (message, '\n'));
  g_assert_cmpuint (f->documents->len, ==, 0);
  /* Fixed: announced. */
  put_part (f, "alpha", "img:fixed");
  wait_document (f, "img:fixed");
}

/* Down when the source starts: the failure is announced, and the source
 * connects once the server is there. */
static void
test_server_down_at_start (Fixture *f, gconstpointer data)
{
  const char *message;

  if (fleet_test_nats_skip_unless_available ())
    return;
  start_source (f, NULL);
  message = wait_failure (f, "cannot connect");
  g_test_message ("%s", message);
  g_assert_null (strchr (message, '\n'));
  fleet_test_nats_start (f->nats);
  fleet_test_nats_create_bucket (f->nats, BUCKET);
  put_whole (f, 1, "img:late");
  wait_document (f, "img:late");
}

/* Restarted mid-run: the source reconnects and catches up. */
static void
test_server_restart (Fixture *f, gconstpointer data)
{
  if (skip_or_start_server (f))
    return;
  put_part (f, "alpha", "img:a1");
  put_part (f, "beta", "img:b1");
  start_source (f, NULL);
  wait_document (f, "img:b1");
  fleet_test_nats_stop (f->nats);
  wait_failure (f, "disconnected");
  fleet_test_nats_start (f->nats);
  put_part (f, "alpha", "img:a2");
  fleet_test_nats_delete (f->nats, BUCKET, DEVICE ".beta");
  while (strstr (wait_document (f, "img:a2"), "img:b1") != NULL)
    ;
}

static void
test_wrong_password (Fixture *f, gconstpointer data)
{
  g_autofree char *password_file = NULL;
  const char *message;

  f->nats->user = g_strdup ("device");
  f->nats->password = g_strdup ("right");
  if (skip_or_start_server (f))
    return;
  password_file = g_build_filename (f->nats->dir, "password", NULL);
  g_assert_true (g_file_set_contents (password_file, "wrong\n", -1, NULL));
  f->options.user = "device";
  f->options.password_file = password_file;
  start_source (f, NULL);
  message = wait_failure (f, "cannot connect");
  g_test_message ("%s", message);
  {
    g_autofree char *lower = g_ascii_strdown (message, -1);

    g_assert_nonnull (strstr (lower, "authorization"));
  }
  g_assert_null (strchr (message, '\n'));
  g_assert_cmpuint (f->documents->len, ==, 0);
}

static void
test_user_password (Fixture *f, gconstpointer data)
{
  g_autofree char *password_file = NULL;

  f->nats->user = g_strdup ("device");
  f->nats->password = g_strdup ("s3cret");
  if (skip_or_start_server (f))
    return;
  password_file = g_build_filename (f->nats->dir, "password", NULL);
  g_assert_true (g_file_set_contents (password_file, "s3cret\n", -1, NULL));
  f->options.user = "device";
  f->options.password_file = password_file;
  put_whole (f, 3, "img:auth");
  start_source (f, NULL);
  wait_document (f, "img:auth");
  g_assert_null (strstr (fleet_source_get_uri (f->source), "s3cret"));
}

/* A token, read from a file (fleetd's bearer-token-file). */
static void
test_token (Fixture *f, gconstpointer data)
{
  g_autofree char *token_file = NULL;

  f->nats->token = g_strdup ("t0ken");
  if (skip_or_start_server (f))
    return;
  token_file = g_build_filename (f->nats->dir, "token", NULL);
  g_assert_true (g_file_set_contents (token_file, "t0ken\n", -1, NULL));
  f->options.token_file = token_file;
  put_whole (f, 1, "img:token");
  start_source (f, NULL);
  wait_document (f, "img:token");
}

/* Several servers: one that is down is skipped. */
static void
test_several_servers (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetTestNats) down = fleet_test_nats_new ();
  g_autofree char *url = NULL;

  if (skip_or_start_server (f))
    return;
  url = g_strdup_printf ("%s,127.0.0.1:%u", down->url, f->nats->port);
  f->options.retry_initial_msecs = 50;
  put_whole (f, 1, "img:second");
  start_source (f, url);
  wait_document (f, "img:second");
}

/* A user nkey, signing the server's nonce with the seed in a file. */
static void
test_nkey (Fixture *f, gconstpointer data)
{
  if (fleet_test_nats_skip_unless_available ())
    return;
  fleet_test_nats_make_nkey (f->nats);
  fleet_test_nats_start (f->nats);
  fleet_test_nats_create_bucket (f->nats, BUCKET);
  f->options.nkey = f->nats->nkey;
  f->options.nkey_seed_file = f->nats->nkey_seed_file;
  put_whole (f, 1, "img:nkey");
  start_source (f, NULL);
  wait_document (f, "img:nkey");
}

/* Operator (JWT) mode: a user of the operator's account, with a .creds
 * file made as nsc makes them. */
static void
test_creds (Fixture *f, gconstpointer data)
{
  g_autofree char *creds = NULL;

  fleet_test_nats_use_operator (f->nats);
  if (skip_or_start_server (f))
    return;
  creds = fleet_test_nats_write_creds (f->nats->operator_mode->account, NULL, f->nats->dir,
                                       DEVICE);
  f->options.creds_file = creds;
  put_whole (f, 1, "img:creds");
  start_source (f, NULL);
  wait_document (f, "img:creds");
  g_assert_cmpuint (f->failures->len, ==, 0);
}

/* The .creds file is read at every connection: missing at first, the
 * failure names it; once it is there (provisioned late, or rotated), the
 * source connects. */
static void
test_creds_late (Fixture *f, gconstpointer data)
{
  g_autofree char *creds = NULL;
  g_autofree char *later = NULL;
  const char *message;

  fleet_test_nats_use_operator (f->nats);
  if (skip_or_start_server (f))
    return;
  later = fleet_test_nats_write_creds (f->nats->operator_mode->account, NULL, f->nats->dir,
                                       "later");
  creds = g_build_filename (f->nats->dir, DEVICE ".creds", NULL);
  f->options.creds_file = creds;
  put_whole (f, 1, "img:late-creds");
  start_source (f, NULL);
  message = wait_failure (f, "cannot connect");
  g_test_message ("%s", message);
  g_assert_nonnull (strstr (message, creds));
  g_assert_null (strchr (message, '\n'));
  g_assert_cmpint (g_rename (later, creds), ==, 0);
  wait_document (f, "img:late-creds");
}

/* A user the server cannot trust is refused, in one line. */
static void
check_creds_refused (Fixture *f, const char *creds)
{
  g_autofree char *lower = NULL;
  const char *message;

  f->options.creds_file = creds;
  put_whole (f, 1, "img:refused");
  start_source (f, NULL);
  message = wait_failure (f, "cannot connect");
  g_test_message ("%s", message);
  lower = g_ascii_strdown (message, -1);
  g_assert_nonnull (strstr (lower, "authorization"));
  g_assert_null (strchr (message, '\n'));
  g_assert_cmpuint (f->documents->len, ==, 0);
}

/* A user of an account the operator never signed. */
static void
test_creds_foreign_account (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetTestNkey) foreign = fleet_test_nkey_new (FLEET_TEST_NKEY_ACCOUNT);
  g_autofree char *creds = NULL;

  fleet_test_nats_use_operator (f->nats);
  if (skip_or_start_server (f))
    return;
  creds = fleet_test_nats_write_creds (foreign, NULL, f->nats->dir, DEVICE);
  check_creds_refused (f, creds);
}

/* A user JWT that names the operator's account as its issuer but is signed
 * by another key. */
static void
test_creds_forged (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetTestNkey) forger = fleet_test_nkey_new (FLEET_TEST_NKEY_ACCOUNT);
  g_autofree char *creds = NULL;

  fleet_test_nats_use_operator (f->nats);
  if (skip_or_start_server (f))
    return;
  creds = fleet_test_nats_write_creds (forger,
                                       fleet_test_nkey_get_public (f->nats->operator_mode->account),
                                       f->nats->dir, DEVICE);
  check_creds_refused (f, creds);
}

/* TLS with a test CA and a client certificate (mutual TLS). */
static void
test_tls (Fixture *f, gconstpointer data)
{
  g_autofree char *ca = NULL, *cert = NULL, *key = NULL;

  if (fleet_test_nats_skip_unless_available ())
    return;
  f->nats->cert_dir = fleet_test_nats_make_certs (f->nats->dir);
  f->nats->verify_clients = TRUE;
  fleet_test_nats_start (f->nats);
  fleet_test_nats_create_bucket (f->nats, BUCKET);
  ca = g_build_filename (f->nats->cert_dir, "ca.pem", NULL);
  cert = g_build_filename (f->nats->cert_dir, "client.pem", NULL);
  key = g_build_filename (f->nats->cert_dir, "client.key", NULL);
  f->options.ca_file = ca;
  f->options.client_cert_file = cert;
  f->options.client_key_file = key;
  put_whole (f, 1, "img:tls");
  start_source (f, NULL);
  wait_document (f, "img:tls");
}

static void
test_bad_urls (void)
{
  static const char *const bad[] = {
    "nats://127.0.0.1:4222",     "nats://127.0.0.1:4222/",       "nats://h/a.b",
    "nats://,h/bucket",          "http://h/bucket",              "nats://h/bucket/x",
  };
  FleetNatsSourceOptions options;

  fleet_nats_source_options_init (&options);
  options.device_id = DEVICE;
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(FleetSource) source = fleet_nats_source_new (bad[i], &options, &error);

      g_assert_error (error, FLEET_ERROR, FLEET_ERROR_INVALID_ARGUMENT);
      g_assert_null (source);
      g_assert_nonnull (strstr (error->message, "source"));
    }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(FleetSource) source = NULL;

    options.device_id = "dev.1";
    source = fleet_nats_source_new ("nats://h/b", &options, &error);
    g_assert_error (error, FLEET_ERROR, FLEET_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "dev.1"));
  }
}

static void
test_address (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetNatsAddress) address
    = _fleet_nats_address_parse ("nats://u:p%40ss@a:1,b/bkt", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (address->servers[0], ==, "nats://a:1");
  g_assert_cmpstr (address->servers[1], ==, "nats://b:4222");
  g_assert_null (address->servers[2]);
  g_assert_cmpstr (address->user, ==, "u");
  g_assert_cmpstr (address->password, ==, "p@ss");
  g_assert_cmpstr (address->bucket, ==, "bkt");
}

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int argc, char **argv)
{
  int status;

  fleet_test_init (&argc, &argv);
  g_test_add_func ("/nats-source/bad-urls", test_bad_urls);
  g_test_add_func ("/nats-source/address", test_address);
  ADD ("/nats-source/whole-document", test_whole_document);
  ADD ("/nats-source/harmony-layout", test_harmony_layout);
  ADD ("/nats-source/rapid-puts", test_rapid_puts);
  ADD ("/nats-source/invalid-envelope", test_invalid_envelope);
  ADD ("/nats-source/server-down-at-start", test_server_down_at_start);
  ADD ("/nats-source/server-restart", test_server_restart);
  ADD ("/nats-source/wrong-password", test_wrong_password);
  ADD ("/nats-source/user-password", test_user_password);
  ADD ("/nats-source/tls", test_tls);
  ADD ("/nats-source/nkey", test_nkey);
  ADD ("/nats-source/creds", test_creds);
  ADD ("/nats-source/creds-late", test_creds_late);
  ADD ("/nats-source/creds-foreign-account", test_creds_foreign_account);
  ADD ("/nats-source/creds-forged", test_creds_forged);
  ADD ("/nats-source/token", test_token);
  ADD ("/nats-source/several-servers", test_several_servers);
  status = g_test_run ();
  fleet_test_nats_shutdown ();
  return status;
}
