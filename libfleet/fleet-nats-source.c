/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-nats-source.c: the desired-state document pushed from a NATS
 * JetStream key-value bucket (`nats://HOST:PORT[,HOST:PORT]/BUCKET`).
 *
 * The device's keys are watched, not polled (fleet-nats-session.c): every
 * put or delete arrives on the main context as an event, into a copy of the
 * device's keys kept here.  A document is announced only once the initial
 * values of both watches are complete, so that a device in harmony's
 * layout never sees half its deployments; and a burst of puts (a control
 * plane writing several deployments) settles for a moment
 * (FleetNatsSourceOptions.settle_msecs) and is announced as one document.
 * When the session watches again (after a watch failed), the new initial
 * values replace the copy as a whole: keys purged meanwhile go with it.
 *
 * The document is assembled in fleet-nats-document.c; a fetch (`fleetctl
 * reconcile`, --once) answers with the copy, or with why there is none yet.
 * While the server cannot be reached the source announces the failure,
 * and the agent runs on from its persisted state.
 */
#include "config.h"

#include "fleet-document.h"
#include "fleet-nats-private.h"
#include "fleet-util-private.h"

/* A steady stream of puts is still applied at least this often (in settle
 * periods). */
#define MAX_SETTLE_PERIODS 5

struct _FleetNatsSource
{
  FleetSource parent_instance;

  char *device_id;
  char *bucket;
  gsize max_bytes;
  guint settle_msecs;
  FleetNatsSession *session;
  gboolean started;
  char *last_failure;

  GHashTable *keys[FLEET_NATS_N_WATCHES];    /* key → FleetNatsKey */
  GHashTable *pending[FLEET_NATS_N_WATCHES]; /* initial values coming in, or NULL */
  gboolean ready[FLEET_NATS_N_WATCHES];      /* initial values complete once */
  guint settle_id;
  gint64 settle_since;
  GPtrArray *waiting; /* GTask: fetches waiting for the initial values */
  guint waiting_id;   /* looks for cancelled ones */
};

G_DEFINE_FINAL_TYPE (FleetNatsSource, fleet_nats_source, FLEET_TYPE_SOURCE)

static GHashTable *
new_key_table (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                (GDestroyNotify) _fleet_nats_key_free);
}

/* The device's document. */

static gboolean
is_ready (FleetNatsSource *self)
{
  for (guint i = 0; i < FLEET_NATS_N_WATCHES; i++)
    if (!self->ready[i] || self->pending[i] != NULL)
      return FALSE;
  return TRUE;
}

static FleetFetchResult *
assemble (FleetNatsSource *self, GError **error)
{
  return _fleet_nats_assemble (self->device_id, self->bucket, self->keys[FLEET_NATS_WATCH_WHOLE],
                               self->keys[FLEET_NATS_WATCH_PARTS], self->max_bytes, error);
}

static gboolean
on_settled (gpointer user_data)
{
  FleetNatsSource *self = user_data;
  g_autoptr(FleetFetchResult) result = NULL;
  g_autoptr(GError) error = NULL;

  self->settle_id = 0;
  result = assemble (self, &error);
  if (result == NULL)
    fleet_source_announce_failure (FLEET_SOURCE (self), error);
  else
    fleet_source_announce (FLEET_SOURCE (self), result);
  return G_SOURCE_REMOVE;
}

/* Announce after the burst settles, but not later than a few settle
 * periods after its first put. */
static void
schedule_announce (FleetNatsSource *self)
{
  gint64 now = g_get_monotonic_time ();

  if (!is_ready (self))
    return;
  if (self->settle_id != 0)
    {
      if (now - self->settle_since
          >= (gint64) self->settle_msecs * MAX_SETTLE_PERIODS * G_TIME_SPAN_MILLISECOND)
        return;
      g_source_remove (self->settle_id);
    }
  else
    self->settle_since = now;
  self->settle_id = g_timeout_add (self->settle_msecs, on_settled, self);
}

/* Fetches. */

/* The document; or, while the server cannot be reached, why (the last
 * document is not news). */
static void
answer_fetch (FleetNatsSource *self, GTask *task)
{
  GError *error = NULL;
  FleetFetchResult *result = NULL;

  if (self->last_failure != NULL)
    error = g_error_new_literal (FLEET_ERROR, FLEET_ERROR_FETCH_FAILED, self->last_failure);
  else
    result = assemble (self, &error);
  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) fleet_fetch_result_unref);
}

static void
answer_waiting (FleetNatsSource *self)
{
  g_autoptr(GPtrArray) waiting = g_steal_pointer (&self->waiting);

  self->waiting = g_ptr_array_new_with_free_func (g_object_unref);
  g_clear_handle_id (&self->waiting_id, g_source_remove);
  for (guint i = 0; i < waiting->len; i++)
    answer_fetch (self, waiting->pdata[i]);
}

/* A fetch waits for the initial values until its deadline cancels it. */
static gboolean
on_check_waiting (gpointer user_data)
{
  FleetNatsSource *self = user_data;

  for (guint i = self->waiting->len; i > 0; i--)
    {
      GTask *task = self->waiting->pdata[i - 1];

      if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
        {
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
          g_ptr_array_remove_index (self->waiting, i - 1);
        }
    }
  if (self->waiting->len > 0)
    return G_SOURCE_CONTINUE;
  self->waiting_id = 0;
  return G_SOURCE_REMOVE;
}

/* Events from the session, on the main context. */

static void
store_entry (FleetNatsSource *self, const FleetNatsEvent *event)
{
  GHashTable *table = self->pending[event->watch] ? self->pending[event->watch]
                                                  : self->keys[event->watch];
  FleetNatsKey *key = g_new0 (FleetNatsKey, 1);

  key->value = event->value ? g_bytes_ref (event->value) : NULL;
  key->revision = event->revision;
  g_hash_table_replace (table, g_strdup (event->key), key);
  if (self->pending[event->watch] == NULL)
    schedule_announce (self);
}

static void
on_event (const FleetNatsEvent *event, gpointer user_data)
{
  FleetNatsSource *self = user_data;
  guint watch = event->watch;

  switch (event->kind)
    {
    case FLEET_NATS_EVENT_RESET:
      g_clear_pointer (&self->pending[watch], g_hash_table_unref);
      self->pending[watch] = new_key_table ();
      break;
    case FLEET_NATS_EVENT_ENTRY:
      store_entry (self, event);
      break;
    case FLEET_NATS_EVENT_INITIAL_DONE:
      if (self->pending[watch] == NULL)
        break;
      g_hash_table_unref (self->keys[watch]);
      self->keys[watch] = g_steal_pointer (&self->pending[watch]);
      self->ready[watch] = TRUE;
      g_clear_pointer (&self->last_failure, g_free);
      if (is_ready (self))
        answer_waiting (self);
      schedule_announce (self);
      break;
    case FLEET_NATS_EVENT_RECONNECTED:
      /* The same document again: the agent sees the source is back. */
      g_clear_pointer (&self->last_failure, g_free);
      schedule_announce (self);
      break;
    case FLEET_NATS_EVENT_FAILED:
    default:
      {
        g_autoptr(GError) error = g_error_new_literal (FLEET_ERROR, FLEET_ERROR_FETCH_FAILED,
                                                       event->message);

        g_free (self->last_failure);
        self->last_failure = g_strdup (event->message);
        /* A fetch waiting for the first values learns why they do not come. */
        answer_waiting (self);
        fleet_source_announce_failure (FLEET_SOURCE (self), error);
      }
      break;
    }
}

/* FleetSource. */

static void
fleet_nats_source_fetch (FleetSource *source, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
  FleetNatsSource *self = FLEET_NATS_SOURCE (source);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, fleet_nats_source_fetch);
  if (is_ready (self))
    {
      answer_fetch (self, task);
      return;
    }
  /* `fleetd --once` fetches without starting the source. */
  fleet_source_start (source);
  g_ptr_array_add (self->waiting, g_steal_pointer (&task));
  if (self->waiting_id == 0)
    self->waiting_id = g_timeout_add (100, on_check_waiting, self);
}

static FleetFetchResult *
fleet_nats_source_fetch_finish (FleetSource *source, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
fleet_nats_source_start (FleetSource *source)
{
  FleetNatsSource *self = FLEET_NATS_SOURCE (source);

  if (self->started || self->session == NULL)
    return;
  self->started = TRUE;
  _fleet_nats_session_start (self->session, on_event, self);
}

static void
fleet_nats_source_stop (FleetSource *source)
{
  FleetNatsSource *self = FLEET_NATS_SOURCE (source);

  g_clear_handle_id (&self->settle_id, g_source_remove);
  if (self->session != NULL)
    _fleet_nats_session_stop (self->session);
}

static void
fleet_nats_source_dispose (GObject *object)
{
  FleetNatsSource *self = FLEET_NATS_SOURCE (object);

  g_clear_handle_id (&self->settle_id, g_source_remove);
  g_clear_handle_id (&self->waiting_id, g_source_remove);
  if (self->session != NULL)
    {
      _fleet_nats_session_stop (self->session);
      g_clear_pointer (&self->session, _fleet_nats_session_unref);
    }
  G_OBJECT_CLASS (fleet_nats_source_parent_class)->dispose (object);
}

static void
fleet_nats_source_finalize (GObject *object)
{
  FleetNatsSource *self = FLEET_NATS_SOURCE (object);

  for (guint i = 0; i < FLEET_NATS_N_WATCHES; i++)
    {
      g_hash_table_unref (self->keys[i]);
      g_clear_pointer (&self->pending[i], g_hash_table_unref);
    }
  g_free (self->device_id);
  g_free (self->bucket);
  g_free (self->last_failure);
  g_ptr_array_unref (self->waiting);
  G_OBJECT_CLASS (fleet_nats_source_parent_class)->finalize (object);
}

static void
fleet_nats_source_class_init (FleetNatsSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  FleetSourceClass *source_class = FLEET_SOURCE_CLASS (klass);

  object_class->dispose = fleet_nats_source_dispose;
  object_class->finalize = fleet_nats_source_finalize;
  source_class->fetch = fleet_nats_source_fetch;
  source_class->fetch_finish = fleet_nats_source_fetch_finish;
  source_class->start = fleet_nats_source_start;
  source_class->stop = fleet_nats_source_stop;
}

static void
fleet_nats_source_init (FleetNatsSource *self)
{
  for (guint i = 0; i < FLEET_NATS_N_WATCHES; i++)
    self->keys[i] = new_key_table ();
  self->waiting = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * fleet_nats_source_options_init:
 * @options: the options to set to their defaults
 *
 * Set @options to the defaults: no device id, the default document size
 * limit and settle time.
 *
 * Since: 0.2
 */
void
fleet_nats_source_options_init (FleetNatsSourceOptions *options)
{
  g_return_if_fail (options != NULL);

  memset (options, 0, sizeof *options);
  options->max_bytes = FLEET_DEFAULT_MAX_DOCUMENT_BYTES;
  options->settle_msecs = FLEET_DEFAULT_NATS_SETTLE_MSECS;
}

/* The URL as shown in messages: without a password. */
static char *
describe (const FleetNatsAddress *address)
{
  g_autoptr(GString) text = g_string_new (address->tls ? "tls://" : "nats://");

  if (address->user != NULL)
    g_string_append_printf (text, "%s@", address->user);
  for (guint i = 0; address->servers[i] != NULL; i++)
    g_string_append_printf (text, "%s%s", i > 0 ? "," : "",
                            strstr (address->servers[i], "://") + 3);
  g_string_append_printf (text, "/%s", address->bucket);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/**
 * fleet_nats_source_new:
 * @uri: `nats://[USER[:PASSWORD]@]HOST[:PORT][,HOST[:PORT]...]/BUCKET`, or
 *   `tls://...` for TLS with the system's CAs
 * @options: the options; device_id is required
 * @error: return location for a #GError, or %NULL
 *
 * Nothing connects until fleet_source_start().
 *
 * Returns: (transfer full): the source, or %NULL with
 *   FLEET_ERROR_INVALID_ARGUMENT when the URL, the device id or a
 *   credentials file cannot be used
 *
 * Since: 0.2
 */
FleetSource *
fleet_nats_source_new (const char *uri, const FleetNatsSourceOptions *options, GError **error)
{
  g_autoptr(FleetNatsAddress) address = NULL;
  g_autoptr(FleetNatsSource) self = NULL;
  g_autofree char *described = NULL;

  g_return_val_if_fail (uri != NULL, NULL);
  g_return_val_if_fail (options != NULL && options->device_id != NULL, NULL);

  address = _fleet_nats_address_parse (uri, error);
  if (address == NULL
      || !_fleet_nats_check_key_token ("the device id", options->device_id, error))
    return fleet_prefix_error (error, "source"), NULL;
  described = describe (address);
  self = g_object_new (FLEET_TYPE_NATS_SOURCE, "uri", described, NULL);
  self->device_id = g_strdup (options->device_id);
  self->bucket = g_strdup (address->bucket);
  self->max_bytes = options->max_bytes ? options->max_bytes : FLEET_DEFAULT_MAX_DOCUMENT_BYTES;
  self->settle_msecs = options->settle_msecs ? options->settle_msecs
                                             : FLEET_DEFAULT_NATS_SETTLE_MSECS;
  self->session = _fleet_nats_session_new (address, options, options->device_id, error);
  if (self->session == NULL)
    return fleet_prefix_error (error, "source"), NULL;
  return FLEET_SOURCE (g_steal_pointer (&self));
}

/**
 * fleet_nats_source_get_bucket:
 * @self: a #FleetNatsSource
 *
 * The key-value bucket the source watches.
 *
 * Returns: the bucket's name
 *
 * Since: 0.2
 */
const char *
fleet_nats_source_get_bucket (FleetNatsSource *self)
{
  g_return_val_if_fail (FLEET_IS_NATS_SOURCE (self), NULL);

  return self->bucket;
}

/* Putting. */

typedef struct
{
  FleetNatsSession *session;
  char *bucket;
  char *key;
  GBytes *value;
} Put;

static void
put_free (Put *put)
{
  _fleet_nats_session_unref (put->session);
  g_free (put->bucket);
  g_free (put->key);
  g_bytes_unref (put->value);
  g_free (put);
}

static void
put_in_thread (GTask *task, gpointer source_object, gpointer task_data,
               GCancellable *cancellable)
{
  Put *put = task_data;
  GError *error = NULL;

  if (_fleet_nats_session_put (put->session, put->bucket, put->key, put->value, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * fleet_nats_source_put_async:
 * @self: a #FleetNatsSource
 * @bucket: a key-value bucket, created (history 1) when missing
 * @key: the key
 * @value: the value to store under @key
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Put @value under @key over the source's connection: what the device
 * tells its control plane (its status).  Fails at once with
 * G_IO_ERROR_NOT_CONNECTED until the source has connected.
 *
 * Since: 0.2
 */
void
fleet_nats_source_put_async (FleetNatsSource *self, const char *bucket, const char *key,
                             GBytes *value, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  Put *put;

  g_return_if_fail (FLEET_IS_NATS_SOURCE (self));
  g_return_if_fail (bucket != NULL && key != NULL && value != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fleet_nats_source_put_async);
  if (self->session == NULL)
    {
      g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_FAILED, "the source is disposed");
      return;
    }
  put = g_new0 (Put, 1);
  put->session = _fleet_nats_session_ref (self->session);
  put->bucket = g_strdup (bucket);
  put->key = g_strdup (key);
  put->value = g_bytes_ref (value);
  g_task_set_task_data (task, put, (GDestroyNotify) put_free);
  g_task_run_in_thread (task, put_in_thread);
}

/**
 * fleet_nats_source_put_finish:
 * @self: a #FleetNatsSource
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError, or %NULL
 *
 * Complete fleet_nats_source_put_async().
 *
 * Returns: %TRUE when the value is stored, %FALSE with @error set otherwise
 *
 * Since: 0.2
 */
gboolean
fleet_nats_source_put_finish (FleetNatsSource *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
