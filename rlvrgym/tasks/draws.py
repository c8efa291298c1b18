"""The seeded draws every task generator uses, and the decorator that turns a raw generator into a `Generator`.

A generator must draw only from the `numpy.random.Generator` it is given, so that `gen:<name>:<difficulty>:<seed>`
rebuilds the same task anywhere. The math, proof and physics families share these draws so that one integer range
means the same thing in all of them, and one decorator so that difficulty checks, clamping, redraws and stamping
behave alike. Each draw consumes the rng exactly as the generators' former private copies did: a seed draws the
same task as before (tests/test_task_snapshot.py pins it).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from functools import lru_cache, wraps
from typing import Any, TypeVar

import numpy as np

from rlvrgym.tasks.base import Generator, Task

T = TypeVar("T")

#: How many degenerate draws a generator may throw away before it gives up (and says so).
MAX_REDRAWS = 200

RawGenerator = Callable[[np.random.Generator, int], Task]
F = TypeVar("F", bound=Callable[..., Any])

_CACHES: list[Any] = []


class Redraw(Exception):
    """A draw was degenerate (zero divisor, repeated root, a result too large, an impossible orbit): the decorator
    draws again from the same rng, so the seed still determines the task."""


def integer(rng: np.random.Generator, lo: int, hi: int) -> int:
    """A uniform integer in [lo, hi], both ends included."""
    return int(rng.integers(lo, hi + 1))


def nonzero(rng: np.random.Generator, lo: int, hi: int) -> int:
    """A uniform nonzero integer in [lo, hi] (drawn again while it is zero)."""
    while True:
        v = integer(rng, lo, hi)
        if v:
            return v


def signed(rng: np.random.Generator, lo: int, hi: int) -> int:
    """A magnitude in [lo, hi] with a random sign."""
    return integer(rng, lo, hi) * (1 if rng.random() < 0.5 else -1)


def pick(rng: np.random.Generator, options: Sequence[T]) -> T:
    """One of `options`, uniformly (numpy's `choice` would turn sympy objects or tuples into arrays)."""
    return options[int(rng.integers(len(options)))]


def round_sig(x: float, sig: int = 3) -> float:
    """`x` rounded to `sig` significant figures: a physics prompt states this value, and it is the one simulated."""
    if x == 0:
        return 0.0
    return float(f"{x:.{sig}g}")


def uniform(rng: np.random.Generator, low: float, high: float, sig: int = 3) -> float:
    """A uniform real in [low, high), rounded to `sig` significant figures."""
    return round_sig(float(rng.uniform(low, high)), sig)


def cached(fn: F) -> F:
    """Memoise a pure computation of a generator (a LaTeX rendering, an antiderivative, a factorisation).

    The draws' ranges are small, so the same expressions recur across seeds; a cached result is the value the
    computation returns, so no task changes. Bounded (least recently used go first); `clear_caches` empties all.
    """
    wrapped = lru_cache(maxsize=4096)(fn)
    _CACHES.append(wrapped)
    return wrapped  # type: ignore[return-value]


def clear_caches() -> None:
    """Empty every `cached` computation (benchmarks start cold with it)."""
    for cache in _CACHES:
        cache.cache_clear()


def check_difficulty(difficulty: object) -> int:
    """`difficulty` as an int, or a clear error: it must be a positive integer (not a bool)."""
    if isinstance(difficulty, bool) or not isinstance(difficulty, (int, np.integer)) or difficulty < 1:
        raise ValueError(f"difficulty must be a positive int, got {difficulty!r}")
    return int(difficulty)


#: A generator's shortcut to its prompt: `(rng, level) -> Task` sketch holding the prompt and whatever `reject` reads.
Sketch = Callable[[np.random.Generator, int], Task]


def generator(name: str, max_level: int, *, reject: Callable[[Task], bool] | None = None,
              stamp: bool = True, max_redraws: int = MAX_REDRAWS, sketch: Sketch | None = None,
              sketch_levels: Collection[int] | None = None) -> Callable[[RawGenerator], Generator]:
    """Make `raw(rng, level)` a `Generator` named `name`.

    The generator checks the difficulty, calls `raw` at `min(difficulty, max_level)` (a difficulty above the top
    level gives top-level tasks), draws again from the same rng while `raw` raises `Redraw` or `reject(task)` is
    true (a reference that leaks into its prompt, say), and gives up with an error after `max_redraws` tries.
    With `stamp`, the task's kind becomes `name` and its difficulty the one asked for; without it the task keeps
    the kind and difficulty `raw` gave it (proof tasks are records, whose difficulty is their own field).

    `sketch(rng, level)`, when given, is a cheap rough copy of `raw`: a task with the prompt `raw` would write and
    whatever `reject` reads (the reference), without the expensive rest (a simulation the prompt does not state,
    a worked solution, sympy where plain integers do). It must draw from the rng as `raw` does, raise `Redraw`
    exactly when `raw` does, and never fail where `raw` succeeds (nor succeed where `raw` fails), at the levels
    of `sketch_levels` (all levels when None). The generator then has `prompt_of(rng, difficulty)`: the prompt of
    the task it would return, or None at a level without a sketch. A `GeneratorSource` turns down a candidate of
    the other split with it, without building it (tests/test_task_equivalence.py holds sketches to their tasks).
    """

    def redrawn(make: Callable[[np.random.Generator, int], Task], rng: np.random.Generator, difficulty: int) -> Task:
        asked = check_difficulty(difficulty)
        level = min(asked, max_level)
        for _ in range(max_redraws):
            try:
                task = make(rng, level)
            except Redraw:
                continue
            if reject is None or not reject(task):
                return task
        raise RuntimeError(f"generator {name!r} found no valid draw at difficulty {asked} in {max_redraws} tries")

    def decorate(raw: RawGenerator) -> Generator:
        @wraps(raw)
        def generate(rng: np.random.Generator, difficulty: int) -> Task:
            task = redrawn(raw, rng, difficulty)
            if not stamp:
                return task
            return Task(task.id, task.prompt, task.reference, name, int(difficulty), task.meta)

        generate.__name__ = name
        if sketch is not None:
            def prompt_of(rng: np.random.Generator, difficulty: int) -> str | None:
                if sketch_levels is not None and min(check_difficulty(difficulty), max_level) not in sketch_levels:
                    return None
                return redrawn(sketch, rng, difficulty).prompt

            generate.prompt_of = prompt_of  # type: ignore[attr-defined]
        return generate

    return decorate
