"""siunitx to plain unit text: `\\SI{3.2}{\\metre\\per\\second}`, `\\qty{9.81}{\\m\\per\\s\\squared}`,
`\\si{\\kilo\\ohm}`, `\\unit{...}` and bare unit macros such as `3\\,\\meter\\per\\second`.

Written here rather than taken from a library: no Python package reads siunitx, and the unit part is a small,
closed language (prefix macros, unit macros, `\\per`, powers) that maps one to one onto pint's unit syntax.
"""

from __future__ import annotations

import re

PREFIXES = {"quecto": "q", "ronto": "r", "yocto": "y", "zepto": "z", "atto": "a", "femto": "f", "pico": "p",
            "nano": "n", "micro": "µ", "milli": "m", "centi": "c", "deci": "d", "deca": "da", "deka": "da",
            "hecto": "h", "kilo": "k", "mega": "M", "giga": "G", "tera": "T", "peta": "P", "exa": "E",
            "zetta": "Z", "yotta": "Y"}
UNITS = {"metre": "m", "meter": "m", "second": "s", "gram": "g", "kilogram": "kg", "ampere": "A", "kelvin": "K",
         "mole": "mol", "candela": "cd", "hertz": "Hz", "newton": "N", "pascal": "Pa", "joule": "J", "watt": "W",
         "coulomb": "C", "volt": "V", "farad": "F", "ohm": "ohm", "siemens": "S", "weber": "Wb", "tesla": "T",
         "henry": "H", "degreeCelsius": "degC", "celsius": "degC", "lumen": "lm", "lux": "lx", "becquerel": "Bq",
         "gray": "Gy", "sievert": "Sv", "katal": "kat", "radian": "rad", "steradian": "sr", "degree": "degree",
         "arcminute": "arcminute", "arcsecond": "arcsecond", "minute": "min", "hour": "hour", "day": "day",
         "litre": "L", "liter": "L", "electronvolt": "eV", "tonne": "t", "hectare": "ha", "bar": "bar",
         "angstrom": "angstrom", "astronomicalunit": "au", "dalton": "Da", "atomicmassunit": "u", "percent": "percent",
         "bel": "B", "decibel": "dB", "neper": "Np", "mmHg": "mmHg", "knot": "knot", "nauticalmile": "nmi",
         "arcdegree": "degree"}
#: siunitx's abbreviations (`\\km`, `\\kohm`, `\\uF`...); read only inside `\\si`/`\\SI`/`\\qty`/`\\unit`, where
#: `\\pm` is a picometre and not a plus-minus sign.
ABBREVIATIONS = {a: a for a in (
    "fg pg ng ug mg g kg pm nm um mm cm dm m km as fs ps ns us ms s fmol pmol nmol umol mmol mol kmol pA nA uA mA A "
    "kA uL mL L hL mHz Hz kHz MHz GHz THz mN N kN MN Pa kPa MPa GPa mohm kohm Mohm pV nV uV mV V kV W uW mW kW MW "
    "GW J uJ mJ kJ eV meV keV MeV GeV TeV kWh fF pF nF uF mF F fH pH nH uH mH H fC pC nC uC mC C K dB").split()}
POWERS = {"square": 2, "squared": 2, "cubic": 3, "cubed": 3}
_TOKEN = re.compile(r"\\([A-Za-z]+)\s*(?:\{\s*([-+]?\d+(?:\.\d+)?)\s*\})?|([^\\]+)")
#: A bare run of full-name unit macros outside any siunitx command (`3\\,\\metre\\per\\second`).
_BARE_NAMES = "|".join(sorted(set(PREFIXES) | set(UNITS) | set(POWERS) | {"per", "tothe", "raiseto"}, key=len,
                              reverse=True))
BARE_RUN = re.compile(rf"(?:\\(?:{_BARE_NAMES})(?![A-Za-z])\s*(?:\{{\s*[-+]?\d+(?:\.\d+)?\s*\}})?\s*)+")


def units_to_text(arg: str, *, abbreviations: bool = True) -> str:
    """The unit argument of a siunitx command as pint syntax (`\\kilo\\metre\\per\\hour` -> `(km) / (hour)`).
    Unknown macros are kept as they are, so the caller's unit check rejects them with their name."""
    factors: list[str] = []
    prefix, per = "", False
    pre_power: float | None = None
    for m in _TOKEN.finditer(arg):
        name, number, literal = m.group(1), m.group(2), m.group(3)
        if literal is not None:
            power = re.fullmatch(r"\^\s*\{?\s*([-+]?\d+(?:\.\d+)?)\s*\}?", literal.strip())
            if literal.strip() == "/":  # \metre/\second
                per = True
            elif power and factors:  # \second^{-1}
                factors[-1] = _power(factors[-1], float(power.group(1)))
            elif literal.strip(" .~"):
                factors.append(f"({literal.strip()})")
            continue
        if name in PREFIXES:
            prefix += PREFIXES[name]
            continue
        if name == "per":
            per = True
            continue
        if name in POWERS and name.endswith("ed"):  # \metre\squared: applies to the unit before it
            if factors:
                factors[-1] = _power(factors[-1], POWERS[name])
            continue
        if name in POWERS:
            pre_power = POWERS[name]
            continue
        if name == "tothe" and number is not None:
            if factors:
                factors[-1] = _power(factors[-1], float(number))
            continue
        if name == "raiseto" and number is not None:
            pre_power = float(number)
            continue
        symbol = UNITS.get(name) or (ABBREVIATIONS.get(name) if abbreviations else None)
        if symbol is None:
            factors.append("\\" + name)
            continue
        text = f"({prefix}{symbol})" if prefix else symbol
        if pre_power is not None:
            text = _power(text, pre_power)
        factors.append(_power(text, -1) if per else text)
        prefix, per, pre_power = "", False, None
    return " * ".join(factors)


def _power(factor: str, power: float) -> str:
    if factor.endswith(")") and "**" in factor:  # (m**(-1)) squared -> m**(-2)
        m = re.fullmatch(r"(.+)\*\*\((-?[\d.]+)\)", factor)
        if m:
            return f"{m.group(1)}**({float(m.group(2)) * power:g})"
    return f"{factor}**({power:g})"


def bare_run_to_text(m: re.Match[str]) -> str:
    """`re.sub` callback for `BARE_RUN`: full-name macros only (an abbreviation such as `\\pm` is not a unit)."""
    return " " + units_to_text(m.group(0), abbreviations=False) + " "
