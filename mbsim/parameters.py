"""Parameter files: YAML tables of values with units and sources, checked against a declared spec.

A parameter file looks like::

    name: memory_default
    description: Memory-phase kinetics of the slow layer.
    parameters:
      tau_labile: {value: 3 h, source: "Tully et al. 1994 (fit by eye)"}
      arm_fraction: {value: 0.12, source: assumption}

Each module declares what it accepts once, as a dict of :class:`Spec`; :func:`load_parameters` checks
presence, units, ranges and unknown names, and returns plain SI floats plus the sources.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import InputError
from .units import EXAMPLES, parse_quantity


@dataclass(frozen=True)
class Spec:
    """What one parameter must be: its dimension, an allowed range (SI) and a one-line meaning."""

    dimension: str
    meaning: str
    minimum: float = -math.inf
    maximum: float = math.inf


@dataclass(frozen=True)
class ParameterSet:
    """Checked values (SI floats) with their sources, as loaded from one file."""

    name: str
    values: dict[str, float]
    sources: dict[str, str]
    path: str = ""

    def __getitem__(self, key: str) -> float:
        return self.values[key]

    def replace(self, **changes: float) -> "ParameterSet":
        """A copy with some values changed (used by fits and sweeps); names must exist."""
        unknown = sorted(set(changes) - set(self.values))
        if unknown:
            raise InputError(found=f"unknown parameter(s) {unknown}",
                             expected="one of " + ", ".join(sorted(self.values)))
        values = {**self.values, **{k: float(v) for k, v in changes.items()}}
        return ParameterSet(self.name, values, self.sources, self.path)

    def as_dict(self) -> dict:
        """JSON-ready description: values (SI) and sources."""
        return {"name": self.name, "file": self.path, "values": dict(self.values),
                "sources": dict(self.sources)}


def _line_of(node: yaml.Node, key: str) -> int | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if key_node.value == key:
                return key_node.start_mark.line + 1
    return None


def load_parameters(path: str | Path, specs: dict[str, Spec]) -> ParameterSet:
    """Load and check a parameter file against ``specs``; one :class:`InputError` on any problem."""
    path = Path(path)
    if not path.is_file():
        raise InputError(found="no such file", expected="a YAML parameter file", file=path)
    text = path.read_text()
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise InputError(found=f"invalid YAML ({getattr(error, 'problem', error)})",
                         expected="a YAML mapping", file=path,
                         line=mark.line + 1 if mark else None) from None
    if not isinstance(data, dict) or not isinstance(data.get("parameters"), dict):
        raise InputError(found="no 'parameters' mapping", expected="name, description and a "
                         "'parameters' mapping of {value, source} entries", file=path)
    params_node = next(v for k, v in root.value if k.value == "parameters")
    entries = data["parameters"]
    values, sources = {}, {}
    for name, entry in entries.items():
        line = _line_of(params_node, name)
        if name not in specs:
            raise InputError(found=f"unknown parameter '{name}'",
                             expected="one of " + ", ".join(sorted(specs)), file=path, line=line,
                             field=f"parameters.{name}")
        spec = specs[name]
        where = dict(file=path, line=line, field=f"parameters.{name}")
        if not isinstance(entry, dict) or "value" not in entry or not entry.get("source"):
            raise InputError(found=repr(entry), expected="{value: <quantity>, source: <paper or "
                             "'assumption'>}", example=f"{{value: {EXAMPLES[spec.dimension]}, "
                             "source: assumption}", **where)
        value = parse_quantity(entry["value"], spec.dimension, **where)
        if not (spec.minimum <= value <= spec.maximum) or math.isnan(value):
            raise InputError(found=f"{entry['value']}", expected=f"{spec.meaning} within "
                             f"[{spec.minimum:g}, {spec.maximum:g}] (SI units)", **where)
        values[name], sources[name] = value, str(entry["source"])
    missing = sorted(set(specs) - set(values))
    if missing:
        raise InputError(found=f"missing parameter(s) {missing}", expected="every parameter of "
                         "the set to have a value", file=path, field="parameters")
    return ParameterSet(str(data.get("name", path.stem)), values, sources, str(path))
