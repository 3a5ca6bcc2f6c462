/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-conformance.h: the backends tests/test-runtime-conformance.c runs
 * every case against, and the helpers its cases share. */
#pragma once

#include <fleet.h>

#include "fleet-podman-harness.h"

G_BEGIN_DECLS

/* An id no container has. */
#define CONF_NO_SUCH_ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

typedef struct _ConfBackend ConfBackend;

typedef struct
{
  const ConfBackend *backend;
  FleetContainerRuntime *rt; /* NULL when the backend cannot be used here */
  FleetFakeRuntime *fake;
  FleetPodmanHarness *h;
  GPtrArray *documents;      /* the specs' */
  GPtrArray *deaths;         /* "ID DEPLOYMENT/SERVICE", as reported */
} ConfFixture;

struct _ConfBackend
{
  const char *name;
  gboolean (*setup) (ConfFixture *f);
  void (*teardown) (ConfFixture *f);
  void (*settle) (ConfFixture *f, const char *id); /* its process handles signals by now */
  void (*pause) (ConfFixture *f, const char *id);  /* behind the runtime's back */
  void (*crash) (ConfFixture *f, const char *id);  /* SIGKILLed behind the runtime's back */
  /* @name held by a container the runtime does not list; FALSE: cannot here */
  gboolean (*hold_name) (ConfFixture *f, const char *name, const char *image);
};

#define CONF_N_BACKENDS 2
extern const ConfBackend conf_backends[CONF_N_BACKENDS];

void conf_fixture_setup (ConfFixture *f, const ConfBackend *backend);
void conf_fixture_teardown (ConfFixture *f);

FleetServiceSpec *conf_spec (ConfFixture *f, const char *tag, const char *signal, int grace);
FleetServiceSpec *conf_spec_restart (ConfFixture *f, const char *tag, const char *signal,
                                     int grace, const char *restart);
GHashTable *conf_labels (const char *deployment, FleetServiceSpec *spec);
char *conf_create (ConfFixture *f, const char *name, FleetServiceSpec *spec,
                   const char *deployment);
char *conf_run (ConfFixture *f, const char *name, FleetServiceSpec *spec, const char *deployment);
FleetContainerInfo *conf_inspect (ConfFixture *f, const char *id);
FleetContainerState conf_state (ConfFixture *f, const char *id);
int conf_exit_code (ConfFixture *f, const char *id);
void conf_assert_error (GError *error, FleetError code);
void conf_stop_ok (ConfFixture *f, const char *id, int signal, int grace);
FleetContainerInfo *conf_find (GPtrArray *list, const char *id);
GPtrArray *conf_list (ConfFixture *f, const char *label);
void conf_watch (ConfFixture *f);
const char *conf_died (ConfFixture *f, const char *id);
void conf_wait_for_death (ConfFixture *f, const char *id);

/* fleet-conformance-health.c */
void conf_test_healthcheck_passes (ConfFixture *f, gconstpointer data);
void conf_test_healthcheck_fails (ConfFixture *f, gconstpointer data);
void conf_test_healthcheck_not_running (ConfFixture *f, gconstpointer data);

/* fleet-conformance-restart.c */
void conf_test_policy_stays_stopped (ConfFixture *f, gconstpointer data);

G_END_DECLS
