#!/usr/bin/env bash
# The main job on a fresh machine: installs what it needs, then plays every environment with the sanity policies
# (an oracle must score 1, refusals and echoes of the question 0) and prints the table.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
ensure_python_env
if declare -F ensure_docker >/dev/null; then ensure_docker; fi
cd "$ROOT"
"$VENV/bin/rlvrgym" demo --episodes "${EPISODES:-20}" "$@"
