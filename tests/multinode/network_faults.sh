#!/usr/bin/env bash
# Network faults become errors, not hangs. A link that goes down in the middle of collectives: 2 nodes x 1 rank
# run AllReduce in a loop, node 1's switch port is taken down, and each rank must exit with an error
# (BRAID_TIMEOUT, here collperf -T 3) well before the test's own guard, over sockets and over libfabric. A peer
# that is unreachable at init: the rank fails within BRAID_BOOTSTRAP_TIMEOUT, naming the address and the cause.
set -euo pipefail
collperf=$1
here=$(dirname "$0")
source "$here/netns_cluster.sh"
cluster_test_setup "network fault tests"

for net in socket ofi; do
  cluster_up 2
  port=$((20000 + RANDOM % 12000))
  pids=()
  for rank in 0 1; do
    BRAID_NET=$net FI_PROVIDER=tcp cluster_run "$rank" "$rank" 2 "$port" timeout 60 "$collperf" allreduce \
      -b 4M -e 4M -n 100000 -w 1 -c 0 -T 3 > "$out/$net$rank.txt" 2>&1 &
    pids+=($!)
  done
  # Down only once both ranks are inside the loop (the table header is printed after init).
  for ((i = 0; i < 100; i++)); do grep -q "size" "$out/${net}0.txt" 2> /dev/null && break; sleep 0.1; done
  sleep 1
  ip -n "${cluster_prefix}sw" link set "${cluster_prefix}p1" down
  for rank in 0 1; do
    status=0
    wait "${pids[$rank]}" || status=$?
    if [ "$status" -eq 0 ] || [ "$status" -eq 124 ]; then
      echo "failed: rank $rank over $net exited with $status after the link went down (0 = no error, 124 = hung)"
      cat "$out/$net$rank.txt"
      exit 1
    fi
    if ! grep -Eq "timed out|remote|lost|closed" "$out/$net$rank.txt"; then
      echo "failed: rank $rank over $net gave no clear error"
      cat "$out/$net$rank.txt"
      exit 1
    fi
    echo "$net rank $rank: $(grep -Eim1 "timed out|remote|lost|closed" "$out/$net$rank.txt")"
  done
  cluster_down
done
echo "link down: every rank failed with an error"

cluster_up 1
start=$(date +%s)
status=0
ip netns exec "${cluster_prefix}n0" env BRAID_RANK=1 BRAID_NRANKS=2 BRAID_COMM_ID=10.99.0.77:29500 \
  BRAID_BOOTSTRAP_TIMEOUT=3 timeout 60 "$collperf" allreduce -b 8 -e 8 > "$out/unreachable.txt" 2>&1 || status=$?
elapsed=$(($(date +%s) - start))
if [ "$status" -eq 0 ] || [ "$status" -eq 124 ] || ! grep -q "cannot connect to 10.99.0.77" "$out/unreachable.txt"; then
  echo "failed: init against an unreachable root exited with $status after ${elapsed}s"
  cat "$out/unreachable.txt"
  exit 1
fi
echo "unreachable peer (${elapsed}s): $(grep -m1 "cannot connect" "$out/unreachable.txt")"
