#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# guest-upgrade.sh --debs DIR --results DIR [--signed DIR] [--host-test DIR]:
# the v1 -> v2 -> v3 upgrade on a real Debian 12 machine, with fleet
# installed from its Debian packages as a user installs it (apt install
# ./fleetd_*.deb ...) and fleetd running as the real fleetd.service
# (Type=notify, on the system bus with the shipped D-Bus policy, against the
# system's podman.socket), then signed documents, a start-first replacement
# and an unhealthy container restarted (guest-health.sh).
#
# e2e/vm/run.sh runs it inside the guest it boots (through
# e2e/vm/guest-hook.sh), but it needs nothing from the VM: on any Debian 12
# machine with podman, runc, busybox-static, python3, curl and jq that may be
# taken over (it installs fleet's packages, writes /etc/fleet/fleetd.conf,
# /etc/fleet/trusted.d, a unit in /etc/systemd/system and
# /var/lib/fleet-e2e, and enables podman.socket and fleetd.service), run
# it as root, reboot when it exits 3, and run it again.  documents.sh and
# guest-health.sh must be next to it.
#
#   --debs DIR     fleet's .deb files (contrib/build-debs.sh): libfleet-1-N,
#                  fleetd and fleetctl are installed with apt on the first
#                  run (their dependencies must be installed already: the
#                  guest has no network), fleetd once more later (an
#                  upgrade in place)
#   --results DIR  where the TAP output goes (DIR/tap, appended to across
#                  the reboot; the plan comes last)
#   --signed DIR   optional: fleet.pub, a signify public key, and
#                  doc-v4.signed and doc-v5.tampered, documents.sh's v4 and
#                  v5 signed with its secret key (signify -S -e), v5 then
#                  changed; at the end the key is trusted, signatures are
#                  required, v4 runs and the tampered v5 and the unsigned v5
#                  are refused while v4 keeps running
#   --host-test DIR  optional: a copy of the source tree's e2e/ and tests/
#                  (at least e2e/run-host.sh and what it uses); at the end,
#                  with fleetd.service stopped and masked, the host-mode test
#                  runs once more here, against the installed fleetd and
#                  fleetctl, the system's podman.socket and the system bus
#                  (E2E_PREFIX=/usr E2E_PODMAN_SOCKET=... E2E_BUS=system)
#
# Exit status: 0 all passed, 1 something failed (or the plan was cut short),
# 3 "reboot the machine and run me again" (progress is kept in
# /var/lib/fleet-e2e, so the second run carries on after the reboot).
#
# The images localhost/fleet-example:v1..v3 are busybox-static, imported
# without a registry.  Their service serves "<version> <service> <GREETING>"
# on port 8080 and, on SIGTERM or SIGINT, appends "<version> <service>
# <signal>" to /data/marker, which is how a graceful stop with the right
# signal is seen.  documents.sh describes the documents.
set -eu

usage () { echo "usage: $0 --debs DIR --results DIR [--signed DIR] [--host-test DIR]" >&2; exit 2; }
debs=
results=
signed=
host_test=
while [ $# -gt 0 ]; do
  case $1 in
    --debs) debs=$2; shift 2 ;;
    --results) results=$2; shift 2 ;;
    --signed) signed=$2; shift 2 ;;
    --host-test) host_test=$2; shift 2 ;;
    *) usage ;;
  esac
done
if [ -z "$debs" ] || [ -z "$results" ]; then usage; fi
[ "$(id -u)" = 0 ] || { echo "$0: needs root" >&2; exit 2; }

e2e=/var/lib/fleet-e2e          # the test's own persistent state
www=$e2e/www                    # what the HTTP source serves
poll=2                          # fleetd's poll and tick intervals, seconds
tick=5
converge_timeout=240            # TCG is slow: pulls and starts take seconds
mkdir -p "$e2e" "$www" "$results"
tap=$results/tap

# ---- TAP, kept across the reboot -------------------------------------------

count () { cat "$e2e/count" 2>/dev/null || echo 0; }
emit () { printf '%s\n' "$*" >> "$tap"; printf '%s\n' "$*"; }
ok () { n=$(( $(count) + 1 )); echo "$n" > "$e2e/count"; emit "ok $n - $*"; }
not_ok () {
  n=$(( $(count) + 1 )); echo "$n" > "$e2e/count"; emit "not ok $n - $1"
  shift
  for line in "$@"; do printf '%s\n' "$line" | sed 's/^/# /' | while IFS= read -r l; do emit "$l"; done; done
  echo "$(( $(cat "$e2e/failures" 2>/dev/null || echo 0) + 1 ))" > "$e2e/failures"
}
diag () { printf '%s\n' "$*" | sed 's/^/# /' | while IFS= read -r l; do emit "$l"; done; }
# check DESCRIPTION COMMAND...: one test from a command's exit status.
check () {
  description=$1; shift
  if out=$("$@" 2>&1); then ok "$description"; else not_ok "$description" "$out"; fi
}
# save KEY VALUE / saved KEY: values that must survive the reboot.
save () { echo "$2" > "$e2e/saved.$1"; }
saved () { cat "$e2e/saved.$1" 2>/dev/null || true; }

# ---- probes ----------------------------------------------------------------

status_json () { fleetctl status --json 2>/dev/null; }
# Probes print nothing rather than fail, so that `x=$(probe)` is safe under -e.
status_field () { status_json | jq -r "$1" 2>/dev/null || true; }
container_id () { status_field ".deployments.hello.container_ids[\"$1\"] // empty"; }
# wait_until SECONDS COMMAND...: poll once a second until COMMAND succeeds.
wait_until () {
  deadline=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 1
  done
}
is_running_at () {
  [ "$(status_field .generation)" = "$1" ] && [ "$(status_field .phase)" = Running ]
}
fleetd_ready () {
  [ "$(systemctl show -P ActiveState fleetd.service)" = active ] &&
    [ "$(systemctl show -P SubState fleetd.service)" = running ] &&
    [ -n "$(systemctl show -P StatusText fleetd.service)" ]
}
started_at () { podman inspect --format '{{.State.StartedAt}}' "$1" 2>/dev/null || true; }
podman_state () { podman inspect --format '{{.State.Status}}' "$1" 2>/dev/null || true; }
http_says () { [ "$(curl -fsS --max-time 5 "http://127.0.0.1:$1/")" = "$2" ]; }
marker_has () { grep -q -x -F "$1" "$e2e/data/marker" 2>/dev/null; }
# Container events podman logged for the deployment since a time; fails
# (rather than finding nothing) when podman cannot say.
events_since () {
  podman events --stream=false --since "$1" --filter label=fleet.deployment=hello \
    --format '{{.Status}} {{.Name}}'
}
no_events_like () {   # no_events_like SINCE REGEX: fails and prints them if any
  all=$(events_since "$1") || { echo "podman events failed"; return 1; }
  found=$(printf '%s\n' "$all" | grep -E "^($2) " || true)
  [ -z "$found" ] || { echo "unexpected podman events: $found"; return 1; }
}
# What fleetd.service logged at priority warning or worse in a boot (0 this
# one, -1 the one before): GLib warnings, errors, and systemd's own about it.
fleetd_warnings () {   # fleetd_warnings BOOT [JOURNALCTL-OPTIONS...]
  boot=$1; shift
  journalctl --no-pager -q -b "$boot" -u fleetd.service -p warning "$@" 2>&1
}
fleetd_log () { journalctl --no-pager -q -b -u fleetd.service -n "${1:-40}" 2>&1; }
diagnose () { diag "fleetctl status --json: $(status_json | jq -c . 2>&1)"; diag "$(fleetd_log 30)"; }
# converge GENERATION DESCRIPTION: wait for Running at GENERATION.
converge () {
  if wait_until "$converge_timeout" is_running_at "$1"; then
    ok "$2"
  else
    not_ok "$2"; diagnose
  fi
}

# ---- the world the test needs ----------------------------------------------

# The documents (e2e/vm/documents.sh, next to this script).
# shellcheck source=e2e/vm/documents.sh
. "$(dirname "$0")/documents.sh"
# The health-check steps (e2e/vm/guest-health.sh, next to this script).
# shellcheck source=e2e/vm/guest-health.sh
. "$(dirname "$0")/guest-health.sh"
serve () {   # serve GENERATION: atomically switch the served document
  serve_file "$e2e/doc-v$1.json"
}
serve_file () {   # serve_file FILE: the same, with FILE's exact bytes
  cp "$1" "$www/.next.json"
  mv "$www/.next.json" "$www/$(cat /etc/machine-id).json"
}

# busybox-static and its applet links, a version file and the service.
build_images () {
  work=$(mktemp -d)
  mkdir -p "$work/root/bin" "$work/root/etc" "$work/root/data" "$work/root/tmp" \
    "$work/root/proc" "$work/root/sys" "$work/root/dev"
  cp /bin/busybox "$work/root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$work/root/bin/$applet"
  done
  # A loop of short sleeps, not a bare wait on httpd: a trapped signal
  # interrupts `wait` at once.
  cat > "$work/root/bin/fleet-example" <<'EOF'
#!/bin/sh
# fleet-example NAME: serve "<version> NAME <GREETING>" on port 8080; on
# SIGTERM or SIGINT append "<version> NAME <signal>" to /data/marker, exit 0.
version=$(cat /etc/fleet-example-version)
name=$1
mkdir -p /tmp/www
echo "$version $name ${GREETING:-}" | sed 's/ *$//' > /tmp/www/index.html
httpd -f -p 8080 -h /tmp/www &
httpd=$!
stop () { echo "$version $name $1" >> /data/marker; kill "$httpd"; exit 0; }
trap 'stop TERM' TERM
trap 'stop INT' INT
while :; do sleep 1 & wait $!; done
EOF
  chmod 755 "$work/root/bin/fleet-example"
  for v in v1 v2 v3; do
    echo "$v" > "$work/root/etc/fleet-example-version"
    tar -C "$work/root" -cf "$work/$v.tar" .
    podman import --quiet --change 'CMD ["/bin/fleet-example", "main"]' \
      "$work/$v.tar" "localhost/fleet-example:$v" >/dev/null || { rm -rf "$work"; return 1; }
  done
  rm -rf "$work"
}

# The desired-state source: python3's HTTP server on the guest's loopback,
# as a unit of its own so that it is back after the reboot before fleetd.
start_http_source () {
  mkdir -p "$www"
  cat > /etc/systemd/system/fleet-e2e-http.service <<EOF
[Unit]
Description=fleet e2e: the desired-state HTTP source on 127.0.0.1:8000
Before=fleetd.service

[Service]
ExecStart=/usr/bin/python3 -m http.server --bind 127.0.0.1 --directory $www 8000

[Install]
WantedBy=multi-user.target
EOF
  systemctl daemon-reload
  systemctl enable --now fleet-e2e-http.service
  wait_until 30 curl -fsS -o /dev/null "http://127.0.0.1:8000/"
}

# As a user installs fleet: apt install ./…deb.  The packages are copied
# out of the share first, where apt's unprivileged _apt user may read them.
# The guest has no network: every dependency is in the image already.
apt_install_debs () {   # apt_install_debs [APT-OPTIONS...]
  pkgs=/tmp/fleet-debs
  rm -rf "$pkgs"; mkdir -m 755 "$pkgs"
  files=
  # The library's package is named after its soname: libfleet-1-N.
  for p in 'libfleet-1-[0-9]*' fleetd fleetctl; do
    found=no
    # shellcheck disable=SC2231 # $p is a pattern
    for f in "$debs"/${p}_*.deb; do
      case $f in *-dbgsym_*) continue ;; esac
      [ -f "$f" ] || continue
      cp "$f" "$pkgs/"; files="$files $pkgs/$(basename "$f")"; found=yes
    done
    [ "$found" = yes ] || { echo "no ${p}_*.deb in $debs"; return 1; }
  done
  # shellcheck disable=SC2086 # file names without blanks
  DEBIAN_FRONTEND=noninteractive apt install -y -q "$@" $files 2>&1
}
install_fleet () { apt_install_debs; }
# A freshly installed fleetd.service is enabled, but not started while
# fleetd.conf names no source (fleetd.postinst): not running, not failed.
fresh_install_idle () {
  [ "$(systemctl is-enabled fleetd.service)" = enabled ] || { systemctl is-enabled fleetd.service; return 1; }
  state=$(systemctl show -P ActiveState fleetd.service)
  [ "$state" = inactive ] || { echo "ActiveState=$state"; systemctl status --no-pager fleetd.service; return 1; }
  dpkg-query -W -f='${Conffiles}\n' fleetd | grep -q '^ /etc/fleet/fleetd.conf ' ||
    { echo "/etc/fleet/fleetd.conf is not a conffile of fleetd"; return 1; }
}
# The same packages again, as an upgrade would install them; the conffile
# changed by configure_fleetd is kept, as an administrator's would be.
reinstall_fleet () {
  apt_install_debs --reinstall -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold
}

configure_fleetd () {
  conf=/etc/fleet/fleetd.conf
  grep -q '^\[fleetd\]' "$conf" || { echo "$conf has no [fleetd] group"; return 1; }
  # The shipped conffile has every key commented out: set ours after it.
  cat >> "$conf" <<EOF

# Set by fleet's e2e VM test.
source=http://127.0.0.1:8000/{device}.json
poll-interval=$poll
tick-interval=$tick
EOF
}

# The packages installed again over the running fleetd: the postinst
# restarts it (it was running), and fleetd upgraded in place recreates
# nothing.
upgrade_in_place () {
  since=$(date +%s); wstart=$(started_at "$web3"); astart=$(started_at "$api3")
  pid=$(systemctl show -P MainPID fleetd.service)
  check "apt reinstalls the packages over the running fleetd (an upgrade in place)" reinstall_fleet
  if [ "$(systemctl show -P MainPID fleetd.service)" != "$pid" ] && wait_until 60 fleetd_ready; then
    ok "the package's postinst restarted the running fleetd (a new process, READY)"
  else
    not_ok "the package's postinst restarted the running fleetd (a new process, READY)" \
      "MainPID $pid -> $(systemctl show -P MainPID fleetd.service)" \
      "$(systemctl status --no-pager fleetd.service 2>&1)"
  fi
  converge 3 "after the upgrade in place: Running at generation 3"
  sleep $(( tick + poll ))
  if [ "$(container_id web)" = "$web3" ] && [ "$(container_id api)" = "$api3" ] &&
     [ "$(started_at "$web3")" = "$wstart" ] && [ "$(started_at "$api3")" = "$astart" ] &&
     out=$(no_events_like "$since" 'create|init|start|stop|kill|died|remove'); then
    ok "the upgrade in place of the packages recreated, restarted and stopped nothing"
  else
    not_ok "the upgrade in place of the packages recreated, restarted and stopped nothing" "${out:-}" \
      "web $web3 -> $(container_id web), api $api3 -> $(container_id api)"
  fi
}

# ---- signed documents (--signed DIR) ----------------------------------------

# The key number of a signify public key file, as fleet shows it: bytes 2
# to 9 of its second line, base64-decoded, in lower-case hex.
key_number () { sed -n 2p "$1" | base64 -d | od -An -tx1 -j2 -N8 | tr -d ' \n'; }
fetch_error_has () { case $(status_field '.last_fetch.error // empty') in *"$1"*) return 0 ;; esac; return 1; }
trust_key () {
  mkdir -p /etc/fleet/trusted.d
  cp "$signed/fleet.pub" /etc/fleet/trusted.d/fleet-e2e.pub
  printf 'require-signature=yes\n' >> /etc/fleet/fleetd.conf
}
untrust_key () {
  systemctl stop fleetd.service
  rm -rf /etc/fleet/trusted.d
  sed -i '/^require-signature=yes$/d' /etc/fleet/fleetd.conf
}
# refused FILE TEXT DESCRIPTION: serve FILE; fleetd refuses it with TEXT in
# the status's fetch error, and v4 keeps running, untouched.
refused () {
  serve_file "$1"
  if wait_until 120 fetch_error_has "$2"; then
    ok "$3: refused ($(status_field .last_fetch.error))"
  else
    not_ok "$3: refused, the fetch error says \"$2\"" "$(status_json | jq -c .last_fetch 2>&1)"
  fi
  if [ "$(status_field .generation)" = 4 ] && [ "$(status_field .phase)" = Running ] &&
     [ "$(container_id web)" = "$web4" ] && [ "$(container_id api)" = "$api4" ] &&
     http_says 8080 "v3 web hello from v4"; then
    ok "$3: v4 keeps running (generation 4, the same containers, the same page)"
  else
    not_ok "$3: v4 keeps running" "generation $(status_field .generation) $(status_field .phase)" \
      "web $web4 -> $(container_id web), api $api4 -> $(container_id api)"
  fi
}

# fleetd, stopped, is given a trusted key and told to require signatures;
# it is started on the signed v4, then served v5 tampered with after it was
# signed, and v5 unsigned: both are refused.  The key is removed at the end.
signed_documents () {
  check "the signing key is trusted and fleetd.conf requires signatures" trust_key
  serve_file "$signed/doc-v4.signed"
  check "systemctl start fleetd.service with the key trusted" systemctl start fleetd.service
  converge 4 "signed v4: Running at generation 4"
  web4=$(container_id web); api4=$(container_id api)
  signer=$(status_field '.signed_by // empty'); key=$(key_number "$signed/fleet.pub")
  if [ -n "$key" ] && [ "$signer" = "$key" ]; then
    ok "signed v4: the status names the key that signed it ($signer)"
  else
    not_ok "signed v4: the status names the key that signed it" "signed_by \"$signer\", key $key"
  fi
  if [ "$api4" = "$api3" ] && [ -n "$web4" ] && [ "$web4" != "$web3" ] &&
     wait_until 60 http_says 8080 "v3 web hello from v4"; then
    ok "signed v4: web replaced (a new greeting), api untouched"
  else
    not_ok "signed v4: web replaced (a new greeting), api untouched" \
      "web $web3 -> $web4, api $api3 -> $api4" "$(curl -sS --max-time 5 http://127.0.0.1:8080/ 2>&1)"
  fi
  # systemctl reload (ExecReload=, SIGHUP, in the unit's sandbox): the keys
  # are read again, by the same process.
  pid=$(systemctl show -P MainPID fleetd.service); said="keys=$key require_signature=yes"
  before=$(journalctl --no-pager -q -b -u fleetd.service | grep -c -F "$said" || true)
  if systemctl reload fleetd.service &&
     wait_until 30 sh -c "[ \$(journalctl --no-pager -q -b -u fleetd.service | grep -c -F '$said') -gt $before ]" &&
     [ "$(systemctl show -P MainPID fleetd.service)" = "$pid" ] && fleetd_ready; then
    ok "systemctl reload fleetd.service reads the trusted keys again, in the same process"
  else
    not_ok "systemctl reload fleetd.service reads the trusted keys again, in the same process" \
      "MainPID $pid -> $(systemctl show -P MainPID fleetd.service)" "$(fleetd_log 10)"
  fi
  since=$(date +%s)
  refused "$signed/doc-v5.tampered" "does not match the document" "v5 tampered with after signing"
  refused "$e2e/doc-v5.json" "not signed" "v5 unsigned, where signatures are required"
  if out=$(no_events_like "$since" 'create|init|start|stop|kill|died|remove'); then
    ok "the refused documents created, started and stopped nothing"
  else
    not_ok "the refused documents created, started and stopped nothing" "$out"
  fi
  check "systemctl stop fleetd.service; the key is no longer trusted" untrust_key
}

# ---- phase 1: install, v1 -> v2 -> v3, restart of fleetd --------------------

phase1 () {
  check "fleet installs from its packages (apt install ./libfleet-1-N_*.deb ./fleetd_*.deb ./fleetctl_*.deb)" \
    install_fleet
  check "fresh install: fleetd.service enabled, not started without a source, fleetd.conf a conffile" \
    fresh_install_idle
  if out=$(systemd-analyze verify --man=no fleetd.service 2>&1) && [ -z "$out" ]; then
    ok "systemd-analyze verify fleetd.service: nothing to say on the real system"
  else
    not_ok "systemd-analyze verify fleetd.service: nothing to say on the real system" "$out"
  fi
  check "images localhost/fleet-example:v1..v3 imported" build_images
  mkdir -p "$e2e/data"
  write_documents "$e2e"
  serve 1
  check "the HTTP source serves v1 on 127.0.0.1:8000" start_http_source
  check "fleetd.conf points at the source" configure_fleetd
  # As fleetd(8) says.
  check "systemctl enable --now podman.socket fleetd.service" \
    systemctl enable --now podman.socket fleetd.service

  if wait_until 60 fleetd_ready; then
    ok "fleetd.service is active (READY=1 sent) with a status text: $(systemctl show -P StatusText fleetd.service)"
  else
    not_ok "fleetd.service is active (READY=1 sent) with a status text" \
      "$(systemctl status --no-pager fleetd.service 2>&1)"
  fi
  converge 1 "v1: fleetctl status --json says Running at generation 1"
  web1=$(container_id web)
  if [ -n "$web1" ] && [ "$(podman_state "$web1")" = running ] &&
     [ "$(podman inspect --format '{{.Name}} {{index .Config.Labels "fleet.service"}}' "$web1")" = "hello_web web" ]; then
    ok "v1: the recorded container id is podman's running hello_web"
  else
    not_ok "v1: the recorded container id is podman's running hello_web" "id=$web1 $(podman ps -a 2>&1)"
  fi
  if wait_until 60 http_says 8080 "v1 web"; then ok "v1: 127.0.0.1:8080 answers \"v1 web\""
  else not_ok "v1: 127.0.0.1:8080 answers \"v1 web\"" "$(curl -sS --max-time 5 http://127.0.0.1:8080/ 2>&1)"; fi
  check "v1: fleetctl plan of the shipped example v2 works on the installed daemon" \
    fleetctl plan /usr/share/doc/fleetd/examples/hello-v2.json

  # An observation window, not a wait for something: ticks and polls must
  # happen in it and change nothing.
  since=$(date +%s); started=$(started_at "$web1"); fetched=$(status_field .last_fetch.at)
  sleep $(( 2 * tick + poll ))
  if [ "$(container_id web)" = "$web1" ] && [ "$(started_at "$web1")" = "$started" ] &&
     out=$(no_events_like "$since" 'create|init|start|stop|kill|died|remove'); then
    ok "v1: $(( 2 * tick + poll ))s of ticks and polls recreate, restart and stop nothing"
  else
    not_ok "v1: ticks and polls recreate, restart and stop nothing" "${out:-}" \
      "id $web1 -> $(container_id web); started $started -> $(started_at "$web1")"
  fi
  [ "$(status_field .last_fetch.at)" != "$fetched" ] ||
    diag "warning: last_fetch.at did not move in the window ($fetched)"

  # v2 through `fleetctl reconcile`: root may, nobody may not.
  serve 2
  if out=$(setpriv --reuid=65534 --regid=65534 --clear-groups fleetctl reconcile 2>&1); then
    not_ok "v2: fleetctl reconcile as nobody is refused" "it exited 0: $out"
  elif [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && printf '%s' "$out" | grep -q 'requires root'; then
    ok "v2: fleetctl reconcile as nobody is refused: $out"
  else
    not_ok "v2: fleetctl reconcile as nobody is refused, with one line saying it requires root" "$out"
  fi
  # Its exit status is the phase's (0 Running, 1 Failed, 3 Pending): the
  # status document is the answer.
  out=$(setpriv --reuid=65534 --regid=65534 --clear-groups fleetctl status --json 2>&1) || true
  if printf '%s' "$out" | jq -e '.phase' >/dev/null 2>&1; then
    ok "fleetctl status --json works for nobody"
  else
    not_ok "fleetctl status --json works for nobody" "$out"
  fi
  if out=$(fleetctl reconcile 2>&1) && is_running_at 2; then
    ok "v2: fleetctl reconcile as root exits 0 and the device is Running at generation 2"
  else
    # The poll may still be on its way; give it the convergence time.
    not_ok "v2: fleetctl reconcile as root exits 0 and the device is Running at generation 2" "$out"
    converge 2 "v2: Running at generation 2 in the end"
  fi
  web2=$(container_id web)
  if [ -n "$web2" ] && [ "$web2" != "$web1" ] && ! podman container exists "$web1" &&
     [ "$(podman_state "$web2")" = running ]; then
    ok "v2: web was replaced (new id ${web2%"${web2#????????????}"}), the v1 container is gone"
  else
    not_ok "v2: web was replaced, the v1 container is gone" "v1 $web1, now $web2" "$(podman ps -a 2>&1)"
  fi
  check "v2: the v1 container was stopped with SIGTERM (its marker says \"v1 web TERM\")" \
    marker_has "v1 web TERM"
  if wait_until 60 http_says 8080 "v2 web hello from v2"; then ok "v2: 127.0.0.1:8080 answers \"v2 web hello from v2\""
  else not_ok "v2: 127.0.0.1:8080 answers \"v2 web hello from v2\"" "$(curl -sS --max-time 5 http://127.0.0.1:8080/ 2>&1)"; fi

  # v3 through the poll alone.
  serve 3
  converge 3 "v3: picked up by the poll, Running at generation 3"
  web3=$(container_id web); api3=$(container_id api)
  if [ -n "$web3" ] && [ "$web3" != "$web2" ] && [ -n "$api3" ] && ! podman container exists "$web2" &&
     [ "$(podman_state "$web3")" = running ] && [ "$(podman_state "$api3")" = running ]; then
    ok "v3: web replaced again, api added, both running"
  else
    not_ok "v3: web replaced again, api added, both running" "web $web2 -> $web3, api $api3" "$(podman ps -a 2>&1)"
  fi
  check "v3: the v2 container was stopped with the SIGINT it was created with, not v3's SIGTERM" \
    marker_has "v2 web INT"
  if wait_until 60 http_says 8080 "v3 web hello from v3" && wait_until 60 http_says 8081 "v3 api"; then
    ok "v3: 127.0.0.1:8080 and :8081 answer as v3's web and api"
  else
    not_ok "v3: 127.0.0.1:8080 and :8081 answer as v3's web and api"
  fi

  # systemctl restart fleetd: a SIGTERM, a fresh start from the state file.
  since=$(date +%s); wstart=$(started_at "$web3"); astart=$(started_at "$api3")
  pid=$(systemctl show -P MainPID fleetd.service)
  check "systemctl restart fleetd.service" systemctl restart fleetd.service
  if [ "$(systemctl show -P MainPID fleetd.service)" != "$pid" ] && wait_until 60 fleetd_ready; then
    ok "after the restart fleetd.service is active and READY again (a new process)"
  else
    not_ok "after the restart fleetd.service is active and READY again (a new process)" \
      "$(systemctl status --no-pager fleetd.service 2>&1)"
  fi
  converge 3 "after the restart: Running at generation 3"
  sleep $(( tick + poll ))   # let at least one tick and one poll run
  if [ "$(container_id web)" = "$web3" ] && [ "$(container_id api)" = "$api3" ] &&
     [ "$(started_at "$web3")" = "$wstart" ] && [ "$(started_at "$api3")" = "$astart" ] &&
     out=$(no_events_like "$since" 'create|init|start|stop|kill|died|remove'); then
    ok "the restart of fleetd recreated, restarted and stopped nothing"
  else
    not_ok "the restart of fleetd recreated, restarted and stopped nothing" "${out:-}" \
      "web $web3 -> $(container_id web), api $api3 -> $(container_id api)"
  fi
  upgrade_in_place

  if out=$(fleetd_warnings 0) && [ -z "$out" ]; then
    ok "fleetd logged no warnings or errors so far"
  else
    not_ok "fleetd logged no warnings or errors so far" "$(printf '%s\n' "$out" | sort -k 5 | uniq -c -f 4 | head -20)"
  fi

  save web "$web3"; save api "$api3"; save boot "$(cat /proc/sys/kernel/random/boot_id)"
  save shutdown "$(date +%s)"
  echo reboot > "$e2e/phase"
  diag "rebooting the machine"
}

# ---- phase 2: after the reboot -----------------------------------------------

phase2 () {
  web3=$(saved web); api3=$(saved api)
  if [ "$(cat /proc/sys/kernel/random/boot_id)" != "$(saved boot)" ]; then
    ok "the machine rebooted and the test carried on"
  else
    not_ok "the machine rebooted and the test carried on" "same boot id $(saved boot)"
  fi
  # Shutting down for the reboot stopped fleetd too: with the bus and podman
  # still there, it must have had nothing to complain about.
  if out=$(fleetd_warnings -1 --since "@$(saved shutdown)") && [ -z "$out" ]; then
    ok "fleetd stopped cleanly when the machine shut down for the reboot"
  else
    not_ok "fleetd stopped cleanly when the machine shut down for the reboot" "$out"
  fi
  if wait_until 120 fleetd_ready; then
    ok "after the reboot fleetd.service started by itself, active and READY: $(systemctl show -P StatusText fleetd.service)"
  else
    not_ok "after the reboot fleetd.service started by itself, active and READY" \
      "$(systemctl status --no-pager fleetd.service 2>&1)"
  fi
  converge 3 "after the reboot: Running at generation 3"
  if [ "$(container_id web)" = "$web3" ] && [ "$(container_id api)" = "$api3" ]; then
    ok "after the reboot: the persisted container ids are the same (nothing recreated)"
  else
    not_ok "after the reboot: the persisted container ids are the same (nothing recreated)" \
      "web $web3 -> $(container_id web), api $api3 -> $(container_id api)"
  fi
  if wait_until 120 sh -c "[ \"\$(podman inspect --format '{{.State.Status}}' $web3 $api3 | sort -u)\" = running ]"; then
    ok "after the reboot: the same two containers are running again (liveness started them)"
  else
    not_ok "after the reboot: the same two containers are running again" "$(podman ps -a 2>&1)"
  fi
  boot=$(date -d "$(uptime -s)" +%s)
  if out=$(no_events_like "$boot" 'create|remove') &&
     started=$(events_since "$boot" | grep -c -E '^start hello_(web|api)$') && [ "$started" -ge 2 ]; then
    ok "after the reboot: no container was created or removed; podman saw both started again"
  else
    not_ok "after the reboot: no container was created or removed; podman saw both started again" \
      "$out" "$(events_since "$boot" 2>&1)"
  fi
  if wait_until 60 http_says 8080 "v3 web hello from v3"; then ok "after the reboot: 127.0.0.1:8080 answers as v3's web"
  else not_ok "after the reboot: 127.0.0.1:8080 answers as v3's web"; fi

  restarts=$(systemctl show -P NRestarts fleetd.service)
  if [ "$restarts" = 0 ] && ! journalctl --no-pager -q -u fleetd.service | grep -q -i 'watchdog timeout'; then
    ok "fleetd.service never failed or hit its watchdog (NRestarts=0, in any boot)"
  else
    not_ok "fleetd.service never failed or hit its watchdog" "NRestarts=$restarts" \
      "$(journalctl --no-pager -q -u fleetd.service | grep -i -E 'watchdog|failed' | tail -5)"
  fi
  # fleetd logs failures as warnings: after a reboot it finds the containers
  # stopped (and starts them), and may start before the source's server.
  # Those are expected here; nothing else is, and no error at all.
  out=$(fleetd_warnings 0 | grep -v -E 'action=unhealthy |action=fetch .*result=error' || true)
  errors=$(journalctl --no-pager -q -b 0 -u fleetd.service -p err 2>&1)
  if [ -z "$out" ] && [ -z "$errors" ]; then
    ok "fleetd logged no errors in this boot, and no warnings but the stopped containers and the late source"
  else
    not_ok "fleetd logged no errors in this boot, and no warnings but the stopped containers and the late source" \
      "$(printf '%s\n' "$out" "${errors:-}" | head -20)"
  fi

  # fleetd dies (SIGKILL: no chance to persist anything more): systemd
  # restarts it (Restart=on-failure) and it carries on from its state file.
  since=$(date +%s); wstart=$(started_at "$web3"); astart=$(started_at "$api3")
  pid=$(systemctl show -P MainPID fleetd.service)
  systemctl kill -s KILL fleetd.service
  if wait_until 60 sh -c "[ \"\$(systemctl show -P NRestarts fleetd.service)\" = 1 ]" &&
     wait_until 60 fleetd_ready && [ "$(systemctl show -P MainPID fleetd.service)" != "$pid" ]; then
    ok "after a SIGKILL systemd restarted fleetd (Restart=on-failure), active and READY"
  else
    not_ok "after a SIGKILL systemd restarted fleetd (Restart=on-failure), active and READY" \
      "$(systemctl status --no-pager fleetd.service 2>&1)"
  fi
  converge 3 "after the SIGKILL: Running at generation 3"
  sleep $(( tick + poll ))   # let at least one tick and one poll run
  if [ "$(container_id web)" = "$web3" ] && [ "$(container_id api)" = "$api3" ] &&
     [ "$(started_at "$web3")" = "$wstart" ] && [ "$(started_at "$api3")" = "$astart" ] &&
     out=$(no_events_like "$since" 'create|init|start|stop|kill|died|remove'); then
    ok "the crash and restart of fleetd recreated, restarted and stopped nothing"
  else
    not_ok "the crash and restart of fleetd recreated, restarted and stopped nothing" "${out:-}" \
      "web $web3 -> $(container_id web), api $api3 -> $(container_id api)"
  fi

  # From here on nothing is expected to complain.
  quiet_since=$(date +%s)
  check "systemctl stop fleetd.service" systemctl stop fleetd.service
  result=$(systemctl show -P Result fleetd.service)
  if [ "$result" = success ] && [ "$(podman_state "$web3")" = running ] &&
     [ "$(podman_state "$api3")" = running ]; then
    ok "fleetd stops cleanly on SIGTERM (Result=success) and leaves the containers running"
  else
    not_ok "fleetd stops cleanly on SIGTERM and leaves the containers running" "Result=$result" \
      "$(podman ps -a 2>&1)"
  fi

  # The shipped activation file: a call to the name starts fleetd.service.
  if out=$(dbus-send --system --print-reply --reply-timeout=120000 --dest=dev.fleet.Agent1 \
             /dev/fleet/Agent1 dev.fleet.Agent1.GetStatus 2>&1) &&
     wait_until 60 fleetd_ready; then
    ok "a D-Bus call to dev.fleet.Agent1 starts fleetd.service (bus activation through systemd)"
  else
    not_ok "a D-Bus call to dev.fleet.Agent1 starts fleetd.service (bus activation through systemd)" \
      "$out" "$(systemctl status --no-pager fleetd.service 2>&1)"
  fi
  converge 3 "after the activation: Running at generation 3"
  if [ "$(container_id web)" = "$web3" ] && [ "$(container_id api)" = "$api3" ] &&
     [ "$(podman_state "$web3")" = running ] && [ "$(podman_state "$api3")" = running ]; then
    ok "after the activation: the same two containers, still running"
  else
    not_ok "after the activation: the same two containers, still running" \
      "web $web3 -> $(container_id web), api $api3 -> $(container_id api)"
  fi
  check "systemctl stop fleetd.service, again" systemctl stop fleetd.service
  if out=$(fleetd_warnings 0 --since "@$quiet_since") && [ -z "$out" ] &&
     [ "$(systemctl show -P Result fleetd.service)" = success ]; then
    ok "fleetd logged no warnings or errors since, its stops and activation included"
  else
    not_ok "fleetd logged no warnings or errors since, its stops and activation included" \
      "$(printf '%s\n' "$out" | head -20)"
  fi

  [ -z "$signed" ] || signed_documents
  health_steps

  # Disabled, fleetd is not started by a D-Bus call: the activation file
  # names the unit's Alias=, which only systemctl enable creates.
  check "systemctl disable fleetd.service" systemctl disable --quiet fleetd.service
  if out=$(dbus-send --system --print-reply --reply-timeout=30000 --dest=dev.fleet.Agent1 \
             /dev/fleet/Agent1 dev.fleet.Agent1.GetStatus 2>&1); then
    not_ok "a D-Bus call does not start a disabled fleetd.service" "it answered: $out"
  elif sleep 2 && ! systemctl is-active --quiet fleetd.service; then
    ok "a D-Bus call does not start a disabled fleetd.service: $(printf '%s\n' "$out" | head -n 1)"
  else
    not_ok "a D-Bus call does not start a disabled fleetd.service" "$out" \
      "$(systemctl status --no-pager fleetd.service 2>&1)"
  fi
  [ -z "$host_test" ] || host_mode_test
  echo finished > "$e2e/phase"
}

# e2e/run-host.sh, the host mode's own steps, on this real system.  Its
# fleetd is its own process, so fleetd.service must stay out of the way,
# D-Bus activation included; the script removes what it creates.
host_mode_test () {
  systemctl mask --runtime --quiet fleetd.service
  if out=$(cd /tmp && E2E_PREFIX=/usr E2E_PODMAN_SOCKET=/run/podman/podman.sock E2E_BUS=system \
             FLEET_REQUIRE_PODMAN=1 timeout 900 sh "$host_test/e2e/run-host.sh" 2>&1); then
    ok "e2e/run-host.sh against the installed fleet, the system's podman and bus:" \
      "$(printf '%s\n' "$out" | grep -c '^ok') steps passed"
    diag "$(printf '%s\n' "$out" | grep -E '^(ok|not ok|1\.\.)')"
  else
    not_ok "e2e/run-host.sh against the installed fleet, the system's podman and bus" \
      "$(printf '%s\n' "$out" | tail -60)"
  fi
  systemctl unmask --runtime --quiet fleetd.service
}

case $(cat "$e2e/phase" 2>/dev/null || echo new) in
  new) rm -f "$tap"; phase1; exit 3 ;;
  reboot) phase2 ;;
  *) echo "$0: already ran to the end; remove $e2e to run again" >&2; exit 2 ;;
esac

emit "1..$(count)"
[ "$(cat "$e2e/failures" 2>/dev/null || echo 0)" = 0 ]
