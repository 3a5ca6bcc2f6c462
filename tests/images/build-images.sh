#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# build-images.sh PODMAN-GLOBAL-ARGS...: import the images the podman tests
# run, without any registry: a root filesystem made of busybox-static and its
# applet links, imported once per tag with a different command.
#
#   localhost/fleet-test:v1, :v2   a service that, on SIGTERM or SIGINT,
#                                  appends "<tag> <signal>" to /data/marker
#                                  and exits 0
#   localhost/fleet-test:ignore-term  ignores SIGTERM and SIGINT (only
#                                  SIGKILL ends it)
#   localhost/fleet-test:signals   exits with 128 + the number of the signal
#                                  it got (HUP, INT, QUIT, USR1, USR2, TERM),
#                                  as a process killed by it would
#   localhost/fleet-test:exits     exits with status 3 at once
#   localhost/fleet-test:broken    cannot start: its command does not exist
#   localhost/fleet-test:entrypoint  has an ENTRYPOINT (that only echoes and
#                                  exits) besides its CMD: a document's
#                                  command must replace both
#
# The services are shell loops rather than a bare `sleep`: PID 1 has no
# default signal handlers, so a `sleep` as PID 1 never dies of SIGTERM.
set -eu

busybox=${BUSYBOX:-/bin/busybox}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/rootfs/bin" "$work/rootfs/data" "$work/rootfs/tmp" "$work/rootfs/proc" \
  "$work/rootfs/sys" "$work/rootfs/dev" "$work/rootfs/etc"
cp "$busybox" "$work/rootfs/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$work/rootfs/bin/$applet"
done
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .

import () {
  tag=$1
  script=$2
  shift 2
  podman "$@" import --quiet --change "CMD [\"/bin/sh\", \"-c\", \"$script\"]" \
    "$work/rootfs.tar" "localhost/fleet-test:$tag" >/dev/null
}

loop='while :; do sleep 1 & wait; done'
for tag in v1 v2; do
  import "$tag" "trap 'echo $tag TERM >> /data/marker; exit 0' TERM; trap 'echo $tag INT >> /data/marker; exit 0' INT; $loop" "$@"
done
import ignore-term "trap '' TERM INT; $loop" "$@"
traps=
for sig in HUP:1 INT:2 QUIT:3 USR1:10 USR2:12 TERM:15; do
  traps="$traps trap 'exit $((128 + ${sig#*:}))' ${sig%:*};"
done
import signals "$traps $loop" "$@"
podman "$@" import --quiet --change 'CMD ["/nonexistent"]' "$work/rootfs.tar" \
  localhost/fleet-test:broken >/dev/null
import exits "exit 3" "$@"
podman "$@" import --quiet --change 'ENTRYPOINT ["/bin/echo", "ENTRYPOINT-RAN"]' \
  --change "CMD [\"/bin/sh\", \"-c\", \"$loop\"]" "$work/rootfs.tar" \
  localhost/fleet-test:entrypoint >/dev/null
