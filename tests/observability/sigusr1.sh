#!/usr/bin/env bash
# kill -USR1 on a live rank dumps its communicators' state to the log (BRAID_DEBUG_FILE, one file per pid).
set -euo pipefail
collperf=$1
dir=$(mktemp -d)
trap 'kill $parent $kids 2>/dev/null || true; rm -rf "$dir"' EXIT
BRAID_DEBUG=WARN BRAID_DEBUG_FILE="$dir/log.%p" \
  "$collperf" allreduce -b 16M -e 16M -n 100000 -w 0 -c 0 -np 2 > /dev/null &
parent=$!
kids=""
for _ in $(seq 200); do
  kids=$(pgrep -P "$parent" | tr '\n' ' ')
  [ "$(wc -w <<< "$kids")" -eq 2 ] && break
  sleep 0.05
done
sleep 1  # let the ranks finish init and start the sweep
kill -USR1 $kids
for _ in $(seq 100); do
  [ "$(cat "$dir"/log.* 2>/dev/null | grep -c 'issued')" -ge 2 ] && break
  sleep 0.05
done
cat "$dir"/log.*
grep -q "SIGUSR1: 1 communicator(s) in this process" "$dir"/log.*
[ "$(cat "$dir"/log.* | grep -c 'rank [01]/2: issued')" -ge 2 ]
echo "SIGUSR1 dump: OK"
