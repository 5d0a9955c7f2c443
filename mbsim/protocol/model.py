"""The protocol schema (version 1): pydantic models of what a protocol file may say.

Quantities are written with units and stored in SI (seconds, volts, mol/l); see :mod:`.quantities`.
Defaults that depend on the reinforcement (trial timing) are filled in during validation, so a
validated :class:`Protocol` holds every number the schedule needs.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..documents import SourcedDocument
from ..limits import HORIZON, MAX_COHORT, MAX_NAME_LENGTH, MAX_REPEAT, MAX_SEED, MAX_TESTS
from ..units import format_time
from .quantities import (Delay, Dilution, Duration, Molarity, NeuronTypeName,
                         OdorName, Time, TimeOfProtocol, Voltage, problem)
from .schedule import Schedule, expand
from .trials import Trial, build_trials, trial_intervals

SCHEMA_VERSION = 1

#: Trial timing when the protocol does not say: (CS duration, gap, order) per reinforcement.
#: Aversive: Tully & Quinn 1985, Tully et al. 1994. Appetitive: Krashes & Waddell 2008.
TRIAL_DEFAULTS = {"shock": (60.0, 45.0, "cs_plus_first"), "sugar": (120.0, 30.0, "cs_minus_first")}
DEFAULT_ITI = 15 * 60.0  # spaced training, Tully et al. 1994


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_default=True)


class Odor(Schema):
    name: OdorName = Field(description="odor name, e.g. 3-octanol")
    concentration: Dilution = Field(1.0, description="dilution factor (1 = as tabulated)")


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


class Shock(Schema):
    voltage: Voltage = Field("60 V", description="pulse voltage [V], default 60 V")
    pulses: int = Field(12, ge=1, description="pulses per trial, default 12")
    pulse_duration: Duration = Field("1.5 s", description="default 1.5 s")
    period: Duration = Field("5 s", description="onset-to-onset interval, default 5 s")

    @model_validator(mode="after")
    def _pulses_apart(self) -> "Shock":
        if self.pulses > 1 and self.pulse_duration > self.period:
            raise problem(f"pulse_duration {format_time(self.pulse_duration)} longer than the period "
                          f"{format_time(self.period)}", "pulses that do not overlap",
                          "pulse_duration: 1.5 s, period: 5 s", field="pulse_duration")
        return self


class Sugar(Schema):
    concentration: Molarity = Field("2 M", description="sucrose on the paper, default 2 M")
    duration: Duration | None = Field(None, description="default: the CS duration")


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
            return (self.shock.pulses - 1) * self.shock.period + self.shock.pulse_duration
        return self.sugar.duration if self.sugar.duration is not None else cs_duration


class Training(Schema):
    type: Literal["single", "massed", "spaced"] = Field(description="single, massed or spaced")
    repeat: int | None = Field(None, ge=1, le=MAX_REPEAT,
                               description="number of cycles (1 for single)")
    iti: Duration | None = Field(None, description="spaced only: rest between cycles, default 15 min")
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
        self._check_cycles()
        cs_duration, gap, order = TRIAL_DEFAULTS[self.reinforcement.kind]
        self.cs_duration = cs_duration if self.cs_duration is None else self.cs_duration
        self.gap = gap if self.gap is None else self.gap
        self.order = order if self.order is None else self.order
        self.iti = DEFAULT_ITI if self.type == "spaced" and self.iti is None else self.iti
        self._check_us()
        return self

    def _check_cycles(self) -> None:
        if self.type == "single":
            if self.repeat not in (None, 1):
                raise problem(f"repeat: {self.repeat} with type single", "repeat: 1 or no repeat; "
                              "use type massed or spaced for several cycles", field="repeat")
            self.repeat = 1
        elif self.repeat is None or self.repeat < 2:
            raise problem(f"{self.type} training with {self.repeat or 'no'} repeat",
                          "repeat: N with N >= 2 cycles", f"type: {self.type}, repeat: 10", field="repeat")
        if self.iti is not None and self.type != "spaced":
            raise problem(f"an iti for {self.type} training", "iti only with type spaced "
                          "(massed cycles follow each other after the odor gap)", field="iti")

    def _check_us(self) -> None:
        if (self.us_delay is None) != (self.pairing == "paired"):
            raise problem(f"pairing {self.pairing} {'with' if self.us_delay is not None else 'without'} "
                          "us_delay", "us_delay only, and always, with unpaired or backward pairing",
                          "pairing: unpaired, us_delay: 3 min", field="us_delay")
        plus, minus, us = trial_intervals(self)
        if self.pairing == "paired" and us.stop > plus.stop + 1e-9:
            part = "shock" if self.reinforcement.shock else "sugar"
            raise problem(f"a US of {format_time(us.stop - us.start)} that outlasts the "
                          f"{format_time(self.cs_duration)} CS+", "a US within the CS+",
                          field=f"reinforcement.{part}")
        if self.pairing != "paired" and (us.overlaps(minus) or us.overlaps(plus)):
            raise problem(f"a US that overlaps an odor ({self.pairing}, us_delay "
                          f"{format_time(self.us_delay)})", "a US separated from both odors",
                          field="us_delay")

    @property
    def rest(self) -> float:
        """Time [s] from the end of one cycle to the start of the next."""
        return self.iti if self.type == "spaced" else self.gap


class Tests(Schema):
    times: list[Time] = Field(min_length=1, max_length=MAX_TESTS,
                              description="retention tests after the end of training")

    @model_validator(mode="after")
    def _after_training(self) -> "Tests":
        for index, time in enumerate(self.times):
            if time <= 0:
                raise problem(f"{format_time(time)}, a test before training ends",
                              "times > 0 measured from the end of training", "3 min",
                              field=f"times[{index}]")
            if index and time <= self.times[index - 1]:
                raise problem(f"{format_time(time)} after {format_time(self.times[index - 1])}",
                              "test times in increasing order, each once", field=f"times[{index}]")
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


class Protocol(Schema, SourcedDocument):
    """A conditioning protocol; :meth:`schedule` expands it into absolute times."""

    schema_version: Literal[1]
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=MAX_NAME_LENGTH)
    description: str = ""
    references: list[str] = []
    odors: Odors
    training: Training
    tests: Tests
    feeding: list[FeedingPeriod] = Field([{"state": "fed"}], min_length=1)
    interventions: list[InterventionSpec] = []
    genotype: Genotype = {}
    survival: Survival | None = None
    cohort: int = Field(1, ge=1, le=MAX_COHORT, description="virtual flies")
    seed: int = Field(0, ge=0, le=MAX_SEED)


    @model_validator(mode="after")
    def _times_consistent(self) -> "Protocol":
        end = self.training_end()
        if end > HORIZON:
            raise problem(f"training that lasts {format_time(end)}",
                          f"training within {format_time(HORIZON)}", field="training")
        if self.tests.times[-1] > HORIZON:
            raise problem(f"a test at {format_time(self.tests.times[-1])}",
                          f"tests within {format_time(HORIZON)} of the end of training",
                          field=f"tests.times[{len(self.tests.times) - 1}]")
        self._check_feeding(end)
        for index, item in enumerate(self.interventions):
            if isinstance(item, ColdShock):
                continue
            if item.stop.resolve(end) <= item.start.resolve(end):
                raise problem(f"'to: {item.stop}' not after 'from: {item.start}'",
                              "an intervention that ends after it starts", field=f"interventions[{index}].to")
            for other_index, other in enumerate(self.interventions[:index]):
                if (other.kind == item.kind and set(getattr(other, "targets", ())) ==
                        set(getattr(item, "targets", ())) and _overlap(other, item, end)):
                    raise problem(f"a {item.kind} overlapping interventions[{other_index}]",
                                  "separate time windows for the same intervention",
                                  field=f"interventions[{index}].from")
        return self

    def _check_feeding(self, end: float) -> None:
        previous = None
        for index, period in enumerate(self.feeding):
            if period.start is None and (index > 0 or period.state == "starved"):
                raise problem(f"state '{period.state}' without 'from'",
                              "a start time for every state after the first and for starvation",
                              "{state: starved, from: 21 h before training}",
                              field=f"feeding[{index}].from")
            if index and self.feeding[index - 1].state == period.state:
                raise problem(f"'{period.state}' twice in a row", "alternating fed and starved states",
                              field=f"feeding[{index}].state")
            start = period.start.resolve(end) if period.start is not None else None
            if previous is not None and start <= previous:
                raise problem(f"'from: {period.start}' not after the previous state's start",
                              "feeding states in time order", field=f"feeding[{index}].from")
            previous = start

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


def _overlap(first, second, end: float) -> bool:
    return (first.start.resolve(end) < second.stop.resolve(end)
            and second.start.resolve(end) < first.stop.resolve(end))
