#!/usr/bin/env bash
# Cross-memory attach against the shared-memory FIFOs for heap buffers: collperf with BRAID_PROTO=CMA (every
# call by process_vm_readv/writev) and with ^CMA (the planner's Simple or LL plan), alternating, at 2 and 8
# ranks, with what the cost model predicts for CMA (braid plan --host-ranks). Medians of RUNS runs.
# usage: perf/cross_memory_vs_fifo.sh [RUNS=3]   (after scripts/setup.sh); writes build/cross-memory/summary.md
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
out=build/cross-memory
mkdir -p "$out"
rm -f "$out"/*.json
colls="allreduce allgather reducescatter broadcast reduce alltoall"
for ((r = 1; r <= runs; r++)); do
  for nranks in 2 8; do
    for coll in $colls; do
      for way in cma fifo; do
        proto=$([ "$way" = cma ] && echo CMA || echo ^CMA)
        BRAID_PROTO=$proto ./build/perf/collperf "$coll" -b 64K -e 64M -f 8 -n 20 -w 5 -c 0 -np "$nranks" \
          --json "$out/$way.$nranks.$coll.$r.json" > /dev/null
      done
    done
  done
done
for nranks in 2 8; do
  for coll in $colls; do
    ./build/braid plan --host-ranks "$nranks" --coll "$coll" --sizes 64K:64M:8 --json > "$out/plan.$nranks.$coll.json"
  done
done
/usr/bin/python3 - "$out" "$colls" <<'PY' | tee "$out/summary.md"
import json, sys
sys.path.insert(0, "perf")
from collperf_results import median_times
out, colls = sys.argv[1], sys.argv[2].split()
print("| ranks | collective | size | CMA (us) | predicted | FIFOs (us) | FIFOs/CMA |")
print("|---|---|---|---|---|---|---|")
for nranks in (2, 8):
    for coll in colls:
        cma = median_times(f"{out}/cma.{nranks}.{coll}.*.json")
        fifo = median_times(f"{out}/fifo.{nranks}.{coll}.*.json")
        plans = json.load(open(f"{out}/plan.{nranks}.{coll}.json"))["plans"]
        predicted = {p["bytes"]: c["time_us"] for p in plans for c in p["candidates"] if c["protocol"] == "CMA"}
        for size in sorted(cma):
            guess = f"{predicted[size]:.1f}" if size in predicted else "?"
            print(f"| {nranks} | {coll} | {size} | {cma[size]:.1f} | {guess} | {fifo[size]:.1f} | "
                  f"{fifo[size] / cma[size]:.2f} |")
PY
