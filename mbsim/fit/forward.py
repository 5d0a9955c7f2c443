"""The forward model of a fit: parameter values -> predictions of every data row.

Each protocol named by the data is walked by a few virtual flies with the engine's :class:`Fly`,
every parameter vector of a batch as one column (:mod:`.columns`). Across evaluations every fly keeps
its :class:`WindowCache`, so training windows (which do not depend on parameters) are simulated once;
test windows go through the graded readout (:mod:`mbsim.engine.readout_emulator`) unless the
spiking readout is asked for. Only the slow layer is re-integrated.
Survival is a log-normal distribution of death times around one median fly: its spread comes from
the fly-to-fly reserve variability, either by the delta method (one run; death time after onset
grows as reserves above the death threshold, so d log D / d log reserves = 1 / (1 - death fraction))
or from three sigma-point flies. Either way the prediction is a smooth function of the parameters.
"""

from __future__ import annotations

import dataclasses
import math
from functools import reduce

import numpy as np

from ..engine.fly import TEST_PHASES
from ..engine.slow import HEAD, SlowLayer
from ..engine.windows import WindowCache, trial_window, window_seed
from .columns import ColumnFly, column_changes, log_survival, sigma_log_death
from .space import apply_metabolism

#: Unscented sigma points of one standard-normal deviate (kappa = 2) and their weights.
SIGMA_POINTS = (0.0, math.sqrt(3), -math.sqrt(3))
SIGMA_WEIGHTS = (2 / 3, 1 / 6, 1 / 6)


@dataclasses.dataclass(frozen=True)
class ProtocolNeeds:
    """What the data ask of one protocol: test times and flux times after training [s], survival."""

    retention_times: tuple[float, ...] = ()
    flux_times: tuple[float, ...] = ()
    survival: bool = False


@dataclasses.dataclass
class ProtocolPrediction:
    """Predictions of one protocol; values are floats, or (k,) arrays for a batch of columns."""

    pi: dict            # time after training -> expected PI (total), mean over flies
    flux: dict          # time after training -> MP1-target PDH flux [mol/s], mean over flies
    death_log_mean: float = math.nan   # of death time after starvation onset [s]
    death_log_sd: float = math.nan

    def column(self, i: int) -> "ProtocolPrediction":
        """The predictions of column ``i`` of a batch, as floats."""
        def pick(value):
            return float(value[i]) if np.ndim(value) else float(value)
        return ProtocolPrediction({t: pick(v) for t, v in self.pi.items()},
                                  {t: pick(v) for t, v in self.flux.items()},
                                  pick(self.death_log_mean), pick(self.death_log_sd))


class ForwardModel:
    """Predicts the observables of a set of protocols for parameter changes."""

    def __init__(self, network, schedules: dict, needs: dict[str, ProtocolNeeds], memory_params,
                 metabolism_params, compartments, *, flies: int = 1, seed: int = 1,
                 rtol: float = 1e-3, atol: float = 1e-6, survival_spread: float = 0.05,
                 survival_points: int = 1, network_params=None):
        self.network, self.needs, self.network_params = network, needs, network_params
        self.memory_params, self.metabolism_params = memory_params, metabolism_params
        self.compartments = tuple(compartments)
        self.flies, self.seed, self.spread = flies, seed, survival_spread
        self.rtol, self.atol, self.survival_points = rtol, atol, survival_points
        self.schedules = {name: self._with_tests(schedules[name], needs[name]) for name in needs}
        self.caches: dict[tuple, WindowCache] = {}
        self._rows: dict[tuple, np.ndarray] = {}
        self._reference = None   # fed steady state of the starting parameters

    @staticmethod
    def _with_tests(schedule, needs: ProtocolNeeds):
        times = sorted(set(needs.retention_times) | set(needs.flux_times))
        return schedule.with_retention_times(times) if times else schedule

    def metabolism(self, changes: dict[str, np.ndarray]):
        """A Metabolism whose parameters are (k,) arrays, one per column (None without one)."""
        if self.metabolism_params is None:
            return None
        from ..metabolism import Metabolism
        if self._reference is None:
            self._reference = Metabolism(self.metabolism_params, self.compartments).fed_steady_state
        return Metabolism(apply_metabolism(self.metabolism_params, changes), self.compartments,
                          steady_guess=self._reference)

    def rows(self, name: str, seed: int, plasticity_varied: bool = False) -> np.ndarray:
        """The KCs whose synapses any training window of protocol ``name`` changes (windows are
        simulated once and cached); when the fit varies plasticity parameters, every KC that
        spikes in a training window (only those can change)."""
        key = (name, seed, plasticity_varied)
        if key not in self._rows:
            schedule, cache = self.schedules[name], self.cache(name, seed)
            changed = np.zeros(self.network.n_kc, dtype=bool)
            for trial in schedule.trials:
                starved = schedule.feeding_at(trial.start)[0] != "fed"
                result = cache.simulate(trial_window(trial, schedule.interventions, starved, seed))
                changed |= (result.kc_counts.sum(axis=0) > 0 if plasticity_varied
                            else np.any(self.network.efficacy_change(result) != 0, axis=1))
            self._rows[key] = np.flatnonzero(changed)
        return self._rows[key]

    def cache(self, name: str, seed: int) -> WindowCache:
        return self.caches.setdefault((name, seed), WindowCache(self.network))

    def fly(self, name: str, flies, memory, metabolism, network, columns: int,
            reserve_z: float = 0.0) -> ColumnFly:
        """The virtual flies ``flies`` (indices) of protocol ``name`` as one :class:`ColumnFly`
        of ``columns`` fly-major columns (``memory`` and ``metabolism`` hold one value per column)."""
        seeds = [window_seed(self.seed, "fly", index) for index in flies]
        slow = SlowLayer(memory, metabolism, columns=columns, tolerances=(self.rtol, self.atol),
                         ledger=False)
        fly = ColumnFly(self.network, self.schedules[name], memory, slow, None, seeds,
                        {seed: self.cache(name, seed) for seed in seeds}, reserve_z, network)
        fly.rows = reduce(np.union1d, [self.rows(name, seed, fly.varied_plasticity)
                                       for seed in seeds])
        return fly

    def predict(self, changes: list[dict[str, dict[str, float]]],
                tolerances: tuple[float, float] | None = None) -> list[dict[str, ProtocolPrediction]]:
        """Predictions of every protocol for each of ``[{"network": {...}, "memory": {...},
        "metabolism": {...}}, ...]`` (walked together, one column each), with the fit's solver
        tolerances or (rtol, atol)."""
        if tolerances is not None:
            saved, (self.rtol, self.atol) = (self.rtol, self.atol), tolerances
            try:
                return self.predict(changes)
            finally:
                self.rtol, self.atol = saved
        k = len(changes)
        columns = column_changes(changes)
        network = (self.network_params.updated(columns["network"], columns=True)
                   if columns["network"] else None)
        one = self._column_parameters(changes)                 # one fly: k columns
        cohort = self._column_parameters(changes * self.flies) if self.flies > 1 else one
        by_protocol = {name: self.predict_protocol(name, one, cohort, network, k)
                       for name in self.needs}
        return [{name: prediction.column(i) for name, prediction in by_protocol.items()}
                for i in range(k)]

    def _column_parameters(self, changes) -> tuple:
        """(memory, metabolism) with one value per entry of ``changes`` (a column each)."""
        columns = column_changes(changes)
        return (self.memory_params.updated(columns["memory"], columns=True),
                self.metabolism(columns["metabolism"]))

    def predict_protocol(self, name, one, cohort, network, k: int) -> ProtocolPrediction:
        """Predictions of protocol ``name`` for k parameter vectors: retention and flux are means
        over the flies, walked together with the ``cohort`` parameters (fly-major columns);
        survival is that of one median fly (``one``: k columns)."""
        needs, schedule = self.needs[name], self.schedules[name]
        end = schedule.training_end
        pis, fluxes = [], []
        if needs.retention_times or needs.flux_times:
            memory, metabolism = cohort
            fly = self.fly(name, range(self.flies), memory, metabolism, network, k * self.flies)
            absolute = np.array([end + t for t in needs.flux_times])
            walk = fly.walk(np.sort(absolute), with_tests=True)
            by_fly = 2 * walk.p_avoid[:, TEST_PHASES.index("total")] - 1      # (tests, columns)
            pis = by_fly.reshape(-1, self.flies, k).mean(axis=1)
            if needs.flux_times:
                samples = np.concatenate(walk.samples)                        # (times, n, columns)
                fluxes = np.array([_mp1_flux(metabolism, row[HEAD:]) for row in samples])
                fluxes = fluxes.reshape(-1, self.flies, k).mean(axis=1)
        times = sorted(set(needs.retention_times) | set(needs.flux_times))  # = schedule.tests
        prediction = ProtocolPrediction(pi=dict(zip(times, pis)),
                                        flux=dict(zip(sorted(needs.flux_times), fluxes)))
        if needs.survival:
            memory, metabolism = one
            prediction.death_log_mean, prediction.death_log_sd = self.death_distribution(
                name, memory, metabolism, network, k)
        return prediction

    def death_distribution(self, name, memory, metabolism, network, columns: int):
        """Mean and sd of log death time after starvation onset per column (delta method or sigma
        points)."""
        survival = self.schedules[name].survival
        points = SIGMA_POINTS if self.survival_points == 3 else SIGMA_POINTS[:1]
        logs = []
        for z in points:
            sibling = self.fly(name, [0], memory, metabolism, network, columns, z).survival_sibling()
            logs.append(log_survival(*sibling.follow_survival(), survival))
        if len(logs) == 1:
            return logs[0], np.sqrt(sigma_log_death(metabolism) ** 2 + self.spread ** 2)
        logs = np.array(logs)
        mean = np.tensordot(SIGMA_WEIGHTS, logs, axes=1)
        variance = np.tensordot(SIGMA_WEIGHTS, (logs - mean) ** 2, axes=1)
        return mean, np.sqrt(variance + self.spread ** 2)


def _mp1_flux(metabolism, state) -> np.ndarray:
    """Mean PDH flux [mol/s] over the compartments MP1 targets (where Placais et al. 2017 imaged),
    per column of ``state`` (n, k)."""
    flux = metabolism.pyruvate_flux(state)
    mask = metabolism.mp1_mask[:, None]
    return np.sum(flux * mask, axis=0) / np.sum(mask)
