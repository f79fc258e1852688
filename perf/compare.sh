#!/usr/bin/env bash
# Side-by-side AllReduce (float, sum) on this machine: collperf (Braid, with heap buffers and with buffers from
# ncclMemAlloc), OpenMPI's MPI_Allreduce, PyTorch's Gloo and PyTorch through torch_braid, same sizes and rank
# count, several alternating runs; writes medians and ratios as Markdown tables (Braid vs OpenMPI vs Gloo, then
# braid vs gloo through torch).
# usage: perf/compare.sh [NRANKS=2] [RUNS=5] [MAX_BYTES=64M]   (run after scripts/setup.sh; needs python3-torch)
#        SMALL_ITERS (default 5000): Braid's and OpenMPI's calls per size up to 4 KiB; TORCH_SMALL_ITERS (default
#        500) the same through torch (Gloo takes 0.3-20 ms a call there); larger sizes make 20
set -euo pipefail
cd "$(dirname "$0")/.."
nranks=${1:-2}
runs=${2:-5}
max=${3:-67108864}
iters=20
small_iters=${SMALL_ITERS:-5000}
torch_small_iters=${TORCH_SMALL_ITERS:-500}
out=build/compare-${nranks}ranks
mkdir -p "$out"
rm -f "$out"/*.txt "$out"/*.json
source perf/openmpi_baseline.sh
# Two bands per run: small sizes repeat many times (a few tenths of a microsecond each: with 500 calls a single
# hiccup of the VM moved a median by 0.05 us), large ones 20 times. Through torch, where Gloo takes milliseconds
# a call, fewer.
bands=("8 4096 $small_iters" "8192 $max $iters")
torch_bands=("8 4096 $torch_small_iters" "8192 $max $iters")
for ((r = 1; r <= runs; r++)); do
  echo "run $r of $runs"
  for band in "${bands[@]}"; do
    read -r lo hi n <<< "$band"
    ./build/perf/collperf allreduce -b "$lo" -e "$hi" -f 2 -n "$n" -w 5 -c 0 -np "$nranks" \
      --json "$out/braid.$r.$lo.json" > /dev/null
    # Buffers from ncclMemAlloc, registered (nccl-tests' -R 1): peers use them in place.
    ./build/perf/collperf allreduce -b "$lo" -e "$hi" -f 2 -n "$n" -w 5 -c 0 -np "$nranks" -R 1 \
      --json "$out/braid_shared.$r.$lo.json" > /dev/null
  done
  for band in "${bands[@]}"; do
    read -r lo hi n <<< "$band"
    mpirun $oversubscribe -np "$nranks" build/perf/mpi_allreduce_bench "$lo" "$hi" "$n"
  done > "$out/mpi.$r.txt"
  for band in "${torch_bands[@]}"; do
    read -r lo hi n <<< "$band"
    /usr/bin/python3 perf/torch_allreduce_bench.py gloo "$nranks" "$lo" "$hi" "$n"
  done > "$out/gloo.$r.txt"
  for band in "${torch_bands[@]}"; do
    read -r lo hi n <<< "$band"
    PYTHONPATH=build/python /usr/bin/python3 perf/torch_allreduce_bench.py braid "$nranks" "$lo" "$hi" "$n"
  done > "$out/torch_braid.$r.txt"
done
/usr/bin/python3 perf/summarize_compare.py "$out" "$nranks" | tee "$out/compare.md"
/usr/bin/python3 perf/summarize_torch_compare.py "$out" "$nranks" | tee "$out/torch_compare.md"
