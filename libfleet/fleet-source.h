/* fleet-source.h: where the desired-state document comes from.  Implemented
 * by FleetHttpSource (http:// and https://, with ETag) and FleetFileSource
 * (file:// URLs and plain paths).
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * FleetFetchResult:
 * @not_modified: the document has not changed since the last committed fetch
 * @body: (nullable): the document's bytes (%NULL when @not_modified)
 * @validator: (nullable): what identifies this version of the document (an
 *   HTTP ETag, or the digest of a file's contents)
 */
typedef struct
{
  /*< private >*/
  gatomicrefcount ref;
  /*< public >*/
  gboolean not_modified;
  GBytes *body;
  char *validator;
} FleetFetchResult;

GType fleet_fetch_result_get_type (void) G_GNUC_CONST;
#define FLEET_TYPE_FETCH_RESULT (fleet_fetch_result_get_type ())
FleetFetchResult *fleet_fetch_result_new (gboolean not_modified, GBytes *body,
                                          const char *validator);
FleetFetchResult *fleet_fetch_result_ref (FleetFetchResult *result);
void fleet_fetch_result_unref (FleetFetchResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetFetchResult, fleet_fetch_result_unref)

/**
 * FleetSourceOptions:
 * @device_id: replaces `{device}` in the URL
 * @max_bytes: the largest document accepted; a larger body is aborted
 * @connect_timeout_secs: connecting (HTTP), 0 for the default
 * @timeout_secs: the whole fetch, 0 for the default
 * @ca_file: (nullable): PEM CA bundle to verify the server with, instead of the system's
 * @client_cert_file: (nullable): PEM client certificate (mutual TLS)
 * @client_key_file: (nullable): PEM key of @client_cert_file
 * @bearer_token_file: (nullable): a file whose contents are sent as
 *   `Authorization: Bearer ...`; read at every fetch, so it can be rotated
 *
 * Initialise with fleet_source_options_init().
 */
typedef struct
{
  const char *device_id;
  gsize max_bytes;
  guint connect_timeout_secs;
  guint timeout_secs;
  const char *ca_file;
  const char *client_cert_file;
  const char *client_key_file;
  const char *bearer_token_file;
} FleetSourceOptions;

#define FLEET_DEFAULT_CONNECT_TIMEOUT_SECS 10
#define FLEET_DEFAULT_FETCH_TIMEOUT_SECS 60

void fleet_source_options_init (FleetSourceOptions *options);

#define FLEET_TYPE_SOURCE (fleet_source_get_type ())
G_DECLARE_INTERFACE (FleetSource, fleet_source, FLEET, SOURCE, GObject)

/**
 * FleetSourceInterface:
 * @fetch: fetch the document; report not-modified when it still has the
 *   validator last passed to @commit
 * @commit: the caller applied (or at least validated) the fetched document:
 *   remember its validator for the next fetch
 * @get_uri: the effective location, `{device}` replaced, for messages
 */
struct _FleetSourceInterface
{
  GTypeInterface g_iface;

  void (*fetch) (FleetSource *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                 gpointer user_data);
  FleetFetchResult *(*fetch_finish) (FleetSource *self, GAsyncResult *result, GError **error);
  void (*commit) (FleetSource *self, const char *validator);
  const char *(*get_uri) (FleetSource *self);

  /*< private >*/
  gpointer padding[8];
};

FleetSource *fleet_source_new_for_uri (const char *uri, const FleetSourceOptions *options,
                                       GError **error);
void fleet_source_fetch_async (FleetSource *self, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
FleetFetchResult *fleet_source_fetch_finish (FleetSource *self, GAsyncResult *result,
                                             GError **error);
void fleet_source_commit (FleetSource *self, const char *validator);
const char *fleet_source_get_uri (FleetSource *self);
char *fleet_source_expand_uri (const char *uri, const char *device_id);

G_END_DECLS
