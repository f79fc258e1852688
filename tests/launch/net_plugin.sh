#!/usr/bin/env bash
# Network plugins from collperf's point of view, 2 ranks on distinct host identities: Braid's example plugin is
# loaded and used; a missing plugin and one with only an older ABI are each named in a warning, and the ranks
# fall back to sockets and still get every value right; BRAID_NET=plugin without a loadable plugin fails init.
set -euo pipefail
collperf=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

run() {  # run NAME ENV...: 2 ranks; returns non-zero when either fails
  local name=$1 port=$((20000 + RANDOM % 12000)) pids=() status=0
  shift
  for r in 0 1; do
    env "$@" BRAID_HOSTID="host$r" BRAID_RANK=$r BRAID_NRANKS=2 BRAID_COMM_ID=127.0.0.1:$port BRAID_DEBUG=INFO \
      BRAID_DEBUG_SUBSYS=NET timeout 60 "$collperf" allreduce -b 8 -e 1M -f 32 -n 2 -w 1 -c 1 \
      > "$out/$name$r.txt" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || status=1; done
  return $status
}

expect() {  # expect NAME PATTERN: rank 0's output matches
  if ! grep -q "$2" "$out/${1}0.txt"; then
    echo "failed: $1: expected '$2' in rank 0's output"
    cat "$out/${1}0.txt"
    exit 1
  fi
}

run example BRAID_NET_PLUGIN=braid-example
expect example "through network plugin braid-example"
expect example "Out of bounds values : 0 OK"

run missing BRAID_NET_PLUGIN=no-such-plugin
expect missing "network plugin libnccl-net-no-such-plugin.so not loaded"
expect missing "over sockets"
expect missing "Out of bounds values : 0 OK"

run wrongabi BRAID_NET_PLUGIN=wrong-abi
expect wrongabi "network plugin libnccl-net-wrong-abi.so has no ncclNetPlugin_v8 symbol (it offers an older ABI"
expect wrongabi "over sockets"
expect wrongabi "Out of bounds values : 0 OK"

if run required BRAID_NET=plugin BRAID_NET_PLUGIN=no-such-plugin; then
  echo "failed: BRAID_NET=plugin with a missing plugin should fail init"
  exit 1
fi
expect required "asks for a network plugin, but none is loaded"
echo "network plugins: OK"
