#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Bootstrap the build from a git checkout.
#
#   ./autogen.sh [--install-deps] [CONFIGURE-ARGS...]
#
# --install-deps installs, with apt, the Debian packages needed to build and
# test fleet (podman, runc and busybox-static for the integration and
# end-to-end tests, curl and jq for the end-to-end test, a D-Bus daemon
# (and dbus-1.pc, which says where its files go), polkit (its library for
# fleetd, its daemon for the authorization test),
# mandoc for man page lint, systemd-analyze and bash-completion for the
# packaging checks, signify-openbsd to make the signed documents of the
# signature tests, buildah to leave a name in podman's storage as a crash
# does, gobject-introspection, python3-gi and gi-docgen for libfleet's
# typelib, its Python test and its API reference) when any of them is
# missing.  It needs root, as on the
# project's build machines.
set -eu
srcdir=$(dirname "$0")
test -n "$srcdir" || srcdir=.

DEPS="autoconf automake libtool pkg-config make gcc libglib2.0-dev libglib2.0-dev-bin \
libjson-glib-dev libsoup-3.0-dev libgnutls28-dev libdbus-1-dev libpolkit-gobject-1-dev polkitd \
dbus-daemon podman runc netavark aardvark-dns busybox-static uidmap docker-registry apache2-utils \
mandoc valgrind python3 util-linux curl jq openssl ca-certificates systemd bash-completion \
signify-openbsd buildah nats-server libnats-dev gobject-introspection libgirepository1.0-dev python3-gi gi-docgen"

install_deps () {
  missing=
  for p in $DEPS; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
  done
  if [ -z "$missing" ]; then
    echo "autogen.sh: all build and test dependencies are installed"
    return 0
  fi
  echo "autogen.sh: installing:$missing"
  sudo=
  [ "$(id -u)" = 0 ] || sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  # shellcheck disable=SC2086
  $sudo apt-get install -y -qq --no-install-recommends $missing
}

if [ "${1:-}" = "--install-deps" ]; then
  shift
  install_deps
fi

cd "$srcdir"
mkdir -p m4
autoreconf --force --install --verbose >/dev/null
cd - >/dev/null

if [ -z "${NOCONFIGURE:-}" ]; then
  exec "$srcdir/configure" --enable-maintainer-mode "$@"
fi
