# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e/lib.sh: the parts of e2e/run-host.sh that are not its steps: TAP
# output, checks, and starting and stopping the real parts (podman
# service, D-Bus daemon, HTTP server, fleetd).  Sourced by run-host.sh,
# after it has read its settings; not a program of its own.
# shellcheck shell=sh

# --- TAP ---------------------------------------------------------------------

step_number=0
step_name=
tmp=
say () { printf '# %s\n' "$*"; }

# Print a file (or stdin) as TAP comments.
comment_file () {
  if [ "$#" -eq 0 ] || [ -r "$1" ]; then sed 's/^/#   /' "$@"; fi
}

begin () {
  step_number=$((step_number + 1))
  step_name=$1
}

pass () {
  echo "ok $step_number - $step_name"
  step_name=
}

# The current step failed: say why and what things look like, and stop.
fail () {
  echo "not ok $step_number - $step_name"
  say "FAILED: $*"
  step_name=
  diagnose
  bail "step $step_number failed; the later steps build on it"
}

bailed=
bail () {
  echo "Bail out! $*"
  bailed=1
  exit 1
}

diagnose () {
  [ -n "$tmp" ] && [ -n "$podman_socket" ] || return 0
  say "status (fleetctl status --json):"
  fleetctl status --json 2>&1 | comment_file || true
  say "containers (podman ps -a):"
  pm ps -a --format '{{.ID}} {{.Names}} {{.Image}} {{.Status}}' 2>&1 | comment_file || true
  say "stop signals the containers recorded ($markers/stops):"
  comment_file "$markers/stops"
  say "fleetd log (last 40 lines):"
  tail -n 40 "$tmp/fleetd.log" 2>/dev/null | comment_file || true
}

skip_or_bail () {
  if [ "${FLEET_REQUIRE_PODMAN:-}" = 1 ]; then
    bail "the end-to-end test is required (FLEET_REQUIRE_PODMAN=1) but cannot run: $*"
  fi
  echo "1..0 # SKIP $*"
  exit 0
}

# --- checks ------------------------------------------------------------------

# wait_up_to SECONDS DESCRIPTION COMMAND...: poll COMMAND until it
# succeeds; fail the step after SECONDS.
wait_up_to () {
  limit=$1
  what=$2
  shift 2
  deadline=$(($(date +%s) + limit))
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "timed out after ${limit}s waiting for $what"
    sleep 0.2
  done
}

wait_until () { # DESCRIPTION COMMAND...
  wait_up_to 30 "$@"
}

check () {
  what=$1
  shift
  "$@" || fail "$what"
}

check_eq () {
  [ "$2" = "$3" ] || fail "$1: expected \"$3\", got \"$2\""
}

check_ne () {
  [ "$2" != "$3" ] || fail "$1: expected anything but \"$3\""
}

check_contains () {
  case $2 in
    *"$3"*) ;;
    *) fail "$1: expected it to contain \"$3\", got \"$2\"" ;;
  esac
}

# --- the parts ---------------------------------------------------------------

fleetd_pid=
podman_pid=
podman_socket=
podman_log=
httpd_pid=
http_port=
nats_pid=
bus_pid=
fleetd_bus=session
fleetctl_bus=session
markers=

fleetctl () {
  "$FLEETCTL" --bus "$fleetctl_bus" "$@"
}

# The podman CLI, as a client of the service fleetd uses.
pm () {
  HOME=$tmp podman --remote --url "unix://$podman_socket" "$@"
}

# Below Linux's ephemeral range (32768-60999), so that no outgoing
# connection takes the port between our check and its use.
random_port () {
  echo $((20000 + $(od -An -N2 -tu2 /dev/urandom) % 12000))
}

# A TCP port nobody on this host uses, by /proc/net/tcp{,6}.
free_port () {
  while :; do
    candidate=$(random_port)
    hex=$(printf ':%04X ' "$candidate")
    if ! grep -qi -- "$hex" /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
}

stop_process () {
  pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  waited=0
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 100 ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

start_podman_service () {
  mkdir -p "$tmp/podman"
  podman_socket=$tmp/podman/podman.sock
  podman_log=$tmp/podman/service.log
  # --log-level=info makes the service log every API request with its
  # client's user agent: how the ticks are counted and their requests checked.
  HOME=$tmp podman --root "$tmp/podman/storage" --runroot "$tmp/podman/run" \
    --tmpdir "$tmp/podman/tmp" --network-config-dir "$tmp/podman/networks" \
    --events-backend file --log-level=info \
    system service --time=0 "unix://$podman_socket" </dev/null >"$podman_log" 2>&1 &
  podman_pid=$!
  deadline=$(($(date +%s) + 60))
  until curl -sf --unix-socket "$podman_socket" http://podman/_ping >/dev/null 2>&1; do
    if ! kill -0 "$podman_pid" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
      comment_file "$podman_log"
      skip_or_bail "podman system service did not start"
    fi
    sleep 0.1
  done
}

stop_podman_service () {
  [ -n "$podman_pid" ] || return 0
  pm rm --all --force --time 0 >/dev/null 2>&1 || true
  pm volume rm --all --force >/dev/null 2>&1 || true
  stop_process "$podman_pid"
  podman_pid=
  # Whatever podman left mounted below our directory (overlay layers, shm).
  grep -o " $tmp/[^ ]*" /proc/self/mounts | sort -r | while read -r mnt; do
    umount -l "$mnt" 2>/dev/null || true
  done
}

# Someone else's podman: remove only what this script made there.
clean_external_podman () {
  for deployment in hello side canary till; do
    ids=$(pm ps -aq --filter "label=fleet.deployment=$deployment" 2>/dev/null) || continue
    # shellcheck disable=SC2086
    [ -z "$ids" ] || pm rm --force --time 0 $ids >/dev/null 2>&1 || true
    pm network rm "fleet-$deployment" >/dev/null 2>&1 || true
  done
  pm volume rm --force fleet-e2e-cache till-data >/dev/null 2>&1 || true
  for version in v1 v2 v3 v4; do
    pm rmi "localhost/fleet-example:$version" >/dev/null 2>&1 || true
  done
}

start_bus () {
  case $bus_mode in
    private)
      dbus-daemon --session --nofork --address="unix:path=$tmp/bus.sock" \
        </dev/null >"$tmp/bus.log" 2>&1 &
      bus_pid=$!
      DBUS_SESSION_BUS_ADDRESS=unix:path=$tmp/bus.sock
      export DBUS_SESSION_BUS_ADDRESS
      fleetd_bus=session
      wait_up_to 10 "the private dbus-daemon's socket" test -S "$tmp/bus.sock"
      ;;
    session)
      [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || skip_or_bail "E2E_BUS=session but no DBUS_SESSION_BUS_ADDRESS"
      fleetd_bus=session
      ;;
    system) fleetd_bus=system ;;
    *) skip_or_bail "E2E_BUS must be private, session or system, not \"$bus_mode\"" ;;
  esac
  fleetctl_bus=$fleetd_bus
}

start_http_server () {
  attempts=0
  while :; do
    http_port=$(free_port)
    busybox httpd -f -p "127.0.0.1:$http_port" -h "$http_dir" </dev/null >"$tmp/httpd.log" 2>&1 &
    httpd_pid=$!
    if wait_for_httpd 5 curl -sf -o /dev/null "http://127.0.0.1:$http_port/probe"; then
      break
    fi
    stop_process "$httpd_pid"
    attempts=$((attempts + 1))
    [ "$attempts" -lt 5 ] || bail "busybox httpd would not serve on 127.0.0.1: $(cat "$tmp/httpd.log")"
  done
}

# wait_for_httpd SECONDS COMMAND...: until COMMAND (a request to busybox
# httpd) succeeds (true), or httpd died or SECONDS passed (false).
wait_for_httpd () {
  deadline=$(($(date +%s) + $1))
  shift
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    kill -0 "$httpd_pid" 2>/dev/null || return 1
    sleep 0.1
  done
}

# The NATS variant (E2E_SOURCE=nats): a private nats-server with JetStream
# on a free port, its store in $tmp (so that it comes back with its
# buckets), the document in the key $device of the bucket "desired".
start_nats_server () {
  [ -n "${nats_port:-}" ] || nats_port=$(free_port)
  nats_url=nats://127.0.0.1:$nats_port
  nats-server -a 127.0.0.1 -p "$nats_port" -js -sd "$tmp/nats" </dev/null \
    >>"$tmp/nats-server.log" 2>&1 &
  nats_pid=$!
  deadline=$(($(date +%s) + 15))
  until "$NATS_KV" "$nats_url" create desired >/dev/null 2>&1; do
    kill -0 "$nats_pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ] ||
      bail "nats-server would not start: $(tail -n 3 "$tmp/nats-server.log")"
    sleep 0.1
  done
}

# The source going down and coming back, for the restart step.
source_down () {
  if [ -n "$nats_pid" ]; then
    stop_process "$nats_pid"
    nats_pid=
  elif [ -n "$httpd_pid" ]; then
    stop_process "$httpd_pid"
    httpd_pid=
  else
    mv "$http_dir/devices/$device.json" "$tmp/parked.json"
  fi
}

source_up () {
  if [ -n "${nats_port:-}" ]; then
    start_nats_server
    return 0
  fi
  if [ -n "${E2E_HTTP_DIR:-}" ]; then
    mv "$tmp/parked.json" "$http_dir/devices/$device.json"
    return 0
  fi
  busybox httpd -f -p "127.0.0.1:$http_port" -h "$http_dir" </dev/null >"$tmp/httpd.log" 2>&1 &
  httpd_pid=$!
  wait_for_httpd 10 curl -sf -o /dev/null "http://127.0.0.1:$http_port/probe" ||
    fail "busybox httpd did not come back on port $http_port: $(cat "$tmp/httpd.log")"
}

# Serve a document.  Each one gets its own mtime: busybox httpd's ETag is
# mtime-size, so two documents of one size written within a second would
# look unchanged to fleetd's If-None-Match.
doc_mtime=$(($(date +%s) - 100000))
serve () {
  if [ -n "${nats_port:-}" ]; then
    "$NATS_KV" "$nats_url" put desired "$device" "$1" || fail "cannot put $1 into NATS"
    return 0
  fi
  doc_mtime=$((doc_mtime + 10))
  cp "$1" "$http_dir/devices/.$device.json.tmp"
  touch -d "@$doc_mtime" "$http_dir/devices/.$device.json.tmp"
  mv -f "$http_dir/devices/.$device.json.tmp" "$http_dir/devices/$device.json"
}

start_fleetd () {
  "$FLEETD" --config "$tmp/fleetd.conf" --runtime podman --podman-socket "$podman_socket" \
    --bus "$fleetd_bus" --source "$source_url" --device-id "$device" \
    --state-dir "$tmp/state" --poll-interval "$tick" --tick-interval "$tick" \
    </dev/null >>"$tmp/fleetd.log" 2>&1 &
  fleetd_pid=$!
  wait_until "fleetd on the bus" fleetd_answers
}

fleetd_answers () {
  kill -0 "$fleetd_pid" 2>/dev/null || fail "fleetd exited: $(tail -n 5 "$tmp/fleetd.log")"
  refresh_status
}

cleanup () {
  exit_status=$?
  # Clean up whatever fails on the way, even writing to a reader that went
  # away (| head).
  set +e
  trap - EXIT INT TERM HUP
  trap '' PIPE
  if [ -n "$step_name" ]; then
    # A command failed outside a check (set -e): report the step anyway.
    echo "not ok $step_number - $step_name"
    say "FAILED: a command failed unexpectedly (exit status $exit_status)"
    diagnose
    echo "Bail out! step $step_number failed"
    exit_status=1
  elif [ "$exit_status" -ne 0 ] && [ -z "$bailed" ]; then
    echo "Bail out! the setup failed (exit status $exit_status)"
    diagnose
  elif [ "$exit_status" -eq 0 ] && [ "${E2E_VERBOSE:-}" = 1 ] && [ -n "$tmp" ]; then
    say "fleetd log:"
    comment_file "$tmp/fleetd.log"
  fi
  stop_process "$fleetd_pid"
  if [ -n "$podman_pid" ]; then
    stop_podman_service
  elif [ -n "$podman_socket" ] && [ -n "$tmp" ]; then
    clean_external_podman
  fi
  stop_process "$httpd_pid"
  stop_process "$nats_pid"
  stop_process "$bus_pid"
  if [ -n "${E2E_HTTP_DIR:-}" ]; then
    rm -f "$http_dir/devices/$device.json"
  fi
  if [ -n "$tmp" ]; then
    if [ "${E2E_KEEP:-}" = 1 ]; then
      say "kept $tmp"
    else
      rm -rf "$tmp"
    fi
  fi
  exit "$exit_status"
}
