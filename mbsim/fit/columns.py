"""A fit's batch: k parameter vectors walked through one protocol together, one state column each.

Protocol schedules, training windows and test windows do not depend on the parameters, so k
parameter vectors can share one pass through the engine's event loop (:class:`~mbsim.engine.fly.Fly`)
with every state carried as columns: the slow layer as (n, k) arrays integrated by
:class:`~mbsim.solvers.batch_bdf.BatchBDF` (one step size, each column's error controlled as if it
were alone), memory stores as (n_rows, n_comp, k) over the KCs training changes, parameters as (k,)
arrays. The metabolism's ledger counters are not integrated in fits (only the dynamic rows are):
fits predict memory, flux and survival, not the energy ledger.
"""

from __future__ import annotations

import numpy as np

from ..engine.energy import WindowCostLedger
from ..engine.fly import TEST_PHASES, Fly
from ..engine.memory import PHASES, Coefficients
from ..engine.slow import ARM, CAPTURE, CAPTURED, GLOBALS, NAIVE_GLOBALS, TAG, SlowLayer
from ..engine.windows import test_window
from ..errors import SimulationError
from ..solvers import ArrowNewton, BatchBDF
from ..units import format_time

HEAD = len(GLOBALS)


def column_changes(changes: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, np.ndarray]]:
    """``[{"memory": {...}, "metabolism": {...}}, ...]`` (one per column) -> one (k,) array per
    parameter."""
    return {group: {name: np.array([c[group][name] for c in changes], float)
                    for name in changes[0].get(group, {})} for group in ("memory", "metabolism")}


def reserve_spread(metabolism, state):
    """Log-sd of a fly's body reserve energy: glycogen and lipid carry independent log-normal
    factors of coefficient of variation ``reserve_variability_cv``, weighted by their energy shares.
    ``state`` is (n,) or (n, k); the result a float or (k,)."""
    p = metabolism.params
    energy = np.stack([state[0] * p.atp_per_glucose, state[1] * p.atp_per_tag])
    shares = energy / energy.sum(axis=0)
    cv = p.reserve_variability_cv
    return np.sqrt(np.log1p(cv * cv)) * np.sqrt(np.sum(shares ** 2, axis=0))


class ColumnSlowLayer(SlowLayer):
    """The slow layer of k parameter vectors: (n, k) states, the fit's solver tolerances, and a
    fixed reserve deviation ``reserve_z`` (glycogen and lipid scaled by ``exp(-s^2/2 + z s)``,
    ``s`` the log-sd of the fly's reserve energy, :func:`reserve_spread`)."""

    def __init__(self, params, metabolism, columns: int, rtol: float, atol: float,
                 reserve_z: float = 0.0):
        super().__init__(params, metabolism)
        self.columns, self.reserve_z = columns, reserve_z
        n_dynamic = metabolism.layout.n_dynamic if metabolism is not None else 0
        self.rows = HEAD + n_dynamic                   # integrated rows; ledger counters are not
        self.scales = np.ones(HEAD) if metabolism is None else np.concatenate(
            [np.ones(HEAD), metabolism.layout.scales[:n_dynamic]])
        self.solver = BatchBDF(rtol, atol * self.scales, newton_matrices=self._newton_matrices())

    def _newton_matrices(self):
        """Each compartment's (pyruvate, ATP, PDH) is one block of an arrow-shaped Jacobian."""
        if self.metabolism is None:
            return None
        return ArrowNewton(self.rows, self.metabolism.compartment_blocks + HEAD)

    def initial_state(self, fed, rng=None) -> np.ndarray:
        head = np.tile(np.array(NAIVE_GLOBALS)[:, None], (1, self.columns))
        if self.metabolism is None:
            return head
        body = self.metabolism.initial_state(fed)
        body = np.tile(body[:, None], (1, self.columns)) if body.ndim == 1 else body.copy()
        if self.metabolism.params.reserve_variability_cv > 0 and self.reserve_z != 0.0:
            sigma = reserve_spread(self.metabolism, body)
            body[:2] *= np.exp(-0.5 * sigma * sigma + sigma * self.reserve_z)
        return np.concatenate([head, body])

    def _rates(self, conditions):
        return lambda t, y: self.derivatives(t, y, conditions)

    def _slopes(self, conditions):
        return lambda t, y: self.jacobian(t, y, conditions)

    def advance(self, t0, t1, y0, conditions, sample_times=np.empty(0)):
        y = y0.copy()
        y[[ARM, TAG, CAPTURE, CAPTURED]] = np.array([1.0, 1.0, 0.0, 0.0])[:, None]
        if t1 <= t0:
            ones = np.ones(self.columns)
            return y, Coefficients(0.0, ones, ones, 0 * ones, 0 * ones), np.empty((0,) + y.shape)
        solution = self.solver.integrate(self._rates(conditions), t0, t1, y[:self.rows],
                                         jac=self._slopes(conditions), sample_times=sample_times)
        y[:self.rows] = solution.y
        self.check(t1, y)
        return (y, Coefficients(t1 - t0, y[ARM], y[TAG], y[CAPTURE], y[CAPTURED]),
                solution.samples)

    def check(self, t, y) -> None:
        bad = ~np.isfinite(y[:HEAD])
        if bad.any():
            row, column = np.argwhere(bad)[0]
            raise SimulationError(f"slow layer: variable '{self.names[row]}' is {y[row, column]} "
                                  f"at t={t:.6g} s (column {column})")
        if self.metabolism is not None:
            self.metabolism.check_state(t, y[HEAD:self.rows])

    def until_death(self, y, t, survival, conditions):
        """(death times [s], censored) per column: the first time a column's body reserves fall
        below its ``death_threshold`` before ``starve_from + horizon``."""
        metabolism = self.metabolism
        end = survival.starve_from + survival.horizon
        if t >= end:
            return np.full(self.columns, np.nan), np.ones(self.columns, bool)

        def margin(state):
            return metabolism.reserve_energy(state[HEAD:]) - metabolism.death_threshold
        solution = self.solver.integrate(self._rates(conditions), t, end, y[:self.rows],
                                         jac=self._slopes(conditions), event=margin)
        death = solution.event_times
        return death, ~np.isfinite(death)


class ColumnFly(Fly):
    """A fly whose state carries one column per parameter vector (no weight samples, no M_alpha
    totals).

    ``rows``: the KCs whose synapses training changes (the memory keeps only those); ``test``
    reads the total memory only (the phases alone are not needed by fits)."""

    record_weights = False
    ledger_class = WindowCostLedger

    def __init__(self, network, schedule, memory_params, slow: ColumnSlowLayer, rows, seed: int,
                 cache):
        super().__init__(network, schedule, memory_params, None, seed=seed)
        self.slow, self.columns, self.rows, self.cache = slow, slow.columns, rows, cache

    def test(self, t, walk) -> np.ndarray:
        s = self.schedule
        window = test_window(t, s.cs_plus, s.cs_minus, s.interventions, not self.fed(t),
                             self.seed, f"test at {format_time(t - s.training_end)}")
        efficacy = walk.memory.efficacy(self.params, PHASES)       # (n_rows, n_comp, k)
        out = np.full((len(TEST_PHASES), self.columns), np.nan)
        if hasattr(self.network, "choice_probabilities"):
            out[0] = self.network.choice_probabilities(window, self.rows, efficacy)
            return out
        naive = self.cache.simulate(window)
        for column in range(self.columns):
            full = np.ones(self.network.kc_compartment_mask.shape)   # results may keep it
            full[self.rows] = efficacy[..., column]
            out[0, column] = self.network.choice_probability(
                self.cache.simulate(window, full), naive)
        return out


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
