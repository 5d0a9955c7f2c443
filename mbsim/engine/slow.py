"""The slow layer between spiking windows: MP1 activity, the consolidation program and metabolism.

The state is an (n, k) array: one column per fly of a cohort, or per parameter vector of a fit's
batch. Rows (fly-wide scalars, then the metabolism's variables if a metabolism model is attached):

* ``mp1``  post-training activity of the LTM-gating DANs (MP1/MV1): set to ``mp1_episode`` at the end of
  each training trial, reset to 0 when the next trial starts (training interrupts the episode), decaying
  with ``tau_mp1``; thermogenetic activation drives it to ``mp1_forced``, a block to 0;
* ``signal`` the consolidation signal: ``d signal/dt = trigger/tau_consolidation - signal/tau_consolidation_decay``,
  where ``trigger`` is ``trigger_gain * mp1 * rise``: the coincidence of MP1 activity and the rise
  of KC mitochondrial pyruvate flux it causes (Placais et al. 2017), from the metabolism model; without
  one, ``mp1`` gated by feeding state. Counting the rise only while MP1 is active keeps the
  consolidation program's own ATP demand (which also raises the flux) from sustaining it forever;
* ``arm``, ``tag``, ``capture``, ``captured``: the unit-response coefficients of :mod:`.memory`, reset to
  (1, 1, 0, 0) at the start of every interval.

The consolidation program runs at ``P = protein_synthesis * hill(signal)``.

All columns are integrated together by :class:`~mbsim.solvers.BatchBDF` with the analytic
Jacobian. Runs (``independent=True``) give each column (fly) its own steps, so a fly's numbers are
bit-identical whatever batch it is simulated in; fits share one step over the columns (parameter
vectors), faster, each column's error controlled as if it were alone. The metabolism's
cumulative ledger counters, when kept, are quadrature rows: integrated with the state but outside
the Newton matrices and the error control, so they never change the steps of the dynamic rows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from ..errors import SimulationError
from ..parameters import ParameterSet
from ..solvers import ArrowNewton, BatchBDF
from .memory import Coefficients, consolidation_level, consolidation_slope

logger = logging.getLogger(__name__)

GLOBALS = ("mp1_activity", "consolidation_signal", "arm_coefficient", "tag_coefficient",
           "capture_coefficient", "captured")
MP1, SIGNAL, ARM, TAG, CAPTURE, CAPTURED = range(len(GLOBALS))
HEAD = len(GLOBALS)
#: The fly-wide scalars of a naive fly (unit-response coefficients at their interval start).
NAIVE_GLOBALS = (0.0, 0.0, 1.0, 1.0, 0.0, 0.0)
#: Solver tolerances of protocol runs (relative; absolute in units of each row's typical size).
RUN_TOLERANCES = (1e-6, 1e-9)


@dataclass(frozen=True)
class Conditions:
    """What holds constant over one interval of the slow layer."""

    fed: bool = True
    protein_synthesis: bool = True   # False under cycloheximide
    ltm_enabled: bool = True         # False in LTM-deficient genotypes
    mp1_forcing: str | None = None   # "activate", "block" or None
    tag_total: np.ndarray | None = None  # sum of |tag| per compartment (and column) at the start


class SlowLayer:
    """Integrates the fly-wide slow variables (and an attached metabolism) of k columns.

    ``ledger``: also integrate the metabolism's cumulative counters (runs; fits leave them out).
    ``independent``: every column steps on its own (bit-identical to the column alone).
    """

    def __init__(self, params: ParameterSet, metabolism=None, *, columns: int = 1,
                 tolerances: tuple[float, float] = RUN_TOLERANCES, ledger: bool = True,
                 independent: bool = False):
        self.params, self.metabolism, self.columns = params, metabolism, columns
        self.names = GLOBALS + (tuple(metabolism.names) if metabolism is not None else ())
        self.ledger = ledger and metabolism is not None
        layout = metabolism.layout if metabolism is not None else None
        self.rows = (len(self.names) if self.ledger
                     else HEAD + (layout.n_dynamic if layout is not None else 0))
        self.dynamic = HEAD + (layout.n_dynamic if layout is not None else 0)
        self.scales = np.ones(HEAD) if layout is None else np.concatenate(
            [np.ones(HEAD), layout.scales[:self.rows - HEAD]])   # typical size of each row
        rtol, atol = tolerances
        self.solver = BatchBDF(rtol, atol * self.scales, quadrature=self.rows - self.dynamic,
                               newton_matrices=self._newton_matrices(independent),
                               independent=independent)

    def _newton_matrices(self, independent: bool):
        """Each compartment's (pyruvate, ATP, PDH) is one block of an arrow-shaped Jacobian;
        independent columns keep every border row and column in the Schur products."""
        if self.metabolism is None:
            return None
        coupling = np.ones((self.dynamic, self.dynamic)) if independent else None
        return ArrowNewton(self.dynamic, self.metabolism.compartment_blocks + HEAD, coupling)

    def initial_state(self, body: np.ndarray | None) -> np.ndarray:
        """(n, k) state of naive flies whose metabolism starts at ``body`` ((n_metabolism,) or
        (n_metabolism, k); None without a metabolism)."""
        head = np.tile(np.array(NAIVE_GLOBALS)[:, None], (1, self.columns))
        if self.metabolism is None:
            return head
        body = np.asarray(body, float)
        body = np.tile(body[:, None], (1, self.columns)) if body.ndim == 1 else body.copy()
        return np.concatenate([head, body])

    # --- right-hand side ----------------------------------------------------------------
    def consolidation(self, y: np.ndarray, conditions: Conditions):
        """Activity ``P`` of the LTM program; ``y`` may be (n,) or (n, k)."""
        if not (conditions.protein_synthesis and conditions.ltm_enabled):
            return np.zeros_like(y[SIGNAL])
        return consolidation_level(y[SIGNAL], self.params)

    def trigger(self, y: np.ndarray, conditions: Conditions):
        """Drive of the consolidation signal: MP1 activity times the energy-flux rise it causes,
        or, without a metabolism model, MP1 activity gated by feeding state."""
        mp1 = np.maximum(y[MP1], 0.0)
        if self.metabolism is not None:
            rise = self.metabolism.ltm_trigger(y[HEAD:])
            return self.params["trigger_gain"] * mp1 * rise
        return mp1 * (1.0 if conditions.fed else self.params["starved_trigger"])

    def derivatives(self, t: float, y: np.ndarray, conditions: Conditions) -> np.ndarray:
        """dy/dt; ``y`` may be (n,) or (n, k)."""
        p = self.params
        P = self.consolidation(y, conditions)
        capture = p["capture_rate"] * P * y[TAG]
        dy = np.empty_like(y)
        if conditions.mp1_forcing == "activate":
            dy[MP1] = (p["mp1_forced"] - y[MP1]) / p["tau_forcing"]
        elif conditions.mp1_forcing == "block":
            dy[MP1] = -y[MP1] / p["tau_forcing"]
        else:
            dy[MP1] = -y[MP1] / p["tau_mp1"]
        dy[SIGNAL] = (self.trigger(y, conditions) / p["tau_consolidation"]
                      - y[SIGNAL] / p["tau_consolidation_decay"])
        dy[ARM] = -y[ARM] * (1.0 / p["tau_arm"] + p["arm_erasure_rate"] * P)
        dy[TAG] = -y[TAG] * (1.0 / p["tau_tag"] + p["capture_rate"] * P)
        dy[CAPTURE] = capture - y[CAPTURE] / p["tau_ltm"]
        dy[CAPTURED] = capture
        if self.metabolism is not None:
            dy[HEAD:] = self.metabolism.derivatives(t, y[HEAD:], self.drive(y, conditions))
        return dy

    def jacobian(self, t: float, y: np.ndarray, conditions: Conditions) -> np.ndarray:
        """(k, n, n) d(dy/dt)/dy for y (n, k) over the fly-wide rows and, with a metabolism,
        its dynamic rows only (no ledger counters; :mod:`mbsim.metabolism.jacobian`)."""
        p, columns = self.params, y.shape[1]
        y = y[:self.dynamic]
        P, P_slope = self.consolidation(y, conditions), self._consolidation_slope(y, conditions)
        mp1_on = (y[MP1] > 0).astype(float)
        J = np.zeros((columns, len(y), len(y)))
        tau_mp1 = p["tau_mp1"] if conditions.mp1_forcing is None else p["tau_forcing"]
        J[:, MP1, MP1] = -1.0 / tau_mp1
        J[:, SIGNAL, SIGNAL] = -1.0 / p["tau_consolidation_decay"]
        J[:, ARM, ARM] = -(1.0 / p["tau_arm"] + p["arm_erasure_rate"] * P)
        J[:, ARM, SIGNAL] = -y[ARM] * p["arm_erasure_rate"] * P_slope
        J[:, TAG, TAG] = -(1.0 / p["tau_tag"] + p["capture_rate"] * P)
        J[:, TAG, SIGNAL] = -y[TAG] * p["capture_rate"] * P_slope
        for row in (CAPTURE, CAPTURED):
            J[:, row, SIGNAL] = p["capture_rate"] * P_slope * y[TAG]
            J[:, row, TAG] = p["capture_rate"] * P
        J[:, CAPTURE, CAPTURE] = -1.0 / p["tau_ltm"]
        gain = 1.0 / p["tau_consolidation"]
        if self.metabolism is None:
            J[:, SIGNAL, MP1] = gain * mp1_on * (1.0 if conditions.fed else p["starved_trigger"])
            return J
        from ..metabolism.jacobian import metabolism_jacobian, trigger_slopes
        lay = self.metabolism.layout
        rise, rise_dpyr, rise_dpdh = trigger_slopes(self.metabolism, y[HEAD:])
        gain = gain * p["trigger_gain"]
        J[:, SIGNAL, MP1] = gain * mp1_on * rise
        mp1 = np.maximum(y[MP1], 0.0)
        J[:, SIGNAL, HEAD + lay.pyruvate.start:HEAD + lay.pyruvate.stop] = (gain * mp1 * rise_dpyr).T
        J[:, SIGNAL, HEAD + lay.pdh.start:HEAD + lay.pdh.stop] = (gain * mp1 * rise_dpdh).T
        drive = self.drive(y, conditions)
        m = metabolism_jacobian(self.metabolism, y[HEAD:], drive)
        J[:, HEAD:, HEAD:] = m.state
        J[:, HEAD:, MP1] = m.mp1.T
        J[:, HEAD:, SIGNAL] = (m.consolidation * P_slope).T
        tag_total = self._tag_total(conditions)
        atp = np.arange(HEAD + lay.atp.start, HEAD + lay.atp.stop)
        per_tag = p["capture_rate"] * (tag_total if tag_total.ndim == 2 else tag_total[:, None])
        J[:, atp, SIGNAL] += (m.ltm_rate * per_tag * P_slope * y[TAG]).T
        J[:, atp, TAG] = (m.ltm_rate * per_tag * P).T
        return J

    def _consolidation_slope(self, y: np.ndarray, conditions: Conditions):
        """dP/d signal of :meth:`consolidation`."""
        if not (conditions.protein_synthesis and conditions.ltm_enabled):
            return np.zeros_like(y[SIGNAL])
        return consolidation_slope(y[SIGNAL], self.params)

    def _tag_total(self, conditions: Conditions) -> np.ndarray:
        if conditions.tag_total is None:
            return np.zeros(len(self.metabolism.compartments))
        return np.asarray(conditions.tag_total, dtype=float)

    def drive(self, y: np.ndarray, conditions: Conditions):
        """What the memory side imposes on metabolism at this state (columns of y: flies)."""
        from ..metabolism import Drive
        P = self.consolidation(y, conditions)
        tag_total = self._tag_total(conditions)
        tag_rate = self.params["capture_rate"] * P * y[TAG]
        # (n_comp,) or (n_comp, k); a per-column tag total (n_comp, k) pairs with each column's rate
        ltm_rate = (np.multiply.outer(tag_total, tag_rate) if tag_total.ndim == 1
                    else tag_total * tag_rate)
        return Drive(fed=conditions.fed, mp1=y[MP1], consolidation=P, ltm_rate=ltm_rate)

    # --- integration --------------------------------------------------------------------
    def _integrate(self, t0, t1, y, conditions, **options):
        return self.solver.integrate(lambda t, state: self.derivatives(t, state, conditions),
                                     t0, t1, y[:self.rows],
                                     jac=lambda t, state: self.jacobian(t, state, conditions),
                                     **options)

    def advance(self, t0: float, t1: float, y0: np.ndarray, conditions: Conditions,
                sample_times: np.ndarray = np.empty(0)):
        """Integrate from ``t0`` to ``t1``; returns (end state (n, k), coefficients (each (k,)),
        samples (len(sample_times), n, k))."""
        y = y0.copy()
        y[[ARM, TAG, CAPTURE, CAPTURED]] = np.array([1.0, 1.0, 0.0, 0.0])[:, None]
        if t1 <= t0:
            ones = np.ones(self.columns)
            return y, Coefficients(0.0, ones, ones, 0 * ones, 0 * ones), np.empty((0,) + y.shape)
        solution = self._integrate(t0, t1, y, conditions, sample_times=sample_times)
        logger.debug("slow layer %.6g -> %.6g s, %d columns: %d steps, %d right-hand sides, "
                     "%d Jacobians, %d factorisations", t0, t1, self.columns, solution.steps,
                     solution.fun_calls, solution.jac_calls, solution.factorizations)
        y[:self.rows] = solution.y
        self.check(t1, y)
        samples = np.repeat(y[None], len(sample_times), axis=0)
        samples[:, :self.rows] = solution.samples
        return y, Coefficients(t1 - t0, y[ARM], y[TAG], y[CAPTURE], y[CAPTURED]), samples

    def until_death(self, y: np.ndarray, t: float, survival, conditions: Conditions):
        """(death times [s], censored) per column of flies starved from ``survival.starve_from``:
        a column dies when its body reserves fall below its ``death_threshold``; one alive at
        ``starve_from + horizon`` is censored (death time nan)."""
        metabolism = self.metabolism
        end = survival.starve_from + survival.horizon
        if t >= end:
            return np.full(self.columns, np.nan), np.ones(self.columns, bool)

        def margin(state):
            return metabolism.reserve_energy(state[HEAD:]) - metabolism.death_threshold
        death = self._integrate(t, end, y, conditions, event=margin).event_times
        return death, ~np.isfinite(death)

    def check(self, t: float, y: np.ndarray) -> None:
        """Raise a :class:`SimulationError` naming the first non-finite variable and its column."""
        bad = ~np.isfinite(y[:HEAD])
        if bad.any():
            row, column = np.argwhere(bad)[0]
            raise SimulationError(f"slow layer: variable '{self.names[row]}' is {y[row, column]} "
                                  f"at t={t:.6g} s (column {column})")
        if self.metabolism is not None:
            self.metabolism.check_state(t, y[HEAD:self.rows])
