"""Batched variable-order BDF/NDF solver: one stiff ODE system, k parameter sets at once.

The method is the quasi-constant step-size NDF of orders 1-5 of Shampine & Reichelt (1997,
"The MATLAB ODE suite", SIAM J. Sci. Comput. 18:1-22) as implemented in
``scipy.integrate.BDF``: difference array D, step-size change by ``change_D``, simplified Newton
iteration with the same convergence test, error estimate and order selection. The state is an
array Y of shape (n, k) whose k columns are independent systems sharing one step size and order.

The common step is what makes a batch fast: every Jacobian refresh and every factorisation of the
Newton matrices serves all columns at once, in one batched call. Its price: a column's result
depends on its batch mates at the level of the solver tolerance (the step sequence is set by the
column that needs the smallest steps), so a column alone and the same column inside a batch agree
to about rtol, not bit for bit. A given batch (same columns, same order) is computed
deterministically.

Differences from scipy:
- norms (local error, Newton increment) are per-column RMS norms and the step uses their maximum
  over the active columns, so every column is at least as accurate as if integrated alone;
- the Newton matrices I - c J are factorised per column in one batch
  (:mod:`mbsim.solvers.newton_matrices`: ``DenseNewton``, or ``ArrowNewton`` for independent
  blocks coupled through a few border variables);
- the finite-difference Jacobian perturbs in one call the variables that no derivative depends on
  together, given a sparsity pattern (Curtis, Powell & Reid 1974, J. Inst. Math. Appl. 13:117-119);
- the Newton matrices are factorised less often, as in CVODE (Hindmarsh et al. 2005, "SUNDIALS",
  ACM Trans. Math. Softw. 31:363-396): a factorisation made with c' = h'/alpha' serves while
  |c/c' - 1| <= 0.3, each Newton increment scaled by 2/(1 + c/c') (the iteration's fixed point is
  unchanged, only its rate); a Newton failure with such a matrix first refactorises with the
  current c and the same Jacobian (scipy refactorises at every change of step size or order,
  except after a failed error test, where it keeps the matrix without correction);
- per-column events freeze a column at its crossing time (derivative 0, excluded from norms);
- trailing quadrature rows (``quadrature``: variables no derivative depends on, such as cumulative
  counters) are integrated by the same formula but kept out of the Newton matrices and of every
  norm, as in CVODES with ``errconQ`` off (Serban & Hindmarsh 2005): their corrector is explicit,
  and the leading rows take the same steps with or without them;
- the object keeps the last step size, Jacobian and factorisation between ``integrate`` calls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mbsim.errors import SimulationError

from .finite_differences import finite_difference_jacobian, perturbation_groups
from .ndf_differences import (ALPHA, ERROR_CONST, GAMMA, MAX_ORDER, column_norms,
                              interpolate_last_step, rescale_differences)
from .newton_matrices import DenseNewton

NEWTON_MAXITER = 4
MIN_FACTOR = 0.2
MAX_FACTOR = 10.0
MAX_GAMMA_CHANGE = 0.3  # refactorise when |c / c_factored - 1| exceeds it (CVODE's dgmax)
EPS = np.finfo(float).eps
_ROOT_ITERATIONS = 80  # Illinois steps, switching to bisection after half of them
_ROOT_TOL = 1e-10      # event time tolerance, relative to the step size


@dataclass
class BatchSolution:
    """Result of one ``BatchBDF.integrate`` call.

    y: (n, k) state at ``t`` (fired columns: the state frozen at their event time);
    t: time reached (t1, or earlier when every column fired); event_times: (k,) with nan where
    no event fired; samples: (len(sample_times), n, k); counters of this call: steps (accepted
    steps, common to all columns), fun_calls, jac_calls and factorizations (batched calls).
    """

    y: np.ndarray
    t: float
    event_times: np.ndarray
    samples: np.ndarray
    steps: int
    fun_calls: int
    jac_calls: int
    factorizations: int


def _at(t: float) -> str:
    """Time for error messages, with all its digits."""
    return f"t = {float(t)!r}"


def _first_bad(values: np.ndarray, live: np.ndarray) -> tuple[int, int]:
    """(column, row) of the first non-finite entry of values (n, k) in a live column."""
    rows, cols = np.nonzero(~np.isfinite(values) & live)
    first = np.lexsort((rows, cols))[0]
    return int(cols[first]), int(rows[first])


class BatchBDF:
    """Variable-order (1-5) NDF solver for k columns of one stiff system with a common step.

    rtol: relative tolerance; atol: absolute tolerance, scalar or (n,). jac_columns: indices of
    the state variables the derivatives depend on (other Jacobian columns are zero).
    jac_sparsity: (n, n) pattern, nonzero where derivative i may depend on variable j; variables
    that no derivative depends on together are perturbed in one call. Both are used only by the
    finite-difference Jacobian. max_step: largest step size. newton_matrices: how the Newton
    matrices are factorised and solved (default :class:`~mbsim.solvers.newton_matrices.DenseNewton`).
    quadrature: number of trailing rows that no derivative depends on; the Jacobian (which must
    then be given) and the norms cover the leading rows only (``atol`` still covers all n rows).

    The object remembers the last step size, Jacobian and factorisation: the next ``integrate``
    call (a new interval, possibly after a discontinuous change of the state) restarts at order 1
    from that step size and with that Jacobian, which is recomputed when the Newton iteration
    fails.
    """

    def __init__(self, rtol: float, atol, *, jac_columns=None, jac_sparsity=None,
                 max_step: float = np.inf, newton_matrices=None, quadrature: int = 0):
        if not rtol > 0 or not max_step > 0:
            raise ValueError(f"rtol and max_step must be > 0, got {rtol}, {max_step}")
        self.rtol = float(max(rtol, 100 * EPS))
        self.atol = np.asarray(atol, dtype=float)
        if np.any(self.atol < 0) or self.atol.ndim > 1:
            raise ValueError("atol must be a non-negative scalar or a 1-d array")
        self.jac_columns = None if jac_columns is None else np.asarray(jac_columns, dtype=int)
        self.jac_sparsity = None if jac_sparsity is None else np.asarray(jac_sparsity) != 0
        self._fd_groups: dict[int, list[np.ndarray]] = {}
        self.max_step = float(max_step)
        if quadrature < 0:
            raise ValueError(f"quadrature must be >= 0, got {quadrature}")
        self.quadrature = int(quadrature)
        self.newton_matrices = newton_matrices or DenseNewton()
        self.newton_tol = max(10 * EPS / self.rtol, min(0.03, self.rtol ** 0.5))
        self.last_step: float | None = None
        # (Jacobians (k, n, n), columns live then, their factorisation, its c)
        self.last_newton: tuple = (None, None, None, None)

    def fd_groups(self, n: int) -> list[np.ndarray]:
        """Groups of state variables perturbed together by the finite-difference Jacobian: no
        derivative depends on two variables of one group (greedy, in index order)."""
        if n in self._fd_groups:
            return self._fd_groups[n]
        variables = np.arange(n) if self.jac_columns is None else self.jac_columns
        if self.jac_sparsity is None:
            self._fd_groups[n] = [variables[i:i + 1] for i in range(len(variables))]
            return self._fd_groups[n]
        if self.jac_sparsity.shape != (n, n):
            raise ValueError(f"jac_sparsity has shape {self.jac_sparsity.shape}, expected {(n, n)}")
        self._fd_groups[n] = perturbation_groups(variables, self.jac_sparsity)
        return self._fd_groups[n]

    def integrate(self, fun, t0: float, t1: float, y0, *, jac=None, sample_times=(),
                  event=None, active=None) -> BatchSolution:
        """Integrate Y' = fun(t, Y) from t0 to t1 > t0 starting at y0 (n, k).

        fun(t, Y) is called with the common time t (a float) and Y of shape (n, k) and returns
        (n, k). jac(t, Y), if given, returns the per-column Jacobians (k, n, n) over the
        rows before the quadrature ones; otherwise they
        are finite differences, whose base point is a derivative already evaluated (no extra call).
        sample_times (in [t0, t1]) are evaluated from the interpolating polynomial of the step
        containing them. event(Y) -> (k,) margins: a column fires where its margin goes from > 0
        to <= 0 (at t0 if it is <= 0 there) and is frozen from its crossing time on; the call
        returns early when every column has fired. active (bool (k,)): inactive columns are
        frozen from the start. Raises SimulationError on a non-finite value or too small a step.
        """
        return _Run(self, fun, jac, event, float(t0), float(t1), y0, active).solve(sample_times)


class _Run:
    """State of one ``integrate`` call."""

    def __init__(self, solver: BatchBDF, fun, jac, event, t0, t1, y0, active):
        y0 = np.array(y0, dtype=float)
        if y0.ndim != 2 or not t1 >= t0:
            raise ValueError(f"y0 must be (n, k) and t1 >= t0; got shape {y0.shape}, [{t0}, {t1}]")
        self.solver, self.user_fun, self.user_jac, self.event = solver, fun, jac, event
        self.n, self.k = y0.shape
        self.lead = self.n - solver.quadrature   # rows in the Newton matrices and the norms
        if self.lead < 1 or (solver.quadrature and jac is None):
            raise ValueError(f"{solver.quadrature} quadrature rows of {self.n} need fewer rows "
                             "and an analytic jac")
        self.t, self.t1, self.y = t0, t1, y0
        self.atol = np.broadcast_to(solver.atol, (self.n,))[:, None]
        self.live = np.ones(self.k, bool) if active is None else np.array(active, dtype=bool)
        self.event_times = np.full(self.k, np.nan)
        self.steps = self.fun_calls = self.jac_calls = self.factorizations = 0
        self.culprit = "no column identified"

    # --- right-hand side, Jacobian, Newton iteration ---------------------------------------
    def fun(self, t: float, Y: np.ndarray) -> np.ndarray:
        self.fun_calls += 1
        F = np.asarray(self.user_fun(t, Y), dtype=float)
        if F.shape != Y.shape:
            raise ValueError(f"fun returned shape {F.shape}, expected {Y.shape}")
        return np.where(self.live, F, 0.0)

    def jacobian(self, t: float, Y: np.ndarray, F: np.ndarray | None = None) -> np.ndarray:
        self.jac_calls += 1
        if self.user_jac is not None:
            J = np.array(self.user_jac(t, Y), dtype=float)
            expected = (self.k, self.lead, self.lead)
            if J.shape != expected:
                raise ValueError(f"jac returned shape {J.shape}, expected {expected}")
        else:
            F = self.fun(t, Y) if F is None else F
            J = finite_difference_jacobian(self.fun, t, Y, F, self.solver.fd_groups(self.n),
                                           self.solver.jac_sparsity, self.atol / self.solver.rtol)
        J[~self.live] = 0.0
        bad = ~np.isfinite(J)
        if bad.any():
            col, row, _ = np.argwhere(bad)[0]
            raise SimulationError(f"non-finite Jacobian at {_at(t)} (column {col}, row {row})")
        self.jacobian_live = self.live.copy()
        return J

    def factor(self, c: float) -> None:
        """Factorise the Newton matrices I - c J of the current Jacobian."""
        self.factorizations += 1
        try:
            self.inverse = self.solver.newton_matrices.factor(c, self.J)
        except np.linalg.LinAlgError as exc:
            raise SimulationError(f"singular Newton matrix at {_at(self.t)}: {exc}") from exc
        self.c_factored = c

    def max_norm(self, x: np.ndarray, scale: np.ndarray) -> float:
        """Largest per-column RMS norm of x / scale over the live columns and the leading rows
        (nan if any of them is nan)."""
        norms = column_norms(x[:self.lead], scale[:self.lead])
        return float(np.max(np.where(self.live, norms, 0.0)))

    def blame(self, values: np.ndarray, scale: np.ndarray, what: str) -> None:
        """Remember the worst column and row of a failed attempt, for the error message."""
        ratio = np.where(self.live, np.abs(values[:self.lead] / scale[:self.lead]), 0.0)
        if not np.all(np.isfinite(ratio)):
            col, row = _first_bad(ratio, self.live)
            self.culprit = f"non-finite {what} in column {col}, row {row}"
        else:
            row, col = np.unravel_index(np.argmax(ratio), ratio.shape)
            self.culprit = f"largest {what} in column {col}, row {row}"

    def newton(self, t_new, y_predict, c, psi, scale):
        """Simplified Newton iteration (scipy's ``solve_bdf_system``) with max-column norms and
        the matrices factorised at ``c_factored``: increments scaled by 2 / (1 + c / c_factored)
        (CVODE). Keeps the derivatives at the prediction in ``F_predict`` (the base point of a
        finite-difference Jacobian)."""
        correction = 2 / (1 + c / self.c_factored)
        d = np.zeros_like(y_predict)
        y = y_predict.copy()
        dy_norm_old = None
        for iteration in range(NEWTON_MAXITER):
            F = self.fun(t_new, y)
            if iteration == 0:
                self.F_predict = F
            if not np.all(np.isfinite(F)):
                self.blame(F, scale, "derivative")
                return False, iteration + 1, y, d
            residual = c * F - psi - d
            dy = np.empty_like(residual)
            dy[:self.lead] = correction * self.solver.newton_matrices.solve(
                self.inverse, residual[:self.lead])
            dy[self.lead:] = residual[self.lead:]     # quadrature rows: explicit corrector
            dy_norm = self.max_norm(dy, scale)
            rate = None if dy_norm_old is None else dy_norm / dy_norm_old
            if not np.isfinite(dy_norm) or (rate is not None and (
                    rate >= 1 or rate ** (NEWTON_MAXITER - iteration) / (1 - rate) * dy_norm
                    > self.solver.newton_tol)):
                self.blame(dy, scale, "Newton increment")
                return False, iteration + 1, y, d
            y += dy
            d += dy
            if dy_norm == 0 or (rate is not None and rate / (1 - rate) * dy_norm
                                < self.solver.newton_tol):
                return True, iteration + 1, y, d
            dy_norm_old = dy_norm
        self.blame(dy, scale, "Newton increment")
        return False, NEWTON_MAXITER, y, d

    # --- start ------------------------------------------------------------------------------
    def check_finite(self, values: np.ndarray, t: float, what: str) -> None:
        if not np.all(np.isfinite(values[:, self.live])):
            col, row = _first_bad(values, self.live)
            raise SimulationError(f"non-finite {what} at {_at(t)} (column {col}, row {row})")

    def initial_step(self, F0: np.ndarray) -> float:
        """scipy's ``select_initial_step`` (order 1) with the smallest proposal over columns."""
        solver, y0, interval = self.solver, self.y, self.t1 - self.t
        if solver.last_step is not None:
            return min(solver.last_step, interval, solver.max_step)
        scale = self.atol + solver.rtol * np.abs(y0)
        lead = slice(0, self.lead)
        d0, d1 = column_norms(y0[lead], scale[lead]), column_norms(F0[lead], scale[lead])
        h0 = np.where((d0 < 1e-5) | (d1 < 1e-5), 1e-6, 0.01 * d0 / np.maximum(d1, 1e-300))
        h0 = min(float(np.min(h0[self.live])), interval)
        F1 = self.fun(self.t + h0, y0 + h0 * F0)
        d2 = column_norms((F1 - F0)[lead], scale[lead]) / h0
        small = (d1 <= 1e-15) & (d2 <= 1e-15)
        h1 = np.where(small, max(1e-6, h0 * 1e-3),
                      (0.01 / np.maximum(np.maximum(d1, d2), 1e-300)) ** 0.5)
        return min(100 * h0, float(np.min(h1[self.live])), interval, solver.max_step)

    def start(self) -> None:
        solver = self.solver
        self.check_finite(self.y, self.t, "initial state")
        if self.event is not None:
            self.margin = self.margins(self.y)
            fired = self.live & (self.margin <= 0)
            self.event_times[fired] = self.t
            self.live &= ~fired
        if not self.live.any() or self.t == self.t1:
            return
        F0 = self.fun(self.t, self.y)
        self.check_finite(F0, self.t, "derivative")
        self.h_abs = self.initial_step(F0)
        self.D = np.zeros((MAX_ORDER + 3, self.n, self.k))
        self.D[0] = self.y
        self.D[1] = F0 * self.h_abs
        self.order, self.n_equal_steps = 1, 0
        previous, previous_live, inverse, c_factored = solver.last_newton
        if (previous is not None and previous.shape == (self.k, self.lead, self.lead)
                and not np.any(self.live & ~previous_live)):
            self.J, self.jacobian_live = previous, previous_live
            self.inverse, self.c_factored = inverse, c_factored
        else:
            self.J, self.inverse, self.c_factored = self.jacobian(self.t, self.y, F0), None, None

    def margins(self, Y: np.ndarray) -> np.ndarray:
        g = np.asarray(self.event(Y), dtype=float)
        if g.shape != (self.k,):
            raise ValueError(f"event returned shape {g.shape}, expected {(self.k,)}")
        return g

    # --- one step (scipy's BDF._step_impl) ----------------------------------------------------
    def step(self) -> float:
        """Advance one accepted step and return the time it started from."""
        solver, t, D, order = self.solver, self.t, self.D, self.order
        min_step = 10 * abs(np.nextafter(t, np.inf) - t)
        h_abs = self.h_abs
        if h_abs > solver.max_step or h_abs < min_step:
            new = min(max(h_abs, min_step), solver.max_step)
            rescale_differences(D, order, new / h_abs)
            h_abs, self.n_equal_steps = new, 0
        current_jac, unclamped = False, None
        while True:
            if h_abs < min_step:
                raise SimulationError(f"step size {h_abs:.3g} fell below the minimum {min_step:.3g}"
                                      f" at {_at(t)}; {self.culprit}")
            t_new = t + h_abs
            if t_new > self.t1:
                t_new, unclamped = self.t1, h_abs
                rescale_differences(D, order, (t_new - t) / h_abs)
                self.n_equal_steps = 0
            h_abs = t_new - t
            y_predict = np.sum(D[:order + 1], axis=0)
            scale = self.atol + solver.rtol * np.abs(y_predict)
            psi = np.tensordot(GAMMA[1:order + 1], D[1:order + 1], axes=1) / ALPHA[order]
            c = h_abs / ALPHA[order]
            if self.inverse is None or abs(c / self.c_factored - 1) > MAX_GAMMA_CHANGE:
                self.factor(c)
            while True:
                converged, n_iter, y_new, d = self.newton(t_new, y_predict, c, psi, scale)
                fresh = self.c_factored == c
                if converged or (fresh and current_jac):
                    break
                if fresh:   # a stale c is refactorised first, a stale Jacobian only if that fails
                    self.J = self.jacobian(t_new, y_predict, self.F_predict)
                    current_jac = True
                self.factor(c)
            if not converged:
                factor = 0.5
            else:
                safety = 0.9 * (2 * NEWTON_MAXITER + 1) / (2 * NEWTON_MAXITER + n_iter)
                scale = self.atol + solver.rtol * np.abs(y_new)
                error = ERROR_CONST[order] * d
                error_norm = self.max_norm(error, scale)
                if error_norm <= 1:
                    break
                self.blame(error, scale, "local error")
                factor = (max(MIN_FACTOR, safety * error_norm ** (-1 / (order + 1)))
                          if np.isfinite(error_norm) else 0.5)
            h_abs *= factor
            rescale_differences(D, order, factor)
            self.n_equal_steps, unclamped = 0, None
        self.steps += 1
        self.n_equal_steps += 1
        self.check_finite(y_new, t_new, "state")
        self.t, self.y, self.h_abs = t_new, y_new, h_abs
        self.proposed_step = h_abs if unclamped is None else unclamped
        D[order + 2] = d - D[order + 1]
        D[order + 1] = d
        for i in reversed(range(order + 1)):
            D[i] += D[i + 1]
        self.dense = (D[:order + 1].copy(), order, t_new, h_abs)
        if self.n_equal_steps >= order + 1:
            self.select_order(scale, error_norm, safety)
        return t

    def select_order(self, scale: np.ndarray, error_norm: float, safety: float) -> None:
        D, order = self.D, self.order
        error_m_norm = (self.max_norm(ERROR_CONST[order - 1] * D[order], scale)
                        if order > 1 else np.inf)
        error_p_norm = (self.max_norm(ERROR_CONST[order + 1] * D[order + 2], scale)
                        if order < MAX_ORDER else np.inf)
        with np.errstate(divide="ignore"):
            factors = np.array([error_m_norm, error_norm, error_p_norm]) ** (
                -1 / np.arange(order, order + 3))
        self.order = order + int(np.argmax(factors)) - 1
        factor = min(MAX_FACTOR, safety * np.max(factors))
        self.h_abs *= factor
        self.proposed_step = self.h_abs
        rescale_differences(D, self.order, factor)
        self.n_equal_steps = 0

    # --- events, samples, driver -------------------------------------------------------------
    def locate_events(self, t_old: float) -> np.ndarray:
        """Freeze the live columns whose margin crossed to <= 0 in the last step; return them."""
        D, order, t_new, h = self.dense
        old, margin = self.margin, self.margins(self.y)
        fired = self.live & (old > 0) & (margin <= 0)
        self.margin = np.where(self.live, margin, old)
        if not fired.any():
            return fired
        a, b = np.full(self.k, t_old), np.full(self.k, t_new)
        ga, gb = np.where(fired, old, 1.0), np.where(fired, margin, -1.0)
        side = np.zeros(self.k, int)
        for iteration in range(_ROOT_ITERATIONS):
            if np.max(np.where(fired, b - a, 0.0)) <= _ROOT_TOL * h:
                break
            with np.errstate(divide="ignore", invalid="ignore"):
                tm = b - gb * (b - a) / (gb - ga)
            bisect = ~np.isfinite(tm) | (tm <= a) | (tm >= b) | (iteration >= _ROOT_ITERATIONS // 2)
            tm = np.where(bisect, 0.5 * (a + b), tm)
            gm = self.margins(interpolate_last_step(D, order, t_new, h, tm[None, :]))
            below = gm <= 0
            ga = np.where(below & (side == 1), 0.5 * ga, ga)
            gb = np.where(~below & (side == -1), 0.5 * gb, gb)
            b, gb = np.where(below, tm, b), np.where(below, gm, gb)
            a, ga = np.where(below, a, tm), np.where(below, ga, gm)
            side = np.where(below, 1, -1)
        frozen = interpolate_last_step(D, order, t_new, h, b[None, :])
        self.event_times[fired] = b[fired]
        self.y[:, fired] = frozen[:, fired]
        self.D[0][:, fired] = frozen[:, fired]
        self.D[1:][:, :, fired] = 0.0
        self.live &= ~fired
        return fired

    def solve(self, sample_times) -> BatchSolution:
        times = np.atleast_1d(np.asarray(sample_times, dtype=float))
        if times.size and (times.min() < self.t or times.max() > self.t1):
            raise ValueError(f"sample_times must lie in [{self.t}, {self.t1}]")
        order_of = np.argsort(times, kind="stable")
        samples = np.empty((times.size, self.n, self.k))
        done = np.searchsorted(times[order_of], self.t, side="right")
        samples[order_of[:done]] = self.y
        self.start()
        while self.live.any() and self.t < self.t1:
            t_old = self.step()
            D, order, t_new, h = self.dense
            fired = self.locate_events(t_old) if self.event is not None else np.zeros(self.k, bool)
            end = np.searchsorted(times[order_of], t_new, side="right")
            if end > done:
                chosen = order_of[done:end]
                values = interpolate_last_step(D, order, t_new, h, times[chosen])
                late = fired & (times[chosen][:, None] > self.event_times)
                values[:, :, fired] = np.where(late[:, None, fired], self.y[:, fired],
                                               values[:, :, fired])
                samples[chosen], done = values, end
        samples[order_of[done:]] = self.y
        if self.steps:
            self.solver.last_step = self.proposed_step
        if hasattr(self, "J"):
            self.solver.last_newton = (self.J, self.jacobian_live, self.inverse, self.c_factored)
        return BatchSolution(self.y, self.t, self.event_times, samples, self.steps,
                             self.fun_calls, self.jac_calls, self.factorizations)
