"""Field types of the protocol schema: quantities with units, time points and checked names.

Each type accepts the text a protocol author writes ("15 min", "21 h before training", "PPL1-g1pedc"),
stores SI floats, and publishes a string pattern in the JSON Schema. Errors carry ``found``/``expected``
in their context so the loader can turn them into one :class:`~mbsim.errors.InputError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from ..errors import InputError
from ..limits import HORIZON, MAX_DILUTION
from ..units import EXAMPLES, format_time, parse_quantity, spellings

_UNSIGNED = r"(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?"
_NUMBER = r"[-+]?" + _UNSIGNED


def problem(found: str, expected: str, example: str | None = None,
            field: str | None = None) -> PydanticCustomError:
    """A validation error the loader reports as ``found ...; expected ...`` (``field`` is relative)."""
    context = {"found": found, "expected": expected}
    if example:
        context["example"] = example
    if field:
        context["field"] = field
    return PydanticCustomError("protocol", "found {found}; expected {expected}", context)


def _quantity(dimension: str, sign: str):
    def validate(value: object) -> float:
        try:
            number = parse_quantity(value, dimension)
        except InputError as error:
            raise problem(error.found, error.expected, error.example) from None
        if (sign == "positive" and number <= 0) or (sign == "non-negative" and number < 0):
            raise problem(f"'{value}'", f"a {sign} {dimension}", EXAMPLES[dimension])
        if dimension == "time" and abs(number) > HORIZON:
            raise problem(f"'{value}'", f"a time within {format_time(HORIZON)}",
                          EXAMPLES[dimension])
        return number
    return validate


def _quantity_type(dimension: str, sign: str, description: str):
    units = "|".join(spellings(dimension))
    pattern = rf"^\s*{_NUMBER if sign == 'any' else '[+]?' + _UNSIGNED}\s*({units})\s*$"
    schema = {"type": "string", "pattern": pattern, "description": description,
              "examples": [EXAMPLES[dimension]]}
    return Annotated[float, PlainValidator(_quantity(dimension, sign)), WithJsonSchema(schema)]


Duration = _quantity_type("time", "positive", "a positive time, e.g. '15 min'")
Time = _quantity_type("time", "any", "a time, e.g. '24 h'")
Delay = _quantity_type("time", "non-negative", "a time >= 0, e.g. '3 min'")
Voltage = _quantity_type("voltage", "positive", "a voltage, e.g. '60 V'")
Molarity = _quantity_type("concentration", "positive", "a concentration, e.g. '2 M'")


def _dilution(value: object) -> float:
    try:
        number = parse_quantity(value, "dimensionless")
    except InputError as error:
        raise problem(error.found,
                      "a finite, dimensionless dilution factor such as 1, 0.1 or '1e-2'",
                      "0.5") from None
    if not 0 < number <= MAX_DILUTION:
        raise problem(f"{value!r}", f"a dilution factor > 0 and <= {MAX_DILUTION:g} "
                      "(1 = as tabulated)", "0.5")
    return number


Dilution = Annotated[float, PlainValidator(_dilution), WithJsonSchema(
    {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"type": "string", "pattern": rf"^\s*{_NUMBER}\s*%?\s*$"}],
     "description": "dilution factor of the odor, 1 = as tabulated"})]


@dataclass(frozen=True)
class TimePoint:
    """A moment: ``offset`` seconds from t = 0 (``anchor='start'`` without a phase), or from the
    start or end of the phase ``phase`` ("training" in schema version 1)."""

    offset: float
    anchor: Literal["start", "end"]
    phase: str | None = None

    def at(self, phases: dict[str, tuple[float, float]]) -> float:
        """Absolute time [s] given each phase's (start, end) [s]; the phase must be one of them."""
        if self.phase is None:
            return self.offset
        start, end = phases[self.phase]
        return self.offset + (end if self.anchor == "end" else start)

    def __str__(self) -> str:
        if self.phase is None:
            return format_time(self.offset)
        if self.anchor == "end":
            return f"{format_time(self.offset)} after {self.phase}"
        return f"{format_time(-self.offset)} before {self.phase}"


_RELATIVE = re.compile(r"^(.*?)\s+(before|after)\s+([A-Za-z][A-Za-z0-9_-]*)\s*$")
TIME_POINT_EXAMPLE = "'21 h before training', '2 h after training' or '-21 h' (from training start)"


def _time_point(value: object) -> TimePoint:
    if isinstance(value, TimePoint):
        return value
    match = _RELATIVE.match(value) if isinstance(value, str) else None
    text = match.group(1) if match else value
    try:
        seconds = parse_quantity(text, "time")
    except InputError as error:
        raise problem(error.found, "a time such as " + TIME_POINT_EXAMPLE, "2 h after training") from None
    if abs(seconds) > HORIZON:
        raise problem(f"'{value}'", f"a time within {format_time(HORIZON)}", "2 h after training")
    if match is None:
        return TimePoint(seconds, "start")
    if seconds < 0:
        raise problem(f"'{value}'", f"a non-negative time before '{match.group(2)} {match.group(3)}'",
                      "2 h after training")
    phase = match.group(3)
    return TimePoint(seconds, "end", phase) if match.group(2) == "after" else TimePoint(-seconds, "start", phase)


TimeOfProtocol = Annotated[TimePoint, PlainValidator(_time_point), PlainSerializer(str), WithJsonSchema({
    "type": "string",
    "pattern": rf"^\s*{_NUMBER}\s*(ms|s|min|h|d)(\s+(before|after)\s+[A-Za-z][A-Za-z0-9_-]*)?\s*$",
    "description": "time from t = 0 (the start of training), or '<time> before <phase>' (its start) / "
                   "'<time> after <phase>' (its end); the only phase of schema version 1 is 'training'",
    "examples": ["-21 h", "21 h before training", "2 h after training"]})]


def _name_type(pattern: str, what: str, example: str):
    compiled = re.compile(pattern)

    def validate(value: object) -> str:
        if not isinstance(value, str) or not compiled.match(value):
            raise problem(f"{value!r}", f"{what} matching {pattern}", example)
        return value
    return Annotated[str, PlainValidator(validate), WithJsonSchema(
        {"type": "string", "pattern": pattern, "description": what, "examples": [example]})]


#: Odor names are checked against the network's odor table when the engine runs.
OdorName = _name_type(r"^[A-Za-z0-9][A-Za-z0-9 _.,:'()+-]{0,79}$",
                      "an odor name (Hallem-Carlson name or a synthetic odor)", "3-octanol")

#: Families of neurons that protocols may manipulate; the network resolves the full names.
NEURON_FAMILIES = ("PAM", "PPL1", "PPL2", "MBON", "DPM", "APL", "KC", "MP1", "MV1")
NeuronTypeName = _name_type(rf"^({'|'.join(NEURON_FAMILIES)})[A-Za-z0-9_.'/>()+-]{{0,40}}$",
                            "a neuron type name starting with " + ", ".join(NEURON_FAMILIES),
                            "PPL1-g1pedc")

#: Names that protocols (schema version 2) give to odors and phases; "air" is a test side, no odor.
OdorKey = _name_type(r"^(?!air$)[A-Za-z][A-Za-z0-9_]{0,39}$",
                     "an odor key declared under 'odors' (not 'air')", "A")
PhaseName = _name_type(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$", "a phase name", "first_training")
