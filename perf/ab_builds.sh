#!/usr/bin/env bash
# Two builds of Braid side by side (e.g. main before and after a change), alternating run by run so that the
# VM's drift falls on both, and which goes first alternating too (the second of a pair can run systematically
# slower or faster): collperf COLLECTIVE on NRANKS local ranks, small sizes many times, large ones 20 times;
# prints medians per size (time up to 4 KiB, busbw above) and the ratio new/old. OLD = NEW measures the noise,
# or, with settings in AB_OLD_ENV / AB_NEW_ENV ("NAME=value ..."), what a setting costs (e.g. a profiler plugin).
# usage: perf/ab_builds.sh OLD_BUILD_DIR NEW_BUILD_DIR [COLLECTIVE=allreduce] [NRANKS=2] [RUNS=5] [MAX_BYTES=64M]
set -euo pipefail
old=$1 new=$2 collective=${3:-allreduce} nranks=${4:-2} runs=${5:-5} max=${6:-67108864}
out=$(mktemp -d /tmp/braid-ab-XXXXXX)
bands=("8 4096 ${SMALL_ITERS:-2000}" "8192 $max 20")
for ((r = 1; r <= runs; r++)); do
  order="old new"
  ((r % 2 == 0)) && order="new old"
  for side in $order; do
    dir=$old settings=${AB_OLD_ENV:-}
    [ "$side" = new ] && dir=$new settings=${AB_NEW_ENV:-}
    for band in "${bands[@]}"; do
      read -r lo hi n <<< "$band"
      env $settings "$dir/perf/collperf" "$collective" -b "$lo" -e "$hi" -f 2 -n "$n" -w 5 -c 0 -np "$nranks" \
        --json "$out/$side.$r.$lo.json" > /dev/null
    done
  done
done
python3 "$(dirname "$0")/summarize_ab.py" "$out" "$collective" "$nranks"
rm -rf "$out"
