#!/usr/bin/env bash
# Everything a fresh Debian machine with Python 3.11 needs, idempotent: sourced by scripts/test.sh and scripts/main.sh.
# RLVRGYM_VENV picks the virtual environment (default .venv in the repository).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${RLVRGYM_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_python_env() {
    if [ ! -x "$VENV/bin/python" ]; then
        "$PY" -m venv "$VENV" || { as_root apt-get update -q && as_root apt-get install -y -q python3-venv && "$PY" -m venv "$VENV"; }
    fi
    "$VENV/bin/python" -m pip install -q --upgrade pip
    # torch is pinned to the CPU build first, so trl/transformers do not pull a multi-GB CUDA build.
    "$VENV/bin/python" -m pip install -q "torch==2.13.0"
    "$VENV/bin/python" -m pip install -q -e "$ROOT[train,dev]"
}
