#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Check that the man pages document every fleetd option and fleetctl command
# of the contract's command-line table (section 4), with the contract's
# defaults, and that fleetd.conf(5) and the shipped fleetd.conf have a key for
# every fleetd option that takes a value.  The lists below are copied from
# the contract; a page that lacks one of them fails.
set -eu

srcdir=${FLEET_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${FLEET_TOP_BUILDDIR:-.}
mandir=${FLEET_MAN_BUILDDIR:-$builddir/man}
conf=${FLEET_CONF_EXAMPLE:-$srcdir/data/fleetd.conf.in}
sysconfdir=${FLEET_sysconfdir:?FLEET_sysconfdir is not set}
localstatedir=${FLEET_localstatedir:?FLEET_localstatedir is not set}
. "$srcdir/tests/libcheck-man.sh"

# Contract section 4: fleetd's options, and the default each one documents.
fleetd_options='--config|@sysconfdir@/fleet/fleetd.conf
--source|
--device-id|the contents of /etc/machine-id
--state-dir|@localstatedir@/lib/fleet
--runtime|podman
--podman-socket|/run/podman/podman.sock
--bus|system
--poll-interval|30
--tick-interval|30
--status-url|
--once|
--version|'
# fleetd's HTTP options, the project's extension of the contract.
fleetd_extensions='--ca-file
--client-cert
--client-key
--bearer-token-file
--max-document-bytes
--connect-timeout
--fetch-timeout'
# fleetctl: the global option, the commands, and their options.
fleetctl_options='--bus'
fleetctl_commands='status
reconcile
plan
version'
fleetctl_command_options='status --json
plan --json'
# Every fleetd option that takes a value is a key of the config file.
config_keys=$(printf '%s\n%s\n' "$fleetd_options" "$fleetd_extensions" | cut -d'|' -f1 |
  sed -n 's/^--//p' | grep -v -x -e config -e once -e version)

count () { printf '%s\n' "$1" | grep -c .; }
total=$(( $(count "$fleetd_options") * 2 + $(count "$fleetd_extensions") \
  + $(count "$fleetctl_options") + $(count "$fleetctl_commands") \
  + $(count "$fleetctl_command_options") + $(count "$config_keys") * 2 ))
echo "1..$total"

if [ -z "$(man_renderer)" ]; then
  i=1
  while [ "$i" -le "$total" ]; do
    echo "ok $i # SKIP neither mandoc nor groff is installed"
    i=$((i + 1))
  done
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for page in fleetd.8 fleetctl.1 fleetd.conf.5; do
  if ! man_render "$mandir/$page" > "$tmp/$page.txt" || [ ! -s "$tmp/$page.txt" ]; then
    echo "# cannot render $mandir/$page"
    : > "$tmp/$page.txt"
  fi
done

n=0
result () { # CONDITION-STATUS DESCRIPTION
  n=$((n + 1))
  if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}

printf '%s\n' "$fleetd_options" > "$tmp/list"
while IFS='|' read -r option default; do
  status=0
  man_has_option "$tmp/fleetd.8.txt" OPTIONS "$option" || status=1
  result $status "fleetd(8) OPTIONS documents $option"
  default=$(printf '%s' "$default" | sed -e "s|@sysconfdir@|$sysconfdir|" \
    -e "s|@localstatedir@|$localstatedir|")
  if [ -z "$default" ]; then
    result 0 "fleetd(8) $option: the contract gives no default"
  else
    status=0
    man_item_body "$tmp/fleetd.8.txt" OPTIONS "$option" | grep -F -q -e "Default: $default." ||
      status=1
    result $status "fleetd(8) $option says \"Default: $default\""
  fi
done < "$tmp/list"

printf '%s\n' "$fleetd_extensions" > "$tmp/list"
while read -r option; do
  status=0
  man_has_option "$tmp/fleetd.8.txt" OPTIONS "$option" || status=1
  result $status "fleetd(8) OPTIONS documents $option"
done < "$tmp/list"

for option in $fleetctl_options; do
  status=0
  man_has_option "$tmp/fleetctl.1.txt" OPTIONS "$option" || status=1
  result $status "fleetctl(1) OPTIONS documents $option"
done

for command in $fleetctl_commands; do
  status=0
  man_has_word "$tmp/fleetctl.1.txt" COMMANDS "$command" || status=1
  result $status "fleetctl(1) COMMANDS documents $command"
done

printf '%s\n' "$fleetctl_command_options" > "$tmp/list"
while read -r command option; do
  status=0
  man_item_body "$tmp/fleetctl.1.txt" COMMANDS "$command" | grep -F -q -e "$option" || status=1
  result $status "fleetctl(1) COMMANDS documents $command $option"
done < "$tmp/list"

for key in $config_keys; do
  status=0
  man_has_word "$tmp/fleetd.conf.5.txt" KEYS "$key" || status=1
  result $status "fleetd.conf(5) KEYS documents $key="
  status=0
  grep -E -q -e "^#?$key=" "$conf" || status=1
  result $status "the shipped fleetd.conf shows $key="
done
