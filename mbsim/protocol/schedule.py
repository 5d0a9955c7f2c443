"""Expand a validated protocol into a :class:`Schedule`: every event in absolute seconds, t = 0 at training start."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .trials import Trial

if TYPE_CHECKING:
    from .model import Protocol

FeedingState = Literal["fed", "starved"]


@dataclass(frozen=True)
class OdorSpec:
    """A conditioned odor: its name and dilution factor (1 = as tabulated)."""

    name: str
    concentration: float


@dataclass(frozen=True)
class Intervention:
    """A manipulation from ``start`` to ``stop`` [s]; ``targets`` are neuron types (activate/block only)."""

    kind: Literal["cold_shock", "cycloheximide", "activate", "block"]
    start: float
    stop: float
    targets: tuple[str, ...] = ()

    def active(self, time: float) -> bool:
        return self.start <= time < self.stop


@dataclass(frozen=True)
class Survival:
    """Record survival under starvation from ``starve_from`` [s] for ``horizon`` [s]."""

    starve_from: float
    horizon: float


@dataclass(frozen=True)
class Schedule:
    """Everything that happens to the cohort, in seconds from the start of training."""

    name: str
    trials: tuple[Trial, ...]
    training_end: float
    tests: tuple[float, ...]
    cs_plus: OdorSpec
    cs_minus: OdorSpec
    feeding: tuple[tuple[float, FeedingState], ...]
    interventions: tuple[Intervention, ...]
    genotype: frozenset[str]
    survival: Survival | None
    cohort: int
    seed: int

    def feeding_at(self, time: float) -> tuple[FeedingState, float]:
        """(state, time [s] since that state began) at ``time``; ``inf`` if it always held."""
        since, state = self.feeding[0]
        for start, next_state in self.feeding[1:]:
            if start > time:
                break
            state, since = next_state, start
        return state, time - since

    def interventions_at(self, time: float) -> tuple[Intervention, ...]:
        """Interventions in effect at ``time``."""
        return tuple(item for item in self.interventions if item.active(time))


def expand(protocol: "Protocol") -> Schedule:
    """The :class:`Schedule` of a validated protocol."""
    trials = protocol.trials()
    end = trials[-1].end
    odors = protocol.odors
    return Schedule(
        name=protocol.name,
        trials=trials,
        training_end=end,
        tests=tuple(end + time for time in protocol.tests.times),
        cs_plus=OdorSpec(odors.cs_plus.name, odors.cs_plus.concentration),
        cs_minus=OdorSpec(odors.cs_minus.name, odors.cs_minus.concentration),
        feeding=_feeding(protocol, end),
        interventions=tuple(_intervention(item, end) for item in protocol.interventions),
        genotype=frozenset(flag for flag, value in protocol.genotype if value),
        survival=(Survival(protocol.survival.starve_from.resolve(end), protocol.survival.horizon)
                  if protocol.survival is not None else None),
        cohort=protocol.cohort,
        seed=protocol.seed)


def _feeding(protocol: "Protocol", end: float) -> tuple[tuple[float, FeedingState], ...]:
    """Piecewise-constant feeding states from t = -inf; flies are fed before the first given start."""
    periods = [(period.start.resolve(end) if period.start is not None else -math.inf, period.state)
               for period in protocol.feeding]
    if periods[0][0] > -math.inf:
        periods.insert(0, (-math.inf, "fed"))
    return tuple(periods)


def _intervention(item, end: float) -> Intervention:
    if item.kind == "cold_shock":
        start = item.at.resolve(end)
        return Intervention("cold_shock", start, start + item.duration)
    targets = () if item.kind == "cycloheximide" else tuple(item.targets)
    return Intervention(item.kind, item.start.resolve(end), item.stop.resolve(end), targets)
