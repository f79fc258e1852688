#!/usr/bin/env bash
# AllReduce or AllGather across 2 emulated nodes x 2 ranks joined by a rate-limited link (network namespaces, tc
# tbf; root): the planner's default against a flat ring (BRAID_ALGO=<coll>:ring), alternating, median of RUNS runs.
# usage: sudo perf/multinode_hierarchical.sh [RATE=1gbit] [RUNS=5] [BYTES=16M] [COLL=allreduce|allgather]
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-1gbit}
runs=${2:-5}
bytes=${3:-16M}
coll=${4:-allreduce}
source tests/multinode/netns_cluster.sh
cluster_available || { echo "needs root and network namespaces"; exit 1; }
out=$(mktemp -d)
trap 'cluster_down; rm -rf "$out"' EXIT
cluster_up 2 "$rate"
declare -A times
for ((r = 1; r <= runs; r++)); do
  for algo in default ring; do
    spec=""
    [ "$algo" = ring ] && spec="$coll:ring"
    BRAID_ALGO=$spec cluster_collperf "$out" 2 2 build/perf/collperf "$coll" -b "$bytes" -e "$bytes" -n 5 -w 1 -c 1
    grep -q "Out of bounds values : 0 OK" "$out/rank0.txt"
    times[$algo]+="$(awk '$1 ~ /^[0-9]+$/ {print $6}' "$out/rank0.txt") "
  done
done
/usr/bin/python3 - "$rate" "$bytes" "${times[default]}" "${times[ring]}" "$coll" <<'PY'
import statistics, sys
rate, size, default, ring = sys.argv[1], sys.argv[2], [float(t) for t in sys.argv[3].split()], [float(t) for t in sys.argv[4].split()]
d, r = statistics.median(default), statistics.median(ring)
print(f"{sys.argv[5]} {size}, 2 nodes x 2 ranks, {rate} link, medians of {len(default)} runs:")
print(f"  default plan (hierarchical): {d / 1000:.1f} ms   flat ring: {r / 1000:.1f} ms   ratio: {r / d:.2f}x")
PY
