#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# build-image.sh [--cache DIR] [--force]: build (once) the Debian 12 guest
# that e2e/vm/run.sh boots under qemu.
#
# The guest is what an edge device running fleet would be: systemd, the
# system D-Bus, podman (runc, netavark) with its podman.socket, plus what the
# upgrade test itself uses (busybox-static for the images, python3 for the
# HTTP source, curl, jq) and the libraries fleet links against.  fleet itself
# is NOT in the image: run.sh installs each build of it into a throw-away
# overlay, so the image only changes when this script does.
#
# Output, in the cache directory (default $FLEET_VM_CACHE, else
# ${XDG_CACHE_HOME:-$HOME/.cache}/fleet-vm):
#   bookworm.qcow2   the root file system (ext4, the whole disk, no partitions)
#   vmlinuz, initrd.img  the guest's kernel and initramfs, for qemu -kernel
#   image.stamp      hash of this script; the image is rebuilt when it changes
# Prints the cache directory on stdout.  Needs root, mmdebstrap, mkfs.ext4
# (e2fsprogs) and qemu-img (qemu-utils), and a Debian mirror:
# $FLEET_VM_MIRROR, default http://deb.debian.org/debian.
#
# The guest has an empty root password on its serial console (it has no
# network), and, when it is booted with a 9p share tagged "fleet-e2e", runs
# the share's hook.sh once it is up: that is how run.sh drives it.
set -eu

usage () { echo "usage: $0 [--cache DIR] [--force]" >&2; exit 2; }

cache=${FLEET_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fleet-vm}
force=no
while [ $# -gt 0 ]; do
  case $1 in
    --cache) [ $# -ge 2 ] || usage; cache=$2; shift 2 ;;
    --force) force=yes; shift ;;
    *) usage ;;
  esac
done
mirror=${FLEET_VM_MIRROR:-http://deb.debian.org/debian}

log () { echo "build-image: $*" >&2; }

mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
# One build at a time per cache; a second run waits and then finds it done.
exec 9>"$cache/.lock"
flock 9
stamp=$(sha256sum "$0" | cut -d' ' -f1)
if [ "$force" = no ] && [ -f "$cache/image.stamp" ] && [ "$(cat "$cache/image.stamp")" = "$stamp" ] \
   && [ -f "$cache/bookworm.qcow2" ] && [ -f "$cache/vmlinuz" ] && [ -f "$cache/initrd.img" ]; then
  log "up to date: $cache"
  echo "$cache"
  exit 0
fi

for tool in mmdebstrap mkfs.ext4 qemu-img; do
  command -v "$tool" >/dev/null 2>&1 || {
    log "$tool is missing (Debian: apt-get install mmdebstrap e2fsprogs qemu-utils)"; exit 1; }
done
[ "$(id -u)" = 0 ] || { log "needs root (mmdebstrap's root mode, mkfs.ext4 -d keeping owners)"; exit 1; }

# Build next to the cache and move into place at the end, so that an
# interrupted build never leaves a half image that looks finished.
# mmdebstrap mounts /proc, /sys and /dev nodes into the root it builds, and
# unmounts them when it ends, also on SIGINT or SIGTERM (which reach it with
# us: it runs in the foreground, in our process group).  Whatever happens,
# never remove a directory with something still mounted below it.
remove_build_dir () {
  if grep -q -F " $1/" /proc/self/mounts; then
    log "not removing $1: something is still mounted below it"
  else
    rm -rf --one-file-system "$1"
  fi
}
# Builds that died without cleaning up (we hold the lock: none is running).
for stale in "$cache"/build.*; do
  [ ! -d "$stale" ] || remove_build_dir "$stale"
done
work=$(mktemp -d "$cache/build.XXXXXX")
trap 'remove_build_dir "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start=$(date +%s)

# systemd as init, the system bus, podman with the pieces Debian only
# recommends (runc, netavark + iptables for the default bridge network,
# conmon, catatonit), the libraries fleet links against, and the tools the
# guest side of the test uses.
packages='systemd systemd-sysv udev dbus kmod linux-image-amd64 e2fsprogs
podman runc conmon netavark aardvark-dns iptables catatonit
golang-github-containers-common golang-github-containers-image
libglib2.0-0 libjson-glib-1.0-0 libsoup-3.0-0 libpolkit-gobject-1-0 libnats3.4
busybox-static python3 curl jq procps util-linux'

# Files of the guest's own /etc, written here and copied in.
mkdir -p "$work/etc/systemd/system"
echo fleet-vm > "$work/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 fleet-vm\n' > "$work/etc/hosts"
# /var/log/journal (below): a persistent journal, so that the logs of the
# boot before a reboot can still be read.
# The share is optional (nofail): the image also boots by hand.
cat > "$work/etc/fstab" <<'FSTAB'
/dev/vda / ext4 errors=remount-ro 0 1
fleet-e2e /mnt/fleet-e2e 9p trans=virtio,version=9p2000.L,msize=524288,nofail 0 0
FSTAB
# The hook runs after boot, and only when run.sh shared a directory.
cat > "$work/etc/systemd/system/fleet-e2e-hook.service" <<'UNIT'
[Unit]
Description=fleet e2e: run hook.sh from the 9p share of the host
ConditionPathExists=/mnt/fleet-e2e/hook.sh
After=multi-user.target
RequiresMountsFor=/mnt/fleet-e2e

[Service]
Type=exec
ExecStart=/bin/sh /mnt/fleet-e2e/hook.sh
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
UNIT

log "mmdebstrap bookworm from $mirror"
# The hooks are run by mmdebstrap's shell, with the root directory as $1.
# shellcheck disable=SC2086,SC2016 # the package list is meant to split
mmdebstrap --mode=root --variant=apt --format=directory \
  --include="$(echo $packages | tr ' ' ',')" \
  --customize-hook='cp -a "'"$work"'/etc/." "$1/etc/"' \
  --customize-hook='mkdir -p "$1/mnt/fleet-e2e" "$1/var/log/journal"' \
  --customize-hook='chroot "$1" passwd -d root' \
  --customize-hook='chroot "$1" systemd-machine-id-setup' \
  --customize-hook='chroot "$1" systemctl enable fleet-e2e-hook.service' \
  --customize-hook='chroot "$1" systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer' \
  --customize-hook='cp "$1"/boot/vmlinuz-* "'"$work"'/vmlinuz" && cp "$1"/boot/initrd.img-* "'"$work"'/initrd.img"' \
  bookworm "$work/root" "$mirror" >&2

log "ext4 image"
# stdout is the interface: the tools talk on stderr.
mkfs.ext4 -q -L fleet-vm -d "$work/root" "$work/root.raw" 4G >&2
qemu-img convert -O qcow2 "$work/root.raw" "$work/bookworm.qcow2" >&2

mv "$work/bookworm.qcow2" "$work/vmlinuz" "$work/initrd.img" "$cache/"
echo "$stamp" > "$cache/image.stamp"
log "done in $(( $(date +%s) - start ))s: $cache ($(du -h "$cache/bookworm.qcow2" | cut -f1))"
echo "$cache"
