"""Train the odor-valence task to criterion under one plasticity strategy and count its energy.

Trials present the K odors in shuffled epochs. After each trial the T-maze accuracy (mean over odors
of P(correct choice), :meth:`OdorTask.accuracy`) is checked against the criterion. Energy is
M_alpha = sum over updates of |dw|^alpha (:func:`mbsim.engine.energy.m_alpha`) per phase:

* ``persistent``: changes of the persistent (LTM-like) efficacy. Every update of the restriction
  strategies is persistent; under caching, consolidations are.
* ``transient``: changes of the transient (labile-like) component under caching.
* ``maintenance``: under caching, ``c * integral over time of sum_i |w_transient,i|^alpha`` (c the
  maintenance cost per hour; for alpha = 0 the number of synapses holding a transient change).

``total = persistent + maintenance + transient_update_cost * transient`` (Li & van Rossum 2020 charge
the maintenance of transient changes, not their making: ``transient_update_cost`` defaults to 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine.energy import UPDATE_THRESHOLD, m_alpha
from .experiment import Caching
from .task import OdorTask

PHASES = ("total", "transient", "persistent", "maintenance")
SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True)
class RunOutcome:
    """Trials to criterion (or max_trials), whether it was reached, final accuracy, energy (phase, alpha)."""

    trials: int
    reached: bool
    accuracy: float
    energy: np.ndarray  # (len(PHASES), len(alphas))


class EnergyLedger:
    """M_alpha per phase for several alphas at once."""

    def __init__(self, alphas):
        self.alphas = tuple(float(a) for a in alphas)
        self.values = {phase: np.zeros(len(self.alphas)) for phase in PHASES[1:]}

    def add(self, phase: str, change: np.ndarray) -> None:
        self.values[phase] += [m_alpha(change, a) for a in self.alphas]

    def add_maintenance(self, transient: np.ndarray, interval: float, decay_time: float,
                        cost_per_hour: float) -> None:
        """Cost of holding ``transient`` for ``interval`` seconds while it decays with ``decay_time``."""
        held = np.abs(transient[np.abs(transient) > UPDATE_THRESHOLD])
        for j, alpha in enumerate(self.alphas):
            if alpha == 0:
                duration = interval * len(held)
            else:
                rate = alpha / decay_time
                duration = float((held ** alpha).sum()) * (1 - np.exp(-rate * interval)) / rate
            self.values["maintenance"][j] += cost_per_hour * duration / SECONDS_PER_HOUR

    def table(self, transient_update_cost: float = 0.0) -> np.ndarray:
        total = (self.values["persistent"] + self.values["maintenance"]
                 + transient_update_cost * self.values["transient"])
        return np.array([total] + [self.values[p] for p in PHASES[1:]])


def trial_sequence(task: OdorTask, rng: np.random.Generator, max_trials: int):
    """(odor, repeat) of each trial: shuffled epochs of all odors; repeats cycle per odor."""
    shown = np.zeros(len(task.odors), dtype=int)
    for _ in range(max_trials):
        for k in rng.permutation(len(task.odors)):
            yield k, shown[k] % len(task.changes[k])
            shown[k] += 1


def _bounded(total: np.ndarray, change) -> np.ndarray:
    """The part of a proposed change that keeps efficacy within [0, max]: clip(w + dw) - w."""
    w = total[change.index]
    return np.clip(w + change.change, 0.0, None) - w


def train_restricted(task: OdorTask, selector, rng, criterion: float, max_trials: int,
                     alphas) -> RunOutcome:
    """Direct persistent updates, restricted by ``selector`` (see strategies.py)."""
    efficacy = np.ones(task.kernel.shape[1])
    drive = np.zeros(len(task.odors))
    ledger = EnergyLedger(alphas)
    trials, reached = 0, False
    for trials, (k, r) in enumerate(trial_sequence(task, rng, max_trials), start=1):
        change = task.changes[k][r]
        applied = np.minimum(_bounded(efficacy, change), task.max_efficacy - efficacy[change.index])
        keep = selector.select(change.index, applied)
        index, applied = change.index[keep], applied[keep]
        efficacy[index] += applied
        drive += task.kernel[:, index] @ applied
        ledger.add("persistent", applied)
        if task.accuracy(drive) >= criterion:
            reached = True
            break
        if trials >= max_trials:
            break
    return RunOutcome(trials, reached, task.accuracy(drive), ledger.table())


def train_caching(task: OdorTask, caching: Caching, threshold: float, decay_time: float,
                  interval: float, rng, criterion: float, max_trials: int, alphas) -> RunOutcome:
    """Synaptic caching (Li & van Rossum 2020): every update goes to a decaying transient store
    (labile-like), which pays maintenance; a synapse whose |transient| exceeds ``threshold`` moves it
    into the persistent store (LTM-like), paying |transient| as a persistent update."""
    n = task.kernel.shape[1]
    persistent, transient = np.ones(n), np.zeros(n)
    drive_persistent, drive_transient = np.zeros(len(task.odors)), np.zeros(len(task.odors))
    ledger = EnergyLedger(alphas)
    factor = np.exp(-interval / decay_time)
    trials, reached = 0, False
    for trials, (k, r) in enumerate(trial_sequence(task, rng, max_trials), start=1):
        if trials > 1:
            ledger.add_maintenance(transient, interval, decay_time, caching.maintenance_cost)
            transient *= factor
            drive_transient *= factor
        change = task.changes[k][r]
        applied = np.minimum(_bounded(persistent + transient, change),
                             task.max_efficacy - persistent[change.index] - transient[change.index])
        transient[change.index] += applied
        drive_transient += task.kernel[:, change.index] @ applied
        ledger.add("transient", applied)
        over = change.index[np.abs(transient[change.index]) > threshold]
        _consolidate(over, persistent, transient, drive_persistent, drive_transient, task, ledger)
        if task.accuracy(drive_persistent + drive_transient) >= criterion:
            reached = True
            break
        if trials >= max_trials:
            break
    accuracy = task.accuracy(drive_persistent + drive_transient)
    if caching.consolidate_at_end:
        held = np.flatnonzero(np.abs(transient) > UPDATE_THRESHOLD)
        _consolidate(held, persistent, transient, drive_persistent, drive_transient, task, ledger)
    return RunOutcome(trials, reached, accuracy, ledger.table(caching.transient_update_cost))


def _consolidate(index, persistent, transient, drive_persistent, drive_transient, task, ledger):
    """Move the transient change of pairs ``index`` into the persistent store (in place)."""
    moved = transient[index]
    persistent[index] += moved
    transient[index] = 0.0
    shift = task.kernel[:, index] @ moved
    drive_persistent += shift
    drive_transient -= shift
    ledger.add("persistent", moved)
