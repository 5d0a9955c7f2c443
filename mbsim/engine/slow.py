"""The slow layer between spiking windows: MP1 activity, the consolidation program and metabolism.

State (fly-wide scalars, then the metabolism's variables if a metabolism model is attached):

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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from ..errors import SimulationError
from ..parameters import ParameterSet
from .memory import Coefficients, consolidation_level, consolidation_slope

GLOBALS = ("mp1_activity", "consolidation_signal", "arm_coefficient", "tag_coefficient",
           "capture_coefficient", "captured")
MP1, SIGNAL, ARM, TAG, CAPTURE, CAPTURED = range(len(GLOBALS))
#: The fly-wide scalars of a naive fly (unit-response coefficients at their interval start).
NAIVE_GLOBALS = (0.0, 0.0, 1.0, 1.0, 0.0, 0.0)


@dataclass(frozen=True)
class Conditions:
    """What holds constant over one interval of the slow layer."""

    fed: bool = True
    protein_synthesis: bool = True   # False under cycloheximide
    ltm_enabled: bool = True         # False in LTM-deficient genotypes
    mp1_forcing: str | None = None   # "activate", "block" or None
    tag_total: np.ndarray | None = None  # sum of |tag| per compartment at the interval's start


class SlowLayer:
    """Integrates the fly-wide slow variables (and an attached metabolism) over intervals."""

    def __init__(self, params: ParameterSet, metabolism=None):
        self.params = params
        self.metabolism = metabolism
        self.names = GLOBALS + (tuple(metabolism.names) if metabolism is not None else ())
        self.solver_options = self._solver_options()

    def _solver_options(self) -> dict:
        """LSODA for the scalars alone; BDF with the metabolism's sparsity and scales otherwise."""
        if self.metabolism is None:
            return {"method": "LSODA", "rtol": 1e-6, "atol": 1e-9}
        n_globals, n = len(GLOBALS), len(self.names)
        sparsity = np.zeros((n, n), dtype=bool)
        sparsity[:n_globals, :] = True                 # the scalars read the trigger
        sparsity[n_globals:, :n_globals] = True        # metabolism reads MP1, P and the tag
        sparsity[n_globals:, n_globals:] = self.metabolism.jac_sparsity
        atol = np.concatenate([np.full(n_globals, 1e-9), 1e-9 * self.metabolism.layout.scales])
        return {"method": "BDF", "rtol": 1e-6, "atol": atol, "jac_sparsity": sparsity,
                "vectorized": True}

    def initial_state(self, fed: bool, rng: np.random.Generator | None = None) -> np.ndarray:
        head = np.array(NAIVE_GLOBALS)
        if self.metabolism is None:
            return head
        return np.concatenate([head, self.metabolism.initial_state(fed, rng)])

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
            rise = self.metabolism.ltm_trigger(y[len(GLOBALS):])
            return self.params["trigger_gain"] * mp1 * rise
        return mp1 * (1.0 if conditions.fed else self.params["starved_trigger"])

    def derivatives(self, t: float, y: np.ndarray, conditions: Conditions) -> np.ndarray:
        """dy/dt; ``y`` may be (n,) or (n, k) (``solve_ivp(vectorized=True)``)."""
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
            dy[len(GLOBALS):] = self.metabolism.derivatives(t, y[len(GLOBALS):],
                                                            self.drive(y, conditions))
        return dy

    def jacobian(self, t: float, y: np.ndarray, conditions: Conditions) -> np.ndarray:
        """(k, n, n) d(dy/dt)/dy for y (n, k) holding the fly-wide rows and, with a metabolism,
        its dynamic rows only (no ledger counters; :mod:`mbsim.metabolism.jacobian`)."""
        p, columns = self.params, y.shape[1]
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
        head, lay = len(GLOBALS), self.metabolism.layout
        rise, rise_dpyr, rise_dpdh = trigger_slopes(self.metabolism, y[head:])
        gain = gain * p["trigger_gain"]
        J[:, SIGNAL, MP1] = gain * mp1_on * rise
        mp1 = np.maximum(y[MP1], 0.0)
        J[:, SIGNAL, head + lay.pyruvate.start:head + lay.pyruvate.stop] = (gain * mp1 * rise_dpyr).T
        J[:, SIGNAL, head + lay.pdh.start:head + lay.pdh.stop] = (gain * mp1 * rise_dpdh).T
        drive = self.drive(y, conditions)
        m = metabolism_jacobian(self.metabolism, y[head:], drive)
        J[:, head:, head:] = m.state
        J[:, head:, MP1] = m.mp1.T
        J[:, head:, SIGNAL] = (m.consolidation * P_slope).T
        tag_total = self._tag_total(conditions)
        atp = np.arange(head + lay.atp.start, head + lay.atp.stop)
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

    def advance(self, t0: float, t1: float, y0: np.ndarray, conditions: Conditions,
                sample_times: np.ndarray = np.empty(0)):
        """Integrate from ``t0`` to ``t1``; returns (end state, coefficients, samples at sample_times)."""
        y0 = y0.copy()
        y0[[ARM, TAG, CAPTURE, CAPTURED]] = (1.0, 1.0, 0.0, 0.0)
        if t1 <= t0:
            return y0, Coefficients(0.0, 1.0, 1.0, 0.0, 0.0), np.empty((0, len(y0)))
        solution = solve_ivp(self.derivatives, (t0, t1), y0, args=(conditions,),
                             dense_output=len(sample_times) > 0, **self.solver_options)
        if not solution.success:
            raise SimulationError(f"slow-layer solver failed between t={t0:.6g} s and "
                                  f"t={t1:.6g} s: {solution.message}")
        y1 = solution.y[:, -1]
        self.check(t1, y1)
        samples = (solution.sol(sample_times).T if len(sample_times)
                   else np.empty((0, len(y0))))
        return y1, Coefficients(t1 - t0, y1[ARM], y1[TAG], y1[CAPTURE], y1[CAPTURED]), samples

    def until_death(self, y: np.ndarray, t: float, survival, conditions: Conditions):
        """(death time [s], censored) of a fly starved from ``survival.starve_from``: it dies when
        its body reserves fall below the metabolism's ``death_threshold``; a fly alive at
        ``starve_from + horizon`` is censored."""
        metabolism, head = self.metabolism, len(GLOBALS)
        if metabolism.is_dead(y[head:]):
            return t, False
        end = survival.starve_from + survival.horizon
        if t >= end:
            return np.nan, True

        def margin(_, state, *args):
            return float(metabolism.reserve_energy(state[head:])) - metabolism.death_threshold
        margin.terminal, margin.direction = True, -1
        solution = solve_ivp(self.derivatives, (t, end), y, events=margin, args=(conditions,),
                             **self.solver_options)
        if not solution.success:
            raise SimulationError(f"survival run failed after t={t:.6g} s: {solution.message}")
        if len(solution.t_events[0]):
            return float(solution.t_events[0][0]), False
        return np.nan, True

    def check(self, t: float, y: np.ndarray) -> None:
        """Raise a :class:`SimulationError` naming the first non-finite variable."""
        bad = np.flatnonzero(~np.isfinite(y))
        if len(bad):
            raise SimulationError(f"slow layer: variable '{self.names[bad[0]]}' is {y[bad[0]]} "
                                  f"at t={t:.6g} s")
        if self.metabolism is not None:
            self.metabolism.check_state(t, y[len(GLOBALS):])
