#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Lint the built man pages: any mandoc warning (or groff warning when mandoc
# is missing), and any @variable@ left unsubstituted, fails the check.
set -eu

builddir=${FLEET_TOP_BUILDDIR:-.}
pages=${FLEET_MAN_PAGES:?FLEET_MAN_PAGES (the built man pages) is not set}
mandoc=${MANDOC:-$(command -v mandoc || true)}
groff=${GROFF:-$(command -v groff || true)}

set -- $pages
echo "1..$(( $# * 2 ))"

n=0
for page in "$@"; do
  path=$builddir/$page
  name=$(basename "$page")

  n=$((n + 1))
  if [ ! -r "$path" ]; then
    echo "not ok $n - $name lints clean"
    echo "# $path is missing (is it built?)"
  elif [ -n "$mandoc" ]; then
    # mandoc exits non-zero on warnings; what matters is any message at all.
    out=$("$mandoc" -Tlint -W warning "$path" 2>&1) || true
    if [ -z "$out" ]; then
      echo "ok $n - $name lints clean (mandoc -Tlint -W warning)"
    else
      echo "not ok $n - $name lints clean (mandoc -Tlint -W warning)"
      printf '%s\n' "$out" | sed 's/^/# /'
    fi
  elif [ -n "$groff" ]; then
    out=$("$groff" -mandoc -t -ww -z "$path" 2>&1) || true
    if [ -z "$out" ]; then
      echo "ok $n - $name lints clean (groff -ww -z)"
    else
      echo "not ok $n - $name lints clean (groff -ww -z)"
      printf '%s\n' "$out" | sed 's/^/# /'
    fi
  else
    echo "ok $n # SKIP $name: neither mandoc nor groff is installed"
  fi

  n=$((n + 1))
  if [ ! -r "$path" ]; then
    echo "not ok $n - $name has every @variable@ substituted"
  elif left=$(grep -n '@[A-Za-z_]*@' "$path"); then
    echo "not ok $n - $name has every @variable@ substituted"
    printf '%s\n' "$left" | sed 's/^/# /'
  else
    echo "ok $n - $name has every @variable@ substituted"
  fi
done
