/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-read-limited.c: read a stream to its end asynchronously, aborting
 * with FLEET_ERROR_TOO_LARGE as soon as it exceeds a limit, so that an
 * oversized document is never held in memory whole.
 */
#include "config.h"

#include "fleet-read-limited-private.h"
#include "fleet-util-private.h"

#define CHUNK_SIZE (64 * 1024)

typedef struct
{
  GByteArray *buffer;
  gsize max_bytes;
} ReadData;

static void
read_data_free (gpointer data)
{
  ReadData *d = data;

  g_byte_array_unref (d->buffer);
  g_free (d);
}

static void read_next (GTask *task);

static void
on_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  ReadData *d = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GBytes) chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result,
                                                              &error);

  if (chunk == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_bytes_get_size (chunk) == 0)
    {
      g_task_return_pointer (task, g_byte_array_free_to_bytes (g_byte_array_ref (d->buffer)),
                             (GDestroyNotify) g_bytes_unref);
      return;
    }
  if (d->buffer->len + g_bytes_get_size (chunk) > d->max_bytes)
    {
      g_task_return_new_error (task, FLEET_ERROR, FLEET_ERROR_TOO_LARGE,
                               "document: over the limit of %" G_GSIZE_FORMAT " bytes",
                               d->max_bytes);
      return;
    }
  g_byte_array_append (d->buffer, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
  read_next (g_steal_pointer (&task));
}

static void
read_next (GTask *task)
{
  GInputStream *stream = g_task_get_source_object (task);

  g_input_stream_read_bytes_async (stream, CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), on_read, task);
}

void
_fleet_read_limited_async (GInputStream *stream, gsize max_bytes, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (stream, cancellable, callback, user_data);
  ReadData *d = g_new0 (ReadData, 1);

  g_task_set_source_tag (task, _fleet_read_limited_async);
  d->buffer = g_byte_array_new ();
  d->max_bytes = max_bytes;
  g_task_set_task_data (task, d, read_data_free);
  read_next (task);
}

GBytes *
_fleet_read_limited_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
