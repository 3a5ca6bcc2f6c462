#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Check the man page checks themselves: check-man-options.sh and
# check-man-contract.sh pass on what is documented, and fail, naming the
# culprit, when a binary grows an undocumented option or command, or a page
# or the config file loses one.  Uses fake fleetd/fleetctl --help outputs.
set -eu

srcdir=${FLEET_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${FLEET_TOP_BUILDDIR:-.}
. "$srcdir/tests/libcheck-man.sh"

echo "1..10"
if [ -z "$(man_renderer)" ]; then
  for i in 1 2 3 4 5 6 7 8 9 10; do
    echo "ok $i # SKIP neither mandoc nor groff is installed"
  done
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fake_fleetd DIR [EXTRA-OPTION-LINE]: a fleetd whose --help is GOption's.
fake_fleetd () {
  cat > "$1/fleetd" <<EOF
#!/bin/sh
cat <<'HELP'
Usage:
  fleetd [OPTION…] - the fleet agent

Help Options:
  -h, --help                       Show help options

Application Options:
  --config=FILE                    Configuration file
  --source=URL                     Desired-state source
  --device-id=ID                   Device id
  --state-dir=DIR                  State directory
  --runtime=podman|fake            Container runtime
  --podman-socket=PATH             Podman API socket
  --bus=system|session|none        Bus to publish the API on
  --poll-interval=SECONDS          Fetch interval
  --tick-interval=SECONDS          Liveness interval
  --status-url=URL                 Where to PUT the status
  --ca-file=FILE                   CA bundle
  --client-cert=FILE               Client certificate
  --client-key=FILE                Client key
  --bearer-token-file=FILE         Bearer token file
  --max-document-bytes=BYTES       Largest document
  --connect-timeout=SECONDS        Connect timeout
  --fetch-timeout=SECONDS          Fetch timeout
  --once                           Converge once and exit
  --version                        Print the version
${2:-}
HELP
EOF
  chmod +x "$1/fleetd"
}

# fake_fleetctl DIR [EXTRA-COMMAND-LINE] [EXTRA-STATUS-OPTION-LINE]
fake_fleetctl () {
  cat > "$1/fleetctl" <<EOF
#!/bin/sh
case "\$1" in
  --help) cat <<'HELP'
Usage:
  fleetctl [OPTION…] COMMAND

Commands:
  status        Show the agent's status
  reconcile     Fetch and apply now
  plan          Show what a document would change
  version       Show the versions
${2:-}

Help Options:
  -h, --help    Show help options

Application Options:
  --bus=BUS     system or session
HELP
  ;;
  status) cat <<'HELP'
Usage:
  fleetctl status [OPTION…]

Application Options:
  --json        Print the status document
${3:-}
HELP
  ;;
  plan) printf 'Usage:\n  fleetctl plan [OPTION…] FILE\n\n  --json   Print JSON\n' ;;
  *) echo "fleetctl: cannot reach fleetd" >&2; exit 1 ;;
esac
EOF
  chmod +x "$1/fleetctl"
}

n=0
# expect pass|fail DESCRIPTION [MUST-MENTION] -- COMMAND...
expect () {
  want=$1 description=$2 mention=$3
  shift 4
  n=$((n + 1))
  status=0
  "$@" > "$tmp/out" 2>&1 || status=$?
  if [ "$status" = 0 ] && grep -q '^not ok' "$tmp/out"; then status=1; fi
  if [ "$want" = pass ] && [ "$status" = 0 ]; then
    echo "ok $n - $description"
  elif [ "$want" = fail ] && [ "$status" != 0 ] &&
       { [ -z "$mention" ] || grep '^not ok' "$tmp/out" | grep -q -F -e "$mention"; }; then
    echo "ok $n - $description"
  else
    echo "not ok $n - $description"
    sed 's/^/# /' "$tmp/out"
  fi
}

options () { # DIR [ENV...]: run check-man-options.sh on the fakes in DIR
  dir=$1
  shift
  env FLEETD="$dir/fleetd" FLEETCTL="$dir/fleetctl" "$@" \
    sh "$srcdir/tests/check-man-options.sh"
}
contract () { # MANDIR [ENV...]: run check-man-contract.sh on the pages in MANDIR
  dir=$1
  shift
  env FLEET_MAN_BUILDDIR="$dir" "$@" sh "$srcdir/tests/check-man-contract.sh"
}

# drop_item PAGE MACRO-LINE-PREFIX: PAGE without the list item that starts
# with MACRO-LINE-PREFIX (up to the next item or the end of the list).
drop_item () {
  awk -v prefix="$2" '
    index ($0, prefix) == 1 { skip = 1; next }
    skip && (/^\.It / || /^\.El/) { skip = 0 }
    !skip { print }
  ' "$1"
}

mkdir "$tmp/ok" "$tmp/opt" "$tmp/cmd" "$tmp/cmdopt" "$tmp/none" \
  "$tmp/man-opt" "$tmp/man-cmd" "$tmp/man-default"
fake_fleetd "$tmp/ok"
fake_fleetctl "$tmp/ok"
fake_fleetd "$tmp/opt" "  --frobnicate=N                   Undocumented"
fake_fleetctl "$tmp/opt"
fake_fleetd "$tmp/cmd"
fake_fleetctl "$tmp/cmd" "  frob          Undocumented"
fake_fleetd "$tmp/cmdopt"
fake_fleetctl "$tmp/cmdopt" "" "  --verbose     Undocumented"
fake_fleetctl "$tmp/none"
for dir in man-opt man-cmd man-default; do
  cp "$builddir/man/fleetd.8" "$builddir/man/fleetctl.1" "$builddir/man/fleetd.conf.5" \
    "$tmp/$dir/"
done
drop_item "$builddir/man/fleetd.8" '.It Fl \-poll\-interval' > "$tmp/man-opt/fleetd.8"
drop_item "$builddir/man/fleetctl.1" '.It Cm plan' > "$tmp/man-cmd/fleetctl.1"
awk '/^\.It Fl \\-tick\\-interval/ { t = 1 } t && /^Default: 30\.$/ { $0 = "Default: 45."; t = 0 } { print }' \
  "$builddir/man/fleetd.8" > "$tmp/man-default/fleetd.8"
grep -v -e '^#poll-interval=' "$srcdir/data/fleetd.conf.in" > "$tmp/fleetd.conf"

expect pass "check-man-options passes when everything is documented" "" -- \
  options "$tmp/ok"
expect fail "check-man-options fails on an undocumented fleetd option" "--frobnicate" -- \
  options "$tmp/opt"
expect fail "check-man-options fails on an undocumented fleetctl command" "frob" -- \
  options "$tmp/cmd"
expect fail "check-man-options fails on an undocumented option of a command" "status --verbose" -- \
  options "$tmp/cmdopt"
expect fail "check-man-options fails when fleetd is not built" "missing" -- \
  options "$tmp/none"
expect fail "check-man-options fails when fleetd.conf lacks a key" "poll-interval" -- \
  options "$tmp/ok" FLEET_CONF_EXAMPLE="$tmp/fleetd.conf"
expect pass "check-man-contract passes on the built pages" "" -- \
  contract "$builddir/man"
expect fail "check-man-contract fails when fleetd(8) lacks an option" "--poll-interval" -- \
  contract "$tmp/man-opt"
expect fail "check-man-contract fails when fleetctl(1) lacks a command" "plan" -- \
  contract "$tmp/man-cmd"
expect fail "check-man-contract fails when fleetd(8) gives a wrong default" "--tick-interval" -- \
  contract "$tmp/man-default"
