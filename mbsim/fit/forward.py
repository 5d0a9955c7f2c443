"""The forward model of a fit: parameter values -> predictions of every data row.

Each protocol named by the data is walked by a few virtual flies with the engine's :class:`Fly`.
Across evaluations every fly keeps its :class:`WindowCache`, so training windows (which do not
depend on parameters) are simulated once; test windows go through the readout emulator
(:mod:`.emulator`) unless the spiking readout is asked for. Only the slow layer is re-integrated.
Survival is a log-normal distribution of death times around one median fly: its spread comes from
the fly-to-fly reserve variability, either by the delta method (one run; death time after onset
grows as reserves above the death threshold, so d log D / d log reserves = 1 / (1 - death fraction))
or from three sigma-point flies. Either way the prediction is a smooth function of the parameters.
"""

from __future__ import annotations

import dataclasses
import math
from collections import OrderedDict

import numpy as np
from scipy import sparse

from ..engine.fly import TEST_PHASES, Fly
from ..engine.slow import GLOBALS, SlowLayer
from ..engine.windows import WindowCache, window_seed
from .space import apply_metabolism

#: Unscented sigma points of one standard-normal deviate (kappa = 2) and their weights.
SIGMA_POINTS = (0.0, math.sqrt(3), -math.sqrt(3))
SIGMA_WEIGHTS = (2 / 3, 1 / 6, 1 / 6)


class FitSlowLayer(SlowLayer):
    """The slow layer with the fit's solver tolerances, a dense finite-difference Jacobian from one
    vectorised right-hand-side call (cheaper than scipy's sparse estimate for this size), and a fixed
    (not random) reserve deviation: glycogen and lipid are scaled by ``exp(-s^2/2 + z s)``, where
    ``s`` is the log-sd of the fly's reserve energy (:func:`reserve_spread`)."""

    def __init__(self, params, metabolism, rtol: float, atol: float, reserve_z: float = 0.0):
        super().__init__(params, metabolism)
        if metabolism is not None:
            self.scales = np.concatenate([np.ones(len(GLOBALS)), metabolism.layout.scales])
            self.columns = np.concatenate([np.arange(len(GLOBALS)), len(GLOBALS) + np.arange(
                metabolism.layout.n_dynamic)])      # ledger counters never feed back
            self.solver_options = {"method": "BDF", "rtol": rtol, "atol": atol * self.scales,
                                   "jac": self.jacobian, "vectorized": True}
        self.reserve_z = reserve_z

    def jacobian(self, t, y, conditions) -> sparse.csc_matrix:
        """d(dy/dt)/dy by forward differences over the state variables that feed back (sparse, so
        BDF factorises it with SuperLU rather than a multi-threaded dense LU)."""
        columns = self.columns
        step = 1.5e-8 * np.maximum(np.abs(y[columns]), self.scales[columns])
        shifted = np.repeat(y[:, None], len(columns) + 1, axis=1)
        shifted[columns, np.arange(len(columns))] += step
        rates = self.derivatives(t, shifted, conditions)
        jacobian = np.zeros((len(y), len(y)))
        jacobian[:, columns] = (rates[:, :-1] - rates[:, -1:]) / step
        return sparse.csc_matrix(jacobian)

    def initial_state(self, fed, rng=None):
        y = super().initial_state(fed, None)
        cv = self.metabolism.params.reserve_variability_cv if self.metabolism is not None else 0.0
        if cv > 0 and self.reserve_z != 0.0:
            sigma = reserve_spread(self.metabolism, y[len(GLOBALS):])
            y[len(GLOBALS):len(GLOBALS) + 2] *= math.exp(-0.5 * sigma * sigma + sigma * self.reserve_z)
        return y


def reserve_spread(metabolism, state) -> float:
    """Log-sd of a fly's body reserve energy: glycogen and lipid carry independent log-normal
    factors of coefficient of variation ``reserve_variability_cv``, weighted by their energy shares."""
    p = metabolism.params
    energy = state[:2] * np.array([p.atp_per_glucose, p.atp_per_tag])
    shares = energy / energy.sum()
    cv = p.reserve_variability_cv
    return math.sqrt(math.log1p(cv * cv)) * math.sqrt(float(np.sum(shares ** 2)))


@dataclasses.dataclass(frozen=True)
class ProtocolNeeds:
    """What the data ask of one protocol: test times and flux times after training [s], survival."""

    retention_times: tuple[float, ...] = ()
    flux_times: tuple[float, ...] = ()
    survival: bool = False


@dataclasses.dataclass
class ProtocolPrediction:
    pi: dict            # time after training -> expected PI (total), mean over flies
    flux: dict          # time after training -> MP1-target PDH flux [mol/s], mean over flies
    death_log_mean: float = math.nan   # of death time after starvation onset [s]
    death_log_sd: float = math.nan


class ForwardModel:
    """Predicts the observables of a set of protocols for parameter changes."""

    def __init__(self, network, schedules: dict, needs: dict[str, ProtocolNeeds], memory_params,
                 metabolism_params, compartments, *, flies: int = 1, seed: int = 1,
                 rtol: float = 1e-3, atol: float = 1e-6, survival_spread: float = 0.05,
                 survival_points: int = 1):
        self.network, self.needs = network, needs
        self.memory_params, self.metabolism_params = memory_params, metabolism_params
        self.compartments = tuple(compartments)
        self.flies, self.seed, self.spread = flies, seed, survival_spread
        self.rtol, self.atol, self.survival_points = rtol, atol, survival_points
        self.schedules = {name: self._with_tests(schedules[name], needs[name]) for name in needs}
        self.caches: dict[tuple, WindowCache] = {}
        self._metabolisms: OrderedDict = OrderedDict()

    @staticmethod
    def _with_tests(schedule, needs: ProtocolNeeds):
        times = sorted(set(needs.retention_times) | set(needs.flux_times))
        tests = tuple(schedule.training_end + t for t in times) or schedule.tests
        return dataclasses.replace(schedule, tests=tests)

    def metabolism(self, changes: dict):
        """A Metabolism for these parameter changes (its steady states cached for reuse)."""
        if self.metabolism_params is None:
            return None
        from ..metabolism import Metabolism
        key = tuple(sorted(changes.items()))
        if key not in self._metabolisms:
            params = apply_metabolism(self.metabolism_params, changes)
            self._metabolisms[key] = Metabolism(params, self.compartments)
            if len(self._metabolisms) > 8:
                self._metabolisms.popitem(last=False)
        self._metabolisms.move_to_end(key)
        return self._metabolisms[key]

    def fly(self, name: str, index: int, memory, metabolism, reserve_z: float = 0.0) -> Fly:
        seed = window_seed(self.seed, "fly", index)
        fly = Fly(self.network, self.schedules[name], memory, metabolism, seed=seed)
        fly.slow = FitSlowLayer(memory, metabolism, self.rtol, self.atol, reserve_z)
        fly.cache = self.caches.setdefault((name, seed), WindowCache(self.network))
        return fly

    def predict(self, changes: dict[str, dict[str, float]],
                tolerances: tuple[float, float] | None = None) -> dict[str, ProtocolPrediction]:
        """Predictions of every protocol for ``{"memory": {...}, "metabolism": {...}}``, with the
        fit's solver tolerances or the given (rtol, atol)."""
        if tolerances is not None:
            saved, (self.rtol, self.atol) = (self.rtol, self.atol), tolerances
            try:
                return self.predict(changes)
            finally:
                self.rtol, self.atol = saved
        memory = self.memory_params.replace(**changes.get("memory", {}))
        metabolism = self.metabolism(changes.get("metabolism", {}))
        return {name: self.predict_protocol(name, memory, metabolism) for name in self.needs}

    def predict_protocol(self, name, memory, metabolism) -> ProtocolPrediction:
        needs, schedule = self.needs[name], self.schedules[name]
        end = schedule.training_end
        pis, fluxes = [], []
        if needs.retention_times or needs.flux_times:
            for index in range(self.flies):
                fly = self.fly(name, index, memory, metabolism)
                absolute = np.array([end + t for t in needs.flux_times])
                walk = fly.walk(np.sort(absolute), with_tests=True)
                pis.append(2 * walk.p_avoid[:, TEST_PHASES.index("total")] - 1)
                if needs.flux_times:
                    samples = np.concatenate(walk.samples)
                    fluxes.append([_mp1_flux(metabolism, row[len(GLOBALS):]) for row in samples])
        times = sorted(set(needs.retention_times) | set(needs.flux_times))  # = schedule.tests
        prediction = ProtocolPrediction(
            pi=dict(zip(times, np.mean(pis, axis=0))) if pis else {},
            flux=dict(zip(sorted(needs.flux_times), np.mean(fluxes, axis=0))) if fluxes else {})
        if needs.survival:
            prediction.death_log_mean, prediction.death_log_sd = self.death_distribution(
                name, memory, metabolism)
        return prediction

    def death_distribution(self, name, memory, metabolism) -> tuple[float, float]:
        """Mean and sd of log death time after starvation onset (delta method or sigma points)."""
        survival = self.schedules[name].survival
        points = SIGMA_POINTS if self.survival_points == 3 else SIGMA_POINTS[:1]
        logs = []
        for z in points:
            sibling = self.fly(name, 0, memory, metabolism, z).survival_sibling()
            sibling.slow = FitSlowLayer(memory, metabolism, self.rtol, self.atol, z)
            death, censored = sibling.follow_survival()
            since = survival.horizon if censored else max(death - survival.starve_from, 1.0)
            logs.append(math.log(since))
        if len(logs) == 1:
            fed = metabolism.fed_steady_state
            sigma = reserve_spread(metabolism, fed) / (1.0 - metabolism.params.death_reserve_fraction)
            return logs[0], math.sqrt(sigma ** 2 + self.spread ** 2)
        logs = np.array(logs)
        mean = float(np.dot(SIGMA_WEIGHTS, logs))
        variance = float(np.dot(SIGMA_WEIGHTS, (logs - mean) ** 2))
        return mean, math.sqrt(variance + self.spread ** 2)


def _mp1_flux(metabolism, state) -> float:
    """Mean PDH flux [mol/s] over the compartments MP1 targets (where Placais et al. 2017 imaged)."""
    flux = metabolism.pyruvate_flux(state)
    return float(np.sum(flux * metabolism.mp1_mask) / np.sum(metabolism.mp1_mask))
