#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# podman-service.sh DIR: a private podman API service for one test program.
#
# Serves unix://DIR/podman.sock with its storage, run and tmp directories
# under DIR, so that test programs running in parallel (and the host) never
# see each other's containers, images or events.  --tmpdir matters as much as
# --root: podman keeps its events log there, by default in the shared
# /run/libpod.
#
# Runs until its stdin reaches end of file, which happens when the test
# program closes it or dies for whatever reason; then it removes every
# container, stops the service and deletes DIR.  Cleaning up here rather than
# in the test program means a crashed test leaves nothing running.
set -u

dir=$1
podman () {
  command podman --root "$dir/storage" --runroot "$dir/run" --tmpdir "$dir/tmp" \
    --network-config-dir "$dir/networks" --events-backend file "$@"
}

# ^C in the terminal (or timeout(1)) signals the whole process group; let the test
# program die of it, and carry on to the cleanup when our stdin closes.
trap '' INT HUP TERM

# Not through the function: $! must be podman itself, not a subshell.
command podman --root "$dir/storage" --runroot "$dir/run" --tmpdir "$dir/tmp" \
  --network-config-dir "$dir/networks" --events-backend file system service --time=0 "unix://$dir/podman.sock" \
  </dev/null >"$dir/service.log" 2>&1 &
service=$!

cat >/dev/null

podman rm --all --force --time 0 >/dev/null 2>&1
podman volume rm --all --force >/dev/null 2>&1
podman network prune --force >/dev/null 2>&1
kill "$service" 2>/dev/null
wait "$service" 2>/dev/null
# Whatever podman left mounted below DIR (overlay layers, shm).
grep -o " $dir/[^ ]*" /proc/self/mounts | sort -r | while read -r mnt; do
  umount -l "$mnt" 2>/dev/null
done
rm -rf "$dir"
