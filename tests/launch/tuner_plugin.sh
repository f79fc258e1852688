#!/usr/bin/env bash
# Tuner plugins from collperf's point of view, 4 ranks on one host. Braid's example tuner (rules from a CSV file)
# is loaded through its newest version and through each version alone (ncclTuner_v2 to v6): its rule
# "allreduce -> tree/simple" makes the planner run tree where the model picks LL, mesh or rhd, and every value
# comes out right. A rule naming a cell Braid does not offer (nvls) changes nothing; a missing plugin is a
# warning and the model decides.
# usage: tuner_plugin.sh COLLPERF
set -euo pipefail
collperf=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '# collective,minBytes,maxBytes,algorithm,protocol\nallreduce,0,-1,tree,simple\n' > "$out/tree.csv"
printf 'allreduce,0,-1,nvls,simple\nnot a rule\n' > "$out/nvls.csv"

nranks=4 separate_hosts=0
rank_env=(BRAID_DEBUG=INFO BRAID_DEBUG_SUBSYS=TUNING)
collperf_args=(allreduce -b 8 -e 32K -f 64 -n 2 -w 1 -c 1)
source "$(dirname "$0")/ranks.sh"

run model
expect model "AllReduce of 8 bytes on 4 ranks: [a-z]*/[A-Za-z]* (cost model"
expect model "Out of bounds values : 0 OK"

run newest BRAID_TUNER_PLUGIN=braid-example EXAMPLE_TUNER_RULES="$out/tree.csv"
expect newest "loaded tuner plugin braid-example-tuner (ncclTuner_v6)"
expect newest "AllReduce of 8 bytes on 4 ranks: tree/Simple (tuner plugin"
expect newest "AllReduce of 32768 bytes on 4 ranks: tree/Simple (tuner plugin"
expect newest "Out of bounds values : 0 OK"

for version in 2 3 4 5 6; do
  run v$version NCCL_TUNER_PLUGIN=braid-example-v$version EXAMPLE_TUNER_RULES="$out/tree.csv"
  expect v$version "loaded tuner plugin braid-example-tuner (ncclTuner_v$version)"
  expect v$version "AllReduce of 512 bytes on 4 ranks: tree/Simple (tuner plugin"
  expect v$version "Out of bounds values : 0 OK"
done

run nvls BRAID_TUNER_PLUGIN=braid-example EXAMPLE_TUNER_RULES="$out/nvls.csv"
expect nvls "nvls.csv:2: not a rule"
expect nvls "AllReduce of 8 bytes on 4 ranks: [a-z]*/[A-Za-z]* (cost model"
expect nvls "Out of bounds values : 0 OK"

run missing BRAID_TUNER_PLUGIN=no-such-tuner
expect missing "tuner plugin libnccl-tuner-no-such-tuner.so not loaded"
expect missing "AllReduce of 8 bytes on 4 ranks: [a-z]*/[A-Za-z]* (cost model"
expect missing "Out of bounds values : 0 OK"
echo "tuner plugins: OK"
