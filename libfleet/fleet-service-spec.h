/* fleet-service-spec.h: one validated service of a deployment, as the
 * runtimes need it to create a container.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * FleetPortMapping:
 * @host_ip: the host address to bind, or %NULL for all
 * @host_port: the host port
 * @container_port: the port inside the container
 * @protocol: "tcp" or "udp"
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
 */
typedef struct
{
  char *stop_signal;
  int stop_signal_number;
  guint grace_period_secs;
} FleetLifecycle;

#define FLEET_DEFAULT_STOP_SIGNAL "SIGTERM"
#define FLEET_DEFAULT_GRACE_PERIOD_SECS 30
#define FLEET_MAX_GRACE_PERIOD_SECS 3600

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
 * @lifecycle: the deployment's effective lifecycle
 * @digest: "sha256:<hex>" of the canonical service object with @lifecycle
 *
 * Immutable once built; shared by reference.  All members are read-only.
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
  FleetLifecycle lifecycle;
  char *digest;
};

GType fleet_service_spec_get_type (void) G_GNUC_CONST;
#define FLEET_TYPE_SERVICE_SPEC (fleet_service_spec_get_type ())

FleetServiceSpec *fleet_service_spec_ref (FleetServiceSpec *spec);
void fleet_service_spec_unref (FleetServiceSpec *spec);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetServiceSpec, fleet_service_spec_unref)

G_END_DECLS
