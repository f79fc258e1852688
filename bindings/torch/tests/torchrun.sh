#!/usr/bin/env bash
# torchrun starts the ranks (with the underscore flags that torch 1.13 and 2.x both take): 2 on one host
# (--standalone), then 2 nodes x 2 ranks in network namespaces joined by a bridge (tests/multinode/netns_cluster.sh),
# torchrun's c10d store on node 0. Each rank runs the all_reduce and
# subgroup checks of test_ops.py, every element compared. The two-node part skips (exit 77) where namespaces
# cannot be made.
# usage: torchrun.sh PYTHON SOURCE_DIR
set -euo pipefail
python=$1
source_dir=$2
script="$source_dir/bindings/torch/tests/test_ops.py"
checks=(test_allreduce test_sparse_allreduce test_subgroups)
# Debian's torch 1.13 on Python 3.11 cannot parse torchrun's default "--redirects 0 --tee 0" (Python 3.11 no longer
# lists the zero member of an IntFlag, so Std.from_str gives None and the launcher fails): ask for stdout written to
# its log and shown (1), which every torch takes.
torchrun=("$python" -m torch.distributed.run --redirects 1 --tee 1)

echo "one host, 2 ranks"
"${torchrun[@]}" --standalone --nproc_per_node 2 "$script" "${checks[@]}"

source "$source_dir/tests/multinode/netns_cluster.sh"
cluster_test_setup "torchrun across namespaces"
cluster_up 2
echo "2 nodes x 2 ranks"
pids=()
for node in 0 1; do
  # Distinct host ids: the namespaces share this machine's /dev/shm, but the nodes should talk over the bridge.
  BRAID_HOSTID="node$node" GLOO_SOCKET_IFNAME=eth0 ip netns exec "${cluster_prefix}n$node" \
    timeout 240 "${torchrun[@]}" --nnodes 2 --nproc_per_node 2 --node_rank "$node" \
    --master_addr 10.99.0.1 --master_port 29531 "$script" "${checks[@]}" > "$out/node$node.txt" 2>&1 &
  pids+=($!)
done
failed=0
for node in 0 1; do
  wait "${pids[$node]}" || { echo "node $node failed:"; failed=1; }
done
cat "$out/node0.txt"
if ((failed)); then
  cat "$out/node1.txt"
  exit 1
fi
grep -q "test_subgroups: ok" "$out/node0.txt"
echo "torchrun across namespaces: ok"
