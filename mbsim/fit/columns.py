"""A fit's batch: k parameter vectors walked through one protocol together, one state column each.

Protocol schedules, training windows and test windows do not depend on the parameters, so k
parameter vectors can share one pass through the engine's event loop (:class:`~mbsim.engine.fly.Fly`)
with every state carried as columns: the engine's slow layer integrates (n, k) arrays (one step
size, each column's error controlled as if it were alone), memory stores are (n_synapses, k) over
the KCs training changes, parameters (k,) arrays. The metabolism's ledger counters are not integrated in fits (only the dynamic rows are):
fits predict memory, flux and survival, not the energy ledger.
"""

from __future__ import annotations

import numpy as np

from ..engine.energy import WindowCostLedger
from ..engine.fly import TEST_PHASES, Fly
from ..engine.memory import PHASES
from ..engine.slow import SlowLayer
from ..engine.windows import test_window
from ..errors import InputError

#: Network parameters applied to a window's recorded coincidences (:mod:`mbsim.network.plasticity`).
PLASTICITY_PARAMETERS = {"dopamine_baseline_rate", "depression_rate", "potentiation_rate"}


def column_changes(changes: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, np.ndarray]]:
    """``[{"network": {...}, "memory": {...}, "metabolism": {...}}, ...]`` (one per column) -> one
    (k,) array per parameter."""
    return {group: {name: np.array([c[group][name] for c in changes], float)
                    for name in changes[0].get(group, {})}
            for group in ("network", "memory", "metabolism")}


def reserve_spread(metabolism, state):
    """Log-sd of a fly's body reserve energy: glycogen and lipid carry independent log-normal
    factors of coefficient of variation ``reserve_variability_cv``, weighted by their energy shares.
    ``state`` is (n,) or (n, k); the result a float or (k,)."""
    p = metabolism.params
    lay = metabolism.layout
    energy = np.stack([state[lay.glycogen] * p.atp_per_glucose, state[lay.lipid] * p.atp_per_tag])
    shares = energy / energy.sum(axis=0)
    cv = p.reserve_variability_cv
    return np.sqrt(np.log1p(cv * cv)) * np.sqrt(np.sum(shares ** 2, axis=0))


class ColumnFly(Fly):
    """Flies whose columns are parameter vectors (no weight samples, no M_alpha totals, no
    metabolism ledger counters), starting from the fed state with a fixed reserve deviation
    ``reserve_z`` (glycogen and lipid scaled by ``exp(-s^2/2 + z s)``, ``s`` the log-sd of the
    fly's reserve energy, :func:`reserve_spread`).

    ``seeds``: one per virtual fly; the columns are fly-major, column ``f * k + j`` is parameter
    vector ``j`` in fly ``f`` (``k = columns / len(seeds)``), so the flies' slow layers are
    integrated as one batch. ``caches``: each seed's :class:`WindowCache`. ``rows``: the KCs whose
    synapses training changes in any of the flies (the memory keeps only those); ``test`` reads
    the total memory only (the phases alone are not needed by fits). ``network_params``: the
    network's parameters with (k,) arrays for those the fit varies (applied to the windows'
    recorded activity: plasticity and readout), or None."""

    record_weights = False
    ledger_class = WindowCostLedger

    def __init__(self, network, schedule, memory_params, slow: SlowLayer, rows, seeds,
                 caches: dict, reserve_z: float = 0.0, network_params=None):
        if network.recurrent:
            raise InputError(found="network.recurrent > 0 in a fit",
                             expected="network.recurrent = 0: fits read tests through the "
                             "feedforward readout emulator, which feedback would make inexact",
                             field="network.recurrent")
        seeds = [int(s) for s in seeds]
        if slow.columns % len(seeds):
            raise ValueError(f"{slow.columns} columns for {len(seeds)} flies")
        self.vectors = slow.columns // len(seeds)
        super().__init__(network, schedule, memory_params, slow, np.repeat(seeds, self.vectors),
                         rows=rows, caches=caches)
        self.reserve_z, self.network_params = reserve_z, network_params
        varied = [] if network_params is None else [
            name for name, value in network_params.values.items() if isinstance(value, np.ndarray)]
        self.varied_plasticity = bool(set(varied) & PLASTICITY_PARAMETERS)
        self._network_columns = [network_params.updated(
            {name: float(network_params[name][j % self.vectors]) for name in varied})
            for j in range(self.columns)] if varied else None

    def network_column(self, j: int):
        """The network parameters of column ``j`` (None: the network's own)."""
        return None if self._network_columns is None else self._network_columns[j]

    def efficacy_changes(self, results: dict) -> np.ndarray:
        if not self.varied_plasticity:
            return super().efficacy_changes(results)
        return np.stack([self.network.efficacy_change(results[seed], self.network_column(j))
                         for j, seed in enumerate(self.seeds)], axis=-1)

    def initial_body(self, fed: bool):
        metabolism = self.slow.metabolism
        if metabolism is None:
            return None
        body = metabolism.initial_state(fed)
        body = np.tile(body[:, None], (1, self.columns)) if body.ndim == 1 else body.copy()
        if metabolism.params.reserve_variability_cv > 0 and self.reserve_z != 0.0:
            sigma = reserve_spread(metabolism, body)
            body[metabolism.layout.stores] *= np.exp(-0.5 * sigma * sigma + sigma * self.reserve_z)
        return body

    def test(self, test, walk) -> np.ndarray:
        efficacy = walk.memory.efficacy(self.params, PHASES)       # (n_rows, n_comp, columns)
        out = np.full((len(TEST_PHASES), self.columns), np.nan)
        for seed, columns in self.groups.items():
            window = test_window(test, self.schedule.interventions, not self.fed(test.time), seed)
            out[0, columns] = self._choices(seed, window, efficacy[..., columns], columns)
        return out

    def _choices(self, seed, window, efficacy, columns) -> np.ndarray:
        """P(avoid) of one fly's columns: through the emulator where the network has one."""
        if hasattr(self.network, "choice_probabilities"):
            return self.network.choice_probabilities(window, self.rows, efficacy,
                                                     self.network_params)
        fulls = []
        for column in range(efficacy.shape[-1]):
            full = np.ones(self.network.kc_compartment_mask.shape)   # results may keep it
            full[self.rows] = efficacy[..., column]
            fulls.append(full)
        naive, *read = self.caches[seed].simulate_columns(window, [None] + fulls)
        return [self.network.choice_probability(result, naive, self.network_column(column))
                for column, result in zip(columns, read)]


def log_survival(death, censored, survival):
    """Log of the time from starvation onset to death (the horizon for censored flies) [s]."""
    since = np.where(censored, survival.horizon,
                     np.maximum(np.nan_to_num(death) - survival.starve_from, 1.0))
    return np.log(since)


def sigma_log_death(metabolism) -> np.ndarray:
    """Delta-method log-sd of death times from the reserve spread: time after onset grows as the
    reserves above the death threshold, so d log D / d log reserves = 1 / (1 - death fraction)."""
    fed = metabolism.fed_steady_state
    return reserve_spread(metabolism, fed) / (1.0 - metabolism.params.death_reserve_fraction)
