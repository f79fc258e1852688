#!/usr/bin/env bash
# all_reduce through torch.distributed: backend "braid" (torch_braid) against "gloo", same sizes, same rank
# count, several alternating runs; writes medians and ratios as a Markdown table.
# usage: perf/torch_compare.sh [NRANKS=2] [RUNS=5] [MAX_BYTES=64M]   (after scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
nranks=${1:-2}
runs=${2:-5}
max=${3:-67108864}
iters=20
out=build/torch-compare-${nranks}ranks
mkdir -p "$out"
rm -f "$out"/*.txt
export PYTHONPATH=$PWD/build/python OMP_NUM_THREADS=1
for ((r = 1; r <= runs; r++)); do
  echo "run $r of $runs"
  /usr/bin/python3 perf/torch_allreduce_bench.py braid "$nranks" 8 "$max" $iters > "$out/braid.$r.txt"
  /usr/bin/python3 perf/torch_allreduce_bench.py gloo "$nranks" 8 "$max" $iters > "$out/gloo.$r.txt"
done
/usr/bin/python3 perf/summarize_torch_compare.py "$out" "$nranks" | tee "$out/compare.md"
