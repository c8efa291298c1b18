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
from rlvrgym.verifiers.extract import find_hedge, hedge_after, strip_thinking
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
    _UK_SPEED,
    Candidate,
    ParsedQuantity,
    QuantityParseError,
    angle_exponent,
    describe_dimension,
    final_answer_candidates,
    parse_quantity,
    parse_unit,
    quantities_in,
)
from rlvrgym.verifiers.registry import register_verifier
from rlvrgym.verifiers.verdict import StepVerdict, Verdict, VerdictStatus

#: Default credit by relative error: full within 1%, half within 5% (SciBench grades at 5%).
DEFAULT_TIERS: tuple[tuple[float, float], ...] = ((0.01, 1.0), (0.05, 0.5))
#: Absolute tolerance (in the reference unit) used when the reference is exactly 0 and gives no `abs_tol`.
ZERO_ABS_TOL = 1e-9
#: Direction words every signed task understands: its convention's positive and negative sides.
UNIVERSAL_DIRECTIONS = {"positive": 1, "negative": -1}


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
        answer_in_think: read the answer inside `<think>...</think>` when none is stated after it (off: an answer
            stated only while thinking is `unparseable`, as in the math verifiers).
        allow_sim: accept `\\sim 3 m/s` as the value 3 m/s (on: the tiers judge its precision; off: `\\sim`
            states an order of magnitude, which is no answer).
        accept_percent: accept a percentage for a dimensionless reference (`23 %` for 0.23).
        uk_ms_inverse: read `ms^{-1}` as metres per second where the reference is a speed (UK textbook style)
            rather than pint's "per millisecond", which would fail the dimension check.
        timeout: seconds per verification. The first job in a fresh worker imports pint and builds its unit
            registry (0.5 s idle, several seconds on an overloaded machine), hence the generous 10 s default; a
            warm verification takes a few milliseconds and every input is size-capped, so the bound is a backstop.
    """

    name = "physics"
    default_timeout = 10.0

    def __init__(self, *, tiers: Sequence[tuple[float, float]] = DEFAULT_TIERS, assume_reference_unit: bool = False,
                 check_steps: bool = True, answer_in_think: bool = False, allow_sim: bool = True,
                 accept_percent: bool = True, uk_ms_inverse: bool = True, timeout: float | None = None,
                 isolation: Isolation = "process", pool: BoundedPool | None = None) -> None:
        super().__init__(timeout=timeout, isolation=isolation, pool=pool)
        tiers = tuple((float(t), float(s)) for t, s in tiers)
        if not tiers or any(t < 0 or not 0 < s <= 1 for t, s in tiers):
            raise ValueError(f"tiers must be (tolerance >= 0, score in (0, 1]) pairs, got {tiers!r}")
        self.tiers = tiers
        self.assume_reference_unit = assume_reference_unit
        self.check_steps = check_steps
        self.answer_in_think = answer_in_think
        self.allow_sim = allow_sim
        self.accept_percent = accept_percent
        self.uk_ms_inverse = uk_ms_inverse

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
        text = strip_thinking(completion)
        candidates = final_answer_candidates(text) if text is not None else []
        in_think = False
        if not candidates:
            thinking = _thinking(completion)
            inside = final_answer_candidates(thinking) if thinking else []
            if inside and self.answer_in_think:
                text, candidates, in_think = thinking, inside, True
            elif inside:
                return Verdict.unparseable("the answer is stated only inside <think>; state it after the thinking",
                                           format_ok=False)
            elif text is None:
                return Verdict.unparseable("a <think> block never closes: no final answer was given", format_ok=False)
            else:
                return Verdict.unparseable("no final answer found (expected \\boxed{value unit})", format_ok=False)
        assert text is not None
        failure: Verdict | None = None
        for candidate in candidates:
            read = self._read_candidate(candidate, ref_value, ref_unit_text, ref_unit, ref, reg)
            if isinstance(read, Verdict):
                failure = failure or read
                continue
            parsed, value, details = read
            break
        else:
            assert failure is not None
            return failure
        details.update(reference=shown, in_think=in_think)
        hedge = self._hedge(text, candidate, parsed, ref_unit_text, ref_unit, ref, reg)
        if hedge is not None:
            return Verdict.wrong(f"a hedge: {hedge}", hedge=True, **details)
        score, rel = tier_score(value, ref_value, self.tiers, _opt_float(ref.get("rel_tol")),
                                _opt_float(ref.get("abs_tol")))
        details.update(converted=value, rel_error=rel if math.isfinite(rel) else None)
        if in_think:
            details["format_ok"] = False
        got = f"{value:.6g} {ref_unit_text}".strip()
        if score == 1.0:
            return Verdict(1.0, True, VerdictStatus.CORRECT, f"{got} matches {shown} (relative error {rel:.2g})",
                           details=details)
        if score > 0:
            return Verdict.wrong(f"{got} is close to {shown} (relative error {rel:.2g}): partial credit {score:g}",
                                 score=score, **details)
        return Verdict.wrong(f"{got} is not {shown} (relative error {rel:.2g})", **details)

    def _read_candidate(self, candidate: Candidate, ref_value: float, ref_unit_text: str, ref_unit: pint.Unit,
                        ref: dict[str, Any], reg: pint.UnitRegistry
                        ) -> tuple[ParsedQuantity, float, dict[str, Any]] | Verdict:
        """(quantity, value in the reference unit, details) of one candidate, or the verdict saying why not."""
        if candidate.form == "sentence":
            return self._read_sentence(candidate, ref_value, ref_unit_text, ref_unit, ref, reg)
        try:
            parsed = parse_quantity(reg, candidate.text, strict_end=candidate.form == "boxed")
        except QuantityParseError as exc:
            return Verdict.unparseable(f"could not read the answer: {exc}", format_ok=False,
                                       answer_text=candidate.text[:200])
        return self._interpret(parsed, candidate.form, ref_unit_text, ref_unit, ref, reg)

    def _read_sentence(self, candidate: Candidate, ref_value: float, ref_unit_text: str, ref_unit: pint.Unit,
                       ref: dict[str, Any], reg: pint.UnitRegistry
                       ) -> tuple[ParsedQuantity, float, dict[str, Any]] | Verdict:
        """A closing sentence with no box and no cue: its quantities of the asked dimension must agree
        ("With L = 1 m, the period is 2.0 s" reads 2.0 s; "between 2 s and 3 s" reads nothing)."""
        readings: list[tuple[ParsedQuantity, float, dict[str, Any]]] = []
        failure: Verdict | None = None
        for parsed in quantities_in(reg, candidate.text):
            read = self._interpret(parsed, "sentence", ref_unit_text, ref_unit, ref, reg)
            if isinstance(read, Verdict):
                failure = failure or read
            else:
                readings.append(read)
        if not readings:
            return failure or Verdict.unparseable("the closing sentence states no quantity", format_ok=False,
                                                  answer_text=candidate.text[:200])
        first = readings[0][1]
        if any(tier_score(v, first, self.tiers, _opt_float(ref.get("rel_tol")), _opt_float(ref.get("abs_tol")))[0]
               < 1.0 for _, v, _ in readings[1:]):
            return Verdict.unparseable("the closing sentence states several different values of the asked quantity; "
                                       "box the answer", format_ok=False, answer_text=candidate.text[:200])
        return readings[-1]

    def _interpret(self, parsed: ParsedQuantity, form: str, ref_unit_text: str, ref_unit: pint.Unit,
                   ref: Mapping[str, Any], reg: pint.UnitRegistry
                   ) -> tuple[ParsedQuantity, float, dict[str, Any]] | Verdict:
        """The parsed answer in the reference unit, after the unit, angle, percentage, `\\sim` and direction
        policies; or the verdict that refuses it."""
        details: dict[str, Any] = {"answer_text": parsed.text[:200], "answer_form": form,
                                   "answer_value": parsed.value, "answer_unit": parsed.unit}
        if parsed.relation == "sim" and not self.allow_sim:
            return Verdict.unparseable("`\\sim` states an order of magnitude, not a value", format_ok=False,
                                       **details)
        is_angle = ref_unit.dimensionless and angle_exponent(ref_unit) == 1
        needs_unit = not ref_unit.dimensionless or angle_exponent(ref_unit) != 0
        if parsed.unit is None:
            temperature = ref_unit.dimensionality == reg.kelvin.dimensionality
            if parsed.value == 0 and not temperature:  # zero is zero in every unit but an offset scale's
                ans_unit, ans_unit_text = ref_unit, ref_unit_text
            elif parsed.radians and is_angle:  # "\\pi/6" for an angle: radians by convention
                ans_unit, ans_unit_text = reg.radian, "rad"
            elif needs_unit and not self.assume_reference_unit:
                return Verdict.unparseable(f"the answer {parsed.value:g} has no unit; the reference is in "
                                           f"{ref_unit_text}", format_ok=False, **details)
            else:
                ans_unit, ans_unit_text = ref_unit, ref_unit_text
            unit_given = parsed.value == 0 or (parsed.radians and is_angle) or not needs_unit
        else:
            ans_unit_text = parsed.unit
            ans_unit = parse_unit(reg, ans_unit_text)
            unit_given = True
            ans_unit, ans_unit_text = self._reinterpret_unit(ans_unit, ans_unit_text, ref_unit, reg)
            if "percent" in ans_unit._units and ref_unit.dimensionless and not self.accept_percent:
                return Verdict.unparseable("a percentage for a ratio: give the plain number", format_ok=False,
                                           **details)
        details["format_ok"] = form == "boxed" and unit_given
        if ans_unit.dimensionality != ref_unit.dimensionality or angle_exponent(ans_unit) != angle_exponent(ref_unit):
            return Verdict.wrong(f"wrong dimension: the answer is {describe_dimension(ans_unit)} "
                                 f"({ans_unit_text or 'no unit'}), the reference is {describe_dimension(ref_unit)} "
                                 f"({ref_unit_text or 'no unit'})", **details)
        value = _signed(parsed, ref)
        if isinstance(value, str):
            return Verdict.unparseable(value, **{**details, "format_ok": False})
        if parsed.direction is not None:
            details["direction"] = parsed.direction
        try:
            converted = float(reg.Quantity(value, ans_unit).to(ref_unit).magnitude)
        except (pint.errors.PintError, ArithmeticError, ValueError) as exc:
            return Verdict.unparseable(f"could not convert {ans_unit_text} to {ref_unit_text}: {exc}", **details)
        if not math.isfinite(converted):
            return Verdict.unparseable("the answer's value is out of range", **{**details, "format_ok": False})
        return parsed, converted, details

    def _reinterpret_unit(self, unit: pint.Unit, text: str, ref_unit: pint.Unit,
                          reg: pint.UnitRegistry) -> tuple[pint.Unit, str]:
        """Readings that differ from pint's literal one only where the literal one cannot be meant: UK `ms^{-1}`
        for a speed, and `s^{-1}` (the radian being dimensionless) for an angular frequency. Hz and rpm are not
        reinterpreted: a frequency in cycles is not an angular frequency."""
        if unit.dimensionality == ref_unit.dimensionality and angle_exponent(unit) == angle_exponent(ref_unit):
            return unit, text
        uk = _UK_SPEED.fullmatch(text.replace(" ", ""))
        if uk and self.uk_ms_inverse:
            alt_text = f"{uk.group(1)}*s**-{uk.group(2)}"
            alt = parse_unit(reg, alt_text)
            if alt.dimensionality == ref_unit.dimensionality:
                return alt, alt_text
        time_only = all(reg.Unit(name).dimensionality == reg.second.dimensionality for name in unit._units)
        if (angle_exponent(ref_unit) == 1 and angle_exponent(unit) == 0 and time_only
                and unit.dimensionality == ref_unit.dimensionality):
            return unit * reg.radian, f"rad*({text})"
        return unit, text

    def _hedge(self, text: str, candidate: Candidate, parsed: ParsedQuantity, ref_unit_text: str,
               ref_unit: pint.Unit, ref: Mapping[str, Any], reg: pint.UnitRegistry) -> str | None:
        """The hedge around the answer, by the rule shared with the math verifiers (`verifiers.extract`): boxes
        stated together with different values, or another value offered after the answer. Two values are the same
        when they agree within the full-credit tolerance, after units (`\\boxed{2.15 s} (or 2150 ms)` is fine)."""
        after = text[candidate.end:] if candidate.form.startswith("boxed") else parsed.rest + " " + \
            text[candidate.end:]

        def same(a: str, b: str) -> bool | None:
            try:
                qa = parse_quantity(reg, a, strict_end=False)
                qb = parse_quantity(reg, b, strict_end=False)
                # the shared rule hands over the bare number of "(or 30 cm/s)": read its unit where it stands
                at = after.find(b)
                if qb.unit is None and at >= 0:
                    qb = parse_quantity(reg, after[at:at + 80], strict_end=False, split_relation=False)
            except QuantityParseError:
                return None
            if qb.unit is None and qa.unit is not None and qb.value != 0:
                qb = ParsedQuantity(qb.value, qa.unit, qb.text, qb.radians, qb.direction, qb.vector, qb.relation)
            ra = self._interpret(qa, "hedge", ref_unit_text, ref_unit, ref, reg)
            rb = self._interpret(qb, "hedge", ref_unit_text, ref_unit, ref, reg)
            if isinstance(ra, Verdict) or isinstance(rb, Verdict):
                return None
            return tier_score(rb[1], ra[1], self.tiers, _opt_float(ref.get("rel_tol")),
                              _opt_float(ref.get("abs_tol")))[0] == 1.0

        if candidate.form.startswith("boxed"):
            return find_hedge(text, same)
        if not after.strip():
            return None
        answer = f"{parsed.value!r} {parsed.unit or ''}".strip()
        found = hedge_after(after, answer, same)
        return None if found is None else f"the answer is followed by another possible value ({found!r})"

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


def _thinking(completion: str) -> str:
    """The thinking of a completion: before the last `</think>`, or after an unclosed `<think>`."""
    if "</think>" in completion:
        return completion.rsplit("</think>", 1)[0].replace("<think>", " ")
    if "<think>" in completion:
        return completion.split("<think>", 1)[1]
    return ""


def _signed(parsed: ParsedQuantity, ref: Mapping[str, Any]) -> float | str:
    """The answer's value in the task's sign convention, or why it cannot be read.

    `ref["directions"]` (direction name -> +1/-1) marks a signed answer with a stated convention: a direction
    word gives the sign of a bare magnitude ("3 m/s to the left" is -3 with right positive; "-3 m/s to the left"
    agrees and stays -3; "-3 m/s to the right" contradicts itself), a unit vector multiplies ("-3 x̂"). A direction
    the convention does not name is refused, never guessed. `ref["magnitude"]` asks for a magnitude: sign and
    direction are dropped. Otherwise a direction word is prose and the value is read as written."""
    value, direction = parsed.value, parsed.direction
    if ref.get("magnitude"):
        return abs(value)
    directions = ref.get("directions")
    if direction is None:
        return value
    if directions is None:
        return -value if parsed.vector and direction.startswith("-") else value
    sign = {**UNIVERSAL_DIRECTIONS, **directions}.get(direction)
    if parsed.vector and sign is None and direction.startswith("-"):
        flipped = {**UNIVERSAL_DIRECTIONS, **directions}.get("+" + direction[1:])
        sign = None if flipped is None else -flipped
    if sign is None:
        names = ", ".join(sorted({**UNIVERSAL_DIRECTIONS, **directions})) or "none"
        return (f"the direction {direction!r} is not one the task's sign convention names ({names}); give the "
                "signed value in that convention")
    if parsed.vector:
        return value * sign
    if value < 0 and sign > 0:
        return f"the answer's sign and its direction ({direction!r}) disagree"
    return value if value < 0 else sign * value


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
