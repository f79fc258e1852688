#!/usr/bin/env bash
# Every host collective against the memory roofline: collperf's busbw (medians of several runs, out of place and
# in place) with heap buffers and with buffers from ncclMemAlloc (-R 1, used in place by the peers), next to
# memcpy's bandwidth on this machine (perf/memory_roofline.cc). Writes a Markdown table.
# usage: perf/collectives.sh [NRANKS=2] [RUNS=3]   (after scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
nranks=${1:-2}
runs=${2:-3}
out=build/collectives-${nranks}ranks
mkdir -p "$out"
rm -f "$out"/*.json
./build/perf/memory_roofline "$nranks" 256 5 | tee "$out/roofline.txt"
for ((r = 1; r <= runs; r++)); do
  echo "run $r of $runs"
  for collective in allreduce allgather reducescatter broadcast reduce alltoall; do
    for register in 0 1; do
      ./build/perf/collperf "$collective" -b 64K -e 64M -f 4 -n 50 -w 5 -c 0 -np "$nranks" -R "$register" \
        --json "$out/$collective.R$register.$r.json" > /dev/null
    done
  done
done
/usr/bin/python3 perf/summarize_collectives.py "$out" | tee "$out/collectives.md"
