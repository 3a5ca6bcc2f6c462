/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-test-utils.c: helpers shared by the GLib test programs: run async
 * calls to completion on the main context, parse fixture documents, scratch
 * directories, and quiet logs (set FLEET_TEST_VERBOSE=1 to see them).
 */
#include "config.h"

#include <glib/gstdio.h>

#include "fleet-test-utils.h"

/* Action records (FLEET_ACTION) seen so far, by action: libfleet logs
 * them at debug level, where g_test_expect_message() does not look. */
static GHashTable *action_counts;

static void
count_action (const GLogField *fields, gsize n_fields)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "FLEET_ACTION") && fields[i].length < 0)
      {
        const char *action = fields[i].value;
        guint n = GPOINTER_TO_UINT (g_hash_table_lookup (action_counts, action));

        g_hash_table_replace (action_counts, g_strdup (action), GUINT_TO_POINTER (n + 1));
      }
}

/* How many records of @action libfleet or fleetd logged in this process. */
guint
fleet_test_count_log_action (const char *action)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (action_counts, action));
}

static GLogWriterOutput
quiet_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  count_action (fields, n_fields);
  /* The agent's action log is for operators; tests drop it unless asked. */
  if ((level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG)) != 0
      && g_getenv ("FLEET_TEST_VERBOSE") == NULL)
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_standard_streams (level, fields, n_fields, user_data);
}

void
fleet_test_init (int *argc, char ***argv)
{
  /* Isolated XDG dirs have no GSettings schemas, which GIO's desktop proxy
   * resolver would abort on; tests talk to 127.0.0.1 only. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (argc, argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  action_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_log_set_writer_func (quiet_writer, NULL, NULL);
}

FleetDocument *
fleet_test_document (const char *json)
{
  g_autoptr(GError) error = NULL;
  FleetDocument *document = fleet_document_new_from_data (json, -1, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (document);
  return document;
}

static gboolean
on_wait_deadline (gpointer user_data)
{
  g_error ("fleet_test_wait: nothing happened in %d s", GPOINTER_TO_INT (user_data));
  return G_SOURCE_REMOVE;
}

/* Run the main context until *@done; a test waiting for something that
 * never happens fails after a while instead of hanging the suite. */
void
fleet_test_wait (gboolean *done)
{
  const int deadline_secs = 180;
  guint deadline = g_timeout_add_seconds (deadline_secs, on_wait_deadline,
                                          GINT_TO_POINTER (deadline_secs));

  while (!*done)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (deadline);
}

typedef struct
{
  gboolean done;
  gboolean ok;
  FleetPhase phase;
  GError *error;
} ApplyResult;

static void
on_applied (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ApplyResult *r = user_data;

  r->ok = fleet_reconciler_apply_finish (FLEET_RECONCILER (source), result, &r->phase,
                                         &r->error);
  r->done = TRUE;
}

gboolean
fleet_test_apply (FleetReconciler *reconciler, FleetDocument *document, FleetApplyFlags flags,
                  FleetPhase *out_phase, GError **error)
{
  ApplyResult r = { 0, };

  fleet_reconciler_apply_async (reconciler, document, flags, NULL, on_applied, &r);
  fleet_test_wait (&r.done);
  if (out_phase)
    *out_phase = r.phase;
  if (r.error)
    g_propagate_error (error, r.error);
  return r.ok;
}

FleetPhase
fleet_test_apply_ok (FleetReconciler *reconciler, FleetDocument *document)
{
  g_autoptr(GError) error = NULL;
  FleetPhase phase = FLEET_PHASE_PENDING;

  fleet_test_apply (reconciler, document, FLEET_APPLY_FLAGS_NONE, &phase, &error);
  g_assert_no_error (error);
  return phase;
}

static void
on_ticked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ApplyResult *r = user_data;

  r->ok = fleet_reconciler_tick_finish (FLEET_RECONCILER (source), result, &r->phase, &r->error);
  r->done = TRUE;
}

gboolean
fleet_test_tick (FleetReconciler *reconciler, FleetPhase *out_phase, GError **error)
{
  ApplyResult r = { 0, };

  fleet_reconciler_tick_async (reconciler, NULL, on_ticked, &r);
  fleet_test_wait (&r.done);
  if (out_phase)
    *out_phase = r.phase;
  if (r.error)
    g_propagate_error (error, r.error);
  return r.ok;
}

static gboolean
on_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Sleep while running the main context, so timers and idles fire. */
void
fleet_test_sleep_ms (guint msecs)
{
  gboolean done = FALSE;

  g_timeout_add (msecs, on_timeout, &done);
  fleet_test_wait (&done);
}

/* A TCP port on 127.0.0.1 that nothing listens on now (a server the test
 * starts next takes it). */
guint16
fleet_test_free_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  g_socket_bind (socket, any, TRUE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

char *
fleet_test_make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("fleet-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
fleet_test_rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_unlink (path);
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        fleet_test_rm_rf (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

/* The container id the reconciler recorded for a service, or NULL. */
const char *
fleet_test_recorded_id (FleetReconciler *reconciler, const char *deployment, const char *service)
{
  FleetState *state = fleet_reconciler_get_state (reconciler);
  const FleetDeploymentRecord *record = fleet_state_lookup_deployment (state, deployment);
  const FleetServiceRecord *s = record ? fleet_deployment_record_lookup_service (record, service) : NULL;

  return s ? s->container_id : NULL;
}
