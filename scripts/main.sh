#!/usr/bin/env bash
# The main job on a fresh machine: installs what it needs, then benchmarks every environment with the sanity
# policies (`oracle` must score 100%, `adversary`, known reward hacks and echoes of the question, 0), prints the
# table and leaves the run directories (report.md, summary.json, episodes.jsonl, plots/*.png) under runs/bench/.
# Then a short learning run (`rlvrgym train study --quick`, a few minutes on a CPU): a tiny model from scratch, SFT
# on worked solutions, GRPO on the verified reward, and its held-out accuracy before and after GRPO, so the rewards
# are seen turning into learning. LEARN=0 skips it; its report is runs/learn/report.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
ensure_python_env
if declare -F ensure_docker >/dev/null; then ensure_docker; fi
cd "$ROOT"
"$VENV/bin/rlvrgym" bench --policy oracle --policy adversary --episodes "${EPISODES:-20}" "$@"
if [[ "${LEARN:-1}" != 0 ]]; then
  echo
  echo "== a short learning run: SFT start, then GRPO on the verified reward (rlvrgym train study --quick) =="
  mkdir -p runs/learn
  # trainer chatter goes to a log; the study prints its own progress and the before/after accuracy
  if ! "$VENV/bin/rlvrgym" train study --quick --output-dir runs/learn 2>runs/learn/stderr.log; then
    tail -n 30 runs/learn/stderr.log >&2
    exit 1
  fi
fi
