# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e/steps-health.sh: e2e/run-host.sh's health-check steps, sourced by it
# once the signed documents have run (so these documents are signed too,
# with its key): a deployment "canary" beside hello and side, whose service
# has a health check and update_config.order start-first (it publishes no
# host port, so two of its containers can run side by side).
#
# The check tests a file in the bind-mounted $markers directory, so the
# script makes a container healthy or unhealthy from outside: version N of
# the service is healthy while $markers/ready-N exists.  Failures in the
# first start_period (15 s) do not count, so a new container that is not
# healthy yet stays "starting" long enough for the script to look at the
# old and the new one side by side before it lets the new one pass.
# shellcheck shell=sh disable=SC2154 # the variables are run-host.sh's

canary_deployment () { # VERSION
  cat <<EOF
{"type": "PodmanV0", "data": {"services": [
 {"name": "app", "image": "localhost/fleet-example:v4",
  "command": ["/bin/httpd", "-f", "-p", "8080"],
  "env": {"GREETING": "canary $1", "STOP_DELAY": "0.5"},
  "volumes": ["$markers:/data"],
  "healthcheck": {"test": ["CMD-SHELL", "test -e /data/ready-$1 || { echo no ready-$1; exit 1; }"],
                  "interval": "1s", "timeout": "10s", "retries": 2, "start_period": "15s"},
  "update_config": {"order": "start-first"}}]}}
EOF
}

# canary_document GENERATION VERSION: v7 (hello and side unchanged) and the canary.
canary_document () {
  jq --argjson canary "$(canary_deployment "$2")" --argjson generation "$1" \
    '.generation = $generation | .deployments.canary = $canary' "$tmp/docs/v7.json"
}

# serve_signed NAME: $tmp/docs/NAME.json, signed with the trusted key.
serve_signed () {
  signify-openbsd -S -e -s "$tmp/fleet.sec" -m "$tmp/docs/$1.json" -x "$tmp/docs/$1.signed" \
    >"$tmp/signify.log" 2>&1 || fail "signify-openbsd -S: $(cat "$tmp/signify.log")"
  serve "$tmp/docs/$1.signed"
}

health_of () { # DEPLOYMENT SERVICE
  refresh_status || return 1
  st ".deployments[\"$1\"].services[\"$2\"].health"
}

health_is () { # DEPLOYMENT SERVICE HEALTH
  [ "$(health_of "$1" "$2")" = "$3" ]
}

# The container's address on its deployment's network, where its httpd
# listens (it publishes no port).
address_of () { # ID
  pm inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$1" |
    awk '{ print $1 }'
}

page_at () { # ID
  curl -sf --max-time 5 "http://$(address_of "$1"):8080/" | tr '\n' ' ' | sed 's/ $//'
}

page_at_is () { # ID TEXT
  [ "$(page_at "$1")" = "$2" ]
}

two_running () { # DEPLOYMENT SERVICE
  [ "$(running_ids "$1" "$2" | wc -l)" -eq 2 ]
}

# The number of the first line of fleetd's log with action ACTION for the
# container ID, or nothing.
log_line_of () { # ACTION ID
  grep -n "action=$1 deployment=canary service=app container=$(echo "$2" | cut -c1-12) " \
    "$tmp/fleetd.log" | head -n 1 | cut -d: -f1
}

logged () { # ACTION ID
  [ -n "$(log_line_of "$1" "$2")" ]
}

begin "a checked service: the canary deployment is Running once its container is healthy"
: >"$markers/ready-1"
canary_document 10 1 >"$tmp/docs/v10.json"
serve_signed v10
wait_up_to 60 "generation 10 Running" status_is 10 Running
app1=$(recorded_id canary app)
check_ne "recorded id of canary/app" "$app1" ""
check_eq "canary/app's health" "$(health_of canary app)" healthy
check_eq "web's recorded id" "$(recorded_id hello web)" "$web7"
wait_until "the canary's page" page_at_is "$app1" "fleet-example v4 canary 1"
pass

begin "start-first: the new canary starts beside the old one, which stops only once the new one is healthy"
canary_document 11 2 >"$tmp/docs/v11.json"
serve_signed v11
wait_up_to 60 "a second canary/app container" two_running canary app
app2=$(running_ids canary app | grep -v -x "$app1")
check_ne "the new container" "$app2" ""
# Nothing has made v2 healthy yet: its checks fail (within its start period),
# and both containers serve while fleetd waits.  An observation window, not
# a wait for something: a few of the new one's checks run and fail in it.
sleep 3
refresh_status
check_eq "the canary's phase while the new one is starting" "$(st .deployments.canary.phase)" Pending
check "the old canary $app1 still runs" running "$app1"
check_eq "the recorded id while the new one is starting" "$(recorded_id canary app)" "$app1"
check_eq "the old canary's page" "$(page_at "$app1")" "fleet-example v4 canary 1"
wait_until "the new canary's page" page_at_is "$app2" "fleet-example v4 canary 2"
check_eq "the signals the old canary got so far" "$(signals_of "$app1")" ""
: >"$markers/ready-2"
wait_up_to 60 "generation 11 Running" status_is 11 Running
check_eq "the recorded id" "$(recorded_id canary app)" "$app2"
check_eq "canary/app's health" "$(health_of canary app)" healthy
check "the old canary is removed" gone "$app1"
check_eq "the signals the old canary got" "$(signals_of "$app1")" TERM
check_eq "the old canary's exit code" "$(exit_code "$app1")" 0
check_eq "the new container's name" "$(pm inspect --format '{{.Name}}' "$app2")" canary_app
healthy_line=$(log_line_of candidate-healthy "$app2")
stopped_line=$(log_line_of stopped "$app1")
check_ne "fleetd's candidate-healthy line for $app2" "$healthy_line" ""
check_ne "fleetd's stopped line for $app1" "$stopped_line" ""
check "fleetd stopped the old one (log line $stopped_line) after the new one was healthy (line $healthy_line)" \
  test "$stopped_line" -gt "$healthy_line"
check_eq "the new canary's page" "$(page_at "$app2")" "fleet-example v4 canary 2"
sed -n "${healthy_line}p;${stopped_line}p" "$tmp/fleetd.log" | comment_file
pass

begin "unhealthy: the canary's check fails, fleetd says why and restarts it; the status goes unhealthy, then healthy"
starts=$(count_events start "$app2")
rm -f "$markers/ready-2"
# The status says "unhealthy" only until fleetd has stopped the container
# (its next check starts over): the lasting record is last_error.
wait_up_to 60 "canary Failed" deployment_is canary Failed
check_contains "canary's last_error" "$(st .deployments.canary.last_error)" "app: unhealthy: no ready-2"
say "canary's last_error: $(st .deployments.canary.last_error)"
wait_up_to 30 "fleetd's restart-unhealthy line" logged restart-unhealthy "$app2"
sed -n "$(log_line_of restart-unhealthy "$app2")p" "$tmp/fleetd.log" | comment_file
: >"$markers/ready-2"
wait_up_to 60 "podman to start $app2 again" events_at_least start "$app2" "$((starts + 1))"
wait_up_to 60 "canary Running" deployment_is canary Running
check_eq "canary/app's health" "$(health_of canary app)" healthy
check_eq "the recorded id (the same container, started again)" "$(recorded_id canary app)" "$app2"
check "canary $app2 runs" running "$app2"
check_eq "the signals $app2 got (stopped gracefully)" "$(signals_of "$app2")" TERM
check "fleetd's line for the start again" logged restarted "$app2"
wait_until "the canary's page" page_at_is "$app2" "fleet-example v4 canary 2"
check_eq "web's recorded id" "$(recorded_id hello web)" "$web7"
pass
