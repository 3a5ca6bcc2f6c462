/* fleet-file-source.h: the desired-state document from a local file. */
#pragma once

#include "fleet-source.h"

G_BEGIN_DECLS

#define FLEET_TYPE_FILE_SOURCE (fleet_file_source_get_type ())
G_DECLARE_FINAL_TYPE (FleetFileSource, fleet_file_source, FLEET, FILE_SOURCE, GObject)

FleetSource *fleet_file_source_new (const char *uri_or_path, const FleetSourceOptions *options,
                                    GError **error);

G_END_DECLS
