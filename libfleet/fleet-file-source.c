/* fleet-file-source.c: the desired-state document from a `file://` URL or a
 * plain path — the embedded default for a single machine with no server.
 * A file's validator is the digest of its contents, so an unchanged file is
 * reported "not modified" and costs no parsing and no runtime work.
 */
#include "config.h"

#include <string.h>

#include "fleet-file-source.h"
#include "fleet-read-limited-private.h"
#include "fleet-util-private.h"

struct _FleetFileSource
{
  GObject parent_instance;

  GFile *file;
  char *uri;
  gsize max_bytes;
  char *committed;
};

static void fleet_file_source_iface_init (FleetSourceInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FleetFileSource, fleet_file_source, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FLEET_TYPE_SOURCE,
                                                      fleet_file_source_iface_init))

static void
fleet_file_source_finalize (GObject *object)
{
  FleetFileSource *self = FLEET_FILE_SOURCE (object);

  g_clear_object (&self->file);
  g_free (self->uri);
  g_free (self->committed);
  G_OBJECT_CLASS (fleet_file_source_parent_class)->finalize (object);
}

static void
fleet_file_source_class_init (FleetFileSourceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fleet_file_source_finalize;
}

static void
fleet_file_source_init (FleetFileSource *self)
{
}

static void
fail (GTask *task, GError *error)
{
  FleetFileSource *self = g_task_get_source_object (task);

  if (error->domain == FLEET_ERROR)
    g_prefix_error (&error, "%s: ", self->uri);
  else if (strstr (error->message, self->uri) != NULL)
    {
      /* GIO already names the file ("Error opening file PATH: ...") */
      GError *wrapped = g_error_new_literal (FLEET_ERROR, FLEET_ERROR_FETCH_FAILED,
                                             error->message);
      g_error_free (error);
      error = wrapped;
    }
  else
    {
      GError *wrapped = g_error_new (FLEET_ERROR, FLEET_ERROR_FETCH_FAILED, "%s: %s", self->uri,
                                     error->message);
      g_error_free (error);
      error = wrapped;
    }
  g_task_return_error (task, error);
}

static void
on_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  FleetFileSource *self = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr(GBytes) body = _fleet_read_limited_finish (result, &error);
  g_autofree char *validator = NULL;

  g_input_stream_close_async (G_INPUT_STREAM (source), G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  if (body == NULL)
    {
      fail (task, error);
      return;
    }
  validator = fleet_sha256_digest (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  if (g_strcmp0 (validator, self->committed) == 0)
    g_task_return_pointer (task, fleet_fetch_result_new (TRUE, NULL, validator),
                           (GDestroyNotify) fleet_fetch_result_unref);
  else
    g_task_return_pointer (task, fleet_fetch_result_new (FALSE, body, validator),
                           (GDestroyNotify) fleet_fetch_result_unref);
}

static void
on_opened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  FleetFileSource *self = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr(GFileInputStream) stream = g_file_read_finish (G_FILE (source), result, &error);
  GCancellable *cancellable;

  if (stream == NULL)
    {
      fail (task, error);
      return;
    }
  cancellable = g_task_get_cancellable (task);
  _fleet_read_limited_async (G_INPUT_STREAM (stream), self->max_bytes, cancellable, on_read,
                             g_steal_pointer (&task));
}

static void
file_source_fetch (FleetSource *source, GCancellable *cancellable, GAsyncReadyCallback callback,
                   gpointer user_data)
{
  FleetFileSource *self = FLEET_FILE_SOURCE (source);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, file_source_fetch);
  g_file_read_async (self->file, G_PRIORITY_DEFAULT, cancellable, on_opened, task);
}

static FleetFetchResult *
file_source_fetch_finish (FleetSource *source, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, source), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
file_source_commit (FleetSource *source, const char *validator)
{
  FleetFileSource *self = FLEET_FILE_SOURCE (source);

  if (validator == self->committed)
    return;
  g_free (self->committed);
  self->committed = g_strdup (validator);
}

static const char *
file_source_get_uri (FleetSource *source)
{
  return FLEET_FILE_SOURCE (source)->uri;
}

static void
fleet_file_source_iface_init (FleetSourceInterface *iface)
{
  iface->fetch = file_source_fetch;
  iface->fetch_finish = file_source_fetch_finish;
  iface->commit = file_source_commit;
  iface->get_uri = file_source_get_uri;
}

/**
 * fleet_file_source_new:
 * @uri_or_path: a `file://` URL or a path
 * @options: the options (only max_bytes applies)
 *
 * Returns: (transfer full): the source
 */
FleetSource *
fleet_file_source_new (const char *uri_or_path, const FleetSourceOptions *options, GError **error)
{
  FleetFileSource *self;

  g_return_val_if_fail (uri_or_path != NULL && options != NULL, NULL);

  if (g_str_has_prefix (uri_or_path, "file:") && !g_str_has_prefix (uri_or_path, "file:///"))
    return fleet_null_throw (error, FLEET_ERROR_INVALID_ARGUMENT,
                             "source: %s is not a local file URL (expected file:///PATH)",
                             uri_or_path);
  self = g_object_new (FLEET_TYPE_FILE_SOURCE, NULL);
  self->file = g_str_has_prefix (uri_or_path, "file:") ? g_file_new_for_uri (uri_or_path)
                                                        : g_file_new_for_path (uri_or_path);
  self->uri = g_file_get_path (self->file);
  if (self->uri == NULL)
    self->uri = g_strdup (uri_or_path);
  self->max_bytes = options->max_bytes;
  return FLEET_SOURCE (self);
}
