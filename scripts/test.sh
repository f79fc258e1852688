#!/usr/bin/env bash
# Every test: install, build, then the whole CTest suite (unit, simulator, multi-process, conformance, collperf
# checks, launchers, install).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cd build
ctest --output-on-failure --timeout 900
