"""Meta-learning experiment files: YAML -> validated :class:`MetaExperiment`, or one InputError
with file, line and field.

A file says which valence task the rules learn (odors, trial, reversals, retention test), on which
networks, under which energy regimes, what energy costs, which rule parameters the optimiser may
move (within their declared bounds, :data:`mbsim.efficiency.rules.RULE`) and how long it searches.
Every key: docs/meta-learning.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from ..connectome.default import KC_RANGE
from ..documents import SourcedDocument, read_document
from ..errors import InputError
from ..limits import MAX_NAME_LENGTH, MAX_SEED
from ..protocol.quantities import Duration, problem
from ..units import parse_quantity
from ..paths import DATA_DIR
from .experiment import ConditioningTask, Schema, validate_document
from .rules import RATE_COMPARTMENTS, RULE, SCALARS

OBJECTIVES = ("performance", "energy", "resilience")
META_LEARNING_DIR = DATA_DIR / "meta_learning"


class MetaTask(ConditioningTask):
    learning_rate_scale: float = Field(0.3, gt=0, le=100)
    phases: int = Field(3, ge=1, le=100, description="contingency phases (phases - 1 reversals)")
    epochs_per_phase: int = Field(10, ge=1, le=10_000)
    retention_delay: Duration = "24 h"
    retention_weight: float = Field(0.5, ge=0, le=1)


class MetaNetwork(Schema):
    kc_count: int = Field(500, ge=KC_RANGE[0], le=KC_RANGE[1])
    connectome_seed: int = Field(0, ge=0, le=MAX_SEED)
    seeds: list[Annotated[int, Field(ge=0, le=MAX_SEED)]] = Field(min_length=1, max_length=100)
    parameters: str | None = Field(None, description="network parameter file (default data/params)")


class Regime(Schema):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=MAX_NAME_LENGTH)
    availability: float = Field(ge=0, le=1)
    scarce_availability: float = Field(0.0, ge=0, le=1)
    plentiful_time: Duration | None = None
    scarce_time: Duration | None = None

    @model_validator(mode="after")
    def _alternation(self) -> "Regime":
        if (self.plentiful_time is None) != (self.scarce_time is None):
            raise problem("one of plentiful_time and scarce_time", "both (food comes and goes) "
                          "or neither (constant availability)",
                          "{plentiful_time: 12 h, scarce_time: 12 h}")
        return self


class Energy(Schema):
    objective: Literal["atp", "m0", "m1"] = "atp"
    reserve_capacity: Duration = Field("12 h", description="reserve, in time of the LTM programme")
    supply: float = Field(1.5, ge=0, le=100, description="refill at availability 1, in LTM programmes")
    programme_duration: Duration | None = Field(
        None, description="LTM programme after a consolidation (default tau_consolidation_decay)")


class Range(Schema):
    low: float | str
    high: float | str
    log: bool = False


class Search(Schema):
    parameters: dict[str, Range] = Field(min_length=1)
    restrictions: list[Literal["all", "random_mask", "top_k", "top_k_per_mbon"]] = ["all"]


class Optimizer(Schema):
    sampler: Literal["nsga2", "tpe"] = "nsga2"
    population: int = Field(8, ge=2, le=10_000)
    generations: int = Field(3, ge=1, le=10_000)
    seed: int = Field(0, ge=0, le=MAX_SEED)


class MetaExperiment(Schema, SourcedDocument):
    schema_version: Literal[1]
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=MAX_NAME_LENGTH)
    description: str = ""
    task: MetaTask
    network: MetaNetwork
    regimes: list[Regime] = Field(min_length=2, max_length=20)
    energy: Energy = Energy()
    rule: str | None = Field(None, description="base rule file (default data/params/rule.yaml)")
    search: Search
    optimizer: Optimizer = Optimizer()

    @field_validator("regimes")
    @classmethod
    def _plentiful_first(cls, regimes: list[Regime]) -> list[Regime]:
        first = regimes[0]
        if not (first.availability == 1 and first.scarce_time is None):
            raise problem(f"regime '{first.name}' first", "the plentiful reference first: "
                          "availability 1 throughout", "- {name: fed, availability: 1}")
        names = [r.name for r in regimes]
        if len(set(names)) < len(names):
            raise problem(f"regime names {names}", "each name once", None)
        return regimes


#: A searched parameter: name, low and high in SI, log scale.
SearchedParameter = tuple[str, float, float, bool]


def load_meta_experiment(path: str | Path) -> tuple[MetaExperiment, list[SearchedParameter]]:
    """Read and validate a meta-learning file (or one of data/meta_learning named without ``.yaml``); also its
    searched parameters, converted to SI and checked against the rule's declared bounds."""
    text, path = read_document(path, META_LEARNING_DIR, "meta-learning experiment")
    return parse_meta_experiment_text(text, str(path))


def parse_meta_experiment_text(text: str, filename: str = "<experiment>"):
    experiment, document = validate_document(
        text, filename, MetaExperiment,
        "a mapping with schema_version, name, task, network, regimes and search")
    searched = []
    for name, bounds in experiment.search.parameters.items():
        where = {"file": filename, "field": f"search.parameters.{name}",
                 "line": document.line_of(("search", "parameters", name))}
        searched.append(_searched(name, bounds, where))
    return experiment, searched


def _searched(name: str, bounds: Range, where: dict) -> SearchedParameter:
    """One searched parameter in SI, inside the declared bounds of the rule family."""
    per_compartment = name.startswith("compartment_rate.")
    if name not in SCALARS and not (per_compartment and name.split(".", 1)[1] in RATE_COMPARTMENTS):
        raise InputError(found=f"'{name}'", expected="a rule parameter: " + ", ".join(SCALARS)
                         + ", or compartment_rate.<compartment> (" + ", ".join(RATE_COMPARTMENTS)
                         + "); the restriction is chosen from search.restrictions", **where)
    declaration = RULE["compartment_rate" if per_compartment else name]
    low, high = (parse_quantity(value, declaration.dimension, **where)
                 for value in (bounds.low, bounds.high))
    if not declaration.low <= low < high <= declaration.high:
        unit = "" if declaration.unit == "1" else f" {declaration.unit}"
        raise InputError(found=f"[{_shown(bounds.low)}, {_shown(bounds.high)}]",
                         expected=f"low < high inside the declared range {declaration.interval}"
                         f"{unit} ({declaration.meaning})", **where)
    if bounds.log and low <= 0:
        raise InputError(found=f"log: true with low {_shown(bounds.low)}",
                         expected="a positive low bound on a log scale", **where)
    return name, low, high, bounds.log


def _shown(value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:g}"
