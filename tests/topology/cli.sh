#!/usr/bin/env bash
# braid topo as a user runs it: presets, formats, discovery, and a malformed file (exit 1, file:line:problem).
set -euo pipefail
braid=$1
data=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
[ "$("$braid" topo --list-presets | wc -l)" -ge 8 ]
"$braid" topo --preset atlas-800t-a2 --format matrix | grep -q "^NPU0  X     HCCS  HCCS  HCCS  HCCS  HCCS  HCCS  HCCS"
"$braid" topo --preset dgx-h100 --format json | grep -q '"class": "NV18"'
"$braid" topo --preset metax-c500 --format dot -o "$out/metax.dot" && grep -q "metaxlink 64 GB/s" "$out/metax.dot"
"$braid" topo --file "$data/topology/nccl_dump_dgx_a100.xml" --format matrix | grep -q "^GPU0    X       NV12"
"$braid" topo --format text | grep -q "^  cpu numaid="
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
