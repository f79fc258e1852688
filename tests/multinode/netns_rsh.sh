#!/usr/bin/env bash
# mpirun's remote shell for the emulated cluster (plm_rsh_agent): "netns_rsh.sh 10.99.0.<n+1> COMMAND..." runs the
# command (an orted) in node n's namespace, with its own host name "node<n>" so OpenMPI tells the nodes apart.
# The cluster's namespace prefix comes from BRAID_CLUSTER_PREFIX.
set -euo pipefail
host=$1
shift
node=$((${host##*.} - 1))
exec ip netns exec "${BRAID_CLUSTER_PREFIX}n$node" unshare --uts sh -c "hostname node$node; $*"
