/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-config.h: fleetd's settings, from the command line and the
 * GKeyFile config file (contract §4); the command line wins.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* /etc/fleet/fleetd.conf and /var/lib/fleet (contract §4) when configured
 * with --sysconfdir=/etc --localstatedir=/var, as distributions do. */
#define FLEETD_DEFAULT_CONFIG_FILE SYSCONFDIR "/fleet/fleetd.conf"
#define FLEETD_DEFAULT_STATE_DIR LOCALSTATEDIR "/lib/fleet"
#define FLEETD_DEFAULT_PODMAN_SOCKET "/run/podman/podman.sock"
#define FLEETD_DEFAULT_MACHINE_ID_FILE "/etc/machine-id"
#define FLEETD_DEFAULT_TRUSTED_KEYS_DIR SYSCONFDIR "/fleet/trusted.d"
#define FLEETD_CONFIG_GROUP "fleetd"

/* Exit status of fleetd for a bad command line or config file. */
#define FLEETD_EXIT_USAGE 2

typedef enum
{
  FLEETD_RUNTIME_PODMAN,
  FLEETD_RUNTIME_FAKE,
} FleetdRuntimeKind;

typedef enum
{
  FLEETD_BUS_SYSTEM,
  FLEETD_BUS_SESSION,
  FLEETD_BUS_NONE,
} FleetdBusKind;

/**
 * FleetdConfig:
 * @config_file: the config file read (or the default, which may be missing)
 * @bus_explicit: --bus (or bus=) was given, so --once publishes the API too
 * @max_document_bytes: 0 for the library's default
 * @connect_timeout: seconds, 0 for the source's default
 * @fetch_timeout: seconds, 0 for the source's default
 * @require_signature: a FleetSignaturePolicy (auto, yes, no)
 *
 * Every other member is the option of the same name.
 */
typedef struct
{
  char *config_file;
  char *source;
  char *device_id;
  char *state_dir;
  FleetdRuntimeKind runtime;
  char *podman_socket;
  FleetdBusKind bus;
  gboolean bus_explicit;
  guint poll_interval;
  guint tick_interval;
  char *status_url;
  gboolean once;
  gboolean version;
  char *ca_file;
  char *client_cert;
  char *client_key;
  char *bearer_token_file;
  guint64 max_document_bytes;
  guint connect_timeout;
  guint fetch_timeout;
  int require_signature;
  char *trusted_keys_dir;
  char *registry_auth_file;
  char *nats_user;
  char *nats_password_file;
  char *nats_creds_file;
  char *nats_nkey;
  char *nats_nkey_seed_file;
  char *status_bucket;
} FleetdConfig;

FleetdConfig *fleetd_config_new (void);
void fleetd_config_free (FleetdConfig *config);
gboolean fleetd_config_parse (FleetdConfig *config, int *argc, char ***argv,
                              const char *default_config_file, GError **error);
gboolean fleetd_config_resolve_device_id (FleetdConfig *config, const char *machine_id_file,
                                          GError **error);
gboolean fleetd_config_check_complete (FleetdConfig *config, GError **error);
const char *fleetd_bus_kind_to_string (FleetdBusKind bus);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetdConfig, fleetd_config_free)

G_END_DECLS
