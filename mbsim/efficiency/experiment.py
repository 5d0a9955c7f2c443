"""Energy-sweep experiment files: YAML -> validated :class:`Experiment`, or one InputError with file/line/field.

An experiment says which learning task to run (odors, trial, criterion), on which networks (KC counts,
seeds), with which plasticity strategies (plastic fractions, caching thresholds) and which energy
exponents alpha to report. See docs/energy-efficiency.md for every key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import (BaseModel, ConfigDict, Field, PlainValidator, ValidationError,
                      model_validator)

from ..connectome.default import KC_RANGE
from ..documents import SourcedDocument, read_document
from ..errors import InputError
from ..limits import MAX_NAME_LENGTH, MAX_SEED
from ..paths import DATA_DIR
from ..protocol.quantities import Duration, Molarity, Voltage, problem
from ..yaml_source import format_path, read_yaml
from ..units import parse_quantity

SCHEMA_VERSION = 1
EXPERIMENTS_DIR = DATA_DIR / "experiments"
RESTRICTED = ("random_mask", "top_k", "top_k_per_mbon")
LIBRARIES = ("synthetic", "hallem_carlson")


def _rate(value: object) -> float:
    try:
        number = parse_quantity(value, "rate")
    except InputError as error:
        raise problem(error.found, error.expected, "0.01 /h") from None
    if number < 0:
        raise problem(f"'{value}'", "a rate >= 0", "0.01 /h")
    return number


def _decay_time(value: object) -> float | None:
    if value == "labile":
        return None
    try:
        number = parse_quantity(value, "time")
    except InputError as error:
        raise problem(error.found, "'labile' (tau_labile of the memory parameters) or "
                      + error.expected, "2.5 h") from None
    if number <= 0:
        raise problem(f"'{value}'", "a positive time", "2.5 h")
    return number


Rate = Annotated[float, PlainValidator(_rate)]
DecayTime = Annotated[float | None, PlainValidator(_decay_time)]


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class Odors(Schema):
    library: Literal["synthetic", "hallem_carlson"] = "synthetic"
    count: int | None = Field(None, ge=2, le=110, description="number of odors (first of the library)")
    names: list[str] | None = Field(None, min_length=2, description="explicit odor names")

    @model_validator(mode="after")
    def _one_of(self) -> "Odors":
        if (self.count is None) == (self.names is None):
            raise problem("both or neither of 'count' and 'names'", "exactly one of them",
                          "odors: {library: synthetic, count: 4}")
        return self


class Trial(Schema):
    odor_duration: Duration = "2 s"
    shocks: int = Field(1, ge=1, le=20, description="1 s shock pulses during a punished odor")
    shock_voltage: Voltage = "90 V"
    sugar_concentration: Molarity = "2 M"
    starved: bool = True
    inter_trial_interval: Duration = "15 min"


class ConditioningTask(Schema):
    """The odors, their conditioning trial and readout, as every task on the spiking MB has them."""

    odors: Odors
    trial: Trial = Trial()
    noise_repeats: int = Field(2, ge=1, le=20, description="spiking windows per odor (noise seeds)")
    learning_rate_scale: float = Field(1.0, gt=0, le=100)
    choice_temperature: float = Field(0.05, gt=0, le=10)


class Task(ConditioningTask):
    criterion: float = Field(0.95, gt=0.5, lt=1.0)
    max_trials: int = Field(2000, ge=1, le=1_000_000)


class Network(Schema):
    kc_counts: list[Annotated[int, Field(ge=KC_RANGE[0], le=KC_RANGE[1])]] = Field(min_length=1)
    seeds: list[Annotated[int, Field(ge=0, le=MAX_SEED)]] = Field(min_length=1, max_length=1000)
    connectome_seed: int = Field(0, ge=0, le=MAX_SEED)
    parameters: str | None = Field(None, description="network parameter file (default data/params)")


class Caching(Schema):
    thresholds: list[Annotated[float, Field(gt=0, le=2)]] = Field(min_length=1)
    decay_time: DecayTime = "labile"
    maintenance_cost: Rate = "0.01 /h"
    transient_update_cost: float = Field(0.0, ge=0, le=1)
    consolidate_at_end: bool = True


class Strategies(Schema):
    fractions: list[Annotated[float, Field(gt=0, lt=1)]] = Field(min_length=1)
    restricted: list[Literal["random_mask", "top_k", "top_k_per_mbon"]] = list(RESTRICTED)
    caching: Caching | None = None


class Energy(Schema):
    alphas: list[Annotated[float, Field(ge=0, le=2)]] = [0.0, 0.5, 1.0]

    @model_validator(mode="after")
    def _always_m0_m1(self) -> "Energy":
        self.alphas = sorted(set(self.alphas) | {0.0, 1.0})
        return self


class Experiment(Schema, SourcedDocument):
    schema_version: Literal[1]
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=MAX_NAME_LENGTH)
    description: str = ""
    task: Task
    network: Network
    strategies: Strategies
    energy: Energy = Energy()



def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file (or a shipped experiment named without ``.yaml``)."""
    text, path = read_document(path, EXPERIMENTS_DIR, "experiment")
    return parse_experiment_text(text, str(path))


def parse_experiment_text(text: str, filename: str = "<experiment>") -> Experiment:
    """Validate experiment YAML ``text``; ``filename`` names it in error messages."""
    experiment, _ = validate_document(text, filename, Experiment,
                                      "a mapping with schema_version, name, task, network, strategies")
    return experiment


def validate_document(text: str, filename: str, model: type[BaseModel], expected: str):
    """``model`` validated from YAML ``text`` (with its source) and the parsed document (for the
    lines of later checks); one InputError naming file, line and field otherwise."""
    document = read_yaml(text, filename)
    if not isinstance(document.data, dict):
        raise InputError(found="an empty file" if document.data is None else "not a mapping",
                         expected=expected, file=filename, line=1)
    try:
        validated = model.model_validate(document.data)
    except ValidationError as error:
        located = [(document.line_of(_path(item["loc"])), order, item)
                   for order, item in enumerate(error.errors())]
        line, _, item = min(located, key=lambda entry: entry[:2])
        found, expected, example = _describe(item)
        raise InputError(found=found, expected=expected, file=filename, line=line,
                         field=format_path(_path(item["loc"])), example=example) from None
    return validated.with_source(text, filename), document


def _path(loc: tuple) -> tuple:
    """pydantic location -> path in the YAML data (drops validator-name parts)."""
    return tuple(part for part in loc if isinstance(part, int) or not str(part).startswith("function-"))


def _describe(item: dict) -> tuple[str, str, str | None]:
    kind, ctx, value = item["type"], item.get("ctx") or {}, item.get("input")
    if kind == "protocol":
        return ctx["found"], ctx["expected"], ctx.get("example")
    if kind == "extra_forbidden":
        return f"unknown key '{item['loc'][-1]}'", "a key of the experiment schema (docs/energy-efficiency.md, docs/meta-learning.md)", None
    if kind == "missing":
        return f"no '{item['loc'][-1]}'", f"the key '{item['loc'][-1]}'", None
    if kind == "literal_error":
        return repr(value), "one of " + ctx["expected"], None
    bounds = {"greater_than_equal": "a number >= {ge}", "greater_than": "a number > {gt}",
              "less_than_equal": "a number <= {le}", "less_than": "a number < {lt}",
              "too_short": "at least {min_length} item(s)", "string_pattern_mismatch": "a text matching {pattern}"}
    if kind in bounds:
        return repr(value), bounds[kind].format(**ctx), None
    return repr(value), item["msg"][0].lower() + item["msg"][1:], None
