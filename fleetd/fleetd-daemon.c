/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-daemon.c: the fleetd process around the agent: build the runtime,
 * reconciler, source and agent from the settings, publish the D-Bus API,
 * report status, talk to systemd, read the trusted keys again when they
 * change (or on SIGHUP), and stop cleanly on SIGTERM/SIGINT.
 *
 * The bus name is acquired before the agent starts: a second fleetd on the
 * same bus then fails at once instead of fighting the first over the
 * containers.
 */
#include "config.h"

#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "fleetd-daemon.h"
#include "fleetd-agent.h"
#include "fleetd-dbus-agent.h"
#include "fleetd-nats-status.h"
#include "fleetd-notify.h"
#include "fleetd-runtime.h"
#include "fleetd-status-http.h"
#include "fleetd-status-reporter.h"
#include "fleetd-trust-watch.h"
#include "fleet-util-private.h"
#include "fleetd-log.h"

typedef struct
{
  FleetdConfig *config; /* borrowed */
  GMainLoop *loop;
  int exit_code;
  gboolean stopping;

  FleetReconciler *reconciler;
  FleetDocumentVerifier *verifier;
  FleetdAgent *agent;
  FleetdDBusAgent *dbus_agent;
  GDBusConnection *connection;
  guint owner_id;
  gboolean name_acquired;
  FleetdStatusReporter *reporter;
  FleetNatsSource *nats_source;
  FleetdStatusReporter *nats_status;
  FleetdNotifier *notifier;
  char *notified_status;
  guint sigterm_id;
  guint sigint_id;
  guint sighup_id;
  FleetdTrustWatch *trust_watch;
} Daemon;

/* How long the trusted keys directory must be quiet before it is read
 * again. */
#define TRUST_SETTLE_MSECS 500

static void begin_shutdown (Daemon *daemon, int exit_code);

static void
daemon_free (Daemon *daemon)
{
  g_clear_handle_id (&daemon->sigterm_id, g_source_remove);
  g_clear_handle_id (&daemon->sigint_id, g_source_remove);
  g_clear_handle_id (&daemon->sighup_id, g_source_remove);
  g_clear_object (&daemon->trust_watch);
  g_clear_handle_id (&daemon->owner_id, g_bus_unown_name);
  if (daemon->dbus_agent)
    g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (daemon->dbus_agent));
  if (daemon->agent)
    g_signal_handlers_disconnect_by_data (daemon->agent, daemon);
  if (daemon->reconciler)
    g_signal_handlers_disconnect_by_data (daemon->reconciler, daemon);
  if (daemon->connection)
    g_signal_handlers_disconnect_by_data (daemon->connection, daemon);
  g_clear_object (&daemon->dbus_agent);
  g_clear_object (&daemon->connection);
  g_clear_object (&daemon->reporter);
  g_clear_object (&daemon->nats_status);
  g_clear_object (&daemon->nats_source);
  g_clear_object (&daemon->notifier);
  g_clear_object (&daemon->agent);
  g_clear_object (&daemon->verifier);
  g_clear_object (&daemon->reconciler);
  g_free (daemon->notified_status);
  g_main_loop_unref (daemon->loop);
  g_free (daemon);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Daemon, daemon_free)


/* Building the agent. */

/* Each source type has its own options; --fetch-timeout and
 * --max-document-bytes apply to both. */
static FleetSource *
new_source (FleetdConfig *config, GError **error)
{
  const char *scheme = g_uri_peek_scheme (config->source);

  if (g_strcmp0 (scheme, "http") == 0 || g_strcmp0 (scheme, "https") == 0)
    {
      FleetHttpSourceOptions options;

      fleet_http_source_options_init (&options);
      options.device_id = config->device_id;
      if (config->max_document_bytes)
        options.max_bytes = config->max_document_bytes;
      if (config->connect_timeout)
        options.connect_timeout_secs = config->connect_timeout;
      if (config->fetch_timeout)
        options.timeout_secs = config->fetch_timeout;
      options.ca_file = config->ca_file;
      options.client_cert_file = config->client_cert;
      options.client_key_file = config->client_key;
      options.bearer_token_file = config->bearer_token_file;
      return fleet_http_source_new (config->source, &options, error);
    }
  if (fleetd_config_is_nats (config))
    return fleetd_nats_source_new (config, error);
  if (scheme == NULL || g_str_equal (scheme, "file"))
    {
      g_autofree char *path = fleet_source_expand_uri (config->source, config->device_id);
      FleetFileSourceOptions options;

      fleet_file_source_options_init (&options);
      if (config->max_document_bytes)
        options.max_bytes = config->max_document_bytes;
      if (config->fetch_timeout)
        options.timeout_secs = config->fetch_timeout;
      return fleet_file_source_new (path, &options, error);
    }
  /* Not one fleetd knows: the library says so. */
  return fleet_source_new_for_uri (config->source, config->device_id, error);
}

/* Create the state directory, and refuse one fleetd cannot write (read-only,
 * not its own): otherwise it would start containers that no record holds.
 * The probe file is empty, so a full disk is not refused: fleetd reports
 * failed saves and retries them, and the containers keep being watched. */
static gboolean
prepare_state_dir (const char *dir, GError **error)
{
  g_autofree char *probe = g_build_filename (dir, ".fleetd-probe-XXXXXX", NULL);
  int fd;
  int saved_errno = 0;

  if (g_mkdir_with_parents (dir, 0700) < 0)
    return fleet_throw (error, FLEET_ERROR_FAILED, "cannot create the state directory %s: %s",
                        dir, g_strerror (errno));
  fd = g_mkstemp_full (probe, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    return fleet_throw (error, FLEET_ERROR_FAILED, "cannot write to the state directory %s: %s",
                        dir, g_strerror (errno));
  if (fsync (fd) < 0)
    saved_errno = errno;
  close (fd);
  if (g_unlink (probe) < 0 && saved_errno == 0)
    saved_errno = errno;
  if (saved_errno != 0)
    return fleet_throw (error, FLEET_ERROR_FAILED, "cannot write to the state directory %s: %s",
                        dir, g_strerror (saved_errno));
  return TRUE;
}

static gboolean
build_agent (Daemon *daemon, GError **error)
{
  FleetdConfig *config = daemon->config;
  g_autoptr(FleetContainerRuntime) runtime = NULL;
  g_autoptr(FleetSource) source = NULL;
  FleetLimits limits;

  runtime = fleetd_runtime_new (config, error);
  if (runtime == NULL)
    return FALSE;
  source = new_source (config, error);
  if (source == NULL)
    return fleet_prefix_error (error, "--source");
  if (!prepare_state_dir (config->state_dir, error))
    return FALSE;
  if (FLEET_IS_NATS_SOURCE (source))
    daemon->nats_source = g_object_ref (FLEET_NATS_SOURCE (source));
  fleet_limits_init_default (&limits);
  if (config->max_document_bytes)
    limits.max_document_bytes = config->max_document_bytes;
  daemon->verifier = fleet_document_verifier_new (config->trusted_keys_dir,
                                                  config->require_signature, config->state_dir,
                                                  error);
  if (daemon->verifier == NULL)
    return fleet_prefix_error (error, "trusted-keys-dir");
  daemon->reconciler = fleet_reconciler_new (runtime, config->state_dir);
  daemon->agent = fleetd_agent_new (daemon->reconciler, source, config->device_id, &limits);
  fleetd_agent_set_verifier (daemon->agent, daemon->verifier);
  fleetd_agent_set_intervals (daemon->agent, config->poll_interval, config->tick_interval);
  if (!fleetd_agent_load_state (daemon->agent, error))
    return fleet_prefix_error (error, config->state_dir);
  return TRUE;
}

/* Say at start whether documents must be signed, and with which keys; and
 * each key file that was skipped. */
static void
log_trust (Daemon *daemon, const char *reason)
{
  FleetDocumentVerifier *verifier = daemon->verifier;
  GPtrArray *problems = fleet_document_verifier_get_problems (verifier);
  g_autofree char *keys = fleet_document_verifier_describe_keys (verifier);
  guint n_keys = fleet_document_verifier_get_n_keys (verifier);
  gboolean required = fleet_document_verifier_get_required (verifier);
  const char *why;

  for (guint i = 0; i < problems->len; i++)
    {
      g_autofree char *quoted = fleet_log_quote (problems->pdata[i]);

      fleetd_log_event (G_LOG_LEVEL_MESSAGE, "trust", "result=error error=%s", quoted);
    }
  if (required && n_keys == 0)
    why = "require-signature=yes and no trusted key: every document is refused";
  else if (required)
    why = "documents must be signed by a trusted key";
  else if (n_keys > 0)
    why = "require-signature=no: unsigned documents are accepted, signatures are checked";
  else
    why = "no trusted key: documents are not checked";
  fleetd_log_event (G_LOG_LEVEL_MESSAGE, "trust",
                    "reason=%s dir=%s keys=%s require_signature=%s (%s)", reason,
                    daemon->config->trusted_keys_dir, keys, required ? "yes" : "no", why);
}

/* Trusted keys added or removed while running: trust them from now on,
 * and fetch again at once, since a document refused for want of its key
 * may be accepted now. */
static void
reload_trust (Daemon *daemon, const char *reason)
{
  g_autoptr(GError) error = NULL;
  gboolean changed = FALSE;

  if (!fleet_document_verifier_reload_keys (daemon->verifier, &changed, &error))
    {
      g_autofree char *quoted = fleet_log_quote (error->message);

      fleetd_log_event (G_LOG_LEVEL_WARNING, "trust",
                        "result=error reason=%s error=%s (the keys trusted so far stay trusted)",
                        reason, quoted);
      return;
    }
  /* A burst of events that changed nothing is not worth a line; a SIGHUP
   * always gets its answer. */
  if (!changed && g_str_equal (reason, "directory-changed")
      && fleet_document_verifier_get_problems (daemon->verifier)->len == 0)
    return;
  log_trust (daemon, reason);
  if (changed && !daemon->stopping)
    fleetd_agent_fetch_now (daemon->agent);
}

static void
on_trust_dir_changed (FleetdTrustWatch *watch, gpointer user_data)
{
  reload_trust (user_data, "directory-changed");
}

static gboolean
on_sighup (gpointer user_data)
{
  reload_trust (user_data, "SIGHUP");
  return G_SOURCE_CONTINUE;
}

/* Not fatal: keys are then read at start and on SIGHUP only. */
static void
watch_trust (Daemon *daemon)
{
  g_autoptr(GError) error = NULL;

  daemon->sighup_id = g_unix_signal_add (SIGHUP, on_sighup, daemon);
  daemon->trust_watch = fleetd_trust_watch_new (daemon->config->trusted_keys_dir,
                                                TRUST_SETTLE_MSECS, &error);
  if (daemon->trust_watch == NULL)
    {
      g_autofree char *quoted = fleet_log_quote (error->message);

      fleetd_log_event (G_LOG_LEVEL_WARNING, "trust",
                        "result=error error=%s (keys are read again on SIGHUP only)", quoted);
      return;
    }
  g_signal_connect (daemon->trust_watch, "changed", G_CALLBACK (on_trust_dir_changed), daemon);
}

/* Reporting: the status URL and systemd. */

static char *
build_status_json (gpointer user_data)
{
  return fleetd_agent_build_status_json (user_data, FALSE);
}

static void
notify_systemd_status (Daemon *daemon)
{
  FleetReconciler *reconciler = daemon->reconciler;
  FleetDocument *desired = fleet_reconciler_get_desired (reconciler);
  const FleetFetchStatus *fetch = fleetd_agent_get_last_fetch (daemon->agent);
  g_autofree char *status = NULL;

  if (daemon->notifier == NULL)
    return;
  status = g_strdup_printf ("%s, generation %" G_GINT64_FORMAT "%s%s",
                            fleet_phase_to_string (fleet_reconciler_get_phase (reconciler)),
                            desired ? desired->generation : -1,
                            g_strcmp0 (fetch->result, "error") == 0 ? ", fetch failing: " : "",
                            g_strcmp0 (fetch->result, "error") == 0 ? fetch->error : "");
  if (g_strcmp0 (status, daemon->notified_status) == 0)
    return;
  fleetd_notifier_status (daemon->notifier, status);
  g_free (daemon->notified_status);
  daemon->notified_status = g_steal_pointer (&status);
}

static void
on_agent_changed (FleetdAgent *agent, gpointer user_data)
{
  Daemon *daemon = user_data;

  if (daemon->reporter)
    fleetd_status_reporter_changed (daemon->reporter);
  if (daemon->nats_status)
    fleetd_status_reporter_changed (daemon->nats_status);
  notify_systemd_status (daemon);
}

static void
on_phase_notify (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  Daemon *daemon = user_data;

  on_agent_changed (daemon->agent, daemon);
}

/* The status is PUT with the source's CA file, client certificate and
 * bearer token: one server, one identity. */
static gboolean
setup_reporting (Daemon *daemon, GError **error)
{
  g_autoptr(GError) notify_error = NULL;

  g_signal_connect (daemon->agent, "changed", G_CALLBACK (on_agent_changed), daemon);
  g_signal_connect (daemon->reconciler, "notify::phase", G_CALLBACK (on_phase_notify), daemon);
  if (daemon->config->status_url)
    {
      g_autofree char *url = fleet_source_expand_uri (daemon->config->status_url,
                                                      daemon->config->device_id);
      FleetdConfig *config = daemon->config;
      g_autoptr(FleetHttpCredentials) credentials = NULL;
      g_autoptr(FleetdStatusSink) sink = NULL;

      credentials = fleet_http_credentials_new (config->ca_file, config->client_cert,
                                                config->client_key, config->bearer_token_file,
                                                error);
      if (credentials == NULL)
        return fleet_prefix_error (error, "status-url");
      sink = fleetd_status_http_new (url, credentials);
      daemon->reporter = fleetd_status_reporter_new (sink, build_status_json,
                                                     g_object_ref (daemon->agent), g_object_unref);
    }
  if (daemon->nats_source)
    {
      g_autoptr(FleetdStatusSink) sink = fleetd_nats_status_new (daemon->nats_source,
                                                                 daemon->config->status_bucket,
                                                                 daemon->config->device_id);

      daemon->nats_status = fleetd_status_reporter_new (sink, build_status_json,
                                                        g_object_ref (daemon->agent),
                                                        g_object_unref);
    }
  daemon->notifier = fleetd_notifier_new_from_environment (&notify_error);
  if (notify_error != NULL)
    {
      g_autofree char *quoted = fleet_log_quote (notify_error->message);

      fleetd_log_event (G_LOG_LEVEL_MESSAGE, "notify", "result=error error=%s", quoted);
    }
  return TRUE;
}

/* Running. */

static void
quit (Daemon *daemon, int exit_code)
{
  daemon->exit_code = MAX (daemon->exit_code, exit_code);
  g_main_loop_quit (daemon->loop);
}

static void
on_flushed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Daemon *daemon = user_data;
  g_autoptr(GError) error = NULL;

  /* The reporter logged the failure. */
  fleetd_status_reporter_flush_finish (FLEETD_STATUS_REPORTER (source), result, &error);
  begin_shutdown (daemon, daemon->exit_code);
}

/* --once: the status reaches the status bucket, then the status URL,
 * before fleetd exits. */
static void
flush_status_url_and_stop (Daemon *daemon)
{
  if (daemon->reporter && !daemon->stopping)
    fleetd_status_reporter_flush_async (daemon->reporter, NULL, on_flushed, daemon);
  else
    begin_shutdown (daemon, daemon->exit_code);
}

static void
on_nats_flushed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  /* The reporter logged the failure. */
  fleetd_status_reporter_flush_finish (FLEETD_STATUS_REPORTER (source), result, &error);
  flush_status_url_and_stop (user_data);
}

static void
on_once_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Daemon *daemon = user_data;
  g_autoptr(GError) error = NULL;
  FleetPhase phase = FLEET_PHASE_FAILED;

  const char *persist_error = fleet_reconciler_get_persist_error (daemon->reconciler);

  if (!fleetd_agent_run_once_finish (FLEETD_AGENT (source), result, &phase, &error))
    {
      g_autofree char *quoted = fleet_log_quote (error->message);

      fleetd_log_event (G_LOG_LEVEL_MESSAGE, "once", "result=error error=%s", quoted);
    }
  else if (persist_error != NULL)
    {
      /* Converged, but a restart would not know it: not a success. */
      g_autofree char *message = g_strdup_printf ("cannot persist state: %s", persist_error);
      g_autofree char *quoted = fleet_log_quote (message);

      fleetd_log_event (G_LOG_LEVEL_MESSAGE, "once", "result=error error=%s", quoted);
    }
  else
    fleetd_log_event (G_LOG_LEVEL_MESSAGE, "once", "result=%s", fleet_phase_to_string (phase));
  daemon->exit_code =
    error == NULL && persist_error == NULL && phase == FLEET_PHASE_RUNNING ? 0 : 1;
  if (daemon->nats_status && !daemon->stopping)
    fleetd_status_reporter_flush_async (daemon->nats_status, NULL, on_nats_flushed, daemon);
  else
    flush_status_url_and_stop (daemon);
}

/* The agent starts once the bus name is ours (or at once without a bus). */
static void
start_agent (Daemon *daemon)
{
  if (daemon->config->once)
    {
      fleetd_agent_run_once_async (daemon->agent, NULL, on_once_done, daemon);
      return;
    }
  fleetd_agent_start (daemon->agent);
  if (daemon->reporter)
    fleetd_status_reporter_start (daemon->reporter);
  if (daemon->nats_status)
    fleetd_status_reporter_start (daemon->nats_status);
  if (daemon->notifier)
    {
      fleetd_notifier_ready (daemon->notifier);
      notify_systemd_status (daemon);
      fleetd_notifier_start_watchdog (daemon->notifier, fleetd_notifier_get_watchdog_usec ());
    }
}

static void
on_agent_shut_down (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Daemon *daemon = user_data;
  g_autoptr(GError) error = NULL;

  if (!fleetd_agent_shutdown_finish (FLEETD_AGENT (source), result, &error))
    {
      g_autofree char *quoted = fleet_log_quote (error->message);

      fleetd_log_event (G_LOG_LEVEL_MESSAGE, "stop", "result=error error=%s", quoted);
    }
  else
    fleetd_log_event (G_LOG_LEVEL_MESSAGE, "stop", "result=ok (containers left running)");
  quit (daemon, daemon->exit_code);
}

/* Let the step in flight finish, persist, and exit; containers keep running. */
static void
begin_shutdown (Daemon *daemon, int exit_code)
{
  daemon->exit_code = MAX (daemon->exit_code, exit_code);
  if (daemon->stopping)
    return;
  daemon->stopping = TRUE;
  fleetd_notifier_stopping (daemon->notifier);
  if (daemon->reporter)
    fleetd_status_reporter_stop (daemon->reporter);
  if (daemon->nats_status)
    fleetd_status_reporter_stop (daemon->nats_status);
  g_clear_handle_id (&daemon->owner_id, g_bus_unown_name);
  fleetd_agent_shutdown_async (daemon->agent, NULL, on_agent_shut_down, daemon);
}

static gboolean
on_sigterm (gpointer user_data)
{
  Daemon *daemon = user_data;

  fleetd_log_event (G_LOG_LEVEL_MESSAGE, "stop", "reason=\"signal\"");
  begin_shutdown (daemon, 0);
  return G_SOURCE_CONTINUE;
}

/* D-Bus. */

static void
on_name_acquired (GDBusConnection *connection, const char *name, gpointer user_data)
{
  Daemon *daemon = user_data;

  if (daemon->name_acquired)
    return;
  daemon->name_acquired = TRUE;
  fleetd_log_event (G_LOG_LEVEL_MESSAGE, "publish", "name=%s path=%s bus=%s", name, FLEET_DBUS_PATH,
                    fleetd_bus_kind_to_string (daemon->config->bus));
  start_agent (daemon);
}

static void
on_name_lost (GDBusConnection *connection, const char *name, gpointer user_data)
{
  Daemon *daemon = user_data;

  if (!daemon->name_acquired)
    {
      g_printerr ("fleetd: cannot own the name %s on the %s bus: another fleetd is running, "
                  "or the bus policy does not allow it\n",
                  name, fleetd_bus_kind_to_string (daemon->config->bus));
      quit (daemon, 1);
      return;
    }
  fleetd_log_event (G_LOG_LEVEL_MESSAGE, "publish", "result=error error=\"lost the name %s\"",
                    name);
  begin_shutdown (daemon, 1);
}

static void
on_connection_closed (GDBusConnection *connection, gboolean remote_peer_vanished,
                      GError *error, gpointer user_data)
{
  Daemon *daemon = user_data;

  /* At system shutdown the bus may go away while fleetd is stopping on
   * SIGTERM: that is the end it was heading for anyway, not a failure. */
  if (daemon->stopping)
    {
      fleetd_log_event (G_LOG_LEVEL_DEBUG, "publish", "result=closed reason=\"stopping\"");
      return;
    }
  fleetd_log_event (G_LOG_LEVEL_MESSAGE, "publish",
                    "result=error error=\"the %s bus went away%s%s\"",
                    fleetd_bus_kind_to_string (daemon->config->bus), error ? ": " : "",
                    error ? error->message : "");
  if (daemon->name_acquired)
    begin_shutdown (daemon, 1);
  else
    quit (daemon, 1);
}

static void
on_bus (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Daemon *daemon = user_data;
  g_autoptr(GError) error = NULL;
  const char *bus_name = fleetd_bus_kind_to_string (daemon->config->bus);

  daemon->connection = g_bus_get_finish (result, &error);
  if (daemon->connection == NULL)
    {
      g_printerr ("fleetd: cannot connect to the %s bus: %s\n", bus_name, error->message);
      quit (daemon, 1);
      return;
    }
  g_dbus_connection_set_exit_on_close (daemon->connection, FALSE);
  g_signal_connect (daemon->connection, "closed", G_CALLBACK (on_connection_closed), daemon);
  daemon->dbus_agent = fleetd_dbus_agent_new (daemon->agent);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (daemon->dbus_agent),
                                         daemon->connection, FLEET_DBUS_PATH, &error))
    {
      g_printerr ("fleetd: cannot export %s on the %s bus: %s\n", FLEET_DBUS_PATH, bus_name,
                  error->message);
      quit (daemon, 1);
      return;
    }
  daemon->owner_id = g_bus_own_name_on_connection (daemon->connection, FLEET_DBUS_NAME,
                                                   G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                                   on_name_acquired, on_name_lost, daemon, NULL);
}

/* Export the API, then own the name; the agent starts once it is ours. */
static void
publish (Daemon *daemon)
{
  GBusType bus_type = daemon->config->bus == FLEETD_BUS_SESSION ? G_BUS_TYPE_SESSION
                                                                 : G_BUS_TYPE_SYSTEM;

  g_bus_get (bus_type, NULL, on_bus, daemon);
}

static gboolean
wants_bus (FleetdConfig *config)
{
  if (config->bus == FLEETD_BUS_NONE)
    return FALSE;
  /* `--once` is a one-shot run: no API unless asked for. */
  return !config->once || config->bus_explicit;
}

/**
 * fleetd_daemon_run:
 * @config: complete settings
 *
 * Run fleetd until it is stopped.
 *
 * Returns: the exit status
 */
int
fleetd_daemon_run (FleetdConfig *config)
{
  g_autoptr(Daemon) daemon = g_new0 (Daemon, 1);
  g_autoptr(GError) error = NULL;

  daemon->config = config;
  daemon->loop = g_main_loop_new (NULL, FALSE);
  if (!build_agent (daemon, &error) || !setup_reporting (daemon, &error))
    {
      g_printerr ("fleetd: %s\n", error->message);
      return g_error_matches (error, FLEET_ERROR, FLEET_ERROR_INVALID_ARGUMENT)
               ? FLEETD_EXIT_USAGE
               : 1;
    }
  fleetd_log_event (G_LOG_LEVEL_MESSAGE, "start",
                    "version=%s device=%s source=%s runtime=%s state_dir=%s bus=%s%s",
                    PACKAGE_VERSION, config->device_id, config->source,
                    config->runtime == FLEETD_RUNTIME_FAKE ? "fake" : "podman", config->state_dir,
                    wants_bus (config) ? fleetd_bus_kind_to_string (config->bus) : "none",
                    config->once ? " once" : "");
  log_trust (daemon, "start");
  if (!config->once)
    watch_trust (daemon);
  daemon->sigterm_id = g_unix_signal_add (SIGTERM, on_sigterm, daemon);
  daemon->sigint_id = g_unix_signal_add (SIGINT, on_sigterm, daemon);

  if (wants_bus (config))
    publish (daemon);
  else
    start_agent (daemon);
  g_main_loop_run (daemon->loop);
  return daemon->exit_code;
}
