"""Math task sources: the procedural generators and the curated set, each answer checked independently.

Generated references are recomputed here from the prompt alone, through a different LaTeX parser
(latex2sympy2_extended) and plain Python arithmetic, so a bug in a generator's own computation shows up.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Iterator
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from latex2sympy2_extended import latex2sympy
from sympy.calculus.util import continuous_domain, function_range, maximum

from rlvrgym.tasks.base import GeneratorSource, Task, split_of
from rlvrgym.tasks.math_answer_tasks import CATEGORIES, curated_math_records, curated_math_tasks
from rlvrgym.tasks.math_generators import (
    INSTRUCTION,
    MATH_GENERATORS,
    _arithmetic_sum,
    _bounded_compositions,
    _geometric_sum,
    math_generator_source,
)
from rlvrgym.verifiers import get_verifier

FAMILIES = sorted(MATH_GENERATORS)
LEVELS = range(1, 6)
SEEDS = range(6)
ANSWER_TYPES = {"integer", "rational", "exact", "expression", "set", "tuple"}
x, y = sp.symbols("x y")


def generated() -> Iterator[tuple[str, int, int, Task]]:
    for family in FAMILIES:
        for level in LEVELS:
            for seed in SEEDS:
                yield family, level, seed, MATH_GENERATORS[family](np.random.default_rng(seed), level)


TASKS = list(generated())
BY_KEY = {(family, level, seed): task for family, level, seed, task in TASKS}


def parse(latex: str) -> sp.Expr:
    """A reference or prompt fragment read by an independent parser, with `e` as Euler's number."""
    expr = latex2sympy(latex)
    return expr.subs(sp.Symbol("e"), sp.E) if isinstance(expr, sp.Basic) else expr


def math_spans(prompt: str) -> list[str]:
    return re.findall(r"\$\$?(.+?)\$\$?", prompt, flags=re.S)


def same(a: sp.Expr, b: sp.Expr) -> bool:
    """Exact equality; a clearly nonzero numeric difference settles it before the slow `simplify`."""
    diff = sp.sympify(a) - sp.sympify(b)
    if diff == 0 or sp.expand(diff) == 0:
        return True
    if not diff.free_symbols and abs(sp.N(diff, 30)) > 1e-20:
        return False
    return sp.simplify(diff) == 0


def is_number(text: str) -> bool:
    return re.fullmatch(r"-?[\d.,{}\\$]+", text.strip()) is not None


def leaks(reference: str, prompt: str) -> bool:
    return re.search(r"(?<![0-9A-Za-z.])" + re.escape(reference) + r"(?![0-9A-Za-z.])", prompt) is not None


# ------------------------------------------------------------------------------------------- structure and replay

@pytest.mark.parametrize("family", FAMILIES)
def test_generators_are_deterministic_per_seed(family: str) -> None:
    for level in LEVELS:
        first = MATH_GENERATORS[family](np.random.default_rng(123), level)
        again = MATH_GENERATORS[family](np.random.default_rng(123), level)
        assert first == again
    prompts = {MATH_GENERATORS[family](np.random.default_rng(s), 3).prompt for s in range(10)}
    assert len(prompts) >= 5, f"{family} barely varies with the seed"


def test_ids_replay_through_the_generator_source() -> None:
    source = math_generator_source(difficulty=[1, 2, 3, 4, 5])
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(40):
        task = source.sample(rng, None)
        seen.add(task.kind)
        assert task.id.startswith(f"gen:{task.kind}:{task.difficulty}:")
        assert source.get(task.id) == task
    assert len(seen) >= 8


@pytest.mark.parametrize(("family", "level", "seed", "task"), TASKS,
                         ids=[f"{f}-{lv}-{s}" for f, lv, s, _ in TASKS])
def test_every_task_is_well_formed(family: str, level: int, seed: int, task: Task) -> None:
    assert task.kind == family and task.difficulty == level
    assert task.prompt.endswith(INSTRUCTION) and len(task.prompt) > len(INSTRUCTION) + 10
    assert isinstance(task.reference, str) and task.reference.strip()
    assert task.meta["answer_type"] in ANSWER_TYPES
    steps = task.meta["solution"]
    assert isinstance(steps, list) and steps and all(isinstance(s, str) and s for s in steps)
    assert not leaks(task.reference, task.prompt), f"{task.reference!r} is in the prompt"
    if len(task.reference) >= 3:
        assert task.reference not in task.prompt
    assert all(span.count("{") == span.count("}") for span in math_spans(task.prompt))


@settings(max_examples=40, deadline=None)
@given(family=st.sampled_from(FAMILIES), level=st.integers(1, 5), seed=st.integers(0, 2**62))
def test_any_seed_gives_a_well_formed_task_that_replays(family: str, level: int, seed: int) -> None:
    source = math_generator_source(difficulty=level)
    task = source.make(family, level, seed)
    assert source.get(task.id) == task
    assert task.prompt.endswith(INSTRUCTION) and task.reference and task.meta["solution"]
    assert not leaks(task.reference, task.prompt)


@pytest.mark.parametrize("family", ["arithmetic", "fractions"])
def test_worked_evaluations_are_chains_of_equal_values(family: str) -> None:
    for level in LEVELS:
        for seed in SEEDS:
            task = BY_KEY[family, level, seed]
            steps = task.meta["solution"]
            assert len(steps) >= 2 and steps[-1] == f"$= {task.reference}$"
            for step in steps:
                assert same(parse(step.strip("$").removeprefix("= ")), parse(task.reference)), (step, task.reference)


def test_difficulty_beyond_five_is_the_hardest_level_and_zero_is_refused() -> None:
    task = MATH_GENERATORS["arithmetic"](np.random.default_rng(5), 9)
    assert task.difficulty == 9
    assert task.prompt == MATH_GENERATORS["arithmetic"](np.random.default_rng(5), 5).prompt
    with pytest.raises(ValueError):
        MATH_GENERATORS["arithmetic"](np.random.default_rng(5), 0)


@settings(max_examples=60, deadline=None)
@given(st.integers(-12, 12).filter(bool), st.sampled_from([2, 3, -2, -3, sp.Rational(1, 2), sp.Rational(-1, 3)]),
       st.integers(1, 12), st.integers(-20, 30), st.integers(-9, 12))
def test_exact_sums_are_sympys_sums(a1: int, r: sp.Rational, n: int, first: int, d: int) -> None:
    """The generators' integer/fraction sums give the very objects sympy's `summation` gave (same type, value)."""
    k = sp.Symbol("k", integer=True, positive=True)
    geometric = _geometric_sum(a1, r, n)
    assert geometric == sp.summation(a1 * r ** (k - 1), (k, 1, n)) and type(geometric) is type(
        sp.summation(a1 * r ** (k - 1), (k, 1, n)))
    assert _arithmetic_sum(first, d, n) == sp.summation(first + (k - 1) * d, (k, 1, n))
    assert type(_arithmetic_sum(first, d, n)) is type(sp.summation(first + (k - 1) * d, (k, 1, n)))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(0, 25), st.integers(0, 7))
def test_bounded_compositions_are_the_generating_function_coefficient(parts: int, total: int, cap: int) -> None:
    t = sp.Symbol("t")
    expected = sp.Poly(sum(t**i for i in range(cap + 1)) ** parts, t).coeff_monomial(t**total)
    assert _bounded_compositions(parts, total, cap) == expected
    brute = sum(1 for xs in itertools.product(range(cap + 1), repeat=parts) if sum(xs) == total)
    assert _bounded_compositions(parts, total, cap) == brute


def test_splits_are_disjoint_by_prompt() -> None:
    source = GeneratorSource(MATH_GENERATORS, difficulty=[1, 2, 3])
    rng = np.random.default_rng(7)
    by_split: dict[str, set[str]] = {"train": set(), "test": set()}
    for split in ("train", "test"):
        for _ in range(60):
            task = source.sample(rng, split)
            assert task.meta["split"] == split == split_of(task.prompt)
            by_split[split].add(task.prompt)
    assert by_split["train"] and by_split["test"]
    assert not by_split["train"] & by_split["test"]


# ------------------------------------------------------------------------ references recomputed from the prompt

def expected_from_prompt(task: Task) -> object | None:
    """The answer recomputed from the prompt text alone, or None where this test does not recompute a family."""
    spans = math_spans(task.prompt)
    kind, level, text = task.kind, task.difficulty, task.prompt
    if kind in ("arithmetic", "fractions"):
        return parse(spans[0])
    if kind == "linear_equation":
        equation = parse(spans[-1])
        return sp.solve(equation, x)
    if kind == "quadratic_equation":
        return sorted(sp.solve(parse(spans[0]), x), key=float)
    if kind == "linear_system":
        system = spans[0].strip().removeprefix("\\begin{cases}").removesuffix("\\end{cases}").split("\\\\")
        unknowns = [x, y, sp.Symbol("z")][: len(system)]
        equations = [parse(e) for e in system]
        return list(next(iter(sp.linsolve([sp.expand(e.lhs - e.rhs) for e in equations], unknowns))))
    if kind == "modular":
        numbers = [int(n) for n in re.findall(r"\d+", text)]
        if level == 1:
            return numbers[0] % numbers[1]
        if level == 2:
            a, b, c, m = numbers[:4]
            return (a * b + c) % m
        if level == 3:
            return pow(numbers[0], numbers[1], numbers[2])
        if level == 4:
            m, a = numbers[1], numbers[2]
            return next(v for v in range(m) if a * v % m == 1)
        pairs = re.findall(r"x \\equiv (\d+) \\pmod\{(\d+)\}", text)
        return next(v for v in range(1, 10**6) if all(v % int(m) == int(r) for r, m in pairs))
    if kind == "combinatorics" and level == 1:
        n, r = map(int, re.findall(r"\\binom\{(\d+)\}\{(\d+)\}", text)[0])
        return math.comb(n, r)
    if kind == "combinatorics" and level == 2:
        first, second = (int(v) for v in re.findall(r"\$(\d+)\$", text)[:2])
        return math.perm(first, second) if "positions" in text else math.comb(second, first)
    if kind == "combinatorics" and level == 3:
        word = re.search(r"letters of ([A-Z]+)\?", text).group(1)
        count = math.factorial(len(word))
        for letter in set(word):
            count //= math.factorial(word.count(letter))
        return count
    if kind == "combinatorics" and level == 4:
        men, women, size, least = (int(v) for v in re.findall(r"\$(\d+)\$", text)[:4])
        people = ["m"] * men + ["w"] * women
        return sum(1 for c in itertools.combinations(range(len(people)), size)
                   if sum(people[i] == "w" for i in c) >= least)
    if kind == "combinatorics" and "solutions in integers" in text:
        parts = len(re.findall(r"x_\d", spans[0]))
        total = int(spans[0].split("=")[-1])
        cap = int(re.search(r"x_i \\le (\d+)", text).group(1))
        return sum(1 for v in itertools.product(range(cap + 1), repeat=parts) if sum(v) == total)
    if kind == "combinatorics":
        numbers = [int(v) for v in re.findall(r"\d+", text)]
        limit, divisors = numbers[1], numbers[2:]
        return sum(1 for m in range(1, limit + 1) if any(m % d == 0 for d in divisors))
    if kind == "sequence" and "infinite" in text:
        first = [Fraction(str(parse(t))) for t in spans[0].split(", ")[:2]]
        return first[0] / (1 - first[1] / first[0])
    if kind == "sequence" and "a_{n+1}" in text:
        a1 = int(re.search(r"a_1 = (-?\d+)", text).group(1))
        mult, sign, add = re.search(r"= (\d) a_n ([+-]) (\d+)", text).groups()
        value = a1
        for _ in range(int(re.search(r"Find \$a_\{(\d+)\}", text).group(1)) - 1):
            value = int(mult) * value + (int(add) if sign == "+" else -int(add))
        return value
    if kind == "sequence" and level == 5:
        (i, ai), (j, aj) = ((int(a), int(b)) for a, b in re.findall(r"a_\{(\d+)\} = (-?\d+)", text))
        d = Fraction(aj - ai, j - i)
        n = int(re.search(r"first \$(\d+)\$", text).group(1))
        return sum(ai + (k - i) * d for k in range(1, n + 1))
    if kind == "sequence":
        first = [Fraction(str(parse(t))) for t in spans[-1].split(", ")[:3]]
        n = int(re.findall(r"(\d+)(?:st|nd|rd|th)? term|first \$(\d+)\$", text)[0][0] or
                re.findall(r"first \$(\d+)\$", text)[0])
        if "(arithmetic)" in text:
            terms = [first[0] + i * (first[1] - first[0]) for i in range(n)]
        else:
            terms = [first[0] * (first[1] / first[0]) ** i for i in range(n)]
        return terms[-1] if "term of" in text else sum(terms)
    return None


def reference_values(task: Task) -> list[sp.Expr]:
    ref = task.reference
    if task.meta["answer_type"] == "tuple":
        ref = ref.removeprefix("(").removesuffix(")")
    return [parse(part) for part in ref.split(", ")] if task.meta["answer_type"] in ("tuple", "set") \
        else [parse(ref)]


@pytest.mark.parametrize(("family", "level", "seed", "task"), TASKS,
                         ids=[f"{f}-{lv}-{s}" for f, lv, s, _ in TASKS])
def test_reference_is_right(family: str, level: int, seed: int, task: Task) -> None:
    values = reference_values(task)
    expected = expected_from_prompt(task)
    if expected is not None:
        expected = expected if isinstance(expected, list) else [expected]
        assert len(values) == len(expected)
        for got, want in zip(values, expected, strict=True):
            assert same(got, sp.nsimplify(want) if isinstance(want, Fraction) else want), (task.prompt, got, want)
        return
    spans = math_spans(task.prompt)
    if family == "polynomial_expand":
        form = parse(spans[1])
        letters = sorted(form.free_symbols - {x, y}, key=str)
        assert len(letters) == len(values)
        assert sp.expand(form.subs(dict(zip(letters, values, strict=True))) - parse(spans[0])) == 0
    elif family == "polynomial_factor":
        poly = parse(next(span for span in spans if " = (" in span).split(" = ")[0])
        nums = [int(v) for v in values]
        second = y if "y" in task.prompt.split("Find")[0] and level == 5 else 1
        if level <= 3:
            assert nums == sorted(nums) and len(set(nums)) == len(nums)
            assert sp.expand(sp.Mul(*[x + c for c in nums]) - poly) == 0
        else:
            a, b, c, d = nums
            assert a > 0 and c > 0 and (a < c or (a == c and b < d))
            assert sp.expand((a * x + b * second) * (c * x + d * second) - poly) == 0
    elif family == "derivative":
        f = parse(re.search(r"f\(x\) = (.+)", spans[-2] if level == 5 else spans[1]).group(1))
        if level == 5:
            point = int(re.search(r"f'\((-?\d+)\)", spans[-1]).group(1))
            assert same(sp.diff(f, x).subs(x, point), values[0])
        else:
            assert same(sp.diff(f, x), values[0])
    elif family == "integral":
        if level in (1, 3):
            f = parse(re.search(r"f\(x\) = (.+)", spans[1]).group(1))
            assert same(sp.diff(values[0], x), f) and same(values[0].subs(x, 0), 0)
        else:
            lo, hi, body = re.match(r"\\displaystyle\\int_\{(.+?)\}\^\{(.+?)\} (.+) \\, dx", spans[0]).groups()
            f = sp.lambdify(x, parse(body), "mpmath")
            numeric = mpmath.quad(f, [float(parse(lo)), float(parse(hi))])
            assert abs(numeric - float(values[0])) < 1e-9 * max(1, abs(numeric))
    else:
        pytest.fail(f"no independent check for {family} at level {level}")


# ------------------------------------------------------------------------------------------------ curated set

CURATED = curated_math_records()

#: The only names a `check` computation may use: sympy's own functions and a few pure builtins. The checks are our
#: own trusted data; the whitelist (and the refusal of dunder names) keeps them to plain mathematics.
CHECK_NAMES: dict[str, object] = {
    **{name: getattr(sp, name) for name in (
        "Rational", "Integer", "sqrt", "pi", "E", "exp", "log", "sin", "cos", "tan", "oo", "S", "Eq", "Abs", "Max",
        "Min", "Mod", "gcd", "lcm", "factorial", "binomial", "solve", "solveset", "diff", "integrate", "summation",
        "product", "limit", "expand", "simplify", "Poly", "rem", "interpolate", "Matrix", "Interval", "Intersection",
        "isprime", "primerange", "primefactors", "divisors", "solve_univariate_inequality", "Point", "Line",
        "Segment", "Circle", "Triangle", "Polygon")},
    "continuous_domain": continuous_domain, "function_range": function_range, "maximum": maximum,
    "range": range, "len": len, "sum": sum, "max": max, "min": min, "abs": abs, "set": set, "list": list,
    "round": round,
    **{name: sp.Symbol(name) for name in ("x", "y", "z", "n", "k", "t", "s", "b", "c")},
}


@functools.cache
def computed(code: str) -> object:
    """A check's value, computed once per session (the perturbation tests reuse it)."""
    return run_check(code)


def run_check(code: str, extra: dict[str, object] | None = None) -> object:
    assert "__" not in code and "import" not in code and "lambda" not in code, code
    # Comprehensions look names up in the globals, so the whitelist is the global namespace (with no builtins).
    return sp.parse_expr(code, local_dict={}, global_dict={"__builtins__": {}, **CHECK_NAMES, **(extra or {})},
                         transformations=())


def decimal_places(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def number_matches(text: str, value: object) -> bool:
    """A written number against an exact value: decimals must be the value rounded at their own precision."""
    text = text.strip().replace("{,}", "")
    if re.fullmatch(r"-?\d+\.\d+", text):
        return abs(float(sp.N(value, 30)) - float(text)) <= 0.5 * 10 ** -decimal_places(text) + 1e-12
    return same(parse(text), value)


def as_values(value: object) -> list[object]:
    """A check result (list, tuple, Point, Matrix, dict of unknowns, finite set) as a list of values."""
    if isinstance(value, dict):
        return [value[s] for s in sorted(value, key=str)]
    if isinstance(value, (sp.Point, sp.Matrix, sp.FiniteSet)):
        return list(value)
    return list(value)


def parse_interval_answer(text: str) -> sp.Set:
    if text[0] in "([":
        pieces = []
        for piece in text.split("\\cup"):
            left, lo, hi, right = re.fullmatch(r"\s*([\[(])\s*(.+?)\s*,\s*(.+?)\s*([\])])\s*", piece).groups()
            lo_v = -sp.oo if lo == "-\\infty" else parse(lo)
            hi_v = sp.oo if hi == "\\infty" else parse(hi)
            pieces.append(sp.Interval(lo_v, hi_v, left_open=left == "(", right_open=right == ")"))
        return sp.Union(*pieces)
    return parse(text).as_set()


def parse_matrix_answer(text: str) -> sp.Matrix:
    body = text.removeprefix("\\begin{pmatrix}").removesuffix("\\end{pmatrix}")
    return sp.Matrix([[parse(entry) for entry in row.split("&")] for row in body.split("\\\\")])


def check_curated(rec: dict) -> None:
    kind, answer, check = rec["kind"], rec["answer"], rec["check"]
    value = computed(check["compute"]) if "compute" in check else None
    if kind in ("integer", "fraction", "radical", "pi", "expression", "decimal"):
        assert number_matches(answer, value) if kind == "decimal" else same(parse(answer), value)
        if kind == "integer":
            assert re.fullmatch(r"-?\d+", answer)
        if kind == "decimal":
            assert re.fullmatch(r"-?\d+\.\d+", answer)
    elif kind == "percentage":
        assert answer.endswith("\\%")
        assert number_matches(answer.removesuffix("\\%"), value)
    elif kind == "units":
        if answer.startswith("\\$"):
            number, unit = answer.removeprefix("\\$"), "$"
        else:
            number, unit = re.fullmatch(r"(.+?) \\text\{ ([^}]+)\}(?:\^\{2\})?", answer).groups()
        assert unit == check["unit"]
        assert number_matches(number, value)
    elif kind == "set":
        got = [parse(part) for part in answer.split(", ")]
        want = as_values(value)
        assert len(got) == len(want) == len({sp.nsimplify(v) for v in want})
        assert all(any(same(g, w) for w in want) for g in got)
        assert all(any(same(g, w) for g in got) for w in want)
    elif kind == "tuple":
        got = [parse(part) for part in answer.removeprefix("(").removesuffix(")").split(", ")]
        want = as_values(value)
        assert len(got) == len(want) and all(same(g, w) for g, w in zip(got, want, strict=True))
    elif kind == "matrix":
        got = parse_matrix_answer(answer)
        assert got.shape == value.shape and all(same(g, w) for g, w in zip(got, value, strict=True))
    elif kind == "interval":
        assert parse_interval_answer(answer) == value
    elif kind == "equation":
        got = parse(answer)
        want = value.lhs - value.rhs if isinstance(value, sp.Equality) else value
        ratio = sp.simplify((got.lhs - got.rhs) / want)
        assert ratio != 0 and not ratio.free_symbols
    elif kind == "multiple_choice":
        options = dict(re.findall(r"\(([A-E])\) \$(.+?)\$", rec["question"]))
        assert sorted(options) == list("ABCDE")
        values = {letter: parse(tex_) for letter, tex_ in options.items()}
        if "predicate" in check:
            hits = [letter for letter, v in values.items()
                    if run_check(check["predicate"], {"v": v, "options": list(values.values())}) is sp.true
                    or run_check(check["predicate"], {"v": v, "options": list(values.values())}) is True]
        else:
            hits = [letter for letter, v in values.items() if v.is_finite is not False and same(v, value)]
        assert hits == [answer]
    else:
        pytest.fail(f"unknown curated kind {kind!r}")


def test_curated_set_shape() -> None:
    assert len(CURATED) >= 200
    assert len({r["id"] for r in CURATED}) == len(CURATED)
    assert len({r["question"] for r in CURATED}) == len(CURATED)
    assert {r["difficulty"] for r in CURATED} == {1, 2, 3, 4, 5}
    assert {r["kind"] for r in CURATED} == set(CATEGORIES)
    for rec in CURATED:
        assert re.fullmatch(r"curated-\d{3}", rec["id"])
        assert rec["solution"] and all(isinstance(s, str) and s for s in rec["solution"])
        assert rec["check"], f"{rec['id']} has no machine check"
        if len(rec["answer"]) >= 3 and rec["kind"] != "multiple_choice":
            assert rec["answer"] not in rec["question"], rec["id"]
    by_kind = {kind: sorted({r["difficulty"] for r in CURATED if r["kind"] == kind}) for kind in CATEGORIES}
    assert all(len(levels) >= 3 for levels in by_kind.values()), by_kind


@pytest.mark.parametrize("rec", CURATED, ids=[r["id"] for r in CURATED])
def test_curated_answer_is_right(rec: dict) -> None:
    check_curated(rec)


def test_curated_tasks_load_from_the_package() -> None:
    source = curated_math_tasks()
    assert len(source) == len(CURATED)
    task = source.get(CURATED[0]["id"])
    assert task.prompt.startswith(CURATED[0]["question"]) and task.prompt.endswith(INSTRUCTION)
    assert task.reference == CURATED[0]["answer"] and "check" not in task.meta
    train, test = source.in_split("train"), source.in_split("test")
    assert train and test and not {t.prompt for t in train} & {t.prompt for t in test}
    assert len(curated_math_tasks(split_by_prompt=False).in_split("test")) == len(CURATED)


def perturb(answer: str, kind: str) -> str:
    """A wrong answer close to the right one: the next option letter, or the first number in it plus one."""
    if kind == "multiple_choice":
        return "ABCDE"[("ABCDE".index(answer) + 1) % 5]
    if re.search(r"\d", answer):
        return re.sub(r"\d+", lambda m: str(int(m.group()) + 1), answer, count=1)
    return f"{answer} + 1"


@pytest.mark.parametrize("rec", CURATED, ids=[r["id"] for r in CURATED])
def test_curated_check_rejects_a_perturbed_answer(rec: dict) -> None:
    with pytest.raises(AssertionError):
        check_curated({**rec, "answer": perturb(rec["answer"], rec["kind"])})


# ------------------------------------------------------------------------------- against the math verifier

VERIFIER = get_verifier("math", isolation="inline")
STRICT_VERIFIER = get_verifier("math", isolation="inline", require_evaluated=True)


@pytest.mark.parametrize("family", FAMILIES)
def test_verifier_accepts_generated_references_and_rejects_perturbed_ones(family: str) -> None:
    for level in LEVELS:
        for seed in range(3):
            task = BY_KEY[family, level, seed]
            ref = task.reference
            verdict = VERIFIER.verify(f"The answer is $\\boxed{{{ref}}}$.", ref)
            assert verdict.correct is True, (family, level, seed, ref, verdict.reason)
            wrong = perturb(ref, task.meta["answer_type"])
            verdict = VERIFIER.verify(f"\\boxed{{{wrong}}}", ref)
            assert verdict.correct is False, (family, level, seed, ref, wrong, verdict.reason)
            if task.meta["answer_type"] == "set":
                flipped = ", ".join(reversed(ref.split(", ")))
                assert VERIFIER.verify(f"\\boxed{{{flipped}}}", ref).correct is True
            if family == "linear_equation":
                assert VERIFIER.verify(f"\\boxed{{x = {ref}}}", ref).correct is True


@pytest.mark.parametrize("rec", CURATED, ids=[r["id"] for r in CURATED])
def test_verifier_accepts_curated_answers_and_rejects_perturbed_ones(rec: dict) -> None:
    ref = rec["answer"]
    verdict = VERIFIER.verify(f"So the final answer is $\\boxed{{{ref}}}$.", ref)
    assert verdict.correct is True, verdict.reason
    verdict = VERIFIER.verify(f"\\boxed{{{perturb(ref, rec['kind'])}}}", ref)
    assert verdict.correct is False, verdict.reason


@pytest.mark.parametrize("family", FAMILIES)
def test_echoing_a_generated_question_earns_nothing(family: str) -> None:
    for level in LEVELS:
        for seed in range(3):
            task = BY_KEY[family, level, seed]
            for span in math_spans(task.prompt):
                for echo in {span, *span.split(" = ")}:
                    verdict = STRICT_VERIFIER.verify(f"\\boxed{{{echo}}}", task.reference)
                    assert verdict.correct is not True, (family, level, seed, echo, task.reference)


@pytest.mark.parametrize("rec", CURATED, ids=[r["id"] for r in CURATED])
def test_echoing_a_curated_question_earns_nothing(rec: dict) -> None:
    for span in re.findall(r"\$(.+?)\$", rec["question"]):
        # A number stated in the question may be the answer (2 hours, then 2 km/h): only echoes of math count.
        for echo in {e for e in {span, *(part.strip() for part in span.split("="))} if not is_number(e)}:
            verdict = STRICT_VERIFIER.verify(f"\\boxed{{{echo}}}", rec["answer"])
            assert verdict.correct is not True, (echo, rec["answer"])


@pytest.mark.parametrize("rec", [pytest.param(r, id=r["id"]) for r in CURATED if r["kind"] in ("units", "percentage")])
def test_a_bare_number_meets_a_unit_or_percent_reference(rec: dict) -> None:
    number = re.sub(r"\s*(\\text\{[^}]*\}(\^\{2\})?|\\%)$|^\\\$", "", rec["answer"])
    assert number != rec["answer"] and re.fullmatch(r"-?[\d.]+|\\frac\{\d+\}\{\d+\}", number)
    verdict = VERIFIER.verify(f"\\boxed{{{number}}}", rec["answer"])
    assert verdict.correct is True, verdict.reason
