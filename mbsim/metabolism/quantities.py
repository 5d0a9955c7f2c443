"""Compound units of the metabolism parameter file ("nmol/h", "mM/s", "molecule/spike") -> SI.

Amounts are mol, volumes litres, times seconds; a dimension is the exponent triple
(amount, volume, time). Counting words (spike, event, unit, synapse) are dimensionless and only
document what a cost is per.
"""

from __future__ import annotations

import re

from ..errors import InputError

AVOGADRO = 6.02214076e23

Dimension = tuple[int, int, int]  # exponents of (amount, volume, time)

# unit atom -> (factor to SI, dimension)
ATOMS: dict[str, tuple[float, Dimension]] = {
    "mol": (1.0, (1, 0, 0)), "mmol": (1e-3, (1, 0, 0)), "umol": (1e-6, (1, 0, 0)),
    "nmol": (1e-9, (1, 0, 0)), "pmol": (1e-12, (1, 0, 0)), "fmol": (1e-15, (1, 0, 0)),
    "amol": (1e-18, (1, 0, 0)), "molecule": (1.0 / AVOGADRO, (1, 0, 0)),
    "L": (1.0, (0, 1, 0)), "mL": (1e-3, (0, 1, 0)), "uL": (1e-6, (0, 1, 0)),
    "nL": (1e-9, (0, 1, 0)), "pL": (1e-12, (0, 1, 0)), "fL": (1e-15, (0, 1, 0)),
    "M": (1.0, (1, -1, 0)), "mM": (1e-3, (1, -1, 0)), "uM": (1e-6, (1, -1, 0)),
    "s": (1.0, (0, 0, 1)), "ms": (1e-3, (0, 0, 1)), "min": (60.0, (0, 0, 1)),
    "h": (3600.0, (0, 0, 1)), "d": (86400.0, (0, 0, 1)),
    "1": (1.0, (0, 0, 0)), "%": (0.01, (0, 0, 0)),
    "spike": (1.0, (0, 0, 0)), "event": (1.0, (0, 0, 0)), "unit": (1.0, (0, 0, 0)),
    "synapse": (1.0, (0, 0, 0)),
}

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*(.*?)\s*$")
_TOKEN = re.compile(r"([*/]?)\s*([A-Za-z%1]+)")


def parse_unit(unit: str) -> tuple[float, Dimension]:
    """Factor to SI and dimension of a unit expression such as ``"nmol/h"`` or ``"mM/s"``."""
    text = unit.strip() or "1"
    factor, dims, pos = 1.0, [0, 0, 0], 0
    for match in _TOKEN.finditer(text):
        if match.start() != pos or (pos == 0 and match.group(1)):
            break
        atom = match.group(2)
        if atom not in ATOMS:
            raise ValueError(f"unknown unit '{atom}'")
        atom_factor, atom_dims = ATOMS[atom]
        sign = -1 if match.group(1) == "/" else 1
        factor *= atom_factor ** sign
        dims = [d + sign * a for d, a in zip(dims, atom_dims)]
        pos = match.end()
        while pos < len(text) and text[pos] == " ":
            pos += 1
    if pos != len(text):
        raise ValueError(f"cannot read unit '{unit}'")
    return factor, (dims[0], dims[1], dims[2])


def parse_metabolic_quantity(text, expected_unit: str, *, file=None, line=None, field=None) -> float:
    """Value of ``text`` ("12 nmol/h") in SI, checked against the dimension of ``expected_unit``.

    A bare number is accepted only when the expected unit is dimensionless.
    """
    _, expected_dims = parse_unit(expected_unit)
    where = dict(file=file, line=line, field=field, example=f"1 {expected_unit}")
    if isinstance(text, bool) or text is None:
        raise InputError(found=repr(text), expected=f"a quantity in {expected_unit}", **where)
    if isinstance(text, (int, float)):
        if expected_dims == (0, 0, 0):
            return float(text)
        raise InputError(found=f"the number {text} without a unit",
                         expected=f"a quantity with a unit like {expected_unit}", **where)
    match = _QUANTITY.match(str(text))
    if not match:
        raise InputError(found=f"'{text}'", expected=f"a number followed by a unit like "
                         f"{expected_unit}", **where)
    try:
        factor, dims = parse_unit(match.group(2))
    except ValueError as err:
        raise InputError(found=f"'{text}' ({err})",
                         expected=f"a unit like {expected_unit} built from "
                         + ", ".join(ATOMS), **where) from None
    if dims != expected_dims:
        raise InputError(found=f"'{text}' with the wrong unit",
                         expected=f"a quantity convertible to {expected_unit}", **where)
    return float(match.group(1)) * factor
