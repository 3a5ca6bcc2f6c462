#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# libfleet through GObject introspection: tests/test-introspection.py, run
# with the built Fleet-1.typelib and libfleet-1.so.  Skipped, with the
# reason, when configure built no typelib or found no Python with gi.
set -eu

builddir=${FLEET_TOP_BUILDDIR:-.}
srcdir=${FLEET_TOP_SRCDIR:-.}
if [ "${FLEET_INTROSPECTION:-no}" != yes ]; then
  echo "1..0 # SKIP introspection is not built (configure found no gobject-introspection)"
  exit 0
fi
if [ -z "${FLEET_PYTHON3_GI:-}" ]; then
  echo "1..0 # SKIP no Python 3 with gi (Debian: python3-gi)"
  exit 0
fi
GI_TYPELIB_PATH=$builddir${GI_TYPELIB_PATH:+:$GI_TYPELIB_PATH}
LD_LIBRARY_PATH=$builddir/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export GI_TYPELIB_PATH LD_LIBRARY_PATH
exec "$FLEET_PYTHON3_GI" "$srcdir/tests/test-introspection.py" "$srcdir/data/examples"
