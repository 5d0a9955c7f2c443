"""Parts shared by both protocol schema versions: odors, shock and sugar, cycles and their pairing checks."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..limits import MAX_REPEAT
from ..units import format_time
from .quantities import Dilution, Duration, Molarity, OdorName, TimePoint, Voltage, problem
from .trials import trial_intervals

#: Trial timing when the protocol does not say: (CS duration, gap, order) per reinforcement.
#: Aversive: Tully & Quinn 1985, Tully et al. 1994. Appetitive: Krashes & Waddell 2008. DAN
#: activation and odors without or instead of a US: as aversive training (assumption).
TRIAL_DEFAULTS = {"shock": (60.0, 45.0, "cs_plus_first"), "sugar": (120.0, 30.0, "cs_minus_first"),
                  "dan_activation": (60.0, 45.0, "cs_plus_first"), None: (60.0, 45.0, "cs_plus_first")}
DEFAULT_ITI = 15 * 60.0  # spaced training, Tully et al. 1994


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_default=True)


class Odor(Schema):
    name: OdorName = Field(description="odor name, e.g. 3-octanol")
    concentration: Dilution = Field(1.0, description="dilution factor (1 = as tabulated)")


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

    def train_duration(self) -> float:
        """Length [s] of the pulse train of one trial."""
        return (self.pulses - 1) * self.period + self.pulse_duration


class Sugar(Schema):
    concentration: Molarity = Field("2 M", description="sucrose on the paper, default 2 M")
    duration: Duration | None = Field(None, description="default: the CS duration")


class Cycles(Schema):
    """How many cycles a block has and how they follow each other."""

    type: Literal["single", "massed", "spaced"] = Field(description="single, massed or spaced")
    repeat: int | None = Field(None, ge=1, le=MAX_REPEAT,
                               description="number of cycles (1 for single)")
    iti: Duration | None = Field(None, description="spaced only: rest between cycles, default 15 min")

    def _complete_cycles(self) -> None:
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
        self.iti = DEFAULT_ITI if self.type == "spaced" and self.iti is None else self.iti

    def _complete_timing(self, us_kind: str | None) -> None:
        """Fill CS duration, gap and order from :data:`TRIAL_DEFAULTS`."""
        cs_duration, gap, order = TRIAL_DEFAULTS[us_kind]
        self.cs_duration = cs_duration if self.cs_duration is None else self.cs_duration
        self.gap = gap if self.gap is None else self.gap
        if getattr(self, "order", None) is None:
            self.order = order

    @property
    def rest(self) -> float:
        """Time [s] from the end of one cycle to the start of the next."""
        return self.iti if self.type == "spaced" else self.gap


def check_pairing(block, us_field: str, with_cs_minus: bool = True) -> None:
    """The US delay or trace interval fits the pairing, and the US sits where the pairing says."""
    if (block.us_delay is not None) != (block.pairing in ("unpaired", "backward")):
        raise problem(f"pairing {block.pairing} {'with' if block.us_delay is not None else 'without'} "
                      "us_delay", "us_delay only, and always, with unpaired or backward pairing",
                      "pairing: unpaired, us_delay: 3 min", field="us_delay")
    trace = getattr(block, "trace_interval", None)
    if (trace is not None) != (block.pairing == "trace"):
        raise problem(f"pairing {block.pairing} {'with' if trace is not None else 'without'} "
                      "trace_interval", "trace_interval only, and always, with trace pairing",
                      "pairing: trace, trace_interval: 15 s", field="trace_interval")
    plus, minus, us = trial_intervals(block, with_cs_minus)
    if us is None:
        return
    if block.pairing == "paired" and us.stop > plus.stop + 1e-9:
        raise problem(f"a US of {format_time(us.stop - us.start)} that outlasts the "
                      f"{format_time(block.cs_duration)} CS+", "a US within the CS+", field=us_field)
    if block.pairing != "paired" and (us.overlaps(plus) or (minus is not None and us.overlaps(minus))):
        delay = (f"us_delay {format_time(block.us_delay)}" if block.us_delay is not None
                 else f"trace_interval {format_time(trace)}")
        raise problem(f"a US that overlaps an odor ({block.pairing}, {delay})",
                      "a US separated from both odors",
                      field="us_delay" if block.us_delay is not None else "trace_interval")


def time_points(protocol) -> list[tuple[str, "TimePoint"]]:
    """(field, time point) of every time point of a protocol's feeding, interventions and survival."""
    found = [(f"feeding[{i}].from", period.start) for i, period in enumerate(protocol.feeding)
             if period.start is not None]
    for i, item in enumerate(protocol.interventions):
        for name, key in (("at", "at"), ("start", "from"), ("stop", "to")):
            if isinstance(getattr(item, name, None), TimePoint):
                found.append((f"interventions[{i}].{key}", getattr(item, name)))
    if protocol.survival is not None:
        found.append(("survival.starve_from", protocol.survival.starve_from))
    return found


def check_timeline(protocol, bounds: dict[str, tuple[float, float]]) -> None:
    """Feeding states alternate in time order; interventions end after they start and the same
    one does not overlap itself. ``bounds``: (start, end) [s] of each phase; items without
    ``from``/``to`` (tied to a phase's stimuli) are checked where they are laid out."""
    _check_feeding(protocol.feeding, bounds)
    windows = [(index, item) for index, item in enumerate(protocol.interventions)
               if getattr(item, "stop", None) is not None]
    for position, (index, item) in enumerate(windows):
        if item.stop.at(bounds) <= item.start.at(bounds):
            raise problem(f"'to: {item.stop}' not after 'from: {item.start}'",
                          "an intervention that ends after it starts", field=f"interventions[{index}].to")
        for other_index, other in windows[:position]:
            if (other.kind == item.kind and set(getattr(other, "targets", ())) ==
                    set(getattr(item, "targets", ())) and other.start.at(bounds) < item.stop.at(bounds)
                    and item.start.at(bounds) < other.stop.at(bounds)):
                raise problem(f"a {item.kind} overlapping interventions[{other_index}]",
                              "separate time windows for the same intervention",
                              field=f"interventions[{index}].from")


def _check_feeding(feeding, bounds: dict[str, tuple[float, float]]) -> None:
    previous = None
    for index, period in enumerate(feeding):
        if period.start is None and (index > 0 or period.state == "starved"):
            raise problem(f"state '{period.state}' without 'from'",
                          "a start time for every state after the first and for starvation",
                          "{state: starved, from: 21 h before training}",
                          field=f"feeding[{index}].from")
        if index and feeding[index - 1].state == period.state:
            raise problem(f"'{period.state}' twice in a row", "alternating fed and starved states",
                          field=f"feeding[{index}].state")
        start = period.start.at(bounds) if period.start is not None else None
        if previous is not None and start <= previous:
            raise problem(f"'from: {period.start}' not after the previous state's start",
                          "feeding states in time order", field=f"feeding[{index}].from")
        previous = start


def check_test_times(times, after: str) -> None:
    """Test times are > 0 after the end of ``after`` (training or a phase), increasing, each once."""
    for index, time in enumerate(times):
        if time <= 0:
            raise problem(f"{format_time(time)}, a test before {after} ends",
                          f"times > 0 measured from the end of {after}", "3 min",
                          field=f"times[{index}]")
        if index and time <= times[index - 1]:
            raise problem(f"{format_time(time)} after {format_time(times[index - 1])}",
                          "test times in increasing order, each once", field=f"times[{index}]")
