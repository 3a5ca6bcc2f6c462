#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# build-example-images.sh [PODMAN-GLOBAL-ARGS...]: import the example images
# localhost/fleet-example:v1, :v2 and :v3 that data/examples/hello-v*.json
# name, without any registry, from busybox-static.  Used by the quick start
# demo (e2e/quickstart.sh) and the end-to-end test (e2e/run-host.sh).
#
# PODMAN-GLOBAL-ARGS select the podman to import into, e.g.
# `--url unix:///tmp/x/podman.sock --remote` or `--root DIR --runroot DIR`;
# none means podman's default storage.  BUSYBOX overrides the busybox binary
# (default /bin/busybox, from busybox-static: it must be static, the image
# has no libc).  E2E_EXAMPLE_VERSIONS overrides the tags built (default
# "v1 v2 v3").
#
# Each image runs `/bin/httpd -f -p 8080` (the command of the example
# documents) in /www and serves a page saying its version, and the value of
# $GREETING when the document sets one:
#
#     fleet-example v2
#     hello from v2
#
# /bin/httpd is a small wrapper around busybox httpd, because a container's
# PID 1 has no default signal actions: busybox httpd as PID 1 would ignore
# SIGTERM and only die of the SIGKILL at the end of the grace period.  The
# wrapper stops httpd on SIGTERM or SIGINT and exits 0.  With $STOP_DELAY
# set, it then takes that many seconds more, like a service draining its
# connections would.  Last, when a directory is mounted on /data, it appends
# "VERSION SIGNAL HOSTNAME" to /data/stops (podman's default hostname is the
# container's short id): so a line there says which container got which
# signal and was given the time to stop cleanly, which is what the
# end-to-end test checks.
set -eu

busybox=${BUSYBOX:-/bin/busybox}
versions=${E2E_EXAMPLE_VERSIONS:-v1 v2 v3}

if ! "$busybox" --list >/dev/null 2>&1; then
  echo "build-example-images.sh: $busybox is not a busybox binary (Debian: busybox-static)" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/fleet-example-image.XXXXXX")
trap 'rm -rf "$work"' EXIT

rootfs=$work/rootfs
mkdir -p "$rootfs/bin" "$rootfs/www" "$rootfs/tmp" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" \
  "$rootfs/etc"
chmod 1777 "$rootfs/tmp"
cp "$busybox" "$rootfs/bin/busybox"
for applet in $("$busybox" --list); do
  case $applet in
    busybox | httpd) ;;
    *) ln -s busybox "$rootfs/bin/$applet" ;;
  esac
done

# The wrapper; VERSION is filled in per image.
cat >"$work/httpd.in" <<'EOF'
#!/bin/sh
# fleet-example VERSION: busybox httpd that stops cleanly as PID 1 (see
# e2e/build-example-images.sh in fleet).
version=VERSION
{
  echo "fleet-example $version"
  if [ -n "${GREETING:-}" ]; then echo "$GREETING"; fi
} >/www/index.html
stop () {
  echo "fleet-example $version: got SIG$1, stopping"
  kill "$pid" 2>/dev/null
  wait "$pid"
  if [ -n "${STOP_DELAY:-}" ]; then sleep "$STOP_DELAY"; fi
  if [ -d /data ]; then echo "$version $1 $(hostname)" >>/data/stops; fi
  exit 0
}
trap 'stop TERM' TERM
trap 'stop INT' INT
cd /www
/bin/busybox httpd "$@" &
pid=$!
wait "$pid"
EOF

for version in $versions; do
  sed "s/VERSION/$version/g" "$work/httpd.in" >"$rootfs/bin/httpd"
  chmod 755 "$rootfs/bin/httpd"
  echo "fleet-example $version" >"$rootfs/www/index.html"
  tar -C "$rootfs" -cf "$work/rootfs.tar" .
  podman "$@" import --quiet \
    --change 'WORKDIR /www' \
    --change 'EXPOSE 8080' \
    --change 'CMD ["/bin/httpd", "-f", "-p", "8080"]' \
    --change "LABEL org.opencontainers.image.title=fleet-example org.opencontainers.image.version=$version" \
    "$work/rootfs.tar" "localhost/fleet-example:$version" >/dev/null
done
