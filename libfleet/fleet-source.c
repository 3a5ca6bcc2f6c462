/* fleet-source.c: the source interface, its result type, and the factory
 * that picks an implementation from the URL's scheme.
 */
#include "config.h"

#include <string.h>

#include "fleet-file-source.h"
#include "fleet-http-source.h"
#include "fleet-source.h"
#include "fleet-util-private.h"

G_DEFINE_INTERFACE (FleetSource, fleet_source, G_TYPE_OBJECT)

G_DEFINE_BOXED_TYPE (FleetFetchResult, fleet_fetch_result, fleet_fetch_result_ref,
                     fleet_fetch_result_unref)

static void
fleet_source_default_init (FleetSourceInterface *iface)
{
}

/**
 * fleet_fetch_result_new:
 * @body: (nullable): the document, %NULL when @not_modified
 * @validator: (nullable): the version's validator
 *
 * Returns: (transfer full): a result
 */
FleetFetchResult *
fleet_fetch_result_new (gboolean not_modified, GBytes *body, const char *validator)
{
  FleetFetchResult *result = g_new0 (FleetFetchResult, 1);

  g_atomic_ref_count_init (&result->ref);
  result->not_modified = not_modified;
  result->body = body ? g_bytes_ref (body) : NULL;
  result->validator = g_strdup (validator);
  return result;
}

FleetFetchResult *
fleet_fetch_result_ref (FleetFetchResult *result)
{
  g_return_val_if_fail (result != NULL, NULL);

  g_atomic_ref_count_inc (&result->ref);
  return result;
}

void
fleet_fetch_result_unref (FleetFetchResult *result)
{
  g_return_if_fail (result != NULL);

  if (!g_atomic_ref_count_dec (&result->ref))
    return;
  g_clear_pointer (&result->body, g_bytes_unref);
  g_free (result->validator);
  g_free (result);
}

void
fleet_source_options_init (FleetSourceOptions *options)
{
  memset (options, 0, sizeof *options);
  options->max_bytes = 1024 * 1024;
  options->connect_timeout_secs = FLEET_DEFAULT_CONNECT_TIMEOUT_SECS;
  options->timeout_secs = FLEET_DEFAULT_FETCH_TIMEOUT_SECS;
}

/**
 * fleet_source_expand_uri:
 * @uri: a source URL or path, possibly containing `{device}`
 * @device_id: (nullable): the device id
 *
 * Replace every `{device}` in @uri by @device_id, percent-encoded in URLs.
 *
 * Returns: (transfer full): the expanded URI
 */
char *
fleet_source_expand_uri (const char *uri, const char *device_id)
{
  g_autofree char *escaped = NULL;
  g_auto(GStrv) parts = NULL;

  g_return_val_if_fail (uri != NULL, NULL);

  if (device_id == NULL || strstr (uri, "{device}") == NULL)
    return g_strdup (uri);
  escaped = g_str_has_prefix (uri, "http://") || g_str_has_prefix (uri, "https://")
              ? g_uri_escape_string (device_id, NULL, FALSE)
              : g_strdup (device_id);
  parts = g_strsplit (uri, "{device}", -1);
  return g_strjoinv (escaped, parts);
}

/**
 * fleet_source_new_for_uri:
 * @uri: `http://...`, `https://...`, `file:///...` or a plain path
 * @options: (nullable): options, or %NULL for the defaults
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the source for @uri, or %NULL with
 *   FLEET_ERROR_INVALID_ARGUMENT when the URL cannot be used
 */
FleetSource *
fleet_source_new_for_uri (const char *uri, const FleetSourceOptions *options, GError **error)
{
  FleetSourceOptions defaults;
  g_autofree char *expanded = NULL;
  const char *scheme;

  g_return_val_if_fail (uri != NULL, NULL);

  if (options == NULL)
    {
      fleet_source_options_init (&defaults);
      options = &defaults;
    }
  if (*uri == '\0')
    return fleet_null_throw (error, FLEET_ERROR_INVALID_ARGUMENT, "source: empty URL");
  expanded = fleet_source_expand_uri (uri, options->device_id);
  scheme = g_uri_peek_scheme (expanded);
  if (scheme == NULL || g_str_equal (scheme, "file"))
    return fleet_file_source_new (expanded, options, error);
  if (g_str_equal (scheme, "http") || g_str_equal (scheme, "https"))
    return fleet_http_source_new (expanded, options, error);
  return fleet_null_throw (error, FLEET_ERROR_INVALID_ARGUMENT,
                           "source: unsupported URL scheme \"%s\" in %s (expected http, https, "
                           "file or a path)",
                           scheme, uri);
}

void
fleet_source_fetch_async (FleetSource *self, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (FLEET_IS_SOURCE (self));

  FLEET_SOURCE_GET_IFACE (self)->fetch (self, cancellable, callback, user_data);
}

/**
 * fleet_source_fetch_finish:
 *
 * Returns: (transfer full): the fetched document or "not modified"; %NULL
 *   with FLEET_ERROR_FETCH_FAILED (or FLEET_ERROR_TOO_LARGE) naming the cause
 */
FleetFetchResult *
fleet_source_fetch_finish (FleetSource *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (FLEET_IS_SOURCE (self), NULL);

  return FLEET_SOURCE_GET_IFACE (self)->fetch_finish (self, result, error);
}

/**
 * fleet_source_commit:
 * @validator: (nullable): the validator of the fetch the caller applied
 *
 * Only a document the caller accepted is remembered, so that a rejected one
 * is fetched (and reported) again rather than answered "not modified".
 */
void
fleet_source_commit (FleetSource *self, const char *validator)
{
  g_return_if_fail (FLEET_IS_SOURCE (self));

  FLEET_SOURCE_GET_IFACE (self)->commit (self, validator);
}

const char *
fleet_source_get_uri (FleetSource *self)
{
  g_return_val_if_fail (FLEET_IS_SOURCE (self), NULL);

  return FLEET_SOURCE_GET_IFACE (self)->get_uri (self);
}
