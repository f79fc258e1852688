# An emulated cluster on one machine (sourced by the multi-node tests and benchmarks): NODES network namespaces,
# each with one interface on a bridge in a "switch" namespace, optionally shaped with tc (RATE as tbf takes it,
# e.g. 1gbit; NETEM options, e.g. "delay 1ms loss 1%"). Ranks run in their node's namespace with distinct
# BRAID_HOSTID, so ranks of a node use shared memory and ranks of different nodes TCP over the bridge.
# Needs root (CI runs as root); cluster_available says whether namespaces can be made here.

cluster_prefix="b$(( $$ % 10000 ))"   # unique per run: tests may run in parallel

cluster_available() {
  [ "$(id -u)" -eq 0 ] && command -v ip > /dev/null && ip netns add "${cluster_prefix}probe" 2> /dev/null &&
    ip netns del "${cluster_prefix}probe"
}

# cluster_test_setup NAME: for test scripts. Skips (exit 77, CTest's SKIP) where namespaces cannot be made;
# otherwise sets $out, a scratch folder that goes away, with the cluster, when the script exits.
cluster_test_setup() {
  if ! cluster_available; then
    echo "$1 skipped: network namespaces need root and iproute2"
    exit 77
  fi
  out=$(mktemp -d)
  trap 'cluster_down; rm -rf "$out"' EXIT
}

# cluster_up NODES [RATE] [NETEM...]
cluster_up() {
  local nodes=$1 rate=${2:-} netem=${3:-} sw="${cluster_prefix}sw"
  cluster_nodes=$nodes
  ip netns add "$sw"
  ip -n "$sw" link add br0 type bridge
  ip -n "$sw" link set br0 up
  for ((i = 0; i < nodes; i++)); do
    local ns="${cluster_prefix}n$i" port="${cluster_prefix}p$i"
    ip netns add "$ns"
    ip link add "${cluster_prefix}e$i" type veth peer name "$port"
    ip link set "${cluster_prefix}e$i" netns "$ns"
    ip link set "$port" netns "$sw"
    ip -n "$sw" link set "$port" master br0
    ip -n "$sw" link set "$port" up
    ip -n "$ns" link set lo up
    ip -n "$ns" link set "${cluster_prefix}e$i" name eth0
    ip -n "$ns" addr add "10.99.0.$((i + 1))/24" dev eth0
    ip -n "$ns" link set eth0 up
    if [ -n "$rate" ] || [ -n "$netem" ]; then
      # Shape what each node sends; its peers shape what it receives.
      if [ -n "$netem" ]; then
        ip netns exec "$ns" tc qdisc add dev eth0 root handle 1: netem $netem ${rate:+rate $rate}
      else
        ip netns exec "$ns" tc qdisc add dev eth0 root tbf rate "$rate" burst 256kb latency 50ms
      fi
    fi
  done
}

# Whether this kernel has netem (delay, loss); tbf rate limits work without it.
netem_available() {
  local probe="${cluster_prefix}nq" ok=1
  ip netns add "$probe" 2> /dev/null || return 1
  ip netns exec "$probe" ip link set lo up
  ip netns exec "$probe" tc qdisc add dev lo root netem delay 1ms 2> /dev/null && ok=0
  ip netns del "$probe"
  return $ok
}

# cluster_drop PERCENT: every node drops that share of the packets it receives, at random (nftables); for
# kernels without netem. Returns non-zero where nft is missing.
cluster_drop() {
  command -v nft > /dev/null || return 1
  for ((i = 0; i < cluster_nodes; i++)); do
    local ns="${cluster_prefix}n$i"
    ip netns exec "$ns" nft add table inet braidloss || return 1
    ip netns exec "$ns" nft add chain inet braidloss input '{ type filter hook input priority 0; }' || return 1
    ip netns exec "$ns" nft add rule inet braidloss input numgen random mod 100 '<' "$1" drop || return 1
  done
}

cluster_down() {
  for ((i = 0; i < ${cluster_nodes:-0}; i++)); do ip netns del "${cluster_prefix}n$i" 2> /dev/null || true; done
  ip netns del "${cluster_prefix}sw" 2> /dev/null || true
}

cluster_address() { echo "10.99.0.$(($1 + 1))"; }

# cluster_run NODE RANK NRANKS PORT COMMAND...: runs one rank in NODE's namespace, launched by hand
# (BRAID_RANK/BRAID_NRANKS/BRAID_COMM_ID with the root on node 0).
cluster_run() {
  local node=$1 rank=$2 nranks=$3 port=$4
  shift 4
  ip netns exec "${cluster_prefix}n$node" env BRAID_HOSTID="node$node" BRAID_RANK="$rank" BRAID_NRANKS="$nranks" \
    BRAID_COMM_ID="$(cluster_address 0):$port" "$@"
}

# cluster_collperf OUTDIR NODES RANKS_PER_NODE COLLPERF ARGS...: one collperf per rank (rank = node * R + local);
# returns non-zero when any rank fails. Rank 0's table is OUTDIR/rank0.txt. Root ports are drawn below Linux's
# ephemeral range (32768 and up), where a connection of an earlier run could hold the same port.
cluster_collperf() {
  local out=$1 nodes=$2 perNode=$3 collperf=$4 port=$((20000 + RANDOM % 12000)) pids=() status=0
  shift 4
  local nranks=$((nodes * perNode))
  for ((node = 0; node < nodes; node++)); do
    for ((local = 0; local < perNode; local++)); do
      local rank=$((node * perNode + local))
      cluster_run "$node" "$rank" "$nranks" "$port" "$collperf" "$@" > "$out/rank$rank.txt" 2>&1 &
      pids+=($!)
    done
  done
  for pid in "${pids[@]}"; do wait "$pid" || status=1; done
  return $status
}
