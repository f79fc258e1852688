#!/usr/bin/env bash
# Algorithms of one collective side by side on this machine, each forced through BRAID_ALGO (protocol Simple),
# and the planner's own choice ("default"), in rotating order run by run; prints the median time per size and
# algorithm, and what the planner picks. E.g. where nb (Nonuniform Bruck) wins:
#   perf/algorithms_side_by_side.sh reducescatter 12 5 4K 32K nb ring rhd
# usage: perf/algorithms_side_by_side.sh COLLECTIVE NRANKS RUNS MIN MAX ALGORITHM...   (after scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
collective=$1 nranks=$2 runs=$3 lo=$4 hi=$5
shift 5
variants=(default "$@")
out=$(mktemp -d /tmp/braid-algorithms-XXXXXX)
for ((r = 1; r <= runs; r++)); do
  for ((i = 0; i < ${#variants[@]}; i++)); do
    v=${variants[(i + r) % ${#variants[@]}]}
    algo=""
    [ "$v" = default ] || algo="$collective:$v"
    BRAID_ALGO=$algo BRAID_PROTO=$([ "$v" = default ] || echo Simple) ./build/perf/collperf "$collective" -b "$lo" \
      -e "$hi" -f 2 -n 300 -w 20 -c 0 -np "$nranks" --json "$out/$v.$r.json" > /dev/null
  done
done
./build/braid plan --host-ranks "$nranks" --coll "$collective" --sizes "$lo:$hi" | grep '\*' | sed 's/^/# planner: /'
/usr/bin/python3 - "$out" "${variants[@]}" <<'PY'
import sys
sys.path.insert(0, "perf")
from collperf_results import median_times
out, variants = sys.argv[1], sys.argv[2:]
times = {v: median_times(f"{out}/{v}.*.json") for v in variants}
print("| size | " + " | ".join(f"{v} (us)" for v in variants) + " |")
print("|---" * (len(variants) + 1) + "|")
for size in sorted(times[variants[0]]):
    print(f"| {size} | " + " | ".join(f"{times[v][size]:.1f}" for v in variants) + " |")
PY
rm -rf "$out"
