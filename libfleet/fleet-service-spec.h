/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-service-spec.h: one validated service of a deployment, as the
 * runtimes need it to create a container.
 */
#pragma once

#if !defined (__FLEET_H_INSIDE__) && !defined (FLEET_COMPILATION)
#error "Only <fleet/fleet.h> can be included directly."
#endif

#include <glib-object.h>

#include "fleet-health-spec.h"

G_BEGIN_DECLS

/**
 * FleetPortMapping:
 * @host_ip: the host address to bind, or %NULL for all
 * @host_port: the host port
 * @container_port: the port inside the container
 * @protocol: "tcp" or "udp"
 *
 * A port of a service's container published on the host.
 *
 * Since: 0.2
 */
typedef struct
{
  char *host_ip;
  guint16 host_port;
  guint16 container_port;
  char *protocol;
} FleetPortMapping;

/**
 * FleetVolumeMount:
 * @source: an absolute host path, or the name of a named volume
 * @destination: the absolute path inside the container
 * @read_only: whether the mount is read-only
 *
 * A host path or named volume mounted in a service's container.
 *
 * Since: 0.2
 */
typedef struct
{
  char *source;
  char *destination;
  gboolean read_only;
} FleetVolumeMount;

gboolean fleet_volume_mount_is_named_volume (const FleetVolumeMount *mount);

/**
 * FleetLifecycle:
 * @stop_signal: the canonical signal name, e.g. "SIGTERM"
 * @stop_signal_number: its number
 * @grace_period_secs: how long a stop waits before SIGKILL
 *
 * The effective lifecycle of a deployment: defaults filled in.
 *
 * Since: 0.2
 */
typedef struct
{
  char *stop_signal;
  int stop_signal_number;
  guint grace_period_secs;
} FleetLifecycle;

/**
 * FLEET_DEFAULT_STOP_SIGNAL:
 *
 * The signal that stops a container, unless its document says otherwise.
 *
 * Since: 0.2
 */
#define FLEET_DEFAULT_STOP_SIGNAL "SIGTERM"
/**
 * FLEET_DEFAULT_GRACE_PERIOD_SECS:
 *
 * How long a container is given to stop after its stop signal, in seconds,
 * unless its document says otherwise.
 *
 * Since: 0.2
 */
#define FLEET_DEFAULT_GRACE_PERIOD_SECS 30
/**
 * FLEET_MAX_GRACE_PERIOD_SECS:
 *
 * The longest grace period a document may give, in seconds.
 *
 * Since: 0.2
 */
#define FLEET_MAX_GRACE_PERIOD_SECS 3600

/**
 * FleetServiceRestart:
 * @FLEET_SERVICE_RESTART_ALWAYS: restart whenever the container exits (the default)
 * @FLEET_SERVICE_RESTART_ON_FAILURE: restart only after a non-zero exit
 * @FLEET_SERVICE_RESTART_NO: a one-shot job: it runs to completion once per spec
 *
 * When a service's container is restarted after it exits.
 *
 * Since: 0.2
 */
typedef enum
{
  FLEET_SERVICE_RESTART_ALWAYS,
  FLEET_SERVICE_RESTART_ON_FAILURE,
  FLEET_SERVICE_RESTART_NO,
} FleetServiceRestart;

/**
 * FleetNetworkMode:
 * @FLEET_NETWORK_MODE_BRIDGE: the container's own network namespace (the default)
 * @FLEET_NETWORK_MODE_HOST: the host's network namespace
 * @FLEET_NETWORK_MODE_NONE: a network namespace with only a loopback interface
 *
 * The network a service's container joins.
 *
 * Since: 0.2
 */
typedef enum
{
  FLEET_NETWORK_MODE_BRIDGE,
  FLEET_NETWORK_MODE_HOST,
  FLEET_NETWORK_MODE_NONE,
} FleetNetworkMode;

/**
 * FleetLogDriver:
 * @FLEET_LOG_DRIVER_DEFAULT: podman's configured default
 * @FLEET_LOG_DRIVER_JOURNALD: the systemd journal
 * @FLEET_LOG_DRIVER_K8S_FILE: a file per container, size-limited with @log_max_size
 * @FLEET_LOG_DRIVER_NONE: the container's output is discarded
 *
 * Where a service's container logs go.
 *
 * Since: 0.2
 */
typedef enum
{
  FLEET_LOG_DRIVER_DEFAULT,
  FLEET_LOG_DRIVER_JOURNALD,
  FLEET_LOG_DRIVER_K8S_FILE,
  FLEET_LOG_DRIVER_NONE,
} FleetLogDriver;

/**
 * FleetDeviceMapping:
 * @host_path: the device node on the host (absolute)
 * @container_path: where it appears in the container (absolute)
 * @permissions: the cgroup permissions, a subset of "rwm"
 *
 * A host device given to a service's container.
 *
 * Since: 0.2
 */
typedef struct
{
  char *host_path;
  char *container_path;
  char *permissions;
} FleetDeviceMapping;

/**
 * FleetDeviceCgroupRule:
 * @type: 'a' (all), 'b' (block) or 'c' (character)
 * @major: the major number, or -1 for any
 * @minor: the minor number, or -1 for any
 * @access: a subset of "rwm"
 *
 * A device cgroup rule of a service.
 *
 * Since: 0.2
 */
typedef struct
{
  char type;
  gint64 major;
  gint64 minor;
  char *access;
} FleetDeviceCgroupRule;

/**
 * FleetTmpfsMount:
 * @destination: the absolute path inside the container
 * @options: (array zero-terminated=1): mount options such as "size=64m", never %NULL
 *
 * A tmpfs mounted in a service's container.
 *
 * Since: 0.2
 */
typedef struct
{
  char *destination;
  char **options;
} FleetTmpfsMount;

/**
 * FleetDependencyCondition:
 * @FLEET_DEPENDENCY_SERVICE_STARTED: the dependency's container has started
 * @FLEET_DEPENDENCY_SERVICE_COMPLETED_SUCCESSFULLY: the dependency ran to completion
 *   and exited 0
 *
 * When a service that another depends on counts as ready.
 *
 * Since: 0.2
 */
typedef enum
{
  FLEET_DEPENDENCY_SERVICE_STARTED,
  FLEET_DEPENDENCY_SERVICE_COMPLETED_SUCCESSFULLY,
} FleetDependencyCondition;

/**
 * FleetServiceDependency:
 * @service: the name of a service of the same deployment
 * @condition: what it must have done before the dependant starts
 *
 * A service another service depends on, and when it counts as ready.
 *
 * Since: 0.2
 */
typedef struct
{
  char *service;
  FleetDependencyCondition condition;
} FleetServiceDependency;

const char *fleet_service_restart_to_string (FleetServiceRestart policy);
const char *fleet_dependency_condition_to_string (FleetDependencyCondition condition);

/**
 * FleetServiceSpec:
 * @deployment: the deployment name
 * @name: the service name
 * @container_name: "<deployment>_<service>"
 * @image: the image reference
 * @command: (nullable): the container's full argv, or %NULL for the image's
 * @env: "KEY=VALUE" strings sorted by key (never %NULL)
 * @ports: (element-type FleetPortMapping): port mappings
 * @volumes: (element-type FleetVolumeMount): mounts
 * @restart: the effective restart policy
 * @restart_is_default: %TRUE when the document does not write `restart`
 * @restart_max_retries: for %FLEET_SERVICE_RESTART_ON_FAILURE, the most restarts, or 0 for no limit
 * @devices: (element-type FleetDeviceMapping): host devices
 * @device_cgroup_rules: (element-type FleetDeviceCgroupRule): extra device access
 * @privileged: whether the container runs privileged
 * @cap_add: (array zero-terminated=1): capabilities added, "CAP_*" or "ALL"; never %NULL
 * @cap_drop: (array zero-terminated=1): capabilities dropped, "CAP_*" or "ALL"; never %NULL
 * @network_mode: the network namespace
 * @mem_limit: the memory limit in bytes, or 0 for none
 * @cpus: how many CPUs' worth of time the container may use, or 0 for no limit
 * @pids_limit: the most processes, -1 for no limit, or 0 for podman's default
 * @user: (nullable): "USER[:GROUP]" the process runs as, or %NULL for the image's
 * @working_dir: (nullable): the process's working directory, or %NULL for the image's
 * @read_only: whether the root filesystem is mounted read-only
 * @tmpfs: (element-type FleetTmpfsMount): tmpfs mounts
 * @labels: "KEY=VALUE" strings sorted by key (never %NULL); the fleet.* labels are not
 *   among them
 * @hostname: (nullable): the container's host name, or %NULL for podman's
 * @log_driver: where the container's output goes
 * @log_max_size: for %FLEET_LOG_DRIVER_K8S_FILE, the log file's size limit in bytes, or 0
 * @depends_on: (element-type FleetServiceDependency): the services of the deployment that
 *   must start (or complete) first, in document order
 * @canonical: the service object in canonical form, as written (without the lifecycle)
 * @lifecycle: the deployment's effective lifecycle
 * @digest: "sha256:<hex>" of the canonical service object with @lifecycle
 * @healthcheck: (nullable): the effective health check, or %NULL for none
 * @update_config: how the service's container is replaced when it changes
 *
 * Immutable once built; shared by reference.  All members are read-only.
 *
 * Since: 0.2
 */
typedef struct _FleetServiceSpec FleetServiceSpec;

struct _FleetServiceSpec
{
  /*< private >*/
  gatomicrefcount ref;
  /*< public >*/
  char *deployment;
  char *name;
  char *container_name;
  char *image;
  char **command;
  char **env;
  GPtrArray *ports;
  GPtrArray *volumes;
  FleetServiceRestart restart;
  gboolean restart_is_default;
  guint restart_max_retries;
  GPtrArray *devices;
  GPtrArray *device_cgroup_rules;
  gboolean privileged;
  char **cap_add;
  char **cap_drop;
  FleetNetworkMode network_mode;
  gint64 mem_limit;
  double cpus;
  gint64 pids_limit;
  char *user;
  char *working_dir;
  gboolean read_only;
  GPtrArray *tmpfs;
  char **labels;
  char *hostname;
  FleetLogDriver log_driver;
  gint64 log_max_size;
  GPtrArray *depends_on;
  char *canonical;
  FleetLifecycle lifecycle;
  char *digest;
  FleetHealthcheck *healthcheck;
  FleetUpdateConfig update_config;
};

GType fleet_service_spec_get_type (void) G_GNUC_CONST;
#define FLEET_TYPE_SERVICE_SPEC (fleet_service_spec_get_type ())

FleetServiceSpec *fleet_service_spec_ref (FleetServiceSpec *spec);
void fleet_service_spec_unref (FleetServiceSpec *spec);
char **fleet_service_spec_changed_fields (FleetServiceSpec *old_spec,
                                          FleetServiceSpec *new_spec);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetServiceSpec, fleet_service_spec_unref)

G_END_DECLS
