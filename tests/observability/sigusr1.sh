#!/usr/bin/env bash
# kill -USR1 on a live rank dumps its communicators' state to the log (BRAID_DEBUG_FILE, one file per pid).
set -euo pipefail
collperf=$1
dir=$(mktemp -d)
# collperf and its ranks run in a process group of their own, so that cleanup ends every one of them.
parent=""
trap '[ -n "$parent" ] && kill -TERM -- -"$parent" 2>/dev/null; rm -rf "$dir"' EXIT
BRAID_DEBUG=WARN BRAID_DEBUG_FILE="$dir/log.%p" \
  setsid "$collperf" allreduce -b 16M -e 16M -n 100000 -w 0 -c 0 -np 2 > /dev/null &
parent=$!
kids=""
for _ in $(seq 600); do  # sanitizer builds start slowly
  kids=$(pgrep -P "$parent" | tr '\n' ' ' || true)
  [ "$(wc -w <<< "$kids")" -eq 2 ] && break
  sleep 0.05
done
# Signal only once both ranks catch SIGUSR1 (the handler is installed with their first communicator).
caught() { (( (16#$(awk '/^SigCgt/ {print $2}' "/proc/$1/status") >> 9) & 1 )); }
for _ in $(seq 600); do
  ready=0
  for k in $kids; do caught "$k" && ready=$((ready + 1)); done
  [ "$ready" -eq 2 ] && break
  sleep 0.05
done
kill -USR1 $kids
for _ in $(seq 200); do
  [ "$(cat "$dir"/log.* 2>/dev/null | grep -c 'issued' || true)" -ge 2 ] && break
  sleep 0.05
done
cat "$dir"/log.*
grep -q "SIGUSR1: 1 communicator(s) in this process" "$dir"/log.*
[ "$(cat "$dir"/log.* | grep -c 'rank [01]/2: issued')" -ge 2 ]
echo "SIGUSR1 dump: OK"
