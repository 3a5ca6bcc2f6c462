# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=sh disable=SC2154 # $e2e is the sourcer's
# documents.sh: the desired-state documents of the VM test, sourced (not
# run) by e2e/vm/guest-upgrade.sh in the guest, and by e2e/vm/run.sh on the
# host, which signs v4 and v5 with signify-openbsd (the guest has no
# signify, and the key never enters it: only its public half does).
#
# Needs $e2e, the guest's test directory (the containers' /data volume is
# below it).  write_documents DIR writes DIR/doc-v1.json .. doc-v5.json.
#
# The documents follow the shipped examples (deployment "hello": web in v1
# and v2, web + api from v3) with a volume for the marker; v2 stops with
# SIGINT, so replacing it must use SIGINT even though v3 asks for SIGTERM
# (the stop signal is the one the container was created with).  v4 and v5
# are v3 with another greeting: served signed (v4), signed and then
# tampered with (v5), and unsigned (v5).

# document GENERATION SERVICES-JSON [LIFECYCLE-JSON]
document () {
  cat <<DOC
{
  "generation": $1,
  "deployments": {
    "hello": {
      "type": "PodmanV0",
      "data": {
        "services": [ $2 ]${3:+,
        \"lifecycle\": $3}
      }
    }
  }
}
DOC
}
service () {   # service NAME TAG PORTS [ENV-JSON]
  printf '{ "name": "%s", "image": "localhost/fleet-example:%s", "command": ["/bin/fleet-example", "%s"], "ports": [%s], "volumes": ["%s/data:/data"]%s }' \
    "$1" "$2" "$1" "$3" "$e2e" "${4:+, \"env\": $4}"
}
write_documents () {   # write_documents DIR
  document 1 "$(service web v1 '"8080:8080"')" > "$1/doc-v1.json"
  document 2 "$(service web v2 '"8080:8080"' '{ "GREETING": "hello from v2" }')" \
    '{ "stop_signal": "SIGINT", "grace_period_secs": 20 }' > "$1/doc-v2.json"
  for v in 3 4 5; do
    document "$v" "$(service web v3 '"8080:8080"' "{ \"GREETING\": \"hello from v$v\" }"), $(service api v3 '"127.0.0.1:8081:8080"')" \
      '{ "stop_signal": "SIGTERM", "grace_period_secs": 10 }' > "$1/doc-v$v.json"
  done
}
