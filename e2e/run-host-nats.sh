#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e/run-host-nats.sh: e2e/run-host.sh's upgrade with the documents pushed
# from a private nats-server's key-value bucket instead of served over HTTP
# (E2E_SOURCE=nats); the same steps, settings and output.
E2E_SOURCE=nats
export E2E_SOURCE
exec sh "$(dirname "$0")/run-host.sh" "$@"
