#!/usr/bin/env bash
# The main job on a fresh machine: installs what it needs, then benchmarks every environment with the sanity
# policies (`oracle` must score 100%, `adversary`, known reward hacks and echoes of the question, 0), prints the
# table and leaves the run directories (report.md, summary.json, episodes.jsonl, plots/*.png) under runs/bench/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
ensure_python_env
if declare -F ensure_docker >/dev/null; then ensure_docker; fi
cd "$ROOT"
"$VENV/bin/rlvrgym" bench --policy oracle --policy adversary --episodes "${EPISODES:-20}" "$@"
