"""The shared seeded draws and the generator decorator of rlvrgym.tasks.draws, as every task family uses them."""

from __future__ import annotations

import numpy as np
import pytest

from rlvrgym.tasks.base import Task
from rlvrgym.tasks.draws import Redraw, generator, integer, nonzero, pick, round_sig, signed, uniform
from rlvrgym.tasks.math_generators import MATH_GENERATORS
from rlvrgym.tasks.physics import physics_generators
from rlvrgym.tasks.proof_generators import PROOF_GENERATORS

ALL = {**{f"math:{k}": v for k, v in MATH_GENERATORS.items()},
       **{f"proof:{k}": v for k, v in PROOF_GENERATORS.items()},
       **{f"physics:{k}": v for k, v in physics_generators().items()}}


def test_draws_stay_in_their_ranges() -> None:
    rng = np.random.default_rng(0)
    assert {integer(rng, -2, 2) for _ in range(300)} == {-2, -1, 0, 1, 2}
    assert {nonzero(rng, -1, 1) for _ in range(300)} == {-1, 1}
    assert {signed(rng, 3, 3) for _ in range(300)} == {-3, 3}
    options = [(1, 2), (3, 4)]
    assert {pick(rng, options) for _ in range(100)} == set(options)  # tuples stay tuples
    assert all(0.5 <= uniform(rng, 0.5, 0.6, 2) <= 0.6 for _ in range(100))
    assert round_sig(123456.0, 3) == 123000.0 and round_sig(0.0) == 0.0


@pytest.mark.parametrize("name", sorted(ALL))
@pytest.mark.parametrize("difficulty", [0, -1, True, 1.0, "2"])
def test_every_family_refuses_a_difficulty_that_is_not_a_positive_int(name: str, difficulty: object) -> None:
    with pytest.raises(ValueError, match="difficulty must be a positive int"):
        ALL[name](np.random.default_rng(0), difficulty)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(ALL))
def test_a_difficulty_above_the_top_level_draws_a_top_level_task(name: str) -> None:
    top = 3 if name.startswith("physics:") else 5
    above = ALL[name](np.random.default_rng(7), top + 2)
    at_top = ALL[name](np.random.default_rng(7), top)
    assert (above.prompt, above.reference) == (at_top.prompt, at_top.reference)
    if not name.startswith("proof:"):  # stamped with the difficulty asked for; proof records keep their own
        assert (above.kind, above.difficulty) == (name.split(":")[1], top + 2)
    assert ALL[name](np.random.default_rng(7), np.int64(2)).prompt == ALL[name](np.random.default_rng(7), 2).prompt


def test_the_decorator_redraws_from_the_same_rng_and_gives_up_with_a_clear_error() -> None:
    seen: list[int] = []

    @generator("odd", 2, reject=lambda task: task.reference == "3")
    def odd(rng: np.random.Generator, level: int) -> Task:
        v = integer(rng, 0, 9)
        seen.append(v)
        if v % 2 == 0:
            raise Redraw
        return Task("", f"level {level}", str(v))

    task = odd(np.random.default_rng(1), 4)
    assert int(task.reference) % 2 == 1 and task.reference != "3"
    assert (task.kind, task.difficulty, task.prompt) == ("odd", 4, "level 2")
    assert all(v % 2 == 0 or v == 3 for v in seen[:-1])  # every earlier draw was degenerate or rejected

    @generator("never", 1, max_redraws=5)
    def never(rng: np.random.Generator, level: int) -> Task:
        raise Redraw

    with pytest.raises(RuntimeError, match="'never' found no valid draw at difficulty 1 in 5 tries"):
        never(np.random.default_rng(0), 1)
