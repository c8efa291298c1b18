"""Our math verifier against the PyPI `math-verify` package, on the same pairs, in one run.

Prints agreement with the expected verdicts, median / p99 / max time per check, checks over the time bound, and the
speed ratio. Pairs: the policy and peer-fault cases below, plus generated problems answered right (the reference in
a sentence) and wrong (a perturbed reference).

    python benchmarks/math_verify.py [--generated 300] [--json out.json]
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from rlvrgym.tasks.math_generators import MATH_GENERATORS
from rlvrgym.verifiers import BoundedPool, get_verifier
from rlvrgym.verifiers.math.verifier import parse_reference

BOUND_S = 1.0

# (answer inside \boxed{}, reference, expected): the categories of math.md and the peers' known faults.
CASES = [
    ("1,000", "1000", True), ("3e8", "3\\times 10^8", True), ("-0", "0", True), ("2\\frac13", "\\frac73", True),
    ("\\frac13", "0.333", True), ("6.28", "2\\pi", False), ("0.3333333333", "\\frac13", True),
    ("(x+1)^2", "x^2+2x+1", True), ("\\binom{n+1}{2}", "\\frac{n(n+1)}{2}", True),
    ("\\sin 2x", "2\\sin x\\cos x", True), ("x=3", "3", True), ("2x=6", "x=3", True),
    ("y=2x+1", "2x-y+1=0", True), ("\\pm 2", "2,-2", True), ("x=2 \\text{ or } x=-2", "2,-2", True),
    ("\\emptyset", "\\varnothing", True), ("[2,\\infty)", "x\\ge 2", True), ("(1,2)", "x=1, y=2", True),
    ("\\langle 1,2,3\\rangle", "(1,2,3)", True),
    ("\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\begin{bmatrix}1&2\\\\3&4\\end{bmatrix}", True),
    ("50\\%", "50", True), ("30^\\circ", "30", True), ("\\$5", "5", True), ("5\\text{ cm}", "5", True),
    ("\\text{(B)}", "B", True),
    # peers' known faults (math.md)
    ("1-\\frac{1}{\\mathrm{e}}", "1", False), ("4\\sqrt(2)", "4", False),
    ("\\frac{1}{2^{99}}", "\\frac{1}{2^{98}}", False),
    ("\\frac{2^{2005}+1}{3\\cdot 2^{2006}}", "\\frac{1}{3\\cdot 2^{2006}}", False), ("10001", "10000", False),
    ("1\\%", "100", False), ("[1,2]", "(1,2)", False), ("10^{10^{10^{10}}}", "1", False),
    ("9999999999999999999!", "1", False),
]
# Hostile inputs: no expected verdict (not counted in agreement), only the time they take.
HOSTILE = ["(" * 300 + "1" + ")" * 300, "1" * 5000, "\\frac{" * 150 + "1" + "}{2}" * 150, "x^" * 200 + "2"]
SELF_CORRECTED = ("First \\boxed{6}. Wait, that double counts: \\boxed{5}.", "5", True)


def perturb(reference: str) -> str:
    """A wrong answer of the same shape."""
    return f"{reference} + 1" if "," not in reference and "\\begin" not in reference else f"{reference}, 12345"


def build_pairs(n_generated: int) -> list[tuple[str, str, bool | None]]:
    pairs: list[tuple[str, str, bool | None]] = [(f"So the answer is $\\boxed{{{a}}}$.", r, e) for a, r, e in CASES]
    pairs += [(f"So the answer is $\\boxed{{{a}}}$.", "1", None) for a in HOSTILE]
    pairs.append(SELF_CORRECTED)
    names = sorted(MATH_GENERATORS)
    for i in range(n_generated):
        name = names[i % len(names)]
        task = MATH_GENERATORS[name](np.random.default_rng(1000 + i), 1 + i % 5)
        ref = str(task.reference)
        pairs.append((f"Let me work it out.\n\nThe final answer is $\\boxed{{{ref}}}$.", ref, True))
        pairs.append((f"Let me work it out.\n\nThe final answer is $\\boxed{{{perturb(ref)}}}$.", ref, False))
    return pairs


def run_ours(verify: Callable[[str, str], object], pairs: list) -> tuple[list[float], list]:
    times, results = [], []
    for completion, reference, _ in pairs:
        start = time.perf_counter()
        verdict = verify(completion, reference)
        times.append(time.perf_counter() - start)
        results.append(verdict.correct is True)  # type: ignore[attr-defined]
    return times, results


def import_math_verify() -> Any:
    """This file is named like the package it measures: keep its folder off the path to import PyPI's."""
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    return importlib.import_module("math_verify")


def run_math_verify(pairs: list) -> tuple[list[float], list]:
    mv = import_math_verify()
    parse, verify = mv.parse, mv.verify

    times, results = [], []
    for completion, reference, _ in pairs:
        start = time.perf_counter()
        try:
            ok = bool(verify(parse(f"${reference}$"), parse(completion)))
        except Exception:  # a peer's crash counts as "not correct", as it would in training
            ok = False
        times.append(time.perf_counter() - start)
        results.append(ok)
    return times, results


def summarize(name: str, times: list[float], results: list[bool], pairs: list) -> dict[str, float]:
    judged = [(r, e) for r, (_, _, e) in zip(results, pairs, strict=True) if e is not None]
    agree = sum(r == e for r, e in judged)
    false_pos = sum(r and not e for r, e in judged)
    false_neg = sum(e and not r for r, e in judged)
    ms = sorted(t * 1000 for t in times)
    return {"name": name, "agreement": agree / len(judged), "false_correct": false_pos, "false_wrong": false_neg,
            "median_ms": statistics.median(ms), "p99_ms": ms[min(len(ms) - 1, int(0.99 * len(ms)))],
            "max_ms": ms[-1], "over_bound": sum(t > BOUND_S for t in times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generated", type=int, default=300, help="generated problems (each gives 2 pairs)")
    parser.add_argument("--json", help="also write the summary as JSON here")
    args = parser.parse_args()
    pairs = build_pairs(args.generated)
    rows = []

    inline = get_verifier("math", isolation="inline")
    inline.verify("\\boxed{1}", "1")  # imports and first-call set-up are not what we measure
    parse_reference.cache_clear()
    rows.append(summarize("rlvrgym (in-process)", *run_ours(inline.verify, pairs), pairs))

    pool = BoundedPool(1)
    bounded = get_verifier("math", pool=pool)
    bounded.verify("\\boxed{1}", "2")  # start the worker
    rows.append(summarize(f"rlvrgym (worker, {BOUND_S:g} s bound)", *run_ours(bounded.verify, pairs), pairs))
    pool.shutdown()

    import_math_verify().parse("$1$")
    rows.append(summarize("math-verify 0.9", *run_math_verify(pairs), pairs))

    base = rows[-1]["median_ms"]
    judged = sum(e is not None for _, _, e in pairs)
    table = Table(title=f"math verification: {len(pairs)} pairs ({judged} with a known verdict, "
                        f"{len(pairs) - judged} hostile)")
    for col in ("verifier", "agreement", "false correct", "false wrong", "median ms", "p99 ms", "max ms",
                f"> {BOUND_S:g} s", "median speed-up vs math-verify"):
        table.add_column(col, justify="right" if col != "verifier" else "left")
    for r in rows:
        table.add_row(r["name"], f"{r['agreement']:.1%}", str(r["false_correct"]), str(r["false_wrong"]),
                      f"{r['median_ms']:.3f}", f"{r['p99_ms']:.2f}", f"{r['max_ms']:.1f}", str(r["over_bound"]),
                      f"{base / r['median_ms']:.1f}x")
    Console(width=170).print(table)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"pairs": len(pairs), "rows": rows}, fh, indent=2)


if __name__ == "__main__":
    main()
