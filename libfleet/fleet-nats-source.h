/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-nats-source.h: the desired-state document pushed from a NATS
 * JetStream key-value bucket. */
#pragma once

#if !defined (__FLEET_H_INSIDE__) && !defined (FLEET_COMPILATION)
#error "Only <fleet/fleet.h> can be included directly."
#endif

#include "fleet-source.h"

G_BEGIN_DECLS

/**
 * FLEET_DEFAULT_NATS_SETTLE_MSECS:
 *
 * How long a NATS source waits for a burst of changes to settle before it
 * announces a document, in milliseconds.
 *
 * Since: 0.2
 */
#define FLEET_DEFAULT_NATS_SETTLE_MSECS 100
/**
 * FLEET_DEFAULT_NATS_STATUS_BUCKET:
 *
 * The key-value bucket the device's status is put into, unless configured
 * otherwise.
 *
 * Since: 0.2
 */
#define FLEET_DEFAULT_NATS_STATUS_BUCKET "fleet-status"

/**
 * FleetNatsSourceOptions:
 * @device_id: the device whose keys are watched (required)
 * @max_bytes: the largest document accepted (0 for the default, 1 MiB)
 * @connect_timeout_secs: connecting, 0 for the default (10)
 * @ca_file: (nullable): PEM CA bundle to verify the servers with (TLS)
 * @client_cert_file: (nullable): PEM client certificate (mutual TLS)
 * @client_key_file: (nullable): PEM key of @client_cert_file
 * @token_file: (nullable): a file holding the server's authentication token
 * @user: (nullable): user name, with @password_file
 * @password_file: (nullable): a file holding @user's password
 * @creds_file: (nullable): a NATS `.creds` file (user JWT and nkey seed)
 * @nkey: (nullable): the user's public nkey, with @nkey_seed_file
 * @nkey_seed_file: (nullable): a file holding the seed of @nkey
 * @retry_initial_msecs: first delay before connecting again (0 for 1 s)
 * @retry_max_msecs: the cap of that delay, with jitter (0 for 60 s)
 * @settle_msecs: how long a burst of puts settles before it is applied as
 *   one document (0 for the default, 100 ms)
 *
 * Initialise with fleet_nats_source_options_init().
 *
 * Since: 0.2
 */
typedef struct
{
  const char *device_id;
  gsize max_bytes;
  guint connect_timeout_secs;
  const char *ca_file;
  const char *client_cert_file;
  const char *client_key_file;
  const char *token_file;
  const char *user;
  const char *password_file;
  const char *creds_file;
  const char *nkey;
  const char *nkey_seed_file;
  guint retry_initial_msecs;
  guint retry_max_msecs;
  guint settle_msecs;
} FleetNatsSourceOptions;

void fleet_nats_source_options_init (FleetNatsSourceOptions *options);

/**
 * FleetNatsSource:
 *
 * A #FleetSource watching the device's document in a NATS JetStream key-value
 * bucket: documents are pushed as they change, and the device can put its
 * status back over the same connection.
 *
 * Since: 0.2
 */
#define FLEET_TYPE_NATS_SOURCE (fleet_nats_source_get_type ())
G_DECLARE_FINAL_TYPE (FleetNatsSource, fleet_nats_source, FLEET, NATS_SOURCE, FleetSource)

FleetSource *fleet_nats_source_new (const char *uri, const FleetNatsSourceOptions *options,
                                    GError **error);
const char *fleet_nats_source_get_bucket (FleetNatsSource *self);

void fleet_nats_source_put_async (FleetNatsSource *self, const char *bucket, const char *key,
                                  GBytes *value, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
gboolean fleet_nats_source_put_finish (FleetNatsSource *self, GAsyncResult *result,
                                       GError **error);

G_END_DECLS
