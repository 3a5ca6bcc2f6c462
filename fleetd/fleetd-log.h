/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-log.h: fleetd's structured action log, and the log writer that
 * sends it (and libfleet's action records) to the journal or stderr. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Stable journal MESSAGE_IDs (journalctl MESSAGE_ID=...). */
#define FLEETD_MESSAGE_ID_CONVERGED "9a3c2b7f4e6d4c1b8f0a5d2e7c9b1a34"
#define FLEETD_MESSAGE_ID_FAILED "e5b1c8d2a7f34b6e9c0d1f2a3b4c5d6e"
#define FLEETD_MESSAGE_ID_REJECTED "3f7e9a1c5b2d4e6f8a0b1c2d3e4f5a6b"

void fleetd_log_event (GLogLevelFlags level, const char *action, const char *format, ...)
  G_GNUC_PRINTF (3, 4);
void fleetd_log_event_with_id (GLogLevelFlags level, const char *action, const char *message_id,
                               const char *format, ...) G_GNUC_PRINTF (4, 5);

const char *fleetd_log_message_id_for_error (const GError *error);
GLogField *fleetd_log_journal_fields (GLogLevelFlags level, const GLogField *fields,
                                      gsize n_fields, gsize *n_out);
GLogWriterOutput fleetd_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                                    gpointer user_data);

G_END_DECLS
