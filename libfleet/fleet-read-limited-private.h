/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-read-limited-private.h: read a whole stream, refusing to buffer
 * more than a limit.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void _fleet_read_limited_async (GInputStream *stream, gsize max_bytes, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
GBytes *_fleet_read_limited_finish (GAsyncResult *result, GError **error);

G_END_DECLS
