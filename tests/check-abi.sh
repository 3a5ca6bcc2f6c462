#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# libfleet-1's ABI is its public headers: the version script
# (libfleet/libfleet-1.map) lists every function the public headers declare
# and nothing else, and the built library exports exactly that list.  A new
# public function that is not added to the map (in a new version node) is
# caught here, and so is a private one that leaks into it.
set -eu

srcdir=${FLEET_TOP_SRCDIR:-.}
builddir=${FLEET_TOP_BUILDDIR:-.}
map=$srcdir/libfleet/libfleet-1.map
lib=$builddir/.libs/libfleet-1.so
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! command -v nm >/dev/null 2>&1; then
  echo "1..0 # SKIP nm (binutils) is not installed"
  exit 0
fi
echo "1..3"

# The public headers: those the umbrella header includes.
headers=$(sed -n 's/^#include "\(fleet-[a-z-]*\.h\)"$/\1/p' "$srcdir/libfleet/fleet.h")
# Declared functions: a name followed by "(" at the start of a declaration,
# after the return type; G_DECLARE_* types add NAME_get_type.
(cd "$srcdir/libfleet" && cat $headers) \
  | sed -e 's|/\*.*\*/||' -e '/^#/d' -e '/^ \*/d' -e '/G_DEFINE_AUTOPTR/d' \
  | grep -o -E '^[A-Za-z][A-Za-z0-9_ *]*[ *](fleet_[a-z0-9_]+) \(' \
  | sed -E 's/.*(fleet_[a-z0-9_]+) \($/\1/' > "$tmp/declared.1"
(cd "$srcdir/libfleet" && cat $headers) \
  | sed -n -E 's/^G_DECLARE_[A-Z_]+ \([A-Za-z]+, (fleet_[a-z_]+),.*/\1_get_type/p' >> "$tmp/declared.1"
sort -u "$tmp/declared.1" > "$tmp/declared"
sed -n -E 's/^ +(fleet_[a-z0-9_]+);$/\1/p' "$map" | sort > "$tmp/mapped"
sort -u "$tmp/mapped" | cmp -s - "$tmp/mapped" || echo "# the map lists a symbol twice"

if cmp -s "$tmp/declared" "$tmp/mapped"; then
  echo "ok 1 - libfleet-1.map lists every function of the public headers, and only those"
else
  echo "not ok 1 - libfleet-1.map lists every function of the public headers, and only those"
  comm -23 "$tmp/declared" "$tmp/mapped" | sed 's/^/# declared, not in the map: /'
  comm -13 "$tmp/declared" "$tmp/mapped" | sed 's/^/# in the map, not declared: /'
fi

if [ ! -f "$lib" ]; then
  echo "ok 2 # SKIP $lib is not built"
  echo "ok 3 # SKIP $lib is not built"
  exit 0
fi
nm -D --defined-only "$lib" | awk '{ print $NF }' | grep -v '^LIBFLEET_' > "$tmp/exported.raw"
sed 's/@.*//' "$tmp/exported.raw" | sort > "$tmp/exported"
if cmp -s "$tmp/exported" "$tmp/mapped"; then
  echo "ok 2 - libfleet-1.so exports exactly the functions of the map"
else
  echo "not ok 2 - libfleet-1.so exports exactly the functions of the map"
  comm -23 "$tmp/mapped" "$tmp/exported" | sed 's/^/# in the map, not exported: /'
  comm -13 "$tmp/mapped" "$tmp/exported" | sed 's/^/# exported, not in the map: /'
fi
if grep -v -q '@@LIBFLEET_1\.0$' "$tmp/exported.raw"; then
  echo "not ok 3 - every exported symbol is versioned LIBFLEET_1.0"
  grep -v '@@LIBFLEET_1\.0$' "$tmp/exported.raw" | sed 's/^/# /'
else
  echo "ok 3 - every exported symbol is versioned LIBFLEET_1.0"
fi
