/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-probe.c: HTTP and TCP health probes; see fleet-probe.h.
 *
 * A probe succeeds or fails with a one-line output that says what was
 * seen ("HTTP 200", "HTTP 503: outside 200-399", "connection refused",
 * "no answer within 2000 ms"), as the status document reports it.
 */
#include "config.h"

#include <libsoup/soup.h>

#include "fleet-error.h"
#include "fleet-probe.h"

#define DEFAULT_TIMEOUT_MSECS 5000

/**
 * fleet_probe_init:
 * @probe: the probe
 * @kind: HTTP or TCP
 * @host: the host to connect to
 * @port: the port to connect to
 *
 * A probe of @kind against @host:@port with the defaults: path "/",
 * statuses 200-399, a 5 s timeout.
 *
 * Since: 0.2
 */
void
fleet_probe_init (FleetProbe *probe, FleetProbeKind kind, const char *host, guint16 port)
{
  g_return_if_fail (probe != NULL);
  g_return_if_fail (host != NULL);

  probe->kind = kind;
  probe->host = g_strdup (host);
  probe->port = port;
  probe->path = g_strdup ("/");
  probe->min_status = 200;
  probe->max_status = 399;
  probe->timeout_msecs = DEFAULT_TIMEOUT_MSECS;
}

/**
 * fleet_probe_clear:
 * @probe: the probe
 *
 * Free what @probe holds (not @probe itself).
 *
 * Since: 0.2
 */
void
fleet_probe_clear (FleetProbe *probe)
{
  g_return_if_fail (probe != NULL);

  g_clear_pointer (&probe->host, g_free);
  g_clear_pointer (&probe->path, g_free);
}

typedef struct
{
  GCancellable *cancellable; /* ours: cancelled by the caller's, or the deadline */
  gulong caller_handler;
  GCancellable *caller;
  guint deadline_id;
  gboolean timed_out;
  guint timeout_msecs;
  guint min_status;
  guint max_status;
  SoupSession *session;
} Run;

static void
run_free (gpointer data)
{
  Run *run = data;

  g_clear_handle_id (&run->deadline_id, g_source_remove);
  if (run->caller != NULL)
    g_cancellable_disconnect (run->caller, run->caller_handler);
  g_clear_object (&run->caller);
  g_clear_object (&run->cancellable);
  g_clear_object (&run->session);
  g_free (run);
}

static gboolean
on_deadline (gpointer user_data)
{
  Run *run = user_data;

  run->deadline_id = 0;
  run->timed_out = TRUE;
  g_cancellable_cancel (run->cancellable);
  return G_SOURCE_REMOVE;
}

static void
on_caller_cancelled (GCancellable *caller, gpointer user_data)
{
  g_cancellable_cancel (user_data);
}

/* The probe failed: say why in one line; a deadline is no cancellation. */
static void
return_failure (GTask *task, GError *error)
{
  Run *run = g_task_get_task_data (task);

  if (run->timed_out)
    {
      g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_FAILED, "no answer within %u ms",
                               run->timeout_msecs);
      g_error_free (error);
      return;
    }
  g_task_return_error (task, error);
}

static void
on_http_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Run *run = g_task_get_task_data (task);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                              &error);
  guint status;

  if (body == NULL)
    {
      return_failure (task, g_steal_pointer (&error));
      return;
    }
  status = soup_message_get_status (msg);
  if (status < run->min_status || status > run->max_status)
    {
      g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_FAILED, "HTTP %u: outside %u-%u",
                               status, run->min_status, run->max_status);
      return;
    }
  g_task_return_pointer (task, g_strdup_printf ("HTTP %u", status), g_free);
}

static void
start_http (GTask *task, const FleetProbe *probe)
{
  Run *run = g_task_get_task_data (task);
  g_autoptr(GUri) uri = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GError) error = NULL;
  const char *path = probe->path ? probe->path : "/";

  uri = g_uri_build (G_URI_FLAGS_NONE, "http", NULL, probe->host, probe->port,
                     path[0] == '/' ? path : "/", NULL, NULL);
  msg = soup_message_new_from_uri (SOUP_METHOD_GET, uri);
  run->session = soup_session_new_with_options ("max-conns", 1, "user-agent", "fleetd-probe",
                                                NULL);
  soup_message_set_flags (msg, SOUP_MESSAGE_NO_REDIRECT | SOUP_MESSAGE_NEW_CONNECTION);
  soup_session_send_and_read_async (run->session, msg, G_PRIORITY_DEFAULT, run->cancellable,
                                    on_http_done, g_object_ref (task));
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) connection =
    g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);

  if (connection == NULL)
    {
      return_failure (task, g_steal_pointer (&error));
      return;
    }
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  g_task_return_pointer (task, g_strdup ("connected"), g_free);
}

static void
start_tcp (GTask *task, const FleetProbe *probe)
{
  Run *run = g_task_get_task_data (task);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnectable) address = g_network_address_new (probe->host, probe->port);

  g_socket_client_connect_async (client, address, run->cancellable, on_connected,
                                 g_object_ref (task));
}

/**
 * fleet_probe_run_async:
 * @probe: the probe
 * @cancellable: (nullable): a #GCancellable, or %NULL
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Run @probe once; it completes within its timeout whatever the other end
 * does (a server that accepts and never answers is cut off).
 *
 * Since: 0.2
 */
void
fleet_probe_run_async (const FleetProbe *probe, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  Run *run;

  g_return_if_fail (probe != NULL && probe->host != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, fleet_probe_run_async);
  run = g_new0 (Run, 1);
  run->cancellable = g_cancellable_new ();
  run->timeout_msecs = probe->timeout_msecs ? probe->timeout_msecs : DEFAULT_TIMEOUT_MSECS;
  run->min_status = probe->min_status;
  run->max_status = probe->max_status;
  if (cancellable != NULL)
    {
      run->caller = g_object_ref (cancellable);
      run->caller_handler = g_cancellable_connect (cancellable, G_CALLBACK (on_caller_cancelled),
                                                   run->cancellable, NULL);
    }
  run->deadline_id = g_timeout_add (run->timeout_msecs, on_deadline, run);
  g_task_set_task_data (task, run, run_free);
  g_task_set_check_cancellable (task, FALSE);
  if (probe->kind == FLEET_PROBE_HTTP)
    start_http (task, probe);
  else
    start_tcp (task, probe);
}

/**
 * fleet_probe_run_finish:
 * @result: the #GAsyncResult passed to the callback
 * @out_output: (out) (optional): what the probe saw, one line
 * @error: return location for a #GError, or %NULL
 *
 * Returns: TRUE when healthy; FALSE with the reason otherwise
 *
 * Since: 0.2
 */
gboolean
fleet_probe_run_finish (GAsyncResult *result, char **out_output, GError **error)
{
  g_autofree char *output = NULL;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  output = g_task_propagate_pointer (G_TASK (result), error);
  if (output == NULL)
    return FALSE;
  if (out_output)
    *out_output = g_steal_pointer (&output);
  return TRUE;
}
