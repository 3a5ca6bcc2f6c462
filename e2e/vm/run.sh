#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# run.sh [--cache DIR] [--tarball FILE] [--timeout SECONDS] [--keep]
# [--host-mode]: the flagged VM mode of fleet's end-to-end test
# (`make e2e-vm`; never part of `make check`).
#
# Boots a Debian 12 guest under qemu (TCG, never KVM), installs fleet into
# it from its Debian packages (apt install ./…deb), and runs the v1 -> v2 ->
# v3 upgrade there against the real fleetd.service, the system bus and the
# system's podman.socket, through a reboot of the guest, then signed
# documents (e2e/vm/guest-upgrade.sh says what is checked).
#
#   --cache DIR      where the guest image is kept between runs (default
#                    $FLEET_VM_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/fleet-vm);
#                    built by e2e/vm/build-image.sh when missing or stale
#   --tarball FILE   the fleet release tarball to package and install (what
#                    `make e2e-vm` passes: it runs `make dist` first);
#                    default: `make dist` in $FLEET_TOP_BUILDDIR, else in
#                    the source tree, which must be configured
#   --timeout SECS   hard limit on the whole run, image build and fleet
#                    build included (default $FLEET_VM_TIMEOUT, else 1800);
#                    whatever runs then is killed, the VM included
#   --keep           keep the work directory (serial log, journals, disk)
#   --host-mode      also run the host mode's e2e/run-host.sh in the guest
#                    at the end, against the installed fleet, the system's
#                    podman and bus.  Off by default: its waits (20 to 40 s)
#                    are sized for a native host and TCG misses some of them
#
# Prints TAP: the guest's tests as they happen, then the host's own (the
# guest powered itself off); exit status 0 only when all passed.  Setup
# problems are "Bail out!" lines.  Needs root, qemu-system-x86_64 and
# qemu-img (the image build needs mmdebstrap and a Debian mirror).
#
# How: fleet's .debs are built here from the tarball by
# contrib/build-debs.sh (what `make deb` runs) into a directory that the
# guest sees over 9p (virtio), together with the guest's scripts and the
# documents signed here with signify-openbsd (the guest has no signify); the image's fleet-e2e-hook.service runs the share's hook.sh after
# each boot, and the guest writes its TAP and journals back into the share.
# The guest's disk is a qcow2 overlay of the cached image, thrown away after.
set -eu

usage () {
  echo "usage: $0 [--cache DIR] [--tarball FILE] [--timeout SECONDS] [--keep] [--host-mode]" >&2
  exit 2
}

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
cache=${FLEET_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fleet-vm}
tarball=
timeout=${FLEET_VM_TIMEOUT:-1800}
keep=no
host_mode=no
while [ $# -gt 0 ]; do
  case $1 in
    --cache) [ $# -ge 2 ] || usage; cache=$2; shift 2 ;;
    --tarball) [ $# -ge 2 ] || usage; tarball=$2; shift 2 ;;
    --timeout) [ $# -ge 2 ] || usage; timeout=$2; shift 2 ;;
    --keep) keep=yes; shift ;;
    --host-mode) host_mode=yes; shift ;;
    *) usage ;;
  esac
done

bail () { echo "Bail out! $*"; exit 1; }
note () { echo "# $*"; }
now () { date +%s; }

[ "$(id -u)" = 0 ] || bail "needs root (the image build and the guest's file ownership)"
for tool in qemu-system-x86_64 qemu-img; do
  command -v "$tool" >/dev/null 2>&1 ||
    bail "$tool is missing (Debian: apt-get install qemu-system-x86 qemu-utils)"
done
for tool in dpkg-buildpackage dh signify-openbsd; do
  command -v "$tool" >/dev/null 2>&1 ||
    bail "$tool is missing (Debian: apt-get install dpkg-dev debhelper signify-openbsd)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/fleet-vm.XXXXXX")
qemu_pid=
# shellcheck disable=SC2317 # run by the trap
cleanup () {
  if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
    kill "$qemu_pid" 2>/dev/null || true
    wait "$qemu_pid" 2>/dev/null || true
  fi
  if [ "$keep" = yes ]; then
    echo "# kept: $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'echo "Bail out! interrupted"; exit 130' INT
trap 'echo "Bail out! terminated"; exit 143' TERM

start=$(now)
deadline=$(( start + timeout ))
# left: the seconds left of the whole run's time, for timeout(1).
left () {
  secs=$(( deadline - $(now) ))
  [ "$secs" -gt 0 ] || secs=1
  echo "$secs"
}

# 1. The guest image (cached).
t=$(now)
if ! cache=$(timeout "$(left)" "$srcdir/e2e/vm/build-image.sh" --cache "$cache" 2>"$work/build-image.log"); then
  sed 's/^/# /' "$work/build-image.log" | tail -20
  bail "building the guest image failed"
fi
image_secs=$(( $(now) - t ))
note "guest image: $cache/bookworm.qcow2 ($(tail -1 "$work/build-image.log"), ${image_secs}s)"

# 2. fleet's packages, from its release tarball, as a distribution builds them.
t=$(now)
if [ -z "$tarball" ]; then
  builddir=${FLEET_TOP_BUILDDIR:-$srcdir}
  [ -f "$builddir/Makefile" ] ||
    bail "no --tarball and $builddir is not configured (./autogen.sh, or make e2e-vm)"
  timeout "$(left)" "${MAKE:-make}" -C "$builddir" dist >"$work/dist.log" 2>&1 ||
    { tail -20 "$work/dist.log" | sed 's/^/# /'; bail "make dist failed"; }
  # shellcheck disable=SC2012 # our own file names
  tarball=$(ls -t "$builddir"/fleet-*.tar.xz | head -1)
fi
[ -f "$tarball" ] || bail "no tarball $tarball"
mkdir -p "$work/share/results"
# fleet's Debian packages, built from the tarball as `make deb` builds them
# (contrib/build-debs.sh: dpkg-buildpackage in a directory of its own).
if ! timeout "$(left)" "$srcdir/contrib/build-debs.sh" --tarball "$tarball" \
      --outdir "$work/share/debs" --no-lintian >"$work/build.log" 2>&1; then
  tail -30 "$work/build.log" | sed 's/^/# /'
  bail "building fleet's packages from $(basename "$tarball") failed"
fi
build_secs=$(( $(now) - t ))
note "fleet: $(basename "$tarball") built into $(cd "$work/share/debs" && echo *.deb | wc -w) packages (${build_secs}s)"

# The signed documents: a key made here, v4 and v5 of e2e/vm/documents.sh
# signed with it (embedded signatures), v5 then changed.  The guest gets
# the public key and the documents, never the secret key.
signed=$work/share/signed
mkdir -p "$signed" "$work/docs"
# shellcheck disable=SC1091 # a file of this tree
( e2e=/var/lib/fleet-e2e; . "$srcdir/e2e/vm/documents.sh"; write_documents "$work/docs" )
sign () {   # sign DOCUMENT SIGNED
  signify-openbsd -S -e -s "$work/fleet.sec" -m "$1" -x "$2" >>"$work/signify.log" 2>&1
}
if ! { signify-openbsd -G -n -c "fleet e2e-vm" -p "$signed/fleet.pub" -s "$work/fleet.sec" \
         >"$work/signify.log" 2>&1 &&
       sign "$work/docs/doc-v4.json" "$signed/doc-v4.signed" &&
       sign "$work/docs/doc-v5.json" "$work/docs/doc-v5.signed"; }; then
  sed 's/^/# /' "$work/signify.log"
  bail "signing the documents with signify-openbsd failed"
fi
sed 's/hello from v5/hello from an attacker/' "$work/docs/doc-v5.signed" >"$signed/doc-v5.tampered"
! cmp -s "$work/docs/doc-v5.signed" "$signed/doc-v5.tampered" || bail "the tampered v5 is not changed"

# 3. The guest's side, and its throw-away disk.
cp "$srcdir/e2e/vm/guest-hook.sh" "$work/share/hook.sh"
cp "$srcdir/e2e/vm/guest-upgrade.sh" "$work/share/guest-upgrade.sh"
cp "$srcdir/e2e/vm/documents.sh" "$work/share/documents.sh"
cp "$srcdir/e2e/vm/guest-health.sh" "$work/share/guest-health.sh"
# The host mode's script, run once more in the guest at the end, from the
# tarball's tree (what it was built from).
if [ "$host_mode" = yes ]; then
  tar -tf "$tarball" | grep -q '^[^/]*/e2e/run-host\.sh$' ||
    bail "--host-mode: $(basename "$tarball") has no e2e/run-host.sh"
  mkdir -p "$work/share/src"
  tar -C "$work/share/src" --strip-components=1 -xf "$tarball" --wildcards '*/e2e/*' '*/tests/*.conf' \
    '*/data/examples/*'
fi
qemu-img create -q -f qcow2 -b "$cache/bookworm.qcow2" -F qcow2 "$work/disk.qcow2"

# 4. Boot.  The guest reboots once by itself (qemu resets and boots the same
# kernel again) and powers off at the end.
t=$(now)
qemu-system-x86_64 -accel tcg -m "${FLEET_VM_MEMORY:-2048}" -smp 2 \
  -nodefaults -no-user-config -display none -monitor none \
  -serial "file:$work/serial.log" -nic none \
  -kernel "$cache/vmlinuz" -initrd "$cache/initrd.img" \
  -append "root=/dev/vda rw console=ttyS0" \
  -drive "file=$work/disk.qcow2,if=virtio,format=qcow2" \
  -virtfs "local,path=$work/share,mount_tag=fleet-e2e,security_model=none,id=fleet-e2e" \
  -device virtio-rng-pci \
  </dev/null >"$work/qemu.log" 2>&1 &
qemu_pid=$!
note "guest booting (qemu pid $qemu_pid, TCG); $(left)s left of the ${timeout}s timeout"

# 5. Follow the guest's TAP until it says it is done, qemu dies, or time is up.
tap=$work/share/results/tap
shown=0
guest_count=0
follow () {
  [ -f "$tap" ] || return 0
  # Whole lines only: the guest may be half-way through writing one.
  lines=$(wc -l < "$tap")
  [ "$lines" -gt "$shown" ] || return 0
  sed -n "$((shown + 1)),${lines}p" "$tap" | while IFS= read -r line; do
    case $line in
      1..*) ;;   # the guest's plan: the host prints the whole run's
      *) printf '%s\n' "$line" ;;
    esac
  done
  shown=$lines
}
timed_out=no
panicked=no
while [ ! -f "$work/share/results/exit-status" ]; do
  follow
  kill -0 "$qemu_pid" 2>/dev/null || break
  [ "$(now)" -lt "$deadline" ] || { timed_out=yes; break; }
  # A guest kernel that panicked never comes back: fail now, not at the timeout.
  if grep -q 'Kernel panic' "$work/serial.log" 2>/dev/null; then panicked=yes; break; fi
  sleep 2
done
follow
guest_count=$(sed -n 's/^1\.\.//p' "$tap" 2>/dev/null | tail -1)
guest_count=${guest_count:-$(grep -c -E '^(not )?ok ' "$tap" 2>/dev/null || echo 0)}

# 6. The host's own tests.
n=$guest_count
failed=0
host_ok () { n=$((n + 1)); echo "ok $n - $*"; }
host_not_ok () { n=$((n + 1)); echo "not ok $n - $*"; failed=1; }
show_serial () { tail -n "${1:-40}" "$work/serial.log" 2>/dev/null | tr -d '\r' | sed 's/^/# serial: /'; }

if [ "$timed_out" = yes ]; then
  host_not_ok "the whole run finished within ${timeout}s"
  show_serial 60
elif [ "$panicked" = yes ]; then
  host_not_ok "the guest's kernel did not panic"
  show_serial 60
elif [ -f "$work/share/results/exit-status" ]; then
  host_ok "the guest ran the upgrade to the end ($(( $(now) - t ))s since boot)"
else
  host_not_ok "the guest ran the upgrade to the end (qemu exited first: $(tail -3 "$work/qemu.log"))"
  show_serial 60
fi

# A clean shutdown: the guest powers itself off, and qemu exits with it.
if [ "$timed_out" = no ] && [ "$panicked" = no ]; then
  shutdown_deadline=$(( $(now) + 120 ))
  while kill -0 "$qemu_pid" 2>/dev/null && [ "$(now)" -lt "$shutdown_deadline" ]; do sleep 1; done
fi
if kill -0 "$qemu_pid" 2>/dev/null; then
  kill "$qemu_pid" 2>/dev/null || true
  wait "$qemu_pid" 2>/dev/null || true
  qemu_pid=
  host_not_ok "the guest powered itself off (qemu had to be killed)"
else
  wait "$qemu_pid" 2>/dev/null || true
  qemu_pid=
  if grep -q 'reboot: Power down' "$work/serial.log" 2>/dev/null; then
    host_ok "the guest powered itself off"
  else
    host_not_ok "the guest powered itself off"
    show_serial 20
  fi
fi
vm_secs=$(( $(now) - t ))

guest_status=$(cat "$work/share/results/exit-status" 2>/dev/null || echo none)
if [ "$guest_status" = 0 ] && [ -f "$tap" ] && ! grep -q '^not ok' "$tap" &&
   grep -q '^1\.\.' "$tap"; then
  host_ok "every test in the guest passed, and its plan is complete"
else
  host_not_ok "every test in the guest passed, and its plan is complete (guest exit status $guest_status)"
  if [ -f "$work/share/results/journal-fleet.txt" ]; then
    tail -40 "$work/share/results/journal-fleet.txt" | sed 's/^/# journal: /'
  fi
  [ "$keep" = yes ] || note "rerun with --keep to keep the serial log and the guest's journals"
fi

echo "1..$n"
note "timings: image ${image_secs}s, fleet build ${build_secs}s, VM ${vm_secs}s, total $(( $(now) - start ))s"
exit "$failed"
