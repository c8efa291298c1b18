#!/usr/bin/env bash
# GRPO with verl 0.9 on rlvrgym's MathAnswer-v0, rewarded by rlvrgym's verifiers (docs/integrations.md).
# Needs a GPU machine with verl installed the usual way (its vllm/fsdp extra) and `pip install rlvrgym` beside it.
# MODEL and the sizes are examples; the reward.* lines are the integration. Extra overrides pass through ("$@").
set -euo pipefail
DATA=${DATA:-$HOME/data/rlvrgym}
MODEL=${MODEL:-Qwen/Qwen2.5-0.5B-Instruct}

rlvrgym export verl --env MathAnswer-v0 --split train --n 10000 --out "$DATA/train.parquet"
rlvrgym export verl --env MathAnswer-v0 --split test --n 500 --out "$DATA/test.parquet"

python3 -m verl.trainer.main_ppo \
    algorithm.adv_estimator=grpo \
    data.train_files="$DATA/train.parquet" \
    data.val_files="$DATA/test.parquet" \
    data.train_batch_size=256 \
    data.max_prompt_length=512 \
    data.max_response_length=1024 \
    data.filter_overlong_prompts=True \
    actor_rollout_ref.model.path="$MODEL" \
    actor_rollout_ref.actor.optim.lr=1e-6 \
    actor_rollout_ref.actor.ppo_mini_batch_size=64 \
    actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=8 \
    actor_rollout_ref.actor.use_kl_loss=True \
    actor_rollout_ref.actor.kl_loss_coef=0.001 \
    actor_rollout_ref.rollout.name=vllm \
    actor_rollout_ref.rollout.n=8 \
    actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu=16 \
    actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu=16 \
    reward.custom_reward_function.path=pkg://rlvrgym.integrations.verl \
    reward.custom_reward_function.name=compute_score \
    reward.num_workers=8 \
    trainer.logger='["console"]' \
    trainer.project_name=rlvrgym \
    trainer.experiment_name=math_answer_grpo \
    trainer.n_gpus_per_node=1 \
    trainer.nnodes=1 \
    trainer.total_epochs=1 "$@"
