"""The protocol schema (version 1): pydantic models of what a protocol file may say.

Quantities are written with units and stored in SI (seconds, volts, mol/l); see :mod:`.quantities`.
Defaults that depend on the reinforcement (trial timing) are filled in during validation, so a
validated :class:`Protocol` holds every number the schedule needs.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, model_validator

from ..documents import SourcedDocument
from ..limits import HORIZON, MAX_COHORT, MAX_NAME_LENGTH, MAX_SEED, MAX_TESTS
from ..units import format_time
from .blocks import (Cycles, Odor, Schema, Shock, Sugar, check_pairing, check_test_times,
                     check_timeline, time_points)
from .quantities import Delay, Duration, Molarity, NeuronTypeName, Time, TimeOfProtocol, problem
from .schedule import Schedule, expand
from .trials import Trial, build_trials

SCHEMA_VERSION = 1


class Odors(Schema):
    cs_plus: Odor = Field(description="the odor paired with the US")
    cs_minus: Odor = Field(description="the odor presented without US")

    @model_validator(mode="after")
    def _distinct(self) -> "Odors":
        if self.cs_plus == self.cs_minus:
            raise problem(f"cs_minus identical to cs_plus ('{self.cs_plus.name}')",
                          "two different odors, or one odor at two concentrations",
                          "cs_minus: {name: 4-methylcyclohexanol}", field="cs_minus")
        return self


class Reinforcement(Schema):
    shock: Shock | None = Field(None, description="electric shock (aversive)")
    sugar: Sugar | None = Field(None, description="sucrose (appetitive)")

    @model_validator(mode="after")
    def _exactly_one(self) -> "Reinforcement":
        if (self.shock is None) == (self.sugar is None):
            found = "both shock and sugar" if self.shock else "neither shock nor sugar"
            raise problem(found, "exactly one of shock or sugar", "{shock: {voltage: 60 V}}")
        return self

    @property
    def kind(self) -> str:
        return "shock" if self.shock is not None else "sugar"

    def train_duration(self, cs_duration: float) -> float:
        """Length [s] of the US of one trial."""
        if self.shock is not None:
            return self.shock.train_duration()
        return self.sugar.duration if self.sugar.duration is not None else cs_duration


class Training(Cycles):
    reinforcement: Reinforcement
    pairing: Literal["paired", "unpaired", "backward"] = "paired"
    us_delay: Delay | None = Field(None, description="unpaired/backward only: US-odor separation")
    order: Literal["cs_plus_first", "cs_minus_first"] | None = Field(
        None, description="default: cs_plus_first (shock), cs_minus_first (sugar)")
    cs_duration: Duration | None = Field(None, description="default: 60 s (shock), 2 min (sugar)")
    gap: Delay | None = Field(None, description="air between the two odors, default 45 s (shock), "
                                                "30 s (sugar)")

    @model_validator(mode="after")
    def _complete(self) -> "Training":
        self._complete_cycles()
        self._complete_timing(self.reinforcement.kind)
        check_pairing(self, f"reinforcement.{self.reinforcement.kind}")
        return self

    def us_length(self) -> float:
        """Length [s] of the US of one trial."""
        return self.reinforcement.train_duration(self.cs_duration)


class Tests(Schema):
    times: list[Time] = Field(min_length=1, max_length=MAX_TESTS,
                              description="retention tests after the end of training")

    @model_validator(mode="after")
    def _after_training(self) -> "Tests":
        check_test_times(self.times, "training")
        return self



class FeedingPeriod(Schema):
    state: Literal["fed", "starved"]
    start: TimeOfProtocol | None = Field(None, alias="from", description="when this state begins")


class ColdShock(Schema):
    kind: Literal["cold_shock"]
    at: TimeOfProtocol
    duration: Duration = Field("2 min", description="time on ice, default 2 min")


class Cycloheximide(Schema):
    kind: Literal["cycloheximide"]
    start: TimeOfProtocol = Field(alias="from")
    stop: TimeOfProtocol = Field(alias="to")
    concentration: Molarity = Field("35 mM", description="in the food, default 35 mM")


class Thermogenetic(Schema):
    kind: Literal["activate", "block"]
    targets: list[NeuronTypeName] = Field(min_length=1)
    start: TimeOfProtocol = Field(alias="from")
    stop: TimeOfProtocol = Field(alias="to")


InterventionSpec = Annotated[Union[ColdShock, Cycloheximide, Thermogenetic], Field(discriminator="kind")]


class Genotype(Schema):
    radish: bool = Field(False, description="rsh mutant: no anesthesia-resistant memory")
    crebB_block: bool = Field(False, description="dCREB2-b repressor: no long-term memory")


class Survival(Schema):
    starve_from: TimeOfProtocol
    horizon: Duration = Field(description="how long to follow survival")


class ProtocolFields(Schema):
    """What protocols of every schema version share: name and description, feeding, genotype,
    survival, cohort and seed."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=MAX_NAME_LENGTH)
    description: str = ""
    references: list[str] = []
    feeding: list[FeedingPeriod] = Field([{"state": "fed"}], min_length=1)
    genotype: Genotype = {}
    survival: Survival | None = None
    cohort: int = Field(1, ge=1, le=MAX_COHORT, description="virtual flies")
    seed: int = Field(0, ge=0, le=MAX_SEED)


class Protocol(ProtocolFields, SourcedDocument):
    """A conditioning protocol; :meth:`schedule` expands it into absolute times."""

    schema_version: Literal[1]
    odors: Odors
    training: Training
    tests: Tests
    interventions: list[InterventionSpec] = []


    @model_validator(mode="after")
    def _times_consistent(self) -> "Protocol":
        for field, point in time_points(self):
            if point.phase not in (None, "training"):
                raise problem(f"'{point}'", "a time before or after 'training' (schema version 1 "
                              "has no other phase)", "2 h after training", field=field)
        end = self.training_end()
        if end > HORIZON:
            raise problem(f"training that lasts {format_time(end)}",
                          f"training within {format_time(HORIZON)}", field="training")
        if self.tests.times[-1] > HORIZON:
            raise problem(f"a test at {format_time(self.tests.times[-1])}",
                          f"tests within {format_time(HORIZON)} of the end of training",
                          field=f"tests.times[{len(self.tests.times) - 1}]")
        check_timeline(self, {"training": (0.0, end)})
        return self

    def training_end(self) -> float:
        """Absolute time [s] of the end of training (t = 0 at its start)."""
        return self.trials()[-1].end

    def trials(self) -> tuple[Trial, ...]:
        """The conditioning trials in absolute time."""
        odors = self.odors
        return build_trials(self.training, (odors.cs_plus.name, odors.cs_plus.concentration),
                            (odors.cs_minus.name, odors.cs_minus.concentration))

    def schedule(self) -> Schedule:
        """The absolute-time :class:`~mbsim.protocol.schedule.Schedule` of this protocol."""
        return expand(self)
