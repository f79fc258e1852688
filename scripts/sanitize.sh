#!/usr/bin/env bash
# Builds Braid with sanitizers in ./build-<name> and runs the test suite under them.
# usage: scripts/sanitize.sh address,undefined|thread
# Left out: the soak test (its memory-growth check measures the sanitizer's own quarantine and shadow memory),
# the install test and the build against NCCL's own header (they mix instrumented and plain binaries) and mpirun across namespaces (LeakSanitizer
# reports OpenMPI's own allocations in components it has unloaded, which no suppression can name), and the test
# that runs ranks out of file descriptors (the sanitizer runtimes need descriptors of their own: UBSan's memory
# checks open a pipe, and report "invalid vptr" when they cannot). Under
# ThreadSanitizer the 8-rank runs and the namespace-cluster runs are also left out to keep CI within its time;
# the 1-4 rank runs exercise the same code, and every network (sockets, striped sockets, libfabric, the plugin)
# runs in the multi-process tests. So is the schedule simulator's sweep of the algorithm registry over 1..64
# ranks (~8 min under TSan): it runs on one thread, where TSan can find nothing; ASan+UBSan run it.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=$1
dir=build-${kind%%,*}
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBRAID_SANITIZE="$kind" > /dev/null
cmake --build "$dir"
exclude="Soak|install_and_consume|real_nccl_header|multinode_mpirun|TooFewFileDescriptors"
[ "$kind" = thread ] && exclude="$exclude|8ranks|conformance_8|multinode_|braid_doctor|AlgorithmSimulator"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/tests/sanitizers/lsan.supp
# Ranks are forked from a process whose bootstrap root thread waits in poll(): allowed, see bootstrap.cc.
export TSAN_OPTIONS="die_after_fork=0 halt_on_error=1 abort_on_error=1 suppressions=$PWD/tests/sanitizers/tsan.supp"
cd "$dir"
ctest --output-on-failure --timeout 600 -E "$exclude"
