#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Check the system bus policy dev.fleet.Agent1.conf on a private bus that
# has the system bus's default policy: root may own the name and call
# everything; another user may read (GetStatus, Plan, properties,
# introspection) and call Reconcile (fleetd decides who may, asking polkit),
# but not Set a property or own the name; and when a stricter local policy
# refuses Reconcile at the bus, fleetctl says so in one line.
set -eu

srcdir=${FLEET_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${FLEET_TOP_BUILDDIR:-.}
policy=$srcdir/data/dev.fleet.Agent1.conf
interface=$srcdir/data/dev.fleet.Agent1.xml
service=$builddir/tests/fleet-test-bus-service
fleetctl=$builddir/fleetctl/fleetctl

skip_all () { echo "1..0 # SKIP $*"; exit 0; }
[ "$(id -u)" = 0 ] || skip_all "needs root, to call both as root and as another user"
for tool in dbus-daemon dbus-send setpriv; do
  command -v $tool >/dev/null 2>&1 || skip_all "$tool is not installed"
done
user_uid=$(id -u nobody 2>/dev/null) || skip_all "there is no user nobody"
user_gid=$(id -g nobody)

echo "1..14"
n=0
ok () { n=$((n + 1)); echo "ok $n - $*"; }
not_ok () { n=$((n + 1)); echo "not ok $n - $*"; }

tmp=$(mktemp -d)
bus_pid= service_pid=
cleanup () {
  [ -z "$service_pid" ] || kill "$service_pid" 2>/dev/null || true
  [ -z "$bus_pid" ] || kill "$bus_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
# The other user needs to reach the socket and run the stand-in.
chmod 0755 "$tmp"
cp "$service" "$interface" "$tmp/"
address=unix:path=$tmp/bus

# The default policy of Debian's /usr/share/dbus-1/system.conf, then ours.
cat > "$tmp/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>$address</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
  </policy>
  <include>$policy</include>
  <include ignore_missing="yes">$tmp/local.conf</include>
</busconfig>
EOF

# 1. The bus accepts the policy.
dbus-daemon --config-file="$tmp/bus.conf" --nofork --nopidfile > "$tmp/bus.log" 2>&1 &
bus_pid=$!
i=0
while [ ! -S "$tmp/bus" ] && kill -0 "$bus_pid" 2>/dev/null && [ $i -lt 100 ]; do
  sleep 0.1
  i=$((i + 1))
done
if [ -S "$tmp/bus" ]; then
  ok "a bus starts with dev.fleet.Agent1.conf"
else
  not_ok "a bus starts with dev.fleet.Agent1.conf"
  sed 's/^/# /' "$tmp/bus.log"
  exit 1
fi

# 2. root may own the name.
"$tmp/fleet-test-bus-service" "$address" "$tmp/dev.fleet.Agent1.xml" "$tmp/ready" \
  > "$tmp/service.log" 2>&1 &
service_pid=$!
i=0
while [ ! -e "$tmp/ready" ] && kill -0 "$service_pid" 2>/dev/null && [ $i -lt 100 ]; do
  sleep 0.1
  i=$((i + 1))
done
if [ -e "$tmp/ready" ]; then
  ok "root may own dev.fleet.Agent1"
else
  not_ok "root may own dev.fleet.Agent1"
  sed 's/^/# /' "$tmp/service.log"
  exit 1
fi

# call AS METHOD [ARGS...]: call a method of /dev/fleet/Agent1 as root or
# as the other user; the reply or error ends up in $tmp/reply.
call () {
  as=$1
  shift
  set -- dbus-send --bus="$address" --print-reply --reply-timeout=10000 \
    --dest=dev.fleet.Agent1 /dev/fleet/Agent1 "$@"
  if [ "$as" = user ]; then
    set -- setpriv --reuid="$user_uid" --regid="$user_gid" --clear-groups "$@"
  fi
  "$@" > "$tmp/reply" 2>&1
}
expect_allowed () { # DESCRIPTION AS METHOD [ARGS...]
  description=$1
  shift
  if call "$@"; then
    ok "$description"
  else
    not_ok "$description"
    sed 's/^/# /' "$tmp/reply"
  fi
}
expect_denied () { # DESCRIPTION AS METHOD [ARGS...]
  description=$1
  shift
  if ! call "$@" && grep -q 'org.freedesktop.DBus.Error.AccessDenied' "$tmp/reply"; then
    ok "$description"
  else
    not_ok "$description"
    sed 's/^/# /' "$tmp/reply"
  fi
}

expect_allowed "another user may call GetStatus" user dev.fleet.Agent1.GetStatus
expect_allowed "another user may call Plan" user dev.fleet.Agent1.Plan 'string:{}'
expect_allowed "another user may introspect" user \
  org.freedesktop.DBus.Introspectable.Introspect
expect_allowed "another user may read a property" user \
  org.freedesktop.DBus.Properties.Get string:dev.fleet.Agent1 string:Version
expect_allowed "another user may read all properties" user \
  org.freedesktop.DBus.Properties.GetAll string:dev.fleet.Agent1
expect_allowed "another user may ping" user org.freedesktop.DBus.Peer.Ping
expect_allowed "another user's Reconcile reaches fleetd, which decides" user \
  dev.fleet.Agent1.Reconcile
expect_denied "another user may not set a property" user \
  org.freedesktop.DBus.Properties.Set string:dev.fleet.Agent1 string:Phase variant:string:Running
expect_allowed "root may call Reconcile" root dev.fleet.Agent1.Reconcile

# 12. Nobody but root may own the name (asked while root owns it: the policy
# refuses before ownership is considered).
if setpriv --reuid="$user_uid" --regid="$user_gid" --clear-groups \
     "$tmp/fleet-test-bus-service" "$address" "$tmp/dev.fleet.Agent1.xml" "$tmp/ready-user" \
     > "$tmp/reply" 2>&1; then
  not_ok "another user may not own dev.fleet.Agent1"
elif grep -q 'AccessDenied' "$tmp/reply"; then
  ok "another user may not own dev.fleet.Agent1"
else
  not_ok "another user may not own dev.fleet.Agent1"
  sed 's/^/# /' "$tmp/reply"
fi

# 13. An administrator's stricter local policy, read again on SIGHUP, can
# refuse Reconcile to others at the bus.
cat > "$tmp/local.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <policy context="default">
    <deny send_destination="dev.fleet.Agent1" send_interface="dev.fleet.Agent1"
          send_member="Reconcile"/>
  </policy>
</busconfig>
EOF
kill -HUP "$bus_pid"
i=0
while call user dev.fleet.Agent1.Reconcile && [ $i -lt 50 ]; do
  sleep 0.1
  i=$((i + 1))
done
expect_denied "a stricter local policy refuses another user's Reconcile" user \
  dev.fleet.Agent1.Reconcile

# copy_fleetctl BUILT DIR: a copy of fleetctl in DIR that the other users
# can run.  In the build tree fleetctl is a libtool wrapper around
# .libs/fleetctl and the uninstalled libfleet-1: copy those, and a script
# in the wrapper's place that runs the program with that library.
copy_fleetctl () {
  fleetctl_real=$(dirname "$1")/.libs/fleetctl
  if [ ! -x "$fleetctl_real" ]; then
    cp "$1" "$2/fleetctl"
    return
  fi
  mkdir -p "$2/fleetctl.d"
  cp "$fleetctl_real" "$2/fleetctl.d/fleetctl"
  cp -P "$(dirname "$1")"/../.libs/libfleet-1.so* "$2/fleetctl.d/"
  printf '#!/bin/sh\nLD_LIBRARY_PATH=%s/fleetctl.d exec %s/fleetctl.d/fleetctl "$@"\n' "$2" "$2" \
    > "$2/fleetctl"
  chmod 755 "$2/fleetctl"
}

# 14. fleetctl reconcile as another user, refused by that policy: the bus's
# AccessDenied text is a dump of the policy's matching rules; fleetctl says
# what it means in one line.
if [ ! -x "$fleetctl" ]; then
  n=$((n + 1))
  echo "ok $n # SKIP fleetctl is not built in this tree"
else
  copy_fleetctl "$fleetctl" "$tmp"
  if DBUS_SYSTEM_BUS_ADDRESS=$address setpriv --reuid="$user_uid" --regid="$user_gid" \
       --clear-groups "$tmp/fleetctl" reconcile > "$tmp/reply" 2>&1 < /dev/null; then
    not_ok "fleetctl reconcile refused by the bus policy fails with one clear line"
    sed 's/^/# /' "$tmp/reply"
  elif [ "$(cat "$tmp/reply")" = "fleetctl: Reconcile is refused by the system bus policy" ]; then
    ok "fleetctl reconcile refused by the bus policy fails with one clear line"
  else
    not_ok "fleetctl reconcile refused by the bus policy fails with one clear line"
    sed 's/^/# /' "$tmp/reply"
  fi
fi
