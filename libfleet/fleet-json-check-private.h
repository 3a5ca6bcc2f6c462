/* fleet-json-check-private.h: strict JSON text check, before json-glib. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean _fleet_json_check (const char *data, gsize len, guint max_depth, GError **error);

G_END_DECLS
