#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Check who fleetd lets reconcile, with the real polkitd: the built fleetd
# on a private system bus, fleetctl run as users in and outside a group
# that a polkit rule grants dev.fleet.reconcile, and as root.  Without
# polkitd, only root may; with it, the group's member may and another user
# is refused, each with one line saying why.
#
# polkitd reads its rules and actions from fixed directories and its users
# and groups from /etc, so the test runs in a private mount namespace
# (unshare -m) with its own files mounted over /etc/polkit-1/rules.d,
# /usr/share/polkit-1/rules.d, /usr/share/polkit-1/actions, /etc/passwd and
# /etc/group: nothing of the host's changes, which the last test checks.
# Needs root, unshare, dbus-daemon, setpriv and polkitd (Debian: polkitd).
set -eu

srcdir=${FLEET_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${FLEET_TOP_BUILDDIR:-.}
n_tests=9

skip_all () { echo "1..0 # SKIP $*"; exit 0; }

# The host's files the test hides, and so must leave as they were.
host_state () {
  for path in /etc/polkit-1/rules.d /usr/share/polkit-1/rules.d /usr/share/polkit-1/actions \
              /etc/passwd /etc/group; do
    [ -e "$path" ] || { echo "$path: missing"; continue; }
    find "$path" -type f -exec cksum {} + 2>&1 | sort
  done
}

if [ -z "${FLEET_POLKIT_INNER:-}" ]; then
  [ "$(id -u)" = 0 ] || skip_all "needs root (a private mount namespace, and other users)"
  for tool in unshare dbus-daemon setpriv; do
    command -v $tool >/dev/null 2>&1 || skip_all "$tool is not installed"
  done
  polkitd=
  for p in /usr/lib/polkit-1/polkitd /usr/libexec/polkitd /usr/libexec/polkit-1/polkitd; do
    [ -x "$p" ] && { polkitd=$p; break; }
  done
  [ -n "$polkitd" ] || skip_all "polkitd is not installed (Debian package polkitd)"
  id -u polkitd >/dev/null 2>&1 || skip_all "there is no user polkitd for polkitd to run as"
  [ -d /usr/share/polkit-1/rules.d ] && [ -d /usr/share/polkit-1/actions ] ||
    skip_all "polkit's directories are not in /usr/share/polkit-1"
  [ -x "$builddir/fleetd/fleetd" ] && [ -x "$builddir/fleetctl/fleetctl" ] ||
    skip_all "fleetd and fleetctl are not built in this tree"
  unshare -m --propagation private true 2>/dev/null ||
    skip_all "cannot make a private mount namespace here (unshare -m)"

  echo "1..$n_tests"
  before=$(host_state)
  status=0
  FLEET_POLKIT_INNER=1 POLKITD=$polkitd unshare -m --propagation private sh "$0" || status=$?
  if [ "$(host_state)" = "$before" ]; then
    echo "ok $n_tests - the host's polkit rules and actions, passwd and group are unchanged"
  else
    echo "not ok $n_tests - the host's polkit rules and actions, passwd and group are unchanged"
  fi
  exit $status
fi

# In the private mount namespace from here on.
n=0
ok () { n=$((n + 1)); echo "ok $n - $*"; }
not_ok () { n=$((n + 1)); echo "not ok $n - $*"; }
diag () { sed 's/^/# /' "$@"; }
# wait_for SECONDS COMMAND...: until COMMAND succeeds.
wait_for () {
  limit=$(($1 * 10))
  shift
  i=0
  until "$@"; do
    i=$((i + 1))
    [ $i -lt $limit ] || return 1
    sleep 0.1
  done
}

tmp=$(mktemp -d)
bus_pid= fleetd_pid= polkitd_pid=
cleanup () {
  for pid in $fleetd_pid $polkitd_pid $bus_pid; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
# polkitd (as user polkitd) and the test users read and run things here.
chmod 0755 "$tmp"
address=unix:path=$tmp/bus
export DBUS_SYSTEM_BUS_ADDRESS="$address"

# Two users and a group, for this namespace only.
free_id () {
  id=$1
  while getent passwd "$id" >/dev/null 2>&1 || getent group "$id" >/dev/null 2>&1; do
    id=$((id + 1))
  done
  echo "$id"
}
in_id=$(free_id 47100)
out_id=$(free_id $((in_id + 1)))
group_id=$(free_id $((out_id + 1)))
cp /etc/passwd "$tmp/passwd"
cp /etc/group "$tmp/group"
cat >> "$tmp/passwd" <<EOF
fleet-test-in:x:$in_id:$in_id::/nonexistent:/usr/sbin/nologin
fleet-test-out:x:$out_id:$out_id::/nonexistent:/usr/sbin/nologin
EOF
cat >> "$tmp/group" <<EOF
fleet-test-in:x:$in_id:
fleet-test-out:x:$out_id:
fleet-test-ops:x:$group_id:fleet-test-in
EOF

# polkit's configuration: fleet's action, and one rule granting it to the
# group, as fleetd(8) shows.
mkdir "$tmp/rules" "$tmp/actions"
cp "$srcdir/data/dev.fleet.Agent1.policy" "$tmp/actions/"
cat > "$tmp/rules/50-fleet-test.rules" <<'EOF'
polkit.addRule(function(action, subject) {
    if (action.id == "dev.fleet.reconcile" && subject.isInGroup("fleet-test-ops"))
        return polkit.Result.YES;
});
EOF
chmod 0755 "$tmp/rules" "$tmp/actions"
chmod 0644 "$tmp/rules"/* "$tmp/actions"/* "$tmp/passwd" "$tmp/group"

mount --bind "$tmp/passwd" /etc/passwd
mount --bind "$tmp/group" /etc/group
[ ! -d /etc/polkit-1/rules.d ] || mount -t tmpfs -o mode=0755 fleet-test /etc/polkit-1/rules.d
mount --bind "$tmp/rules" /usr/share/polkit-1/rules.d
mount --bind "$tmp/actions" /usr/share/polkit-1/actions

# 1. The private system bus, with the system bus's default policy, fleet's
# and polkit's.
cat > "$tmp/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
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
  <include>$srcdir/data/dev.fleet.Agent1.conf</include>
  <include ignore_missing="yes">/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf</include>
</busconfig>
EOF
dbus-daemon --config-file="$tmp/bus.conf" --nofork --nopidfile > "$tmp/bus.log" 2>&1 &
bus_pid=$!
if wait_for 10 test -S "$tmp/bus"; then
  ok "a private system bus starts, in a private mount namespace"
else
  not_ok "a private system bus starts, in a private mount namespace"
  diag "$tmp/bus.log"
  exit 1
fi

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

# 2. fleetd on it, as root, with the fake runtime.
copy_fleetctl "$builddir/fleetctl/fleetctl" "$tmp"
printf '{"generation":1,"deployments":{"hello":{"type":"PodmanV0","data":{"services":[{"name":"web","image":"localhost/hello:v1"}]}}}}\n' \
  > "$tmp/device.json"
: > "$tmp/fleetd.conf"
"$builddir/fleetd/fleetd" --config "$tmp/fleetd.conf" --bus system --runtime fake \
  --source "$tmp/device.json" --state-dir "$tmp/state" --device-id polkit-test \
  --poll-interval 3600 --tick-interval 3600 > "$tmp/fleetd.log" 2>&1 &
fleetd_pid=$!
owned () {
  dbus-send --system --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner "string:$1" 2>/dev/null | grep -q 'boolean true'
}
if wait_for 20 owned dev.fleet.Agent1; then
  ok "fleetd runs on the private system bus"
else
  not_ok "fleetd runs on the private system bus"
  diag "$tmp/fleetd.log"
  exit 1
fi

# fleetctl_as UID GID: fleetctl reconcile as that user (root: 0 0), not on
# a terminal; its exit status, and its output in $tmp/out.
fleetctl_as () {
  set -- setpriv --reuid="$1" --regid="$2" --init-groups "$tmp/fleetctl" reconcile
  [ "$2" != 0 ] || set -- "$tmp/fleetctl" reconcile
  "$@" > "$tmp/out" 2>&1 < /dev/null
}
# expect_refused DESCRIPTION UID GID EXPECTED-LINE
expect_refused () {
  if fleetctl_as "$2" "$3"; then
    not_ok "$1"
    diag "$tmp/out"
  elif [ "$(cat "$tmp/out")" = "$4" ]; then
    ok "$1: $(cat "$tmp/out")"
  else
    not_ok "$1"
    diag "$tmp/out"
  fi
}
# expect_allowed DESCRIPTION UID GID
expect_allowed () {
  if fleetctl_as "$2" "$3" && [ "$(cat "$tmp/out")" = Running ]; then
    ok "$1"
  else
    not_ok "$1"
    diag "$tmp/out"
    tail -n 5 "$tmp/fleetd.log" | diag
  fi
}

# 3-4. No polkitd: others are refused, saying why; root is not.
expect_refused "without polkitd, a user's reconcile is refused" "$in_id" "$in_id" \
  "fleetctl: Reconcile requires root or polkit's authorization (dev.fleet.reconcile), and polkit cannot be asked: The name org.freedesktop.PolicyKit1 was not provided by any .service files"
expect_allowed "without polkitd, root may reconcile" 0 0

# 5. polkitd on the private bus, with fleet's action and the rule.
"$POLKITD" > "$tmp/polkitd.log" 2>&1 &
polkitd_pid=$!
if wait_for 20 owned org.freedesktop.PolicyKit1; then
  ok "polkitd runs on the private system bus with fleet's action and a rule for a group"
else
  not_ok "polkitd runs on the private system bus with fleet's action and a rule for a group"
  diag "$tmp/polkitd.log"
  exit 1
fi

# 6-8. The rule's group may reconcile; another user is refused: without an
# authentication agent, nobody can give an administrator's password.
expect_allowed "a member of the group the rule names may reconcile" "$in_id" "$in_id"
if grep -q "action=authorize method=Reconcile .* uid=$in_id polkit_action=dev.fleet.reconcile" \
     "$tmp/fleetd.log"; then
  ok "fleetd logs whom polkit authorized"
else
  not_ok "fleetd logs whom polkit authorized"
  tail -n 5 "$tmp/fleetd.log" | diag
fi
expect_refused "a user outside the group is refused" "$out_id" "$out_id" \
  "fleetctl: Reconcile requires root or an administrator's authentication (polkit action dev.fleet.reconcile), and no authentication agent could ask for it"
