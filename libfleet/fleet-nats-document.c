/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-nats-document.c: what a NATS source URL says, and a device's
 * document from the keys it has in the bucket.
 *
 * A device's keys come in two layouts.  The key `<device>` holds its whole
 * document, as from any other source (signed or not: the same bytes).
 * Harmony's layout has one key per deployment, `<device>.<deployment>`,
 * holding that deployment's `{"type": ..., "data": ...}` envelope; the
 * document is assembled from them, and its generation is the highest KV
 * revision among them, delete markers included: the bucket's revisions only
 * grow, so every change to the device's keys gives a higher generation, and
 * deleting a key drops its deployment.  When the `<device>` key exists, it
 * wins.
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "fleet-nats-private.h"
#include "fleet-util-private.h"

#define DEFAULT_PORT "4222"

void
_fleet_nats_address_free (FleetNatsAddress *address)
{
  g_strfreev (address->servers);
  g_free (address->user);
  g_free (address->password);
  g_free (address->bucket);
  g_free (address);
}

/* Bucket names, and the key tokens fleet makes of device ids and deployment
 * names: what NATS accepts in one token of a subject. */
static gboolean
is_token (const char *token, gboolean bucket)
{
  if (*token == '\0')
    return FALSE;
  for (const char *p = token; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_'
        && (bucket || (*p != '=' && *p != '/')))
      return FALSE;
  return TRUE;
}

gboolean
_fleet_nats_check_key_token (const char *what, const char *token, GError **error)
{
  if (is_token (token, FALSE))
    return TRUE;
  return fleet_throw (error, FLEET_ERROR_INVALID_ARGUMENT,
                      "%s \"%s\" cannot be a NATS key: expected letters, digits, '-', '_', '=' "
                      "or '/'",
                      what, token);
}

static gboolean
parse_servers (FleetNatsAddress *address, const char *uri, const char *scheme, const char *hosts,
               GError **error)
{
  g_auto(GStrv) parts = g_strsplit (hosts, ",", -1);
  g_autoptr(GPtrArray) servers = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *host = parts[i];
      /* HOST, [IPV6] or either with :PORT. */
      gboolean has_port = strrchr (host, ':') != NULL && host[strlen (host) - 1] != ']';

      if (*host == '\0' || strpbrk (host, "?#@ ") != NULL)
        return fleet_throw (error, FLEET_ERROR_INVALID_ARGUMENT,
                            "%s: expected HOST[:PORT] between the commas, got \"%s\"", uri,
                            host);
      g_ptr_array_add (servers, g_strdup_printf ("%s://%s%s", scheme, host,
                                                 has_port ? "" : ":" DEFAULT_PORT));
    }
  g_ptr_array_add (servers, NULL);
  address->servers = (char **) g_ptr_array_free (g_steal_pointer (&servers), FALSE);
  return TRUE;
}

static void
parse_user (FleetNatsAddress *address, const char *userinfo)
{
  const char *colon = strchr (userinfo, ':');

  address->user = g_uri_unescape_segment (userinfo, colon, NULL);
  if (colon != NULL)
    address->password = g_uri_unescape_string (colon + 1, NULL);
}

/**
 * _fleet_nats_address_parse:
 * @uri: `nats://[USER[:PASSWORD]@]HOST[:PORT][,HOST[:PORT]...]/BUCKET`
 *   (`tls://` for TLS with the system's CAs)
 */
FleetNatsAddress *
_fleet_nats_address_parse (const char *uri, GError **error)
{
  g_autoptr(FleetNatsAddress) address = g_new0 (FleetNatsAddress, 1);
  g_autofree char *authority = NULL;
  const char *rest, *slash, *at;
  const char *scheme;

  if (g_str_has_prefix (uri, "nats://"))
    scheme = "nats";
  else if (g_str_has_prefix (uri, "tls://"))
    scheme = "tls";
  else
    return fleet_null_throw (error, FLEET_ERROR_INVALID_ARGUMENT,
                             "%s: expected nats:// or tls://", uri);
  address->tls = g_str_equal (scheme, "tls");
  rest = uri + strlen (scheme) + 3;
  slash = strchr (rest, '/');
  if (slash == NULL || !is_token (slash + 1, TRUE))
    return fleet_null_throw (error, FLEET_ERROR_INVALID_ARGUMENT,
                             "%s: expected /BUCKET after the servers (letters, digits, '-', '_')",
                             uri);
  address->bucket = g_strdup (slash + 1);
  authority = g_strndup (rest, slash - rest);
  at = strrchr (authority, '@');
  if (at != NULL)
    {
      g_autofree char *userinfo = g_strndup (authority, at - authority);

      parse_user (address, userinfo);
    }
  if (!parse_servers (address, uri, scheme, at ? at + 1 : authority, error))
    return NULL;
  return g_steal_pointer (&address);
}

void
_fleet_nats_key_free (FleetNatsKey *key)
{
  g_clear_pointer (&key->value, g_bytes_unref);
  g_free (key);
}

/* Assembling. */

static guint64
highest_revision (GHashTable *keys)
{
  GHashTableIter iter;
  FleetNatsKey *key;
  guint64 highest = 0;

  g_hash_table_iter_init (&iter, keys);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &key))
    highest = MAX (highest, key->revision);
  return highest;
}

static JsonNode *
parse_envelope (const char *name, GBytes *value, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local_error = NULL;
  gsize size;
  const char *data = g_bytes_get_data (value, &size);

  if (!json_parser_load_from_data (parser, data, (gssize) size, &local_error))
    return fleet_null_throw (error, FLEET_ERROR_INVALID_DOCUMENT, "key %s: %s", name,
                             local_error->message);
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return fleet_null_throw (error, FLEET_ERROR_INVALID_DOCUMENT,
                             "key %s: expected a {\"type\": ..., \"data\": ...} object", name);
  return json_node_copy (json_parser_get_root (parser));
}

static GBytes *
assemble_parts (const char *device_id, GHashTable *parts, guint64 generation, GError **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GList) names = g_list_sort (g_hash_table_get_keys (parts), (GCompareFunc) strcmp);
  gsize prefix = strlen (device_id) + 1;
  gsize length;
  char *text;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "generation");
  json_builder_add_int_value (builder, (gint64) MIN (generation, G_MAXINT64));
  json_builder_set_member_name (builder, "deployments");
  json_builder_begin_object (builder);
  for (GList *l = names; l != NULL; l = l->next)
    {
      FleetNatsKey *key = g_hash_table_lookup (parts, l->data);
      JsonNode *envelope;

      if (key->value == NULL)
        continue;
      envelope = parse_envelope (l->data, key->value, error);
      if (envelope == NULL)
        return NULL;
      json_builder_set_member_name (builder, (const char *) l->data + prefix);
      json_builder_add_value (builder, envelope);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);
  return g_bytes_new_take (text, length);
}

/**
 * _fleet_nats_assemble:
 * @whole: key → FleetNatsKey, of the `<device>` watch
 * @parts: key → FleetNatsKey, of the `<device>.*` watch
 *
 * Returns: (transfer full): the device's document, with a validator naming
 *   the revision it was made from; %NULL with FLEET_ERROR_FETCH_FAILED when
 *   the device has no key, or FLEET_ERROR_INVALID_DOCUMENT /
 *   FLEET_ERROR_TOO_LARGE naming the key
 */
FleetFetchResult *
_fleet_nats_assemble (const char *device_id, const char *bucket, GHashTable *whole,
                      GHashTable *parts, gsize max_bytes, GError **error)
{
  FleetNatsKey *key = g_hash_table_lookup (whole, device_id);
  guint64 generation = MAX (highest_revision (whole), highest_revision (parts));
  g_autofree char *validator = g_strdup_printf ("nats-revision:%" G_GUINT64_FORMAT, generation);
  g_autoptr(GBytes) body = NULL;

  if (key != NULL && key->value != NULL)
    body = g_bytes_ref (key->value);
  else if (g_hash_table_size (parts) > 0)
    body = assemble_parts (device_id, parts, generation, error);
  else
    return fleet_null_throw (error, FLEET_ERROR_FETCH_FAILED,
                             "no key \"%s\" nor \"%s.*\" in the bucket \"%s\"", device_id,
                             device_id, bucket);
  if (body == NULL)
    return NULL;
  if (g_bytes_get_size (body) > max_bytes)
    return fleet_null_throw (error, FLEET_ERROR_TOO_LARGE,
                             "document: %" G_GSIZE_FORMAT " bytes is over the limit of %"
                             G_GSIZE_FORMAT " bytes",
                             g_bytes_get_size (body), max_bytes);
  return fleet_fetch_result_new (FALSE, body, validator);
}
