/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-json-tree-private.h: a strict JSON (RFC 8259) reader and the
 * read-only tree it builds, for the document parser.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  FLEET_JSON_NULL,
  FLEET_JSON_BOOLEAN,
  FLEET_JSON_INTEGER,
  FLEET_JSON_DOUBLE,
  FLEET_JSON_STRING,
  FLEET_JSON_ARRAY,
  FLEET_JSON_OBJECT,
} FleetJsonType;

/* One value of the tree.  The children of an array or an object are
 * consecutive values (in document order); an object's children carry their
 * member names in @key.  Strings and member names are decoded, valid UTF-8,
 * NUL-terminated and free of NUL bytes.  @canonical_start and
 * @canonical_end are filled in by _fleet_canonical_json_tree(): where the
 * value (for a member: its name) starts and ends in the canonical form. */
typedef struct
{
  FleetJsonType type;
  guint n_children;
  guint first_child;
  const char *key;
  union
  {
    gboolean boolean;
    gint64 integer;
    double number;
    struct
    {
      const char *str;
      gsize len;
    } string;
  } v;
  gsize canonical_start;
  gsize canonical_end;
} FleetJsonValue;

typedef struct _FleetJsonTree FleetJsonTree;

FleetJsonTree *_fleet_json_tree_parse (const char *data, gsize len, guint max_depth,
                                       GError **error);
void _fleet_json_tree_free (FleetJsonTree *tree);
FleetJsonValue *_fleet_json_tree_get_root (FleetJsonTree *tree);
FleetJsonValue *_fleet_json_tree_get_children (FleetJsonTree *tree, const FleetJsonValue *value);
const FleetJsonValue *_fleet_json_object_get_member (FleetJsonTree *tree,
                                                     const FleetJsonValue *object,
                                                     const char *key);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetJsonTree, _fleet_json_tree_free)

G_END_DECLS
