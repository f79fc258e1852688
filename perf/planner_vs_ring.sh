#!/usr/bin/env bash
# Is the planner's choice ever much slower than the ring? AllReduce, AllGather, ReduceScatter, Broadcast and Reduce with the
# default choice against ring/chain forced (BRAID_ALGO), 2, 4 and 8 ranks, alternating, median of RUNS runs.
# usage: perf/planner_vs_ring.sh [RUNS=5]   (after scripts/setup.sh); writes build/planner-vs-ring/summary.md
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
out=build/planner-vs-ring
mkdir -p "$out"
rm -f "$out"/*.json
ring="allreduce:ring;allgather:ring;reducescatter:ring;broadcast:chain;reduce:chain"
# Two bands: calls of a few microseconds repeat 1000 times (50 would measure little but scheduling noise).
bands=("8 8192 1000" "32768 64M 50")
for ((r = 1; r <= runs; r++)); do
  for nranks in 2 4 8; do
    for coll in allreduce allgather reducescatter broadcast reduce; do
      for band in "${bands[@]}"; do
        read -r lo hi n <<< "$band"
        ./build/perf/collperf "$coll" -b "$lo" -e "$hi" -f 4 -n "$n" -w 10 -c 0 -np "$nranks" \
          --json "$out/default.$nranks.$coll.$r.$lo.json" > /dev/null
        BRAID_ALGO=$ring ./build/perf/collperf "$coll" -b "$lo" -e "$hi" -f 4 -n "$n" -w 10 -c 0 -np "$nranks" \
          --json "$out/ring.$nranks.$coll.$r.$lo.json" > /dev/null
      done
    done
  done
done
for nranks in 2 4 8; do
  for coll in allreduce allgather reducescatter broadcast reduce; do
    ./build/braid plan --host-ranks "$nranks" --coll "$coll" --sizes 8:64M:4 --json > "$out/plan.$nranks.$coll.json"
  done
done
/usr/bin/python3 - "$out" <<'PY' | tee "$out/summary.md"
import json, sys
sys.path.insert(0, "perf")
from collperf_results import median_times
out = sys.argv[1]
# Where the planner picks ring (chain) itself, the two runs execute the same schedule: their ratio is noise.
worst, noise = 0, []
print("default / ring time per size (median of runs); the planner's pick in brackets, = where it is the ring\n")
for nranks in (2, 4, 8):
    for coll in ("allreduce", "allgather", "reducescatter", "broadcast", "reduce"):
        d = median_times(f"{out}/default.{nranks}.{coll}.*.json")
        r = median_times(f"{out}/ring.{nranks}.{coll}.*.json")
        picks = {p["bytes"]: p["algorithm"] + ("" if p.get("protocol", "Simple") == "Simple" else "/" + p["protocol"])
                 for p in json.load(open(f"{out}/plan.{nranks}.{coll}.json"))["plans"]}
        cells = []
        for size in sorted(d):
            ratio, pick = d[size] / r[size], picks.get(max(size, 8), "?")
            same = pick in ("ring", "chain")
            (noise if same else [worst]).append(ratio)
            if not same:
                worst = max(worst, ratio)
            cells.append(f"{size}:{ratio:.2f}" + ("=" if same else f"[{pick}]"))
        print(f"- {nranks} ranks {coll}: " + " ".join(cells))
print(f"\nworst where the planner picks another algorithm: {worst:.2f}x the ring's time (target <= 1.10)")
print(f"same schedule twice (noise): ratios from {min(noise):.2f} to {max(noise):.2f}")
PY
