#!/usr/bin/env bash
# OpenMPI's mpirun across two emulated hosts: mpirun runs on node 0 and starts node 1's ranks through
# netns_rsh.sh, as it would through ssh; collperf takes its ranks from MPI. 2 nodes x 2 ranks, every value
# checked, over Braid's sockets, libfabric (tcp) and the example network plugin.
set -euo pipefail
collperf=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/netns_cluster.sh"
if ! command -v mpirun > /dev/null; then
  echo "mpirun across namespaces skipped: OpenMPI's mpirun is not installed"
  exit 77
fi
cluster_test_setup "mpirun across namespaces"
cluster_up 2
export BRAID_CLUSTER_PREFIX=$cluster_prefix OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
for net in socket ofi plugin; do
  status=0
  BRAID_NET=$net FI_PROVIDER=tcp BRAID_NET_PLUGIN=braid-example BRAID_DEBUG=INFO BRAID_DEBUG_SUBSYS=NET \
    timeout 120 ip netns exec "${cluster_prefix}n0" unshare --uts sh -c "hostname node0; exec mpirun \
      --mca plm_rsh_agent $here/netns_rsh.sh --mca oob_tcp_if_include 10.99.0.0/24 \
      --mca btl tcp,self --mca btl_tcp_if_include 10.99.0.0/24 -H 10.99.0.1:2,10.99.0.2:2 -np 4 \
      -x BRAID_NET -x FI_PROVIDER -x BRAID_NET_PLUGIN -x BRAID_DEBUG -x BRAID_DEBUG_SUBSYS \
      $collperf alltoall -b 8 -e 1M -f 32 -n 2 -w 1 -c 1" > "$out/$net.txt" 2>&1 || status=$?
  if [ "$status" -ne 0 ] || ! grep -q "Out of bounds values : 0 OK" "$out/$net.txt" ||
     ! grep -q "Rank  3 Group  0 Pid .* on      node1" "$out/$net.txt" ||
     ! grep -q "\[2\] BRAID INFO NET rank 2: 2 peers on other hosts" "$out/$net.txt"; then
    echo "failed: mpirun across 2 namespaces over $net (exit $status)"
    cat "$out/$net.txt"
    exit 1
  fi
  echo "mpirun over $net: $(grep -m1 "\[2\] BRAID INFO NET rank 2: 2 peers on other hosts" "$out/$net.txt")"
done
echo "mpirun across namespaces: OK"
