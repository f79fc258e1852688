#!/usr/bin/env bash
# torch_braid against Gloo under torch 2.x (the virtual environment of scripts/setup_torch2.sh, built by
# scripts/setup.sh into build/torch2): all_reduce float32 sum 8 B - 64 MiB and the step time of DDP on a small MLP,
# at 2 and 4 ranks, RUNS runs with the backends alternating; medians and ratios as Markdown in
# build/torch2-compare/compare.md.
# usage: perf/torch2_compare.sh [RUNS=3]   TORCH_SMALL_ITERS (default 500): calls per size up to 4 KiB, 20 above
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
python=$(bash scripts/setup_torch2.sh)
small_iters=${TORCH_SMALL_ITERS:-500}
export PYTHONPATH=build/torch2/python OMP_NUM_THREADS=1
base=build/torch2-compare
rm -rf "$base"
for nranks in 2 4; do
  out=$base/${nranks}ranks
  mkdir -p "$out"
  for ((r = 1; r <= runs; r++)); do
    echo "$nranks ranks, run $r of $runs"
    for backend in gloo braid; do
      file=$out/$backend.$r.txt
      [ "$backend" = braid ] && file=$out/torch_braid.$r.txt  # the names summarize_torch_compare.py reads
      "$python" perf/torch_allreduce_bench.py "$backend" "$nranks" 8 4096 "$small_iters" > "$file"
      "$python" perf/torch_allreduce_bench.py "$backend" "$nranks" 8192 67108864 20 >> "$file"
      "$python" perf/torch_ddp_step_bench.py "$backend" "$nranks" 20 >> "$out/ddp_$backend.txt"
    done
  done
done
{
  echo "torch $("$python" -c 'import torch; print(torch.__version__)'), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc --all) cores"
  for nranks in 2 4; do
    echo
    "$python" perf/summarize_torch_compare.py "$base/${nranks}ranks" "$nranks"
    echo
    "$python" - "$base/${nranks}ranks" "$nranks" <<'PY'
import statistics, sys
out, nranks = sys.argv[1], sys.argv[2]
step = {b: statistics.median(float(l.split()[1]) for l in open(f"{out}/ddp_{b}.txt")) for b in ("braid", "gloo")}
print(f"DDP step (3x1024 MLP, batch 32), {nranks} ranks, median of the runs: braid {step['braid']:.2f} ms, "
      f"gloo {step['gloo']:.2f} ms, gloo/braid {step['gloo'] / step['braid']:.2f}x")
PY
  done
} | tee "$base/compare.md"
