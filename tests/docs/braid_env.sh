#!/usr/bin/env bash
# braid env: every parameter with its value and source; a malformed value or an unknown BRAID_ variable makes it
# say so and exit 1; a configuration file's values show where they came from.
set -euo pipefail
braid=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$(env -u BRAID_TIMEOUT "$braid" env)
grep -q '^BRAID_TIMEOUT  *1800  *default$' <<< "$out" || { echo "default not shown: $out"; exit 1; }
out=$(NCCL_ALGO=ring,tree "$braid" env)
grep -q '^BRAID_ALGO  *ring,tree  *environment (NCCL_ALGO)$' <<< "$out" || { echo "alias not shown: $out"; exit 1; }
printf 'BRAID_SHM_SLOTS=16\n' > "$work/braid.conf"
out=$(BRAID_CONF_FILE="$work/braid.conf" "$braid" env)
grep -q "^BRAID_SHM_SLOTS  *16  *config file ($work/braid.conf:1)$" <<< "$out" || { echo "file not shown: $out"; exit 1; }
if out=$(BRAID_MAX_NCHANNELS=99 BRAID_TIMEOUTS=3 "$braid" env); then echo "bad values exit 0"; exit 1; fi
grep -q 'error: BRAID_MAX_NCHANNELS="99": expected an integer, 1 to 16' <<< "$out" || { echo "$out"; exit 1; }
grep -q 'warning: BRAID_TIMEOUTS is set but is no Braid parameter' <<< "$out" || { echo "$out"; exit 1; }
echo "braid env: defaults, aliases, configuration files and bad values as expected"
