#!/usr/bin/env bash
# REINFORCE++ with OpenRLHF 0.11 on rlvrgym's MathAnswer-v0, rewarded over HTTP by `rlvrgym serve`
# (docs/integrations.md). Needs OpenRLHF installed the usual way (vllm, deepspeed) on a GPU machine.
set -euo pipefail
DATA=${DATA:-$HOME/data/rlvrgym}
TOKEN=${RLVRGYM_SERVE_TOKEN:-$(python3 -c "import secrets; print(secrets.token_urlsafe(24))")}

rlvrgym export openrlhf --env MathAnswer-v0 --split train --n 10000 --out "$DATA/train.jsonl"
RLVRGYM_SERVE_TOKEN="$TOKEN" rlvrgym serve --host 127.0.0.1 --port 8000 &   # the reward server (POST /get_reward)
trap 'kill %1' EXIT

python3 -m openrlhf.cli.train_ppo_ray \
    --actor.model_name_or_path Qwen/Qwen2.5-0.5B-Instruct \
    --data.prompt_dataset "$DATA/train.jsonl" --data.input_key prompt --data.label_key label \
    --data.apply_chat_template \
    --reward.remote_url "http://127.0.0.1:8000/get_reward?env=MathAnswer-v0&token=$TOKEN" \
    --rollout.n_samples_per_prompt 8 --algo.advantage.estimator group_norm "$@"
