#!/usr/bin/env bash
# Network plugins from collperf's point of view, 2 ranks on distinct host identities: Braid's example plugin is
# loaded through its newest ABI version and used, and so is each version alone (ncclNet_v6 to v12); a comma list
# goes on past a missing library; a missing plugin, one offering only versions Braid does not load and one whose
# init fails are each named in a warning, and the ranks fall back to sockets and still get every value right;
# BRAID_NET=plugin without a loadable plugin fails init.
set -euo pipefail
collperf=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

nranks=2 separate_hosts=1
rank_env=(BRAID_DEBUG=INFO BRAID_DEBUG_SUBSYS=NET)
collperf_args=(allreduce -b 8 -e 1M -f 32 -n 2 -w 1 -c 1)
source "$(dirname "$0")/ranks.sh"

run example BRAID_NET_PLUGIN=braid-example
expect example "loaded network plugin braid-example (ncclNet_v12, the newest"
expect example "through network plugin braid-example (ncclNet_v12"
expect example "Out of bounds values : 0 OK"

for version in 6 7 8 9 10 11 12; do
  run v$version BRAID_NET_PLUGIN=braid-example-v$version
  expect v$version "through network plugin braid-example (ncclNet_v$version"
  expect v$version "Out of bounds values : 0 OK"
done

run list BRAID_NET_PLUGIN=no-such-plugin,braid-example-v7
expect list "network plugin libnccl-net-no-such-plugin.so not loaded"
expect list "through network plugin braid-example (ncclNet_v7"
expect list "Out of bounds values : 0 OK"

run missing BRAID_NET_PLUGIN=no-such-plugin
expect missing "network plugin libnccl-net-no-such-plugin.so not loaded"
expect missing "over sockets"
expect missing "Out of bounds values : 0 OK"

run wrongabi BRAID_NET_PLUGIN=wrong-abi
expect wrongabi "network plugin libnccl-net-wrong-abi.so has no ABI version Braid loads (ncclNetPlugin_v6 to v12): it offers v5, v13"
expect wrongabi "over sockets"
expect wrongabi "Out of bounds values : 0 OK"

run failing BRAID_NET_PLUGIN=failing
expect failing "network plugin libnccl-net-failing.so (failing, ncclNet_v10) failed to initialize"
expect failing "over sockets"
expect failing "Out of bounds values : 0 OK"

if run required BRAID_NET=plugin BRAID_NET_PLUGIN=no-such-plugin; then
  echo "failed: BRAID_NET=plugin with a missing plugin should fail init"
  exit 1
fi
expect required "asks for a network plugin, but none is loaded"
echo "network plugins: OK"
