#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in ./build-fuzz and runs each for a fixed time (FUZZ_SECONDS, default
# 30) over a scratch copy of its corpus; any crash, leak or sanitizer finding fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-30}
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
      -DCMAKE_CXX_COMPILER=clang++ -DBRAID_FUZZ=ON -DBRAID_TESTS=OFF > /dev/null
targets=(bootstrap_messages topology_xml tuning_file)
cmake --build build-fuzz --target "${targets[@]/#/fuzz_}"
for target in "${targets[@]}"; do
  work=$(mktemp -d)
  cp tests/fuzz/corpus/$target/* "$work"/
  echo "fuzzing $target for $seconds s"
  # Crash inputs and reports stay in ./build-fuzz/findings for the developer to reproduce.
  mkdir -p build-fuzz/findings
  if ! ./build-fuzz/tests/fuzz/fuzz_$target -max_total_time="$seconds" -print_final_stats=1 \
         -artifact_prefix=build-fuzz/findings/ "$work" > "build-fuzz/findings/$target.log" 2>&1; then
    cat "build-fuzz/findings/$target.log"
    exit 1
  fi
  tail -4 "build-fuzz/findings/$target.log"
  rm -rf "$work"
done
