/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-file-source.c: the desired-state document from a `file://` URL or a
 * plain path — the embedded default for a single machine with no server.
 *
 * A file's validator is the digest of its contents, so an unchanged file is
 * reported "not modified" and costs no parsing and no runtime work.  The
 * file's directory is watched (GFileMonitor), so that an edit — in place,
 * or a new file renamed over the old one — is seen at once rather than at
 * the next poll; the poll remains for what a watch cannot see (a network
 * file system changed elsewhere, a symlink's target).
 *
 * Only a regular file is read: a FIFO, a device or a socket is refused with
 * an error before it is opened, since opening or reading one can block for
 * ever.  The read runs in a worker thread, so that a file on a hung network
 * file system blocks that thread only: the fetch fails at its deadline, and
 * no other read is started while that one has not returned.
 *
 * A detached signature beside the document, `PATH.sig` (signify's format),
 * is read with it and is part of its version (FleetFetchResult.signature):
 * the agent's FleetDocumentVerifier checks it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleet-document.h"
#include "fleet-file-source.h"
#include "fleet-util-private.h"

#define CHUNK_SIZE (64 * 1024)
/* A detached signature is about 150 bytes. */
#define MAX_SIGNATURE_BYTES 4096
/* A burst of events (write, close, rename) is one change. */
#define SETTLE_MSECS 50

struct _FleetFileSource
{
  FleetSource parent_instance;

  GFile *file;
  gsize max_bytes;
  int reading;          /* atomic: a worker thread is reading the file */
  gint64 reading_since; /* monotonic µs */
  GFileMonitor *monitor;
  guint settle_id;
};

G_DEFINE_FINAL_TYPE (FleetFileSource, fleet_file_source, FLEET_TYPE_SOURCE)

/* Reading, in a worker thread. */

static const char *
describe_file_type (mode_t mode)
{
  if (S_ISDIR (mode))
    return "a directory";
  if (S_ISFIFO (mode))
    return "a FIFO";
  if (S_ISCHR (mode))
    return "a character device";
  if (S_ISBLK (mode))
    return "a block device";
  if (S_ISSOCK (mode))
    return "a socket";
  return "a special file";
}

static gboolean
refuse_unless_regular (const struct stat *st, GError **error)
{
  if (S_ISREG (st->st_mode))
    return TRUE;
  return fleet_throw (error, FLEET_ERROR_FETCH_FAILED,
                      "is %s, not a regular file (refused: reading it could block)",
                      describe_file_type (st->st_mode));
}

static gboolean
throw_errno (GError **error, int errsv)
{
  return fleet_throw (error, FLEET_ERROR_FETCH_FAILED, "%s", g_strerror (errsv));
}

static gboolean
check_size (goffset size, gsize max_bytes, GError **error)
{
  if (size < 0 || (guint64) size <= max_bytes)
    return TRUE;
  return fleet_throw (error, FLEET_ERROR_TOO_LARGE,
                      "document: %" G_GINT64_FORMAT " bytes is over the limit of %" G_GSIZE_FORMAT
                      " bytes",
                      (gint64) size, max_bytes);
}

static GBytes *
read_fd (int fd, gsize max_bytes, GError **error)
{
  g_autoptr(GByteArray) buffer = g_byte_array_new ();
  guint8 chunk[CHUNK_SIZE];

  for (;;)
    {
      gssize n = read (fd, chunk, sizeof chunk);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return throw_errno (error, errno), NULL;
      if (n == 0)
        return g_byte_array_free_to_bytes (g_steal_pointer (&buffer));
      if (buffer->len + (gsize) n > max_bytes)
        return fleet_null_throw (error, FLEET_ERROR_TOO_LARGE,
                                 "document: over the limit of %" G_GSIZE_FORMAT " bytes",
                                 max_bytes);
      g_byte_array_append (buffer, chunk, (guint) n);
    }
}

/* Refused before it is opened (opening a FIFO blocks until a writer comes),
 * and again once open, in case it was replaced in between. */
static GBytes *
read_regular_file (const char *path, gsize max_bytes, GError **error)
{
  struct stat st;
  GBytes *bytes;
  int fd;

  if (stat (path, &st) != 0)
    return throw_errno (error, errno), NULL;
  if (!refuse_unless_regular (&st, error) || !check_size (st.st_size, max_bytes, error))
    return NULL;
  fd = open (path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return throw_errno (error, errno), NULL;
  if (fstat (fd, &st) != 0)
    {
      int errsv = errno;

      close (fd);
      return throw_errno (error, errsv), NULL;
    }
  if (!refuse_unless_regular (&st, error) || !check_size (st.st_size, max_bytes, error))
    bytes = NULL;
  else
    bytes = read_fd (fd, max_bytes, error);
  close (fd);
  return bytes;
}

/* The detached signature PATH.sig, if there is one (signed documents);
 * it is part of the version, so that a new signature alone is seen. */
static FleetFetchResult *
read_document (const char *path, gsize max_bytes, GError **error)
{
  g_autofree char *signature_path = g_strconcat (path, ".sig", NULL);
  g_autoptr(GBytes) body = read_regular_file (path, max_bytes, error);
  g_autoptr(GBytes) signature = NULL;
  g_autofree char *validator = NULL;
  FleetFetchResult *result;

  if (body == NULL)
    return NULL;
  if (g_file_test (signature_path, G_FILE_TEST_EXISTS)
      && !(signature = read_regular_file (signature_path, MAX_SIGNATURE_BYTES, error)))
    return fleet_prefix_error (error, signature_path), NULL;
  validator = fleet_sha256_digest (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  if (signature != NULL)
    {
      g_autofree char *of_body = g_steal_pointer (&validator);
      g_autofree char *of_signature = fleet_sha256_digest (g_bytes_get_data (signature, NULL),
                                                           g_bytes_get_size (signature));

      validator = g_strconcat (of_body, ";sig=", of_signature, NULL);
    }
  result = fleet_fetch_result_new (FALSE, body, validator);
  result->signature = g_steal_pointer (&signature);
  return result;
}

static void
read_in_thread (GTask *task, gpointer source_object, gpointer task_data,
                GCancellable *cancellable)
{
  FleetFileSource *self = source_object;
  g_autofree char *path = g_file_get_path (self->file);
  GError *error = NULL;
  FleetFetchResult *result = read_document (path, self->max_bytes, &error);

  g_atomic_int_set (&self->reading, 0);
  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) fleet_fetch_result_unref);
}

/* The fetch. */

static void
on_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  FleetFetchResult *fetched = g_task_propagate_pointer (G_TASK (result), &error);

  if (fetched == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, fetched, (GDestroyNotify) fleet_fetch_result_unref);
}

static void
file_source_fetch (FleetSource *source, GCancellable *cancellable, GAsyncReadyCallback callback,
                   gpointer user_data)
{
  FleetFileSource *self = FLEET_FILE_SOURCE (source);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GTask) read = NULL;

  g_task_set_source_tag (task, file_source_fetch);
  /* At most one thread blocked on a hung file system. */
  if (g_atomic_int_get (&self->reading))
    {
      g_task_return_new_error (
        task, FLEET_ERROR, FLEET_ERROR_FETCH_FAILED,
        "an earlier read has not returned after %" G_GINT64_FORMAT " s (a hung file system?)",
        (g_get_monotonic_time () - self->reading_since) / G_USEC_PER_SEC);
      return;
    }
  g_atomic_int_set (&self->reading, 1);
  self->reading_since = g_get_monotonic_time ();
  read = g_task_new (self, NULL, on_read, g_steal_pointer (&task));
  g_task_set_source_tag (read, read_in_thread);
  g_task_run_in_thread (read, read_in_thread);
}

static FleetFetchResult *
file_source_fetch_finish (FleetSource *source, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, source), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Watching. */

static gboolean
on_settled (gpointer user_data)
{
  FleetFileSource *self = user_data;

  self->settle_id = 0;
  fleet_source_poll_now (FLEET_SOURCE (self));
  return G_SOURCE_REMOVE;
}

/* Written and closed, renamed or moved into place: the new contents are
 * complete.  A creation is followed by its own "done" hint; a deletion is
 * left to the poll, as an editor may be about to put the file back. */
/* The document, or its detached signature PATH.sig. */
static gboolean
is_ours (FleetFileSource *self, GFile *file)
{
  g_autofree char *path = NULL;
  g_autofree char *document = NULL;

  if (file == NULL)
    return FALSE;
  if (g_file_equal (file, self->file))
    return TRUE;
  path = g_file_get_path (file);
  document = g_file_get_path (self->file);
  return path != NULL && document != NULL && g_str_has_prefix (path, document)
         && g_str_equal (path + strlen (document), ".sig");
}

static void
on_changed (GFileMonitor *monitor, GFile *file, GFile *other_file, GFileMonitorEvent event,
            gpointer user_data)
{
  FleetFileSource *self = user_data;
  gboolean ours = FALSE;

  switch (event)
    {
    case G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT:
    case G_FILE_MONITOR_EVENT_MOVED_IN:
    case G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED:
      ours = is_ours (self, file);
      break;
    case G_FILE_MONITOR_EVENT_RENAMED:
      ours = is_ours (self, other_file);
      break;
    default:
      break;
    }
  if (ours && self->settle_id == 0)
    self->settle_id = g_timeout_add (SETTLE_MSECS, on_settled, self);
}

static void
file_source_start (FleetSource *source)
{
  FleetFileSource *self = FLEET_FILE_SOURCE (source);
  g_autoptr(GFile) directory = g_file_get_parent (self->file);
  g_autoptr(GError) error = NULL;

  FLEET_SOURCE_CLASS (fleet_file_source_parent_class)->start (source);
  if (self->monitor != NULL || directory == NULL)
    return;
  self->monitor = g_file_monitor_directory (directory, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  if (self->monitor == NULL)
    {
      g_debug ("%s: not watched, polled only: %s", fleet_source_get_uri (source), error->message);
      return;
    }
  g_signal_connect (self->monitor, "changed", G_CALLBACK (on_changed), self);
}

static void
file_source_stop (FleetSource *source)
{
  FleetFileSource *self = FLEET_FILE_SOURCE (source);

  g_clear_handle_id (&self->settle_id, g_source_remove);
  if (self->monitor != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->monitor, self);
      g_file_monitor_cancel (self->monitor);
      g_clear_object (&self->monitor);
    }
  FLEET_SOURCE_CLASS (fleet_file_source_parent_class)->stop (source);
}

static void
fleet_file_source_dispose (GObject *object)
{
  file_source_stop (FLEET_SOURCE (object));
  G_OBJECT_CLASS (fleet_file_source_parent_class)->dispose (object);
}

static void
fleet_file_source_finalize (GObject *object)
{
  FleetFileSource *self = FLEET_FILE_SOURCE (object);

  g_clear_object (&self->file);
  G_OBJECT_CLASS (fleet_file_source_parent_class)->finalize (object);
}

static void
fleet_file_source_class_init (FleetFileSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  FleetSourceClass *source_class = FLEET_SOURCE_CLASS (klass);

  object_class->dispose = fleet_file_source_dispose;
  object_class->finalize = fleet_file_source_finalize;
  source_class->fetch = file_source_fetch;
  source_class->fetch_finish = file_source_fetch_finish;
  source_class->start = file_source_start;
  source_class->stop = file_source_stop;
}

static void
fleet_file_source_init (FleetFileSource *self)
{
  fleet_source_set_polling (FLEET_SOURCE (self), TRUE);
}

/**
 * fleet_file_source_options_init:
 * @options: the options to set to their defaults
 *
 * Set @options to the defaults.
 *
 * Since: 0.2
 */
void
fleet_file_source_options_init (FleetFileSourceOptions *options)
{
  g_return_if_fail (options != NULL);

  memset (options, 0, sizeof *options);
  options->max_bytes = FLEET_DEFAULT_MAX_DOCUMENT_BYTES;
  options->timeout_secs = FLEET_DEFAULT_FETCH_TIMEOUT_SECS;
}

/**
 * fleet_file_source_new:
 * @uri_or_path: a `file:///` URL or a path (`{device}` already replaced)
 * @options: (nullable): the options, or %NULL for the defaults
 * @error: return location for a #GError, or %NULL
 *
 * Returns: (transfer full): the source, or %NULL with
 *   FLEET_ERROR_INVALID_ARGUMENT when @uri_or_path is not a local file
 *
 * Since: 0.2
 */
FleetSource *
fleet_file_source_new (const char *uri_or_path, const FleetFileSourceOptions *options,
                       GError **error)
{
  FleetFileSourceOptions defaults;
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  FleetFileSource *self;

  g_return_val_if_fail (uri_or_path != NULL, NULL);

  if (options == NULL)
    {
      fleet_file_source_options_init (&defaults);
      options = &defaults;
    }
  if (g_str_has_prefix (uri_or_path, "file:") && !g_str_has_prefix (uri_or_path, "file:///"))
    return fleet_null_throw (error, FLEET_ERROR_INVALID_ARGUMENT,
                             "source: %s is not a local file URL (expected file:///PATH)",
                             uri_or_path);
  file = g_str_has_prefix (uri_or_path, "file:") ? g_file_new_for_uri (uri_or_path)
                                                  : g_file_new_for_path (uri_or_path);
  path = g_file_get_path (file);
  if (path == NULL)
    return fleet_null_throw (error, FLEET_ERROR_INVALID_ARGUMENT,
                             "source: %s is not a local file", uri_or_path);
  self = g_object_new (FLEET_TYPE_FILE_SOURCE, "uri", path, "fetch-timeout",
                       options->timeout_secs, NULL);
  self->file = g_steal_pointer (&file);
  self->max_bytes = options->max_bytes ? options->max_bytes : FLEET_DEFAULT_MAX_DOCUMENT_BYTES;
  return FLEET_SOURCE (self);
}
