/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-source.c: what every source of the desired-state document shares.
 *
 * One fetch at a time: a fetch asked for while one is in flight gets the
 * next one, which starts when that one ends, so that its caller always sees
 * the source as it was after it asked; callers that wait together share it.
 * Every fetch has a deadline (a fetch that blocks, on a hung network file
 * system or a server that never answers, ends with an error at the
 * deadline; the source is then free to fetch again).  A document whose
 * validator is the one the caller committed is "not modified", whatever the
 * source type.  Fetches the poller or a subclass start on their own are
 * announced with the ::document and ::failed signals; fetches a caller
 * asked for are answered to it.
 */
#include "config.h"

#include <string.h>

#include "fleet-file-source.h"
#include "fleet-http-source.h"
#include "fleet-nats-source.h"
#include "fleet-source-private.h"
#include "fleet-util-private.h"

typedef struct _Fetch Fetch;

typedef struct
{
  char *uri;
  guint fetch_timeout_secs;
  char *committed;
  FleetSourcePoller *poller;
  gboolean polling;     /* the subclass asked for polling */
  Fetch *fetch;         /* in flight, or NULL */
  GPtrArray *next;      /* GTask: callers waiting for the next fetch */
  gboolean next_polled; /* a look was asked for while the fetch was in flight */
} FleetSourcePrivate;

struct _Fetch
{
  FleetSource *self;
  GPtrArray *waiters; /* GTask, empty when the fetch is announced */
  GCancellable *cancellable;
  guint deadline_id;
  gboolean ended;     /* answered: by the subclass, or at the deadline */
};

enum
{
  PROP_0,
  PROP_URI,
  PROP_FETCH_TIMEOUT,
  N_PROPS
};

enum
{
  SIGNAL_DOCUMENT,
  SIGNAL_FAILED,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (FleetSource, fleet_source, G_TYPE_OBJECT)

/* The class. */

static void
fleet_source_dispose (GObject *object)
{
  FleetSourcePrivate *priv = fleet_source_get_instance_private (FLEET_SOURCE (object));

  _fleet_source_poller_stop (priv->poller);
  G_OBJECT_CLASS (fleet_source_parent_class)->dispose (object);
}

static void
fleet_source_finalize (GObject *object)
{
  FleetSourcePrivate *priv = fleet_source_get_instance_private (FLEET_SOURCE (object));

  _fleet_source_poller_free (priv->poller);
  g_free (priv->uri);
  g_free (priv->committed);
  g_ptr_array_unref (priv->next);
  G_OBJECT_CLASS (fleet_source_parent_class)->finalize (object);
}

static void
fleet_source_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  FleetSourcePrivate *priv = fleet_source_get_instance_private (FLEET_SOURCE (object));

  switch (prop_id)
    {
    case PROP_URI:
      g_value_set_string (value, priv->uri);
      break;
    case PROP_FETCH_TIMEOUT:
      g_value_set_uint (value, priv->fetch_timeout_secs);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fleet_source_set_property (GObject *object, guint prop_id, const GValue *value,
                           GParamSpec *pspec)
{
  FleetSourcePrivate *priv = fleet_source_get_instance_private (FLEET_SOURCE (object));

  switch (prop_id)
    {
    case PROP_URI:
      g_free (priv->uri);
      priv->uri = g_value_dup_string (value);
      break;
    case PROP_FETCH_TIMEOUT:
      priv->fetch_timeout_secs = g_value_get_uint (value) ? g_value_get_uint (value)
                                                          : FLEET_DEFAULT_FETCH_TIMEOUT_SECS;
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fleet_source_real_start (FleetSource *self)
{
  FleetSourcePrivate *priv = fleet_source_get_instance_private (self);

  if (priv->polling)
    _fleet_source_poller_start (priv->poller);
}

static void
fleet_source_real_stop (FleetSource *self)
{
  FleetSourcePrivate *priv = fleet_source_get_instance_private (self);

  _fleet_source_poller_stop (priv->poller);
}

static void
fleet_source_class_init (FleetSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fleet_source_dispose;
  object_class->finalize = fleet_source_finalize;
  object_class->get_property = fleet_source_get_property;
  object_class->set_property = fleet_source_set_property;
  klass->start = fleet_source_real_start;
  klass->stop = fleet_source_real_stop;

  /**
   * FleetSource:uri:
   *
   * Where the document comes from, as shown in messages.
   */
  props[PROP_URI] = g_param_spec_string ("uri", NULL, NULL, NULL,
                                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY
                                           | G_PARAM_STATIC_STRINGS);
  /**
   * FleetSource:fetch-timeout:
   *
   * The deadline of every fetch, in seconds (0 for the default, 60).
   */
  props[PROP_FETCH_TIMEOUT] = g_param_spec_uint ("fetch-timeout", NULL, NULL, 0, G_MAXUINT / 1000,
                                                 0,
                                                 G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY
                                                   | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  /**
   * FleetSource::document:
   * @source: the source
   * @result: the document, or "not modified"
   *
   * A fetch the source made on its own (a poll, a noticed change, a push)
   * brought this.  Commit the validator of a document you take with
   * fleet_source_commit(), or fleet_source_reject() it.
   */
  signals[SIGNAL_DOCUMENT] = g_signal_new ("document", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST,
                                           G_STRUCT_OFFSET (FleetSourceClass, document), NULL,
                                           NULL, NULL, G_TYPE_NONE, 1, FLEET_TYPE_FETCH_RESULT);
  /**
   * FleetSource::failed:
   * @source: the source
   * @error: why, in FLEET_ERROR, naming the source
   *
   * A fetch the source made on its own failed.
   */
  signals[SIGNAL_FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         G_STRUCT_OFFSET (FleetSourceClass, failed), NULL, NULL,
                                         NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
fleet_source_init (FleetSource *self)
{
  FleetSourcePrivate *priv = fleet_source_get_instance_private (self);

  priv->fetch_timeout_secs = FLEET_DEFAULT_FETCH_TIMEOUT_SECS;
  priv->poller = _fleet_source_poller_new (self);
  priv->next = g_ptr_array_new_with_free_func (g_object_unref);
}

/* Fetching. */

static void begin_fetch (FleetSource *self, GPtrArray *waiters);

static void
fetch_free (Fetch *fetch)
{
  g_clear_handle_id (&fetch->deadline_id, g_source_remove);
  g_ptr_array_unref (fetch->waiters);
  g_object_unref (fetch->cancellable);
  g_object_unref (fetch->self);
  g_free (fetch);
}

/* FLEET_ERROR_FETCH_FAILED or FLEET_ERROR_TOO_LARGE (cancellation aside),
 * naming the source. */
static GError *
normalize_error (FleetSource *self, GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return error;
  if (!g_error_matches (error, FLEET_ERROR, FLEET_ERROR_TOO_LARGE))
    {
      GError *wrapped = g_error_new_literal (FLEET_ERROR, FLEET_ERROR_FETCH_FAILED,
                                             error->message);

      g_error_free (error);
      error = wrapped;
    }
  fleet_source_prefix_error (self, &error);
  return error;
}

/* The validator the caller committed means "not modified", for every source. */
static FleetFetchResult *
compare_with_committed (FleetSource *self, FleetFetchResult *result)
{
  FleetSourcePrivate *priv = fleet_source_get_instance_private (self);

  if (result->not_modified || result->validator == NULL
      || g_strcmp0 (result->validator, priv->committed) != 0)
    return result;
  fleet_fetch_result_unref (result);
  return fleet_fetch_result_new (TRUE, NULL, priv->committed);
}

static void
deliver (Fetch *fetch, FleetFetchResult *result, const GError *error)
{
  FleetSource *self = fetch->self;

  for (guint i = 0; i < fetch->waiters->len; i++)
    {
      if (error)
        g_task_return_error (fetch->waiters->pdata[i], g_error_copy (error));
      else
        g_task_return_pointer (fetch->waiters->pdata[i], fleet_fetch_result_ref (result),
                               (GDestroyNotify) fleet_fetch_result_unref);
    }
  if (fetch->waiters->len > 0 || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error)
    g_signal_emit (self, signals[SIGNAL_FAILED], 0, error);
  else
    g_signal_emit (self, signals[SIGNAL_DOCUMENT], 0, result);
}

/* The fetch in flight is over: tell the poller and whoever waits, then
 * start the next one if it was asked for meanwhile. */
static void
end_fetch (Fetch *fetch, FleetFetchResult *result, GError *error)
{
  g_autoptr(FleetSource) self = g_object_ref (fetch->self);
  FleetSourcePrivate *priv = fleet_source_get_instance_private (self);
  g_autoptr(FleetFetchResult) compared = result ? compare_with_committed (self, result) : NULL;
  g_autoptr(GError) normalized = error ? normalize_error (self, error) : NULL;

  fetch->ended = TRUE;
  g_clear_handle_id (&fetch->deadline_id, g_source_remove);
  if (priv->fetch == fetch)
    priv->fetch = NULL;
  if (normalized != NULL && !g_error_matches (normalized, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    _fleet_source_poller_note (priv->poller, FLEET_POLL_OUTCOME_FAILED);
  else if (compared != NULL)
    _fleet_source_poller_note (priv->poller, compared->not_modified ? FLEET_POLL_OUTCOME_CURRENT
                                                                    : FLEET_POLL_OUTCOME_DOCUMENT);
  deliver (fetch, compared, normalized);
  if (priv->fetch == NULL && (priv->next->len > 0 || priv->next_polled))
    {
      g_autoptr(GPtrArray) waiters = g_steal_pointer (&priv->next);

      priv->next = g_ptr_array_new_with_free_func (g_object_unref);
      priv->next_polled = FALSE;
      begin_fetch (self, waiters);
    }
}

static void
on_fetched (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Fetch *fetch = user_data;
  GError *error = NULL;
  FleetFetchResult *fetched = FLEET_SOURCE_GET_CLASS (fetch->self)->fetch_finish (
    FLEET_SOURCE (object), result, &error);

  if (!fetch->ended)
    end_fetch (fetch, fetched, error);
  else
    {
      /* Answered at the deadline already. */
      g_clear_pointer (&fetched, fleet_fetch_result_unref);
      g_clear_error (&error);
    }
  fetch_free (fetch);
}

static gboolean
on_deadline (gpointer user_data)
{
  Fetch *fetch = user_data;
  FleetSourcePrivate *priv = fleet_source_get_instance_private (fetch->self);

  fetch->deadline_id = 0;
  end_fetch (fetch, NULL,
             g_error_new (FLEET_ERROR, FLEET_ERROR_FETCH_FAILED, "timed out after %u s",
                          priv->fetch_timeout_secs));
  /* Last: the subclass may answer (and so free @fetch) at once. */
  g_cancellable_cancel (fetch->cancellable);
  return G_SOURCE_REMOVE;
}

static void
begin_fetch (FleetSource *self, GPtrArray *waiters)
{
  FleetSourcePrivate *priv = fleet_source_get_instance_private (self);
  Fetch *fetch = g_new0 (Fetch, 1);

  fetch->self = g_object_ref (self);
  fetch->waiters = g_ptr_array_ref (waiters);
  fetch->cancellable = g_cancellable_new ();
  fetch->deadline_id = g_timeout_add_seconds (priv->fetch_timeout_secs, on_deadline, fetch);
  priv->fetch = fetch;
  FLEET_SOURCE_GET_CLASS (self)->fetch (self, fetch->cancellable, on_fetched, fetch);
}

/**
 * fleet_source_fetch_async:
 * @self: a #FleetSource
 * @cancellable: (nullable): cancels this caller's wait (the fetch itself
 *   goes on for others, until its deadline or fleet_source_stop())
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Fetch the document now: when a fetch is in flight, the next one, so that
 * the answer is never older than the call.  Not announced: the answer is
 * the caller's.
 *
 * Since: 0.2
 */
void
fleet_source_fetch_async (FleetSource *self, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  FleetSourcePrivate *priv;
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FLEET_IS_SOURCE (self));

  priv = fleet_source_get_instance_private (self);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fleet_source_fetch_async);
  if (priv->fetch != NULL)
    {
      g_ptr_array_add (priv->next, g_steal_pointer (&task));
      return;
    }
  {
    g_autoptr(GPtrArray) waiters = g_ptr_array_new_with_free_func (g_object_unref);

    g_ptr_array_add (waiters, g_steal_pointer (&task));
    begin_fetch (self, waiters);
  }
}

/**
 * fleet_source_fetch_finish:
 * @self: a #FleetSource
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError, or %NULL
 *
 * Returns: (transfer full): the fetched document or "not modified"; %NULL
 *   with FLEET_ERROR_FETCH_FAILED (or FLEET_ERROR_TOO_LARGE) naming the
 *   source and the cause, or G_IO_ERROR_CANCELLED
 *
 * Since: 0.2
 */
FleetFetchResult *
fleet_source_fetch_finish (FleetSource *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * fleet_source_poll_now:
 * @self: a #FleetSource
 *
 * For subclasses and the poller: look at the source as soon as possible
 * and announce what it has (after the fetch in flight, if any).
 *
 * Since: 0.2
 */
void
fleet_source_poll_now (FleetSource *self)
{
  FleetSourcePrivate *priv;

  g_return_if_fail (FLEET_IS_SOURCE (self));

  priv = fleet_source_get_instance_private (self);
  if (priv->fetch != NULL)
    {
      priv->next_polled = TRUE;
      return;
    }
  {
    g_autoptr(GPtrArray) none = g_ptr_array_new_with_free_func (g_object_unref);

    begin_fetch (self, none);
  }
}

/**
 * fleet_source_start:
 * @self: a #FleetSource
 *
 * Begin announcing documents (#FleetSource::document, #FleetSource::failed):
 * a polling source fetches now, then every poll interval; a source that is
 * told of changes listens for them.
 *
 * Since: 0.2
 */
void
fleet_source_start (FleetSource *self)
{
  g_return_if_fail (FLEET_IS_SOURCE (self));

  FLEET_SOURCE_GET_CLASS (self)->start (self);
}

/**
 * fleet_source_stop:
 * @self: a #FleetSource
 *
 * Stop announcing documents, and abandon the fetch in flight (its callers
 * get G_IO_ERROR_CANCELLED).
 *
 * Since: 0.2
 */
void
fleet_source_stop (FleetSource *self)
{
  FleetSourcePrivate *priv;

  g_return_if_fail (FLEET_IS_SOURCE (self));

  priv = fleet_source_get_instance_private (self);
  FLEET_SOURCE_GET_CLASS (self)->stop (self);
  priv->next_polled = FALSE;
  if (priv->fetch != NULL)
    g_cancellable_cancel (priv->fetch->cancellable);
}

/**
 * fleet_source_announce:
 * @self: a #FleetSource
 * @result: what the source has now
 *
 * For subclasses that are told of changes: emit #FleetSource::document
 * (as "not modified" when @result carries the committed validator).  While
 * a fetch is in flight, a fetch after it is announced instead: whoever
 * waits for that one must not get an answer older than an announcement.
 *
 * Since: 0.2
 */
void
fleet_source_announce (FleetSource *self, FleetFetchResult *result)
{
  FleetSourcePrivate *priv;
  g_autoptr(FleetFetchResult) compared = NULL;

  g_return_if_fail (FLEET_IS_SOURCE (self));
  g_return_if_fail (result != NULL);

  priv = fleet_source_get_instance_private (self);
  if (priv->fetch != NULL)
    {
      priv->next_polled = TRUE;
      return;
    }
  compared = compare_with_committed (self, fleet_fetch_result_ref (result));
  g_signal_emit (self, signals[SIGNAL_DOCUMENT], 0, compared);
}

/**
 * fleet_source_announce_failure:
 * @self: a #FleetSource
 * @error: the cause
 *
 * For subclasses: emit #FleetSource::failed with @error, in FLEET_ERROR and
 * naming the source.
 *
 * Since: 0.2
 */
void
fleet_source_announce_failure (FleetSource *self, const GError *error)
{
  g_autoptr(GError) normalized = NULL;

  g_return_if_fail (FLEET_IS_SOURCE (self));
  g_return_if_fail (error != NULL);

  normalized = normalize_error (self, g_error_copy (error));
  g_signal_emit (self, signals[SIGNAL_FAILED], 0, normalized);
}

/* The caller's side. */

/**
 * fleet_source_commit:
 * @self: a #FleetSource
 * @validator: (nullable): the validator of the document the caller took
 *
 * Only a document the caller accepted is remembered, so that a rejected one
 * is fetched (and reported) again rather than answered "not modified".
 *
 * Since: 0.2
 */
void
fleet_source_commit (FleetSource *self, const char *validator)
{
  FleetSourcePrivate *priv;

  g_return_if_fail (FLEET_IS_SOURCE (self));

  priv = fleet_source_get_instance_private (self);
  if (validator != priv->committed)
    {
      g_free (priv->committed);
      priv->committed = g_strdup (validator);
    }
  _fleet_source_poller_note (priv->poller, FLEET_POLL_OUTCOME_CURRENT);
}

/**
 * fleet_source_reject:
 * @self: a #FleetSource
 *
 * The caller could not use the last document (invalid, or refused): look
 * again sooner, with the same backoff as after a failed fetch.
 *
 * Since: 0.2
 */
void
fleet_source_reject (FleetSource *self)
{
  FleetSourcePrivate *priv;

  g_return_if_fail (FLEET_IS_SOURCE (self));

  priv = fleet_source_get_instance_private (self);
  _fleet_source_poller_note (priv->poller, FLEET_POLL_OUTCOME_FAILED);
}

/**
 * fleet_source_get_committed:
 * @self: a #FleetSource
 *
 * Returns: (nullable): the validator last committed
 *
 * Since: 0.2
 */
const char *
fleet_source_get_committed (FleetSource *self)
{
  FleetSourcePrivate *priv;

  g_return_val_if_fail (FLEET_IS_SOURCE (self), NULL);

  priv = fleet_source_get_instance_private (self);
  return priv->committed;
}

/**
 * fleet_source_get_uri:
 * @self: a #FleetSource
 *
 * Returns: where the document comes from (`{device}` replaced), for messages
 *
 * Since: 0.2
 */
const char *
fleet_source_get_uri (FleetSource *self)
{
  FleetSourcePrivate *priv;

  g_return_val_if_fail (FLEET_IS_SOURCE (self), NULL);

  priv = fleet_source_get_instance_private (self);
  return priv->uri;
}

/**
 * fleet_source_get_fetch_timeout:
 * @self: a #FleetSource
 *
 * Returns: the deadline of every fetch, in seconds
 *
 * Since: 0.2
 */
guint
fleet_source_get_fetch_timeout (FleetSource *self)
{
  FleetSourcePrivate *priv;

  g_return_val_if_fail (FLEET_IS_SOURCE (self), 0);

  priv = fleet_source_get_instance_private (self);
  return priv->fetch_timeout_secs;
}

/**
 * fleet_source_prefix_error:
 * @self: a #FleetSource
 * @error: (inout) (optional) (nullable): an error about a document from @self
 *
 * Prefix @error with where the document came from, as every fetch error
 * is: `fetching URI: `.  For errors found in a fetched document.
 *
 * Since: 0.2
 */
void
fleet_source_prefix_error (FleetSource *self, GError **error)
{
  g_return_if_fail (FLEET_IS_SOURCE (self));

  g_prefix_error (error, "fetching %s: ", fleet_source_get_uri (self));
}

/* Polling. */

/**
 * fleet_source_set_polling:
 * @self: a #FleetSource
 * @polling: %TRUE to poll
 *
 * For subclasses, at construction: fleet_source_start() polls the source
 * (see fleet_source_set_poll_interval()).
 *
 * Since: 0.2
 */
void
fleet_source_set_polling (FleetSource *self, gboolean polling)
{
  FleetSourcePrivate *priv;

  g_return_if_fail (FLEET_IS_SOURCE (self));

  priv = fleet_source_get_instance_private (self);
  priv->polling = polling;
}

/* For fleet-source-poller.c, which holds the polling settings. */
FleetSourcePoller *
_fleet_source_get_poller (FleetSource *self)
{
  FleetSourcePrivate *priv = fleet_source_get_instance_private (self);

  return priv->poller;
}

/* Making one. */

/**
 * fleet_source_expand_uri:
 * @uri: a source URL or path, possibly containing `{device}`
 * @device_id: (nullable): the device id
 *
 * Replace every `{device}` in @uri by @device_id, percent-encoded in URLs.
 *
 * Returns: (transfer full): the expanded URI
 *
 * Since: 0.2
 */
char *
fleet_source_expand_uri (const char *uri, const char *device_id)
{
  g_autofree char *escaped = NULL;
  g_auto(GStrv) parts = NULL;

  g_return_val_if_fail (uri != NULL, NULL);

  if (device_id == NULL || strstr (uri, "{device}") == NULL)
    return g_strdup (uri);
  escaped = g_str_has_prefix (uri, "http://") || g_str_has_prefix (uri, "https://")
              ? g_uri_escape_string (device_id, NULL, FALSE)
              : g_strdup (device_id);
  parts = g_strsplit (uri, "{device}", -1);
  return g_strjoinv (escaped, parts);
}

/**
 * fleet_source_new_for_uri:
 * @uri: `http://...`, `https://...`, `file:///...` or a plain path
 * @device_id: (nullable): replaces `{device}` in @uri
 * @error: return location for a #GError
 *
 * The source for @uri, with the default options of its type; see
 * fleet_http_source_new() and fleet_file_source_new() for the others.
 *
 * Returns: (transfer full): the source, or %NULL with
 *   FLEET_ERROR_INVALID_ARGUMENT when the URL cannot be used
 *
 * Since: 0.2
 */
FleetSource *
fleet_source_new_for_uri (const char *uri, const char *device_id, GError **error)
{
  g_autofree char *expanded = NULL;
  const char *scheme;

  g_return_val_if_fail (uri != NULL, NULL);

  if (*uri == '\0')
    return fleet_null_throw (error, FLEET_ERROR_INVALID_ARGUMENT, "source: empty URL");
  expanded = fleet_source_expand_uri (uri, device_id);
  scheme = g_uri_peek_scheme (expanded);
  if (scheme == NULL || g_str_equal (scheme, "file"))
    return fleet_file_source_new (expanded, NULL, error);
  if (g_str_equal (scheme, "http") || g_str_equal (scheme, "https"))
    return fleet_http_source_new (expanded, NULL, error);
  if ((g_str_equal (scheme, "nats") || g_str_equal (scheme, "tls")) && device_id != NULL)
    {
      FleetNatsSourceOptions options;

      fleet_nats_source_options_init (&options);
      options.device_id = device_id;
      return fleet_nats_source_new (expanded, &options, error);
    }
  return fleet_null_throw (error, FLEET_ERROR_INVALID_ARGUMENT,
                           "source: unsupported URL scheme \"%s\" in %s (expected http, https, "
                           "nats, tls, file or a path)",
                           scheme, uri);
}
