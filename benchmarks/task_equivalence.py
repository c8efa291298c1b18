"""Old against new task draws, over many seeds: write the fingerprints of a checkout's generators and resets, then
check another checkout against them.

    PYTHONPATH=<old checkout> python benchmarks/task_equivalence.py write /tmp/old.json [--seeds 3000]
    PYTHONPATH=<new checkout> python benchmarks/task_equivalence.py check /tmp/old.json

For every generator of the math, proof and physics families at every level (one above the top too), the seeds are
those `GeneratorSource.sample` draws (62-bit integers from one seeded stream, not 0..N, which
tests/test_task_snapshot.py pins), and for MathAnswer-v0, MathProof-v0 and PhysicsSim-v0, `reset(seed=s)` in both
splits. A fingerprint is tests/test_task_snapshot.py's hash of the whole task (id, prompt, reference, kind,
difficulty, meta, first observation). A change to a generator or to the draw must leave every fingerprint equal;
the test suite keeps a sample of these (tests/test_task_equivalence.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.test_task_snapshot import ENVS, FAMILIES, SPLITS, fingerprint, generator_keys


def wide_seeds(n: int, key: str) -> list[int]:
    """`n` seeds as a source draws them, from a stream named by `key` (so families do not share seeds)."""
    rng = np.random.default_rng(list(key.encode()))
    return [int(s) for s in rng.integers(2**62, size=n)]


def build(seeds: int, env_seeds: int, only: str | None) -> dict[str, list[str]]:
    import gymnasium as gym

    import rlvrgym  # noqa: F401  (registers the environments)

    out: dict[str, list[str]] = {}
    for family, name, level in generator_keys():
        key = f"{family}:{name}:{level}"
        if not seeds or (only and only not in key):
            continue
        generate = FAMILIES[family][0][name]
        tasks = [generate(np.random.default_rng(s), level) for s in wide_seeds(seeds, key)]
        out[key] = [fingerprint(t) for t in tasks]
        quick = getattr(generate, "prompt_of", None)
        if quick is not None:  # the split shortcut: the prompt alone, which must be the task's (None: no sketch)
            prompts = [quick(np.random.default_rng(s), level) for s in wide_seeds(seeds, key)]
            wrong = sum(p is not None and p != t.prompt for p, t in zip(prompts, tasks, strict=True))
            if wrong:
                raise SystemExit(f"{key}: prompt_of differs from the task's prompt for {wrong} of {seeds} seeds")
    for env_id in ENVS:
        for split in SPLITS:
            key = f"env:{env_id}:{split}"
            if not env_seeds or (only and only not in key):
                continue
            env = gym.make(env_id, split=split, disable_env_checker=True)
            prints = []
            for seed in range(env_seeds):
                observation, _ = env.reset(seed=seed)
                prints.append(fingerprint(env.unwrapped.task, observation))
            env.close()
            out[key] = prints
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["write", "check"])
    parser.add_argument("path", type=Path)
    parser.add_argument("--seeds", type=int, default=3000, help="seeds per generator and level")
    parser.add_argument("--env-seeds", type=int, default=2000, help="reset seeds per environment and split")
    parser.add_argument("--only", help="keys containing this text (e.g. 'physics:' or 'env:PhysicsSim')")
    args = parser.parse_args()
    start = time.perf_counter()
    if args.mode == "write":
        prints = build(args.seeds, args.env_seeds, args.only)
        args.path.write_text(json.dumps(prints), encoding="utf-8")
        print(f"wrote {sum(map(len, prints.values()))} fingerprints of {len(prints)} keys "
              f"in {time.perf_counter() - start:.0f} s")
        return
    old = json.loads(args.path.read_text(encoding="utf-8"))
    old = {k: v for k, v in old.items() if not args.only or args.only in k}
    env_keys = [k for k in old if k.startswith("env:")]
    gen_keys = [k for k in old if not k.startswith("env:")]
    new = build(len(old[gen_keys[0]]) if gen_keys else 0, len(old[env_keys[0]]) if env_keys else 0, args.only)
    bad = {k: sum(a != b for a, b in zip(v, new.get(k, []), strict=False)) or "missing"
           for k, v in old.items() if new.get(k) != v}
    total = sum(len(v) for v in old.values())
    print(f"checked {total} fingerprints of {len(old)} keys in {time.perf_counter() - start:.0f} s: "
          f"{'all equal' if not bad else f'{len(bad)} keys differ: {bad}'}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
