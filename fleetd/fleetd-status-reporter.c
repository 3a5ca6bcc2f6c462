/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-status-reporter.c: PUT the status document (contract §3) to the
 * status URL after each change and at least every minute.
 *
 * Reporting must never hold up reconciling, so it is fire-and-forget on the
 * main loop: a change schedules a report a moment later, which coalesces a
 * burst of changes (one pass can change several deployments) into one PUT
 * of the latest status; a change while a PUT is in flight is sent when it
 * completes.  A failed PUT is retried with capped exponential backoff with
 * jitter (the retry carries whatever the status is by then), and the
 * failure is logged once, not on every retry.
 */
#include "config.h"

#include <libsoup/soup.h>

#include "fleetd-status-reporter.h"
#include "fleet-http-credentials-private.h"
#include "fleet-util-private.h"

#define RETRY_INITIAL_MSECS 1000
#define RETRY_MAX_MSECS (60 * 1000)
#define RETRY_JITTER 0.2

struct _FleetdStatusReporter
{
  GObject parent_instance;

  char *url;
  FleetdStatusBuildFunc build;
  gpointer build_data;
  GDestroyNotify build_destroy;

  SoupSession *session;
  FleetHttpCredentials *credentials;
  GCancellable *cancellable;
  guint coalesce_msecs;
  guint heartbeat_msecs;
  FleetBackoff backoff;

  guint send_id;         /* a report is due */
  guint heartbeat_id;
  const char *reason;    /* why the due report is sent, for the log */
  gboolean in_flight;
  gboolean dirty;        /* changed while a report was in flight */
  char *logged_error;    /* the failure last logged, not repeated */
  guint sent_count;
  GPtrArray *flush_next; /* GTask, completed by the next report to start */
  GPtrArray *flush_this; /* GTask, completed by the report in flight */
};

G_DEFINE_FINAL_TYPE (FleetdStatusReporter, fleetd_status_reporter, G_TYPE_OBJECT)

static void schedule_report (FleetdStatusReporter *self, guint delay_msecs, const char *reason);

static void
complete_flushes (GPtrArray *tasks, const GError *error)
{
  for (guint i = 0; i < tasks->len; i++)
    {
      if (error)
        g_task_return_error (tasks->pdata[i], g_error_copy (error));
      else
        g_task_return_boolean (tasks->pdata[i], TRUE);
    }
  g_ptr_array_set_size (tasks, 0);
}

static void
fleetd_status_reporter_dispose (GObject *object)
{
  FleetdStatusReporter *self = FLEETD_STATUS_REPORTER (object);

  fleetd_status_reporter_stop (self);
  g_clear_object (&self->session);
  g_clear_pointer (&self->credentials, fleet_http_credentials_unref);
  if (self->build_destroy)
    g_clear_pointer (&self->build_data, self->build_destroy);
  G_OBJECT_CLASS (fleetd_status_reporter_parent_class)->dispose (object);
}

static void
fleetd_status_reporter_finalize (GObject *object)
{
  FleetdStatusReporter *self = FLEETD_STATUS_REPORTER (object);

  g_free (self->url);
  g_free (self->logged_error);
  g_object_unref (self->cancellable);
  g_ptr_array_unref (self->flush_next);
  g_ptr_array_unref (self->flush_this);
  G_OBJECT_CLASS (fleetd_status_reporter_parent_class)->finalize (object);
}

static void
fleetd_status_reporter_class_init (FleetdStatusReporterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fleetd_status_reporter_dispose;
  object_class->finalize = fleetd_status_reporter_finalize;
}

static void
fleetd_status_reporter_init (FleetdStatusReporter *self)
{
  self->cancellable = g_cancellable_new ();
  self->coalesce_msecs = FLEETD_STATUS_COALESCE_MSECS;
  self->heartbeat_msecs = FLEETD_STATUS_HEARTBEAT_SECS * 1000;
  fleet_backoff_init (&self->backoff, RETRY_INITIAL_MSECS, RETRY_MAX_MSECS, RETRY_JITTER);
  self->flush_next = g_ptr_array_new_with_free_func (g_object_unref);
  self->flush_this = g_ptr_array_new_with_free_func (g_object_unref);
  self->session = soup_session_new_with_options ("timeout", FLEETD_STATUS_TIMEOUT_SECS,
                                                 "user-agent", "fleetd/" PACKAGE_VERSION, NULL);
}

/**
 * fleetd_status_reporter_new:
 * @url: where to PUT the status document
 * @credentials: (nullable): the CA file, client certificate
 *   and bearer token to talk to the server with (the source's), or %NULL
 * @build: returns the status document to send, called at each report
 *
 * Returns: (transfer full): a reporter; nothing is sent before
 *   fleetd_status_reporter_start()
 */
FleetdStatusReporter *
fleetd_status_reporter_new (const char *url, FleetHttpCredentials *credentials,
                            FleetdStatusBuildFunc build, gpointer user_data,
                            GDestroyNotify destroy)
{
  FleetdStatusReporter *self = g_object_new (FLEETD_TYPE_STATUS_REPORTER, NULL);

  self->url = g_strdup (url);
  self->credentials = credentials ? fleet_http_credentials_ref (credentials) : NULL;
  if (credentials)
    _fleet_http_credentials_setup_session (credentials, self->session);
  self->build = build;
  self->build_data = user_data;
  self->build_destroy = destroy;
  return self;
}

/* For tests: shorter delays than a device wants. */
void
fleetd_status_reporter_set_timing (FleetdStatusReporter *self, guint coalesce_msecs,
                                   guint heartbeat_msecs, guint retry_initial_msecs,
                                   guint retry_max_msecs)
{
  g_return_if_fail (FLEETD_IS_STATUS_REPORTER (self));

  self->coalesce_msecs = coalesce_msecs;
  self->heartbeat_msecs = heartbeat_msecs;
  fleet_backoff_init (&self->backoff, retry_initial_msecs, retry_max_msecs, RETRY_JITTER);
}

const char *
fleetd_status_reporter_get_url (FleetdStatusReporter *self)
{
  g_return_val_if_fail (FLEETD_IS_STATUS_REPORTER (self), NULL);
  return self->url;
}

/* How many reports the server accepted. */
guint
fleetd_status_reporter_get_sent_count (FleetdStatusReporter *self)
{
  g_return_val_if_fail (FLEETD_IS_STATUS_REPORTER (self), 0);
  return self->sent_count;
}

static gboolean
on_heartbeat (gpointer user_data)
{
  FleetdStatusReporter *self = user_data;

  schedule_report (self, 0, "periodic");
  return G_SOURCE_CONTINUE;
}

/* The periodic report counts from the last one sent. */
static void
restart_heartbeat (FleetdStatusReporter *self)
{
  g_clear_handle_id (&self->heartbeat_id, g_source_remove);
  if (!g_cancellable_is_cancelled (self->cancellable))
    self->heartbeat_id = g_timeout_add (self->heartbeat_msecs, on_heartbeat, self);
}

static void
log_outcome (FleetdStatusReporter *self, const char *reason, const GError *error)
{
  if (error == NULL && self->logged_error != NULL)
    {
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "FLEET_ACTION", "report-status",
                        "MESSAGE", "action=report-status url=%s reason=%s result=ok (recovered)",
                        self->url, reason);
      g_clear_pointer (&self->logged_error, g_free);
    }
  else if (error == NULL)
    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_DEBUG, "FLEET_ACTION", "report-status", "MESSAGE",
                      "action=report-status url=%s reason=%s result=ok", self->url, reason);
  else if (g_strcmp0 (self->logged_error, error->message) != 0)
    {
      g_autofree char *quoted = fleet_log_quote (error->message);

      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "FLEET_ACTION", "report-status",
                        "MESSAGE",
                        "action=report-status url=%s reason=%s result=error error=%s "
                        "(retrying with backoff; not logged again while it persists)",
                        self->url, reason, quoted);
      g_free (self->logged_error);
      self->logged_error = g_strdup (error->message);
    }
}

static gboolean
check_response (SoupMessage *message, GBytes *body, GError **error)
{
  guint status = soup_message_get_status (message);

  if (body == NULL)
    return FALSE;
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    return fleet_throw (error, FLEET_ERROR_FAILED, "HTTP %u %s", status,
                        soup_message_get_reason_phrase (message));
  return TRUE;
}

static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(FleetdStatusReporter) self = user_data;
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                              &error);
  const char *reason = g_object_get_data (G_OBJECT (message), "fleetd-reason");

  self->in_flight = FALSE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      complete_flushes (self->flush_this, error);
      return;
    }
  if (check_response (message, body, &error))
    {
      self->sent_count++;
      fleet_backoff_reset (&self->backoff);
      log_outcome (self, reason, NULL);
      restart_heartbeat (self);
      complete_flushes (self->flush_this, NULL);
      if (self->dirty || self->flush_next->len > 0)
        schedule_report (self, self->dirty ? self->coalesce_msecs : 0, "change");
      self->dirty = FALSE;
      return;
    }
  log_outcome (self, reason, error);
  complete_flushes (self->flush_this, error);
  self->dirty = FALSE;
  schedule_report (self, fleet_backoff_failed (&self->backoff, g_get_monotonic_time ()), "retry");
}

static void
send_report (FleetdStatusReporter *self)
{
  g_autofree char *json = self->build (self->build_data);
  g_autoptr(GBytes) body = g_bytes_new_take (json, strlen (json));
  g_autoptr(SoupMessage) message = soup_message_new (SOUP_METHOD_PUT, self->url);
  g_autoptr(GError) error = NULL;

  g_steal_pointer (&json);
  if (message == NULL)
    {
      /* The URL was checked when the configuration was read. */
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                        "status-url %s is not a valid URL", self->url);
      return;
    }
  soup_message_set_request_body_from_bytes (message, "application/json", body);
  if (self->credentials && !_fleet_http_credentials_authorize (self->credentials, message, &error))
    {
      /* e.g. the token file is missing: a failed report, retried later */
      log_outcome (self, self->reason, error);
      complete_flushes (self->flush_next, error);
      schedule_report (self, fleet_backoff_failed (&self->backoff, g_get_monotonic_time ()),
                       "retry");
      return;
    }
  g_object_set_data (G_OBJECT (message), "fleetd-reason", (gpointer) self->reason);
  self->in_flight = TRUE;
  g_ptr_array_extend_and_steal (self->flush_this, g_steal_pointer (&self->flush_next));
  self->flush_next = g_ptr_array_new_with_free_func (g_object_unref);
  soup_session_send_and_read_async (self->session, message, G_PRIORITY_DEFAULT,
                                    self->cancellable, on_sent, g_object_ref (self));
}

static gboolean
on_report_due (gpointer user_data)
{
  FleetdStatusReporter *self = user_data;

  self->send_id = 0;
  send_report (self);
  return G_SOURCE_REMOVE;
}

/* Send a report in @delay_msecs, unless one is already due or in flight
 * (which will carry the change); while failing, the retry carries it. */
static void
schedule_report (FleetdStatusReporter *self, guint delay_msecs, const char *reason)
{
  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  if (self->in_flight)
    {
      self->dirty = TRUE;
      return;
    }
  if (self->send_id != 0)
    return;
  self->reason = reason;
  self->send_id = g_timeout_add (delay_msecs, on_report_due, self);
}

/* Report now, then periodically. */
void
fleetd_status_reporter_start (FleetdStatusReporter *self)
{
  g_return_if_fail (FLEETD_IS_STATUS_REPORTER (self));

  schedule_report (self, 0, "start");
  restart_heartbeat (self);
}

/* The status changed: report it soon. */
void
fleetd_status_reporter_changed (FleetdStatusReporter *self)
{
  g_return_if_fail (FLEETD_IS_STATUS_REPORTER (self));

  schedule_report (self, self->coalesce_msecs, "change");
}

/* Send nothing more, and abandon the report in flight. */
void
fleetd_status_reporter_stop (FleetdStatusReporter *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (FLEETD_IS_STATUS_REPORTER (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->send_id, g_source_remove);
  g_clear_handle_id (&self->heartbeat_id, g_source_remove);
  error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "status reporting stopped");
  complete_flushes (self->flush_next, error);
}

/**
 * fleetd_status_reporter_flush_async:
 *
 * Report the current status now, and complete when the server answered (or
 * the report failed), e.g. before `fleetd --once` exits.
 */
void
fleetd_status_reporter_flush_async (FleetdStatusReporter *self, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FLEETD_IS_STATUS_REPORTER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fleetd_status_reporter_flush_async);
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "status reporting stopped");
      return;
    }
  g_ptr_array_add (self->flush_next, g_steal_pointer (&task));
  if (self->in_flight)
    return;
  /* Due now, even when a backoff or coalescing delay was pending. */
  g_clear_handle_id (&self->send_id, g_source_remove);
  schedule_report (self, 0, "flush");
}

gboolean
fleetd_status_reporter_flush_finish (FleetdStatusReporter *self, GAsyncResult *result,
                                     GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
