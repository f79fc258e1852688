#!/usr/bin/env bash
# Installs the build into a scratch prefix and uses it the ways our users do: plain cc with -lnccl, a C++
# compile of the headers, find_package(Braid) from CMake, pkg-config, and the installed collperf.
set -euo pipefail
build=$1
src=$2
cmake=${CMAKE:-cmake}
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT

"$cmake" --install "$build" --prefix "$prefix" > /dev/null
for f in include/nccl.h include/braid/braid.h lib/libbraid.so lib/libnccl.so lib/libnccl.so.2 bin/collperf \
         lib/cmake/Braid/BraidConfig.cmake lib/pkgconfig/braid.pc; do
  test -e "$prefix/$f" || { echo "missing $f in the installed tree"; exit 1; }
done

cc -std=c11 -Wall -Werror -I"$prefix/include" "$src/tests/c_api/conformance.c" -L"$prefix/lib" -lnccl -lm \
   -Wl,-rpath,"$prefix/lib" -o "$prefix/conformance"
"$prefix/conformance" 3

printf '#include <nccl.h>\n#include <braid/braid.h>\nint main() { return ncclSuccess; }\n' > "$prefix/headers.cc"
c++ -std=c++17 -Wall -Werror -I"$prefix/include" -c "$prefix/headers.cc" -o "$prefix/headers.o"

mkdir -p "$prefix/consumer"
cat > "$prefix/consumer/CMakeLists.txt" <<'CML'
cmake_minimum_required(VERSION 3.25)
project(consumer C)
find_package(Braid REQUIRED)
add_executable(version version.c)
target_link_libraries(version Braid::braid)
CML
cat > "$prefix/consumer/version.c" <<'C'
#include <stdio.h>
#include <nccl.h>
int main(void) { int v = 0; if (ncclGetVersion(&v) != ncclSuccess) return 1; printf("version %d\n", v); return v == NCCL_VERSION_CODE ? 0 : 1; }
C
"$cmake" -S "$prefix/consumer" -B "$prefix/consumer/build" -DCMAKE_PREFIX_PATH="$prefix" > /dev/null
"$cmake" --build "$prefix/consumer/build" > /dev/null
LD_LIBRARY_PATH="$prefix/lib" "$prefix/consumer/build/version"

flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs braid)
cc -std=c11 "$prefix/consumer/version.c" $flags -o "$prefix/version-pc"
"$prefix/version-pc"

sweep=$("$prefix/bin/collperf" allreduce -b 8 -e 64K -f 8 -np 2 -w 1 -n 2)
grep -q "Out of bounds values : 0 OK" <<< "$sweep"

# The PyTorch backend, when the build has it: importable from the prefix, and working (one rank).
if [ -d "$build/python/torch_braid" ]; then
  package=$(find "$prefix" -type d -name torch_braid)
  [ -n "$package" ] || { echo "torch_braid is missing from the installed tree"; exit 1; }
  PYTHONPATH=$(dirname "$package") /usr/bin/python3 - "$prefix/rendezvous" <<'PY'
import sys, torch, torch.distributed as dist, torch_braid
assert torch_braid.__file__.startswith(sys.argv[1].rsplit("/", 1)[0]), torch_braid.__file__
dist.init_process_group("braid", init_method="file://" + sys.argv[1], rank=0, world_size=1)
t = torch.arange(4.0)
dist.all_reduce(t)
assert t.tolist() == [0.0, 1.0, 2.0, 3.0]
dist.destroy_process_group()
PY
fi
echo "install and consume: OK"
