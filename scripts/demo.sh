#!/usr/bin/env bash
# The main job: install, build, then a 4-rank AllReduce sweep on the host device with every result checked.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
./build/perf/collperf allreduce -b 8 -e 64M -f 2 -np 4 -c 1
