"""The protocol schema version 2: a sequence of phases in time, odors declared once with keys, tests of any two sides.

Phases follow each other: each starts ``wait`` after the previous one ends, the first at t = 0. Time
points of feeding, interventions and survival are measured from t = 0 or from a named phase
(``2 h after reversal``, ``21 h before first``); tests follow a named phase. :meth:`schedule`
expands the protocol into the same :class:`~.schedule.Schedule` the engine reads for version 1.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, model_validator

from ..documents import SourcedDocument
from ..limits import HORIZON, MAX_TESTS
from ..units import format_time
from .blocks import Odor, Schema, check_timeline, time_points
from .model import ColdShock, Cycloheximide, ProtocolFields, Thermogenetic
from .phases import AIR, PhaseSpec, SecondOrderPhase, TestSpec, TrainingPhase
from .quantities import OdorKey, TimeOfProtocol, problem
from .schedule import Intervention, OdorSpec, Phase, Schedule, Test, feeding_periods, intervention, survival
from .trials import Trial, build_trials, trial_intervals

SCHEMA_VERSION = 2


class Stimuli(Schema):
    phase: str = Field(description="a phase name")
    stimulus: Literal["cs_plus", "cs_minus", "us", "trial"] = Field(
        "cs_plus", description="during each CS+ (default), CS-, US or whole trial of the phase")


class PhaseThermogenetic(Thermogenetic):
    start: TimeOfProtocol | None = Field(None, alias="from")
    stop: TimeOfProtocol | None = Field(None, alias="to")
    during: Stimuli | None = Field(None, description="instead of from/to: during each stimulus of "
                                                     "a phase")

    @model_validator(mode="after")
    def _one_timing(self) -> "PhaseThermogenetic":
        if (self.during is None) == (self.start is None or self.stop is None):
            raise problem("both 'during' and 'from'/'to'" if self.during else "no 'from'/'to'",
                          "either 'from' and 'to', or 'during'",
                          "during: {phase: first, stimulus: cs_plus}", field="during")
        return self


InterventionSpec = Annotated[Union[ColdShock, Cycloheximide, PhaseThermogenetic],
                             Field(discriminator="kind")]


class SequenceProtocol(ProtocolFields, SourcedDocument):
    """A protocol as a sequence of phases; :meth:`schedule` expands it into absolute times."""

    schema_version: Literal[2]
    odors: dict[OdorKey, Odor] = Field(min_length=1, description="odor key -> odor")
    phases: list[PhaseSpec] = Field(min_length=1, max_length=MAX_TESTS)
    tests: list[TestSpec] = Field(min_length=1, max_length=MAX_TESTS)
    interventions: list[InterventionSpec] = []

    @model_validator(mode="after")
    def _consistent(self) -> "SequenceProtocol":
        self._name_phases()
        self._check_odors()
        bounds = self.bounds()
        end = max(stop for _, stop in bounds.values())
        if end > HORIZON:
            raise problem(f"phases that last {format_time(end)}",
                          f"phases within {format_time(HORIZON)}", field="phases")
        self._check_tests(bounds)
        for field, point in time_points(self):
            if point.phase is not None and point.phase not in bounds:
                raise problem(f"'{point}', a time relative to an unknown phase",
                              "a phase named in 'phases': " + ", ".join(bounds), field=field)
        for index, item in enumerate(self.interventions):
            self._check_during(index, getattr(item, "during", None), bounds)
        check_timeline(self, bounds)
        self._tests(bounds)
        return self

    def _name_phases(self) -> None:
        counts: dict[str, int] = {}
        for index, phase in enumerate(self.phases):
            counts[phase.kind] = counts.get(phase.kind, 0) + 1
            if phase.name is None:
                phase.name = f"{phase.kind}_{counts[phase.kind]}"
            if phase.name in [other.name for other in self.phases[:index]]:
                raise problem(f"phase name '{phase.name}' twice", "a different name for each phase",
                              field=f"phases[{index}].name")
        if self.phases[0].wait:
            raise problem(f"wait {format_time(self.phases[0].wait)} before the first phase",
                          "no wait: t = 0 is the start of the first phase (feeding and "
                          "interventions can start before it)", field="phases[0].wait")

    def _check_odors(self) -> None:
        trained: set[str] = set()
        for index, phase in enumerate(self.phases):
            keys = phase.odor_keys()
            for key in keys:
                if key not in self.odors:
                    raise problem(f"odor '{key}'", "a key of 'odors': " + ", ".join(self.odors),
                                  field=f"phases[{index}]")
            if len(set(keys)) < len(keys):
                raise problem(f"odors {list(keys)}", "different odors within one phase",
                              field=f"phases[{index}]")
            if isinstance(phase, SecondOrderPhase) and phase.reinforcer not in trained:
                raise problem(f"reinforcer '{phase.reinforcer}', not the CS+ of an earlier "
                              "training phase", "an odor trained before: " + (", ".join(sorted(
                                  trained)) or "no training phase comes first"),
                              field=f"phases[{index}].reinforcer")
            if isinstance(phase, TrainingPhase):
                trained.add(phase.cs_plus)
        for index, test in enumerate(self.tests):
            for key in test.sides:
                if key != AIR and key not in self.odors:
                    raise problem(f"side '{key}'", "a key of 'odors' or air: " + ", ".join(self.odors),
                                  field=f"tests[{index}].sides")

    def _check_during(self, index: int, during: Stimuli | None, bounds: dict) -> None:
        if during is None:
            return
        if during.phase not in bounds:
            raise problem(f"phase '{during.phase}'", "a phase named in 'phases': " + ", ".join(bounds),
                          field=f"interventions[{index}].during.phase")
        phase = next(p for p in self.phases if p.name == during.phase)
        missing = ((during.stimulus == "cs_minus" and not phase.with_cs_minus())
                   or (during.stimulus == "us" and phase.us_length() is None))
        if missing:
            raise problem(f"stimulus {during.stimulus} of phase '{phase.name}', which has none",
                          "a stimulus the phase presents", field=f"interventions[{index}].during.stimulus")

    def _check_tests(self, bounds: dict) -> None:
        trials = self.trials()
        for index, test in enumerate(self.tests):
            after = test.after or self.phases[-1].name
            if after not in bounds:
                raise problem(f"phase '{after}'", "a phase named in 'phases': " + ", ".join(bounds),
                              field=f"tests[{index}].after")
            for time_index, time in enumerate(test.times):
                field = f"tests[{index}].times[{time_index}]"
                if time > HORIZON:
                    raise problem(f"a test at {format_time(time)}", f"tests within "
                                  f"{format_time(HORIZON)} of the end of their phase", field=field)
                absolute = bounds[after][1] + time
                inside = next((trial for trial in trials if trial.start < absolute < trial.end), None)
                if inside is not None:
                    raise problem(f"a test at {format_time(absolute)}, during trial {inside.index + 1} "
                                  f"of phase '{inside.phase}'", "tests between trials (a longer "
                                  "wait before the next phase, or an earlier test)", field=field)

    def bounds(self) -> dict[str, tuple[float, float]]:
        """(first onset, last offset) [s] of each phase."""
        found: dict[str, tuple[float, float]] = {}
        for phase, trials in zip(self.phases, self._phase_trials()):
            found[phase.name] = (trials[0].start, trials[-1].end)
        return found

    def _phase_trials(self) -> list[tuple[Trial, ...]]:
        found, start = [], 0.0
        for phase in self.phases:
            start += phase.wait
            keys = phase.odor_keys()
            reinforcer = self._odor(phase.reinforcer) if isinstance(phase, SecondOrderPhase) else None
            trials = build_trials(phase, self._odor(keys[0]),
                                  self._odor(keys[1]) if phase.with_cs_minus() else None, start,
                                  phase.name, reinforcer)
            found.append(trials)
            start = trials[-1].end
        return found

    def _odor(self, key: str) -> tuple[str, float]:
        return self.odors[key].name, self.odors[key].concentration

    def trials(self) -> tuple[Trial, ...]:
        """Every trial of every phase in absolute time."""
        return tuple(trial for trials in self._phase_trials() for trial in trials)

    def schedule(self) -> Schedule:
        """The absolute-time :class:`~mbsim.protocol.schedule.Schedule` of this protocol."""
        bounds = self.bounds()
        trials = self.trials()
        interventions = []
        for index, item in enumerate(self.interventions):
            if getattr(item, "during", None) is None:
                interventions.append(intervention(item, bounds, index))
                continue
            interventions += [Intervention(item.kind, trial.start + start, trial.start + stop,
                                           tuple(item.targets), index)
                              for trial, (start, stop) in self._stimuli(item.during, trials)]
        return Schedule(
            name=self.name, trials=trials, training_end=trials[-1].end, tests=self._tests(bounds),
            odors=tuple((key, OdorSpec(odor.name, odor.concentration)) for key, odor in self.odors.items()),
            feeding=feeding_periods(self.feeding, bounds), interventions=tuple(interventions),
            genotype=frozenset(flag for flag, value in self.genotype if value),
            survival=survival(self.survival, bounds), cohort=self.cohort, seed=self.seed,
            phases=tuple(Phase(phase.name, phase.kind, *bounds[phase.name]) for phase in self.phases))

    def _stimuli(self, during: Stimuli, trials) -> list[tuple[Trial, tuple[float, float]]]:
        """(trial, (start, stop) [s] in the trial) of a stimulus in each trial of a phase."""
        phase = next(p for p in self.phases if p.name == during.phase)
        plus, minus, us = trial_intervals(phase, phase.with_cs_minus())
        shift = min(i.start for i in (plus, minus, us) if i is not None)
        chosen = {"cs_plus": plus, "cs_minus": minus, "us": us}.get(during.stimulus)
        return [(trial, (0.0, trial.stimulus_duration) if during.stimulus == "trial"
                 else (chosen.start - shift, chosen.stop - shift))
                for trial in trials if trial.phase == phase.name]

    def _tests(self, bounds: dict) -> tuple[Test, ...]:
        """The tests in time order, labelled "test at 3 h" with the phase when there are several
        phases and the sides when the tests have several pairs of sides."""
        several_phases = len(self.phases) > 1
        several_sides = len({tuple(test.sides) for test in self.tests}) > 1
        tests = []
        for spec in self.tests:
            after = spec.after or self.phases[-1].name
            first, second = spec.sides
            sides = (OdorSpec(*self._odor(first)),
                     OdorSpec(*self._odor(second)) if second != AIR else None)
            for time in spec.times:
                label = (f"test at {format_time(time)}" + (f" after {after}" if several_phases else "")
                         + (f", {first} vs {second}" if several_sides else ""))
                tests.append(Test(bounds[after][1] + time, sides, label, time, after))
        labels = [test.label for test in tests]
        duplicate = next((label for label in labels if labels.count(label) > 1), None)
        if duplicate is not None:
            raise problem(f"'{duplicate}' twice", "each test once", field="tests")
        return tuple(sorted(tests, key=lambda test: test.time))
