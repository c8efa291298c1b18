"""`rlvrgym export <trainer> ...`: environment tasks written in a trainer's dataset format.

- `verl`: RL parquet rows (`data_source`, `prompt`, `ability`, `reward_model`, `extra_info`) that verl's
  `RLHFDataset` loads and `rlvrgym.integrations.verl.compute_score` scores.
- `openrlhf`: JSONL rows `{"prompt": [chat messages], "label": ...}` for `--data.input_key prompt
  --data.label_key label --data.apply_chat_template`, scored by `rlvrgym serve`'s `POST /get_reward`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def openrlhf_rows(env_id: str, n: int, *, split: str | None = "train", seed: int = 0,
                  env_kwargs: dict[str, Any] | None = None, system_prompt: str | None = None) -> list[dict[str, Any]]:
    """Rows whose `label` is the envelope `/get_reward` reads: `{"env", "reference", "context"}` as JSON text (a
    string column, so every row has one type; `context` is the reward context `env.step` would pass), and the task
    id for traceability."""
    from rlvrgym.integrations._scoring import env_id_of
    from rlvrgym.train.trl_adapter import as_messages, draw_tasks, make_env

    env_id = env_id_of(env_id)
    env = make_env(env_id, env_kwargs, split=split)  # type: ignore[arg-type]
    return [{"prompt": as_messages(t.prompt, system_prompt),
             "label": json.dumps({"env": env_id, "reference": t.reference, "context": env.reward_context(t)},
                                 sort_keys=True), "task_id": t.id}
            for t in draw_tasks(env, n, seed)]


def _env_kwargs(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SystemExit(f"--env-kwargs is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise SystemExit("--env-kwargs must be a JSON object")
    return value


def _cmd_export(args: argparse.Namespace) -> int:
    from rlvrgym.integrations._scoring import env_id_of

    try:
        env_id = env_id_of(args.env)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    split = None if args.split == "all" else args.split
    kwargs = {"split": split, "seed": args.seed, "env_kwargs": _env_kwargs(args.env_kwargs),
              "system_prompt": args.system_prompt}
    out = Path(args.out)
    if args.format == "verl":
        from rlvrgym.integrations.verl import export_rows, write_parquet

        rows = export_rows(env_id, args.n, **kwargs)
        write_parquet(rows, out)
    else:
        rows = openrlhf_rows(env_id, args.n, **kwargs)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"wrote {len(rows)} {args.format} rows of {env_id} ({args.split}) to {out}")
    return 0


def add_export_commands(subparsers: Any) -> None:
    export = subparsers.add_parser("export", help="write environment tasks in a trainer's dataset format",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = export.add_subparsers(dest="format", required=True)
    for name, what, suffix in (("verl", "verl RL parquet for RLHFDataset", ".parquet"),
                               ("openrlhf", "OpenRLHF prompt JSONL with labels for /get_reward", ".jsonl")):
        p = sub.add_parser(name, help=what)
        p.add_argument("--env", required=True, help="environment id, e.g. MathAnswer-v0")
        p.add_argument("--split", default="train", choices=["train", "test", "all"])
        p.add_argument("--n", type=int, required=True, help="number of distinct tasks")
        p.add_argument("--seed", type=int, default=0, help="first reset seed (rows are resets seed, seed+1, ...)")
        p.add_argument("--env-kwargs", help='environment arguments as JSON, e.g. \'{"difficulty": [1, 2]}\'')
        p.add_argument("--system-prompt", help="a system message put before each prompt")
        p.add_argument("--out", required=True, help=f"output path ({suffix})")
        p.set_defaults(func=_cmd_export)
