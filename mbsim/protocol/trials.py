"""Lay out conditioning trials in time: odor blocks, the US train and the rest between cycles.

One trial is the first odor for ``cs_duration``, a ``gap`` of clean air, then the second odor; the US
(shock pulses or sugar) is placed with respect to the CS+ by the pairing (paired: during it; backward:
ending ``us_delay`` before its onset; unpaired: starting ``us_delay`` after the last odor). Times inside
a trial are seconds from its first stimulus onset; trials start at absolute times from t = 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..stimulus import OdorPulse, ShockPulse, SugarPulse

if TYPE_CHECKING:
    from .model import Training


@dataclass(frozen=True)
class Trial:
    """One conditioning cycle: ``start`` [s] from the start of training, pulse times from ``start``."""

    start: float
    stimulus_duration: float
    odors: tuple[OdorPulse, ...]
    shocks: tuple[ShockPulse, ...]
    sugar: tuple[SugarPulse, ...]
    index: int

    @property
    def end(self) -> float:
        """Absolute time [s] of the last stimulus offset."""
        return self.start + self.stimulus_duration


@dataclass(frozen=True)
class Interval:
    """A labelled time interval [s] used to lay out and check one trial."""

    label: str
    start: float
    stop: float

    def overlaps(self, other: "Interval") -> bool:
        return self.start < other.stop and other.start < self.stop


def trial_intervals(training: "Training") -> tuple[Interval, Interval, Interval]:
    """(CS+, CS-, US) intervals of one trial, before shifting its first onset to 0."""
    cs, gap = training.cs_duration, training.gap
    cs_plus_onset = 0.0 if training.order == "cs_plus_first" else cs + gap
    cs_minus_onset = cs + gap - cs_plus_onset
    us_length = training.reinforcement.train_duration(cs)
    if training.pairing == "paired":
        us_onset = cs_plus_onset
    elif training.pairing == "backward":
        us_onset = cs_plus_onset - training.us_delay - us_length
    else:
        us_onset = 2 * cs + gap + training.us_delay
    return (Interval("CS+", cs_plus_onset, cs_plus_onset + cs),
            Interval("CS-", cs_minus_onset, cs_minus_onset + cs),
            Interval("US", us_onset, us_onset + us_length))


def one_trial(training: "Training", cs_plus: tuple[str, float], cs_minus: tuple[str, float],
              start: float, index: int) -> Trial:
    """The trial that starts at ``start`` [s], with odors given as (name, dilution)."""
    plus, minus, us = trial_intervals(training)
    shift = min(plus.start, minus.start, us.start)
    odors = tuple(sorted((OdorPulse(name, block.start - shift, block.stop - shift, dilution)
                          for (name, dilution), block in ((cs_plus, plus), (cs_minus, minus))),
                         key=lambda pulse: pulse.start))
    shocks: tuple[ShockPulse, ...] = ()
    sugar: tuple[SugarPulse, ...] = ()
    shock, sugar_us = training.reinforcement.shock, training.reinforcement.sugar
    if shock is not None:
        shocks = tuple(ShockPulse(us.start - shift + k * shock.period, shock.pulse_duration, shock.voltage)
                       for k in range(shock.pulses))
    else:
        sugar = (SugarPulse(us.start - shift, us.stop - shift, sugar_us.concentration),)
    duration = max(plus.stop, minus.stop, us.stop) - shift
    return Trial(start, duration, odors, shocks, sugar, index)


def build_trials(training: "Training", cs_plus: tuple[str, float],
                 cs_minus: tuple[str, float]) -> tuple[Trial, ...]:
    """All trials of the training; each starts ``training.rest`` after the previous one ends."""
    trials: list[Trial] = []
    start = 0.0
    for index in range(training.repeat):
        trial = one_trial(training, cs_plus, cs_minus, start, index)
        trials.append(trial)
        start = trial.end + training.rest
    return tuple(trials)
