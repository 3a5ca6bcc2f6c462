#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Check the bash completion of fleetctl: commands, --bus values, --json,
# --version and files (or -) for `plan`, both alone and under the
# bash-completion package.
set -eu

srcdir=${FLEET_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
completion=$srcdir/data/fleetctl.bash-completion
bash_completion=${FLEET_BASH_COMPLETION:-/usr/share/bash-completion/bash_completion}

# Each case: the command line up to the cursor | the expected candidates,
# sorted and space-separated.
cases='fleetctl |plan reconcile status version
fleetctl st|status
fleetctl -|--bus --help --version
fleetctl --v|--version
fleetctl --bus |session system
fleetctl --bus se|session
fleetctl --bus=s|session system
fleetctl --bus session st|status
fleetctl --bus=system re|reconcile
fleetctl status -|--json
fleetctl version |
fleetctl plan do|doc.json
fleetctl plan doc.json -|--json
fleetctl plan -|- --json
fleetctl plan - |--json
fleetctl plan - -|--json
fleetctl --bus session plan doc.json |--json'

n_cases=$(printf '%s\n' "$cases" | wc -l)
echo "1..$((2 * n_cases))"

if ! command -v bash >/dev/null 2>&1; then
  i=1
  while [ "$i" -le $((2 * n_cases)) ]; do
    echo "ok $i # SKIP bash is not installed"
    i=$((i + 1))
  done
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: > "$tmp/doc.json"

# Complete LINE as bash would at the end of the line and print the sorted
# candidates on one line.  $1: "plain" or "bash-completion".
complete_line () {
  (cd "$tmp" && bash --norc --noprofile -s "$1" "$completion" "$bash_completion" "$2") <<'EOF'
mode=$1 completion=$2 bash_completion=$3 line=$4
if [[ $mode == bash-completion ]]; then
  source "$bash_completion"
fi
source "$completion"
# Split the line as readline does: blanks separate words, and "=" is a word
# of its own (it is in COMP_WORDBREAKS).
spaced=${line//=/ = }
read -r -a COMP_WORDS <<< "$spaced"
[[ $line == *' ' || $line == *= ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE=$line
COMP_POINT=${#line}
COMPREPLY=()
_fleetctl fleetctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ *$//'
EOF
}

printf '%s\n' "$cases" > "$tmp/cases"
n=0
for mode in plain bash-completion; do
  while IFS='|' read -r line expected; do
    n=$((n + 1))
    if [ "$mode" = bash-completion ] && [ ! -r "$bash_completion" ]; then
      echo "ok $n # SKIP $bash_completion not installed (package bash-completion)"
      continue
    fi
    got=$(complete_line "$mode" "$line" 2>&1) || true
    if [ "$got" = "$expected" ]; then
      echo "ok $n - $mode: '$line' completes to '$expected'"
    else
      echo "not ok $n - $mode: '$line' completes to '$expected'"
      echo "# got: '$got'"
    fi
  done < "$tmp/cases"
done
