/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-test-nats-jwt.h: NATS nkeys and JWTs made at test time (no nsc), for
 * a nats-server in operator mode and the .creds files of its users. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * FleetTestNkeyKind:
 *
 * The role of an nkey, which is the first letter of its public key.
 */
typedef enum
{
  FLEET_TEST_NKEY_OPERATOR = 'O',
  FLEET_TEST_NKEY_ACCOUNT = 'A',
  FLEET_TEST_NKEY_USER = 'U',
} FleetTestNkeyKind;

typedef struct _FleetTestNkey FleetTestNkey;

FleetTestNkey *fleet_test_nkey_new (FleetTestNkeyKind kind);
void fleet_test_nkey_free (FleetTestNkey *nkey);
const char *fleet_test_nkey_get_public (FleetTestNkey *nkey);
const char *fleet_test_nkey_get_seed (FleetTestNkey *nkey);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetTestNkey, fleet_test_nkey_free)

char *fleet_test_jwt_sign (FleetTestNkey *issuer, const char *subject, const char *name,
                           const char *nats_claims);

/**
 * FleetTestNatsOperator:
 * @operator_jwt: the operator, whose system account is @system
 * @system: the system account (nats-server's `$SYS` for operator mode)
 * @account: the account of the tests' users, with JetStream
 * @system_jwt: @system's JWT, signed by the operator
 * @account_jwt: @account's JWT, signed by the operator
 */
typedef struct
{
  FleetTestNkey *operator_key;
  FleetTestNkey *system;
  FleetTestNkey *account;
  char *operator_jwt;
  char *system_jwt;
  char *account_jwt;
} FleetTestNatsOperator;

FleetTestNatsOperator *fleet_test_nats_operator_new (void);
void fleet_test_nats_operator_free (FleetTestNatsOperator *op);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetTestNatsOperator, fleet_test_nats_operator_free)

char *fleet_test_nats_operator_config (FleetTestNatsOperator *op, const char *dir);
char *fleet_test_nats_write_creds (FleetTestNkey *signer, const char *issuer, const char *dir,
                                   const char *name);

G_END_DECLS
