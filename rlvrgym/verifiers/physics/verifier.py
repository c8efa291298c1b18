"""The physics verifier: a predicted quantity against simulated ground truth, with units.

Outcome: the final answer (last `\\boxed{}`, else an "answer" cue, else the last `= value unit`) is parsed with
pint, checked for dimension (angles counted by hand: pint calls them dimensionless), converted to the reference
unit and scored by relative-error tiers. Process: `Verdict.steps` holds one step per intermediate claim matched by
symbol to a simulator quantity and one per equation whose two sides have different dimensions (score 0);
consistent equations are listed in `details["dimensionally_consistent"]` and earn nothing on their own.
`Verdict.score` is the outcome alone; the process reward is weighted by `RewardSpec.process_weight`, which
PhysicsSim-v0 keeps below the outcome weight.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pint

from rlvrgym.sim.units import get_registry
from rlvrgym.verifiers.base import Isolation, Verifier
from rlvrgym.verifiers.bounded import BoundedPool
from rlvrgym.verifiers.errors import BadReference
from rlvrgym.verifiers.physics.dims import (
    MAX_STEPS,
    Chain,
    DimensionMismatch,
    Tok,
    as_quantity,
    chains,
    evaluate,
    normalize_symbol,
    tokenize,
)
from rlvrgym.verifiers.physics.parse import (
    QuantityParseError,
    angle_exponent,
    describe_dimension,
    final_answer_candidates,
    parse_quantity,
    parse_unit,
)
from rlvrgym.verifiers.registry import register_verifier
from rlvrgym.verifiers.verdict import StepVerdict, Verdict, VerdictStatus

#: Default credit by relative error: full within 1%, half within 5% (SciBench grades at 5%).
DEFAULT_TIERS: tuple[tuple[float, float], ...] = ((0.01, 1.0), (0.05, 0.5))
#: Absolute tolerance (in the reference unit) used when the reference is exactly 0 and gives no `abs_tol`.
ZERO_ABS_TOL = 1e-9


def tier_score(value: float, reference: float, tiers: Sequence[tuple[float, float]], rel_tol: float | None,
               abs_tol: float | None) -> tuple[float, float]:
    """(score, relative error). `rel_tol` replaces the full-credit tolerance; `abs_tol` grants full credit."""
    err = abs(value - reference)
    rel = err / abs(reference) if reference != 0 else (0.0 if err == 0 else math.inf)
    tol_abs = abs_tol if abs_tol is not None else (ZERO_ABS_TOL if reference == 0 else None)
    if tol_abs is not None and err <= tol_abs:
        return 1.0, rel
    effective = list(tiers)
    if rel_tol is not None:
        effective = [(rel_tol, 1.0)] + [(t, s) for t, s in tiers if s < 1.0 and t > rel_tol]
    for tol, score in sorted(effective):
        if rel <= tol:
            return score, rel
    return 0.0, rel


@register_verifier("physics")
class PhysicsVerifier(Verifier):
    """Unit-aware numeric checking with dimensional process steps.

    Reference: `{"value": float, "unit": str}` (or the text "9.81 m/s^2"), optionally `rel_tol`, `abs_tol`,
    `symbols` (symbol -> unit, the problem's quantity table, for equation checks) and `claims`
    (name -> {"value", "unit", "symbols": [aliases]}, intermediate simulator quantities).

    Args:
        tiers: (relative tolerance, score) pairs; the best tier reached gives the outcome score.
        assume_reference_unit: read a unit-less answer as being in the reference unit (off: such an answer is
            `unparseable`, since "3.07" could be in any unit).
        check_steps: compute the process steps (equations and claims).
        timeout: seconds per verification. The first job in a fresh worker imports pint and builds its unit
            registry (0.5 s idle, several seconds on an overloaded machine), hence the generous 10 s default; a
            warm verification takes a few milliseconds and every input is size-capped, so the bound is a backstop.
    """

    name = "physics"
    default_timeout = 10.0

    def __init__(self, *, tiers: Sequence[tuple[float, float]] = DEFAULT_TIERS, assume_reference_unit: bool = False,
                 check_steps: bool = True, timeout: float | None = None, isolation: Isolation = "process",
                 pool: BoundedPool | None = None) -> None:
        super().__init__(timeout=timeout, isolation=isolation, pool=pool)
        tiers = tuple((float(t), float(s)) for t, s in tiers)
        if not tiers or any(t < 0 or not 0 < s <= 1 for t, s in tiers):
            raise ValueError(f"tiers must be (tolerance >= 0, score in (0, 1]) pairs, got {tiers!r}")
        self.tiers = tiers
        self.assume_reference_unit = assume_reference_unit
        self.check_steps = check_steps

    # --- the reference ------------------------------------------------------------------------------------------
    def _reference(self, reference: Any, reg: pint.UnitRegistry) -> tuple[float, str, pint.Unit, dict[str, Any]]:
        if isinstance(reference, str):
            parsed = parse_quantity(reg, reference)
            reference = {"value": parsed.value, "unit": parsed.unit or ""}
        if not isinstance(reference, Mapping) or "value" not in reference:
            raise BadReference(f"a physics reference is {{'value': float, 'unit': str}}, got {reference!r:.80}")
        value = reference["value"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise BadReference(f"the reference value must be a finite number, got {value!r}")
        unit_text = str(reference.get("unit") or "")
        try:  # the reference is trusted text (pint syntax, "^" allowed), not model output
            unit = reg.parse_units(unit_text) if unit_text else reg.dimensionless
        except Exception as exc:  # pint raises many types on odd text
            raise BadReference(f"the reference unit {unit_text!r} is not a pint unit ({exc})") from None
        return float(value), unit_text, unit, dict(reference)

    # --- judgement ----------------------------------------------------------------------------------------------
    def judge(self, completion: str, reference: Any) -> Verdict:
        reg = get_registry()
        try:
            ref_value, ref_unit_text, ref_unit, ref = self._reference(reference, reg)
        except (QuantityParseError, ValueError, TypeError) as exc:
            return Verdict.error(f"bad physics reference: {exc}")
        checked = self.steps(completion, ref, reg) if self.check_steps else []
        # A dimensionally consistent equation is necessary, not evidence of progress: `F = m a` fits any mechanics
        # problem, so rewarding it would pay for padding. Consistent equations are reported in details; the scored
        # steps are the checkable claims and the equations that fail their dimensions.
        consistent = [s.text for s in checked if s.valid and s.reason.startswith("dimension:")]
        steps = tuple(StepVerdict(i, s.text, s.valid, s.score, s.reason) for i, s in
                      enumerate(s for s in checked if not (s.valid and s.reason.startswith("dimension:"))))
        verdict = self._outcome(completion, ref_value, ref_unit_text, ref_unit, ref, reg)
        if consistent:
            verdict = verdict.replace(details={**verdict.details, "dimensionally_consistent": consistent})
        return verdict.replace(steps=steps)

    def _outcome(self, completion: str, ref_value: float, ref_unit_text: str, ref_unit: pint.Unit,
                 ref: dict[str, Any], reg: pint.UnitRegistry) -> Verdict:
        shown = f"{ref_value:.6g} {ref_unit_text}".strip()
        candidates = final_answer_candidates(completion)
        if not candidates:
            return Verdict.unparseable("no final answer found (expected \\boxed{value unit})", format_ok=False)
        failure: QuantityParseError | None = None
        for text, form in candidates:
            try:
                parsed = parse_quantity(reg, text, strict_end=form == "boxed")
                break
            except QuantityParseError as exc:
                failure = failure or exc
        else:
            text = candidates[0][0]
            return Verdict.unparseable(f"could not read the answer: {failure}", format_ok=False,
                                       answer_text=text[:200])
        needs_unit = not ref_unit.dimensionless or angle_exponent(ref_unit) != 0
        details: dict[str, Any] = {"answer_text": text[:200], "answer_form": form, "answer_value": parsed.value,
                                   "answer_unit": parsed.unit, "reference": shown}
        if parsed.unit is None and needs_unit:
            if not self.assume_reference_unit:
                return Verdict.unparseable(f"the answer {parsed.value:g} has no unit; the reference is in "
                                           f"{ref_unit_text}", format_ok=False, **details)
            ans_unit, ans_unit_text = ref_unit, ref_unit_text
        else:
            ans_unit_text = parsed.unit or ""
            ans_unit = parse_unit(reg, ans_unit_text) if ans_unit_text else reg.dimensionless
        details["format_ok"] = form == "boxed" and (parsed.unit is not None or not needs_unit)
        if ans_unit.dimensionality != ref_unit.dimensionality or angle_exponent(ans_unit) != angle_exponent(ref_unit):
            return Verdict.wrong(f"wrong dimension: the answer is {describe_dimension(ans_unit)} "
                                 f"({ans_unit_text or 'no unit'}), the reference is {describe_dimension(ref_unit)} "
                                 f"({ref_unit_text or 'no unit'})", **details)
        try:
            value = float(reg.Quantity(parsed.value, ans_unit).to(ref_unit).magnitude)
        except (pint.errors.PintError, ArithmeticError, ValueError) as exc:
            return Verdict.unparseable(f"could not convert {ans_unit_text} to {ref_unit_text}: {exc}", **details)
        score, rel = tier_score(value, ref_value, self.tiers, _opt_float(ref.get("rel_tol")),
                                _opt_float(ref.get("abs_tol")))
        details.update(converted=value, rel_error=rel if math.isfinite(rel) else None)
        got = f"{value:.6g} {ref_unit_text}".strip()
        if score == 1.0:
            return Verdict(1.0, True, VerdictStatus.CORRECT, f"{got} matches {shown} (relative error {rel:.2g})",
                           details=details)
        if score > 0:
            return Verdict.wrong(f"{got} is close to {shown} (relative error {rel:.2g}): partial credit {score:g}",
                                 score=score, **details)
        return Verdict.wrong(f"{got} is not {shown} (relative error {rel:.2g})", **details)

    # --- process steps ------------------------------------------------------------------------------------------
    def steps(self, completion: str, ref: Mapping[str, Any], reg: pint.UnitRegistry) -> list[StepVerdict]:
        """Equation and claim steps, deduplicated, in text order, at most MAX_STEPS (padding earns nothing new)."""
        table = {normalize_symbol(k): str(v) for k, v in (ref.get("symbols") or {}).items()}
        claims = _claim_index(ref.get("claims") or {})
        if not table and not claims:
            return []
        out: list[StepVerdict] = []
        seen: set[tuple] = set()
        table = table | {a: c["unit"] for a, c in claims.items() if a not in table}
        for chain in chains(completion, table):
            for step in self._chain_steps(chain, table, claims, reg):
                key = (step.reason.split(":")[0], step.text)
                if key in seen:
                    continue
                seen.add(key)
                out.append(StepVerdict(len(out), step.text, step.valid, step.score, step.reason))
                if len(out) >= MAX_STEPS:
                    return out
        return out

    def _chain_steps(self, chain: Chain, table: Mapping[str, str], claims: Mapping[str, dict[str, Any]],
                     reg: pint.UnitRegistry) -> list[StepVerdict]:
        out: list[StepVerdict] = []
        literal = [_literal_quantity(s, reg) for s in chain.sides]
        first = chain.sides[0]
        if len(first) == 1 and first[0].kind == "sym" and first[0].text in claims:
            claim = claims[first[0].text]
            for q in literal[1:]:
                if q is not None:
                    out.append(self._claim_step(first[0].text, claim, q, reg))
                    break
        for i in range(len(chain.sides) - 1):
            left, right = chain.sides[i], chain.sides[i + 1]
            if not left or not right or (_trivial(left) and (_trivial(right) or literal[i + 1] is not None)):
                continue  # a bare "x = 3 m" is a claim (judged above when it names a known quantity), not algebra
            if [t.text for t in left] == [t.text for t in right]:
                continue
            text = f"{_show(left)} = {_show(right)}"
            try:
                left_literal, right_literal = literal[i], literal[i + 1]
                lq = left_literal if left_literal is not None else evaluate(left, table, reg).q
                rq = right_literal if right_literal is not None else evaluate(right, table, reg).q
            except DimensionMismatch as exc:
                out.append(StepVerdict(0, text, False, 0.0, f"dimension: inconsistent inside a side: it {exc}"))
                continue
            except ValueError:
                continue  # unreadable: not judged, neither rewarded nor punished
            if not any(t.kind == "sym" for t in left + right):
                continue  # pure arithmetic carries no dimensional content
            if any(not any(t.kind == "sym" for t in side) and q.dimensionless for side, q in ((left, lq), (right, rq))):
                continue  # "a = 9.81(sin 30° - 0.3 cos 30°)": numbers substituted with their units left off
            if lq.dimensionality == rq.dimensionality:
                out.append(StepVerdict(0, text, True, 1.0, "dimension: both sides are " + _dimtext(lq)))
            else:
                out.append(StepVerdict(0, text, False, 0.0,
                                       f"dimension: left side is {_dimtext(lq)}, right side is {_dimtext(rq)}"))
        return out

    def _claim_step(self, symbol: str, claim: Mapping[str, Any], q: pint.Quantity,
                    reg: pint.UnitRegistry) -> StepVerdict:
        text = f"{symbol} = {q:~P}"
        unit = reg.Unit(claim["unit"] or "dimensionless")
        if q.dimensionality != unit.dimensionality:
            return StepVerdict(0, text, False, 0.0, f"claim: {claim['name']} must be {_dimtext(1 * unit)}, "
                                                    f"got {_dimtext(q)}")
        value = float(q.to(unit).magnitude)
        score, rel = tier_score(value, float(claim["value"]), self.tiers, None, _opt_float(claim.get("abs_tol")))
        shown = f"{float(claim['value']):.4g} {claim['unit']}".strip()
        return StepVerdict(0, text, score == 1.0, score,
                           f"claim: {claim['name']} is {shown}; relative error {rel:.2g}")


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _claim_index(claims: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """alias -> claim; an alias shared by two quantities is dropped (it cannot say which it means)."""
    index: dict[str, dict[str, Any]] = {}
    clashes: set[str] = set()
    for name, claim in claims.items():
        for alias in claim.get("symbols", ()):
            a = normalize_symbol(alias)
            if a in index and index[a]["name"] != name:
                clashes.add(a)
            index[a] = {**claim, "name": name, "unit": str(claim.get("unit") or "")}
    return {a: c for a, c in index.items() if a not in clashes}


def _literal_quantity(toks: list[Tok], reg: pint.UnitRegistry) -> pint.Quantity | None:
    """The side read as "number unit" with units taking precedence over table symbols ("2 m/s" is metres per
    second even when m is a mass), or None when it is not such a literal."""
    if not toks or any(t.kind in ("func", "const") for t in toks):
        return None
    retok = tokenize(" ".join(t.text for t in toks), {}, False)
    if not as_quantity(retok):
        return None
    try:
        q = evaluate(retok, {}, reg).q
    except ValueError:
        return None
    return q if isinstance(q, pint.Quantity) else reg.Quantity(q)


def _trivial(toks: list[Tok]) -> bool:
    return len(toks) == 1


def _show(toks: list[Tok]) -> str:
    """Tokens back to compact text: spaces only between two adjacent operands ("v_0^2 sin(2 θ)/g")."""
    out = ""
    prev: Tok | None = None
    for t in toks:
        if prev is not None and prev.kind not in ("op", "func") and t.kind != "op":
            out += " "
        elif prev is not None and prev.kind == "func" and t.text != "(":
            out += " "
        out += t.text
        prev = t
    return out[:100]


def _dimtext(q: pint.Quantity) -> str:
    return "dimensionless" if q.dimensionless else str(q.dimensionality)
