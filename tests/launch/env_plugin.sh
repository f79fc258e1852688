#!/usr/bin/env bash
# Environment plugins (ncclEnv_v2 and v1): once loaded, every parameter comes from the plugin's getEnv. The test
# plugin answers BRAID_SHM_SLOTS=12 and NCCL_SOCKET_NTHREADS=2: `braid env` shows them as the plugin's, and 2
# ranks on distinct host identities stripe their sockets over 2 helper threads because of it. A plugin whose init
# fails, or one that is missing, is named in a warning and the process environment serves.
# usage: env_plugin.sh BRAID_CLI COLLPERF
set -euo pipefail
braid=$1 collperf=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

expect() {  # expect FILE PATTERN
  if ! grep -q "$2" "$1"; then
    echo "failed: expected '$2' in:"
    cat "$1"
    exit 1
  fi
}

NCCL_ENV_PLUGIN=test "$braid" env > "$out/v2.txt"
expect "$out/v2.txt" "loaded environment plugin test-env (ncclEnv_v2) from libnccl-env-test.so"
expect "$out/v2.txt" "BRAID_SHM_SLOTS *12 *environment plugin (BRAID_SHM_SLOTS)"
expect "$out/v2.txt" "BRAID_SOCKET_NTHREADS *2 *environment plugin (NCCL_SOCKET_NTHREADS)"

BRAID_ENV_PLUGIN=test-v1 "$braid" env > "$out/v1.txt"
expect "$out/v1.txt" "loaded environment plugin test-env-v1 (ncclEnv_v1)"
expect "$out/v1.txt" "BRAID_SHM_SLOTS *12 *environment plugin"

BRAID_ENV_PLUGIN=failing BRAID_SHM_SLOTS=4 "$braid" env > "$out/failing.txt" || true
expect "$out/failing.txt" "environment plugin libnccl-env-failing.so (test-env) failed to initialize"
expect "$out/failing.txt" "BRAID_SHM_SLOTS *4 *environment (BRAID_SHM_SLOTS)"

BRAID_ENV_PLUGIN=no-such-plugin "$braid" env > "$out/missing.txt" || true
expect "$out/missing.txt" "environment plugin libnccl-env-no-such-plugin.so not loaded"

port=$((20000 + RANDOM % 12000))
pids=()
for r in 0 1; do
  NCCL_ENV_PLUGIN=test BRAID_HOSTID="host$r" BRAID_RANK=$r BRAID_NRANKS=2 BRAID_COMM_ID=127.0.0.1:$port \
    BRAID_DEBUG=INFO BRAID_DEBUG_SUBSYS=ENV,NET timeout 60 "$collperf" allreduce -b 8 -e 1M -f 32 -n 2 -w 1 -c 1 \
    > "$out/run$r.txt" 2>&1 &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
expect "$out/run0.txt" "loaded environment plugin test-env"
expect "$out/run0.txt" "2 sockets and 2 helper threads per peer and channel"
expect "$out/run0.txt" "Out of bounds values : 0 OK"
echo "environment plugins: OK"
