#!/usr/bin/env bash
# Every test: install, build, run the whole CTest suite (unit, simulator, multi-process, conformance, collperf
# checks, launchers, install), the fuzz targets for a fixed time, then the suite again under
# AddressSanitizer+UBSan and under ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Two at a time: the suite runs in ~2.5 min instead of ~4 on the 2-core CI VM, and no test depends on timing
# (braid doctor's planted faults, which its probes must tell apart, run alone: RUN_SERIAL).
(cd build && ctest --output-on-failure --timeout 900 -j2)
FUZZ_SECONDS=30 bash scripts/fuzz.sh
bash scripts/sanitize.sh address,undefined
bash scripts/sanitize.sh thread
