#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e/quickstart.sh: the README's quick start demo.  Runs the built fleetd
# on the example documents data/examples/hello-v1.json, -v2 and -v3 against
# real podman, and shows each version converge: fleetctl's plan, reconcile
# and status, fleetd's action log, and the page the deployment serves.
#
#   make demo               (builds fleetd and fleetctl, then runs this)
#   e2e/quickstart.sh       (with FLEETD and FLEETCTL set, or a built tree)
#
# Settings (environment, optional): FLEETD, FLEETCTL (the binaries; default
# the build tree's, $FLEET_TOP_BUILDDIR or this script's ../), and
# FLEET_DEMO_RUNTIME=fake to skip podman.
#
# Podman: the system's API socket (/run/podman/podman.sock) when
# podman.socket is active and has no fleet containers of its own; otherwise
# a private `podman system service` whose storage lives in a temporary
# directory.  The example images are built from busybox-static
# (e2e/build-example-images.sh).  When podman cannot run a container with
# its default configuration (restricted sandboxes: "error setting rlimit"),
# the demo says so and retries with the test suite's tests/containers.conf;
# when podman cannot run containers at all, or is missing, or the demo does
# not run as root, it says why and shows the same walk with
# `fleetd --runtime fake` (containers in memory, nothing started).
#
# Everything runs in a temporary directory (fleetd's state, a private
# dbus-daemon); at exit, fleetd is stopped, the containers it created are
# removed (by the ids it recorded; the host's other containers are left
# alone), so are the example images when the demo imported them into the
# system's podman, and the temporary directory.  Exit status 0 when every
# version converged.
set -eu

srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=${FLEET_TOP_BUILDDIR:-$srcdir}
FLEETD=${FLEETD:-$builddir/fleetd/fleetd}
FLEETCTL=${FLEETCTL:-$builddir/fleetctl/fleetctl}
examples=data/examples
test_containers_conf=$srcdir/tests/containers.conf

# Podman chokes on some callers' XDG directories; it gets root's defaults.
unset XDG_CONFIG_HOME XDG_CONFIG_DIRS XDG_DATA_HOME XDG_DATA_DIRS XDG_CACHE_HOME \
  XDG_STATE_HOME XDG_RUNTIME_DIR

tmp=
runtime=podman
podman_mode=        # system | private
podman_socket=
podman_pid=
containers_conf=
bus_pid=
fleetd_pid=
fleetd_log=
log_lines=0
web_port=8080
api_port=8081
imported_images=
recorded_ids=

say () { printf 'demo: %s\n' "$*"; }
section () { printf '\n== %s\n' "$*"; }

# Show a command as the user would type it, then run it.
show () {
  line='$'
  for arg in "$@"; do
    case $arg in
      '' | *[!A-Za-z0-9_./:=@%+-]*) line="$line '$arg'" ;;
      *) line="$line $arg" ;;
    esac
  done
  printf '%s\n' "$line"
  "$@"
}

die () {
  say "error: $*"
  exit 1
}

pm () {
  podman --remote --url "unix://$podman_socket" "$@"
}

fleetctl () {
  "$FLEETCTL" --bus session "$@"
}

# TCP ports something listens on, from /proc/net/tcp{,6}.
port_in_use () {
  hex=$(printf '%04X' "$1")
  awk -v p="$hex" '$4 == "0A" && toupper(substr($2, length($2) - 3)) == p { found = 1 }
    END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

free_port () {
  candidate=$1
  while port_in_use "$candidate"; do candidate=$((candidate + 1)); done
  echo "$candidate"
}

wait_for () { # SECONDS COMMAND...
  deadline=$(($(date +%s) + $1))
  shift
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

stop_process () {
  [ -n "$1" ] || return 0
  kill -TERM "$1" 2>/dev/null || return 0
  # shellcheck disable=SC2016 # $1 is the inner shell's
  wait_for 10 sh -c '! kill -0 "$1" 2>/dev/null' - "$1" || kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# --- podman ------------------------------------------------------------------

start_private_podman () { # CONTAINERS-CONF (empty: podman's default configuration)
  containers_conf=$1
  mkdir -p "$tmp/podman"
  podman_socket=$tmp/podman/podman.sock
  rm -f "$podman_socket"
  # CONTAINERS_CONF is read by the service, which creates the containers.
  if [ -n "$containers_conf" ]; then
    CONTAINERS_CONF=$containers_conf HOME=$tmp podman --root "$tmp/podman/storage" \
      --runroot "$tmp/podman/run" --tmpdir "$tmp/podman/tmp" --network-config-dir "$tmp/podman/networks" \
      --events-backend file \
      system service --time=0 "unix://$podman_socket" </dev/null >"$tmp/podman/service.log" 2>&1 &
  else
    HOME=$tmp podman --root "$tmp/podman/storage" \
      --runroot "$tmp/podman/run" --tmpdir "$tmp/podman/tmp" --network-config-dir "$tmp/podman/networks" \
      --events-backend file \
      system service --time=0 "unix://$podman_socket" </dev/null >"$tmp/podman/service.log" 2>&1 &
  fi
  podman_pid=$!
  podman_mode=private
  wait_for 60 podman_answers || {
    sed 's/^/  /' "$tmp/podman/service.log"
    return 1
  }
}

podman_answers () {
  kill -0 "$podman_pid" 2>/dev/null || return 1
  curl -sf --unix-socket "$podman_socket" http://podman/_ping >/dev/null 2>&1
}

stop_private_podman () {
  [ -n "$podman_pid" ] || return 0
  pm rm --all --force --time 0 >/dev/null 2>&1 || true
  stop_process "$podman_pid"
  podman_pid=
  grep -o " $tmp/podman/[^ ]*" /proc/self/mounts | sort -r | while read -r mnt; do
    umount -l "$mnt" 2>/dev/null || true
  done
  rm -rf "$tmp/podman"
}

system_podman_usable () {
  command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet podman.socket 2>/dev/null &&
    [ -S /run/podman/podman.sock ] || return 1
  podman_socket=/run/podman/podman.sock
  # A fleetd of this demo would take over (and remove) another fleetd's
  # containers: keep out of a podman that has any.
  if [ -n "$(pm ps -aq --filter label=fleet.deployment 2>/dev/null)" ]; then
    say "the system's podman has fleet containers already; leaving them alone"
    return 1
  fi
  podman_mode=system
}

# Into the system's podman, only the tags it lacks (and those are removed
# at exit); a private podman gets them all.
build_images () {
  versions="v1 v2 v3"
  if [ "$podman_mode" = system ]; then
    versions=
    for version in v1 v2 v3; do
      pm image exists "localhost/fleet-example:$version" && continue
      versions="$versions $version"
      imported_images="$imported_images localhost/fleet-example:$version"
    done
    [ -n "$versions" ] || return 0
  fi
  E2E_EXAMPLE_VERSIONS=$versions sh "$srcdir/e2e/build-example-images.sh" \
    --remote --url "unix://$podman_socket"
}

# The example images the demo added to the system's podman, and only those.
remove_imported_images () {
  for image in $imported_images; do
    pm rmi "$image" >/dev/null 2>&1 || true
  done
  imported_images=
}

# Can this podman run a container?  The reason why not in $probe_error.
probe () {
  probe_error=$(pm run --rm --name fleet-demo-probe localhost/fleet-example:v1 /bin/true 2>&1) &&
    return 0
  probe_error=$(printf '%s\n' "$probe_error" | grep -m1 . || true)
  pm rm --force fleet-demo-probe >/dev/null 2>&1 || true
  return 1
}

use_fake () {
  say "$*"
  say "showing the same walk with fleetd --runtime fake instead: the same agent, with"
  say "pretend containers kept in memory; nothing is started and there is no page to fetch."
  runtime=fake
  stop_private_podman
}

choose_podman () {
  if [ "${FLEET_DEMO_RUNTIME:-}" = fake ]; then
    use_fake "FLEET_DEMO_RUNTIME=fake: not using podman."
    return 0
  fi
  [ "$(id -u)" = 0 ] || { use_fake "the podman demo runs rootful podman, which needs root."; return 0; }
  command -v podman >/dev/null 2>&1 ||
    { use_fake "podman is not installed (./autogen.sh --install-deps installs it)."; return 0; }
  if system_podman_usable; then
    say "podman: the system's API service (podman.socket, /run/podman/podman.sock)"
  elif start_private_podman ""; then
    say "podman: a private \`podman system service\` for this demo, storage in $tmp/podman"
  else
    use_fake "podman system service would not start (its log is above)."
    return 0
  fi
  say "images: localhost/fleet-example:v1, :v2, :v3, built from busybox-static"
  build_images || { use_fake "podman could not import the example images."; return 0; }
  probe && return 0

  say "podman cannot run a container with its default configuration here:"
  say "  $probe_error"
  if [ ! -r "$test_containers_conf" ]; then
    use_fake "and there is no $test_containers_conf to retry with."
    return 0
  fi
  say "retrying with the test suite's tests/containers.conf (runtime runc and explicit"
  say "ulimits, which restricted sandboxes need), in a private podman service."
  if [ "$podman_mode" = private ]; then stop_private_podman; else remove_imported_images; fi
  start_private_podman "$test_containers_conf" ||
    { use_fake "podman system service would not start (its log is above)."; return 0; }
  build_images || { use_fake "podman could not import the example images."; return 0; }
  probe || use_fake "podman cannot run containers here either: $probe_error"
}

# --- fleetd ------------------------------------------------------------------

start_bus () {
  dbus-daemon --session --nofork --address="unix:path=$tmp/bus.sock" </dev/null \
    >"$tmp/bus.log" 2>&1 &
  bus_pid=$!
  DBUS_SESSION_BUS_ADDRESS=unix:path=$tmp/bus.sock
  export DBUS_SESSION_BUS_ADDRESS
  wait_for 10 test -S "$tmp/bus.sock" || die "dbus-daemon did not start: $(cat "$tmp/bus.log")"
}

start_fleetd () {
  # As root, fleetctl reconcile applies each version; others may not call
  # it, and fleetd's own polling does.
  poll=3600
  [ "$(id -u)" = 0 ] || poll=1
  set -- "$FLEETD" --config "$tmp/fleetd.conf" --runtime "$runtime" --bus session \
    --source "$tmp/device.json" --state-dir "$tmp/state" --device-id demo \
    --poll-interval "$poll" --tick-interval 5
  [ "$runtime" = fake ] || set -- "$@" --podman-socket "$podman_socket"
  say "fleetd: $*"
  "$@" </dev/null >"$fleetd_log" 2>&1 &
  fleetd_pid=$!
  wait_for 20 fleetd_answers || die "fleetd did not start: $(tail -n 5 "$fleetd_log")"
}

fleetd_answers () {
  kill -0 "$fleetd_pid" 2>/dev/null || return 1
  # Any phase is an answer: 0 Running, 1 Failed, 3 Pending (4: no fleetd).
  status_exit=0
  fleetctl status >/dev/null 2>&1 || status_exit=$?
  case $status_exit in 0 | 1 | 3) ;; *) return 1 ;; esac
}

# fleetd's action log since the last call.
show_fleetd_log () {
  total=$(wc -l <"$fleetd_log")
  tail -n "+$((log_lines + 1))" "$fleetd_log" | head -n "$((total - log_lines))" |
    sed -n 's/^[a-z]*-Message: [0-9:.]*: \(action=.*\)/  fleetd: \1/p'
  log_lines=$total
}

# The example, with its host ports moved when something here uses them.
example () { # NAME
  if [ "$web_port" = 8080 ] && [ "$api_port" = 8081 ]; then
    echo "$examples/$1"
  else
    sed -e "s/\"8080:8080\"/\"$web_port:8080\"/" -e "s/\"127.0.0.1:8081:8080\"/\"127.0.0.1:$api_port:8080\"/" \
      "$examples/$1" >"$tmp/$1"
    echo "$tmp/$1"
  fi
}

converge () { # GENERATION
  if [ "$(id -u)" = 0 ]; then
    show fleetctl reconcile
    return
  fi
  say "fleetctl reconcile is for root only: waiting for fleetd's next poll instead"
  wait_for 30 running_at "$1"
}

running_at () { # GENERATION
  fleetctl status --json 2>/dev/null | jq -e --argjson g "$1" '.generation == $g and .phase == "Running"' >/dev/null
}

show_page () { # PORT EXPECTED-FIRST-LINE
  [ "$runtime" = podman ] || return 0
  # shellcheck disable=SC2016 # $1 and $2 are the inner shell's
  wait_for 10 sh -c 'curl -sf "$1" | grep -qx "$2"' - "http://127.0.0.1:$1/" "$2" ||
    die "the page on port $1 does not say \"$2\": $(curl -s "http://127.0.0.1:$1/" 2>&1)"
  show curl -s "http://127.0.0.1:$1/"
}

apply_version () { # VERSION DESCRIPTION
  doc=$(example "hello-$1.json")
  section "$1: $doc: $2"
  if [ "$1" != v1 ]; then
    show fleetctl plan "$doc"
  fi
  show cp "$doc" "$tmp/device.json"
  [ -n "$fleetd_pid" ] || start_fleetd
  converge "${1#v}" || die "$1 did not converge (fleetd's log: $fleetd_log)"
  show_fleetd_log
  show fleetctl status
}

cleanup () {
  exit_status=$?
  # Clean up whatever fails on the way, even writing to a reader that went
  # away (| head).
  set +e
  trap - EXIT INT TERM HUP
  trap '' PIPE
  [ -n "$tmp" ] || exit "$exit_status"
  section "cleaning up"
  if [ -n "$fleetd_pid" ]; then
    recorded_ids=$(fleetctl status --json 2>/dev/null |
      jq -r '.deployments[]?.container_ids | .[]?' 2>/dev/null || true)
    say "stopping fleetd (on SIGTERM it exits 0 and leaves the containers running)"
    stop_process "$fleetd_pid"
  fi
  if [ "$runtime" = podman ] && [ -n "$podman_socket" ]; then
    for id in $recorded_ids; do
      say "removing container $(echo "$id" | cut -c1-12), which fleetd created"
      pm rm --force --time 10 "$id" >/dev/null 2>&1 || true
    done
    remove_imported_images
  fi
  if [ -n "$podman_pid" ]; then
    say "stopping the private podman service and removing its storage"
    stop_private_podman
  fi
  stop_process "$bus_pid"
  rm -rf "$tmp"
  if [ "$exit_status" = 0 ]; then
    section "done"
    if [ "$runtime" = podman ]; then
      echo "fleetd took the deployment hello from v1 to v3 on podman: it replaced web"
      echo "gracefully (the recorded container stopped with its stop signal, then the new one"
      echo "started and recorded), added api, and each version ran and served its page."
    else
      echo "fleetd took the deployment hello from v1 to v3 with the fake runtime (why: see"
      echo "the top); with root and podman, the same demo runs real containers."
    fi
    echo "The whole test suite: ./autogen.sh --install-deps && make check"
  fi
  exit "$exit_status"
}

# --- the demo ----------------------------------------------------------------

[ -x "$FLEETD" ] || die "no fleetd at $FLEETD: run \`make demo\` (it builds fleetd first)"
[ -x "$FLEETCTL" ] || die "no fleetctl at $FLEETCTL: run \`make demo\`"
for program in dbus-daemon curl jq; do
  command -v "$program" >/dev/null 2>&1 ||
    die "$program is not installed (./autogen.sh --install-deps installs it)"
done

# Paths shown are relative to the source tree, as a user would type them.
cd "$srcdir"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fleet-demo.XXXXXX")
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE
: >"$tmp/fleetd.conf"
fleetd_log=$tmp/fleetd.log
: >"$fleetd_log"

section "fleet quick start: fleetd keeps a device's containers as its document says"
choose_podman
if [ "$runtime" = podman ]; then
  web_port=$(free_port 8080)
  api_port=$(free_port 8081)
  [ "$api_port" != "$web_port" ] || api_port=$(free_port $((web_port + 1)))
  if [ "$web_port" != 8080 ] || [ "$api_port" != 8081 ]; then
    say "the examples' ports 8080 and 8081 are not both free here: the demo publishes"
    say "web on $web_port and api on $api_port instead"
  fi
fi
start_bus
say "fleetctl talks to this fleetd on a private bus (fleetctl --bus session, with"
say "DBUS_SESSION_BUS_ADDRESS=$DBUS_SESSION_BUS_ADDRESS)"

apply_version v1 "one service, web, from localhost/fleet-example:v1"
show_page "$web_port" "fleet-example v1"
apply_version v2 "web gets a new image and an env: replaced gracefully"
show_page "$web_port" "fleet-example v2"
apply_version v3 "web: a new image and a shorter grace period; a second service, api"
show_page "$web_port" "fleet-example v3"
show_page "$api_port" "fleet-example v3"
if [ "$runtime" = podman ]; then
  show podman --remote --url "unix://$podman_socket" ps --filter label=fleet.deployment \
    --format '{{.ID}}  {{.Names}}  {{.Image}}  {{.Status}}'
fi
