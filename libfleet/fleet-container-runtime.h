/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-container-runtime.h: the primitives a container runtime offers.
 * Implemented by FleetPodmanRuntime (podman's REST API) and FleetFakeRuntime
 * (in memory, for tests and benchmarks); tests/test-runtime-conformance.c
 * holds both to the same observable behaviour.
 *
 * Every operation acts on exactly what it is given and decides nothing: what
 * to call a container, which labels it carries and what to do when something
 * fails are the caller's business.
 */
#pragma once

#if !defined (__FLEET_H_INSIDE__) && !defined (FLEET_COMPILATION)
#error "Only <fleet/fleet.h> can be included directly."
#endif

#include <gio/gio.h>

#include "fleet-container-info.h"
#include "fleet-service-spec.h"

G_BEGIN_DECLS

/**
 * FleetContainerRuntime:
 *
 * A container runtime: the primitives fleet needs (pull, create, start, stop,
 * remove, inspect, list, rename, unpause, and the events of containers that
 * die).  Naming, adoption and liveness are the caller's; implementations are
 * #FleetPodmanRuntime and #FleetFakeRuntime.
 *
 * Since: 0.2
 */
#define FLEET_TYPE_CONTAINER_RUNTIME (fleet_container_runtime_get_type ())
G_DECLARE_INTERFACE (FleetContainerRuntime, fleet_container_runtime, FLEET, CONTAINER_RUNTIME,
                     GObject)

/**
 * FleetContainerRuntimeInterface:
 * @pull_image: make @image available locally; an image already there is used
 *   as it is.  FLEET_ERROR_PULL_FAILED when it cannot be had.
 * @create: create (not start) a container called @name from @spec's image,
 *   command, environment, ports, mounts, stop signal and grace period, with
 *   exactly @labels, and return its id.  @spec's names and digest are not
 *   used.  FLEET_ERROR_EXISTS when a container already has that name;
 *   FLEET_ERROR_START_FAILED when it cannot be created (no such image...).
 * @start: start a created or exited container (a running one is left as it
 *   is).  FLEET_ERROR_START_FAILED when it does not run (its command cannot
 *   be executed, it is paused...); the container is left where it was.
 * @stop: send @signal (0: the container's own stop signal) to a running or
 *   paused container, wait up to @grace_secs (negative: the container's own
 *   grace period) for it to exit, then kill it with SIGKILL; a grace of 0
 *   kills at once.  A container that is not running is left as it is.
 * @remove: remove a container that is not running; with @force, kill a
 *   running or paused one at once (SIGKILL) and remove it.  Without @force, a
 *   running or paused container makes it fail with FLEET_ERROR_RUNTIME.
 * @inspect: report on one container
 * @list: report on every container that passes the label filter ("KEY",
 *   "KEY=VALUE" or %NULL for all), in one request
 * @rename: give a container another name.  FLEET_ERROR_EXISTS when another
 *   container has it.
 * @unpause: let a paused container run again.  FLEET_ERROR_RUNTIME when it
 *   is not paused.
 * @watch_events: start emitting #FleetContainerRuntime::container-died
 * @network_ensure: create the network @name with a DNS server for its
 *   members (when the runtime's network backend has one) and exactly
 *   @labels, unless a network of that name exists, which is used as it is.
 *   Reports whether the network resolves its members' names.
 * @network_connect: join a container to @network, known there under its
 *   name and @aliases.  A container already on it is left as it is.
 *   FLEET_ERROR_NOT_FOUND when the network or the container does not exist.
 * @create_on_network: as @create, with the container on @network (and no
 *   other network) where it is known by its name and @aliases, in a network
 *   namespace of its own.  FLEET_ERROR_START_FAILED when there is no such
 *   network either.  Finished with @create_finish.
 * @network_disconnect: take a container off @network, where it is known
 *   by no name from then on; a running container loses that interface at
 *   once.  FLEET_ERROR_NOT_FOUND when the network or the container does not
 *   exist, or the container is not on the network.
 * @network_remove: remove the network @name.  FLEET_ERROR_NOT_FOUND when
 *   there is none; FLEET_ERROR_BUSY while containers are still on it.
 *
 * Every operation on a container takes its id or its name and fails with
 * FLEET_ERROR_NOT_FOUND when there is no such container; FLEET_ERROR_RUNTIME_UNAVAILABLE when the runtime cannot be
 * reached or does not answer; FLEET_ERROR_RUNTIME when it refuses otherwise.
 * Messages are one line.
 *
 * Since: 0.2
 */
struct _FleetContainerRuntimeInterface
{
  GTypeInterface g_iface;

  void (*pull_image) (FleetContainerRuntime *self, const char *image, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data);
  gboolean (*pull_image_finish) (FleetContainerRuntime *self, GAsyncResult *result,
                                 GError **error);

  void (*create) (FleetContainerRuntime *self, const char *name, FleetServiceSpec *spec,
                  GHashTable *labels, GCancellable *cancellable, GAsyncReadyCallback callback,
                  gpointer user_data);
  char *(*create_finish) (FleetContainerRuntime *self, GAsyncResult *result, GError **error);

  void (*start) (FleetContainerRuntime *self, const char *id, GCancellable *cancellable,
                 GAsyncReadyCallback callback, gpointer user_data);
  gboolean (*start_finish) (FleetContainerRuntime *self, GAsyncResult *result, GError **error);

  void (*stop) (FleetContainerRuntime *self, const char *id, int signal, int grace_secs,
                GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
  gboolean (*stop_finish) (FleetContainerRuntime *self, GAsyncResult *result, GError **error);

  void (*remove) (FleetContainerRuntime *self, const char *id, gboolean force,
                  GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
  gboolean (*remove_finish) (FleetContainerRuntime *self, GAsyncResult *result, GError **error);

  void (*inspect) (FleetContainerRuntime *self, const char *id, GCancellable *cancellable,
                   GAsyncReadyCallback callback, gpointer user_data);
  FleetContainerInfo *(*inspect_finish) (FleetContainerRuntime *self, GAsyncResult *result,
                                         GError **error);

  void (*list) (FleetContainerRuntime *self, const char *label, GCancellable *cancellable,
                GAsyncReadyCallback callback, gpointer user_data);
  GPtrArray *(*list_finish) (FleetContainerRuntime *self, GAsyncResult *result, GError **error);

  void (*rename) (FleetContainerRuntime *self, const char *id, const char *new_name,
                  GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
  gboolean (*rename_finish) (FleetContainerRuntime *self, GAsyncResult *result, GError **error);

  void (*unpause) (FleetContainerRuntime *self, const char *id, GCancellable *cancellable,
                   GAsyncReadyCallback callback, gpointer user_data);
  gboolean (*unpause_finish) (FleetContainerRuntime *self, GAsyncResult *result, GError **error);

  void (*watch_events) (FleetContainerRuntime *self);

  void (*network_ensure) (FleetContainerRuntime *self, const char *name, GHashTable *labels,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data);
  gboolean (*network_ensure_finish) (FleetContainerRuntime *self, GAsyncResult *result,
                                     gboolean *out_dns_enabled, GError **error);

  void (*network_connect) (FleetContainerRuntime *self, const char *network, const char *id,
                           const char *const *aliases, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data);
  gboolean (*network_connect_finish) (FleetContainerRuntime *self, GAsyncResult *result,
                                      GError **error);

  void (*network_remove) (FleetContainerRuntime *self, const char *name,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data);
  gboolean (*network_remove_finish) (FleetContainerRuntime *self, GAsyncResult *result,
                                     GError **error);

  void (*run_healthcheck) (FleetContainerRuntime *self, const char *id,
                           const FleetHealthcheck *check, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data);
  gboolean (*run_healthcheck_finish) (FleetContainerRuntime *self, GAsyncResult *result,
                                      gboolean *out_passed, char **out_output, GError **error);

  void (*create_on_network) (FleetContainerRuntime *self, const char *name,
                             FleetServiceSpec *spec, GHashTable *labels, const char *network,
                             const char *const *aliases, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data);

  void (*network_disconnect) (FleetContainerRuntime *self, const char *network, const char *id,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data);
  gboolean (*network_disconnect_finish) (FleetContainerRuntime *self, GAsyncResult *result,
                                         GError **error);

  /*< private >*/
  gpointer padding[5];
};

void fleet_container_runtime_pull_image_async (FleetContainerRuntime *self, const char *image,
                                               GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
gboolean fleet_container_runtime_pull_image_finish (FleetContainerRuntime *self,
                                                    GAsyncResult *result, GError **error);

void fleet_container_runtime_create_async (FleetContainerRuntime *self, const char *name,
                                           FleetServiceSpec *spec, GHashTable *labels,
                                           GCancellable *cancellable, GAsyncReadyCallback callback,
                                           gpointer user_data);
char *fleet_container_runtime_create_finish (FleetContainerRuntime *self, GAsyncResult *result,
                                             GError **error);

void fleet_container_runtime_start_async (FleetContainerRuntime *self, const char *id,
                                          GCancellable *cancellable, GAsyncReadyCallback callback,
                                          gpointer user_data);
gboolean fleet_container_runtime_start_finish (FleetContainerRuntime *self, GAsyncResult *result,
                                               GError **error);

void fleet_container_runtime_stop_async (FleetContainerRuntime *self, const char *id, int signal,
                                         int grace_secs, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
gboolean fleet_container_runtime_stop_finish (FleetContainerRuntime *self, GAsyncResult *result,
                                              GError **error);

void fleet_container_runtime_remove_async (FleetContainerRuntime *self, const char *id,
                                           gboolean force, GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
gboolean fleet_container_runtime_remove_finish (FleetContainerRuntime *self, GAsyncResult *result,
                                                GError **error);

void fleet_container_runtime_inspect_async (FleetContainerRuntime *self, const char *id,
                                            GCancellable *cancellable, GAsyncReadyCallback callback,
                                            gpointer user_data);
FleetContainerInfo *fleet_container_runtime_inspect_finish (FleetContainerRuntime *self,
                                                            GAsyncResult *result, GError **error);

void fleet_container_runtime_list_async (FleetContainerRuntime *self, const char *label,
                                         GCancellable *cancellable, GAsyncReadyCallback callback,
                                         gpointer user_data);
GPtrArray *fleet_container_runtime_list_finish (FleetContainerRuntime *self, GAsyncResult *result,
                                                GError **error);

void fleet_container_runtime_rename_async (FleetContainerRuntime *self, const char *id,
                                           const char *new_name, GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
gboolean fleet_container_runtime_rename_finish (FleetContainerRuntime *self, GAsyncResult *result,
                                                GError **error);

void fleet_container_runtime_unpause_async (FleetContainerRuntime *self, const char *id,
                                            GCancellable *cancellable, GAsyncReadyCallback callback,
                                            gpointer user_data);
gboolean fleet_container_runtime_unpause_finish (FleetContainerRuntime *self, GAsyncResult *result,
                                                 GError **error);

void fleet_container_runtime_watch_events (FleetContainerRuntime *self);

void fleet_container_runtime_network_ensure_async (FleetContainerRuntime *self, const char *name,
                                                   GHashTable *labels, GCancellable *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer user_data);
gboolean fleet_container_runtime_network_ensure_finish (FleetContainerRuntime *self,
                                                        GAsyncResult *result,
                                                        gboolean *out_dns_enabled, GError **error);

void fleet_container_runtime_network_connect_async (
    FleetContainerRuntime *self, const char *network, const char *id, const char *const *aliases,
    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
gboolean fleet_container_runtime_network_connect_finish (FleetContainerRuntime *self,
                                                         GAsyncResult *result, GError **error);

void fleet_container_runtime_create_on_network_async (FleetContainerRuntime *self,
                                                      const char *name, FleetServiceSpec *spec,
                                                      GHashTable *labels, const char *network,
                                                      const char *const *aliases,
                                                      GCancellable *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer user_data);

void fleet_container_runtime_network_disconnect_async (FleetContainerRuntime *self,
                                                       const char *network, const char *id,
                                                       GCancellable *cancellable,
                                                       GAsyncReadyCallback callback,
                                                       gpointer user_data);
gboolean fleet_container_runtime_network_disconnect_finish (FleetContainerRuntime *self,
                                                            GAsyncResult *result,
                                                            GError **error);

void fleet_container_runtime_network_remove_async (FleetContainerRuntime *self, const char *name,
                                                   GCancellable *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer user_data);
gboolean fleet_container_runtime_network_remove_finish (FleetContainerRuntime *self,
                                                        GAsyncResult *result, GError **error);
void fleet_container_runtime_run_healthcheck_async (FleetContainerRuntime *self, const char *id,
                                                    const FleetHealthcheck *check,
                                                    GCancellable *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer user_data);
gboolean fleet_container_runtime_run_healthcheck_finish (FleetContainerRuntime *self,
                                                         GAsyncResult *result,
                                                         gboolean *out_passed, char **out_output,
                                                         GError **error);

void fleet_container_runtime_emit_container_died (FleetContainerRuntime *self,
                                                  const char *container_id,
                                                  const char *deployment, const char *service);

G_END_DECLS
