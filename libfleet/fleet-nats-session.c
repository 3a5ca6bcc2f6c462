/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-nats-session.c: FleetNatsSource's connection to NATS, on threads.
 *
 * nats.c's calls block (connecting, creating a watch, waiting for the next
 * entry), so each of the two watches of a device (its whole-document key,
 * and its `<device>.<deployment>` keys) runs in a thread of its own: the
 * first thread that needs the connection makes it, and connects again after
 * a failure with capped exponential backoff with jitter.  Once connected,
 * nats.c itself reconnects for ever with the same backoff, and its ordered
 * consumer (under each watch) resumes after the last entry delivered, on a
 * new consumer if the server lost the old one: whatever changed meanwhile,
 * deletes included, arrives then.  The watches are not made again on
 * reconnection: stopping a watch while nats.c resets its consumer races in
 * nats.c 3.4 (valgrind sees it read the freed consumer name).  A watch that
 * ends with an error is made again.
 *
 * Nothing here touches a fleet object: every entry, and every failure, is
 * copied into a FleetNatsEvent and handed to the main context the session
 * was made on, where the source gets it, in order, for as long as it has
 * not stopped the session.  The session is reference-counted: each thread
 * holds a reference, so that stopping never waits for a blocked call.
 */
#include "config.h"

#include <nats/nats.h>
#include <string.h>

#include "fleet-backoff.h"
#include "fleet-nats-private.h"
#include "fleet-util-private.h"

/* How often an idle watch looks at the connection: a thousand devices on
 * one machine wake 400 times a second for it. */
#define NEXT_TIMEOUT_MSECS 5000
/* Idle waits, while connected, before a watch that has not seen the end of
 * its initial values is made again (15 s without an entry or the marker). */
#define INITIAL_STALL_WAITS 3
#define RETRY_JITTER 0.2

struct _FleetNatsSession
{
  gatomicrefcount ref;
  GMainContext *context;
  natsOptions *opts;
  char *bucket;
  char *server; /* the first one, for messages */
  char *patterns[FLEET_NATS_N_WATCHES];
  guint retry_initial_msecs;
  guint retry_max_msecs;
  GHashTable *put_stores; /* bucket → kvStore, under put_lock */

  /* Main context only. */
  FleetNatsEventFunc func;
  gpointer func_data;

  GMutex connect_lock; /* held while connecting: one connection */
  GMutex put_lock;     /* put_stores */
  GMutex lock;         /* everything below */
  GCond cond;
  gboolean stopping;
  natsConnection *nc;
  jsCtx *js;
  kvStore *kv;
  kvWatcher *watchers[FLEET_NATS_N_WATCHES];
};

typedef struct
{
  FleetNatsSession *session;
  FleetNatsEvent event;
} Posted;

/* Errors. */

static gboolean
throw_nats (GError **error, natsStatus status, const char *what)
{
  const char *text = nats_GetLastError (NULL);

  if (text == NULL || *text == '\0')
    text = natsStatus_GetText (status);
  /* nats.c says where in its sources: "(conn.c:2088): No server ...". */
  else if (*text == '(' && strstr (text, "): ") != NULL)
    text = strstr (text, "): ") + 3;
  return fleet_throw (error, FLEET_ERROR_FETCH_FAILED, "%s: %s", what, text);
}

/* Reference counting. */

FleetNatsSession *
_fleet_nats_session_ref (FleetNatsSession *session)
{
  g_atomic_ref_count_inc (&session->ref);
  return session;
}

void
_fleet_nats_session_unref (FleetNatsSession *session)
{
  if (!g_atomic_ref_count_dec (&session->ref))
    return;
  g_clear_pointer (&session->put_stores, g_hash_table_unref);
  g_clear_pointer (&session->kv, kvStore_Destroy);
  g_clear_pointer (&session->js, jsCtx_Destroy);
  /* Joins nats.c's threads: no callback comes after this. */
  g_clear_pointer (&session->nc, natsConnection_Destroy);
  natsOptions_Destroy (session->opts);
  g_main_context_unref (session->context);
  g_free (session->bucket);
  g_free (session->server);
  for (guint i = 0; i < FLEET_NATS_N_WATCHES; i++)
    g_free (session->patterns[i]);
  g_mutex_clear (&session->connect_lock);
  g_mutex_clear (&session->put_lock);
  g_mutex_clear (&session->lock);
  g_cond_clear (&session->cond);
  g_free (session);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetNatsSession, _fleet_nats_session_unref)

/* Handing events to the main context. */

static void
posted_free (gpointer data)
{
  Posted *posted = data;

  _fleet_nats_session_unref (posted->session);
  g_free (posted->event.key);
  g_clear_pointer (&posted->event.value, g_bytes_unref);
  g_free (posted->event.message);
  g_free (posted);
}

static gboolean
dispatch_posted (gpointer data)
{
  Posted *posted = data;

  if (posted->session->func != NULL)
    posted->session->func (&posted->event, posted->session->func_data);
  return G_SOURCE_REMOVE;
}

static void
post (FleetNatsSession *session, FleetNatsEventKind kind, FleetNatsWatch watch,
      const char *message)
{
  Posted *posted = g_new0 (Posted, 1);

  posted->session = _fleet_nats_session_ref (session);
  posted->event.kind = kind;
  posted->event.watch = watch;
  posted->event.message = g_strdup (message);
  g_main_context_invoke_full (session->context, G_PRIORITY_DEFAULT, dispatch_posted, posted,
                              posted_free);
}

static void
post_entry (FleetNatsSession *session, FleetNatsWatch watch, kvEntry *entry)
{
  Posted *posted = g_new0 (Posted, 1);

  posted->session = _fleet_nats_session_ref (session);
  posted->event.kind = FLEET_NATS_EVENT_ENTRY;
  posted->event.watch = watch;
  posted->event.key = g_strdup (kvEntry_Key (entry));
  posted->event.revision = kvEntry_Revision (entry);
  if (kvEntry_Operation (entry) == kvOp_Put)
    posted->event.value = g_bytes_new (kvEntry_Value (entry), (gsize) kvEntry_ValueLen (entry));
  g_main_context_invoke_full (session->context, G_PRIORITY_DEFAULT, dispatch_posted, posted,
                              posted_free);
}

/* nats.c's callbacks, on its threads. */

static int64_t
reconnect_delay (natsConnection *nc, int attempts, void *closure)
{
  FleetNatsSession *session = closure;
  FleetBackoff backoff;
  guint delay = 0;

  fleet_backoff_init (&backoff, session->retry_initial_msecs, session->retry_max_msecs,
                      RETRY_JITTER);
  for (int i = 0; i < MAX (attempts, 1) && i < 32; i++)
    delay = fleet_backoff_failed (&backoff, 0);
  return delay;
}

/* Options. */

static gboolean
read_secret (const char *path, char **out, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, &local_error))
    return fleet_throw (error, FLEET_ERROR_INVALID_ARGUMENT, "%s", local_error->message);
  /* The file wins over a password in the URL. */
  g_free (*out);
  *out = g_strdup (g_strstrip (contents));
  return TRUE;
}

static gboolean
check_status (natsStatus status, const char *what, GError **error)
{
  if (status == NATS_OK)
    return TRUE;
  throw_nats (error, status, what);
  (*error)->code = FLEET_ERROR_INVALID_ARGUMENT;
  return FALSE;
}

static gboolean
set_credentials (natsOptions *opts, const FleetNatsAddress *address,
                 const FleetNatsSourceOptions *options, GError **error)
{
  g_autofree char *password = g_strdup (address->password);
  g_autofree char *token = NULL;
  const char *user = options->user ? options->user : address->user;

  if (options->password_file && !read_secret (options->password_file, &password, error))
    return FALSE;
  if (user && !check_status (natsOptions_SetUserInfo (opts, user, password), "user", error))
    return FALSE;
  if (options->token_file
      && (!read_secret (options->token_file, &token, error)
          || !check_status (natsOptions_SetToken (opts, token), "token", error)))
    return FALSE;
  if (options->creds_file
      && !check_status (natsOptions_SetUserCredentialsFromFiles (opts, options->creds_file, NULL),
                        options->creds_file, error))
    return FALSE;
  if (options->nkey && options->nkey_seed_file
      && !check_status (natsOptions_SetNKeyFromSeed (opts, options->nkey,
                                                     options->nkey_seed_file),
                        options->nkey_seed_file, error))
    return FALSE;
  return TRUE;
}

static gboolean
set_tls (natsOptions *opts, const FleetNatsAddress *address,
         const FleetNatsSourceOptions *options, GError **error)
{
  gboolean secure = address->tls || options->ca_file || options->client_cert_file;

  if (secure && !check_status (natsOptions_SetSecure (opts, true), "TLS", error))
    return FALSE;
  if (options->ca_file
      && !check_status (natsOptions_LoadCATrustedCertificates (opts, options->ca_file),
                        options->ca_file, error))
    return FALSE;
  if (options->client_cert_file
      && !check_status (natsOptions_LoadCertificatesChain (opts, options->client_cert_file,
                                                           options->client_key_file
                                                             ? options->client_key_file
                                                             : options->client_cert_file),
                        options->client_cert_file, error))
    return FALSE;
  return TRUE;
}

static natsOptions *
make_options (FleetNatsSession *session, const FleetNatsAddress *address,
              const FleetNatsSourceOptions *options, const char *device_id, GError **error)
{
  natsOptions *opts = NULL;
  g_autofree char *name = g_strdup_printf ("fleetd %s", device_id);
  guint timeout = options->connect_timeout_secs ? options->connect_timeout_secs : 10;

  if (natsOptions_Create (&opts) != NATS_OK)
    return fleet_null_throw (error, FLEET_ERROR_FAILED, "cannot create the NATS options");
  if (!check_status (natsOptions_SetServers (opts, (const char **) address->servers,
                                             (int) g_strv_length (address->servers)),
                     "servers", error)
      || !check_status (natsOptions_SetName (opts, name), "name", error)
      || !check_status (natsOptions_SetTimeout (opts, (int64_t) timeout * 1000), "timeout", error)
      || !check_status (natsOptions_SetMaxReconnect (opts, -1), "reconnect", error)
      || !check_status (natsOptions_SetCustomReconnectDelay (opts, reconnect_delay, session),
                        "reconnect", error)
      || !set_tls (opts, address, options, error)
      || !set_credentials (opts, address, options, error))
    {
      natsOptions_Destroy (opts);
      return NULL;
    }
  return opts;
}

/**
 * _fleet_nats_session_new:
 *
 * Everything is checked now (files readable, options consistent); nothing
 * connects until _fleet_nats_session_start().
 */
FleetNatsSession *
_fleet_nats_session_new (const FleetNatsAddress *address, const FleetNatsSourceOptions *options,
                         const char *device_id, GError **error)
{
  g_autoptr(FleetNatsSession) session = g_new0 (FleetNatsSession, 1);

  g_atomic_ref_count_init (&session->ref);
  g_mutex_init (&session->connect_lock);
  g_mutex_init (&session->put_lock);
  g_mutex_init (&session->lock);
  g_cond_init (&session->cond);
  session->context = g_main_context_ref_thread_default ();
  session->bucket = g_strdup (address->bucket);
  session->server = g_strdup (address->servers[0]);
  session->patterns[FLEET_NATS_WATCH_WHOLE] = g_strdup (device_id);
  session->patterns[FLEET_NATS_WATCH_PARTS] = g_strconcat (device_id, ".*", NULL);
  session->retry_initial_msecs = options->retry_initial_msecs ? options->retry_initial_msecs
                                                              : 1000;
  session->retry_max_msecs = MAX (options->retry_max_msecs ? options->retry_max_msecs : 60000,
                                  session->retry_initial_msecs);
  session->put_stores = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify) kvStore_Destroy);
  session->opts = make_options (session, address, options, device_id, error);
  if (session->opts == NULL)
    return NULL;
  return g_steal_pointer (&session);
}

/* Connecting, in a watch thread. */

static gboolean
is_stopping (FleetNatsSession *session)
{
  gboolean stopping;

  g_mutex_lock (&session->lock);
  stopping = session->stopping;
  g_mutex_unlock (&session->lock);
  return stopping;
}

static gboolean
connect_locked (FleetNatsSession *session, GError **error)
{
  natsConnection *nc = NULL;
  natsStatus status = natsConnection_Connect (&nc, session->opts);
  g_autofree char *what = NULL;

  if (status != NATS_OK)
    {
      what = g_strdup_printf ("cannot connect to %s", session->server);
      return throw_nats (error, status, what);
    }
  g_mutex_lock (&session->lock);
  session->nc = nc;
  if (session->stopping)
    natsConnection_Close (nc);
  g_mutex_unlock (&session->lock);
  return TRUE;
}

static gboolean
open_bucket_locked (FleetNatsSession *session, GError **error)
{
  jsCtx *js = session->js;
  kvStore *kv = NULL;
  natsStatus status;
  g_autofree char *what = NULL;

  if (js == NULL && (status = natsConnection_JetStream (&js, session->nc, NULL)) != NATS_OK)
    return throw_nats (error, status, "JetStream");
  g_mutex_lock (&session->lock);
  session->js = js;
  g_mutex_unlock (&session->lock);
  status = js_KeyValue (&kv, js, session->bucket);
  if (status == NATS_NOT_FOUND)
    return fleet_throw (error, FLEET_ERROR_FETCH_FAILED, "no key-value bucket \"%s\" on %s",
                        session->bucket, session->server);
  if (status != NATS_OK)
    {
      what = g_strdup_printf ("opening the key-value bucket \"%s\"", session->bucket);
      return throw_nats (error, status, what);
    }
  g_mutex_lock (&session->lock);
  session->kv = kv;
  g_mutex_unlock (&session->lock);
  return TRUE;
}

/* The bucket, connecting first if needed. */
static kvStore *
ensure_bucket (FleetNatsSession *session, GError **error)
{
  kvStore *kv;

  g_mutex_lock (&session->connect_lock);
  if (session->kv == NULL
      && ((session->nc == NULL && !connect_locked (session, error))
          || !open_bucket_locked (session, error)))
    {
      g_mutex_unlock (&session->connect_lock);
      return NULL;
    }
  g_mutex_lock (&session->lock);
  kv = session->kv;
  g_mutex_unlock (&session->lock);
  g_mutex_unlock (&session->connect_lock);
  return kv;
}

/* Watching, in a watch thread. */

/* Keep @watcher where stopping finds it, unless the session stopped. */
static gboolean
register_watcher (FleetNatsSession *session, FleetNatsWatch watch, kvWatcher *watcher)
{
  gboolean current;

  g_mutex_lock (&session->lock);
  current = !session->stopping;
  if (current)
    session->watchers[watch] = watcher;
  g_mutex_unlock (&session->lock);
  return current;
}

static void
unregister_watcher (FleetNatsSession *session, FleetNatsWatch watch)
{
  g_mutex_lock (&session->lock);
  session->watchers[watch] = NULL;
  g_mutex_unlock (&session->lock);
}

/* While nats.c reconnects, the source says so once (and runs on); and
 * says when it is back, so that the failure does not stay on show while
 * nothing changes. */
static void
note_connection_state (FleetNatsSession *session, FleetNatsWatch watch, gboolean *reported)
{
  natsConnection *nc;
  gboolean connected;

  g_mutex_lock (&session->lock);
  nc = session->nc;
  connected = nc == NULL || natsConnection_Status (nc) == NATS_CONN_STATUS_CONNECTED;
  g_mutex_unlock (&session->lock);
  if (!connected && !*reported && watch == FLEET_NATS_WATCH_WHOLE)
    {
      g_autofree char *message = g_strdup_printf ("disconnected from %s; reconnecting",
                                                  session->server);

      post (session, FLEET_NATS_EVENT_FAILED, watch, message);
    }
  else if (connected && *reported && watch == FLEET_NATS_WATCH_WHOLE)
    post (session, FLEET_NATS_EVENT_RECONNECTED, watch, NULL);
  *reported = !connected;
}

/* Whether a watch still waiting for its initial values has waited too
 * long while connected: nats.c then and again never delivers the marker
 * that ends them (seen once in CI: no document for 180 s), and nothing
 * else would end the wait. */
static gboolean
initial_values_stalled (FleetNatsSession *session, FleetNatsWatch watch, gboolean initial_done,
                        gboolean disconnected, guint *idle_waits)
{
  g_autofree char *message = NULL;

  if (initial_done || disconnected || ++*idle_waits < INITIAL_STALL_WAITS)
    return FALSE;
  message = g_strdup_printf ("no end of the initial values of \"%s\" from %s in %u s; "
                             "watching again", session->patterns[watch], session->server,
                             INITIAL_STALL_WAITS * NEXT_TIMEOUT_MSECS / 1000);
  post (session, FLEET_NATS_EVENT_FAILED, watch, message);
  return TRUE;
}

static void
follow_watcher (FleetNatsSession *session, FleetNatsWatch watch, kvWatcher *watcher)
{
  gboolean reported = FALSE;
  gboolean initial_done = FALSE;
  guint idle_waits = 0;

  for (;;)
    {
      kvEntry *entry = NULL;
      natsStatus status = kvWatcher_Next (&entry, watcher, NEXT_TIMEOUT_MSECS);

      if (status == NATS_TIMEOUT)
        {
          note_connection_state (session, watch, &reported);
          if (initial_values_stalled (session, watch, initial_done, reported, &idle_waits))
            return; /* watched again */
          continue;
        }
      if (status != NATS_OK)
        return; /* stopped, or failed: watched again unless stopping */
      idle_waits = 0;
      if (entry == NULL)
        {
          initial_done = TRUE;
          post (session, FLEET_NATS_EVENT_INITIAL_DONE, watch, NULL);
        }
      else
        post_entry (session, watch, entry);
      g_clear_pointer (&entry, kvEntry_Destroy);
    }
}

static gboolean
watch_once (FleetNatsSession *session, FleetNatsWatch watch, FleetBackoff *backoff,
            GError **error)
{
  kvWatcher *watcher = NULL;
  kvWatchOptions options;
  natsStatus status;
  kvStore *kv = ensure_bucket (session, error);

  if (kv == NULL)
    return FALSE;
  kvWatchOptions_Init (&options);
  status = kvStore_Watch (&watcher, kv, session->patterns[watch], &options);
  if (status != NATS_OK)
    {
      g_autofree char *what = g_strdup_printf ("watching \"%s\" in the bucket \"%s\"",
                                               session->patterns[watch], session->bucket);

      return throw_nats (error, status, what);
    }
  if (register_watcher (session, watch, watcher))
    {
      fleet_backoff_reset (backoff);
      post (session, FLEET_NATS_EVENT_RESET, watch, NULL);
      follow_watcher (session, watch, watcher);
      unregister_watcher (session, watch);
    }
  kvWatcher_Destroy (watcher);
  return TRUE;
}

/* Sleep until @msecs pass or the session stops. */
static void
wait_or_stop (FleetNatsSession *session, guint msecs)
{
  gint64 end = g_get_monotonic_time () + (gint64) msecs * G_TIME_SPAN_MILLISECOND;

  g_mutex_lock (&session->lock);
  while (!session->stopping)
    if (!g_cond_wait_until (&session->cond, &session->lock, end))
      break;
  g_mutex_unlock (&session->lock);
}

typedef struct
{
  FleetNatsSession *session;
  FleetNatsWatch watch;
} WatchThread;

static gpointer
watch_thread (gpointer data)
{
  WatchThread *thread = data;
  FleetNatsSession *session = thread->session;
  FleetBackoff backoff;

  fleet_backoff_init (&backoff, session->retry_initial_msecs, session->retry_max_msecs,
                      RETRY_JITTER);
  while (!is_stopping (session))
    {
      g_autoptr(GError) error = NULL;

      if (watch_once (session, thread->watch, &backoff, &error) || is_stopping (session))
        continue;
      /* Both watches fail alike: one says so. */
      if (thread->watch == FLEET_NATS_WATCH_WHOLE)
        post (session, FLEET_NATS_EVENT_FAILED, thread->watch, error->message);
      wait_or_stop (session, fleet_backoff_failed (&backoff, g_get_monotonic_time ()));
    }
  _fleet_nats_session_unref (session);
  g_free (thread);
  return NULL;
}

/* The main context's side. */

/**
 * _fleet_nats_session_start:
 * @func: gets every event, on the main context, until the session stops
 */
void
_fleet_nats_session_start (FleetNatsSession *session, FleetNatsEventFunc func,
                           gpointer user_data)
{
  session->func = func;
  session->func_data = user_data;
  for (guint i = 0; i < FLEET_NATS_N_WATCHES; i++)
    {
      WatchThread *thread = g_new0 (WatchThread, 1);

      thread->session = _fleet_nats_session_ref (session);
      thread->watch = i;
      g_thread_unref (g_thread_new ("fleet-nats-watch", watch_thread, thread));
    }
}

/* Never waits: a thread in a blocking call ends when it returns. */
void
_fleet_nats_session_stop (FleetNatsSession *session)
{
  natsConnection *nc;

  session->func = NULL;
  session->func_data = NULL;
  g_mutex_lock (&session->lock);
  session->stopping = TRUE;
  for (guint i = 0; i < FLEET_NATS_N_WATCHES; i++)
    if (session->watchers[i] != NULL)
      kvWatcher_Stop (session->watchers[i]);
  g_cond_broadcast (&session->cond);
  nc = session->nc;
  g_mutex_unlock (&session->lock);
  if (nc != NULL)
    natsConnection_Close (nc);
}

/* Putting, in a worker thread. */

static kvStore *
open_put_bucket (FleetNatsSession *session, jsCtx *js, const char *bucket, GError **error)
{
  kvStore *kv = g_hash_table_lookup (session->put_stores, bucket);
  natsStatus status;

  if (kv != NULL)
    return kv;
  status = js_KeyValue (&kv, js, bucket);
  if (status == NATS_NOT_FOUND)
    {
      kvConfig config;

      kvConfig_Init (&config);
      config.Bucket = bucket;
      config.History = 1;
      status = js_CreateKeyValue (&kv, js, &config);
    }
  if (status != NATS_OK)
    return throw_nats (error, status, bucket), NULL;
  g_hash_table_insert (session->put_stores, g_strdup (bucket), kv);
  return kv;
}

/**
 * _fleet_nats_session_put:
 *
 * Put @value under @key in @bucket (made when missing), over the session's
 * connection.  Blocks: call it in a worker thread.
 */
gboolean
_fleet_nats_session_put (FleetNatsSession *session, const char *bucket, const char *key,
                         GBytes *value, GError **error)
{
  kvStore *kv;
  jsCtx *js;
  gsize size;
  gconstpointer data = g_bytes_get_data (value, &size);
  natsStatus status;

  g_mutex_lock (&session->lock);
  js = session->stopping ? NULL : session->js;
  g_mutex_unlock (&session->lock);
  if (js == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "not connected to %s yet",
                   session->server);
      return FALSE;
    }
  g_mutex_lock (&session->put_lock);
  kv = open_put_bucket (session, js, bucket, error);
  g_mutex_unlock (&session->put_lock);
  if (kv == NULL)
    return FALSE;
  status = kvStore_Put (NULL, kv, key, data, (int) size);
  if (status != NATS_OK)
    return throw_nats (error, status, bucket);
  return TRUE;
}
