/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-file-source.c: the file source against real files — read whole or
 * "not modified", too large; a FIFO, a directory, a device and a socket
 * refused without blocking; an edit seen at once through the directory
 * watch — and what FleetSource gives every source: the deadline of a
 * fetch, one fetch at a time, announcing what it finds on its own and
 * polling again sooner while its documents are rejected.  The class is
 * driven through a test subclass whose fetches the test answers by hand.
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "fleet-test-utils.h"

#define DOC "{\"generation\":1,\"deployments\":{}}"
#define DOC2 "{\"generation\":2,\"deployments\":{}}"

/* A source whose fetches the test answers. */

#define TEST_TYPE_SOURCE (test_source_get_type ())
G_DECLARE_FINAL_TYPE (TestSource, test_source, TEST, SOURCE, FleetSource)

struct _TestSource
{
  FleetSource parent_instance;
  GPtrArray *pending; /* GTask */
  guint fetches;
};

G_DEFINE_FINAL_TYPE (TestSource, test_source, FLEET_TYPE_SOURCE)

static void
test_source_fetch (FleetSource *source, GCancellable *cancellable, GAsyncReadyCallback callback,
                   gpointer user_data)
{
  TestSource *self = TEST_SOURCE (source);

  self->fetches++;
  g_ptr_array_add (self->pending, g_task_new (self, cancellable, callback, user_data));
}

static FleetFetchResult *
test_source_fetch_finish (FleetSource *source, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
test_source_finalize (GObject *object)
{
  g_ptr_array_unref (TEST_SOURCE (object)->pending);
  G_OBJECT_CLASS (test_source_parent_class)->finalize (object);
}

static void
test_source_class_init (TestSourceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_source_finalize;
  FLEET_SOURCE_CLASS (klass)->fetch = test_source_fetch;
  FLEET_SOURCE_CLASS (klass)->fetch_finish = test_source_fetch_finish;
}

static void
test_source_init (TestSource *self)
{
  self->pending = g_ptr_array_new_with_free_func (g_object_unref);
}

/* Answer the oldest fetch in flight with @body. */
static void
answer (TestSource *self, const char *body)
{
  g_autoptr(GTask) task = g_ptr_array_steal_index (self->pending, 0);
  g_autoptr(GBytes) bytes = g_bytes_new_static (body, strlen (body));

  g_task_return_pointer (task, fleet_fetch_result_new (FALSE, bytes, body),
                         (GDestroyNotify) fleet_fetch_result_unref);
}

/* Fail what is still in flight, as a stuck fetch finally would. */
static void
drop_pending (TestSource *self)
{
  while (self->pending->len > 0)
    {
      g_autoptr(GTask) task = g_ptr_array_steal_index (self->pending, 0);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "dropped");
    }
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Fixture and helpers. */

typedef struct
{
  char *dir;
  char *path;
  GPtrArray *announced; /* FleetFetchResult */
  GPtrArray *failures;  /* char *: messages */
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = fleet_test_make_tmpdir ();
  f->path = g_build_filename (f->dir, "desired.json", NULL);
  f->announced = g_ptr_array_new_with_free_func ((GDestroyNotify) fleet_fetch_result_unref);
  f->failures = g_ptr_array_new_with_free_func (g_free);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  fleet_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->path);
  g_ptr_array_unref (f->announced);
  g_ptr_array_unref (f->failures);
}

static void
write_file (const char *path, const char *contents)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

typedef struct
{
  gboolean done;
  FleetFetchResult *result;
  GError *error;
} FetchOutcome;

static void
on_fetched (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FetchOutcome *o = user_data;

  o->result = fleet_source_fetch_finish (FLEET_SOURCE (source), result, &o->error);
  o->done = TRUE;
}

static FleetFetchResult *
fetch (FleetSource *source, GError **error)
{
  FetchOutcome o = { 0, };

  fleet_source_fetch_async (source, NULL, on_fetched, &o);
  fleet_test_wait (&o.done);
  if (o.error)
    g_propagate_error (error, o.error);
  return o.result;
}

static void
on_document (FleetSource *source, FleetFetchResult *result, gpointer user_data)
{
  g_ptr_array_add (((Fixture *) user_data)->announced, fleet_fetch_result_ref (result));
}

static void
on_failed (FleetSource *source, const GError *error, gpointer user_data)
{
  g_ptr_array_add (((Fixture *) user_data)->failures, g_strdup (error->message));
}

static void
listen_to (Fixture *f, FleetSource *source)
{
  g_signal_connect (source, "document", G_CALLBACK (on_document), f);
  g_signal_connect (source, "failed", G_CALLBACK (on_failed), f);
}

static void
wait_for_count (GPtrArray *array, guint n)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (array->len < n)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static const char *body_of (FleetFetchResult *result);

/* Wait until the source announces @body, or "not modified" for NULL. */
static void
wait_for_announced (Fixture *f, const char *body)
{
  guint seen = f->announced->len;

  for (;;)
    {
      FleetFetchResult *last;

      wait_for_count (f->announced, seen + 1);
      last = f->announced->pdata[seen++];
      if (body == NULL ? last->not_modified : !last->not_modified && g_str_equal (body_of (last), body))
        return;
    }
}

static const char *
body_of (FleetFetchResult *result)
{
  static char text[256];

  g_assert_nonnull (result->body);
  g_assert_cmpuint (g_bytes_get_size (result->body), <, sizeof text);
  memcpy (text, g_bytes_get_data (result->body, NULL), g_bytes_get_size (result->body));
  text[g_bytes_get_size (result->body)] = '\0';
  return text;
}

static FleetSource *
new_file_source (const char *path, guint timeout_secs)
{
  g_autoptr(GError) error = NULL;
  FleetFileSourceOptions options;
  FleetSource *source;

  fleet_file_source_options_init (&options);
  options.timeout_secs = timeout_secs;
  source = fleet_file_source_new (path, &options, &error);
  g_assert_no_error (error);
  return source;
}

/* The file source. */

/* A path or a file:// URL; the file named once in errors; unchanged
 * contents "not modified" once committed. */
static void
test_read (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = g_strconcat ("file://", f->path, NULL);
  const char *locations[] = { f->path, uri };

  for (gsize i = 0; i < G_N_ELEMENTS (locations); i++)
    {
      g_autoptr(FleetSource) source = fleet_source_new_for_uri (locations[i], NULL, NULL);
      g_autoptr(FleetFetchResult) first = NULL;
      g_autoptr(FleetFetchResult) second = NULL;
      g_autoptr(FleetFetchResult) third = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_true (FLEET_IS_FILE_SOURCE (source));
      g_assert_cmpstr (fleet_source_get_uri (source), ==, f->path);
      g_unlink (f->path);
      {
        g_autoptr(FleetFetchResult) none = fetch (source, &error);

        g_assert_null (none);
        g_assert_error (error, FLEET_ERROR, FLEET_ERROR_FETCH_FAILED);
        g_assert_nonnull (strstr (error->message, f->path));
        g_assert_null (strstr (strstr (error->message, f->path) + 1, f->path));
        g_clear_error (&error);
      }
      write_file (f->path, DOC);
      first = fetch (source, &error);
      g_assert_no_error (error);
      g_assert_false (first->not_modified);
      fleet_source_commit (source, first->validator);
      second = fetch (source, &error);
      g_assert_true (second->not_modified);
      write_file (f->path, DOC2);
      third = fetch (source, &error);
      g_assert_false (third->not_modified);
      g_assert_cmpstr (body_of (third), ==, DOC2);
    }
}

static void
test_too_large (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetFetchResult) result = NULL;
  FleetFileSourceOptions options;
  g_autoptr(FleetSource) source = NULL;

  write_file (f->path, DOC DOC DOC);
  fleet_file_source_options_init (&options);
  options.max_bytes = strlen (DOC);
  source = fleet_file_source_new (f->path, &options, &error);
  g_assert_no_error (error);
  result = fetch (source, &error);
  g_assert_null (result);
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_TOO_LARGE);
}

static void
make_socket (const char *path)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_DEFAULT, NULL);
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr(GError) error = NULL;

  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
}

/* A FIFO (whose opening blocks until a writer comes), a directory, a
 * device or a socket at the path is refused at once, with one line that
 * names the path and what is there; the document put back is read. */
static void
test_special_files (Fixture *f, gconstpointer data)
{
  static const char *const kinds[] = { "a FIFO", "a directory", "a character device",
                                       "a socket" };
  g_autoptr(FleetSource) source = new_file_source (f->path, 0);

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(FleetFetchResult) result = NULL;
      g_autofree char *expected = g_strdup_printf ("fetching %s: is %s, not a regular file",
                                                   f->path, kinds[i]);

      g_unlink (f->path);
      g_rmdir (f->path);
      if (i == 0)
        g_assert_cmpint (mkfifo (f->path, 0600), ==, 0);
      else if (i == 1)
        g_assert_cmpint (g_mkdir (f->path, 0700), ==, 0);
      else if (i == 2)
        g_assert_cmpint (symlink ("/dev/null", f->path), ==, 0);
      else
        make_socket (f->path);
      result = fetch (source, &error);
      g_assert_null (result);
      g_assert_error (error, FLEET_ERROR, FLEET_ERROR_FETCH_FAILED);
      if (!g_str_has_prefix (error->message, expected))
        g_error ("expected \"%s\" in \"%s\"", expected, error->message);
      g_assert_null (strchr (error->message, '\n'));
    }
  g_unlink (f->path);
  write_file (f->path, DOC);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(FleetFetchResult) result = fetch (source, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (body_of (result), ==, DOC);
  }
}

/* Started, the source announces the file, and then every change to it at
 * once (the poll interval is an hour here): replaced by a rename, as
 * g_file_set_contents() and most tools do, and written in place. */
static void
test_watch (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetSource) source = new_file_source (f->path, 0);
  FILE *file;

  write_file (f->path, DOC);
  listen_to (f, source);
  fleet_source_set_poll_interval (source, 3600);
  fleet_source_start (source);
  wait_for_count (f->announced, 1);
  g_assert_cmpstr (body_of (f->announced->pdata[0]), ==, DOC);
  fleet_source_commit (source, ((FleetFetchResult *) f->announced->pdata[0])->validator);

  write_file (f->path, DOC2);
  wait_for_announced (f, DOC2);

  file = fopen (f->path, "w");
  g_assert_nonnull (file);
  fputs (DOC, file);
  fclose (file);
  /* DOC is the committed version: unchanged, as far as the caller knows. */
  wait_for_announced (f, NULL);
  g_assert_cmpuint (f->failures->len, ==, 0);
  fleet_source_stop (source);
}

/* A FIFO put in place of the file is refused as soon as it appears, and
 * the document put back is announced at once. */
static void
test_watch_fifo_replaced (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetSource) source = new_file_source (f->path, 0);
  g_autofree char *fifo = g_build_filename (f->dir, "fifo", NULL);

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_cmpint (g_rename (fifo, f->path), ==, 0);
  listen_to (f, source);
  fleet_source_set_poll_interval (source, 3600);
  fleet_source_start (source);
  wait_for_count (f->failures, 1);
  g_assert_nonnull (strstr (f->failures->pdata[0], "is a FIFO, not a regular file"));

  write_file (f->path, DOC);
  wait_for_announced (f, DOC);
  fleet_source_stop (source);
}

/* What every source gets from the class. */

/* A fetch that does not end by its deadline fails then, naming the
 * source; the source does not wait for it before the next fetch. */
static void
test_deadline (Fixture *f, gconstpointer data)
{
  g_autoptr(TestSource) source = g_object_new (TEST_TYPE_SOURCE, "uri", "test://stuck",
                                               "fetch-timeout", 1, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetFetchResult) result = fetch (FLEET_SOURCE (source), &error);

  g_assert_null (result);
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_FETCH_FAILED);
  g_assert_cmpstr (error->message, ==, "fetching test://stuck: timed out after 1 s");
  /* the fetch was told to give up */
  g_assert_true (g_cancellable_is_cancelled (g_task_get_cancellable (source->pending->pdata[0])));

  g_clear_error (&error);
  g_clear_pointer (&result, fleet_fetch_result_unref);
  result = fetch (FLEET_SOURCE (source), &error);
  g_assert_null (result);
  g_assert_cmpuint (source->fetches, ==, 2);
  drop_pending (source);
}

/* A fetch asked for while one is in flight gets the next one, shared with
 * whoever else asked meanwhile; the one in flight is answered first. */
static void
test_one_fetch_at_a_time (Fixture *f, gconstpointer data)
{
  g_autoptr(TestSource) source = g_object_new (TEST_TYPE_SOURCE, "uri", "test://source", NULL);
  FetchOutcome o[3] = { { 0, } };

  fleet_source_fetch_async (FLEET_SOURCE (source), NULL, on_fetched, &o[0]);
  fleet_source_fetch_async (FLEET_SOURCE (source), NULL, on_fetched, &o[1]);
  fleet_source_fetch_async (FLEET_SOURCE (source), NULL, on_fetched, &o[2]);
  g_assert_cmpuint (source->fetches, ==, 1);
  answer (source, DOC);
  fleet_test_wait (&o[0].done);
  g_assert_false (o[1].done);
  g_assert_cmpuint (source->fetches, ==, 2);
  answer (source, DOC2);
  fleet_test_wait (&o[1].done);
  fleet_test_wait (&o[2].done);
  g_assert_cmpuint (source->fetches, ==, 2);
  g_assert_cmpstr (body_of (o[0].result), ==, DOC);
  g_assert_cmpstr (body_of (o[1].result), ==, DOC2);
  g_assert_cmpstr (body_of (o[2].result), ==, DOC2);
  for (guint i = 0; i < G_N_ELEMENTS (o); i++)
    fleet_fetch_result_unref (o[i].result);
}

/* Polled (here every hour), a rejected document is looked at again soon,
 * with backoff, and a committed one is "not modified" from then on. */
static void
test_poll_after_reject (Fixture *f, gconstpointer data)
{
  g_autoptr(TestSource) source = g_object_new (TEST_TYPE_SOURCE, "uri", "test://polled", NULL);

  fleet_source_set_polling (FLEET_SOURCE (source), TRUE);
  fleet_source_set_poll_interval (FLEET_SOURCE (source), 3600);
  fleet_source_set_retry_backoff (FLEET_SOURCE (source), 10, 40);
  listen_to (f, FLEET_SOURCE (source));
  fleet_source_start (FLEET_SOURCE (source));
  g_assert_cmpuint (source->fetches, ==, 1);
  answer (source, DOC);
  wait_for_count (f->announced, 1);
  g_assert_cmpint (fleet_source_get_next_poll_in (FLEET_SOURCE (source)), >, 60 * 1000);

  fleet_source_reject (FLEET_SOURCE (source));
  g_assert_cmpint (fleet_source_get_next_poll_in (FLEET_SOURCE (source)), <=, 40);
  while (source->fetches < 2)
    g_main_context_iteration (NULL, TRUE);
  answer (source, DOC);
  wait_for_count (f->announced, 2);
  g_assert_false (((FleetFetchResult *) f->announced->pdata[1])->not_modified);

  fleet_source_commit (FLEET_SOURCE (source), DOC);
  g_assert_cmpint (fleet_source_get_next_poll_in (FLEET_SOURCE (source)), >, 60 * 1000);
  fleet_source_poll_now (FLEET_SOURCE (source));
  answer (source, DOC);
  wait_for_count (f->announced, 3);
  g_assert_true (((FleetFetchResult *) f->announced->pdata[2])->not_modified);

  /* Stopped: nothing more is looked at, the fetch in flight is dropped. */
  fleet_source_poll_now (FLEET_SOURCE (source));
  fleet_source_stop (FLEET_SOURCE (source));
  g_assert_cmpint (fleet_source_get_next_poll_in (FLEET_SOURCE (source)), ==, -1);
  drop_pending (source);
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/file-source/read", test_read);
  ADD ("/file-source/too-large", test_too_large);
  ADD ("/file-source/special-files", test_special_files);
  ADD ("/file-source/watch", test_watch);
  ADD ("/file-source/watch-fifo-replaced", test_watch_fifo_replaced);
  ADD ("/source/deadline", test_deadline);
  ADD ("/source/one-fetch-at-a-time", test_one_fetch_at_a_time);
  ADD ("/source/poll-after-reject", test_poll_after_reject);
#undef ADD

  return g_test_run ();
}
