#!/bin/sh
# Check `make install`: run it into a scratch DESTDIR from the build tree and
# check that every file a package needs lands where it belongs, works from
# there (the library links through its .pc, the unit starts the installed
# fleetd), that nothing else is installed, and that `make uninstall` removes
# it all again.
#
# Where things belong is read from the build's own configure directories
# (passed in as FLEET_<dir> by make), not from a second configure run: a
# distribution builds with its own flags, and what can go wrong in the
# Makefiles is a file installed into the wrong *kind* of directory, or not at
# all, or naming a path it was not installed to.  With Debian's flags
# (dh_auto_configure: --prefix=/usr --sysconfdir=/etc --localstatedir=/var
# --libdir=/usr/lib/<triplet>) the layout checked below is /usr/sbin/fleetd,
# /usr/bin/fleetctl, /usr/lib/<triplet>/libfleet-1.so.0 and pkgconfig/,
# /usr/include/fleet-1/fleet/, /usr/share/man/man{1,5,8}/,
# /usr/lib/systemd/system/fleetd.service, /usr/share/dbus-1/{system.d,
# system-services,interfaces}/, /usr/share/bash-completion/completions/fleetctl,
# /etc/fleet/fleetd.conf and /usr/share/doc/fleet/examples/.
#
# FLEET_PENDING_BINARIES lists binaries this tree does not build yet; their
# checks are reported as skipped, by name, instead of failing.
set -eu

builddir=${FLEET_TOP_BUILDDIR:-.}
make=${FLEET_MAKE:-make}
cc=${CC:-cc}
version=${FLEET_VERSION:?FLEET_VERSION is not set}
pending=${FLEET_PENDING_BINARIES:-}
for dir in prefix bindir sbindir libdir includedir mandir sysconfdir localstatedir docdir \
           systemdsystemunitdir dbusdatadir bashcompletiondir; do
  eval "value=\${FLEET_$dir:-}"
  if [ -z "$value" ]; then
    echo "1..0 # SKIP FLEET_$dir is not set: run this from make check"
    exit 0
  fi
  eval "$dir=\$value"
done

echo "1..21"
n=0
ok () { n=$((n + 1)); echo "ok $n - $*"; }
not_ok () { n=$((n + 1)); echo "not ok $n - $*"; }
skip () { n=$((n + 1)); echo "ok $n # SKIP $*"; }
check () { # DESCRIPTION COMMAND...: ok when COMMAND succeeds
  description=$1
  shift
  if "$@" > "$tmp/check.out" 2>&1; then
    ok "$description"
  else
    not_ok "$description"
    sed 's/^/# /' "$tmp/check.out"
  fi
}
files () { # PATH...: every PATH is a file (or a link to one)
  status=0
  for f in "$@"; do
    [ -f "$f" ] || { echo "missing: ${f#$root}"; status=1; }
  done
  return $status
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root

# 1. make install.  This runs inside `make check`: the nested make must not
# inherit the outer one's jobserver or flags.
unset MAKEFLAGS MFLAGS MAKELEVEL
if "$make" -C "$builddir" install DESTDIR="$root" > "$tmp/install.log" 2>&1; then
  ok "make install DESTDIR=... succeeds"
else
  not_ok "make install DESTDIR=... succeeds"
  tail -n 30 "$tmp/install.log" | sed 's/^/# /'
  exit 1
fi
(cd "$root" && find . ! -type d | sed 's/^\.//' | sort) > "$tmp/installed"
sed 's/^/# installed: /' "$tmp/installed"

# 2-3. The binaries.
for binary in "$sbindir/fleetd" "$bindir/fleetctl"; do
  name=$(basename "$binary")
  if [ -x "$root$binary" ] && [ -f "$root$binary" ]; then
    ok "$name is installed as $binary"
  elif printf ' %s ' "$pending" | grep -q -F " $name "; then
    skip "$name is pending: this tree does not build it yet (FLEET_PENDING_BINARIES)"
  else
    not_ok "$name is installed as $binary"
  fi
done

# 4. The library: the real file, its soname link and the development link;
# no static library.
lib=$root$libdir
real=$(cd "$lib" 2>/dev/null && ls libfleet-1.so.*.*.* 2>/dev/null | head -n 1) || real=
check "libfleet-1.so, libfleet-1.so.0 and libfleet-1.so.0.* are in $libdir, without a .a" \
  sh -c '
    lib=$1 real=$2
    [ -n "$real" ] || { echo "no libfleet-1.so.*.*.*"; exit 1; }
    [ -f "$lib/$real" ] || exit 1
    [ "$(readlink "$lib/libfleet-1.so.0")" = "$real" ] || { echo "libfleet-1.so.0 -> $(readlink "$lib/libfleet-1.so.0")"; exit 1; }
    [ -e "$lib/libfleet-1.so" ] || { echo "no libfleet-1.so"; exit 1; }
    [ ! -e "$lib/libfleet-1.a" ] || { echo "libfleet-1.a is installed"; exit 1; }
  ' sh "$lib" "$real"

# 5. Its soname.
if command -v readelf >/dev/null 2>&1 && [ -n "$real" ]; then
  soname=$(readelf -d "$lib/$real" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
  if [ "$soname" = libfleet-1.so.0 ]; then
    ok "libfleet-1's soname is libfleet-1.so.0"
  else
    not_ok "libfleet-1's soname is libfleet-1.so.0 (it is '$soname')"
  fi
else
  skip "readelf (binutils) is not installed, or there is no library"
fi

# 6. Its ABI is the public fleet_* API only.
if command -v nm >/dev/null 2>&1 && [ -n "$real" ]; then
  others=$(nm -D --defined-only "$lib/$real" | awk '{ print $NF }' | grep -v '^fleet_' || true)
  if [ -z "$others" ]; then
    ok "libfleet-1 exports only fleet_* symbols"
  else
    not_ok "libfleet-1 exports only fleet_* symbols"
    printf '%s\n' "$others" | sed 's/^/# also exported: /'
  fi
else
  skip "nm (binutils) is not installed, or there is no library"
fi

# 7. The headers: fleet.h and everything it includes, and no private header.
headers=$root$includedir/fleet-1/fleet
check "the headers are in $includedir/fleet-1/fleet, complete and public only" \
  sh -c '
    dir=$1
    [ -f "$dir/fleet.h" ] || { echo "no fleet.h"; exit 1; }
    status=0
    for h in $(sed -n "s/^#include \"\(.*\)\"/\1/p" "$dir"/*.h | sort -u); do
      [ -f "$dir/$h" ] || { echo "included but not installed: $h"; status=1; }
    done
    for h in "$dir"/*-private.h; do
      [ ! -e "$h" ] || { echo "private header installed: $h"; status=1; }
    done
    exit $status
  ' sh "$headers"

# 8-9. The .pc file, and a program built and run with it against the
# installed library and headers (the .pc is copied with its absolute paths
# moved into DESTDIR; PKG_CONFIG_SYSROOT_DIR would move GLib's too).
pc=$root$libdir/pkgconfig/libfleet-1.pc
check "libfleet-1.pc is in $libdir/pkgconfig" files "$pc"
if command -v pkg-config >/dev/null 2>&1 && [ -f "$pc" ]; then
  mkdir "$tmp/pc"
  sed -E "s#^(prefix|exec_prefix|libdir|includedir)=/#\\1=$root/#" "$pc" > "$tmp/pc/libfleet-1.pc"
  cat > "$tmp/consumer.c" <<'EOF'
#include <fleet/fleet.h>

int
main (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetDocument) document = fleet_document_new_from_data (
    "{\"deployments\":{}}", -1, NULL, &error);

  if (document == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  g_print ("%s\n", document->digest);
  return 0;
}
EOF
  check "a program builds with pkg-config libfleet-1 (version $version) and runs" \
    sh -c '
      PKG_CONFIG_PATH=$1 && export PKG_CONFIG_PATH
      [ "$(pkg-config --modversion libfleet-1)" = "$5" ] || { echo "version $(pkg-config --modversion libfleet-1)"; exit 1; }
      # shellcheck disable=SC2046
      $2 -o "$3/consumer" "$3/consumer.c" $(pkg-config --cflags --libs libfleet-1) || exit 1
      LD_LIBRARY_PATH=$4 "$3/consumer" | grep -q "^sha256:"
    ' sh "$tmp/pc" "$cc" "$tmp" "$lib" "$version"
else
  skip "pkg-config is not installed, or libfleet-1.pc is missing"
fi

# 10. The man pages.
check "the man pages are in $mandir/man{1,5,8}" \
  files "$root$mandir/man1/fleetctl.1" "$root$mandir/man5/fleetd.conf.5" \
    "$root$mandir/man5/fleet-desired-state.5" "$root$mandir/man8/fleetd.8"

# 11. They name the paths things were installed to.
check "fleetd(8) names the installed config file and state directory" \
  sh -c 'grep -q -F -e "$1" "$3" && grep -q -F -e "$2" "$3"' sh \
    "$sysconfdir/fleet/fleetd.conf" "$localstatedir/lib/fleet" "$root$mandir/man8/fleetd.8"

# 12-13. The systemd unit, starting the installed fleetd.
unit=$root$systemdsystemunitdir/fleetd.service
check "fleetd.service is in $systemdsystemunitdir" files "$unit"
check "fleetd.service starts $sbindir/fleetd" grep -q -x -F "ExecStart=$sbindir/fleetd" "$unit"

# 14. D-Bus: policy, activation file, interface.
check "the D-Bus policy, activation file and interface are in $dbusdatadir" \
  files "$root$dbusdatadir/system.d/dev.fleet.Agent1.conf" \
    "$root$dbusdatadir/system-services/dev.fleet.Agent1.service" \
    "$root$dbusdatadir/interfaces/dev.fleet.Agent1.xml"

# 15. bash completion, under the command's name.
check "the bash completion is $bashcompletiondir/fleetctl" \
  files "$root$bashcompletiondir/fleetctl"

# 16-17. The config file: in place, and setting nothing.
conf=$root$sysconfdir/fleet/fleetd.conf
check "fleetd.conf is in $sysconfdir/fleet" files "$conf"
check "the installed fleetd.conf sets nothing (every key commented out)" \
  sh -c '! grep -n -E "^[[:space:]]*[a-z-]+[[:space:]]*=" "$1" && ! grep -n "@[a-z]*@" "$1"' \
    sh "$conf"

# 18. The example documents.
check "the example documents are in $docdir/examples" \
  files "$root$docdir/examples/hello-v1.json" "$root$docdir/examples/hello-v2.json" \
    "$root$docdir/examples/hello-v3.json" "$root$docdir/examples/edge-gateway.json"

# 19. Nothing else: a new installed file must be added to this list (and to
# the distribution's packaging) on purpose.
cat > "$tmp/expected" <<EOF
$sbindir/fleetd
$bindir/fleetctl
$libdir/libfleet-1.so
$libdir/libfleet-1.so.0
$libdir/$real
$libdir/libfleet-1.la
$libdir/pkgconfig/libfleet-1.pc
$mandir/man1/fleetctl.1
$mandir/man5/fleetd.conf.5
$mandir/man5/fleet-desired-state.5
$mandir/man8/fleetd.8
$systemdsystemunitdir/fleetd.service
$dbusdatadir/system.d/dev.fleet.Agent1.conf
$dbusdatadir/system-services/dev.fleet.Agent1.service
$dbusdatadir/interfaces/dev.fleet.Agent1.xml
$bashcompletiondir/fleetctl
$sysconfdir/fleet/fleetd.conf
$docdir/examples/hello-v1.json
$docdir/examples/hello-v2.json
$docdir/examples/hello-v3.json
$docdir/examples/edge-gateway.json
EOF
extra=$(grep -v -x -F -f "$tmp/expected" "$tmp/installed" | grep -v -E "^$includedir/fleet-1/fleet/fleet[a-z-]*\.h\$" || true)
if [ -z "$extra" ]; then
  ok "make install installs nothing unexpected"
else
  not_ok "make install installs nothing unexpected"
  printf '%s\n' "$extra" | sed 's/^/# unexpected: /'
fi

# 20-21. make uninstall removes every file again.
if "$make" -C "$builddir" uninstall DESTDIR="$root" > "$tmp/uninstall.log" 2>&1; then
  ok "make uninstall DESTDIR=... succeeds"
else
  not_ok "make uninstall DESTDIR=... succeeds"
  tail -n 30 "$tmp/uninstall.log" | sed 's/^/# /'
fi
left=$(cd "$root" && find . ! -type d)
if [ -z "$left" ]; then
  ok "make uninstall leaves no file behind"
else
  not_ok "make uninstall leaves no file behind"
  printf '%s\n' "$left" | sed 's/^/# left: /'
fi
