#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
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
# /usr/bin/fleetctl, /usr/lib/<triplet>/libfleet-1.so.1 and pkgconfig/,
# /usr/include/fleet-1/fleet/, /usr/share/man/man{1,5,8}/, with
# introspection /usr/share/gir-1.0/Fleet-1.gir and
# /usr/lib/<triplet>/girepository-1.0/Fleet-1.typelib, with the API
# reference /usr/share/doc/libfleet-1/,
# /lib/systemd/system/fleetd.service (systemd.pc's systemdsystemunitdir:
# /lib on Debian 12, /usr/lib from Debian 13), /usr/share/dbus-1/{system.d,
# system-services,interfaces}/ (dbus-1.pc's datadir, system_bus_services_dir
# and interfaces_dir), /usr/share/polkit-1/actions/ (polkit-gobject-1.pc's
# actiondir), /usr/share/bash-completion/completions/fleetctl,
# /etc/fleet/fleetd.conf, /usr/share/doc/fleet/README.md and
# /usr/share/doc/fleet/examples/ (COPYING is not installed: distributions
# ship the licence their own way).
#
# FLEET_PENDING_BINARIES lists binaries this tree does not build yet; their
# checks are reported as skipped, by name, instead of failing.
set -eu

builddir=${FLEET_TOP_BUILDDIR:-.}
make=${FLEET_MAKE:-make}
cc=${CC:-cc}
version=${FLEET_VERSION:?FLEET_VERSION is not set}
pending=${FLEET_PENDING_BINARIES:-}
# The soname's number is libtool's current - age.
lt_version=${FLEET_LT_VERSION:?FLEET_LT_VERSION is not set}
lt_current=${lt_version%%:*}
lt_age=${lt_version##*:}
somajor=$((lt_current - lt_age))
introspection=${FLEET_INTROSPECTION:-no}
docs=${FLEET_DOCS:-no}
libfleetdocdir=${FLEET_libfleetdocdir:-}
for dir in prefix bindir sbindir libdir includedir mandir sysconfdir localstatedir docdir \
           systemdsystemunitdir dbuspolicydir dbussystemservicedir dbusinterfacedir \
           polkitactiondir bashcompletiondir; do
  eval "value=\${FLEET_$dir:-}"
  if [ -z "$value" ]; then
    echo "1..0 # SKIP FLEET_$dir is not set: run this from make check"
    exit 0
  fi
  eval "$dir=\$value"
done

echo "1..26"
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

# make install.  This runs inside `make check`: the nested make must not
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

# The binaries.
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

# The library: the real file, its soname link and the development link;
# no static library.
lib=$root$libdir
real=$(cd "$lib" 2>/dev/null && ls libfleet-1.so.*.*.* 2>/dev/null | head -n 1) || real=
check "libfleet-1.so, libfleet-1.so.$somajor and libfleet-1.so.$somajor.* are in $libdir, without a .a" \
  sh -c '
    lib=$1 real=$2 so=$3
    [ -n "$real" ] || { echo "no libfleet-1.so.*.*.*"; exit 1; }
    [ -f "$lib/$real" ] || exit 1
    [ "$(readlink "$lib/$so")" = "$real" ] || { echo "$so -> $(readlink "$lib/$so")"; exit 1; }
    [ -e "$lib/libfleet-1.so" ] || { echo "no libfleet-1.so"; exit 1; }
    [ ! -e "$lib/libfleet-1.a" ] || { echo "libfleet-1.a is installed"; exit 1; }
  ' sh "$lib" "$real" "libfleet-1.so.$somajor"

# Its soname.
if command -v readelf >/dev/null 2>&1 && [ -n "$real" ]; then
  soname=$(readelf -d "$lib/$real" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
  if [ "$soname" = "libfleet-1.so.$somajor" ]; then
    ok "libfleet-1's soname is libfleet-1.so.$somajor"
  else
    not_ok "libfleet-1's soname is libfleet-1.so.$somajor (it is '$soname')"
  fi
else
  skip "readelf (binutils) is not installed, or there is no library"
fi

# Its ABI is the public fleet_* API only.
if command -v nm >/dev/null 2>&1 && [ -n "$real" ]; then
  others=$(nm -D --defined-only "$lib/$real" | awk '{ print $NF }' \
    | grep -v -e '^fleet_.*@@LIBFLEET_1\.' -e '^LIBFLEET_1\.' || true)
  if [ -z "$others" ]; then
    ok "libfleet-1 exports only fleet_* symbols, versioned LIBFLEET_1.*"
  else
    not_ok "libfleet-1 exports only fleet_* symbols, versioned LIBFLEET_1.*"
    printf '%s\n' "$others" | sed 's/^/# also exported: /'
  fi
else
  skip "nm (binutils) is not installed, or there is no library"
fi

# The headers: fleet.h and everything it includes, and no private header.
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

# The .pc file, and a program built and run with it against the
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

# What the public headers do not include stays out of Requires
# (pkg-config --cflags follows Requires.private too), and a header of its
# own is refused: programs include <fleet/fleet.h>.
if command -v pkg-config >/dev/null 2>&1 && [ -f "$pc" ]; then
  check "libfleet-1.pc requires neither libsoup nor gnutls, not even privately" \
    sh -c '
      PKG_CONFIG_PATH=$1 && export PKG_CONFIG_PATH
      requires=$(pkg-config --print-requires --print-requires-private libfleet-1) || exit 1
      printf "%s\n" "$requires"
      ! printf "%s\n" "$requires" | grep -E "libsoup|gnutls"
    ' sh "$tmp/pc"
  printf '#include <fleet/fleet-document.h>\nint main (void) { return 0; }\n' > "$tmp/single.c"
  check "a single header, <fleet/fleet-document.h>, refuses to be included alone" \
    sh -c '
      PKG_CONFIG_PATH=$1 && export PKG_CONFIG_PATH
      # shellcheck disable=SC2046
      if $2 -c -o "$3/single.o" "$3/single.c" $(pkg-config --cflags libfleet-1) 2> "$3/single.err"; then
        echo "it compiled"
        exit 1
      fi
      cat "$3/single.err"
      grep -q "Only <fleet/fleet.h> can be included directly" "$3/single.err"
    ' sh "$tmp/pc" "$cc" "$tmp"
else
  skip "pkg-config is not installed, or libfleet-1.pc is missing"
  skip "pkg-config is not installed, or libfleet-1.pc is missing"
fi

# Introspection data, when configure built it.
if [ "$introspection" = yes ]; then
  check "Fleet-1.gir is in $prefix/share/gir-1.0, Fleet-1.typelib in $libdir/girepository-1.0" \
    files "$root$prefix/share/gir-1.0/Fleet-1.gir" "$root$libdir/girepository-1.0/Fleet-1.typelib"
else
  skip "introspection is not built (configure --enable-introspection)"
fi

# The man pages.
check "the man pages are in $mandir/man{1,5,8}" \
  files "$root$mandir/man1/fleetctl.1" "$root$mandir/man5/fleetd.conf.5" \
    "$root$mandir/man5/fleet-desired-state.5" "$root$mandir/man8/fleetd.8"

# They name the paths things were installed to.
check "fleetd(8) names the installed config file and state directory" \
  sh -c 'grep -q -F -e "$1" "$3" && grep -q -F -e "$2" "$3"' sh \
    "$sysconfdir/fleet/fleetd.conf" "$localstatedir/lib/fleet" "$root$mandir/man8/fleetd.8"

# The systemd unit, starting the installed fleetd.
unit=$root$systemdsystemunitdir/fleetd.service
check "fleetd.service is in $systemdsystemunitdir" files "$unit"
check "fleetd.service starts $sbindir/fleetd" grep -q -x -F "ExecStart=$sbindir/fleetd" "$unit"

# D-Bus: policy, activation file, interface.
check "the D-Bus policy, activation file and interface are in $dbuspolicydir, $dbussystemservicedir and $dbusinterfacedir" \
  files "$root$dbuspolicydir/dev.fleet.Agent1.conf" \
    "$root$dbussystemservicedir/dev.fleet.Agent1.service" \
    "$root$dbusinterfacedir/dev.fleet.Agent1.xml"

# The polkit action.
check "the polkit action is in $polkitactiondir" \
  files "$root$polkitactiondir/dev.fleet.Agent1.policy"

# bash completion, under the command's name.
check "the bash completion is $bashcompletiondir/fleetctl" \
  files "$root$bashcompletiondir/fleetctl"

# The config file: in place, and setting nothing.
conf=$root$sysconfdir/fleet/fleetd.conf
check "fleetd.conf is in $sysconfdir/fleet" files "$conf"
check "the installed fleetd.conf sets nothing (every key commented out)" \
  sh -c '! grep -n -E "^[[:space:]]*[a-z-]+[[:space:]]*=" "$1" && ! grep -n "@[a-z]*@" "$1"' \
    sh "$conf"

# The documentation: the README and the example documents.
check "README.md and the example documents are in $docdir" \
  files "$root$docdir/README.md" "$root$docdir/examples/hello-v1.json" "$root$docdir/examples/hello-v2.json" \
    "$root$docdir/examples/hello-v3.json" "$root$docdir/examples/edge-gateway.json"

# Nothing else: a new installed file must be added to this list (and to
# the distribution's packaging) on purpose.
cat > "$tmp/expected" <<EOF
$sbindir/fleetd
$bindir/fleetctl
$libdir/libfleet-1.so
$libdir/libfleet-1.so.$somajor
$libdir/$real
$libdir/libfleet-1.la
$libdir/pkgconfig/libfleet-1.pc
$mandir/man1/fleetctl.1
$mandir/man5/fleetd.conf.5
$mandir/man5/fleet-desired-state.5
$mandir/man8/fleetd.8
$systemdsystemunitdir/fleetd.service
$dbuspolicydir/dev.fleet.Agent1.conf
$dbussystemservicedir/dev.fleet.Agent1.service
$dbusinterfacedir/dev.fleet.Agent1.xml
$polkitactiondir/dev.fleet.Agent1.policy
$bashcompletiondir/fleetctl
$sysconfdir/fleet/fleetd.conf
$docdir/README.md
$docdir/examples/hello-v1.json
$docdir/examples/hello-v2.json
$docdir/examples/hello-v3.json
$docdir/examples/edge-gateway.json
EOF
if [ "$introspection" = yes ]; then
  printf '%s\n' "$prefix/share/gir-1.0/Fleet-1.gir" "$libdir/girepository-1.0/Fleet-1.typelib" \
    >> "$tmp/expected"
fi
# The API reference: its index, when configure built it.
if [ "$docs" = yes ]; then
  check "the API reference is in $libfleetdocdir" \
    files "$root$libfleetdocdir/index.html" "$root$libfleetdocdir/class.Reconciler.html"
else
  skip "the API reference is not built (configure --enable-docs)"
fi
extra=$(grep -v -x -F -f "$tmp/expected" "$tmp/installed" | grep -v -E "^$includedir/fleet-1/fleet/fleet[a-z-]*\.h\$" \
  | { if [ "$docs" = yes ]; then grep -v -F "$libfleetdocdir/"; else cat; fi; } || true)
if [ -z "$extra" ]; then
  ok "make install installs nothing unexpected"
else
  not_ok "make install installs nothing unexpected"
  printf '%s\n' "$extra" | sed 's/^/# unexpected: /'
fi

# make uninstall removes every file again.
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
