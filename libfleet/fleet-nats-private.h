/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-nats-private.h: the parts of FleetNatsSource that are not its
 * GObject: the session that talks to the NATS server on nats.c's and its own
 * threads (fleet-nats-session.c), and the assembling of a device's document
 * from its keys (fleet-nats-document.c).
 *
 * The session never touches a fleet object: everything it learns travels to
 * the main context as a FleetNatsEvent holding copies of the data.
 */
#pragma once

#include <gio/gio.h>

#include "fleet-nats-source.h"

G_BEGIN_DECLS

/* The two watches of a device: its whole document, and its deployments. */
typedef enum
{
  FLEET_NATS_WATCH_WHOLE,
  FLEET_NATS_WATCH_PARTS,
  FLEET_NATS_N_WATCHES
} FleetNatsWatch;

typedef enum
{
  FLEET_NATS_EVENT_RESET,        /* a new watch begins: its initial values follow */
  FLEET_NATS_EVENT_ENTRY,        /* a key's value (or its deletion) */
  FLEET_NATS_EVENT_INITIAL_DONE, /* the watch's initial values are complete */
  FLEET_NATS_EVENT_FAILED,       /* connecting or watching failed; retried */
  FLEET_NATS_EVENT_RECONNECTED,  /* back after FAILED "disconnected" */
} FleetNatsEventKind;

typedef struct
{
  FleetNatsEventKind kind;
  FleetNatsWatch watch;
  char *key;
  GBytes *value; /* NULL when the key was deleted */
  guint64 revision;
  char *message;
} FleetNatsEvent;

/* Called on the main context the session was made on. */
typedef void (*FleetNatsEventFunc) (const FleetNatsEvent *event, gpointer user_data);

typedef struct _FleetNatsSession FleetNatsSession;

/* Where to connect, parsed from nats://[USER:PASSWORD@]HOST:PORT[,HOST:PORT]/BUCKET. */
typedef struct
{
  char **servers; /* nats://HOST:PORT or tls://HOST:PORT */
  char *user;
  char *password;
  char *bucket;
  gboolean tls;
} FleetNatsAddress;

FleetNatsAddress *_fleet_nats_address_parse (const char *uri, GError **error);
void _fleet_nats_address_free (FleetNatsAddress *address);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetNatsAddress, _fleet_nats_address_free)

gboolean _fleet_nats_check_key_token (const char *what, const char *token, GError **error);

FleetNatsSession *_fleet_nats_session_new (const FleetNatsAddress *address,
                                           const FleetNatsSourceOptions *options,
                                           const char *device_id, GError **error);
void _fleet_nats_session_start (FleetNatsSession *session, FleetNatsEventFunc func,
                                gpointer user_data);
void _fleet_nats_session_stop (FleetNatsSession *session);
void _fleet_nats_session_unref (FleetNatsSession *session);
gboolean _fleet_nats_session_put (FleetNatsSession *session, const char *bucket, const char *key,
                                  GBytes *value, GError **error);
FleetNatsSession *_fleet_nats_session_ref (FleetNatsSession *session);

/* Assembling. */

typedef struct
{
  GBytes *value; /* NULL: deleted */
  guint64 revision;
} FleetNatsKey;

void _fleet_nats_key_free (FleetNatsKey *key);
FleetFetchResult *_fleet_nats_assemble (const char *device_id, const char *bucket,
                                        GHashTable *whole, GHashTable *parts, gsize max_bytes,
                                        GError **error);

G_END_DECLS
