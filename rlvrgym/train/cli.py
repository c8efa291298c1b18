"""`rlvrgym train` (GRPO), `rlvrgym train sft` (warm-start), `rlvrgym train tiny-model`, `rlvrgym train eval`,
`rlvrgym train study` (does GRPO on our rewards teach? which reward?) and `rlvrgym train distill`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rlvrgym.cli_args import json_object
from rlvrgym.rewards import AGGREGATIONS


def _json_object(text: str) -> dict[str, Any]:
    try:
        return json_object(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _env_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--env", default="MathAnswer-v0", help="environment id (default: MathAnswer-v0)")
    p.add_argument("--env-kwargs", type=_json_object, default={},
                   help='gym.make keyword arguments as JSON, e.g. \'{"tasks": "arithmetic", "difficulty": 1}\'')
    p.add_argument("--tasks", help="shortcut for env-kwargs tasks= (e.g. a generator name for MathAnswer-v0)")
    p.add_argument("--difficulty", type=int, nargs="+", help="shortcut for env-kwargs difficulty=")
    p.add_argument("--system-prompt", help="system message before each task prompt")
    p.add_argument("--seed", type=int, default=0)


def _device_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cpu", action="store_true", help="train on the CPU even when a GPU exists")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (logs still go to the JSONL)")


def env_kwargs_of(args: argparse.Namespace) -> dict[str, Any]:
    kwargs = dict(args.env_kwargs)
    if args.tasks is not None:
        kwargs["tasks"] = args.tasks
    if args.difficulty is not None:
        kwargs["difficulty"] = args.difficulty[0] if len(args.difficulty) == 1 else args.difficulty
    return kwargs


def add_train_commands(subparsers: Any) -> argparse.ArgumentParser:
    """Register `train` and its sub-commands on the `rlvrgym` argparse subparsers."""
    train = subparsers.add_parser(
        "train", allow_abbrev=False,
        help="train a policy with GRPO on an environment (sub-commands: sft, tiny-model, eval, study, distill)",
        description="GRPO with TRL on an rlvrgym environment; rewards come from the environment's verifier. "
                    "Writes the model, metrics.jsonl, rewards.png and summary.json to --output-dir.")
    train.add_argument("--model", help="model directory or hub name (e.g. one built by `rlvrgym train tiny-model`)")
    train.add_argument("--output-dir", default="runs/grpo")
    _env_options(train)
    train.add_argument("--num-tasks", type=int, default=512, help="distinct training tasks (train split)")
    train.add_argument("--task-seed", type=int, help="first seed of the task draw (default: --seed); after SFT, "
                       "pick a range the SFT chains did not use (they use --seed, --seed+1, ...)")
    train.add_argument("--max-steps", type=int, default=200)
    train.add_argument("--num-generations", type=int, default=8, help="completions per prompt (group size)")
    train.add_argument("--batch-size", type=int, default=16, help="completions per step (a multiple of the group)")
    train.add_argument("--grad-accum", type=int, default=1)
    train.add_argument("--learning-rate", type=float, default=1e-6)
    train.add_argument("--max-completion-length", type=int, default=256, help="tokens per completion")
    train.add_argument("--temperature", type=float, default=1.0)
    train.add_argument("--beta", type=float, default=0.0, help="KL coefficient (0: no reference model)")
    train.add_argument("--loss-type", default="dapo", help="TRL loss: dapo, grpo, dr_grpo, bnpo, ...")
    train.add_argument("--scale-rewards", default="group", choices=["group", "batch", "none"])
    train.add_argument("--num-iterations", type=int, default=1, help="policy updates per generated batch")
    train.add_argument("--outcome-weight", type=float, help="reward weights; unset ones keep the env's RewardSpec")
    train.add_argument("--process-weight", type=float)
    train.add_argument("--format-weight", type=float)
    train.add_argument("--length-weight", type=float)
    train.add_argument("--efficiency-weight", type=float, help="weight of min(1, min_steps / steps) (MathProof-v0)")
    train.add_argument("--aggregation", help="step aggregation: " + ", ".join(AGGREGATIONS))
    train.add_argument("--max-turns", type=int, help="play multi-turn episodes of up to this many model turns "
                       "(MathProof-v0 with mode=steps, CodeUnitTest-v0 with max_attempts > 1)")
    train.add_argument("--max-turn-tokens", type=int, default=256, help="tokens per model turn (multi-turn)")
    train.add_argument("--return-mode", default="sum", choices=["sum", "last"],
                       help="multi-turn reward: sum of the step rewards or the last one")
    train.add_argument("--logging-steps", type=int, default=1)
    train.add_argument("--no-save", action="store_true", help="do not save the final model")
    train.add_argument("--grpo-kwargs", type=_json_object, default={}, help="other trl.GRPOConfig fields as JSON")
    _device_options(train)
    train.set_defaults(func=cmd_train)

    sub = train.add_subparsers(dest="train_command", required=False, metavar="{sft,tiny-model,eval,study,distill}")
    sft = sub.add_parser("sft", help="supervised warm-start on reasoning chains (TRL SFTTrainer)",
                         description="Fine-tune on {question, thought_chain, solution} JSONL records, or on worked "
                                     "solutions generated by the environment's task generators; GRPO then starts "
                                     "from --output-dir.")
    sft.add_argument("--model", required=True, help="model directory or hub name")
    sft.add_argument("--output-dir", default="runs/sft")
    sft.add_argument("--data", help="reasoning-chain JSONL; default: generate chains from --env's tasks")
    _env_options(sft)
    sft.add_argument("--num-examples", type=int, default=2000, help="generated chains (without --data)")
    sft.add_argument("--max-steps", type=int, help="optimizer steps (default: --epochs epochs)")
    sft.add_argument("--epochs", type=float, default=1.0)
    sft.add_argument("--batch-size", type=int, default=16)
    sft.add_argument("--learning-rate", type=float, default=2e-5)
    sft.add_argument("--max-length", type=int, default=512, help="tokens per example")
    sft.add_argument("--logging-steps", type=int, default=10)
    sft.add_argument("--sft-kwargs", type=_json_object, default={}, help="other trl.SFTConfig fields as JSON")
    _device_options(sft)
    sft.set_defaults(func=cmd_sft)

    tiny = sub.add_parser("tiny-model", help="build a small random-weight model and a locally trained tokenizer",
                          description="No download: a byte-level BPE tokenizer trained on our generators' text and "
                                      "a Qwen2/Llama-style causal LM with random weights, saved to OUT_DIR.")
    tiny.add_argument("out_dir")
    tiny.add_argument("--arch", default="qwen2", choices=["qwen2", "llama"])
    tiny.add_argument("--vocab", type=int, default=1024)
    tiny.add_argument("--layers", type=int, default=2)
    tiny.add_argument("--hidden", type=int, default=64)
    tiny.add_argument("--heads", type=int, default=4)
    tiny.add_argument("--kv-heads", type=int, default=2)
    tiny.add_argument("--max-positions", type=int, default=1024)
    tiny.add_argument("--seed", type=int, default=0)
    tiny.set_defaults(func=cmd_tiny_model)

    ev = sub.add_parser("eval", help="held-out accuracy of a model on an environment's test split")
    ev.add_argument("--model", required=True)
    _env_options(ev)
    ev.add_argument("--n", type=int, default=500, help="test tasks")
    ev.add_argument("--max-new-tokens", type=int, default=256)
    ev.add_argument("--batch-size", type=int, default=64)
    ev.add_argument("--sample", action="store_true", help="sample at temperature 1 instead of greedy decoding")
    ev.add_argument("--json", action="store_true", help="print the result as JSON")
    ev.set_defaults(func=cmd_eval)
    _study_parser(sub)
    _distill_parser(sub)
    return train


def _study_parser(sub: Any) -> None:
    from rlvrgym.train.study import ARMS, DEFAULT_TASKS, StudyConfig

    study = sub.add_parser(
        "study", help="controlled GRPO experiment: one SFT start, arms with different rewards, held-out accuracy",
        description="One SFT checkpoint from scratch, then GRPO arms from it with the same budget: "
                    + "; ".join(f"{k}: {v}" for k, v in ARMS.items()) + ". Held-out accuracy (greedy and sampled) "
                    "with Wilson intervals, paired-bootstrap differences, all-equal group share, reward curves and "
                    "a distilled student; writes study.json, report.md, accuracy.png and rewards.png. The default "
                    "size fits a 2-core CPU in about 45 minutes; a rerun with the same --output-dir resumes.")
    study.add_argument("--output-dir", default="runs/study")
    study.add_argument("--quick", action="store_true",
                       help="a few minutes: the default SFT start, outcome arm only, one seed, 100 held-out "
                            "problems, no distillation")
    study.add_argument("--tiny", action="store_true", help="seconds per stage: checks the machinery only")
    study.add_argument("--arms", nargs="+", choices=list(ARMS),
                       help="arms to run (default: all four)")
    study.add_argument("--env", help="environment id (default: MathProof-v0)")
    study.add_argument("--env-kwargs", type=_json_object, help="gym.make keyword arguments as JSON (default: "
                       f"'{json.dumps(DEFAULT_TASKS)}')")
    study.add_argument("--no-distill", action="store_true", help="skip the distillation stage")
    sizes = {f.name: f for f in StudyConfig.__dataclass_fields__.values()
             if f.name not in ("output_dir", "env_id", "env_kwargs", "arms", "distill")}
    for name, f in sizes.items():
        default = f.default
        study.add_argument(f"--{name.replace('_', '-')}", type=type(default), dest=f"size_{name}",
                           help=f"default {default}")
    study.set_defaults(func=cmd_study)


def _distill_parser(sub: Any) -> None:
    d = sub.add_parser(
        "distill", help="rejection-sample a teacher on train problems, SFT a smaller student on what verifies",
        description="Sample the teacher on train-split problems (or read a `rlvrgym bench` run's episodes.jsonl), "
                    "keep only completions the environment's verifier accepts, fine-tune the student on them and "
                    "evaluate both on the same held-out problems. Writes distill.json, distill_samples.jsonl and "
                    "the student (student/) to --output-dir.")
    d.add_argument("--teacher", required=True, help="model directory or hub name, or a bench run directory")
    d.add_argument("--student", required=True, help="model directory, or tiny-model sizes as JSON, e.g. "
                   '\'{"hidden": 32, "layers": 1}\' (a new model with the teacher\'s tokenizer)')
    d.add_argument("--output-dir", default="runs/distill")
    _env_options(d)
    d.add_argument("--num-tasks", type=int, default=512, help="train problems to sample the teacher on")
    d.add_argument("--samples", type=int, default=4, help="teacher samples per problem")
    d.add_argument("--task-seed", type=int, default=200_000, help="first seed of the train-problem draw")
    d.add_argument("--temperature", type=float, default=1.0)
    d.add_argument("--max-new-tokens", type=int, default=256)
    d.add_argument("--max-steps", type=int, default=200, help="student SFT steps")
    d.add_argument("--batch-size", type=int, default=16)
    d.add_argument("--learning-rate", type=float, default=3e-3)
    d.add_argument("--eval-n", type=int, default=200, help="held-out problems for teacher and student")
    d.add_argument("--json", action="store_true", help="print the result as JSON")
    d.set_defaults(func=cmd_distill)


def _reward_spec(args: argparse.Namespace, env_id: str, env_kwargs: dict[str, Any]) -> Any:
    """The env's own RewardSpec, with the weights the user set on the command line replaced."""
    import dataclasses

    changes = {name: getattr(args, name) for name in
               ("outcome_weight", "process_weight", "format_weight", "length_weight", "efficiency_weight",
                "aggregation")
               if getattr(args, name) is not None}
    if not changes:
        return None
    from rlvrgym.train.trl_adapter import make_env

    return dataclasses.replace(make_env(env_id, env_kwargs).reward_spec, **changes)


def cmd_train(args: argparse.Namespace) -> int:
    if not args.model:
        print("rlvrgym train: --model is required (a model directory or hub name; build a tiny one with "
              "`rlvrgym train tiny-model DIR`)", file=sys.stderr)
        return 2
    from rlvrgym.train.grpo import GRPOTrainConfig, train_grpo

    env_kwargs = env_kwargs_of(args)
    try:
        config = GRPOTrainConfig(
            output_dir=args.output_dir, env_kwargs=env_kwargs, num_tasks=args.num_tasks, seed=args.seed,
            task_seed=args.task_seed,
            system_prompt=args.system_prompt, reward=_reward_spec(args, args.env, env_kwargs),
            max_steps=args.max_steps, num_generations=args.num_generations,
            per_device_train_batch_size=args.batch_size, gradient_accumulation_steps=args.grad_accum,
            learning_rate=args.learning_rate, max_completion_length=args.max_completion_length,
            temperature=args.temperature, beta=args.beta, loss_type=args.loss_type, scale_rewards=args.scale_rewards,
            num_iterations=args.num_iterations, logging_steps=args.logging_steps, save_model=not args.no_save,
            progress=not args.no_progress, use_cpu=True if args.cpu else None, grpo_kwargs=args.grpo_kwargs)
    except ValueError as exc:
        print(f"rlvrgym train: {exc}", file=sys.stderr)
        return 2
    multi_turn = None if args.max_turns is None else {
        "max_turns": args.max_turns, "max_turn_tokens": args.max_turn_tokens, "return_mode": args.return_mode}
    try:
        result = train_grpo(args.env, args.model, config, multi_turn=multi_turn)
    except ValueError as exc:
        print(f"rlvrgym train: {exc}", file=sys.stderr)
        return 2
    _print_summary(result.log_history, result.output_dir, result.reward_seconds, result.train_seconds)
    return 0


def _print_summary(log_history: list[dict[str, Any]], output_dir: Any, reward_s: float, train_s: float) -> None:
    from rich.console import Console

    from rlvrgym.train.grpo import PLOT_FILE, mean_of

    console = Console()
    steps = [r for r in log_history if "reward" in r]
    if steps:
        k = max(1, len(steps) // 4)
        first, last = mean_of(steps, "reward", slice(0, k)), mean_of(steps, "reward", slice(-k, None))
        console.print(f"reward: first {k} logged steps {first:.3f} -> last {k} {last:.3f}")
    console.print(f"train {train_s:.1f} s, of which reward computation {reward_s:.1f} s "
                  f"({100 * reward_s / max(train_s, 1e-9):.1f}%)")
    console.print(f"model, metrics.jsonl and {PLOT_FILE} in {output_dir}")


def cmd_sft(args: argparse.Namespace) -> int:
    from rlvrgym.train.sft import SFTTrainConfig, train_sft

    config = SFTTrainConfig(
        output_dir=args.output_dir, data=args.data, env_id=args.env, env_kwargs=env_kwargs_of(args),
        num_examples=args.num_examples, seed=args.seed, system_prompt=args.system_prompt, max_steps=args.max_steps,
        num_train_epochs=args.epochs, per_device_train_batch_size=args.batch_size, learning_rate=args.learning_rate,
        max_length=args.max_length, logging_steps=args.logging_steps, progress=not args.no_progress,
        use_cpu=True if args.cpu else None, sft_kwargs=args.sft_kwargs)
    try:
        out = train_sft(args.model, config)
    except (ValueError, FileNotFoundError) as exc:
        print(f"rlvrgym train sft: {exc}", file=sys.stderr)
        return 2
    print(f"SFT model in {out}; continue with: rlvrgym train --model {out} --env {args.env}")
    return 0


def cmd_tiny_model(args: argparse.Namespace) -> int:
    from transformers import AutoModelForCausalLM

    from rlvrgym.train.tiny import build_tiny_model, count_parameters

    try:
        out = build_tiny_model(args.out_dir, vocab=args.vocab, layers=args.layers, hidden=args.hidden,
                               heads=args.heads, kv_heads=args.kv_heads, max_positions=args.max_positions,
                               arch=args.arch, seed=args.seed)
    except ValueError as exc:
        print(f"rlvrgym train tiny-model: {exc}", file=sys.stderr)
        return 2
    n = count_parameters(AutoModelForCausalLM.from_pretrained(out))
    print(f"{args.arch} model with {n:,} parameters (random weights) and its tokenizer in {out}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from rlvrgym.train.evaluate import evaluate
    from rlvrgym.train.grpo import load_policy

    model, tokenizer = load_policy(args.model)
    result = evaluate(model, tokenizer, args.env, args.n, env_kwargs=env_kwargs_of(args),
                      max_new_tokens=args.max_new_tokens, batch_size=args.batch_size,
                      system_prompt=args.system_prompt, greedy=not args.sample)
    if args.json:
        print(json.dumps(result.to_dict()))
    else:
        print(f"accuracy {result.accuracy:.3f} on {result.n} test tasks of {args.env}; mean reward "
              f"{result.mean_reward:.3f}; verdicts {result.statuses}")
    return 0


def cmd_study(args: argparse.Namespace) -> int:
    from rlvrgym.train.study import StudyConfig, run_study

    overrides: dict[str, Any] = {k.removeprefix("size_"): v for k, v in vars(args).items()
                                 if k.startswith("size_") and v is not None}
    overrides["output_dir"] = args.output_dir
    if args.arms:
        overrides["arms"] = tuple(args.arms)
    if args.env:
        overrides["env_id"] = args.env
    if args.env_kwargs is not None:
        overrides["env_kwargs"] = args.env_kwargs
    if args.no_distill:
        overrides["distill"] = False
    try:
        if args.tiny:
            config = StudyConfig.tiny(**overrides)
        elif args.quick:
            config = StudyConfig.quick(**overrides)
        else:
            config = StudyConfig(**overrides)
        study = run_study(config, log=lambda line: print(line, flush=True))
    except ValueError as exc:
        print(f"rlvrgym train study: {exc}", file=sys.stderr)
        return 2
    start = study["start"]
    print(f"held-out accuracy before GRPO (SFT start): greedy {start['greedy']['rate']:.3f}, sampled "
          f"{start['sampled']['rate']:.3f}")
    for arm, row in study["arms"].items():
        d = row["sampled_vs_start"]
        print(f"after GRPO, {arm} arm: greedy {row['greedy']['rate']:.3f}, sampled {row['sampled']['rate']:.3f} "
              f"(sampled {100 * d['diff']:+.1f} points, 95% CI [{100 * d['ci_low']:+.1f}, {100 * d['ci_high']:+.1f}])")
    print(f"report: {config.output_dir}/report.md")
    return 0


def cmd_distill(args: argparse.Namespace) -> int:
    from rlvrgym.train.distill import DistillConfig, distill

    config = DistillConfig(
        teacher=args.teacher, student=args.student, output_dir=args.output_dir, env_id=args.env,
        env_kwargs=env_kwargs_of(args), num_tasks=args.num_tasks, samples=args.samples, task_seed=args.task_seed,
        temperature=args.temperature, max_new_tokens=args.max_new_tokens, sft_steps=args.max_steps,
        sft_batch=args.batch_size, sft_lr=args.learning_rate, eval_n=args.eval_n, seed=args.seed)
    try:
        result = distill(config)
    except (ValueError, OSError) as exc:  # OSError: a teacher or student path that does not load
        print(f"rlvrgym train distill: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({k: v for k, v in result.items() if not k.endswith("_eval")}
                         | {f"{w}_accuracy": {m: result[f"{w}_eval"][m]["accuracy"] for m in ("greedy", "sampled")}
                            for w in ("teacher", "student") if f"{w}_eval" in result}))
        return 0
    print(f"kept {result['kept']} of {result['sampled']} teacher completions ({result['accept_rate']:.0%} verified)")
    for who in ("teacher", "student"):
        if f"{who}_eval" in result:
            e = result[f"{who}_eval"]
            print(f"{who}: held-out greedy {e['greedy']['accuracy']:.3f}, sampled {e['sampled']['accuracy']:.3f}")
    print(f"student in {args.output_dir}/student")
    return 0
