#!/usr/bin/env bash
# How well the library's cost model predicts this host: AllReduce with each algorithm forced (BRAID_ALGO),
# measured by collperf (median of RUNS runs), against `braid plan --host-ranks N` for the same sizes.
# usage: perf/calibrate_planner.sh [RUNS=3]   (after scripts/setup.sh); writes build/calibration/calibration.md
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
out=build/calibration
mkdir -p "$out"
rm -f "$out"/*.json
for nranks in 2 4 8; do
  for algo in ring tree rd rhd mesh; do
    ./build/braid plan --host-ranks "$nranks" --algo "$algo" --sizes 8:16M:8 --json > "$out/predicted.$nranks.$algo.json"
    for ((r = 1; r <= runs; r++)); do
      BRAID_ALGO="allreduce:$algo" ./build/perf/collperf allreduce -b 8 -e 16M -f 8 -n 200 -w 100 -c 0 -np "$nranks" \
        --json "$out/measured.$nranks.$algo.$r.json" > /dev/null
    done
  done
done
/usr/bin/python3 perf/summarize_calibration.py "$out" | tee "$out/calibration.md"
