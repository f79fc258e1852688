#!/usr/bin/env bash
# Creates (once) the virtual environment with torch 2.x from PyPI that torch_braid is also built and tested for,
# and prints its interpreter. It lives outside the clone, so later runs and CI reuse it:
# $BRAID_TORCH2_VENV, by default ~/.cache/braid/venv-torch-<version>. Debian's torch 1.13 (/usr/bin/python3)
# stays the main build's; BRAID_TORCH2=0 skips this one. <venv>/debian-python-path holds what torch 1.13's own test
# suite needs beyond Debian's packages.
set -euo pipefail

# The newest release that installs here (PyPI's Linux wheel is a CUDA build that also runs on the CPU).
torch_version=2.15.0
numpy_version=2.4.6
expecttest_version=0.3.0  # torch's test suite imports it (bindings/torch/tests/torch_suite.py)
venv="${BRAID_TORCH2_VENV:-$HOME/.cache/braid/venv-torch-$torch_version}"
stamp="$venv/.braid-ready-$torch_version-$numpy_version-$expecttest_version"

# A finished environment has the stamp; one cut short, or of other versions, is made anew.
if [ ! -f "$stamp" ]; then
  echo "setup_torch2: installing torch $torch_version from PyPI into $venv (about 5 GB, a few minutes)" >&2
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "torch==$torch_version" "numpy==$numpy_version" \
    "expecttest==$expecttest_version" >&2
  # Debian has no package of expecttest: torch 1.13's suite finds it here (same Python, pure Python).
  "$venv/bin/pip" install --quiet --disable-pip-version-check --target "$venv/debian-python-path" \
    "expecttest==$expecttest_version" >&2
  "$venv/bin/python" -c "import torch.distributed as d; assert d.is_available()"
  touch "$stamp"
fi
echo "$venv/bin/python"
