#!/usr/bin/env bash
# Cross-memory attach as the library picks it: BRAID_PROTO=CMA or a tuning rule takes it (TUNING log) and every
# element is right; the host model alone keeps the FIFOs at 2 ranks (the kernel copies at about half their rate
# here); a rank that sets BRAID_CROSS_MEMORY=0 turns it off for all, and init says so.
set -uo pipefail
collperf=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
log() { BRAID_DEBUG=INFO BRAID_DEBUG_SUBSYS=TUNING,INIT "$@" 2>&1; }

out=$(BRAID_PROTO=CMA log "$collperf" alltoall -b 64K -e 1M -f 4 -c 1 -np 3)
grep -q "AlltoAll of [0-9]* bytes on 3 ranks: mesh/CMA (BRAID_ALGO/BRAID_PROTO" <<< "$out" ||
  fail "BRAID_PROTO=CMA: $out"
grep -q "Out of bounds values : 0 OK" <<< "$out" || fail "wrong values with CMA: $out"

out=$(log "$collperf" allreduce -b 64K -e 16M -f 16 -c 1 -np 2)
grep -q "/CMA" <<< "$out" && fail "the host model picked CMA at 2 ranks: $out"
grep -q "Out of bounds values : 0 OK" <<< "$out" || fail "wrong values: $out"

printf 'allgather * 1048576 * mesh CMA\n' > "$dir/tune"
out=$(BRAID_TUNE_FILE="$dir/tune" log "$collperf" allgather -b 256K -e 4M -f 16 -c 1 -np 2)
grep -q "AllGather of 4194304 bytes on 2 ranks: mesh/CMA (tuning file" <<< "$out" || fail "tuning rule: $out"
grep -q "AllGather of 262144 bytes on 2 ranks: ring/Simple" <<< "$out" || fail "outside the rule: $out"
grep -q "Out of bounds values : 0 OK" <<< "$out" || fail "wrong values with the rule: $out"

out=$(BRAID_CROSS_MEMORY=0 BRAID_PROTO=CMA log "$collperf" allreduce -b 1M -e 1M -c 1 -np 2)
grep -q "cross-memory attach is off" <<< "$out" || fail "no word that CMA is off: $out"
grep -q "/CMA" <<< "$out" && fail "CMA chosen although off: $out"
grep -q "Out of bounds values : 0 OK" <<< "$out" || fail "wrong values without CMA: $out"
echo "cross-memory attach choices: OK"
