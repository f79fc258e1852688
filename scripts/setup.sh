#!/usr/bin/env bash
# Installs what is missing on Debian 12 (apt packages by name; torch 2.x from PyPI, scripts/setup_torch2.sh) and
# builds Braid in ./build.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake g++ ninja-build pkg-config clang-format libgtest-dev libcli11-dev nlohmann-json3-dev libfp16-dev
          libopenmpi-dev openmpi-bin clang libclang-rt-14-dev libhwloc-dev libpugixml-dev
          libibverbs-dev libfabric-dev libfabric-bin nftables graphviz python3-dev python3-torch libtorch-dev pybind11-dev
          python3-venv)
missing=()
for p in "${packages[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# torch_braid is built for Debian's torch 1.13 and, in a virtual environment outside the clone, torch 2.x from PyPI.
torch2_python=""
[ "${BRAID_TORCH2:-1}" = 0 ] || torch2_python=$(bash scripts/setup_torch2.sh)

suite_path=""
[ -z "$torch2_python" ] || suite_path="$(dirname "$(dirname "$torch2_python")")/debian-python-path"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBRAID_TORCH2_PYTHON="$torch2_python" \
  -DBRAID_TORCH_SUITE_PYTHONPATH="$suite_path" > /dev/null
cmake --build build
