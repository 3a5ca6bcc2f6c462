/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-reconciler-state.c: what the reconciler persists and reads back: restarts
 * that recreate nothing, lost or corrupt state, journal writes, changes
 * that cannot be written, and records of a newer release. */
#include "config.h"

#include "fleet-reconciler-fixture.h"

/* A new reconciler on the same state directory (an agent restart) recreates
 * nothing. */
static void
test_reload_recreates_nothing (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(FleetReconciler) restarted = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  FleetPhase phase;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  g_clear_object (&f->reconciler);
  fleet_fake_runtime_clear_calls (f->runtime);

  restarted = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
  g_assert_true (fleet_reconciler_load_state (restarted, &error));
  g_assert_no_error (error);
  g_assert_nonnull (fleet_reconciler_get_desired (restarted));
  g_assert_cmpstr (fleet_test_recorded_id (restarted, "hello", "web"), ==, id);

  /* recovery pass, then the same document fetched again, then a tick */
  g_assert_true (fleet_test_apply (restarted, NULL, FLEET_APPLY_FLAGS_RETRY_NOW, &phase, &error));
  g_assert_cmpint (phase, ==, FLEET_PHASE_RUNNING);
  g_assert_cmpint (fleet_test_apply_ok (restarted, v1), ==, FLEET_PHASE_RUNNING);
  g_assert_true (fleet_test_tick (restarted, &phase, &error));
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (f->runtime), ==, 0);
  g_assert_cmpstr (fleet_test_recorded_id (restarted, "hello", "web"), ==, id);
}

/* The agent stopped after it wrote the new document and before the records
 * that go with it: a restart carries on towards the new document, and the
 * records' spec digests say what to replace, gracefully, by id. */
static void
test_reload_after_crash_between_writes (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(FleetDocument) v2 = hello_doc (2, "v2", "hi", "SIGTERM", 10);
  g_autoptr(FleetReconciler) restarted = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *desired_path = g_build_filename (f->state_dir, FLEET_STATE_DESIRED_FILE_NAME,
                                                    NULL);
  g_autofree char *old_id = NULL;
  g_autofree char *stop_old = NULL;
  FleetPhase phase;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  old_id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  g_clear_object (&f->reconciler);
  g_assert_true (g_file_set_contents (desired_path, g_bytes_get_data (v2->canonical, NULL),
                                      g_bytes_get_size (v2->canonical), NULL));
  fleet_fake_runtime_clear_calls (f->runtime);

  restarted = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
  g_assert_true (fleet_reconciler_load_state (restarted, &error));
  g_assert_no_error (error);
  g_assert_true (fleet_document_equal (fleet_reconciler_get_desired (restarted), v2));
  g_assert_cmpint (fleet_reconciler_get_phase (restarted), ==, FLEET_PHASE_PENDING);
  g_assert_cmpstr (fleet_test_recorded_id (restarted, "hello", "web"), ==, old_id);

  g_assert_true (fleet_test_apply (restarted, NULL, FLEET_APPLY_FLAGS_RETRY_NOW, &phase, &error));
  g_assert_cmpint (phase, ==, FLEET_PHASE_RUNNING);
  stop_old = g_strdup_printf ("stop %s SIGTERM 10", old_id);
  g_assert_cmpint (call_index (f->runtime, stop_old), >=, 0);
  g_assert_cmpint (call_index (f->runtime, stop_old), <,
                   call_index (f->runtime, "create hello_web localhost/hello:v2"));
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "create"), ==, 1);
  /* the generation high-water mark is the new document's */
  g_assert_false (fleet_reconciler_check_document (restarted, v1, &error));
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_GENERATION_BACKWARDS);
}

/* desired.json lost or corrupt: no document until the next fetch, which
 * recreates nothing, as the records keep every container. */
static void
test_reload_desired_lost (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autofree char *desired_path = g_build_filename (f->state_dir, FLEET_STATE_DESIRED_FILE_NAME,
                                                    NULL);
  g_autofree char *id = NULL;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(FleetReconciler) restarted = NULL;
      g_autoptr(GError) error = NULL;
      FleetPhase phase;

      g_clear_object (&f->reconciler);
      if (i == 0)
        g_assert_cmpint (g_unlink (desired_path), ==, 0);
      else
        g_assert_true (g_file_set_contents (desired_path, "{\"deploym", -1, NULL));
      fleet_fake_runtime_clear_calls (f->runtime);

      restarted = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
      g_assert_true (fleet_reconciler_load_state (restarted, &error));
      g_assert_no_error (error);
      g_assert_null (fleet_reconciler_get_desired (restarted));
      g_assert_cmpstr (fleet_test_recorded_id (restarted, "hello", "web"), ==, id);
      g_assert_true (fleet_test_tick (restarted, &phase, &error));
      g_assert_cmpint (phase, ==, FLEET_PHASE_PENDING);

      g_assert_cmpint (fleet_test_apply_ok (restarted, v1), ==, FLEET_PHASE_RUNNING);
      g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (f->runtime), ==, 0);
      g_assert_cmpstr (fleet_test_recorded_id (restarted, "hello", "web"), ==, id);
      g_assert_true (g_file_test (desired_path, G_FILE_TEST_IS_REGULAR));
      f->reconciler = g_steal_pointer (&restarted);
    }
}

/* A device upgraded from the single-file state format (version 1) carries
 * on as it was, recreating nothing, and its next save writes both files. */
static void
test_reload_single_file (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(FleetReconciler) restarted = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *state_path = g_build_filename (f->state_dir, FLEET_STATE_FILE_NAME, NULL);
  g_autofree char *desired_path = g_build_filename (f->state_dir, FLEET_STATE_DESIRED_FILE_NAME,
                                                    NULL);
  g_autofree char *records = NULL;
  g_autofree char *document = NULL;
  g_autofree char *single = NULL;
  g_autofree char *id = NULL;
  FleetPhase phase;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  g_clear_object (&f->reconciler);

  /* what an agent of the single-file format would have written */
  g_assert_true (g_file_get_contents (state_path, &records, NULL, NULL));
  g_assert_true (g_file_get_contents (desired_path, &document, NULL, NULL));
  g_assert_true (g_str_has_prefix (records, "{\"version\":2,"));
  single = g_strdup_printf ("{\"version\":1,\"desired\":%s,%s", document,
                            records + strlen ("{\"version\":2,"));
  g_assert_true (g_file_set_contents (state_path, single, -1, NULL));
  g_assert_cmpint (g_unlink (desired_path), ==, 0);
  fleet_fake_runtime_clear_calls (f->runtime);

  restarted = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
  g_assert_true (fleet_reconciler_load_state (restarted, &error));
  g_assert_no_error (error);
  g_assert_true (fleet_document_equal (fleet_reconciler_get_desired (restarted), v1));
  g_assert_true (fleet_test_apply (restarted, NULL, FLEET_APPLY_FLAGS_RETRY_NOW, &phase, &error));
  g_assert_cmpint (phase, ==, FLEET_PHASE_RUNNING);
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (f->runtime), ==, 0);
  g_assert_cmpstr (fleet_test_recorded_id (restarted, "hello", "web"), ==, id);

  /* migrated at the next save */
  fleet_fake_runtime_kill_container (f->runtime, id, 1);
  g_assert_true (fleet_test_tick (restarted, &phase, &error));
  g_clear_pointer (&records, g_free);
  g_assert_true (g_file_get_contents (state_path, &records, NULL, NULL));
  g_assert_true (g_str_has_prefix (records, "{\"version\":2,"));
  g_assert_true (g_file_test (desired_path, G_FILE_TEST_IS_REGULAR));
}

/* A document of @n services of about 1 KiB each, all at @tag. */
static FleetDocument *
many_services_doc (guint n, int generation, const char *tag)
{
  g_autoptr(GString) json = g_string_new (NULL);
  g_autofree char *pad = g_strnfill (900, 'x');

  g_string_append_printf (json, "{\"generation\":%d,\"deployments\":{\"app\":{\"type\":"
                          "\"PodmanV0\",\"data\":{\"services\":[", generation);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (json, "%s{\"name\":\"s%u\",\"image\":\"localhost/app:%s\","
                            "\"env\":{\"PAD\":\"%s\"},\"ports\":[\"%u:8080\"]}",
                            i ? "," : "", i, tag, pad, 10000 + i);
  g_string_append (json, "]}}}}");
  return fleet_test_document (json->str);
}

/* Bytes this process has written with write(2) and friends, or -1. */
static gint64
bytes_written_by_process (void)
{
  g_autofree char *io = NULL;
  const char *wchar;

  if (!g_file_get_contents ("/proc/self/io", &io, NULL, NULL)
      || (wchar = strstr (io, "wchar: ")) == NULL)
    return -1;
  return g_ascii_strtoll (wchar + strlen ("wchar: "), NULL, 10);
}

/* How often each file of the state directory was replaced (a temporary
 * file renamed into its place), from the inotify events queued on @fd. */
static void
count_replacements (int fd, guint *out_state, guint *out_desired)
{
  char buf[64 * 1024] __attribute__ ((aligned (__alignof__ (struct inotify_event))));
  gssize len;

  *out_state = *out_desired = 0;
  while ((len = read (fd, buf, sizeof buf)) > 0)
    for (char *p = buf; p < buf + len;)
      {
        struct inotify_event *event = (struct inotify_event *) p;

        g_assert_false (event->mask & IN_Q_OVERFLOW);
        if (!(event->mask & IN_MOVED_TO))
          ;
        else if (event->len > 0 && g_str_equal (event->name, FLEET_STATE_FILE_NAME))
          (*out_state)++;
        else if (event->len > 0 && g_str_equal (event->name, FLEET_STATE_DESIRED_FILE_NAME))
          (*out_desired)++;
        p += sizeof (struct inotify_event) + event->len;
      }
}

/* An upgrade of many services writes the document once; every action
 * still persists what it changed (a container id is on disk before the
 * next action), but as a journal entry: the records are not all rewritten
 * per action, so the bytes written grow linearly with the services, not
 * with their square. */
static void
test_state_writes (Fixture *f, gconstpointer data)
{
  const guint n = 64;
  g_autoptr(FleetDocument) v1 = many_services_doc (n, 1, "v1");
  g_autoptr(FleetDocument) v2 = many_services_doc (n, 2, "v2");
  g_autofree char *state_path = g_build_filename (f->state_dir, FLEET_STATE_FILE_NAME, NULL);
  g_autofree char *journal = g_build_filename (f->state_dir, FLEET_STATE_JOURNAL_FILE_NAME, NULL);
  gsize document_size = g_bytes_get_size (v2->canonical);
  guint state_writes, desired_writes;
  gint64 written;
  GStatBuf st;
  int fd;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  /* IN_MOVED_FROM too: identical events in a row would be merged into one */
  g_assert_cmpint (inotify_add_watch (fd, f->state_dir, IN_MOVED_FROM | IN_MOVED_TO), >=, 0);
  written = bytes_written_by_process ();

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v2), ==, FLEET_PHASE_RUNNING);
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "stop"), ==, n);
  if (written >= 0)
    written = bytes_written_by_process () - written;
  count_replacements (fd, &state_writes, &desired_writes);
  close (fd);

  g_test_message ("upgrade of %u services, document %" G_GSIZE_FORMAT " bytes: state.json "
                  "written %u times, desired.json %u, %" G_GINT64_FORMAT " bytes written",
                  n, document_size, state_writes, desired_writes, written);
  g_assert_cmpuint (desired_writes, ==, 1);
  /* when the document is accepted, and once the pass is over */
  g_assert_cmpuint (state_writes, <=, 3);
  g_assert_cmpint (g_stat (state_path, &st), ==, 0);
  g_assert_cmpint (st.st_size, <, document_size / 4);
  /* the journal was folded into state.json */
  g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
  /* rewriting the records per action would write about 2n times their size */
  if (written >= 0)
    g_assert_cmpint (written, <, 16 * (gint64) st.st_size + (gint64) document_size);
  else
    g_test_message ("/proc/self/io not available: bytes written not checked");
}

/* How the state was lost, for test_lost_state_adopts_by_label(). */
typedef enum
{
  LOST_RECORDS,    /* state.json deleted */
  CORRUPT_RECORDS, /* state.json torn (a broken SD card) */
  LOST_EVERYTHING, /* the state directory emptied */
} LostState;

/* With the state lost, the running containers are adopted by their labels
 * instead of recreated: at once by fleetd's recovery pass when desired.json
 * survived, or when the next document arrives. */
static void
test_lost_state_adopts_by_label (Fixture *f, gconstpointer data)
{
  LostState how = GPOINTER_TO_INT (data);
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(FleetReconciler) fresh = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *state_path = g_build_filename (f->state_dir, FLEET_STATE_FILE_NAME, NULL);
  g_autofree char *desired_path = g_build_filename (f->state_dir, FLEET_STATE_DESIRED_FILE_NAME,
                                                    NULL);
  FleetPhase phase;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  g_clear_object (&f->reconciler);
  if (how == CORRUPT_RECORDS)
    g_assert_true (g_file_set_contents (state_path, "{\"version\":2,\"deploym", -1, NULL));
  else
    g_assert_cmpint (g_unlink (state_path), ==, 0);
  if (how == LOST_EVERYTHING)
    g_assert_cmpint (g_unlink (desired_path), ==, 0);
  fleet_fake_runtime_clear_calls (f->runtime);

  fresh = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
  if (how == CORRUPT_RECORDS)
    {
      g_assert_false (fleet_reconciler_load_state (fresh, &error));
      g_assert_error (error, FLEET_ERROR, FLEET_ERROR_STATE_CORRUPT);
      g_clear_error (&error);
    }
  else
    {
      g_assert_true (fleet_reconciler_load_state (fresh, &error));
      g_assert_no_error (error);
    }
  g_assert_null (fleet_test_recorded_id (fresh, "hello", "web"));
  if (how == LOST_EVERYTHING)
    {
      g_assert_null (fleet_reconciler_get_desired (fresh));
      /* nothing to go by until the next document: nothing is touched */
      g_assert_true (fleet_test_tick (fresh, &phase, &error));
      g_assert_no_error (error);
      g_assert_cmpint (fleet_test_apply_ok (fresh, v1), ==, FLEET_PHASE_RUNNING);
    }
  else
    {
      g_assert_true (fleet_document_equal (fleet_reconciler_get_desired (fresh), v1));
      /* fleetd's recovery pass */
      g_assert_true (fleet_test_apply (fresh, NULL, FLEET_APPLY_FLAGS_RETRY_NOW, &phase,
                                       &error));
      g_assert_no_error (error);
      g_assert_cmpint (phase, ==, FLEET_PHASE_RUNNING);
    }
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (f->runtime), ==, 0);
  g_assert_cmpstr (fleet_test_recorded_id (fresh, "hello", "web"), ==, id);
}

/* With the state lost, a labelled container of an older spec is adopted and
 * then replaced gracefully by its id, not left behind or duplicated. */
static void
test_lost_state_replaces_older_by_id (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(FleetDocument) v2 = hello_doc (2, "v2", "hi", "SIGTERM", 10);
  g_autoptr(FleetReconciler) fresh = NULL;
  g_autofree char *other_dir = fleet_test_make_tmpdir ();
  g_autofree char *old_id = NULL;
  g_autofree char *stop_old = NULL;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  old_id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  fleet_fake_runtime_clear_calls (f->runtime);

  fresh = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), other_dir);
  g_assert_cmpint (fleet_test_apply_ok (fresh, v2), ==, FLEET_PHASE_RUNNING);
  stop_old = g_strdup_printf ("stop %s SIGTERM 10", old_id);
  g_assert_cmpint (call_index (f->runtime, stop_old), >=, 0);
  g_assert_cmpint (call_index (f->runtime, stop_old), <,
                   call_index (f->runtime, "create hello_web localhost/hello:v2"));
  g_assert_cmpuint (fleet_fake_runtime_count_containers (f->runtime), ==, 1);
  fleet_test_rm_rf (other_dir);
}

/* A document that cannot be written to the state directory is not acted
 * on: nothing of it runs (a restart would not know of it and would take
 * its containers for orphans), the apply says why, and it is taken up as
 * soon as it can be written. */
static void
test_document_not_persisted (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(FleetDocument) v2 = hello_doc (2, "v2", "hi", "SIGTERM", 10);
  g_autofree char *desired = g_build_filename (f->state_dir, FLEET_STATE_DESIRED_FILE_NAME, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *old_id = NULL;
  gint64 start;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  old_id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  fleet_fake_runtime_clear_calls (f->runtime);
  /* a directory in its place: not even root can replace it with a file */
  g_assert_cmpint (g_unlink (desired), ==, 0);
  g_assert_cmpint (g_mkdir (desired, 0700), ==, 0);

  g_assert_false (fleet_test_apply (f->reconciler, v2, 0, NULL, &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "cannot persist the document"));
  g_assert_nonnull (fleet_reconciler_get_persist_error (f->reconciler));
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (f->runtime), ==, 0);
  g_assert_true (fleet_document_equal (fleet_reconciler_get_desired (f->reconciler), v1));
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, old_id)->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);

  /* space again: the document is written and rolled out, unasked */
  g_assert_cmpint (g_rmdir (desired), ==, 0);
  start = g_get_monotonic_time ();
  while (fleet_reconciler_get_phase (f->reconciler) != FLEET_PHASE_RUNNING
         || !fleet_document_equal (fleet_reconciler_get_desired (f->reconciler), v2))
    {
      g_assert_cmpint (g_get_monotonic_time () - start, <, 20 * G_USEC_PER_SEC);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_null (fleet_reconciler_get_persist_error (f->reconciler));
  g_assert_null (fleet_fake_runtime_lookup (f->runtime, old_id));
  g_assert_true (g_file_test (desired, G_FILE_TEST_IS_REGULAR));
}

/* Records that cannot be written stop the rollout before it acts on them,
 * and the save is retried until it works; then the rollout goes on. */
static void
test_records_not_persisted (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = hello_doc (1, "v1", "hi", "SIGTERM", 10);
  g_autoptr(FleetDocument) v2 = hello_doc (2, "v2", "hi", "SIGTERM", 10);
  g_autofree char *journal = g_build_filename (f->state_dir, FLEET_STATE_JOURNAL_FILE_NAME, NULL);
  g_autofree char *old_id = NULL;
  g_autoptr(FleetReconciler) restarted = NULL;
  gboolean applied = FALSE;
  gint64 start;

  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  old_id = g_strdup (fleet_test_recorded_id (f->reconciler, "hello", "web"));
  fleet_fake_runtime_clear_calls (f->runtime);
  g_assert_cmpint (g_mkdir (journal, 0700), ==, 0);

  fleet_reconciler_apply_async (f->reconciler, v2, 0, NULL, NULL, &applied);
  start = g_get_monotonic_time ();
  while (fleet_reconciler_get_persist_error (f->reconciler) == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
      g_main_context_iteration (NULL, TRUE);
    }
  fleet_test_sleep_ms (300);
  g_assert_cmpuint (fleet_fake_runtime_count_mutating_calls (f->runtime), ==, 0);
  g_assert_cmpint (fleet_fake_runtime_lookup (f->runtime, old_id)->state, ==,
                   FLEET_CONTAINER_STATE_RUNNING);
  /* a restart now knows the new document, and would roll it out */
  restarted = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
  g_assert_true (fleet_reconciler_load_state (restarted, NULL));
  g_assert_true (fleet_document_equal (fleet_reconciler_get_desired (restarted), v2));
  g_clear_object (&restarted);

  g_assert_cmpint (g_rmdir (journal), ==, 0);
  start = g_get_monotonic_time ();
  while (fleet_reconciler_get_phase (f->reconciler) != FLEET_PHASE_RUNNING)
    {
      g_assert_cmpint (g_get_monotonic_time () - start, <, 20 * G_USEC_PER_SEC);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_null (fleet_reconciler_get_persist_error (f->reconciler));
  g_assert_null (fleet_fake_runtime_lookup (f->runtime, old_id));
  g_assert_cmpuint (fleet_fake_runtime_count_calls (f->runtime, "create"), ==, 1);
}

/* Records of a newer release are refused, and nothing is touched. */
static void
test_newer_state_refused (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->state_dir, FLEET_STATE_FILE_NAME, NULL);
  static const char newer[] = "{\"version\":3,\"future\":true,\"deployments\":{}}";
  g_autoptr(GError) error = NULL;
  g_autofree char *after = NULL;

  g_assert_true (g_file_set_contents (path, newer, -1, NULL));
  g_assert_false (fleet_reconciler_load_state (f->reconciler, &error));
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_STATE_UNSUPPORTED);
  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, newer);
  g_assert_null (fleet_reconciler_get_desired (f->reconciler));
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/reconciler/reload-recreates-nothing", test_reload_recreates_nothing);
  ADD ("/reconciler/reload-after-crash-between-writes", test_reload_after_crash_between_writes);
  ADD ("/reconciler/reload-desired-lost", test_reload_desired_lost);
  ADD ("/reconciler/reload-single-file", test_reload_single_file);
  ADD ("/reconciler/state-writes", test_state_writes);
  g_test_add ("/reconciler/lost-state-adopts-by-label", Fixture,
              GINT_TO_POINTER (LOST_EVERYTHING), fixture_setup, test_lost_state_adopts_by_label,
              fixture_teardown);
  g_test_add ("/reconciler/lost-records-adopts-by-label", Fixture,
              GINT_TO_POINTER (LOST_RECORDS), fixture_setup, test_lost_state_adopts_by_label,
              fixture_teardown);
  g_test_add ("/reconciler/corrupt-records-adopts-by-label", Fixture,
              GINT_TO_POINTER (CORRUPT_RECORDS), fixture_setup, test_lost_state_adopts_by_label,
              fixture_teardown);
  ADD ("/reconciler/lost-state-replaces-older-by-id", test_lost_state_replaces_older_by_id);
  ADD ("/reconciler/document-not-persisted", test_document_not_persisted);
  ADD ("/reconciler/records-not-persisted", test_records_not_persisted);
  ADD ("/reconciler/newer-state-refused", test_newer_state_refused);
#undef ADD

  return g_test_run ();
}
