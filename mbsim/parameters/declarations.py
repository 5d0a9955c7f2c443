"""Parameter declarations: what each parameter must be, declared once, and the check of its values.

A :class:`Declaration` gives a parameter's name, dimension (a name :mod:`mbsim.units` knows, such as
``"time"``, or a unit expression such as ``"mol/s"``), its allowed range in SI, a one-line meaning,
what it shapes (:data:`KINDS`) and the shape of its value (:data:`SHAPES`). :class:`Declarations`
holds one group's declarations with its default file and the parameter-set type it is loaded as.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..units import parse_quantity

#: What a parameter shapes; fits may vary only ``post`` and ``slow`` parameters.
KINDS = {
    "compiled": "shapes the compiled network",
    "window": "builds a spiking window's inputs or results outside the compiled code",
    "post": "is applied after the spiking, to a window's recorded results",
    "slow": "belongs to the slow layer (memory phases, metabolism)",
}
#: One number; one number per compartment (a mapping); a list of compartment names.
SHAPES = ("scalar", "per_compartment", "names")
#: SI units of the named dimensions (labels; a unit expression is its own label).
SI_UNITS = {"time": "s", "rate": "1/s", "voltage": "V", "current": "A", "conductance": "S",
            "capacitance": "F", "concentration": "M", "temperature": "degC", "dimensionless": "1"}
NAMES_EXAMPLE = "[a1, a2, a3, b1, b2]"


@dataclass(frozen=True)
class Declaration:
    """One parameter: dimension, allowed range [low, high] in SI (``(low, high]`` unless
    ``low_allowed``), meaning, kind and shape; ``keys`` are the compartments a mapping must list."""

    name: str
    dimension: str
    low: float = -math.inf
    high: float = math.inf
    meaning: str = ""
    kind: str = "slow"
    low_allowed: bool = True
    shape: str = "scalar"
    keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS or self.shape not in SHAPES:
            raise ValueError(f"{self.name}: kind {self.kind!r} or shape {self.shape!r} unknown")

    @property
    def unit(self) -> str:
        """The SI unit its values are held in (a label)."""
        return SI_UNITS.get(self.dimension, self.dimension)

    @property
    def interval(self) -> str:
        return f"{'[' if self.low_allowed else '('}{self.low:g}, {self.high:g}]"

    def convert(self, raw, where: dict, *, key_lines: dict[str, int] | None = None,
                numbers_are_si: bool = False, columns: bool = False):
        """The checked SI value of ``raw``: a quantity ("2 h"); a number (SI when
        ``numbers_are_si``, as in-memory changes give them, else only for dimensionless values, as
        in files); a mapping of compartments or a list of names by shape; with ``columns`` also a
        (k,) array of SI numbers, one per column of a fit's batch. ``where`` locates errors."""
        if self.shape == "names":
            return self._names(raw, where)
        if self.shape == "per_compartment":
            return self._per_compartment(raw, where, key_lines or {}, numbers_are_si)
        if isinstance(raw, np.ndarray):
            return self._columns(raw, where, columns)
        return self._scalar(raw, where, numbers_are_si)

    def check(self, value, raw, where: dict) -> None:
        """An InputError unless ``value`` (a float or an array) is finite and inside the range."""
        values = np.asarray(value, float)
        inside = (np.isfinite(values) & (values <= self.high)
                  & ((values > self.low) | ((values == self.low) & self.low_allowed)))
        if np.all(inside):
            return
        if values.ndim:
            index = int(np.flatnonzero(~inside)[0])
            found = f"{values[index]:g} (SI) in column {index}"
        else:
            found = f"'{raw}' (= {value:g} in SI)" if isinstance(raw, str) else f"{value:g}"
        raise InputError(found=found + ", outside the model's range",
                         expected=f"a value in {self.interval} {self.unit} ({self.meaning})",
                         **where)

    def _scalar(self, raw, where: dict, numbers_are_si: bool) -> float:
        if isinstance(raw, (dict, list, tuple)):
            raise InputError(found="a nested structure", expected=f"one {self.dimension} value",
                             **where)
        if numbers_are_si and isinstance(raw, numbers.Real) and not isinstance(raw, bool):
            value = float(raw)
        else:
            value = parse_quantity(raw, self.dimension, **where)
        self.check(value, raw, where)
        return value

    def _columns(self, raw, where: dict, columns: bool) -> np.ndarray:
        values = np.asarray(raw, float)
        if not columns or values.ndim != 1:
            raise InputError(found=f"an array of shape {values.shape}",
                             expected="one value (a (k,) array, one value per column of a fit's "
                             "batch, only where columns are asked for)", **where)
        self.check(values, raw, where)
        return values

    def _per_compartment(self, raw, where: dict, key_lines: dict[str, int],
                         numbers_are_si: bool) -> dict[str, float]:
        if not isinstance(raw, dict):
            raise InputError(found=f"'{raw}'", expected=f"a mapping compartment -> {self.dimension}"
                             " value", example="{g1: 0.5, g2: 0.3, ...}", **where)
        if set(raw) != set(self.keys):
            raise InputError(found="compartments " + ", ".join(map(str, raw)),
                             expected="exactly " + ", ".join(self.keys), **where)
        return {key: self._scalar(value, {**where, "field": f"{self.name}.{key}",
                                          "line": key_lines.get(key, where.get("line"))},
                                  numbers_are_si) for key, value in raw.items()}

    @staticmethod
    def _names(raw, where: dict) -> tuple[str, ...]:
        if not (isinstance(raw, (list, tuple)) and raw and all(isinstance(x, str) for x in raw)):
            raise InputError(found=repr(raw), expected="a non-empty list of compartment names",
                             example=NAMES_EXAMPLE, **where)
        return tuple(raw)


class Declarations:
    """The declarations of one parameter group (``network``, ``memory``, ``metabolism``), its
    default file and the :class:`~mbsim.parameters.ParameterSet` type its sets are made as."""

    def __init__(self, group: str, declarations: Iterable[Declaration], default_file: Path,
                 set_type: type | None = None):
        self.group, self.default_file, self.set_type = group, Path(default_file), set_type
        self._by_name = {d.name: d for d in declarations}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    def __iter__(self):
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def __getitem__(self, name: str) -> Declaration:
        if name not in self._by_name:
            raise InputError(found=f"unknown parameter '{name}'",
                             expected="one of " + ", ".join(sorted(self._by_name)), field=name)
        return self._by_name[name]

    def of_kind(self, *kinds: str) -> tuple[str, ...]:
        """The names of the parameters of the given kinds, in declaration order."""
        return tuple(d.name for d in self if d.kind in kinds)
