"""Spiking windows of a protocol: build them from the schedule and simulate each distinct one once.

A training trial and a retention test each become one :class:`~mbsim.stimulus.Window`.
Without the recurrent pathways training windows do not depend on the current weights (KC, APL and
DAN activity are upstream of the plastic synapses), so identical trials of one fly share one
simulation through :class:`WindowCache`. With them (``network.recurrent``) training windows run
with the current efficacy; test windows always read the MBONs through it. The efficacy is part of
the cache key, so a window is reused only when its inputs, efficacy included, are the same.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import numpy as np

from ..stimulus import Manipulation, OdorPulse, Window

#: Odor timing inside a test window [s]: one side sampled first, then the other (for CS+ against CS-,
#: CS+ first), as in a T-maze choice point.
TEST_PULSES = ((0.5, 2.5), (3.0, 5.0))
TEST_DURATION = 5.0


def window_seed(fly_seed: int, *labels) -> int:
    """A 31-bit seed derived from the fly's seed and a label (stable across runs and platforms)."""
    text = ":".join(str(x) for x in (fly_seed, *labels))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little") & 0x7FFFFFFF


def manipulations_during(interventions, start: float, stop: float) -> tuple[Manipulation, ...]:
    """Thermogenetic interventions overlapping [start, stop], in window-relative time."""
    found = []
    for item in interventions:
        if item.kind in ("activate", "block") and item.start < stop and item.stop > start:
            found.append(Manipulation(tuple(item.targets), item.kind,
                                      max(item.start, start) - start, min(item.stop, stop) - start))
    return tuple(found)


def trial_label(trial) -> str:
    """The label of a trial's window: its phase and cycle ("training trial 1")."""
    return f"{trial.phase} trial {trial.index + 1}"


def trial_window(trial, interventions, starved: bool, fly_seed: int) -> Window:
    """The window of one training trial; all trials of a fly share one noise seed (see docs)."""
    return Window(duration=trial.stimulus_duration, odors=tuple(trial.odors),
                  shocks=tuple(trial.shocks), sugar=tuple(trial.sugar),
                  manipulations=trial.manipulations + manipulations_during(
                      interventions, trial.start, trial.start + trial.stimulus_duration),
                  starved=starved, seed=window_seed(fly_seed, "training"),
                  label=trial_label(trial))


def test_window(test, interventions, starved: bool, fly_seed: int) -> Window:
    """A T-maze test (a :class:`~mbsim.protocol.schedule.Test`): its first side's odor, then the
    second side's, presented to the fly's network at the test's time.

    Air is a pulse of the first odor at concentration 0: the PNs' spontaneous rates, so the readout
    compares the odor with the MBON drive in clean air. All tests of a fly share one noise seed,
    so the naive reference of the readout is simulated once per fly and side pair, and a phase
    whose efficacy is still naive costs nothing.
    """
    first, second = test.sides
    second_pulse = (OdorPulse(second.name, *TEST_PULSES[1], second.concentration) if second is not None
                    else OdorPulse(first.name, *TEST_PULSES[1], 0.0))
    odors = (OdorPulse(first.name, *TEST_PULSES[0], first.concentration), second_pulse)
    return Window(duration=TEST_DURATION, odors=odors,
                  manipulations=manipulations_during(interventions, test.time,
                                                     test.time + TEST_DURATION),
                  starved=starved, seed=window_seed(fly_seed, "test"), label=test.label)


@dataclass
class WindowCache:
    """Results of simulated windows keyed by the window and the efficacy it saw."""

    network: object
    hits: int = 0
    misses: int = 0
    seconds: float = 0.0  # wall time spent simulating

    def __post_init__(self):
        self._store: dict[str, object] = {}

    def simulate(self, window: Window, efficacy: np.ndarray | None = None,
                 record: tuple[str, ...] = ()):
        return self.simulate_columns(window, [efficacy], record)[0]

    def simulate_columns(self, window: Window, efficacies, record: tuple[str, ...] = ()) -> list:
        """The window read through each efficacy (None = naive); the ones not yet simulated are
        simulated together, as readout columns of one call (``network.simulate_columns``).
        ``record``: cell classes whose spike trains the results must keep; a stored result
        without them is simulated again (the same numbers: a window is a pure function)."""
        base = window.key()
        keys = [_key(base, efficacy) for efficacy in efficacies]
        missing = {key: efficacy for key, efficacy in zip(keys, efficacies)
                   if key not in self._store
                   or not set(record) <= set(self._store[key].spike_trains)}
        self.hits += len(keys) - len(missing)
        self.misses += len(missing)
        if missing:
            started = time.perf_counter()
            results = self.network.simulate_columns(window, list(missing.values()), record)
            self._store.update(zip(missing, results))
            self.seconds += time.perf_counter() - started
        return [self._store[key] for key in keys]


def _key(window_key: str, efficacy: np.ndarray | None) -> str:
    """Cache key of a window (its content key) read through ``efficacy``."""
    if efficacy is None:
        return window_key
    return window_key + hashlib.sha256(np.ascontiguousarray(efficacy).tobytes()).hexdigest()[:16]
