#!/usr/bin/env bash
# Small-message AllReduce latency (float, sum), Braid against OpenMPI only: compare.sh's 500 calls per size
# and five runs leave its small-size ratios at the mercy of the VM's slow periods, and Gloo (~1 ms a call) is
# too slow to repeat many thousand times. Here each run makes CALLS calls per size, Braid (heap buffers, then
# ncclMemAlloc buffers) and OpenMPI alternate run by run, and the table gives medians and ratios (> 1: Braid
# is faster), with the cache-line round trip before and after (build/perf/cacheline_pingpong).
# usage: perf/small_latency.sh [NRANKS=2] [RUNS=10] [CALLS=100000] [MAX_BYTES=256]   (after scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
nranks=${1:-2}
runs=${2:-10}
calls=${3:-100000}
max=${4:-256}
out=build/small-latency-${nranks}ranks
mkdir -p "$out"
rm -f "$out"/*.json "$out"/*.txt
source perf/openmpi_baseline.sh
before=$(build/perf/cacheline_pingpong)
for ((r = 1; r <= runs; r++)); do
  ./build/perf/collperf allreduce -b 8 -e "$max" -f 2 -n "$calls" -w 100 -c 0 -np "$nranks" \
    --json "$out/braid.$r.json" > /dev/null
  ./build/perf/collperf allreduce -b 8 -e "$max" -f 2 -n "$calls" -w 100 -c 0 -np "$nranks" -R 1 \
    --json "$out/braid_shared.$r.json" > /dev/null
  mpirun $oversubscribe -np "$nranks" build/perf/mpi_allreduce_bench 8 "$max" "$calls" > "$out/mpi.$r.txt"
done
after=$(build/perf/cacheline_pingpong)
/usr/bin/python3 - "$out" "$nranks" "$runs" "$calls" "$before" "$after" <<'EOF' | tee "$out/small_latency.md"
import sys
sys.path.insert(0, "perf")
from collperf_results import median_times
from summarize_compare import label, load_text, median

out, nranks, runs, calls, before, after = sys.argv[1:]
braid = median_times(f"{out}/braid.*.json")
shared = median_times(f"{out}/braid_shared.*.json")
mpi = load_text(f"{out}/mpi.*.txt")
print(f"AllReduce float sum, {nranks} ranks, medians of {runs} alternating runs of {calls} calls per size "
      f"(us; ratio = OpenMPI / Braid, higher is better for Braid). {before.strip()} before, {after.strip()} after.")
print()
print("| size | Braid | Braid shm | OpenMPI | Braid/OpenMPI | Braid shm/OpenMPI |")
print("|---|---|---|---|---|---|")
for size in sorted(braid):
    m = median(mpi, size, 0)
    print(f"| {label(size)} | {braid[size]:.3f} | {shared[size]:.3f} | {m:.3f} | {m / braid[size]:.2f}x | "
          f"{m / shared[size]:.2f}x |")
EOF
