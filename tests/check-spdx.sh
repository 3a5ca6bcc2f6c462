#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Check the licence of the source tree: every file under version control
# names its licence with an SPDX-License-Identifier line near its top, as
# GLib, ostree and fwupd do, and that licence is fleet's (COPYING), unless
# the file is listed below as an exception.  Lists every file that does not.
#
# Files that cannot hold a comment are exempt: JSON documents, the binary
# fuzzing corpus, and the Debian changelog, source format and copyright
# (the last names the licence in its own fields).  So is COPYING, the
# licence itself.
#
# The list of files comes from git: in a release tarball (make distcheck)
# the check is skipped, since the tarball also holds generated files
# (configure, Makefile.in, build-aux/) that carry their generators' notices.
set -eu

srcdir=${FLEET_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
licence=LGPL-2.1-or-later
# How far down the line may be: below a shebang, an XML declaration and
# a DOCTYPE.
head_lines=5

skip_all () { echo "1..0 # SKIP $*"; exit 0; }
command -v git >/dev/null 2>&1 || skip_all "git is not installed"
git -C "$srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
  skip_all "$srcdir is not a git checkout (the check needs its list of files)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

git -C "$srcdir" ls-files > "$tmp/all"
grep -v -E '^COPYING$|\.json$|\.bin$|^contrib/debian/(changelog|copyright|source/format)$' "$tmp/all" > "$tmp/files" || true

: > "$tmp/missing"
: > "$tmp/other"
while IFS= read -r file; do
  path=$srcdir/$file
  # Deleted but not yet committed, or a submodule.
  [ -f "$path" ] || continue
  line=$(head -n "$head_lines" "$path" | grep -m 1 -o 'SPDX-License-Identifier: [^ *>]*' || true)
  if [ -z "$line" ]; then
    echo "$file" >> "$tmp/missing"
  elif [ "${line#SPDX-License-Identifier: }" != "$licence" ]; then
    echo "$file: ${line#SPDX-License-Identifier: }" >> "$tmp/other"
  fi
done < "$tmp/files"

echo "1..3"
if [ -s "$tmp/missing" ]; then
  echo "not ok 1 - every file names its licence (SPDX-License-Identifier in its first $head_lines lines)"
  echo "# $(wc -l < "$tmp/missing") of $(wc -l < "$tmp/files") files lack one:"
  sed 's/^/# missing: /' "$tmp/missing"
else
  echo "ok 1 - every file names its licence ($(wc -l < "$tmp/files") files)"
fi

if [ -s "$tmp/other" ]; then
  echo "not ok 2 - every file is $licence, as COPYING says"
  sed 's/^/# other licence: /' "$tmp/other"
else
  echo "ok 2 - every file is $licence, as COPYING says"
fi

if grep -q -F 'GNU LESSER GENERAL PUBLIC LICENSE' "$srcdir/COPYING" 2>/dev/null &&
   grep -q -F 'Version 2.1, February 1999' "$srcdir/COPYING"; then
  echo "ok 3 - COPYING is the text of the LGPL, version 2.1"
else
  echo "not ok 3 - COPYING is the text of the LGPL, version 2.1"
fi
