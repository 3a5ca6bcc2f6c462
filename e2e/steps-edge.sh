# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e/steps-edge.sh: e2e/run-host.sh's step for the shipped edge example,
# data/examples/edge-gateway.json, sourced by it after the health steps:
# its deployment "till" (an init job, then a gateway on the host's network
# with a device, a memory limit, a read-only root and no capabilities) is
# added to the running document, signed like the documents before it.
#
# What this machine may not have is adapted, and said:
#   - the gateway's httpd listens on a free port instead of 8080, which on
#     the host's network could be taken;
#   - without a character device /dev/ttyUSB0, /dev/null stands in for it
#     (inside the container it is /dev/ttyUSB0 all the same);
#   - without the memory cgroup controller, mem_limit is dropped.
# shellcheck shell=sh disable=SC2154 # the variables are run-host.sh's

memory_controller () {
  grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null || [ -d /sys/fs/cgroup/memory ]
}

# edge_document GENERATION: v11 (hello, side, canary) and the example's "till".
edge_document () {
  jq --slurpfile edge "$srcdir/data/examples/edge-gateway.json" --argjson generation "$1" \
    --arg port "$edge_port" --arg device "$edge_device" --argjson memory "$edge_memory" '
    .generation = $generation
    | .deployments.till = ($edge[0].deployments.till
        | .data.services |= map(if .name == "gateway" then
            .command = ["/bin/httpd", "-f", "-p", $port]
            | .devices = [$device + ":/dev/ttyUSB0:rw"]
            | if $memory then . else del(.mem_limit) end
          else . end))' "$tmp/docs/v11.json"
}

completed_in_order () { # JOB SERVICE
  job_line=$(grep -n "action=completed deployment=till service=$1 " "$tmp/fleetd.log" | head -n 1 |
    cut -d: -f1)
  started_line=$(grep -n "action=started deployment=till service=$2 " "$tmp/fleetd.log" |
    head -n 1 | cut -d: -f1)
  [ -n "$job_line" ] && [ -n "$started_line" ] && [ "$job_line" -lt "$started_line" ]
}

begin "the edge example: an init job, then a gateway on the host's network with a device and limits"
edge_port=$(free_port)
while [ "$edge_port" = "$web_port" ] || [ "$edge_port" = "$api_port" ]; do edge_port=$(free_port); done
edge_device=/dev/ttyUSB0
if [ ! -c "$edge_device" ]; then
  edge_device=/dev/null
  say "no character device /dev/ttyUSB0 here: /dev/null stands in for it"
fi
edge_memory=true
memory_controller || {
  edge_memory=false
  say "no memory cgroup controller here: the gateway runs without its mem_limit"
}
edge_document 12 >"$tmp/docs/v12.json"
serve_signed v12
wait_up_to 60 "generation 12 Running" status_is 12 Running
gateway=$(recorded_id till gateway)
migrate=$(recorded_id till migrate)
check_ne "recorded id of till/gateway" "$gateway" ""
check "the gateway runs" running "$gateway"
check_eq "the migrate job's exit code" "$(exit_code "$migrate")" 0
check "fleetd started the gateway after the job completed" completed_in_order migrate gateway
check_eq "the gateway's network mode and devices" \
  "$(pm inspect --format '{{.HostConfig.NetworkMode}} {{range .HostConfig.Devices}}{{.PathOnHost}}:{{.PathInContainer}}{{end}}' "$gateway")" \
  "host $edge_device:/dev/ttyUSB0"
if [ "$edge_memory" = true ]; then
  check_eq "the gateway's memory limit" "$(pm inspect --format '{{.HostConfig.Memory}}' "$gateway")" \
    67108864
fi
check_eq "the gateway's read-only root and dropped capabilities" \
  "$(pm inspect --format '{{.HostConfig.ReadonlyRootfs}} {{len .EffectiveCaps}}' "$gateway")" "true 0"
check_eq "what the job left for the gateway" "$(pm exec "$gateway" cat /data/schema)" "schema 2"
wait_until "the gateway's page on the host's port $edge_port" page_is "$edge_port" "fleet-example v3"
check_eq "web's recorded id" "$(recorded_id hello web)" "$web7"
check_eq "canary's recorded id" "$(recorded_id canary app)" "$app2"
pass
