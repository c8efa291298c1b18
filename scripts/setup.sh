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
    # ray: the distributed executor's extra (tests/test_distributed.py runs a simulated multi-node cluster)
    "$VENV/bin/python" -m pip install -q -e "$ROOT[train,dev,reasoning-gym,ray,serve,integrations]"
    # The trainers' own code for tests/test_integrations_*.py, without their GPU stacks (see pyproject's extra).
    "$VENV/bin/python" -m pip install -q --no-deps verl==0.9.1 tensordict==0.10.0 openrlhf==0.11.2
}

engine_up() { "$VENV/bin/python" -c "import docker; docker.from_env(timeout=5).ping()" >/dev/null 2>&1; }

ensure_docker() {
    # The Docker engine and the code sandbox image; CI runs the Docker tests for real, so a failure here is fatal.
    if ! command -v dockerd >/dev/null 2>&1; then
        as_root apt-get update -q
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io debootstrap
    fi
    command -v debootstrap >/dev/null 2>&1 || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap
    if ! engine_up; then
        as_root sh -c 'nohup dockerd > /var/log/rlvrgym-dockerd.log 2>&1 & echo $! > /run/rlvrgym-dockerd.pid'
        for _ in $(seq 60); do engine_up && break; sleep 1; done
    fi
    if ! engine_up; then  # a host without iptables or a bridge: the sandbox needs neither (network_mode=none)
        as_root sh -c 'kill "$(cat /run/rlvrgym-dockerd.pid)" 2>/dev/null; sleep 3
            nohup dockerd --iptables=false --bridge=none > /var/log/rlvrgym-dockerd.log 2>&1 &'
        for _ in $(seq 60); do engine_up && break; sleep 1; done
    fi
    engine_up || { echo "the Docker engine did not start: see /var/log/rlvrgym-dockerd.log" >&2; return 1; }
    # Cached by content hash: a second run finds the image and returns at once. Offline recipe when no registry.
    as_root "$VENV/bin/python" -m rlvrgym.sandbox.cli sandbox build-image
}
