"""Math-proof benchmark: steps checked per second (median, p99), the time split between the numeric test and sympy,
a sympy-only checker on the same steps as the baseline, first-error accuracy on the hand-written derivations, and
the issue-18 forms (identities from the right, sums and products with symbolic bounds, index i).

    .venv/bin/python benchmarks/math_proof.py [--tasks 20] [--seed 0]

Workload: for each kind, `--tasks` generated tasks over difficulty 1-5, each checked twice (its correct derivation
and a copy with one planted error). Timings are in-process (`judge_timed`, no worker round trip); the target is a
median under 5 ms per step. The baseline judges the same steps with `sympy.simplify(a - b) == 0` for chain links
and `sympy.solveset` for equations, the usual approach of a sympy-only step checker.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from rlvrgym.tasks.base import GeneratorSource, Task
from rlvrgym.tasks.proof_export import corrupted
from rlvrgym.tasks.proof_generators import PROOF_GENERATORS
from rlvrgym.verifiers.math_proof import checks, judge
from rlvrgym.verifiers.math_proof.verifier import MathProofVerifier


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def workload(n: int, seed: int) -> list[tuple[str, Task, str]]:
    source = GeneratorSource(PROOF_GENERATORS, [1, 2, 3, 4, 5])
    inline = MathProofVerifier(isolation="inline")
    out = []
    for kind in sorted(PROOF_GENERATORS):
        for i in range(n):
            rng = np.random.default_rng([seed, i])
            task = source.make(kind, 1 + i % 5, int(rng.integers(2**62)))
            out.append((kind, task, "\n".join(task.meta["solution"])))
            bad = corrupted(task, inline, rng)
            if bad is not None:
                out.append((kind, task, bad["completion"]))
    return out


@contextmanager
def sympy_only() -> Iterator[None]:
    """Swap the numeric-first checks for plain sympy ones (the baseline), then restore them."""
    saved = judge.same_function, judge.solve_equation

    def same(prev: sp.Expr, new: sp.Expr, domain: Any, **_: Any) -> checks.FunctionMatch:
        return checks.FunctionMatch(bool(sp.simplify(prev - new) == 0), how="symbolic")

    def solve(lhs: sp.Expr, rhs: sp.Expr, var: sp.Symbol, positive: bool, timing: Any,
              excluded: Any = ()) -> list[tuple[Any, ...]]:
        found = sp.solveset(sp.Eq(lhs, rhs), var, domain=sp.S.Reals)
        if not isinstance(found, sp.FiniteSet):
            raise checks.Undecided("not a finite set")
        return sorted((checks.mpmath.mpf(str(sp.N(r, 30))),) for r in found)

    judge.same_function, judge.solve_equation = same, solve  # type: ignore[assignment]
    try:
        yield
    finally:
        judge.same_function, judge.solve_equation = saved


def run(items: list[tuple[str, Task, str]]) -> dict[str, Any]:
    verifier = MathProofVerifier(isolation="inline")
    per_kind: dict[str, list[float]] = {}
    numeric = symbolic = 0.0
    for kind, task, completion in items:
        _, timing, seconds = verifier.judge_timed(completion, task.reference)
        per_kind.setdefault(kind, []).extend(seconds)
        numeric += timing.numeric
        symbolic += timing.symbolic
    every = [s for v in per_kind.values() for s in v]
    return {"per_kind": per_kind, "all": every, "numeric": numeric, "symbolic": symbolic, "total": sum(every)}


def first_error_accuracy() -> tuple[int, int, int, int, list[str]]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.test_math_proof_cases import CASES

    verifier = MathProofVerifier(isolation="inline")
    err_ok = err_n = ok_ok = ok_n = 0
    misses = []
    for name, task, completion, label, _ in CASES:
        got = verifier.judge(completion, task).details.get("first_error")
        if label >= 0:
            err_n += 1
            err_ok += got == label
        else:
            ok_n += 1
            ok_ok += got == label
        if got != label:
            misses.append(f"{name}: expected {label}, got {got}")
    return err_ok, err_n, ok_ok, ok_n, misses


def forms_table() -> list[str]:
    """The derivation forms of issue 18 (tests/test_math_proof_forms.py): verdicts right, and time per step."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.test_math_proof_forms import INDEX_I, RIGHT_TO_LEFT, SUMS

    verifier = MathProofVerifier(isolation="inline")
    rows = []
    for name, cases in (("identity from the right", RIGHT_TO_LEFT), ("sums and products", SUMS),
                        ("index i", INDEX_I)):
        right, seconds = 0, []
        for _, task, completion, label, complete in cases:
            verdict, _, steps = verifier.judge_timed(completion, task)
            seconds += steps
            right += verdict.details.get("first_error") == label and verdict.correct is complete
        rows.append(f"| {name} | {len(cases)} | {right} ({right / len(cases):.0%}) | {len(seconds)} | "
                    f"{statistics.median(seconds) * 1e3:.2f} | {pct(seconds, 0.99) * 1e3:.2f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=20, help="generated tasks per kind (default 20)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    items = workload(args.tasks, args.seed)
    run(items[:12])  # warm caches (parser, mpmath contexts, sympy's own) before timing
    t0 = time.perf_counter()
    ours = run(items)
    ours_wall = time.perf_counter() - t0
    with sympy_only():
        t0 = time.perf_counter()
        base = run(items)
        base_wall = time.perf_counter() - t0

    print(f"## Step checking ({len(items)} derivations, {len(ours['all'])} step lines, in-process)\n")
    print("| kind | steps | median ms | p99 ms | steps/s | baseline median ms | baseline p99 ms | speed-up (total) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind in sorted(ours["per_kind"]):
        a, b = ours["per_kind"][kind], base["per_kind"][kind]
        print(f"| {kind} | {len(a)} | {statistics.median(a) * 1e3:.2f} | {pct(a, 0.99) * 1e3:.2f} | "
              f"{len(a) / sum(a):.0f} | {statistics.median(b) * 1e3:.2f} | {pct(b, 0.99) * 1e3:.2f} | "
              f"{sum(b) / sum(a):.1f}x |")
    a, b = ours["all"], base["all"]
    print(f"| **all** | {len(a)} | {statistics.median(a) * 1e3:.2f} | {pct(a, 0.99) * 1e3:.2f} | "
          f"{len(a) / sum(a):.0f} | {statistics.median(b) * 1e3:.2f} | {pct(b, 0.99) * 1e3:.2f} | "
          f"{sum(b) / sum(a):.1f}x |")
    other = ours["total"] - ours["numeric"] - ours["symbolic"]
    print("\n## Where the time goes (ours)\n")
    print("| part | seconds | share |\n|---|---:|---:|")
    for name, value in (("numeric test (mpmath at random points)", ours["numeric"]),
                        ("sympy (solving, poles, confirmation, calculus)", ours["symbolic"]),
                        ("parsing, diff/limit of calculus notation, bookkeeping", other)):
        print(f"| {name} | {value:.3f} | {value / ours['total']:.0%} |")
    print(f"\nwall time: ours {ours_wall:.2f} s, sympy-only baseline {base_wall:.2f} s "
          f"(ratio {base_wall / ours_wall:.1f}x); target: median under 5 ms per step "
          f"({'met' if statistics.median(a) < 0.005 else 'NOT met'})")

    err_ok, err_n, ok_ok, ok_n, misses = first_error_accuracy()
    acc_err, acc_ok = err_ok / err_n, ok_ok / ok_n
    f1 = 2 * acc_err * acc_ok / (acc_err + acc_ok) if acc_err + acc_ok else 0.0
    print("\n## First-error accuracy on the hand-written derivations (tests/test_math_proof_cases.py)\n")
    print("| subset | derivations | first error named exactly |\n|---|---:|---:|")
    print(f"| with an error | {err_n} | {err_ok} ({acc_err:.1%}) |")
    print(f"| without an error | {ok_n} | {ok_ok} ({acc_ok:.1%}) |")
    print(f"| ProcessBench F1 | {err_n + ok_n} | {f1:.3f} |")
    for miss in misses:
        print(f"- miss: {miss}")
    print("\n## Issue 18 forms (tests/test_math_proof_forms.py)\n")
    print("| class | derivations | verdict and first error exact | steps | median ms/step | p99 ms/step |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in forms_table():
        print(row)


if __name__ == "__main__":
    main()
