/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-status-reporter.c: send the status document (contract §3) to a
 * sink (the status URL, the status bucket: fleetd-status-sink.h) after
 * each change and at least every heartbeat.
 *
 * Reporting must never hold up reconciling, so it is fire-and-forget on the
 * main loop: a change schedules a report a moment later, which coalesces a
 * burst of changes (one pass can change several deployments) into one
 * report of the latest status; a change while a report is in flight is
 * sent when it completes.  A failed report is retried with capped
 * exponential backoff with jitter (the retry carries whatever the status is
 * by then), and the failure is logged once, not on every retry.  A sink
 * that is still connecting (and says so itself) is tried again a second
 * later, without a log line.
 */
#include "config.h"

#include "fleetd-status-reporter.h"
#include "fleetd-log.h"
#include "fleet-util-private.h"

#define RETRY_INITIAL_MSECS 1000
#define RETRY_MAX_MSECS (60 * 1000)
#define RETRY_JITTER 0.2

struct _FleetdStatusReporter
{
  GObject parent_instance;

  FleetdStatusSink *sink;
  char *destination;     /* the sink's log fields */
  FleetdStatusBuildFunc build;
  gpointer build_data;
  GDestroyNotify build_destroy;

  GCancellable *cancellable;
  guint coalesce_msecs;
  guint heartbeat_msecs;
  guint not_connected_msecs;
  FleetBackoff backoff;

  guint send_id;         /* a report is due */
  guint heartbeat_id;
  const char *reason;    /* why the due report is sent, for the log */
  const char *sending;   /* why the report in flight was sent */
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
  g_clear_object (&self->sink);
  if (self->build_destroy)
    g_clear_pointer (&self->build_data, self->build_destroy);
  G_OBJECT_CLASS (fleetd_status_reporter_parent_class)->dispose (object);
}

static void
fleetd_status_reporter_finalize (GObject *object)
{
  FleetdStatusReporter *self = FLEETD_STATUS_REPORTER (object);

  g_free (self->destination);
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
  self->not_connected_msecs = RETRY_INITIAL_MSECS;
  fleet_backoff_init (&self->backoff, RETRY_INITIAL_MSECS, RETRY_MAX_MSECS, RETRY_JITTER);
  self->flush_next = g_ptr_array_new_with_free_func (g_object_unref);
  self->flush_this = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * fleetd_status_reporter_new:
 * @sink: where the status document goes
 * @build: returns the status document to send, called at each report
 *
 * Returns: (transfer full): a reporter; nothing is sent before
 *   fleetd_status_reporter_start()
 */
FleetdStatusReporter *
fleetd_status_reporter_new (FleetdStatusSink *sink, FleetdStatusBuildFunc build,
                            gpointer user_data, GDestroyNotify destroy)
{
  FleetdStatusReporter *self;

  g_return_val_if_fail (FLEETD_IS_STATUS_SINK (sink), NULL);
  g_return_val_if_fail (build != NULL, NULL);

  self = g_object_new (FLEETD_TYPE_STATUS_REPORTER, NULL);
  self->sink = g_object_ref (sink);
  self->destination = fleetd_status_sink_describe (sink);
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
  self->not_connected_msecs = retry_initial_msecs;
  fleet_backoff_init (&self->backoff, retry_initial_msecs, retry_max_msecs, RETRY_JITTER);
}

/* Returns: (transfer none): where the reports go */
FleetdStatusSink *
fleetd_status_reporter_get_sink (FleetdStatusReporter *self)
{
  g_return_val_if_fail (FLEETD_IS_STATUS_REPORTER (self), NULL);
  return self->sink;
}

/* How many reports the sink took. */
guint
fleetd_status_reporter_get_sent_count (FleetdStatusReporter *self)
{
  g_return_val_if_fail (FLEETD_IS_STATUS_REPORTER (self), 0);
  return self->sent_count;
}

static gboolean
on_heartbeat (gpointer user_data)
{
  schedule_report (user_data, 0, "periodic");
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
      fleetd_log_event (G_LOG_LEVEL_MESSAGE, "report-status", "%s reason=%s result=ok (recovered)",
                        self->destination, reason);
      g_clear_pointer (&self->logged_error, g_free);
    }
  else if (error == NULL)
    fleetd_log_event (G_LOG_LEVEL_DEBUG, "report-status", "%s reason=%s result=ok",
                      self->destination, reason);
  else if (g_strcmp0 (self->logged_error, error->message) != 0)
    {
      g_autofree char *quoted = fleet_log_quote (error->message);

      fleetd_log_event (G_LOG_LEVEL_MESSAGE, "report-status",
                        "%s reason=%s result=error error=%s "
                        "(retrying with backoff; not logged again while it persists)",
                        self->destination, reason, quoted);
      g_free (self->logged_error);
      self->logged_error = g_strdup (error->message);
    }
}

static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(FleetdStatusReporter) self = user_data;
  g_autoptr(GError) error = NULL;
  const char *reason = self->sending;

  self->in_flight = FALSE;
  if (!fleetd_status_sink_send_finish (FLEETD_STATUS_SINK (source), result, &error))
    {
      complete_flushes (self->flush_this, error);
      if (g_cancellable_is_cancelled (self->cancellable))
        return;
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED))
        {
          /* The sink is still connecting, and reports it if that fails. */
          schedule_report (self, self->not_connected_msecs, "retry");
          return;
        }
      log_outcome (self, reason, error);
      self->dirty = FALSE;
      schedule_report (self, fleet_backoff_failed (&self->backoff, g_get_monotonic_time ()),
                       "retry");
      return;
    }
  self->sent_count++;
  fleet_backoff_reset (&self->backoff);
  log_outcome (self, reason, NULL);
  restart_heartbeat (self);
  complete_flushes (self->flush_this, NULL);
  if (self->dirty || self->flush_next->len > 0)
    schedule_report (self, self->flush_next->len > 0 ? 0 : self->coalesce_msecs, "change");
  self->dirty = FALSE;
}

static gboolean
on_report_due (gpointer user_data)
{
  FleetdStatusReporter *self = user_data;
  g_autofree char *json = self->build (self->build_data);

  self->send_id = 0;
  self->in_flight = TRUE;
  self->sending = self->reason;
  g_ptr_array_extend_and_steal (self->flush_this, g_steal_pointer (&self->flush_next));
  self->flush_next = g_ptr_array_new_with_free_func (g_object_unref);
  fleetd_status_sink_send_async (self->sink, json, self->cancellable, on_sent,
                                 g_object_ref (self));
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
 * Report the current status now, and complete when the sink took it (or
 * the report failed, logged), e.g. before `fleetd --once` exits.
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
