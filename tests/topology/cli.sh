#!/usr/bin/env bash
# braid topo as a user runs it: presets, formats, discovery, and a malformed file (exit 1, file:line:problem).
set -euo pipefail
braid=$1
data=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# expect PATTERN COMMAND...: the command succeeds and its output matches (no `| grep -q`: with pipefail, grep
# leaving early can fail the writer with SIGPIPE).
expect() {
  local pattern=$1 text
  shift
  text=$("$@")
  grep -q -- "$pattern" <<< "$text" || { echo "expected '$pattern' from: $*"; exit 1; }
}
[ "$("$braid" topo --list-presets | wc -l)" -ge 8 ]
expect "^NPU0  X     HCCS  HCCS  HCCS  HCCS  HCCS  HCCS  HCCS" "$braid" topo --preset atlas-800t-a2 --format matrix
expect '"class": "NV18"' "$braid" topo --preset dgx-h100 --format json
"$braid" topo --preset metax-c500 --format dot -o "$out/metax.dot" && grep -q "metaxlink 64 GB/s" "$out/metax.dot"
expect "^GPU0    X       NV12" "$braid" topo --file "$data/topology/nccl_dump_dgx_a100.xml" --format matrix
expect "^  cpu numaid=" "$braid" topo --format text
"$braid" topo --preset dgx-a100 --format xml -o "$out/a.xml"
"$braid" topo --file "$out/a.xml" --format xml | cmp - "$out/a.xml"
printf '<system version="1">\n  <cpu numaid="0">\n    <pci busid="0000:01:00.0"/>\n    <pci busid="0000:01:00.0"/>\n  </cpu>\n</system>\n' > "$out/bad.xml"
set +e
message=$("$braid" topo --file "$out/bad.xml" 2>&1)
status=$?
set -e
echo "$message"
[ "$status" -eq 1 ]
grep -q "bad.xml:4: duplicate busid 0000:01:00.0 (first at line 3)" <<< "$message"
"$braid" topo --preset no-such-system > /dev/null 2>&1 && exit 1
echo "braid topo CLI: OK"
