#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Check that every option the built fleetd and fleetctl print in --help, and
# every fleetctl command, is documented in their man pages (and every fleetd
# setting in fleetd.conf(5) and the shipped fleetd.conf), so that a new
# option without documentation fails `make check`.
#
# fleetd --help is GOption's: option lines start "  -x, --long" or
# "  --long".  fleetctl --help has the same option lines, and a section whose
# header ends in "Commands:" with one "  command  summary" line per command,
# ending at a blank line.  `fleetctl COMMAND --help`, when it succeeds, lists
# the command's own options the same way.
set -eu

srcdir=${FLEET_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${FLEET_TOP_BUILDDIR:-.}
mandir=${FLEET_MAN_BUILDDIR:-$builddir/man}
conf=${FLEET_CONF_EXAMPLE:-$srcdir/data/fleetd.conf.in}
fleetd=${FLEETD:-$builddir/fleetd/fleetd}
fleetctl=${FLEETCTL:-$builddir/fleetctl/fleetctl}
. "$srcdir/tests/libcheck-man.sh"

# Options that exist only on the command line (contract section 4 lists the
# config file's keys as the other options' long names).
command_line_only='help version config once'

# No bus can be reached while asking for help, so that a command that does
# not know --help fails instead of acting on a running fleetd.
DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/fleet-check-man-options
DBUS_SESSION_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS
export DBUS_SYSTEM_BUS_ADDRESS DBUS_SESSION_BUS_ADDRESS

missing=
for binary in "$fleetd" "$fleetctl"; do
  [ -x "$binary" ] || missing="$missing $binary"
done
if [ -n "$missing" ]; then
  echo "1..1"
  echo "not ok 1 - fleetd and fleetctl are built (missing:$missing)"
  echo "# this check reads the options from the binaries' --help output"
  exit 1
fi
if [ -z "$(man_renderer)" ]; then
  echo "1..0 # SKIP neither mandoc nor groff is installed"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for page in fleetd.8 fleetctl.1 fleetd.conf.5; do
  man_render "$mandir/$page" > "$tmp/$page.txt" || : > "$tmp/$page.txt"
done

# help_options HELP-FILE: "--long" and "-x" of each option line, one a line.
help_options () {
  sed -n -E 's/^[[:space:]]+(-[[:alnum:]], )?(--[[:alnum:]][[:alnum:]-]*).*/\1\2/p' "$1" |
    sed 's/, /\
/' | grep -v -E -e '^--help-' | sort -u
}

# help_commands HELP-FILE: the first word of each line of the Commands section.
help_commands () {
  awk '
    /[Cc]ommands:[[:space:]]*$/ { incmds = 1; next }
    incmds && /^[[:space:]]*$/ { incmds = 0 }
    incmds && /^[[:space:]]+[a-z]/ { print $1 }
  ' "$1"
}

status=0
"$fleetd" --help > "$tmp/fleetd.help" 2>&1 || status=$?
if [ $status -ne 0 ] || [ -z "$(help_options "$tmp/fleetd.help")" ]; then
  echo "1..1"
  echo "not ok 1 - fleetd --help lists options (exit status $status)"
  sed 's/^/# /' "$tmp/fleetd.help"
  exit 1
fi
status=0
"$fleetctl" --help > "$tmp/fleetctl.help" 2>&1 || status=$?
if [ $status -ne 0 ] || [ -z "$(help_commands "$tmp/fleetctl.help")" ]; then
  echo "1..1"
  echo "not ok 1 - fleetctl --help lists its commands under \"Commands:\" (exit status $status)"
  sed 's/^/# /' "$tmp/fleetctl.help"
  exit 1
fi

help_options "$tmp/fleetd.help" > "$tmp/fleetd.options"
help_options "$tmp/fleetctl.help" > "$tmp/fleetctl.options"
help_commands "$tmp/fleetctl.help" > "$tmp/fleetctl.commands"
# Each command's own options, when it has a --help of its own.
: > "$tmp/fleetctl.command-options"
while read -r command; do
  if "$fleetctl" "$command" --help > "$tmp/$command.help" 2>&1; then
    help_options "$tmp/$command.help" | grep -v -x -F -f "$tmp/fleetctl.options" |
      sed "s/^/$command /" >> "$tmp/fleetctl.command-options" || true
  fi
done < "$tmp/fleetctl.commands"
sed -n 's/^--//p' "$tmp/fleetd.options" > "$tmp/fleetd.keys"
for option in $command_line_only; do
  grep -v -x -e "$option" "$tmp/fleetd.keys" > "$tmp/keys" || true
  mv "$tmp/keys" "$tmp/fleetd.keys"
done

lines () { grep -c . "$1" || true; }
echo "1..$(( $(lines "$tmp/fleetd.options") + $(lines "$tmp/fleetctl.options") \
  + $(lines "$tmp/fleetctl.commands") + $(lines "$tmp/fleetctl.command-options") \
  + $(lines "$tmp/fleetd.keys") * 2 ))"

n=0
result () { # STATUS DESCRIPTION
  n=$((n + 1))
  if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}

while read -r option; do
  status=0
  man_has_option "$tmp/fleetd.8.txt" OPTIONS "$option" || status=1
  result $status "fleetd(8) OPTIONS documents fleetd's $option"
done < "$tmp/fleetd.options"

while read -r option; do
  status=0
  man_has_option "$tmp/fleetctl.1.txt" OPTIONS "$option" || status=1
  result $status "fleetctl(1) OPTIONS documents fleetctl's $option"
done < "$tmp/fleetctl.options"

while read -r command; do
  status=0
  man_has_word "$tmp/fleetctl.1.txt" COMMANDS "$command" || status=1
  result $status "fleetctl(1) COMMANDS documents fleetctl $command"
done < "$tmp/fleetctl.commands"

while read -r command option; do
  status=0
  man_item_body "$tmp/fleetctl.1.txt" COMMANDS "$command" | grep -F -q -e "$option" || status=1
  result $status "fleetctl(1) COMMANDS documents fleetctl $command $option"
done < "$tmp/fleetctl.command-options"

while read -r key; do
  status=0
  man_has_word "$tmp/fleetd.conf.5.txt" KEYS "$key" || status=1
  result $status "fleetd.conf(5) KEYS documents $key= (fleetd's --$key)"
  status=0
  grep -E -q -e "^#?$key=" "$conf" || status=1
  result $status "the shipped fleetd.conf shows $key= (fleetd's --$key)"
done < "$tmp/fleetd.keys"
