#!/bin/sh
# Makes bench/.venv with the Python peers of the bench (PyTorch and numpy, pinned in
# requirements.txt, from the package index pip is configured for). run.js uses bench/.venv/bin/python
# when BENCH_PYTHON is not set. Usage: sh bench/setup-python.sh [python3]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
python=${1:-python3}
"$python" -m venv "$here/.venv"
"$here/.venv/bin/python" -m pip install --upgrade pip
"$here/.venv/bin/python" -m pip install -r "$here/requirements.txt"
"$here/.venv/bin/python" -c "import torch, numpy; print('bench/.venv: torch', torch.__version__, 'numpy', numpy.__version__)"
