#!/usr/bin/env bash
# Side-by-side AllReduce (float, sum) on this machine: collperf (Braid), OpenMPI's MPI_Allreduce, PyTorch's
# Gloo and PyTorch through torch_braid, same sizes and rank count, several alternating runs; writes medians and
# ratios as Markdown tables (Braid vs OpenMPI vs Gloo, then braid vs gloo through torch).
# usage: perf/compare.sh [NRANKS=2] [RUNS=5] [MAX_BYTES=64M]   (run after scripts/setup.sh; needs python3-torch)
set -euo pipefail
cd "$(dirname "$0")/.."
nranks=${1:-2}
runs=${2:-5}
max=${3:-67108864}
iters=20
out=build/compare-${nranks}ranks
mkdir -p "$out"
rm -f "$out"/*.txt "$out"/*.json
mpicc -O2 perf/mpi_allreduce_bench.c -o build/perf/mpi_allreduce_bench
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Only say so when ranks outnumber cores: the flag also changes how OpenMPI waits.
oversubscribe=""
if [ "$nranks" -gt "$(nproc)" ]; then oversubscribe="--oversubscribe"; fi
for ((r = 1; r <= runs; r++)); do
  echo "run $r of $runs"
  ./build/perf/collperf allreduce -b 8 -e "$max" -f 2 -n $iters -w 5 -c 0 -np "$nranks" --json "$out/braid.$r.json" > /dev/null
  mpirun $oversubscribe -np "$nranks" build/perf/mpi_allreduce_bench 8 "$max" $iters > "$out/mpi.$r.txt"
  /usr/bin/python3 perf/torch_allreduce_bench.py gloo "$nranks" 8 "$max" $iters > "$out/gloo.$r.txt"
  PYTHONPATH=build/python /usr/bin/python3 perf/torch_allreduce_bench.py braid "$nranks" 8 "$max" $iters \
    > "$out/torch_braid.$r.txt"
done
/usr/bin/python3 perf/summarize_compare.py "$out" "$nranks" | tee "$out/compare.md"
/usr/bin/python3 perf/summarize_torch_compare.py "$out" "$nranks" | tee "$out/torch_compare.md"
