#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# guest-hook.sh: what the guest runs at the end of every boot, as hook.sh
# of the 9p share that e2e/vm/run.sh gives it (the image's
# fleet-e2e-hook.service runs /mnt/fleet-e2e/hook.sh when it exists).
#
# Runs guest-upgrade.sh from the share, on the packages in debs/ (with
# --signed when run.sh signed documents into signed/, --host-test when it
# put a source tree in src/, for --host-mode); when it asks for a reboot (exit 3)
# reboots, and when it is done collects the journal into results/ for the
# host, writes its exit status to results/exit-status (the host's signal
# that the run is over) and powers the machine off.
set -u
share=$(cd "$(dirname "$0")" && pwd)
results=$share/results
mkdir -p "$results"

host_test=
[ ! -f "$share/src/e2e/run-host.sh" ] || host_test="--host-test $share/src"
signed=
[ ! -f "$share/signed/fleet.pub" ] || signed="--signed $share/signed"
# shellcheck disable=SC2086 # an option and its argument, or nothing
sh "$share/guest-upgrade.sh" --debs "$share/debs" --results "$results" $signed $host_test
rc=$?
if [ "$rc" = 3 ]; then
  systemctl reboot
  exit 0
fi
journalctl --no-pager -o short-monotonic -u fleetd.service -u podman.service -u podman.socket \
  -u fleet-e2e-http.service > "$results/journal-fleet.txt" 2>&1
journalctl --no-pager -o short-monotonic > "$results/journal-all.txt" 2>&1
echo "$rc" > "$results/exit-status.tmp"
mv "$results/exit-status.tmp" "$results/exit-status"
sync
systemctl poweroff
