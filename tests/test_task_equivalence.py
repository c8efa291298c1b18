"""The seeds a task source really draws (62-bit integers, not tests/test_task_snapshot.py's 0..199) still draw the
tasks they drew before the draws were sped up, and the split shortcut (`prompt_of`) says each task's own prompt.

tests/data/task_draw_wide_snapshot.json was written by the code before the speed-ups (`python
tests/test_task_equivalence.py --write` on that checkout). It holds, for every math, proof and physics generator at
every level, the fingerprints of the tasks of `WIDE` seeds drawn as `GeneratorSource.sample` draws them, and for
each family's source the tasks that `sample` returns for both splits (the path that turns candidates down by their
prompt). benchmarks/task_equivalence.py runs the same comparison over thousands of seeds; this is its sample.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from rlvrgym.tasks.base import GeneratorSource
from tests.test_task_snapshot import FAMILIES, SPLITS, fingerprint, generator_keys

SNAPSHOT = Path(__file__).parent / "data" / "task_draw_wide_snapshot.json"
WIDE = 40
SAMPLES = 150
#: family -> the difficulties its source mixes (the environments' defaults).
MIXES = {"math": (1, 2, 3), "proof": (1, 2, 3), "physics": (1, 2, 3)}


def wide_seeds(n: int, key: str) -> list[int]:
    rng = np.random.default_rng(list(key.encode()))
    return [int(s) for s in rng.integers(2**62, size=n)]


def generator_prints(family: str, name: str, level: int) -> list[str]:
    generate = FAMILIES[family][0][name]
    key = f"{family}:{name}:{level}"
    return [fingerprint(generate(np.random.default_rng(s), level)) for s in wide_seeds(WIDE, key)]


def source_prints(family: str, split: str) -> list[str]:
    source = GeneratorSource(FAMILIES[family][0], MIXES[family])
    return [fingerprint(source.sample(np.random.default_rng(i), split)) for i in range(SAMPLES)]  # type: ignore[arg-type]


def build() -> dict[str, list[str]]:
    out = {f"{f}:{n}:{lv}": generator_prints(f, n, lv) for f, n, lv in generator_keys()}
    out.update({f"source:{f}:{s}": source_prints(f, s) for f in FAMILIES for s in SPLITS})
    return out


@pytest.fixture(scope="module")
def snapshot() -> dict[str, list[str]]:
    return {k: v.split() for k, v in json.loads(SNAPSHOT.read_text(encoding="utf-8")).items()}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_wide_seeds_draw_the_same_tasks(family: str, snapshot: dict[str, list[str]]) -> None:
    bad = [f"{f}:{n}:{lv}" for f, n, lv in generator_keys()
           if f == family and generator_prints(f, n, lv) != snapshot[f"{f}:{n}:{lv}"]]
    assert not bad, f"these generators draw other tasks from the same seeds: {bad}"


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("split", SPLITS)
def test_a_source_samples_the_same_tasks(family: str, split: str, snapshot: dict[str, list[str]]) -> None:
    got = source_prints(family, split)
    expected = snapshot[f"source:{family}:{split}"]
    assert got == expected, f"{sum(a != b for a, b in zip(got, expected, strict=True))} samples differ"


def test_prompt_of_is_the_prompt_of_the_task_the_generator_returns() -> None:
    """Over many seeds and every level (one above the top too), including draws that a `Redraw` repeats."""
    checked = 0
    for family, name, level in generator_keys():
        generate = FAMILIES[family][0][name]
        quick = getattr(generate, "prompt_of", None)
        if quick is None:
            continue
        if quick(np.random.default_rng(0), level) is None:  # no sketch at this level: the task is built whole
            continue
        for seed in wide_seeds(300, f"prompt:{family}:{name}:{level}"):
            assert quick(np.random.default_rng(seed), level) == \
                generate(np.random.default_rng(seed), level).prompt, (name, level, seed)
            checked += 1
    # the physics families with a sketch at every level, and the math families' integer-polynomial levels
    assert checked == 300 * (8 * 4 + 20)


def test_prompt_of_refuses_a_bad_difficulty_as_the_generator_does() -> None:
    generate = FAMILIES["physics"][0]["projectile"]
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="difficulty"):
            generate.prompt_of(np.random.default_rng(0), bad)  # type: ignore[attr-defined]
        with pytest.raises(ValueError, match="difficulty"):
            generate(np.random.default_rng(0), bad)  # type: ignore[arg-type]


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    SNAPSHOT.write_text(json.dumps({k: " ".join(v) for k, v in build().items()}, indent=0) + "\n",
                        encoding="utf-8")
    print(f"wrote {SNAPSHOT}")


def test_integer_polynomials_and_fractions_print_as_sympy_prints_them() -> None:
    """The sketches' LaTeX without sympy (`_poly_tex`, `_fraction_tex`) against `tex` itself, on random polynomials
    with small and unit coefficients, gaps, lone constants and the zero polynomial."""
    from fractions import Fraction

    import sympy as sp

    from rlvrgym.tasks.math_generators import _fraction_tex, _linear_tex, _poly_tex, tex, x, y, z

    rng = np.random.default_rng(7)
    for _ in range(1500):
        degree = int(rng.integers(0, 7))
        coeffs = {k: int(rng.choice([0, 1, -1, int(rng.integers(-40, 41))])) for k in range(degree + 1)}
        assert _poly_tex(coeffs) == tex(sum((c * x**k for k, c in coeffs.items()), sp.Integer(0))), coeffs
    for _ in range(500):
        coeffs = [int(rng.choice([0, 1, -1, int(rng.integers(-15, 16))])) for _ in range(int(rng.integers(2, 4)))]
        form = sum((c * v for c, v in zip(coeffs, (x, y, z)[: len(coeffs)], strict=True)), sp.Integer(0))
        assert _linear_tex(coeffs) == tex(form), coeffs
    for num in range(-30, 31):
        for den in range(1, 13):
            assert _fraction_tex(Fraction(num, den)) == tex(sp.Rational(num, den)), (num, den)


def test_level_three_integrals_print_as_sympy_prints_them_for_every_draw() -> None:
    """Every `(template, a, b, c)` that `integral` draws at level 3 (684 of them): the sketch's LaTeX of f and of
    its antiderivative with F(0) = 0 against the generator's own sympy computation."""
    import sympy as sp

    from rlvrgym.tasks.math_generators import _integral_template_tex, _integrate, tex, x

    checked = 0
    for template in range(4):
        for a in [sign * m for m in range(1, 7) for sign in (1, -1)]:
            for b in [sign * m for m in range(1, 5) for sign in (1, -1)] if template != 3 else [1]:
                for c in range(1, 6) if template == 2 else [1]:
                    f = (a * sp.exp(b * x), a * sp.cos(b * x), a * sp.sin(b * x) + c * 2 * x,
                         a * x * sp.exp(x**2))[template]
                    antiderivative = _integrate(f)
                    big_f = sp.expand(antiderivative - antiderivative.subs(x, 0))
                    assert _integral_template_tex(template, a, b, c) == (tex(f), tex(big_f)), (template, a, b, c)
                    checked += 1
    assert checked == 96 + 96 + 480 + 12
