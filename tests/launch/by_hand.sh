#!/usr/bin/env bash
# Launches collperf ranks by hand, the way any launcher without MPI support would: BRAID_RANK, BRAID_NRANKS and
# BRAID_COMM_ID (the root runs inside rank 0 at that address).
set -euo pipefail
collperf=$1
nranks=${2:-3}
port=$((20000 + RANDOM % 12000))
pids=()
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for ((r = 0; r < nranks; r++)); do
  BRAID_RANK=$r BRAID_NRANKS=$nranks BRAID_COMM_ID=127.0.0.1:$port \
    "$collperf" allreduce -b 8 -e 1M -f 16 -w 1 -n 2 -c 1 > "$out/rank$r.txt" 2>&1 &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
cat "$out/rank0.txt"
grep -q "Out of bounds values : 0 OK" "$out/rank0.txt" || status=1
exit $status
