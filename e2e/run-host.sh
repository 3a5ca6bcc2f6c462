#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e/run-host.sh: fleet's end-to-end upgrade test, on this host, with real
# parts only: the built (or installed) fleetd and fleetctl, a real podman API
# service, a real HTTP server serving the desired-state document and a real
# D-Bus daemon.  It walks a device v1 -> v2 -> v3, through a failed upgrade
# and its fix, a restart of fleetd, bad documents, signed and tampered
# documents (signify-openbsd), fleetctl's commands, health checks (a
# start-first replacement, an unhealthy container restarted) and the edge
# example (data/examples/edge-gateway.json), and checks each step against
# the contract (docs: contract §2, fleetd(8)).
#
# Output is TAP: one "ok N - STEP" per step, the first failing step is
# "not ok" with what was expected and what was found (fleetd's log, the
# status, podman's containers) as "#" lines, then "Bail out!": the steps
# build on each other.  Exit status 0 when every step passed, 1 otherwise;
# with prerequisites missing, "1..0 # SKIP why" and 0, or, when
# FLEET_REQUIRE_PODMAN=1 (CI), "Bail out!" and 1.  Everything it started is
# stopped and everything it created removed at exit, whatever the outcome.
# `make check` runs it; by hand, as root:  e2e/run-host.sh
#
# Settings (environment variables, all optional):
#   FLEETD, FLEETCTL       the binaries to test; default: $E2E_PREFIX/sbin/fleetd
#                          and $E2E_PREFIX/bin/fleetctl when E2E_PREFIX (an
#                          installed prefix) is set, else the build tree's
#                          ($FLEET_TOP_BUILDDIR, default: this script's ../)
#   E2E_PODMAN_SOCKET      use the podman API service at this socket (e.g.
#                          /run/podman/podman.sock) instead of starting a private
#                          `podman system service` with its storage in a temporary
#                          directory.  The script's fleetd then manages every
#                          fleet-labelled container of that podman, and the script
#                          removes the containers, volume and example images it
#                          made there.  Ticks are then waited out, not counted.
#   E2E_CONTAINERS_CONF    containers.conf for the private podman service;
#                          default tests/containers.conf (runc, explicit ulimits, as
#                          restricted sandboxes need); empty: podman's own defaults
#   E2E_BUS                private (default: a private dbus-daemon, fleetd and
#                          fleetctl on it with --bus session), session (the bus in
#                          DBUS_SESSION_BUS_ADDRESS) or system (the system bus;
#                          needs fleet's D-Bus policy installed)
#   E2E_HTTP_DIR, E2E_HTTP_URL  serve the documents with an HTTP server already
#                          running: files written to E2E_HTTP_DIR/devices/ are served
#                          at E2E_HTTP_URL/devices/; "server down" is then a 404.
#                          Default: busybox httpd on a free 127.0.0.1 port
#   E2E_SOURCE             http (default) or nats: the NATS variant serves the
#                          documents from a private nats-server with JetStream
#                          (a key-value bucket, put with tests/fleet-nats-kv);
#                          "server down" stops it
#   E2E_TICK_INTERVAL      fleetd's --tick-interval and --poll-interval (default 1)
#   E2E_KEEP=1             keep the temporary directory (logs, state) at exit
#   E2E_VERBOSE=1          also print fleetd's log when every step passed
#   FLEET_REQUIRE_PODMAN=1 missing prerequisites are a failure, not a skip
#
# Needs root (rootful podman), podman, runc, busybox-static (the example
# images; e2e/build-example-images.sh), curl, jq, dbus-daemon (E2E_BUS=private)
# and GNU touch.
set -eu

srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=${FLEET_TOP_BUILDDIR:-$srcdir}
if [ -n "${E2E_PREFIX:-}" ]; then
  FLEETD=${FLEETD:-$E2E_PREFIX/sbin/fleetd}
  FLEETCTL=${FLEETCTL:-$E2E_PREFIX/bin/fleetctl}
fi
FLEETD=${FLEETD:-$builddir/fleetd/fleetd}
FLEETCTL=${FLEETCTL:-$builddir/fleetctl/fleetctl}
bus_mode=${E2E_BUS:-private}
tick=${E2E_TICK_INTERVAL:-1}
device=e2e-device
source_kind=${E2E_SOURCE:-http}
NATS_KV=${NATS_KV:-$builddir/tests/fleet-nats-kv}

# Podman must not see a caller's XDG directories (a test harness's isolated
# ones break it) and gets our containers.conf.
unset XDG_CONFIG_HOME XDG_CONFIG_DIRS XDG_DATA_HOME XDG_DATA_DIRS XDG_CACHE_HOME \
  XDG_STATE_HOME XDG_RUNTIME_DIR

. "$srcdir/e2e/lib.sh"

# --- the documents -----------------------------------------------------------
#
# Two deployments: hello (web, and from v3 on api), the one being upgraded,
# and side (worker), which only changes in v4 (broken) and v5 (fixed).  Every
# service has env and volumes, which is what made an earlier agent recreate
# healthy containers at every tick; the bind-mounted $markers is where the
# example images note the stop signal they got, once they have taken
# STOP_DELAY seconds to stop: a container killed before the end of its grace
# period notes nothing.

web_service () { # IMAGE-TAG GREETING
  cat <<EOF
{"name": "web", "image": "localhost/fleet-example:$1",
 "command": ["/bin/httpd", "-f", "-p", "8080"],
 "env": {"GREETING": "$2", "STOP_DELAY": "0.5"},
 "ports": ["127.0.0.1:$web_port:8080"],
 "volumes": ["$markers:/data", "fleet-e2e-cache:/cache"]}
EOF
}

api_service () {
  cat <<EOF
{"name": "api", "image": "localhost/fleet-example:v3",
 "command": ["/bin/httpd", "-f", "-p", "8080"],
 "env": {"GREETING": "api", "STOP_DELAY": "0.5"},
 "ports": ["127.0.0.1:$api_port:8080"],
 "volumes": ["$markers:/data:rw"]}
EOF
}

worker_service () { # COMMAND
  cat <<EOF
{"name": "worker", "image": "localhost/fleet-example:v1",
 "command": $1,
 "env": {"ROLE": "worker", "STOP_DELAY": "0.5"},
 "volumes": ["$markers:/data"]}
EOF
}

good_worker='["/bin/httpd", "-f", "-p", "8080"]'
sigint='"lifecycle": {"stop_signal": "SIGINT", "grace_period_secs": 10},'

# document GENERATION HELLO-SERVICES [HELLO-LIFECYCLE] [WORKER-COMMAND]
document () {
  cat <<EOF
{
  "generation": $1,
  "deployments": {
    "hello": {"type": "PodmanV0", "data": {${3:-} "services": [$2]}},
    "side": {"type": "PodmanV0", "data": {"services": [$(worker_service "${4:-$good_worker}")]}}
  }
}
EOF
}

write_documents () {
  d=$tmp/docs
  mkdir -p "$d"
  document 1 "$(web_service v1 'hello from v1')" >"$d/v1.json"
  document 2 "$(web_service v2 'hello from v2')" >"$d/v2.json"
  # v3: a new image, a new stop signal for hello, and a second service.
  document 3 "$(web_service v3 'hello from v3'), $(api_service)" "$sigint" >"$d/v3.json"
  # v4: web's image cannot be pulled (nobody built :v4 yet); worker's new
  # command does not exist, so its new container cannot start.
  document 4 "$(web_service v4 'hello from v4'), $(api_service)" "$sigint" \
    '["/bin/no-such-program"]' >"$d/v4.json"
  # v5: worker fixed; hello back to the default lifecycle (SIGTERM), so
  # web and api are replaced, each stopped with the signal it was created with.
  document 5 "$(web_service v4 'hello from v4'), $(api_service)" >"$d/v5.json"
  document 6 "$(web_service v4 'hello from v6'), $(api_service)" >"$d/v6.json"
  # v7, v8: signed (and v8 tampered with after signing).
  document 7 "$(web_service v4 'hello from v7'), $(api_service)" >"$d/v7.json"
  document 8 "$(web_service v4 'hello from v8'), $(api_service)" >"$d/v8.json"
  # (v10 and v11 are e2e/steps-health.sh's, v12 e2e/steps-edge.sh's.)
  printf '{"generation": 20, "deployments": {}}\n' >"$d/empty.json"
  # Invalid: a port that is not a number, deep in an otherwise good document.
  sed 's/"127.0.0.1:'"$api_port"':8080"/"127.0.0.1:'"$api_port"':http"/' "$d/v6.json" \
    >"$d/invalid.json"
}

# --- observations --------------------------------------------------------------

# fleetctl status exits with the phase (0 Running, 1 Failed, 3 Pending), or
# 4 when fleetd cannot be reached: any phase is an answer.
refresh_status () {
  status_exit=0
  fleetctl status --json >"$tmp/status.json" 2>"$tmp/status.err" || status_exit=$?
  case $status_exit in 0 | 1 | 3) ;; *) return 1 ;; esac
}

# A member of the last status, by jq path; empty for null or missing.
st () {
  jq -r "($1) // empty" "$tmp/status.json"
}

recorded_id () { # DEPLOYMENT SERVICE
  refresh_status || return 1
  st ".deployments[\"$1\"].container_ids[\"$2\"]"
}

status_is () { # GENERATION PHASE
  refresh_status || return 1
  [ "$(st .generation)" = "$1" ] && [ "$(st .phase)" = "$2" ]
}

deployment_is () { # DEPLOYMENT PHASE
  refresh_status || return 1
  [ "$(st ".deployments[\"$1\"].phase")" = "$2" ]
}

fetch_result_is () { # RESULT
  refresh_status || return 1
  [ "$(st .last_fetch.result)" = "$1" ]
}

fetch_error_mentions () { # TEXT
  refresh_status || return 1
  case $(st .last_fetch.error) in *"$1"*) return 0 ;; esac
  return 1
}

running () { # ID
  [ "$(pm inspect --format '{{.State.Running}}' "$1" 2>/dev/null)" = true ]
}

gone () { # ID
  ! pm container exists "$1"
}

exited () { # PID
  ! kill -0 "$1" 2>/dev/null
}

no_fleet_containers () {
  [ -z "$(pm ps -aq --filter label=fleet.deployment)" ]
}

# The ids of the running containers labelled for DEPLOYMENT/SERVICE.
running_ids () {
  pm ps -q --no-trunc --filter "label=fleet.deployment=$1" --filter "label=fleet.service=$2"
}

# Container events (ID NAME EXIT-CODE per line) of one kind: create, start, died...
events () {
  pm events --stream=false --filter type=container --filter "event=$1" \
    --format '{{.ID}} {{.Name}} {{.ContainerExitCode}}'
}

count_events () { # EVENT NAME-OR-ID
  events "$1" | awk -v who="$2" '$1 == who || $2 == who { n++ } END { print n + 0 }'
}

events_at_least () { # EVENT NAME-OR-ID N
  [ "$(count_events "$1" "$2")" -ge "$3" ]
}

# The exit code podman reported when the container died, or "never".
exit_code () {
  events died | awk -v id="$1" '$1 == id { code = $3 } END { print (code == "" ? "never" : code) }'
}

# What the container with ID said it got: the signal names noted in the
# markers file by the container whose hostname (its short id) matches.
signals_of () {
  short=$(echo "$1" | cut -c1-12)
  awk -v h="$short" '$3 == h { printf "%s%s", sep, $2; sep = " " }' "$markers/stops" 2>/dev/null
}

page () { # PORT
  curl -sf --max-time 5 "http://127.0.0.1:$1/" | tr '\n' ' ' | sed 's/ $//'
}

page_is () { # PORT TEXT
  [ "$(page "$1")" = "$2" ]
}

# The API requests fleetd made (its user agent is fleet/VERSION), from a
# line of the private podman service's log on.
log_mark () {
  if [ -n "$podman_log" ]; then wc -l <"$podman_log"; else echo 0; fi
}

fleetd_requests_since () {
  tail -n "+$(($1 + 1))" "$podman_log" | grep '"fleet/' || true
}

ticks_since () {
  fleetd_requests_since "$1" | grep -c '"GET /[^ ]*/containers/json' || true
}

# Let N ticks pass: counted in podman's log when we run the service, else
# waited out.
wait_ticks () { # N MARK
  if [ -n "$podman_log" ]; then
    wait_up_to $(($1 * tick + 20)) "$1 liveness ticks" ticks_at_least "$1" "$2"
  else
    sleep $(($1 * tick + 1))
  fi
}

ticks_at_least () {
  [ "$(ticks_since "$2")" -ge "$1" ]
}

# Fail when fleetd asked podman for anything but reads since MARK.
check_only_reads_since () { # MARK WHAT
  [ -n "$podman_log" ] || return 0
  writes=$(fleetd_requests_since "$1" | grep -v '"GET ' || true)
  [ -z "$writes" ] || fail "$2, but fleetd asked podman: $(echo "$writes" | sed 's/.*"\([A-Z]* [^ ]*\) HTTP.*/\1/' | tr '\n' ' ')"
}

# --- prerequisites -------------------------------------------------------------

prerequisites () {
  [ "$(id -u)" = 0 ] || skip_or_bail "needs root (rootful podman)"
  for program in podman curl jq busybox touch signify-openbsd; do
    command -v "$program" >/dev/null 2>&1 || skip_or_bail "$program is not installed"
  done
  if [ -z "${E2E_PODMAN_SOCKET:-}" ]; then
    command -v runc >/dev/null 2>&1 || skip_or_bail "runc is not installed"
  fi
  if [ "$bus_mode" = private ]; then
    command -v dbus-daemon >/dev/null 2>&1 || skip_or_bail "dbus-daemon is not installed"
  fi
  [ -x /bin/busybox ] || skip_or_bail "busybox-static is not installed (/bin/busybox)"
  [ -x "$FLEETD" ] || skip_or_bail "no fleetd at $FLEETD (build it, or set FLEETD)"
  [ -x "$FLEETCTL" ] || skip_or_bail "no fleetctl at $FLEETCTL (build it, or set FLEETCTL)"
  if [ "$source_kind" = nats ]; then
    command -v nats-server >/dev/null 2>&1 || skip_or_bail "nats-server is not installed"
    [ -x "$NATS_KV" ] || skip_or_bail "no fleet-nats-kv at $NATS_KV (make check builds it)"
  fi
}

# --- setup -----------------------------------------------------------------------

prerequisites
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

started=$(date +%s)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fleet-e2e.XXXXXX")
chmod 755 "$tmp"
markers=$tmp/markers
mkdir -p "$markers" "$tmp/state"
: >"$tmp/fleetd.conf"
: >"$tmp/fleetd.log"
# CONTAINERS_CONF replaces podman's configuration files; unset, podman
# reads its own (/usr/share/containers, /etc/containers).
containers_conf=${E2E_CONTAINERS_CONF-$srcdir/tests/containers.conf}
if [ -n "$containers_conf" ]; then
  CONTAINERS_CONF=$containers_conf
  export CONTAINERS_CONF
else
  unset CONTAINERS_CONF
fi

if [ -n "${E2E_PODMAN_SOCKET:-}" ]; then
  podman_socket=$E2E_PODMAN_SOCKET
  curl -sf --unix-socket "$podman_socket" http://podman/_ping >/dev/null ||
    skip_or_bail "no podman API service answers at $podman_socket"
else
  start_podman_service
fi
sh "$srcdir/e2e/build-example-images.sh" --remote --url "unix://$podman_socket" ||
  skip_or_bail "podman could not import the example images"

start_bus

if [ "$source_kind" = nats ]; then
  start_nats_server
  source_url="$nats_url/desired"
elif [ -n "${E2E_HTTP_DIR:-}" ]; then
  http_dir=$E2E_HTTP_DIR
  source_url="${E2E_HTTP_URL:?E2E_HTTP_URL must be set with E2E_HTTP_DIR}/devices/{device}.json"
  mkdir -p "$http_dir/devices"
else
  http_dir=$tmp/www
  mkdir -p "$http_dir/devices"
  echo probe >"$http_dir/probe"
  start_http_server
  source_url="http://127.0.0.1:$http_port/devices/{device}.json"
fi

web_port=$(free_port)
api_port=$(free_port)
while [ "$api_port" = "$web_port" ]; do api_port=$(free_port); done
write_documents
say "fleetd $FLEETD, podman $podman_socket, source $source_url, bus $bus_mode"
say "web on 127.0.0.1:$web_port, api on 127.0.0.1:$api_port, state and logs in $tmp"
setup_secs=$(($(date +%s) - started))

# --- the steps -------------------------------------------------------------------

begin "v1: fleetd converges, records its containers, and the page says v1"
serve "$tmp/docs/v1.json"
start_fleetd
wait_until "generation 1 Running" status_is 1 Running
web1=$(recorded_id hello web)
worker1=$(recorded_id side worker)
check_ne "recorded id of hello/web" "$web1" ""
check_ne "recorded id of side/worker" "$worker1" ""
check "the recorded web container $web1 runs" running "$web1"
check "the recorded worker container $worker1 runs" running "$worker1"
check_eq "running hello/web containers" "$(running_ids hello web)" "$web1"
check_eq "the label fleet.spec-digest of web" \
  "$(pm inspect --format '{{index .Config.Labels "fleet.spec-digest"}}' "$web1")" \
  "$(st '.deployments.hello.services.web.desired_digest')"
wait_until "the page to say v1" page_is "$web_port" "fleet-example v1 hello from v1"
say "web $web1, worker $worker1"
pass

begin "liveness ticks and polls leave healthy containers with env and volumes alone"
mark=$(log_mark)
creates=$(events create | wc -l)
refresh_status
fetched_at=$(st .last_fetch.at)
wait_ticks 4 "$mark"
refresh_status
# A NATS source is watched, not polled: nothing to fetch while nothing changes.
[ "$source_kind" = nats ] ||
  check_ne "last_fetch.at after the ticks (the source is polled)" "$(st .last_fetch.at)" "$fetched_at"
check_eq "recorded web id after the ticks" "$(recorded_id hello web)" "$web1"
check_eq "recorded worker id after the ticks" "$(recorded_id side worker)" "$worker1"
check_eq "podman's create events" "$(events create | wc -l)" "$creates"
check "web $web1 still runs" running "$web1"
check_eq "podman's fleet containers" "$(pm ps -aq --no-trunc --filter label=fleet.deployment | sort | tr '\n' ' ')" \
  "$(printf '%s\n' "$web1" "$worker1" | sort | tr '\n' ' ')"
check_only_reads_since "$mark" "nothing needed doing"
say "$(ticks_since "$mark") ticks, each a single GET of the container list"
pass

begin "v2: web is replaced gracefully (SIGTERM, exit 0, old one gone); the page says v2"
serve "$tmp/docs/v2.json"
wait_until "generation 2 Running" status_is 2 Running
web2=$(recorded_id hello web)
check_ne "web's id after the upgrade" "$web2" "$web1"
check "the new web container runs" running "$web2"
check_eq "the signals the old web container got" "$(signals_of "$web1")" TERM
check_eq "the old web container's exit code" "$(exit_code "$web1")" 0
check "the old web container is removed" gone "$web1"
check_eq "running hello/web containers" "$(running_ids hello web)" "$web2"
check_eq "side/worker's id" "$(recorded_id side worker)" "$worker1"
wait_until "the page to say v2" page_is "$web_port" "fleet-example v2 hello from v2"
pass

begin "v3: a new image and stop signal for web, api started, side untouched"
serve "$tmp/docs/v3.json"
wait_until "generation 3 Running" status_is 3 Running
web3=$(recorded_id hello web)
api3=$(recorded_id hello api)
check_ne "web's id after the upgrade" "$web3" "$web2"
check_ne "recorded id of hello/api" "$api3" ""
check "api runs" running "$api3"
check_eq "the signals the v2 web container got" "$(signals_of "$web2")" TERM
check_eq "the v2 web container's exit code" "$(exit_code "$web2")" 0
check_eq "the stop signal baked into the v3 web container" \
  "$(pm inspect --format '{{.Config.StopSignal}} {{.Config.StopTimeout}}' "$web3")" "2 10"
check_eq "side/worker's id" "$(recorded_id side worker)" "$worker1"
check_eq "side_worker's create events" "$(count_events create side_worker)" 1
check_eq "side_worker's start events" "$(count_events start side_worker)" 1
check_eq "the signals the worker got" "$(signals_of "$worker1")" ""
wait_until "web's page to say v3" page_is "$web_port" "fleet-example v3 hello from v3"
wait_until "api's page to say v3" page_is "$api_port" "fleet-example v3 api"
pass

begin "v4 fails: web's pull fails and it keeps running; worker's start fails, is retried, and the old worker is not restarted"
creates_before=$(count_events create side_worker)
serve "$tmp/docs/v4.json"
wait_until "generation 4 Failed" status_is 4 Failed
wait_until "hello Failed" deployment_is hello Failed
check_contains "hello's last_error" "$(st .deployments.hello.last_error)" "localhost/fleet-example:v4"
# Roll-forward: retried with backoff (2 s, 4 s, ...): wait for two retries.
wait_up_to 40 "two retries of worker's start" \
  events_at_least create side_worker "$((creates_before + 3))"
refresh_status
check_eq "side's phase" "$(st .deployments.side.phase)" Failed
check_contains "side's last_error" "$(st .deployments.side.last_error)" "/bin/no-such-program"
check_eq "the signals the old worker got" "$(signals_of "$worker1")" TERM
check_eq "the old worker's exit code" "$(exit_code "$worker1")" 0
check "the old worker is removed" gone "$worker1"
check_eq "the old worker's start events (never restarted)" "$(count_events start "$worker1")" 1
check_eq "running side/worker containers" "$(running_ids side worker)" ""
check_eq "web's recorded id (pull failed: keep the old one)" "$(recorded_id hello web)" "$web3"
check "web $web3 still runs" running "$web3"
check_eq "the signals web v3 got" "$(signals_of "$web3")" ""
check_eq "api's id" "$(recorded_id hello api)" "$api3"
check_eq "web's page" "$(page "$web_port")" "fleet-example v3 hello from v3"
say "side's last_error: $(st .deployments.side.last_error)"
pass

begin "the v4 image appears: fleetd's retry replaces web, stopping it with its own signal (SIGINT)"
E2E_EXAMPLE_VERSIONS=v4 sh "$srcdir/e2e/build-example-images.sh" --remote --url "unix://$podman_socket" ||
  fail "could not build localhost/fleet-example:v4"
wait_up_to 40 "hello Running" deployment_is hello Running
web4=$(recorded_id hello web)
check_ne "web's id" "$web4" "$web3"
check "the new web container runs" running "$web4"
check_eq "the signals web v3 got" "$(signals_of "$web3")" INT
check_eq "web v3's exit code" "$(exit_code "$web3")" 0
check_eq "api's id" "$(recorded_id hello api)" "$api3"
check_eq "side's phase" "$(st .deployments.side.phase)" Failed
wait_until "the page to say v4" page_is "$web_port" "fleet-example v4 hello from v4"
pass

begin "v5: worker's fix converges; a lifecycle change replaces web and api, each stopped with the signal it was created with"
serve "$tmp/docs/v5.json"
wait_up_to 40 "generation 5 Running" status_is 5 Running
web5=$(recorded_id hello web)
api5=$(recorded_id hello api)
worker5=$(recorded_id side worker)
check_ne "worker's id" "$worker5" ""
check "the new worker runs" running "$worker5"
check_ne "web's id" "$web5" "$web4"
check_ne "api's id" "$api5" "$api3"
check_eq "the signals web v4 got" "$(signals_of "$web4")" INT
check_eq "the signals api got" "$(signals_of "$api3")" INT
check_eq "the stop signal baked into the new web" \
  "$(pm inspect --format '{{.Config.StopSignal}} {{.Config.StopTimeout}}' "$web5")" "15 30"
check_eq "running side/worker containers" "$(running_ids side worker)" "$worker5"
wait_until "the page to say v4" page_is "$web_port" "fleet-example v4 hello from v4"
pass

begin "restart: fleetd exits 0 on SIGTERM, the containers keep running, and the next fleetd recreates nothing while the source is down"
mark=$(log_mark)
creates=$(events create | wc -l)
kill -TERM "$fleetd_pid"
fleetd_status=0
wait_up_to 20 "fleetd to exit" exited "$fleetd_pid"
wait "$fleetd_pid" || fleetd_status=$?
fleetd_pid=
check_eq "fleetd's exit status on SIGTERM" "$fleetd_status" 0
for id in "$web5" "$api5" "$worker5"; do
  check "container $id still runs without fleetd" running "$id"
done
source_down
start_fleetd
wait_until "the fetch to fail" fetch_result_is error
wait_ticks 3 "$(log_mark)"
refresh_status
check_eq "the phase after the restart" "$(st .phase)" Running
check_eq "the generation after the restart" "$(st .generation)" 5
check_eq "web's recorded id" "$(st .deployments.hello.container_ids.web)" "$web5"
check_eq "api's recorded id" "$(st .deployments.hello.container_ids.api)" "$api5"
check_eq "worker's recorded id" "$(st .deployments.side.container_ids.worker)" "$worker5"
check_eq "podman's create events" "$(events create | wc -l)" "$creates"
check_only_reads_since "$mark" "nothing needed doing after the restart"
say "last_fetch.error while the source is down: $(st .last_fetch.error)"
# The source comes back with the same document: still nothing to do.
source_up
wait_until "a good fetch" fetch_result_is ok
wait_ticks 2 "$(log_mark)"
check_eq "podman's create events" "$(events create | wc -l)" "$creates"
check_only_reads_since "$mark" "the source came back with the same document"
pass

begin "bad documents are rejected with their path and change nothing"
mark=$(log_mark)
serve "$tmp/docs/invalid.json"
wait_until "the fetch to fail" fetch_result_is error
check_contains "last_fetch.error" "$(st .last_fetch.error)" "deployments.hello.data.services[1].ports[0]"
say "last_fetch.error: $(st .last_fetch.error)"
serve "$tmp/docs/v1.json"
wait_until "the fetch to fail on the generation" fetch_error_mentions generation
refresh_status
say "last_fetch.error: $(st .last_fetch.error)"
check_eq "the generation" "$(st .generation)" 5
check_eq "the phase" "$(st .phase)" Running
check_eq "web's recorded id" "$(st .deployments.hello.container_ids.web)" "$web5"
check_eq "podman's create events" "$(events create | wc -l)" "$creates"
check_only_reads_since "$mark" "the documents were rejected"
pass

begin "fleetctl plan FILE: says what would change, and changes nothing"
mark=$(log_mark)
plan=$(fleetctl plan "$tmp/docs/v6.json" --json) || fail "fleetctl plan failed: $plan"
replace=$(echo "$plan" | jq -r '.actions[] | select(.action == "replace") | "\(.deployment)/\(.service) \(.container_id)"')
check_eq "the replacements planned" "$replace" "hello/web $web5"
unchanged=$(echo "$plan" | jq -r '[.actions[] | select(.action == "unchanged") | "\(.deployment)/\(.service)"] | sort | join(" ")')
check_eq "the services left unchanged" "$unchanged" "hello/api side/worker"
fleetctl plan "$tmp/docs/v6.json" | comment_file
if fleetctl plan "$tmp/docs/invalid.json" >"$tmp/plan.out" 2>"$tmp/plan.err"; then
  fail "fleetctl plan accepted an invalid document"
fi
check_eq "lines of fleetctl plan's error" "$(wc -l <"$tmp/plan.err")" 1
check_contains "fleetctl plan's error" "$(cat "$tmp/plan.err")" "deployments.hello.data.services[1].ports[0]"
check_eq "web's recorded id" "$(recorded_id hello web)" "$web5"
check_only_reads_since "$mark" "plan is a dry run"
pass

begin "fleetctl reconcile: applies the new document now and waits until it runs"
serve "$tmp/docs/v6.json"
fleetctl reconcile >"$tmp/reconcile.out" 2>&1 || fail "fleetctl reconcile: $(cat "$tmp/reconcile.out")"
refresh_status
check_eq "the generation when reconcile returns" "$(st .generation)" 6
check_eq "the phase when reconcile returns" "$(st .phase)" Running
check_eq "the page when reconcile returns" "$(page "$web_port")" "fleet-example v4 hello from v6"
check_eq "the signals web v5 got" "$(signals_of "$web5")" TERM
pass

begin "fleetctl version: the client's and the daemon's"
version=$("$FLEETD" --version) || fail "fleetd --version failed"
fleetctl version >"$tmp/version.out" 2>&1 || fail "fleetctl version: $(cat "$tmp/version.out")"
check_eq "fleetctl version" "$(tr '\n' ' ' <"$tmp/version.out")" \
  "fleetctl ${version#fleetd } $version "
pass

begin "signed documents: with a trusted key a signed v7 runs; a tampered v8 is refused, v7 keeps serving"
keys=$tmp/trusted.d
mkdir -p "$keys"
signify-openbsd -G -n -c "fleet e2e" -p "$keys/fleet.pub" -s "$tmp/fleet.sec" >"$tmp/signify.log" 2>&1 ||
  fail "signify-openbsd -G: $(cat "$tmp/signify.log")"
for doc in v7 v8 empty; do
  signify-openbsd -S -e -s "$tmp/fleet.sec" -m "$tmp/docs/$doc.json" -x "$tmp/docs/$doc.signed" \
    >"$tmp/signify.log" 2>&1 || fail "signify-openbsd -S: $(cat "$tmp/signify.log")"
done
sed 's/hello from v8/hello from an attacker/' "$tmp/docs/v8.signed" >"$tmp/docs/v8.tampered"
kill -TERM "$fleetd_pid"
wait_up_to 20 "fleetd to exit" exited "$fleetd_pid"
wait "$fleetd_pid" || true
fleetd_pid=
printf '[fleetd]\ntrusted-keys-dir=%s\n' "$keys" >"$tmp/fleetd.conf"
serve "$tmp/docs/v7.signed"
start_fleetd
wait_until "generation 7 Running" status_is 7 Running
refresh_status
check "the status names the key that signed v7" test -n "$(st .signed_by)"
check_eq "the page" "$(page "$web_port")" "fleet-example v4 hello from v7"
web7=$(recorded_id hello web)
mark=$(log_mark)
creates=$(events create | wc -l)
serve "$tmp/docs/v8.tampered"
wait_until "the fetch to fail on the signature" fetch_error_mentions "does not match the document"
say "last_fetch.error: $(st .last_fetch.error)"
check_eq "the generation" "$(st .generation)" 7
check_eq "the phase" "$(st .phase)" Running
check_eq "web's recorded id" "$(recorded_id hello web)" "$web7"
check_eq "the page" "$(page "$web_port")" "fleet-example v4 hello from v7"
check_eq "podman's create events" "$(events create | wc -l)" "$creates"
check_only_reads_since "$mark" "the tampered document was refused"
pass

# shellcheck source=e2e/steps-health.sh
. "$srcdir/e2e/steps-health.sh"
# shellcheck source=e2e/steps-edge.sh
. "$srcdir/e2e/steps-edge.sh"

begin "an empty document stops and removes every container gracefully"
web_last=$(recorded_id hello web)
serve "$tmp/docs/empty.signed"
wait_until "generation 20 Running" status_is 20 Running
wait_until "no fleet containers" no_fleet_containers
check_eq "the signals web got" "$(signals_of "$web_last")" TERM
check_eq "the signals api got" "$(signals_of "$api5")" TERM
check_eq "the signals worker got" "$(signals_of "$worker5")" TERM
for id in "$web_last" "$api5" "$worker5"; do
  check_eq "the exit code of $id" "$(exit_code "$id")" 0
done
pass

echo "1..$step_number"
say "setup ${setup_secs}s, all steps $(($(date +%s) - started - setup_secs))s"
