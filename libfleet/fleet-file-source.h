/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-file-source.h: the desired-state document from a local file. */
#pragma once

#if !defined (__FLEET_H_INSIDE__) && !defined (FLEET_COMPILATION)
#error "Only <fleet/fleet.h> can be included directly."
#endif

#include "fleet-source.h"

G_BEGIN_DECLS

/**
 * FleetFileSourceOptions:
 * @max_bytes: the largest document accepted
 * @timeout_secs: the deadline of a read, 0 for the default (60): a file on a
 *   hung network file system fails then instead of blocking
 *
 * Initialise with fleet_file_source_options_init().
 *
 * Since: 0.2
 */
typedef struct
{
  gsize max_bytes;
  guint timeout_secs;
} FleetFileSourceOptions;

void fleet_file_source_options_init (FleetFileSourceOptions *options);

/**
 * FleetFileSource:
 *
 * A #FleetSource reading the document from a local file, with its detached
 * signature beside it.
 *
 * Since: 0.2
 */
#define FLEET_TYPE_FILE_SOURCE (fleet_file_source_get_type ())
G_DECLARE_FINAL_TYPE (FleetFileSource, fleet_file_source, FLEET, FILE_SOURCE, FleetSource)

FleetSource *fleet_file_source_new (const char *uri_or_path, const FleetFileSourceOptions *options,
                                    GError **error);

G_END_DECLS
