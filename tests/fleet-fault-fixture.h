/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-fault-fixture.h: what the fault scenarios share: a fleetd rig per
 * test, documents, and checks of the containers podman really has. */
#pragma once

#include "fleet-fault-podman.h"
#include "fleet-fault-rig.h"

G_BEGIN_DECLS

/* Service scripts: $0 (the command's last word) names the version. */
#define FAULT_SCRIPT_LOOP "while :; do sleep 1 & wait; done"
#define FAULT_SCRIPT_POLITE "trap 'exit 0' TERM INT; " FAULT_SCRIPT_LOOP
/* Ignores its stop signal; writes /data/term when it gets one. */
#define FAULT_SCRIPT_STUBBORN "trap 'echo TERM >> /data/term' TERM INT; " FAULT_SCRIPT_LOOP

typedef enum
{
  FAULT_NEEDS_NOTHING = 0,
  FAULT_NEEDS_PODMAN = 1 << 0,
  FAULT_NEEDS_ROOT = 1 << 1,
} FaultNeeds;

typedef struct
{
  const char *fault; /* the fault it proves: a defect of issue 9 ("3"), or NULL */
  FaultNeeds needs;
} FaultScenario;

typedef struct
{
  gboolean ready; /* FALSE: skipped */
  FleetPodmanHarness *h;
  FleetFaultRig *rig;
  GPtrArray *mounts;   /* to unmount at teardown, last first */
  guint events_before; /* podman's events of the tests before this one */
} FaultFixture;

void fault_private_mounts (void);
void fault_fixture_setup (FaultFixture *f, gconstpointer scenario);
void fault_fixture_teardown (FaultFixture *f, gconstpointer scenario);
void fault_fixture_mount (FaultFixture *f, const char *source, const char *fstype,
                          unsigned long flags, const char *data);

char *fault_service_json (const char *name, guint version, const char *script,
                          const char *extra);
const char *fault_service_image (guint version);
char *fault_deployment_json (const char *name, guint grace_secs, const char *first_service,
                             ...) G_GNUC_NULL_TERMINATED;
char *fault_document_json (guint generation, const char *first_deployment,
                           ...) G_GNUC_NULL_TERMINATED;
char *fault_app_document (guint version, const char *script);
char *fault_spec_digest (const char *document, const char *deployment, const char *service);

typedef struct
{
  FaultFixture *f;
  const char *deployment;
  const char *service;
  const char *digest; /* or NULL for any */
  char *id;           /* out: the container found */
} FaultServiceWait;

gboolean fault_service_is_running (gpointer wait);
gboolean fault_service_is_recorded (gpointer wait);
char *fault_wait_recorded (FaultFixture *f, const char *deployment, const char *service,
                           const char *digest);

/* Run the podman CLI on the test's podman; the test fails if it fails. */
#define FAULT_PODMAN(f, out_stdout, ...)                                                           \
  G_STMT_START                                                                                     \
  {                                                                                                \
    g_autoptr(GError) podman_error_ = NULL;                                                        \
    fleet_podman_harness_podman ((f)->h, (out_stdout), &podman_error_, __VA_ARGS__, NULL);         \
    g_assert_no_error (podman_error_);                                                             \
  }                                                                                                \
  G_STMT_END

char *fault_container_state (FaultFixture *f, const char *id);
guint fault_count_starts_of (FaultFixture *f, const char *id);
guint fault_count_lifecycle_events (FaultFixture *f);
gboolean fault_check_starts (FaultFixture *f, GHashTable *version_of_digest, GString *problems);

G_END_DECLS
