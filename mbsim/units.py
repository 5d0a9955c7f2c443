"""Quantities with units at mbsim's boundary: parse "24 h", "60 V", "12 nmol/h" and check dimensions.

Inside mbsim, values are plain SI floats (seconds, volts, amperes, mol, litres, hertz); Brian2
quantities are made from them in the network layer. Brian2 has no hour or day, so protocol time is
parsed here. A unit expression is a product of atoms with ``/`` and ``*`` (``nmol/h``, ``mM/s``,
``molecule/spike``, ``/h``); its dimension is a vector of exponents of :data:`BASE`, and a quantity is
accepted when its dimension equals the expected one, given by name (:data:`DIMENSIONS`, e.g.
``"time"``) or by a unit expression (e.g. ``"mol/s"``).
"""

from __future__ import annotations

import math
import re

from .errors import InputError

#: Base dimensions: the exponent vector of every unit refers to these.
BASE = ("amount", "volume", "time", "voltage", "current", "conductance", "capacitance", "temperature")
Dimension = tuple[int, ...]

AVOGADRO = 6.02214076e23


def _dim(**exponents: int) -> Dimension:
    return tuple(exponents.get(name, 0) for name in BASE)


# unit atom -> (factor to SI, dimension); counting words (spike, event, ...) are dimensionless
ATOMS: dict[str, tuple[float, Dimension]] = {
    **{f"{p}mol": (f, _dim(amount=1)) for p, f in
       (("", 1.0), ("m", 1e-3), ("u", 1e-6), ("n", 1e-9), ("p", 1e-12), ("f", 1e-15), ("a", 1e-18))},
    "molecule": (1.0 / AVOGADRO, _dim(amount=1)),
    **{f"{p}L": (f, _dim(volume=1)) for p, f in
       (("", 1.0), ("m", 1e-3), ("u", 1e-6), ("n", 1e-9), ("p", 1e-12), ("f", 1e-15))},
    "M": (1.0, _dim(amount=1, volume=-1)), "mM": (1e-3, _dim(amount=1, volume=-1)),
    "uM": (1e-6, _dim(amount=1, volume=-1)),
    "ms": (1e-3, _dim(time=1)), "s": (1.0, _dim(time=1)), "min": (60.0, _dim(time=1)),
    "h": (3600.0, _dim(time=1)), "d": (86400.0, _dim(time=1)),
    "Hz": (1.0, _dim(time=-1)), "kHz": (1e3, _dim(time=-1)),
    "V": (1.0, _dim(voltage=1)), "mV": (1e-3, _dim(voltage=1)),
    "A": (1.0, _dim(current=1)), "nA": (1e-9, _dim(current=1)), "pA": (1e-12, _dim(current=1)),
    "S": (1.0, _dim(conductance=1)), "nS": (1e-9, _dim(conductance=1)),
    "F": (1.0, _dim(capacitance=1)), "pF": (1e-12, _dim(capacitance=1)),
    "degC": (1.0, _dim(temperature=1)),
    "1": (1.0, _dim()), "%": (0.01, _dim()),
    "spike": (1.0, _dim()), "event": (1.0, _dim()), "unit": (1.0, _dim()), "synapse": (1.0, _dim()),
}

#: Spellings people write -> the atom they mean (``"24 hours"``, ``"1 day"``, ``"90 sec"``); a
#: leading micro sign (``µ`` or Greek ``μ``) reads as ``u`` (``"2 µM"`` = ``"2 uM"``).
ALIASES: dict[str, str] = {
    **{spelling: "ms" for spelling in ("msec", "millisecond", "milliseconds")},
    **{spelling: "s" for spelling in ("sec", "secs", "second", "seconds")},
    **{spelling: "min" for spelling in ("mins", "minute", "minutes")},
    **{spelling: "h" for spelling in ("hr", "hrs", "hour", "hours")},
    **{spelling: "d" for spelling in ("day", "days")},
    **{spelling: "V" for spelling in ("volt", "volts")},
    **{spelling: "mV" for spelling in ("millivolt", "millivolts")},
    "spikes": "spike", "events": "event", "units": "unit", "synapses": "synapse",
    "molecules": "molecule",
}
MICRO_SIGNS = ("\u00b5", "\u03bc")   # micro sign, Greek small letter mu

#: Named dimensions used by protocols and parameter specs.
DIMENSIONS: dict[str, Dimension] = {
    "time": _dim(time=1), "rate": _dim(time=-1), "voltage": _dim(voltage=1),
    "current": _dim(current=1), "conductance": _dim(conductance=1),
    "capacitance": _dim(capacitance=1), "concentration": _dim(amount=1, volume=-1),
    "temperature": _dim(temperature=1), "dimensionless": _dim(),
}

EXAMPLES = {"time": "15 min", "rate": "5 Hz", "voltage": "90 V", "current": "20 pA",
            "conductance": "1 nS", "capacitance": "100 pF", "concentration": "1 mM",
            "temperature": "30 degC", "dimensionless": "0.5"}

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*(.*?)\s*$")
_TOKEN = re.compile(r"\s*([*/]?)\s*([A-Za-z%1\u00b5\u03bc]+)")


def atom_of(spelling: str) -> str:
    """The unit atom a spelling stands for (itself when it is one; see :data:`ALIASES`)."""
    if spelling[:1] in MICRO_SIGNS:
        spelling = "u" + spelling[1:]
    return ALIASES.get(spelling, spelling)


def spellings(dimension: str) -> tuple[str, ...]:
    """Every atom and alias of a named dimension, longest first (for patterns and messages)."""
    wanted = DIMENSIONS[dimension]
    atoms = [atom for atom, (_, dims) in ATOMS.items() if dims == wanted]
    names = atoms + [alias for alias, atom in ALIASES.items() if atom in atoms]
    names += [sign + atom[1:] for atom in atoms if atom.startswith("u") and len(atom) > 1
              for sign in MICRO_SIGNS]
    return tuple(sorted(names, key=len, reverse=True))


def parse_unit(unit: str) -> tuple[float, Dimension]:
    """Factor to SI and dimension of a unit expression such as ``"nmol/h"``, ``"mM/s"`` or ``"/h"``."""
    text = unit.strip() or "1"
    factor, dims, position = 1.0, [0] * len(BASE), 0
    for match in _TOKEN.finditer(text):
        if match.start() != position:
            break
        atom = atom_of(match.group(2))
        if atom not in ATOMS:
            raise ValueError(f"unknown unit '{atom}'")
        atom_factor, atom_dims = ATOMS[atom]
        sign = -1 if match.group(1) == "/" else 1
        factor *= atom_factor ** sign
        dims = [d + sign * a for d, a in zip(dims, atom_dims)]
        position = match.end()
    if position != len(text):
        raise ValueError(f"cannot read unit '{unit}'")
    return factor, tuple(dims)


def dimension_name(dims: Dimension) -> str:
    """'time' for (0, 0, 1, ...), else a readable product of base dimensions."""
    for name, value in DIMENSIONS.items():
        if value == dims:
            return name
    return " ".join(f"{b}^{e}" for b, e in zip(BASE, dims) if e) or "dimensionless"


def units_of(dimension: str) -> str:
    """The atoms of a named dimension, for messages ('ms, s, min, h, d')."""
    wanted = DIMENSIONS[dimension]
    return ", ".join(atom for atom, (_, dims) in ATOMS.items() if dims == wanted)


def parse_quantity(text: str | int | float, dimension: str, *, file=None, line=None,
                   field: str | None = None) -> float:
    """Parse a quantity such as ``"24 h"`` and return its value in SI units.

    ``dimension`` is a name from :data:`DIMENSIONS` (``"time"``) or a unit expression whose dimension
    the quantity must have (``"mol/s"``). A bare number is accepted only for dimensionless
    quantities. ``parse_quantity("15 V", "time")`` raises an :class:`InputError` naming the field.
    """
    named = dimension in DIMENSIONS
    expected_dims = DIMENSIONS[dimension] if named else parse_unit(dimension)[1]
    wanted = (f"a {dimension} ({units_of(dimension)})" if named
              else f"a quantity convertible to {dimension}")
    where = dict(file=file, line=line, field=field,
                 example=EXAMPLES.get(dimension) if named else f"1 {dimension}")
    if isinstance(text, bool) or text is None:
        raise InputError(found=repr(text), expected=wanted, **where)
    if isinstance(text, (int, float)):
        if expected_dims == DIMENSIONS["dimensionless"] and math.isfinite(text):
            return float(text)
        if expected_dims == DIMENSIONS["dimensionless"]:
            raise InputError(found=repr(text), expected="a finite number", **where)
        raise InputError(found=f"the number {text} without a unit", expected=wanted, **where)
    match = _QUANTITY.match(str(text))
    if not match:
        raise InputError(found=f"'{text}'", expected=f"a number followed by a unit: {wanted}",
                         **where)
    if not match.group(2) and expected_dims != DIMENSIONS["dimensionless"]:
        raise InputError(found=f"'{text}' without a unit", expected=wanted, **where)
    try:
        factor, dims = parse_unit(match.group(2))
    except ValueError as error:
        raise InputError(found=f"'{text}' ({error})", expected=wanted, **where) from None
    if dims != expected_dims:
        raise InputError(found=f"'{text}', a {dimension_name(dims)}", expected=wanted, **where)
    value = float(match.group(1)) * factor
    if not math.isfinite(value):
        raise InputError(found=f"'{text}', which is not a finite number in SI units",
                         expected=f"a finite {wanted[2:]}", **where)
    return value


def format_time(seconds: float) -> str:
    """Readable protocol time: 180 -> '3 min', 86400 -> '1 d'."""
    for unit, factor in (("d", 86400.0), ("h", 3600.0), ("min", 60.0), ("s", 1.0)):
        if abs(seconds) >= factor and abs(seconds / factor - round(seconds / factor, 2)) < 1e-9:
            return f"{round(seconds / factor, 2):g} {unit}"
    return f"{seconds:g} s"


#: SI unit -> the units values of it are shown in, (SI per unit, label), largest unit first.
DISPLAY_UNITS: dict[str, tuple[tuple[float, str], ...]] = {
    "mol": tuple((factor, f"{prefix}mol") for prefix, factor in
                 (("", 1.0), ("m", 1e-3), ("µ", 1e-6), ("n", 1e-9), ("p", 1e-12), ("f", 1e-15), ("a", 1e-18))),
    "mol/s": tuple((factor, f"{prefix}mol/s") for prefix, factor in
                   (("", 1.0), ("m", 1e-3), ("µ", 1e-6), ("n", 1e-9), ("p", 1e-12), ("f", 1e-15), ("a", 1e-18))),
    "s": ((86400.0, "d"), (3600.0, "h"), (60.0, "min"), (1.0, "s"), (1e-3, "ms")),
    "1/s": ((1.0, "1/s"), (1 / 60.0, "1/min"), (1 / 3600.0, "1/h")),
    "M": ((1.0, "M"), (1e-3, "mM"), (1e-6, "µM"), (1e-9, "nM")),
}
DISPLAY_UNITS["mol s-1"] = DISPLAY_UNITS["mol/s"]
DISPLAY_UNITS["/s"] = DISPLAY_UNITS["1/s"]


def display_unit(si_unit: str, magnitude: float) -> tuple[float, str]:
    """(SI per unit, label) of the unit to show values of about ``magnitude`` (SI) in: the largest
    one in which the value is at least 1 (1.8e-11 mol -> (1e-12, "pmol"); 5400 s -> (3600, "h")).
    Units without a list are kept; a dimensionless "1" gets the label "" (no brackets)."""
    choices = DISPLAY_UNITS.get(si_unit)
    if choices is None:
        return 1.0, "" if si_unit in ("1", "") else si_unit
    magnitude = abs(float(magnitude))
    if not math.isfinite(magnitude) or magnitude == 0:
        return 1.0, si_unit
    for factor, label in choices:
        if magnitude / factor >= 1.0:
            return factor, label
    return choices[-1]


def format_amount(value: float, si_unit: str) -> str:
    """A value with its unit in readable form: 3.09e-9 mol -> '3.09 nmol'."""
    factor, label = display_unit(si_unit, value)
    return f"{value / factor:.3g} {label}".rstrip()
