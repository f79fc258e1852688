#!/usr/bin/env bash
# Profiler plugins from collperf's point of view, 4 ranks on one host. Braid's example profiler (one Chrome-trace
# JSON file per rank) is loaded through its newest version and through each version alone (ncclProfiler_v1 to
# v6), for collectives and for point-to-point calls (and on a host stream), and check_trace.py reads every file:
# groups, calls, traffic and steps nested as NCCL nests them, the API events from v5 on. A mask without traffic
# gets none; the default name libnccl-profiler.so is found on the library path; a missing plugin, one of no known
# version and one whose init fails are each a message, and every value still comes out right.
# usage: profiler_plugin.sh COLLPERF
set -euo pipefail
collperf=$1
here=$(dirname "$0")
plugins=$(dirname "$collperf")/..  # where the build puts the plugins (next to libbraid)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

nranks=4 separate_hosts=0 sizes=64,8192,1048576
rank_env=(BRAID_DEBUG=INFO BRAID_DEBUG_SUBSYS=PROFILE)
source "$here/ranks.sh"

# traced NAME KIND VERSION PLUGIN [ENV...]: a run whose traces land in $out/NAME and are checked; collperf_extra
# holds more collperf flags.
collperf_extra=()
traced() {
  local name=$1 kind=$2 version=$3 plugin=$4
  shift 4
  mkdir "$out/$name.traces"
  collperf_args=("$kind" -b 64 -e 1M -f 128 -n 2 -w 1 -c 1 "${collperf_extra[@]}")  # $sizes
  run "$name" BRAID_PROFILER_PLUGIN="$plugin" BRAID_PROFILER_TRACE_DIR="$out/$name.traces" "$@"
  expect "$name" "loaded profiler plugin braid-chrome-trace (ncclProfiler_v$version)"
  expect "$name" "Out of bounds values : 0 OK"
}

for kind in allreduce sendrecv; do
  traced "$kind-newest" "$kind" 6 braid-example
  python3 "$here/check_trace.py" "$out/$kind-newest.traces" $nranks 6 "$kind" $sizes
  for version in 1 2 3 4 5; do
    traced "$kind-v$version" "$kind" $version braid-example-v$version
    python3 "$here/check_trace.py" "$out/$kind-v$version.traces" $nranks $version "$kind" $sizes
  done
done

# On a host stream the work runs on the stream's thread, after ncclGroupEnd has returned.
collperf_extra=(--host-stream)
traced host-stream allreduce 6 braid-example
python3 "$here/check_trace.py" "$out/host-stream.traces" $nranks 6 allreduce $sizes
collperf_extra=()

# Groups and calls only (ncclProfileGroup | Coll | P2p): no ProxyOp, ProxyStep or KernelLaunch reaches the plugin;
# GroupApi does, as the calls' parent.
traced calls-only allreduce 6 braid-example BRAID_PROFILER_EVENTS=0x7
python3 "$here/check_trace.py" "$out/calls-only.traces" $nranks 6 allreduce $sizes --calls-only

# Unset, NCCL's default name is looked for on the library path.
mkdir "$out/lib" "$out/default.traces"
cp "$plugins/libnccl-profiler-braid-example.so" "$out/lib/libnccl-profiler.so"
collperf_args=(allreduce -b 64 -e 1M -f 128 -n 2 -w 1 -c 1)  # $sizes
run default LD_LIBRARY_PATH="$out/lib" BRAID_PROFILER_TRACE_DIR="$out/default.traces"
expect default "loaded profiler plugin braid-chrome-trace (ncclProfiler_v6) from libnccl-profiler.so"
python3 "$here/check_trace.py" "$out/default.traces" $nranks 6 allreduce $sizes

run missing BRAID_PROFILER_PLUGIN=no-such-profiler
expect missing "profiler plugin libnccl-profiler-no-such-profiler.so not loaded"
expect missing "Out of bounds values : 0 OK"

run wrong-abi BRAID_PROFILER_PLUGIN=wrong-abi
expect wrong-abi "exports none of ncclProfiler_v1 to v6"
expect wrong-abi "Out of bounds values : 0 OK"

run failing NCCL_PROFILER_PLUGIN=failing
expect failing "init failed with NCCL result 2; this communicator goes on without it"
expect failing "Out of bounds values : 0 OK"
echo "profiler plugins: OK"
