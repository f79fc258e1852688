#!/usr/bin/env bash
# Braid's libnccl.so.2 against programs built with NCCL's own header (the CUDA toolkit's, NCCL 2.28 here): the
# layout program built with it must print what Braid's header gives on every line both print (the config's
# size grows with each version, so it is left out), and the conformance program built with it, linked with
# Braid's libnccl, must pass with 4 ranks. Skips (77), saying so, where no NCCL header is installed.
# usage: real_header.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 source=$2
header=""
for dir in ${NCCL_HOME:+$NCCL_HOME/include} /usr/local/cuda/include /usr/include; do
  if [ -f "$dir/nccl.h" ] && ! grep -q "Braid" "$dir/nccl.h"; then header=$dir; break; fi
done
if [ -z "$header" ]; then
  echo "skipped: no NCCL nccl.h (set NCCL_HOME, or install the CUDA toolkit's NCCL)"
  exit 77
fi
version=$(awk '/#define NCCL_(MAJOR|MINOR|PATCH)/ {v = v (v ? "." : "") $3} END {print v}' "$header/nccl.h")
echo "NCCL's header: $header/nccl.h ($version)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cuda=(-I/usr/local/cuda/include)  # NCCL's header includes cuda_runtime.h
cc -std=c11 -I"$header" "${cuda[@]}" "$source/tests/c_api/abi_layout.c" -o "$work/layout_nccl"
cc -std=c11 -I"$source/include" "$source/tests/c_api/abi_layout.c" -o "$work/layout_braid"
"$work/layout_nccl" | grep -v -e '^sizeof(ncclConfig_t) ' -e '^initializer.size ' | sort > "$work/nccl.txt"
"$work/layout_braid" | sort > "$work/braid.txt"
mismatched=$(join "$work/nccl.txt" "$work/braid.txt" | awk '$2 != $3')
missing=$(join -v1 "$work/nccl.txt" "$work/braid.txt")
if [ -n "$mismatched$missing" ]; then
  echo "NCCL $version's header and Braid's differ (name, NCCL's value, Braid's):"
  echo "$mismatched"
  [ -z "$missing" ] || echo "not in Braid's header: $missing"
  exit 1
fi
echo "layout: $(wc -l < "$work/nccl.txt") values of NCCL $version's header equal Braid's"
cc -std=c11 -I"$header" "${cuda[@]}" "$source/tests/c_api/conformance.c" -L"$build" -lnccl -lm \
  -Wl,-rpath,"$build" -o "$work/conformance"
# -lnccl resolves to libbraid (libnccl.so is a link to it), not to the toolkit's NCCL.
ldd "$work/conformance" | grep -q "$build/libbraid.so" || { echo "not linked with Braid's libnccl"; exit 1; }
"$work/conformance" 4
