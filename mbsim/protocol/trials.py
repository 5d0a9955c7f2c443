"""Lay out conditioning trials in time: odor blocks, the US and the rest between cycles.

One trial is the first odor for ``cs_duration``, a ``gap`` of clean air, then the second odor (a
block may have one odor only); the US (shock pulses, sugar, the activation of named DANs, or a
trained odor in second-order conditioning) is placed with respect to the CS+ by the pairing
(paired: during it; backward: ending ``us_delay`` before its onset; unpaired: starting ``us_delay``
after the last odor; trace: starting ``trace_interval`` after the CS+ ends, the other odor following
the US after the gap). Times inside a trial are seconds from its first stimulus onset; trials start
at absolute times from t = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..stimulus import Manipulation, OdorPulse, ShockPulse, SugarPulse


@dataclass(frozen=True)
class Trial:
    """One conditioning cycle: ``start`` [s] from t = 0, pulse times from ``start``; ``index``
    counts the cycles of its ``phase``; ``manipulations`` are DAN activations that replace a US."""

    start: float
    stimulus_duration: float
    odors: tuple[OdorPulse, ...]
    shocks: tuple[ShockPulse, ...]
    sugar: tuple[SugarPulse, ...]
    index: int
    phase: str = "training"
    manipulations: tuple[Manipulation, ...] = ()

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


def trial_intervals(block, with_cs_minus: bool = True
                    ) -> tuple[Interval, Interval | None, Interval | None]:
    """(CS+, CS- or None, US or None) intervals of one trial, before shifting its first onset to 0.

    ``block`` has ``cs_duration``, ``gap``, ``order``, ``pairing``, ``us_delay`` and
    ``us_length()`` (None: no US), and ``trace_interval`` with trace pairing."""
    cs, gap = block.cs_duration, block.gap
    us_length = block.us_length()
    plus_first = block.order == "cs_plus_first" or not with_cs_minus
    cs_plus_onset = 0.0 if plus_first else cs + gap
    cs_minus_onset = cs + gap - cs_plus_onset
    if block.pairing == "trace":
        us_onset = cs_plus_onset + cs + block.trace_interval
        if plus_first:
            cs_minus_onset = us_onset + us_length + gap
    elif block.pairing == "paired":
        us_onset = cs_plus_onset
    elif block.pairing == "backward":
        us_onset = cs_plus_onset - block.us_delay - (us_length or 0.0)
    else:
        us_onset = (2 * cs + gap if with_cs_minus else cs) + block.us_delay
    return (Interval("CS+", cs_plus_onset, cs_plus_onset + cs),
            Interval("CS-", cs_minus_onset, cs_minus_onset + cs) if with_cs_minus else None,
            Interval("US", us_onset, us_onset + us_length) if us_length is not None else None)


def one_trial(block, cs_plus: tuple[str, float], cs_minus: tuple[str, float] | None,
              start: float, index: int, phase: str = "training",
              reinforcer: tuple[str, float] | None = None) -> Trial:
    """The trial that starts at ``start`` [s], with odors given as (name, dilution); a
    ``reinforcer`` odor takes the place of the US (second-order conditioning)."""
    plus, minus, us = trial_intervals(block, cs_minus is not None)
    blocks = [(cs_plus, plus)] + ([(cs_minus, minus)] if cs_minus is not None else [])
    if reinforcer is not None:
        blocks.append((reinforcer, us))
    intervals = [block for _, block in blocks] + ([us] if us is not None else [])
    shift = min(interval.start for interval in intervals)
    odors = tuple(sorted((OdorPulse(name, interval.start - shift, interval.stop - shift, dilution)
                          for (name, dilution), interval in blocks), key=lambda pulse: pulse.start))
    shocks: tuple[ShockPulse, ...] = ()
    sugar: tuple[SugarPulse, ...] = ()
    manipulations: tuple[Manipulation, ...] = ()
    reinforcement = getattr(block, "reinforcement", None)
    if reinforcement is not None and reinforcement.shock is not None:
        shock = reinforcement.shock
        shocks = tuple(ShockPulse(us.start - shift + k * shock.period, shock.pulse_duration,
                                  shock.voltage) for k in range(shock.pulses))
    elif reinforcement is not None and reinforcement.sugar is not None:
        sugar = (SugarPulse(us.start - shift, us.stop - shift, reinforcement.sugar.concentration),)
    elif reinforcement is not None:
        manipulations = (Manipulation(tuple(reinforcement.dan_activation.targets), "activate",
                                      us.start - shift, us.stop - shift),)
    duration = max(interval.stop for interval in intervals) - shift
    return Trial(start, duration, odors, shocks, sugar, index, phase, manipulations)


def build_trials(block, cs_plus: tuple[str, float], cs_minus: tuple[str, float] | None,
                 start: float = 0.0, phase: str = "training",
                 reinforcer: tuple[str, float] | None = None) -> tuple[Trial, ...]:
    """All trials of a block from ``start`` [s]; each starts ``block.rest`` after the previous ends."""
    trials: list[Trial] = []
    for index in range(block.repeat):
        trial = one_trial(block, cs_plus, cs_minus, start, index, phase, reinforcer)
        trials.append(trial)
        start = trial.end + block.rest
    return tuple(trials)
