#!/usr/bin/env bash
# Every C and C++ source of the project as .clang-format lays it out: prints the files that differ (and how,
# for the first) and exits 1. Fix with: clang-format -i --style=file FILE.
# usage: check_format.sh ROOT
set -euo pipefail
cd "$1"
mapfile -t files < <(git ls-files '*.h' '*.cc' '*.c' '*.cu' 2>/dev/null || find . -name '*.h' -o -name '*.cc' -o -name '*.c' -o -name '*.cu')
bad=()
for f in "${files[@]}"; do
  clang-format --style=file --dry-run --Werror "$f" > /dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
  printf 'not formatted: %s\n' "${bad[@]}"
  clang-format --style=file "${bad[0]}" | diff "${bad[0]}" - | head -20 || true
  exit 1
fi
echo "${#files[@]} sources formatted as .clang-format says"
