/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-test-nats.h: a private nats-server with JetStream for tests, on
 * 127.0.0.1 at a free port with a temporary store directory, and a nats.c
 * client to put and read keys with. */
#pragma once

#include <gio/gio.h>

#include "fleet-test-nats-jwt.h"

G_BEGIN_DECLS

/**
 * FleetTestNats:
 * @url: `nats://127.0.0.1:PORT`
 * @user: (nullable): set before starting: the server requires it, with @password
 * @cert_dir: (nullable): set before starting: TLS with the certificates of
 *   tests/gen-test-certs.sh in that directory (ca.pem, server.pem, server.key)
 * @verify_clients: with @cert_dir: the server requires a client certificate
 * @token: (nullable): set before starting: the server requires this token
 * @nkey: (nullable): the server requires this user nkey (fleet_test_nats_make_nkey())
 * @nkey_seed_file: its seed
 * @operator_mode: (nullable): the server trusts this operator
 *   (fleet_test_nats_use_operator())
 * @creds_file: (nullable): the tests' client authenticates with this .creds
 */
typedef struct
{
  char *dir;
  char *url;
  guint16 port;
  char *user;
  char *password;
  char *cert_dir;
  gboolean verify_clients;
  char *token;
  char *nkey;
  char *nkey_seed_file;
  FleetTestNatsOperator *operator_mode;
  char *creds_file;
  GSubprocess *process;
} FleetTestNats;

gboolean fleet_test_nats_skip_unless_available (void);
FleetTestNats *fleet_test_nats_new (void);
void fleet_test_nats_start (FleetTestNats *nats);
void fleet_test_nats_stop (FleetTestNats *nats);
void fleet_test_nats_free (FleetTestNats *nats);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetTestNats, fleet_test_nats_free)

char *fleet_test_nats_make_certs (const char *dir);
void fleet_test_nats_make_nkey (FleetTestNats *nats);
void fleet_test_nats_use_operator (FleetTestNats *nats);

void fleet_test_nats_create_bucket (FleetTestNats *nats, const char *bucket);
guint64 fleet_test_nats_put (FleetTestNats *nats, const char *bucket, const char *key,
                             const char *value);
void fleet_test_nats_delete (FleetTestNats *nats, const char *bucket, const char *key);
char *fleet_test_nats_get (FleetTestNats *nats, const char *bucket, const char *key);
void fleet_test_nats_shutdown (void);

G_END_DECLS
