"""One learning episode: a rule learns a valence task with reversals under an energy regime.

Time runs in trials spaced by the inter-trial interval. A phase presents every odor
``epochs_per_phase`` times (shuffled epochs) with its current reinforcer; after each phase every
valence reverses. Each trial is test-then-learn: the T-maze accuracy before the trial's change
enters the learning score. After the last trial the memory rests for ``retention_delay`` and is
tested once more. Equations and every assumption: docs/meta-learning.md.

Memory of each (KC, compartment) pair: a labile cache ``c`` (decay ``cache_decay_time``), ARM
``a`` (decay ``tau_arm``, |a| <= ``arm_saturation``, memory parameters) and LTM ``l`` (decay
``tau_ltm``); the efficacy is clip(1 + c + a + l, 0, max_efficacy).

Energy: an availability e(t) in [0, 1] (the regime). Consolidation into LTM runs the fly-wide LTM
programme, which costs ``program_rate`` (the whole-body rise of the metabolism model,
``consolidation_systemic_increase * body_basal_demand``) for ``program_duration`` after the last
consolidation. The programme is paid from a reserve (capacity ``reserve_capacity``) refilled at
e(t) * ``supply_rate``; when the reserve cannot pay one more interval the consolidation fails: the
change stays in the cache (and decays) or, without a cache, is lost. Changes cost their per-unit ATP
(``labile_cost_per_unit``, ``arm_cost_per_unit``, ``ltm_cost_per_unit``), the cache its maintenance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine.energy import UPDATE_THRESHOLD, m_alpha
from .rules import PlasticityRule
from .strategies import make_selector
from .task import choice_accuracy
from .valence_task import SHOCK, SUGAR, ValenceTask

STORES = ("labile", "ARM", "LTM")
#: ATP components of an episode (mol).
ATP_PARTS = ("labile", "ARM", "LTM", "maintenance", "programme")


@dataclass(frozen=True)
class Schedule:
    """The trials of an episode (times in s)."""

    phases: int               # contingency phases; phases - 1 reversals
    epochs_per_phase: int     # presentations of every odor per phase
    interval: float           # inter-trial interval
    retention_delay: float    # rest before the retention test
    retention_weight: float   # weight of the retention score in the performance


@dataclass(frozen=True)
class EnergyRegime:
    """Energy availability over time: ``availability`` throughout, or alternating with
    ``scarce_availability`` (``plentiful_time`` then ``scarce_time``, repeating)."""

    name: str
    availability: float
    scarce_availability: float = 0.0
    plentiful_time: float = 0.0
    scarce_time: float = 0.0

    @property
    def constant(self) -> bool:
        return self.scarce_time == 0.0

    def at(self, t: float) -> float:
        if self.constant:
            return self.availability
        within = t % (self.plentiful_time + self.scarce_time)
        return self.availability if within < self.plentiful_time else self.scarce_availability

    def next_change(self, t: float) -> float:
        """The first time after ``t`` at which the availability changes (inf if never)."""
        if self.constant:
            return np.inf
        period = self.plentiful_time + self.scarce_time
        within = t % period
        return t - within + (self.plentiful_time if within < self.plentiful_time else period)


@dataclass(frozen=True)
class EnergyCosts:
    """Prices and the reserve, in SI (mol, mol/s, s)."""

    labile: float             # mol per unit of labile change
    arm: float
    ltm: float
    program_rate: float       # mol/s while the LTM programme runs
    program_duration: float   # s after the last consolidation
    reserve_capacity: float   # mol
    supply_rate: float        # mol/s at availability 1
    tau_arm: float
    arm_saturation: float
    tau_ltm: float


@dataclass(frozen=True)
class EpisodeOutcome:
    """Scores (PI-like, 2 * accuracy - 1), M0 and M1 per store, ATP per part (mol), and counts."""

    learning: float
    retention: float
    performance: float
    m0: np.ndarray            # (STORES,)
    m1: np.ndarray
    atp: np.ndarray           # (ATP_PARTS,)
    programme_hours: float
    failed_consolidations: int
    updates: int              # trials whose change was made (not gated by the error margin)


class Episode:
    """The state of one episode; :meth:`run` plays the schedule."""

    def __init__(self, task: ValenceTask, rule: PlasticityRule, regime: EnergyRegime,
                 costs: EnergyCosts, interval: float, rng: np.random.Generator):
        self.task, self.rule, self.regime, self.costs = task, rule, regime, costs
        self.interval = interval
        n = task.n_pairs
        self.cache, self.arm, self.ltm = np.zeros(n), np.zeros(n), np.zeros(n)
        self.rates = rule.rates(task.compartments)[task.layout.group_of]
        self.selector = make_selector(rule.restriction, task.layout, rule.plastic_fraction, rng)
        self.reserve = costs.reserve_capacity * regime.at(0.0)
        self.program_end = -np.inf
        self.m = np.zeros((2, len(STORES)))
        self.atp = np.zeros(len(ATP_PARTS))
        self.programme_seconds = 0.0
        self.failed = 0
        self.time = 0.0

    def efficacy(self) -> np.ndarray:
        return np.clip(1.0 + self.cache + self.arm + self.ltm, 0.0, self.task.max_efficacy)

    def drive(self) -> np.ndarray:
        return self.task.kernel @ (self.efficacy() - 1.0)

    def advance(self, until: float) -> None:
        """Decay the stores, pay the cache's maintenance and the programme, refill the reserve."""
        dt = until - self.time
        if dt <= 0:
            return
        rule, costs = self.rule, self.costs
        if rule.caches:
            held = np.abs(self.cache).sum()
            tau = rule.cache_decay_time
            self.atp[3] += rule.maintenance_cost * costs.labile * held * tau * (1 - np.exp(-dt / tau))
            self.cache *= np.exp(-dt / tau)
        self.arm *= np.exp(-dt / costs.tau_arm)
        self.ltm *= np.exp(-dt / costs.tau_ltm)
        t = self.time
        while t < until:   # pieces of constant availability
            stop = min(until, max(self.regime.next_change(t), np.nextafter(t, np.inf)))
            supply = self.regime.at(t) * costs.supply_rate
            running = min(stop, self.program_end) - t
            if running > 0:
                t += self._run_programme(t, running, supply)
            self.reserve = min(costs.reserve_capacity, self.reserve + supply * (stop - t))
            t = stop
        self.time = until

    def _run_programme(self, start: float, span: float, supply: float) -> float:
        """Run the LTM programme from ``start`` for up to ``span`` s, paid from the reserve refilled
        at ``supply`` mol/s; it stops when the reserve is empty. Returns how long it ran."""
        rate, net = self.costs.program_rate, supply - self.costs.program_rate
        if net < 0 and self.reserve < -net * span:
            span = self.reserve / -net
            self.program_end = start + span
            self.reserve = 0.0
        else:
            self.reserve = min(self.costs.reserve_capacity, self.reserve + net * span)
        self.atp[4] += rate * span
        self.programme_seconds += span
        return span

    def learn(self, odor: int, valence: np.ndarray, repeat: int, drive: np.ndarray) -> bool:
        """One trial's change for ``odor`` (skipped when its ``drive``, read out before the trial,
        is right by the error margin)."""
        if valence[odor] * drive[odor] >= self.rule.error_margin:
            return False
        change = self.task.changes[odor][SHOCK if valence[odor] > 0 else SUGAR]
        change = change[repeat % len(change)]
        index = change.index
        efficacy = np.clip(1.0 + self.cache[index] + self.arm[index] + self.ltm[index], 0.0,
                           self.task.max_efficacy)
        proposed = change.change * self.rates[index]
        applied = np.clip(efficacy + proposed, 0.0, self.task.max_efficacy) - efficacy
        keep = self.selector.select(index, applied)
        index, applied = index[keep], applied[keep]
        if self.rule.caches:
            self.cache[index] += applied
            self._count(0, applied)
            over = index[np.abs(self.cache[index]) > self.rule.consolidation_threshold]
            if len(over) and self._consolidate(over, self.cache[over]):
                self.cache[over] = 0.0
        else:
            self._consolidate(index, applied)
        return True

    def _consolidate(self, index: np.ndarray, amount: np.ndarray) -> bool:
        """Move ``amount`` into LTM (energy above the rule's threshold) or ARM (below it); False
        when the programme is not running and the reserve cannot pay one inter-trial interval of it."""
        costs = self.costs
        if len(index) == 0:
            return True
        if self.regime.at(self.time) < self.rule.ltm_energy_threshold:
            before = self.arm[index]
            self.arm[index] = np.clip(before + amount, -costs.arm_saturation, costs.arm_saturation)
            self._count(1, self.arm[index] - before)
            return True
        if self.program_end < self.time and self.reserve < costs.program_rate * self.interval:
            self.failed += 1
            return False
        self.program_end = self.time + costs.program_duration
        self.ltm[index] += amount
        self._count(2, amount)
        return True

    def _count(self, store: int, change: np.ndarray) -> None:
        self.m[0, store] += m_alpha(change, 0.0)
        self.m[1, store] += m_alpha(change, 1.0)
        self.atp[store] += (self.costs.labile, self.costs.arm, self.costs.ltm)[store] * \
            float(np.abs(change[np.abs(change) > UPDATE_THRESHOLD]).sum())


def run_episode(task: ValenceTask, rule: PlasticityRule, regime: EnergyRegime,
                schedule: Schedule, costs: EnergyCosts, seed: int) -> EpisodeOutcome:
    """Play the schedule; the trial order and a random mask come from ``seed``."""
    order = np.random.default_rng([seed, 1])
    episode = Episode(task, rule, regime, costs, schedule.interval, np.random.default_rng([seed, 2]))
    n_odors = len(task.odors)
    valence = np.where(np.arange(n_odors) % 2 == 0, 1.0, -1.0)
    shown = np.zeros((n_odors, 2), dtype=int)
    scores, updates, trial = [], 0, 0
    for _ in range(schedule.phases):
        for _ in range(schedule.epochs_per_phase):
            for odor in order.permutation(n_odors):
                episode.advance(trial * schedule.interval)
                drive = episode.drive()
                scores.append(choice_accuracy(drive, valence, task.choice_temperature))
                us = SHOCK if valence[odor] > 0 else SUGAR
                updates += episode.learn(odor, valence, shown[odor, us], drive)
                shown[odor, us] += 1
                trial += 1
        valence = -valence
    valence = -valence   # the contingencies of the last phase
    episode.advance((trial - 1) * schedule.interval + schedule.retention_delay)
    retention = 2 * choice_accuracy(episode.drive(), valence, task.choice_temperature) - 1
    learning = 2 * float(np.mean(scores)) - 1
    w = schedule.retention_weight
    return EpisodeOutcome(learning=learning, retention=retention,
                          performance=(1 - w) * learning + w * retention,
                          m0=episode.m[0].copy(), m1=episode.m[1].copy(), atp=episode.atp.copy(),
                          programme_hours=episode.programme_seconds / 3600.0,
                          failed_consolidations=episode.failed, updates=updates)
