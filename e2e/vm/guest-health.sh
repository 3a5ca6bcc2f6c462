# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=sh disable=SC2154 # the variables are guest-upgrade.sh's
# guest-health.sh: the VM test's health-check steps, sourced (not run) by
# e2e/vm/guest-upgrade.sh, which calls health_steps in its second phase
# with fleetd.service stopped, and leaves it stopped again.
#
# Beside hello (as documents.sh's v5), a deployment "canary" whose service
# has a health check and update_config.order start-first.  The check tests
# a file in the containers' /data volume ($e2e/data): version N of the
# service is healthy while $e2e/data/ready-N exists, so the test makes it
# healthy or unhealthy from outside.  Failures within start_period do not
# count while a container has never been healthy: a new one stays
# "starting" while the test looks at it beside the old one.

canary_deployment () {   # canary_deployment VERSION
  cat <<EOF
{"type": "PodmanV0", "data": {"services": [
 {"name": "app", "image": "localhost/fleet-example:v3", "command": ["/bin/fleet-example", "app"],
  "env": {"GREETING": "canary $1"}, "volumes": ["$e2e/data:/data"],
  "healthcheck": {"test": ["CMD-SHELL", "test -e /data/ready-$1 || { echo no ready-$1; exit 1; }"],
                  "interval": "2s", "timeout": "30s", "retries": 2, "start_period": "120s"},
  "update_config": {"order": "start-first"}}]}}
EOF
}
canary_document () {   # canary_document GENERATION VERSION: v5's hello and the canary
  jq --argjson canary "$(canary_deployment "$2")" --argjson generation "$1" \
    '.generation = $generation | .deployments.canary = $canary' "$e2e/doc-v5.json"
}
canary_field () { status_field ".deployments.canary$1 // empty"; }
canary_id () { canary_field '.container_ids.app'; }
canary_running () {   # canary_running COUNT: COUNT running canary/app containers
  [ "$(podman ps -q --filter label=fleet.deployment=canary --filter label=fleet.service=app | wc -l)" = "$1" ]
}
canary_is () {   # canary_is PHASE HEALTH
  [ "$(canary_field .phase)" = "$1" ] && [ "$(canary_field .services.app.health)" = "$2" ]
}
canary_page () {   # canary_page ID
  curl -fsS --max-time 5 "http://$(podman inspect --format \
    '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"):8080/" 2>&1
}
# The line number, in this boot's fleetd log, of ACTION for the container ID.
log_line () {   # log_line ACTION ID
  journalctl --no-pager -q -b -u fleetd.service -o cat |
    grep -n "action=$1 deployment=canary service=app container=$(echo "$2" | cut -c1-12) " |
    head -n 1 | cut -d: -f1
}
marker_count () { grep -c -x -F "$1" "$e2e/data/marker" 2>/dev/null || true; }

start_first_step () {
  canary_document 7 2 > "$e2e/doc-v7.json"
  serve 7
  app2=
  if wait_until "$converge_timeout" canary_running 2; then
    app2=$(podman ps -q --no-trunc --filter label=fleet.deployment=canary | grep -v -x "$app1")
  fi
  sleep 5   # an observation window: the new container's checks fail in it
  if [ -n "$app2" ] && canary_is Pending healthy && [ "$(canary_id)" = "$app1" ] &&
     [ "$(canary_page "$app1")" = "v3 app canary 1" ] && [ "$(canary_page "$app2")" = "v3 app canary 2" ]; then
    ok "start-first: the new canary runs and serves beside the old one, which stays recorded while the new one is not healthy"
  else
    not_ok "start-first: the new canary runs and serves beside the old one" "old $app1, new $app2" \
      "$(canary_page "$app1") / $(canary_page "$app2")" "$(podman ps 2>&1)"
    diagnose
  fi
  touch "$e2e/data/ready-2"
  converge 7 "start-first: the new canary healthy, Running at generation 7"
  healthy=$(log_line candidate-healthy "$app2"); stopped=$(log_line stopped "$app1")
  if [ "$(canary_id)" = "$app2" ] && ! podman container exists "$app1" &&
     [ "$(marker_count "v3 app TERM")" = 1 ] && [ -n "$healthy" ] && [ -n "$stopped" ] &&
     [ "$stopped" -gt "$healthy" ]; then
    ok "start-first: the old canary was stopped (SIGTERM) only after fleetd found the new one healthy"
  else
    not_ok "start-first: the old canary was stopped only after the new one was healthy" \
      "recorded $(canary_id), new $app2; log lines healthy $healthy stopped $stopped" \
      "marker: $(cat "$e2e/data/marker" 2>&1)"
  fi
}

unhealthy_step () {
  rm -f "$e2e/data/ready-2"
  if wait_until "$converge_timeout" canary_is Failed unhealthy &&
     [ "$(canary_field .last_error)" = "app: unhealthy: no ready-2" ]; then
    ok "unhealthy: the failing check makes the canary Failed, its health unhealthy: $(canary_field .last_error)"
  else
    not_ok "unhealthy: the failing check makes the canary Failed, its health unhealthy"; diagnose
  fi
  if wait_until 120 sh -c "journalctl --no-pager -q -b -u fleetd.service -o cat | grep -q 'action=restart-unhealthy deployment=canary service=app'"; then
    ok "unhealthy: fleetd says it restarts it, and why: $(journalctl --no-pager -q -b -u fleetd.service -o cat | grep -m 1 'action=restart-unhealthy')"
  else
    not_ok "unhealthy: fleetd says it restarts the canary, and why"; diagnose
  fi
  touch "$e2e/data/ready-2"
  if wait_until "$converge_timeout" canary_is Running healthy && [ "$(canary_id)" = "$app2" ] &&
     [ "$(podman_state "$app2")" = running ] && [ "$(marker_count "v3 app TERM")" = 2 ] &&
     [ -n "$(log_line restarted "$app2")" ]; then
    ok "unhealthy: the same container, stopped gracefully and started again, is healthy and Running"
  else
    not_ok "unhealthy: the same container, stopped gracefully and started again, is healthy and Running" \
      "recorded $(canary_id), was $app2, $(podman_state "$app2")" "marker: $(cat "$e2e/data/marker" 2>&1)"
    diagnose
  fi
}

health_steps () {
  touch "$e2e/data/ready-1"
  canary_document 6 1 > "$e2e/doc-v6.json"
  serve 6
  check "systemctl start fleetd.service, for the health checks" systemctl start fleetd.service
  converge 6 "canary: Running at generation 6 once its check passed"
  app1=$(canary_id)
  if [ -n "$app1" ] && canary_is Running healthy; then
    ok "canary: the status says its service is healthy"
  else
    not_ok "canary: the status says its service is healthy" "$(status_json | jq -c .deployments.canary 2>&1)"
  fi
  start_first_step
  unhealthy_step
  check "systemctl stop fleetd.service, after the health checks" systemctl stop fleetd.service
}
