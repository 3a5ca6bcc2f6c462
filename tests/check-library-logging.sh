#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# libfleet never writes to the stderr of the program that uses it: its
# records are debug-level structured logs (fleet_log_notice(), g_debug()),
# which fleetd's log writer raises for the journal.  A g_message(),
# g_warning(), g_info() or g_print*() call in the library's sources would
# put "fleet-Message:" lines on a third party's stderr; each one found is
# listed with its file and line.  (g_critical() stays allowed: it is what
# g_return_if_fail() uses for programming errors.)
set -eu

srcdir=${FLEET_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}

echo "1..1"
found=$(grep -n -E '\<(g_message|g_warning|g_info|g_print|g_printerr)[[:space:]]*\(' \
          "$srcdir"/libfleet/*.c "$srcdir"/libfleet/*.h | grep -v -E '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)' || true)
if [ -z "$found" ]; then
  echo "ok 1 - libfleet's sources log nothing above debug level"
else
  echo "$found" | sed 's/^/# /'
  echo "not ok 1 - libfleet's sources log nothing above debug level"
fi
