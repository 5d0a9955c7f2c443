"""The phases of a schema-version-2 protocol: training, odor exposure and second-order blocks, and tests.

A stimulus phase is a block of cycles (:class:`~.blocks.Cycles`) whose trials present odors named by
their keys under ``odors``. Training pairs a CS+ with a US (shock, sugar or the activation of named
DANs); an exposure presents odors alone (extinction, pre-exposure); a second-order block presents a
trained odor in place of the US. Tests name the two sides of the T-maze.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field, model_validator

from ..limits import MAX_TESTS
from .blocks import Cycles, Schema, Shock, Sugar, check_pairing, check_test_times
from .quantities import Delay, Duration, NeuronTypeName, OdorKey, PhaseName, Time, problem

#: The side of a T-maze test without odor.
AIR = "air"


class DanActivation(Schema):
    targets: list[NeuronTypeName] = Field(min_length=1, description="DAN types, e.g. PAM-g5")
    duration: Duration | None = Field(None, description="default: the CS duration")


class UnconditionedStimulus(Schema):
    shock: Shock | None = Field(None, description="electric shock (aversive)")
    sugar: Sugar | None = Field(None, description="sucrose (appetitive)")
    dan_activation: DanActivation | None = Field(
        None, description="activation of named DANs in place of a US (Aso & Rubin 2016)")

    @model_validator(mode="after")
    def _exactly_one(self) -> "UnconditionedStimulus":
        given = [name for name in ("shock", "sugar", "dan_activation") if getattr(self, name)]
        if len(given) != 1:
            raise problem(" and ".join(given) if given else "no US",
                          "exactly one of shock, sugar or dan_activation (a block without US is "
                          "kind: exposure)", "{shock: {voltage: 60 V}}")
        return self

    @property
    def kind(self) -> str:
        return next(name for name in ("shock", "sugar", "dan_activation") if getattr(self, name))

    def length(self, cs_duration: float) -> float:
        """Length [s] of the US of one trial."""
        if self.shock is not None:
            return self.shock.train_duration()
        us = self.sugar if self.sugar is not None else self.dan_activation
        return us.duration if us.duration is not None else cs_duration


class Block(Cycles):
    """What every stimulus phase has: a name, the rest before it and its cycles."""

    name: PhaseName | None = Field(None, description="default: <kind>_<n>, e.g. training_1")
    wait: Delay = Field("0 s", description="rest from the end of the previous phase to the start "
                                           "of this one")
    type: Literal["single", "massed", "spaced"] = Field("single", description="single, massed or "
                                                                              "spaced")
    cs_duration: Duration | None = Field(None, description="each odor presentation, default 60 s "
                                                           "(2 min with sugar)")
    gap: Delay | None = Field(None, description="air between the odors, default 45 s (30 s with "
                                                "sugar)")


class Paired(Block):
    """A block whose CS+ is paired with a US or a trained odor."""

    cs_plus: OdorKey = Field(description="the odor paired with the US")
    cs_minus: OdorKey | None = Field(None, description="the odor presented without US; none: the "
                                                       "CS+ alone")
    order: Literal["cs_plus_first", "cs_minus_first"] | None = Field(
        None, description="default: cs_plus_first (cs_minus_first with sugar)")
    us_delay: Delay | None = Field(None, description="unpaired/backward only: US-odor separation")
    trace_interval: Delay | None = Field(None, description="trace only: from the end of the CS+ to "
                                                           "the US")

    def odor_keys(self) -> tuple[str, ...]:
        """The keys of the odors the block presents: CS+, then CS- (and the reinforcer)."""
        return (self.cs_plus,) + ((self.cs_minus,) if self.cs_minus is not None else ())

    def with_cs_minus(self) -> bool:
        return self.cs_minus is not None


class TrainingPhase(Paired):
    kind: Literal["training"]
    reinforcement: UnconditionedStimulus
    pairing: Literal["paired", "unpaired", "backward", "trace"] = "paired"

    @model_validator(mode="after")
    def _complete(self) -> "TrainingPhase":
        self._complete_cycles()
        self._complete_timing(self.reinforcement.kind)
        check_pairing(self, f"reinforcement.{self.reinforcement.kind}", self.cs_minus is not None)
        return self

    def us_length(self) -> float:
        return self.reinforcement.length(self.cs_duration)


class SecondOrderPhase(Paired):
    kind: Literal["second_order"]
    reinforcer: OdorKey = Field(description="a trained odor (the CS+ of an earlier training)")
    pairing: Literal["trace", "unpaired", "backward"] = Field(
        "trace", description="trace (default): the reinforcer follows the CS+ after trace_interval; "
                             "the two odors are never presented at once")
    reinforcer_duration: Duration | None = Field(None, description="default: the CS duration")

    @model_validator(mode="after")
    def _complete(self) -> "SecondOrderPhase":
        self._complete_cycles()
        self._complete_timing(None)
        if self.pairing == "trace" and self.trace_interval is None:
            self.trace_interval = 0.0
        check_pairing(self, "reinforcer_duration", self.cs_minus is not None)
        return self

    def us_length(self) -> float:
        return self.reinforcer_duration if self.reinforcer_duration is not None else self.cs_duration

    def odor_keys(self) -> tuple[str, ...]:
        return super().odor_keys() + (self.reinforcer,)


class ExposurePhase(Block):
    kind: Literal["exposure"]
    odors: list[OdorKey] = Field(min_length=1, max_length=2,
                                 description="one odor, or two presented one after the other")

    @model_validator(mode="after")
    def _complete(self) -> "ExposurePhase":
        self._complete_cycles()
        self._complete_timing(None)
        return self

    # the layout of trials.trial_intervals: the odors in their order, no US
    order: ClassVar[str] = "cs_plus_first"
    pairing: ClassVar[str] = "paired"
    us_delay: ClassVar[None] = None

    def us_length(self) -> None:
        return None

    def odor_keys(self) -> tuple[str, ...]:
        return tuple(self.odors)

    def with_cs_minus(self) -> bool:
        return len(self.odors) > 1


PhaseSpec = Annotated[Union[TrainingPhase, ExposurePhase, SecondOrderPhase], Field(discriminator="kind")]


class TestSpec(Schema):
    """T-maze tests of one pair of sides at several times after a phase."""

    sides: list[OdorKey | Literal["air"]] = Field(
        min_length=2, max_length=2, description="two odor keys, or an odor key and air; the PI "
                                                "counts avoidance of the first")
    after: PhaseName | None = Field(None, description="the phase the times follow; default the last")
    times: list[Time] = Field(min_length=1, max_length=MAX_TESTS,
                              description="after the end of that phase")

    @model_validator(mode="after")
    def _checked(self) -> "TestSpec":
        if self.sides[0] == AIR or self.sides[0] == self.sides[1]:
            raise problem(f"sides {self.sides}", "two different sides, an odor first (air only "
                          "second)", "sides: [A, air]", field="sides")
        check_test_times(self.times, "its phase")
        return self
