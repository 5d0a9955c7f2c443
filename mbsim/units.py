"""Quantities with units at mbsim's boundary: parse "24 h", "60 V", "15 min" and check dimensions.

Inside mbsim times are seconds, voltages volts, rates hertz (plain floats, SI); Brian2 quantities
are made from these in the network layer. Brian2 has no hour or day, so protocol time is parsed here.
"""

from __future__ import annotations

import re

from .errors import InputError

# unit symbol -> (dimension name, factor to SI)
UNITS: dict[str, tuple[str, float]] = {
    "ms": ("time", 1e-3), "s": ("time", 1.0), "min": ("time", 60.0),
    "h": ("time", 3600.0), "d": ("time", 86400.0),
    "Hz": ("rate", 1.0), "kHz": ("rate", 1e3),
    "/s": ("rate", 1.0), "/min": ("rate", 1 / 60), "/h": ("rate", 1 / 3600), "/d": ("rate", 1 / 86400),
    "mV": ("voltage", 1e-3), "V": ("voltage", 1.0),
    "pA": ("current", 1e-12), "nA": ("current", 1e-9),
    "nS": ("conductance", 1e-9), "pF": ("capacitance", 1e-12),
    "mM": ("concentration", 1e-3), "uM": ("concentration", 1e-6), "M": ("concentration", 1.0),
    "degC": ("temperature", 1.0),
    "1": ("dimensionless", 1.0), "%": ("dimensionless", 0.01),
}

SI_SYMBOL = {"time": "s", "rate": "Hz", "voltage": "V", "current": "A", "conductance": "S",
             "capacitance": "F", "concentration": "M", "temperature": "degC", "dimensionless": "1"}

EXAMPLES = {"time": "15 min", "rate": "5 Hz", "voltage": "90 V", "current": "20 pA",
            "conductance": "1 nS", "capacitance": "100 pF", "concentration": "1 mM",
            "temperature": "30 degC", "dimensionless": "0.5"}

_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(/?[A-Za-z%]+)?\s*$")


def dimension_of(unit: str) -> str:
    """The dimension name of a unit symbol ('min' -> 'time')."""
    try:
        return UNITS[unit][0]
    except KeyError:
        raise InputError(found=f"unknown unit '{unit}'",
                         expected="one of " + ", ".join(sorted(UNITS))) from None


def parse_quantity(text: str | int | float, dimension: str, *, file=None, line=None,
                   field: str | None = None) -> float:
    """Parse a quantity such as ``"24 h"`` and return its value in SI units.

    A bare number is accepted only for dimensionless quantities. The dimension must match:
    ``parse_quantity("15 V", "time")`` raises an :class:`InputError` naming the field.
    """
    where = dict(file=file, line=line, field=field, example=EXAMPLES.get(dimension))
    if isinstance(text, bool):
        raise InputError(found=f"{text!r}", expected=f"a {dimension} with a unit", **where)
    if isinstance(text, (int, float)):
        if dimension == "dimensionless":
            return float(text)
        raise InputError(found=f"the number {text} without a unit",
                         expected=f"a {dimension} with a unit ({_units_of(dimension)})", **where)
    match = _QUANTITY.match(str(text))
    if not match:
        raise InputError(found=f"'{text}'", expected=f"a number followed by a {dimension} unit "
                         f"({_units_of(dimension)})", **where)
    value, unit = float(match.group(1)), match.group(2) or "1"
    if unit not in UNITS:
        raise InputError(found=f"unknown unit '{unit}' in '{text}'",
                         expected=f"a {dimension} unit ({_units_of(dimension)})", **where)
    unit_dimension, factor = UNITS[unit]
    if unit_dimension != dimension:
        raise InputError(found=f"'{text}', a {unit_dimension}",
                         expected=f"a {dimension} ({_units_of(dimension)})", **where)
    return value * factor


def format_time(seconds: float) -> str:
    """Readable protocol time: 180 -> '3 min', 86400 -> '1 d'."""
    for unit, factor in (("d", 86400.0), ("h", 3600.0), ("min", 60.0), ("s", 1.0)):
        if abs(seconds) >= factor and abs(seconds / factor - round(seconds / factor, 2)) < 1e-9:
            return f"{round(seconds / factor, 2):g} {unit}"
    return f"{seconds:g} s"


def _units_of(dimension: str) -> str:
    return ", ".join(sym for sym, (dim, _) in UNITS.items() if dim == dimension)
