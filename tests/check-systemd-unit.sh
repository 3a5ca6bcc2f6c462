#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Check the built fleetd.service: systemd-analyze verify finds nothing to
# say, it starts the fleetd that make installs, keeps the settings and the
# hardening fleetd relies on, agrees with the D-Bus activation file, does
# not restart fleetd after a configuration error, and systemd-analyze
# security scores its exposure 2.0 or lower.
set -eu

srcdir=${FLEET_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${FLEET_TOP_BUILDDIR:-.}
sbindir=${FLEET_sbindir:?FLEET_sbindir is not set}
unit=$builddir/data/fleetd.service
activation=$srcdir/data/dev.fleet.Agent1.service
fleetd=$builddir/fleetd/fleetd
pages=${FLEET_MAN_PAGES:-}

echo "1..7"
n=0
ok () { n=$((n + 1)); echo "ok $n - $*"; }
not_ok () { n=$((n + 1)); echo "not ok $n - $*"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. systemd-analyze verify, on a copy whose ExecStart is a program that
# exists here (verify checks that it does): the built fleetd, or /bin/true
# while fleetd is not part of this tree.
description="systemd-analyze verify has nothing to say about fleetd.service"
if ! command -v systemd-analyze >/dev/null 2>&1; then
  n=$((n + 1))
  echo "ok $n # SKIP systemd-analyze is not installed (Debian package systemd)"
else
  if [ -x "$fleetd" ]; then
    program=$(cd "$(dirname "$fleetd")" && pwd)/fleetd
  else
    program=/bin/true
    description="$description (ExecStart=/bin/true: fleetd is not built in this tree)"
  fi
  sed "s|^ExecStart=[^ ]*|ExecStart=$program|" "$unit" > "$tmp/fleetd.service"
  # The man pages are this package's, not necessarily installed: test 3.
  if out=$(systemd-analyze verify --man=no "$tmp/fleetd.service" 2>&1) && [ -z "$out" ]; then
    ok "$description"
  else
    not_ok "$description"
    printf '%s\n' "$out" | sed 's/^/# /'
  fi
fi

# 2. ExecStart is where make installs fleetd.
execstart=$(sed -n 's/^ExecStart=//p' "$unit")
if [ "$execstart" = "$sbindir/fleetd" ]; then
  ok "ExecStart is \$(sbindir)/fleetd ($execstart)"
else
  not_ok "ExecStart is \$(sbindir)/fleetd ($sbindir/fleetd)"
  echo "# ExecStart=$execstart"
fi

# 3. Every page of Documentation= is one this package installs.
missing=
for doc in $(sed -n 's/^Documentation=//p' "$unit"); do
  case $doc in
    man:*)
      page=$(printf '%s' "$doc" | sed -E 's/^man:(.*)\((.*)\)$/man\/\1.\2/')
      case " $pages " in
        *" $page "*) ;;
        *) missing="$missing $doc" ;;
      esac
      ;;
  esac
done
if [ -n "$pages" ] && [ -z "$missing" ]; then
  ok "Documentation= names man pages this package installs"
else
  not_ok "Documentation= names man pages this package installs"
  echo "# not among '$pages':$missing"
fi

# 4. The settings fleetd relies on, and the hardening it is meant to have.
required='Type=notify
Restart=on-failure
BusName=dev.fleet.Agent1
StateDirectory=fleet
ConfigurationDirectory=fleet
CapabilityBoundingSet=
UMask=0077
ProtectSystem=strict
ProtectHome=yes
NoNewPrivileges=yes
PrivateTmp=yes
PrivateMounts=yes
ProtectProc=invisible
ProcSubset=pid
MemoryDenyWriteExecute=yes
SystemCallFilter=@system-service
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RestrictRealtime=yes
SystemCallArchitectures=native
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK'
missing=$(printf '%s\n' "$required" | grep -v -x -F -f "$unit" || true)
grep -q -E '^WatchdogSec=[1-9]' "$unit" || missing="$missing WatchdogSec="
grep -q -E '^After=.*network-online\.target' "$unit" || missing="$missing After=network-online.target"
# Stopped before the bus and podman at shutdown (found in e2e/vm).
grep -q -E '^After=.*[= ]dbus\.service' "$unit" || missing="$missing After=dbus.service"
grep -q -E '^After=.*[= ]podman\.service' "$unit" || missing="$missing After=podman.service"
# No dconf in the sandbox (found in e2e/vm).
grep -q -x 'Environment=GSETTINGS_BACKEND=memory' "$unit" || missing="$missing Environment=GSETTINGS_BACKEND=memory"
grep -q -E '^Wants=.*podman\.socket' "$unit" || missing="$missing Wants=podman.socket"
if [ -z "$missing" ]; then
  ok "fleetd.service keeps its required settings and hardening"
else
  not_ok "fleetd.service keeps its required settings and hardening"
  printf '%s\n' "$missing" | sed 's/^/# missing: /'
fi

# 5. D-Bus activation starts this unit, for the name the unit owns, through
# the unit's Alias=, which exists only while the unit is enabled (the
# convention of systemd's own bus services: dbus-NAME.service).
name=$(sed -n 's/^Name=//p' "$activation")
service=$(sed -n 's/^SystemdService=//p' "$activation")
busname=$(sed -n 's/^BusName=//p' "$unit")
aliases=$(sed -n 's/^Alias=//p' "$unit")
if [ "$name" = "$busname" ] && [ "$service" = "dbus-$busname.service" ] &&
   printf ' %s ' $aliases | grep -q -F " $service "; then
  ok "dev.fleet.Agent1.service activates $service, the Alias= of enabled fleetd.service, for $busname"
else
  not_ok "dev.fleet.Agent1.service activates dbus-$busname.service, the Alias= of enabled fleetd.service, for $busname"
  echo "# Name=$name SystemdService=$service Alias=$aliases"
fi

# 6. A configuration error is not restarted: RestartPreventExitStatus= is
# the status fleetd exits with for one (here a bad option).
prevent=$(sed -n 's/^RestartPreventExitStatus=//p' "$unit")
if [ ! -x "$fleetd" ]; then
  n=$((n + 1))
  echo "ok $n # SKIP fleetd is not built in this tree"
else
  status=0
  "$fleetd" --poll-interval=0 > /dev/null 2>&1 || status=$?
  if [ "$status" != 0 ] && [ "$prevent" = "$status" ]; then
    ok "RestartPreventExitStatus=$prevent, fleetd's exit status for a configuration error"
  else
    not_ok "RestartPreventExitStatus= is fleetd's exit status for a configuration error ($status)"
    echo "# RestartPreventExitStatus=$prevent"
  fi
fi

# 7. The hardening, as systemd measures it: an exposure of 2.0 or lower.
if ! command -v systemd-analyze >/dev/null 2>&1; then
  n=$((n + 1))
  echo "ok $n # SKIP systemd-analyze is not installed (Debian package systemd)"
elif ! out=$(systemd-analyze security --offline=yes "$tmp/fleetd.service" 2>&1); then
  not_ok "systemd-analyze security --offline=yes works on fleetd.service (systemd 250 or later)"
  printf '%s\n' "$out" | tail -n 5 | sed 's/^/# /'
else
  score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
    ok "systemd-analyze security scores fleetd.service's exposure $score (2.0 or lower)"
  else
    not_ok "systemd-analyze security scores fleetd.service's exposure 2.0 or lower (${score:-no score})"
    printf '%s\n' "$out" | grep -F '✗' | sed 's/^/# /'
  fi
fi
