"""The absolute-time :class:`Schedule` of a protocol: every event in seconds, t = 0 at the start of training
(of the first phase, in schema version 2); :func:`expand` builds it from a version-1 protocol."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from ..units import format_time
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
class Test:
    """A T-maze test at ``time`` [s]: the fly chooses between ``sides`` (an odor, or None for air
    on the second side); ``retention_time`` [s] after the end of the phase ``after``."""

    time: float
    sides: tuple[OdorSpec, OdorSpec | None]
    label: str
    retention_time: float
    after: str = "training"


@dataclass(frozen=True)
class Phase:
    """A phase of the protocol that presents stimuli, from its first onset to its last offset [s]."""

    name: str
    kind: str
    start: float
    end: float


@dataclass(frozen=True)
class Intervention:
    """A manipulation from ``start`` to ``stop`` [s]; ``targets`` are neuron types (activate/block
    only); ``source``: its item in the protocol's ``interventions`` list."""

    kind: Literal["cold_shock", "cycloheximide", "activate", "block"]
    start: float
    stop: float
    targets: tuple[str, ...] = ()
    source: int = 0

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
    tests: tuple[Test, ...]
    odors: tuple[tuple[str, OdorSpec], ...]
    feeding: tuple[tuple[float, FeedingState], ...]
    interventions: tuple[Intervention, ...]
    genotype: frozenset[str]
    survival: Survival | None
    cohort: int
    seed: int
    phases: tuple[Phase, ...] = ()

    @property
    def test_times(self) -> tuple[float, ...]:
        """Absolute times [s] of the tests, in time order."""
        return tuple(test.time for test in self.tests)

    def with_retention_times(self, times) -> "Schedule":
        """The same schedule with the first test's sides tested at ``times`` [s] after the end of
        training instead (fits ask for the times of their data)."""
        sides = self.tests[0].sides
        return replace(self, tests=tuple(test_after_training(self.training_end, time, sides)
                                         for time in times))

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
    odors = (("cs_plus", OdorSpec(protocol.odors.cs_plus.name, protocol.odors.cs_plus.concentration)),
             ("cs_minus", OdorSpec(protocol.odors.cs_minus.name, protocol.odors.cs_minus.concentration)))
    sides = (odors[0][1], odors[1][1])
    bounds = {"training": (0.0, end)}
    return Schedule(
        name=protocol.name,
        trials=trials,
        training_end=end,
        tests=tuple(test_after_training(end, time, sides) for time in protocol.tests.times),
        odors=odors,
        feeding=feeding_periods(protocol.feeding, bounds),
        interventions=tuple(intervention(item, bounds, index)
                            for index, item in enumerate(protocol.interventions)),
        genotype=frozenset(flag for flag, value in protocol.genotype if value),
        survival=survival(protocol.survival, bounds),
        cohort=protocol.cohort,
        seed=protocol.seed,
        phases=(Phase("training", "training", 0.0, end),))


def test_after_training(training_end: float, retention_time: float, sides) -> Test:
    """The test ``retention_time`` [s] after the end of training, labelled as in schema version 1."""
    return Test(training_end + retention_time, sides, f"test at {format_time(retention_time)}",
                retention_time)


def survival(spec, bounds: dict) -> Survival | None:
    """The survival follow-up of a protocol's ``survival`` entry (None: none)."""
    return Survival(spec.starve_from.at(bounds), spec.horizon) if spec is not None else None


def feeding_periods(feeding, bounds: dict) -> tuple[tuple[float, FeedingState], ...]:
    """Piecewise-constant feeding states from t = -inf; flies are fed before the first given start.
    ``bounds``: (start, end) [s] of each phase, for the time points."""
    periods = [(period.start.at(bounds) if period.start is not None else -math.inf, period.state)
               for period in feeding]
    if periods[0][0] > -math.inf:
        periods.insert(0, (-math.inf, "fed"))
    return tuple(periods)


def intervention(item, bounds: dict, index: int) -> Intervention:
    """The intervention of the protocol's ``interventions[index]`` with from/to (or at) times."""
    if item.kind == "cold_shock":
        start = item.at.at(bounds)
        return Intervention("cold_shock", start, start + item.duration, source=index)
    targets = () if item.kind == "cycloheximide" else tuple(item.targets)
    return Intervention(item.kind, item.start.at(bounds), item.stop.at(bounds), targets, index)
