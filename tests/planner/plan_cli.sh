#!/usr/bin/env bash
# braid plan as a cluster architect runs it, and its tuning file as the library loads it: candidates per size,
# JSON for 100,000 devices, a plot, bad arguments (exit 1 with the reason), and BRAID_TUNE_FILE taking effect
# in a real 2-rank run (the choice shows in the TUNING log); braid doctor's answers to bad input.
set -euo pipefail
braid=$1
collperf=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
expect() {  # expect PATTERN COMMAND...: succeeds, and the output matches (no `| grep -q` under pipefail)
  local pattern=$1 text
  shift
  text=$("$@")
  grep -q -- "$pattern" <<< "$text" || { echo "expected '$pattern' from: $*"; echo "$text"; exit 1; }
}
fails() {  # fails PATTERN COMMAND...: exits 1 and says why
  local pattern=$1 text status
  shift
  set +e
  text=$("$@" 2>&1)
  status=$?
  set -e
  [ "$status" -eq 1 ] || { echo "expected failure from: $*"; exit 1; }
  grep -q -- "$pattern" <<< "$text" || { echo "expected '$pattern' in: $text"; exit 1; }
}

expect "^# dgx-a100: 4 node(s) x 8 ranks = 32 ranks" "$braid" plan --preset dgx-a100 --nodes 4 --sizes 8:1G
expect "^ *1 GiB \*" "$braid" plan --preset dgx-a100 --nodes 4 --sizes 8:1G
expect "^ *8 B \*" "$braid" plan --preset atlas-800t-a2 --nodes 2 --fabric rail --coll broadcast --bytes 8
"$braid" plan --preset dgx-h100 --nodes 12500 --bytes 1G --json > "$out/big.json"
/usr/bin/python3 - "$out/big.json" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
assert plan["ranks"] == 100000, plan["ranks"]
for key in ("algorithm", "time_us", "algbw_GBps", "busbw_GBps", "candidates"):
    assert key in plan, key
assert plan["busbw_GBps"] > 0 and plan["time_us"] > 0
assert plan["algorithm"] == plan["candidates"][0]["algorithm"]
PY
expect '"algorithm": "ring"' "$braid" plan --preset mlu370-x8 --bytes 64M --algo ring --json
# Channels: as many as the NVLinks need by default, fewer on request, and then less bandwidth.
expect "^# channels: 11 per rank (at most 32), 36.7 GB/s each" "$braid" plan --preset dgx-h100 --bytes 1G
expect "^# channels: 4 per rank (at most 4), 36.7 GB/s each" "$braid" plan --preset dgx-h100 --bytes 1G --channels 4
/usr/bin/python3 - <("$braid" plan --preset dgx-h100 --bytes 1G --json) \
    <("$braid" plan --preset dgx-h100 --bytes 1G --channels 4 --json) <<'PY'
import json, sys
full, four = (json.load(open(f)) for f in sys.argv[1:])
assert four["model"]["channels"] == 4, four["model"]
assert four["busbw_GBps"] <= 4 * 36.7 < full["busbw_GBps"], (four["busbw_GBps"], full["busbw_GBps"])
PY
# NCCL's pick per size (its tuning model): LL, then NVLS on an H100 node; LL128 on 2x4 H800 before Simple takes
# over; none for other vendors' devices or for collectives other than AllReduce. Within one NVLink node the run
# takes longer than NCCL's price (the fill), across nodes what NCCL prices.
expect "^#            NCCL's pick: ring/LL, " "$braid" plan --preset dgx-h100 --bytes 64K
expect "^#            NCCL's pick: nvls/Simple, 138.16 us, 212.51 GB/s busbw (NCCL's own estimate: 86.17 us)" \
    "$braid" plan --preset dgx-h100 --bytes 16M
/usr/bin/python3 - <("$braid" plan --preset dgx-h100 --sizes 64K:8G:8 --json) \
    <("$braid" plan --file "$(dirname "$0")/../data/topology/h800_4nic.xml" --nodes 2 --ranks-per-node 4 \
      --sizes 1M:1G:4 --algo ring --json) \
    <("$braid" plan --preset mlu370-x8 --bytes 1M --json) <("$braid" plan --preset dgx-h100 --bytes 1M --coll allgather --json) <<'PY'
import json, sys
h100, h800, mlu, allgather = (json.load(open(f)) for f in sys.argv[1:])
picks = [(p["nccl"]["algorithm"], p["nccl"]["protocol"]) for p in h100["plans"]]
assert picks[0] == ("ring", "LL") and picks[-1] == ("nvls", "Simple"), picks
largest = h100["plans"][-1]
assert abs(largest["bytes"] / (1e3 * largest["nccl"]["nccl_time_us"]) * 14 / 8 - 480) < 2, largest["nccl"]
assert all(p["nccl"]["time_us"] > p["nccl"]["nccl_time_us"] for p in h100["plans"])
assert all(p["nccl"]["time_us"] == p["nccl"]["nccl_time_us"] for p in h800["plans"])
ring = [min((e for e in p["nccl"]["estimates"] if e["algorithm"] == "ring"), key=lambda e: e["time_us"])["protocol"]
        for p in h800["plans"]]
assert ring[:3] == ["LL128"] * 3 and ring[-1] == "Simple", ring
assert "nccl" not in mlu and "nccl" not in allgather
PY
# NCCL_P2P_LEVEL's role: the hops across the CPU of a PCIe-only box go through host memory by default (PXB), peer
# to peer with SYS; a level NCCL does not know is refused with the accepted ones.
asus="$(dirname "$0")/../data/topology/rtxpro6000_asus_numa0.xml"
expect "^# slowest ring hop: SHM over PHB (NCCL_P2P_LEVEL=PXB)" "$braid" plan --file "$asus" --bytes 1G
expect '"p2p_level": "SYS"' "$braid" plan --file "$asus" --bytes 1G --p2p-level sys --json
fails "--p2p-level 'NODE': expected LOC, NVL, PIX, PXB, PHB or SYS" "$braid" plan --file "$asus" --p2p-level NODE
if "$braid" plan --host-ranks 2 --channels 3 > /dev/null 2>&1; then
  echo "--channels taken for the host model"
  exit 1
fi
"$braid" plan --preset metax-c500 --nodes 8 --sizes 1K:1G:8 --plot "$out/plot.svg" > /dev/null
grep -q "<polyline" "$out/plot.svg"
fails "unknown algorithm \"rings\"" "$braid" plan --preset dgx-a100 --algo rings
fails "unknown collective 'allgatherv'" "$braid" plan --preset dgx-a100 --coll allgatherv
fails "bad size '12Q'" "$braid" plan --preset dgx-a100 --bytes 12Q
fails "describes no sizes" "$braid" plan --preset dgx-a100 --sizes 1G:8
fails "unknown preset" "$braid" plan --preset no-such-system

# A tuning file for 2 ranks that picks tree for small AllReduce, and the library following it.
printf 'allreduce 2 0 4096 tree\nallreduce * 4097 * ring\n' > "$out/tune.txt"
log=$(BRAID_TUNE_FILE="$out/tune.txt" BRAID_DEBUG=INFO BRAID_DEBUG_SUBSYS=TUNING \
      "$collperf" allreduce -b 8 -e 64K -f 8192 -n 2 -w 1 -np 2 2>&1)
grep -q "AllReduce of 8 bytes on 2 ranks: tree/Simple (tuning file" <<< "$log" || { echo "$log"; exit 1; }
grep -q "AllReduce of 65536 bytes on 2 ranks: ring/Simple (tuning file" <<< "$log" || { echo "$log"; exit 1; }
grep -q "Out of bounds values : 0 OK" <<< "$log"
printf 'allreduce 2 0 4096 tree\nallreduce two 0 * ring\n' > "$out/bad.txt"
log=$(BRAID_TUNE_FILE="$out/bad.txt" "$collperf" allreduce -b 8 -e 8 -np 2 2>&1 || true)
grep -q "bad.txt:2: bad rank count \"two\"" <<< "$log" || { echo "$log"; exit 1; }
# braid plan writes files the library reads.
"$braid" plan --preset cpu-node --ranks-per-node 2 --sizes 8:16M --tune-file "$out/planned.txt" > /dev/null
log=$(BRAID_TUNE_FILE="$out/planned.txt" "$collperf" allreduce -b 8 -e 16M -f 64 -n 2 -w 1 -c 1 -np 2 2>&1)
grep -q "Out of bounds values : 0 OK" <<< "$log" || { echo "$log"; exit 1; }
# braid doctor's bad input: the file and what is wrong (its planted faults: tests/doctor/planted_faults.sh).
echo '{"collective": "allreduce"}' > "$out/partial.json"
echo '{nope' > "$out/broken.json"
fails "partial.json: not what collperf --json --probe writes: .*'nranks'" "$braid" doctor --sweep "$out/partial.json" \
  --topology "$(dirname "$0")/../data/topology/hgx_h800.xml"
fails "broken.json: not collperf's JSON" "$braid" doctor --sweep "$out/broken.json" --topology /nonexistent.xml
fails "cannot read /nonexistent.json" "$braid" doctor --sweep /nonexistent.json --topology /nonexistent.xml
fails "give --np N" "$braid" doctor
# A run without probes, two types per size (collperf -d all sweeps the sizes per type): one row per size, the
# first type's; no causes checked, and the JSON says so.
cat > "$out/two_types.json" <<'JSON'
{"collective": "allreduce", "nranks": 2, "results": [
  {"size": 1024, "type": "float", "out_of_place": {"busbw_GBps": 1.0}},
  {"size": 2048, "type": "float", "out_of_place": {"busbw_GBps": 2.0}},
  {"size": 1024, "type": "half", "out_of_place": {"busbw_GBps": 9.0}},
  {"size": 2048, "type": "half", "out_of_place": {"busbw_GBps": 9.0}}]}
JSON
"$braid" doctor --sweep "$out/two_types.json" --topology "$(dirname "$0")/../data/topology/hgx_h800.xml" --json \
  > "$out/two_types.report.json"
/usr/bin/python3 - "$out/two_types.report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
assert [(s["bytes"], s["measured_busbw_GBps"]) for s in report["sizes"]] == [(1024, 1.0), (2048, 2.0)], report["sizes"]
assert report["findings"] == [] and "no probes" in report["note"], report
assert all(s["predicted_busbw_GBps"] > 0 for s in report["sizes"])
PY
echo "braid plan CLI: OK"
