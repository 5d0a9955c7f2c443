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
                        cost_per_hour: float, time_unit: float = SECONDS_PER_HOUR) -> None:
        """Cost of holding ``transient`` for ``interval`` while it decays with ``decay_time``
        (``np.inf``: no decay). ``time_unit`` is the cost period in the unit of ``interval``: the
        MB's times are seconds and its cost is per hour; an artificial network passes training steps
        and ``time_unit=1`` (cost per step)."""
        held = np.abs(transient[np.abs(transient) > UPDATE_THRESHOLD])
        for j, alpha in enumerate(self.alphas):
            if alpha == 0:
                duration = interval * len(held)
            elif np.isinf(decay_time):
                duration = interval * float((held ** alpha).sum())
            else:
                rate = alpha / decay_time
                duration = float((held ** alpha).sum()) * (1 - np.exp(-rate * interval)) / rate
            self.values["maintenance"][j] += cost_per_hour * duration / time_unit

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


class SynapticCache:
    """Persistent and transient stores of a network's plastic units under synaptic caching (Li & van
    Rossum 2020), with their energy in an :class:`EnergyLedger`: updates go to the transient store,
    which decays and pays maintenance; :meth:`consolidate` moves transient change into the persistent
    store, paying it as persistent updates. Times are in the ledger's ``time_unit``."""

    def __init__(self, persistent: np.ndarray, ledger: EnergyLedger, decay_time: float,
                 maintenance_cost: float, time_unit: float = SECONDS_PER_HOUR):
        self.persistent, self.transient = persistent, np.zeros_like(persistent)
        self.ledger, self.decay_time = ledger, decay_time
        self.maintenance_cost, self.time_unit = maintenance_cost, time_unit

    def hold(self, interval: float) -> float:
        """Pay the maintenance of ``interval`` and decay the transient store; return the decay factor."""
        self.ledger.add_maintenance(self.transient, interval, self.decay_time, self.maintenance_cost,
                                    self.time_unit)
        factor = np.exp(-interval / self.decay_time)
        self.transient *= factor
        return factor

    def store(self, index: np.ndarray, applied: np.ndarray) -> None:
        """Add the applied changes of units ``index`` to the transient store."""
        self.transient[index] += applied
        self.ledger.add("transient", applied)

    def over(self, index: np.ndarray, threshold: float) -> np.ndarray:
        """The units of ``index`` whose |transient| exceeds ``threshold``."""
        return index[np.abs(self.transient[index]) > threshold]

    def held(self) -> np.ndarray:
        """Every unit holding a transient change."""
        return np.flatnonzero(np.abs(self.transient) > UPDATE_THRESHOLD)

    def consolidate(self, index: np.ndarray) -> np.ndarray:
        """Move the transient change of units ``index`` into the persistent store; return it."""
        moved = self.transient[index]
        self.persistent[index] += moved
        self.transient[index] = 0.0
        self.ledger.add("persistent", moved)
        return moved


def _bounded(total: np.ndarray, change) -> np.ndarray:
    """The part of a proposed change that keeps efficacy within [0, max]: clip(w + dw) - w."""
    w = total[change.index]
    return np.clip(w + change.change, 0.0, None) - w


def restricted_update(task: OdorTask, selector, efficacy: np.ndarray, drive: np.ndarray,
                      ledger: EnergyLedger, change) -> None:
    """One trial of a restriction strategy: the bounded change, the selected part applied to
    ``efficacy`` and ``drive`` and counted as persistent (in place)."""
    applied = np.minimum(_bounded(efficacy, change), task.max_efficacy - efficacy[change.index])
    keep = selector.select(change.index, applied)
    index, applied = change.index[keep], applied[keep]
    efficacy[index] += applied
    drive += task.kernel[:, index] @ applied
    ledger.add("persistent", applied)


def train_restricted(task: OdorTask, selector, rng, criterion: float, max_trials: int,
                     alphas) -> RunOutcome:
    """Direct persistent updates, restricted by ``selector`` (see strategies.py)."""
    efficacy = np.ones(task.kernel.shape[1])
    drive = np.zeros(len(task.odors))
    ledger = EnergyLedger(alphas)
    trials, reached = 0, False
    for trials, (k, r) in enumerate(trial_sequence(task, rng, max_trials), start=1):
        restricted_update(task, selector, efficacy, drive, ledger, task.changes[k][r])
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
    cache = SynapticCache(np.ones(task.kernel.shape[1]), EnergyLedger(alphas), decay_time,
                          caching.maintenance_cost)
    drive = CachedDrive(task, cache)
    trials, reached = 0, False
    for trials, (k, r) in enumerate(trial_sequence(task, rng, max_trials), start=1):
        if trials > 1:
            drive.transient *= cache.hold(interval)
        cached_update(task, cache, drive, task.changes[k][r], threshold)
        if task.accuracy(drive.persistent + drive.transient) >= criterion:
            reached = True
            break
        if trials >= max_trials:
            break
    accuracy = task.accuracy(drive.persistent + drive.transient)
    if caching.consolidate_at_end:
        drive.consolidate(cache.held())
    return RunOutcome(trials, reached, accuracy, cache.ledger.table(caching.transient_update_cost))


def cached_update(task: OdorTask, cache: SynapticCache, drive: "CachedDrive", change,
                  threshold: float) -> None:
    """One trial of synaptic caching: the bounded change into the transient store, then the pairs
    over ``threshold`` consolidated (in place)."""
    applied = np.minimum(_bounded(cache.persistent + cache.transient, change),
                         task.max_efficacy - cache.persistent[change.index]
                         - cache.transient[change.index])
    cache.store(change.index, applied)
    drive.transient += task.kernel[:, change.index] @ applied
    drive.consolidate(cache.over(change.index, threshold))


class CachedDrive:
    """The avoidance drives of the persistent and transient stores of an odor task's cache."""

    def __init__(self, task: OdorTask, cache: SynapticCache):
        self.task, self.cache = task, cache
        self.persistent, self.transient = np.zeros(len(task.odors)), np.zeros(len(task.odors))

    def consolidate(self, index: np.ndarray) -> None:
        """Consolidate pairs ``index`` and move their drive with them."""
        shift = self.task.kernel[:, index] @ self.cache.consolidate(index)
        self.persistent += shift
        self.transient -= shift
