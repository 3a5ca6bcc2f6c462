/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-source.h: where the desired-state document comes from.
 *
 * FleetSource is an abstract class.  Its subclasses only say how to fetch
 * the document once (FleetHttpSource for http:// and https:// with ETag,
 * FleetFileSource for file:// URLs and plain paths); the class holds what
 * every source shares: the validator of the document the caller committed,
 * the deadline of every fetch, one fetch at a time, and the announcing of
 * documents to whoever listens.  A source that can be told of a change (a
 * broker watch) announces documents as they come; the HTTP and file sources
 * poll for them.
 */
#pragma once

#if !defined (__FLEET_H_INSIDE__) && !defined (FLEET_COMPILATION)
#error "Only <fleet/fleet.h> can be included directly."
#endif

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * FleetFetchResult:
 * @not_modified: the document has not changed since the last committed fetch
 * @body: (nullable): the document's bytes (%NULL when @not_modified)
 * @validator: (nullable): what identifies this version of the document (an
 *   HTTP ETag, or the digest of a file's contents)
 * @signature: (nullable): a detached signature of @body found beside it
 *   (`PATH.sig` for a file), for FleetDocumentVerifier
 *
 * What one fetch of a #FleetSource brought.
 *
 * Since: 0.2
 */
typedef struct
{
  /*< private >*/
  gatomicrefcount ref;
  /*< public >*/
  gboolean not_modified;
  GBytes *body;
  char *validator;
  GBytes *signature;
} FleetFetchResult;

GType fleet_fetch_result_get_type (void) G_GNUC_CONST;
#define FLEET_TYPE_FETCH_RESULT (fleet_fetch_result_get_type ())
FleetFetchResult *fleet_fetch_result_new (gboolean not_modified, GBytes *body,
                                          const char *validator);
FleetFetchResult *fleet_fetch_result_ref (FleetFetchResult *result);
void fleet_fetch_result_unref (FleetFetchResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetFetchResult, fleet_fetch_result_unref)

/**
 * FLEET_DEFAULT_FETCH_TIMEOUT_SECS:
 *
 * How long a fetch of the document may take, in seconds.
 *
 * Since: 0.2
 */
#define FLEET_DEFAULT_FETCH_TIMEOUT_SECS 60
/**
 * FLEET_DEFAULT_POLL_INTERVAL_SECS:
 *
 * How often a polling source looks for a new document, in seconds.
 *
 * Since: 0.2
 */
#define FLEET_DEFAULT_POLL_INTERVAL_SECS 30
/**
 * FLEET_DEFAULT_RETRY_INITIAL_MSECS:
 *
 * The first delay before a source retries a failed fetch, in milliseconds.
 *
 * Since: 0.2
 */
#define FLEET_DEFAULT_RETRY_INITIAL_MSECS 1000
/**
 * FLEET_DEFAULT_RETRY_MAX_MSECS:
 *
 * The longest delay before a source retries a failed fetch, in milliseconds.
 *
 * Since: 0.2
 */
#define FLEET_DEFAULT_RETRY_MAX_MSECS (5 * 60 * 1000)

/**
 * FleetSource:
 *
 * Where the desired-state document comes from: an abstract class whose
 * subclasses fetch it once; the class holds the validator of the committed
 * document, the fetch deadline, one fetch at a time, and the announcing of
 * new documents.
 *
 * Since: 0.2
 */
#define FLEET_TYPE_SOURCE (fleet_source_get_type ())
G_DECLARE_DERIVABLE_TYPE (FleetSource, fleet_source, FLEET, SOURCE, GObject)

/**
 * FleetSourceClass:
 * @fetch: fetch the document once.  Return the body and its validator;
 *   return "not modified" only when the source itself learnt so (an HTTP
 *   304 to an If-None-Match with fleet_source_get_committed()).  Errors
 *   name the cause only: the class prefixes where the document comes from.
 *   The cancellable is cancelled when the deadline passes or the source is
 *   stopped.
 * @fetch_finish: complete @fetch
 * @start: begin announcing documents.  The default polls when the subclass
 *   asked for it with fleet_source_set_polling() at construction.
 * @stop: stop announcing documents
 * @document: class handler of #FleetSource::document
 * @failed: class handler of #FleetSource::failed
 */
struct _FleetSourceClass
{
  GObjectClass parent_class;

  void (*fetch) (FleetSource *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                 gpointer user_data);
  FleetFetchResult *(*fetch_finish) (FleetSource *self, GAsyncResult *result, GError **error);
  void (*start) (FleetSource *self);
  void (*stop) (FleetSource *self);

  void (*document) (FleetSource *self, FleetFetchResult *result);
  void (*failed) (FleetSource *self, const GError *error);

  /*< private >*/
  gpointer padding[8];
};

FleetSource *fleet_source_new_for_uri (const char *uri, const char *device_id, GError **error);
char *fleet_source_expand_uri (const char *uri, const char *device_id);

void fleet_source_fetch_async (FleetSource *self, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
FleetFetchResult *fleet_source_fetch_finish (FleetSource *self, GAsyncResult *result,
                                             GError **error);
void fleet_source_start (FleetSource *self);
void fleet_source_stop (FleetSource *self);

void fleet_source_commit (FleetSource *self, const char *validator);
void fleet_source_reject (FleetSource *self);
const char *fleet_source_get_committed (FleetSource *self);

const char *fleet_source_get_uri (FleetSource *self);
guint fleet_source_get_fetch_timeout (FleetSource *self);
void fleet_source_prefix_error (FleetSource *self, GError **error);

void fleet_source_set_poll_interval (FleetSource *self, guint secs);
void fleet_source_set_retry_backoff (FleetSource *self, guint initial_msecs, guint max_msecs);
gint64 fleet_source_get_next_poll_in (FleetSource *self);

/* For subclasses. */
void fleet_source_set_polling (FleetSource *self, gboolean polling);
void fleet_source_poll_now (FleetSource *self);
void fleet_source_announce (FleetSource *self, FleetFetchResult *result);
void fleet_source_announce_failure (FleetSource *self, const GError *error);

G_END_DECLS
