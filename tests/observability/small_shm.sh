#!/usr/bin/env bash
# With a 1 MiB /dev/shm (a private tmpfs in a new mount namespace), init fails on every rank with a message
# that names the cause, instead of a SIGBUS later; and nothing is left behind in /dev/shm.
set -uo pipefail
collperf=$1
if ! unshare -m true 2>/dev/null; then
  echo "SKIP: cannot create a mount namespace here (needs root)"
  exit 77
fi
out=$(unshare -m sh -c "mount -t tmpfs -o size=1m tmpfs /dev/shm &&
  '$collperf' allreduce -b 8 -e 8 -np 2; echo \"exit=\$?\"; echo \"left=\$(ls /dev/shm | wc -l)\"" 2>&1)
echo "$out"
grep -q "/dev/shm too small" <<< "$out" || { echo "no clear message"; exit 1; }
grep -q "exit=2" <<< "$out" || { echo "collperf did not fail"; exit 1; }
grep -q "left=0" <<< "$out" || { echo "segments left in /dev/shm"; exit 1; }
echo "small /dev/shm: OK"
