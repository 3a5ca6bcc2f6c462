/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-fake-runtime-private.h: the pieces FleetFakeRuntime is built from:
 * its model of containers and the call log (fleet-fake-runtime.c), the
 * primitives a caller uses (fleet-fake-runtime-ops.c) and the knobs and
 * look-ups tests use (fleet-fake-runtime-knobs.c).  Not installed.
 */
#pragma once

#include "fleet-fake-runtime.h"

G_BEGIN_DECLS

/* Exit codes as podman reports them: 128 + the signal that ended the process. */
#define FAKE_EXIT_SIGNALLED(signal) (128 + (signal))
#define FAKE_EXIT_CODE_DEFAULT 1

typedef struct
{
  FleetContainerInfo *info; /* live: changed in place */
  FleetServiceSpec *spec;   /* NULL for containers added by a test */
  int stop_signal;
  guint grace_period_secs;
  gboolean half_removed; /* refuses stop and plain removal, as podman leaves one */
  gboolean restart_due;  /* the policy restarts it when fleet next starts it */
} FakeContainer;

struct _FleetFakeRuntime
{
  GObject parent_instance;

  GPtrArray *containers; /* FakeContainer, in creation order */
  GPtrArray *calls;
  guint64 next_id;
  char *id_salt;
  GHashTable *pulled;        /* images pulled at least once */
  GHashTable *pull_fails;
  GHashTable *pull_hangs;
  GHashTable *start_fails;
  GHashTable *ignores_stop;
  GHashTable *exits_at_once; /* image -> exit code */
  GHashTable *held_names;    /* name -> id, held outside the list (storage) */
  GHashTable *unhealthy;     /* image -> the failed check's output, or NULL: hangs */
  gboolean unreachable;
  guint refused;
  gboolean watching;
  guint latency_msecs;
  GHashTable *networks; /* the names of the networks there are */
  gboolean networks_without_dns;
};

/* fleet-fake-runtime.c: the model */

void _fleet_fake_log_call (FleetFakeRuntime *self, const char *format, ...) G_GNUC_PRINTF (2, 3);
FakeContainer *_fleet_fake_find (FleetFakeRuntime *self, const char *id_or_name,
                                 guint *out_index);
FakeContainer *_fleet_fake_add (FleetFakeRuntime *self, const char *name, const char *image);
void _fleet_fake_exit (FleetFakeRuntime *self, FakeContainer *c, int exit_code);
void _fleet_fake_run (FleetFakeRuntime *self, FakeContainer *c);
void _fleet_fake_restart_due (FleetFakeRuntime *self, FakeContainer *c);
void _fleet_fake_discard (FleetFakeRuntime *self, FakeContainer *c);
gboolean _fleet_fake_image_known (FleetFakeRuntime *self, const char *image);

typedef void (*FakeOperation) (FleetFakeRuntime *self, GTask *task);

void _fleet_fake_schedule (FleetFakeRuntime *self, GTask *task, FakeOperation op);

/* fleet-fake-runtime-ops.c: the primitives */

void _fleet_fake_runtime_iface_init (FleetContainerRuntimeInterface *iface);

/* fleet-fake-runtime-network.c: the network primitives */

void _fleet_fake_runtime_network_iface_init (FleetContainerRuntimeInterface *iface);
/* fleet-fake-runtime-health.c: health checks */

void _fleet_fake_runtime_health_iface_init (FleetContainerRuntimeInterface *iface);

G_END_DECLS
