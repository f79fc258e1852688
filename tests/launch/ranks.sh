# Shared by the launch tests (sourced): collperf ranks forked by hand, and checks of rank 0's output. The caller
# sets `collperf` (the binary), `out` (a folder for the outputs), `nranks`, `separate_hosts` (1: each rank its own
# host identity, so they talk over the network), and the arrays `rank_env` (every run's environment) and
# `collperf_args`.

# run NAME ENV...: the ranks, each with ENV; output in $out/NAME<rank>.txt; non-zero when any rank fails.
run() {
  local name=$1 port=$((20000 + RANDOM % 12000)) pids=() status=0 r host
  shift
  for ((r = 0; r < nranks; r++)); do
    host=$([ "$separate_hosts" = 1 ] && echo "host$r" || echo "one-host")
    env "${rank_env[@]}" "$@" BRAID_HOSTID="$host" BRAID_RANK=$r BRAID_NRANKS=$nranks BRAID_COMM_ID=127.0.0.1:$port \
      timeout 60 "$collperf" "${collperf_args[@]}" > "$out/$name$r.txt" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || status=1; done
  return $status
}

# expect NAME PATTERN: rank 0's output matches, else the test fails showing it.
expect() {
  if ! grep -q "$2" "$out/${1}0.txt"; then
    echo "failed: $1: expected '$2' in rank 0's output"
    cat "$out/${1}0.txt"
    exit 1
  fi
}
