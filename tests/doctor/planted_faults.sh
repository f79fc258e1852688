#!/usr/bin/env bash
# braid doctor against faults planted on an emulated cluster (network namespaces, tests/multinode/netns_cluster.sh):
# each node's topology file declares a 400 Mb/s NIC and every link is shaped to 400 Mbit/s. A healthy run must
# report no cause; a link shaped to a quarter of that must be named; a rank sharing its core with a busy process
# must be named; two ranks of one machine given different host ids must be said to use sockets. Then the checks
# that need no planted fault (shared cores, /dev/shm, interface, NUMA) on a recorded run with edited facts, and
# `braid doctor --np 2` running its own sweep on this host with a plot. Skips (77) where namespaces cannot be made.
set -euo pipefail
braid=$1
collperf=$2
here=$(dirname "$0")
source "$here/../multinode/netns_cluster.sh"
cluster_test_setup "doctor planted-fault tests"

cat > "$out/node.xml" <<'XML'
<system version="1">
  <cpu numaid="0" arch="x86_64" vendor="GenuineIntel">
    <pci busid="0000:01:00.0" class="0x020000" link_speed="8.0 GT/s PCIe" link_width="16">
      <nic>
        <net name="eth0" dev="0" speed="400" port="1" link_layer="ethernet"/>
      </nic>
    </pci>
  </cpu>
</system>
XML

fail() {
  echo "failed: $1"
  shift
  for f in "$@"; do echo "--- $f"; cat "$f"; done
  exit 1
}

# launch NAME RANK_PREFIX...: rank 0 in node 0, rank 1 in node 1 (RANK_PREFIX before rank 1's collperf, e.g.
# taskset), a 1-8 MiB AllReduce sweep with probes; the library's topology and collperf's JSON land in $out/NAME.*
launch() {
  local name=$1 port=$((20000 + RANDOM % 12000)) pids=() status=0
  shift
  for rank in 0 1; do
    local prefix=()
    [ "$rank" -eq 1 ] && prefix=("$@")
    BRAID_TOPO_FILE="$out/node.xml" BRAID_TOPO_DUMP_FILE="$out/$name.xml" \
      cluster_run "$rank" "$rank" 2 "$port" "${prefix[@]}" "$collperf" allreduce -b 1M -e 8M -f 2 -n 5 -w 1 -c 0 \
      --json "$out/$name.json" --probe > "$out/$name.rank$rank.txt" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || status=1; done
  [ "$status" -eq 0 ] || fail "collperf for $name" "$out/$name.rank0.txt" "$out/$name.rank1.txt"
  "$braid" doctor --sweep "$out/$name.json" --topology "$out/$name.xml" > "$out/$name.report.txt"
  "$braid" doctor --sweep "$out/$name.json" --topology "$out/$name.xml" --json > "$out/$name.report.json"
}

# causes NAME: the causes the doctor found, one per line
causes() { /usr/bin/python3 -c 'import json,sys; [print(f["cause"]) for f in json.load(open(sys.argv[1]))["findings"]]' "$out/$1.report.json"; }

cluster_up 2 400mbit

launch healthy
[ -z "$(causes healthy)" ] || fail "a healthy run reported causes" "$out/healthy.report.txt"
grep -q "no cause found" "$out/healthy.report.txt" || fail "healthy report" "$out/healthy.report.txt"

# Node 1 sends at a quarter of what its topology declares.
ip netns exec "${cluster_prefix}n1" tc qdisc replace dev eth0 root tbf rate 100mbit burst 256kb latency 50ms
launch slow_link
[ "$(causes slow_link)" = "slow-link" ] || fail "the slowed link was not named alone" "$out/slow_link.report.txt"
grep -q "slow-link: host 1 .*'s network link (eth0" "$out/slow_link.report.txt" ||
  fail "the report does not name host 1's link" "$out/slow_link.report.txt"
grep -q " short$" "$out/slow_link.report.txt" || fail "no size fell short over the slowed link" "$out/slow_link.report.txt"
ip netns exec "${cluster_prefix}n1" tc qdisc replace dev eth0 root tbf rate 400mbit burst 256kb latency 50ms

# Rank 1 shares CPU 1 with a busy process.
cpus=$(nproc)
taskset -c $((cpus - 1)) bash -c 'while :; do :; done' &
hog=$!
launch slow_rank taskset -c $((cpus - 1))
kill "$hog"
wait "$hog" 2> /dev/null || true
[ "$(causes slow_rank)" = "slow-rank" ] || fail "the slowed rank was not named alone" "$out/slow_rank.report.txt"
grep -q "slow-rank: rank 1 (host 1" "$out/slow_rank.report.txt" || fail "the report does not name rank 1" "$out/slow_rank.report.txt"

# Two ranks in node 0's namespace, told they are on different hosts.
port=$((20000 + RANDOM % 12000))
for rank in 0 1; do
  BRAID_TOPO_FILE="$out/node.xml" BRAID_TOPO_DUMP_FILE="$out/host_ids.xml" \
    ip netns exec "${cluster_prefix}n0" env BRAID_HOSTID="id$rank" BRAID_RANK=$rank BRAID_NRANKS=2 \
    BRAID_COMM_ID="$(cluster_address 0):$port" "$collperf" allreduce -b 1M -e 4M -f 2 -n 5 -w 1 -c 0 \
    --json "$out/host_ids.json" --probe > "$out/host_ids.rank$rank.txt" 2>&1 &
done
wait
"$braid" doctor --sweep "$out/host_ids.json" --topology "$out/host_ids.xml" > "$out/host_ids.report.txt"
grep -q "sockets-within-a-host: ranks 0 and 1 run on one machine" "$out/host_ids.report.txt" ||
  fail "different host ids on one machine were not named" "$out/host_ids.report.txt"
cluster_down

# The other checks, on the healthy run's facts edited as each fault would show.
/usr/bin/python3 - "$out/healthy.json" "$out" <<'PY'
import json, sys
run, out = json.load(open(sys.argv[1])), sys.argv[2]
def edited(name, change):
    doc = json.loads(json.dumps(run))
    for r in doc["ranks"]:
        change(r)
    json.dump(doc, open(f"{out}/{name}.json", "w"))
def pinned(r): r["placement"]["cpus"] = [0]; r["boot_id"] = "one-machine"
def small(r): r["host"] = 0; r["shm_free_bytes"] = 1 << 20
def interface(r):
    r["network"]["socket_ifname"] = "eth1"
    r["network"]["interfaces"] = [{"name": "eth0", "up": True, "speed_mbps": 100000},
                                  {"name": "eth1", "up": True, "speed_mbps": 1000}]
def numa(r): r["placement"]["numa_nodes"] = [0, 1]
for name, change in [("shared_cores", pinned), ("small_shm", small), ("interface", interface), ("numa", numa)]:
    edited(name, change)
PY
for check in shared_cores:shared-cores small_shm:small-shm interface:interface numa:numa; do
  name=${check%%:*} cause=${check#*:}
  "$braid" doctor --sweep "$out/$name.json" --topology "$out/healthy.xml" --json > "$out/$name.report.json"
  causes "$name" | grep -qx "$cause" || fail "$cause not found" "$out/$name.report.json"
done

# Its own sweep on this host, with a plot.
"$braid" doctor --np 2 --collperf "$collperf" -b 64K -e 1M --work-dir "$out/local" --plot "$out/local.svg" \
  > "$out/local.report.txt" 2> "$out/local.stderr.txt" || fail "braid doctor --np 2" "$out/local.stderr.txt"
grep -q "^# braid doctor: allreduce, 2 ranks on 1 host(s)" "$out/local.report.txt" || fail "local report" "$out/local.report.txt"
[ "$(grep -c "<polyline" "$out/local.svg")" -eq 2 ] || fail "plot of measured and predicted" "$out/local.svg"
echo "doctor: healthy, slow link, slow rank, host ids, shared cores, /dev/shm, interface, NUMA and a local run all as expected"
