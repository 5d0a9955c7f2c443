"""Batched variable-order BDF/NDF solver: one stiff ODE system, k parameter sets at once.

The method is the quasi-constant step-size NDF of orders 1-5 of Shampine & Reichelt (1997,
"The MATLAB ODE suite", SIAM J. Sci. Comput. 18:1-22) as implemented in
``scipy.integrate.BDF``: difference array D, step-size change by ``change_D``, simplified Newton
iteration with the same convergence test, error estimate and order selection. The state is an
array Y of shape (n, k): k independent systems advanced together, one batched call of the
right-hand side (and of the Jacobian and Newton-matrix factorisation when they are needed) per
round.

Two ways to share the work between columns:

- **common steps** (default): every column takes the same step size and order, set by the
  column that needs the smallest steps (per-column RMS norms, their maximum decides), and every
  Jacobian refresh and factorisation serves all columns. Fastest for many columns; a column's
  result depends on its batch mates at the level of the solver tolerance. A given batch (same
  columns, same order) is computed deterministically.
- **independent columns** (``independent=True``): each column has its own time, step size,
  order, Jacobian age and factorisation, and takes exactly the decisions it would take alone.
  Columns still share the batched calls (a round evaluates the right-hand side of every column
  at its own time; Jacobians and factorisations are made for the columns that need them), and
  every operation computes a column the same way whatever the other columns hold, so a column's
  numbers are bit-identical to the same column integrated alone or in any other batch, provided
  the right-hand side and Jacobian compute each column alike too (numpy sums a lone column
  pairwise and several columns row by row: reduce over rows with :func:`~mbsim.solvers.column_sum`). Costs
  more calls when the columns' step sequences differ.

Differences from scipy:
- norms (local error, Newton increment) are per-column RMS norms;
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
- the object keeps each column's last step size, Jacobian and factorisation between
  ``integrate`` calls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mbsim.errors import SimulationError

from .finite_differences import finite_difference_jacobian, perturbation_groups
from .ndf_differences import (ALPHA, ERROR_CONST, MAX_ORDER, column_norms, interpolate_last_step,
                              predict, rescale_differences, step_change_matrices)
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
    steps of the column that took most), fun_calls, jac_calls and factorizations (batched calls).
    """

    y: np.ndarray
    t: float
    event_times: np.ndarray
    samples: np.ndarray
    steps: int
    fun_calls: int
    jac_calls: int
    factorizations: int


def _at(t) -> str:
    """Time for error messages, with all its digits."""
    return f"t = {float(np.min(t))!r}"


def _first_bad(values: np.ndarray, live: np.ndarray) -> tuple[int, int]:
    """(column, row) of the first non-finite entry of values (n, k) in a live column."""
    rows, cols = np.nonzero(~np.isfinite(values) & live)
    first = np.lexsort((rows, cols))[0]
    return int(cols[first]), int(rows[first])


class BatchBDF:
    """Variable-order (1-5) NDF solver for k columns of one stiff system.

    rtol: relative tolerance; atol: absolute tolerance, scalar or (n,). jac_columns: indices of
    the state variables the derivatives depend on (other Jacobian columns are zero).
    jac_sparsity: (n, n) pattern, nonzero where derivative i may depend on variable j; variables
    that no derivative depends on together are perturbed in one call. Both are used only by the
    finite-difference Jacobian. max_step: largest step size. newton_matrices: how the Newton
    matrices are factorised and solved (default :class:`~mbsim.solvers.newton_matrices.DenseNewton`).
    quadrature: number of trailing rows that no derivative depends on; the Jacobian (which must
    then be given) and the norms cover the leading rows only (``atol`` still covers all n rows).
    independent: each column steps on its own, bit-identical to the column alone (module
    docstring); otherwise the columns share their steps.

    The object remembers each column's last step size, Jacobian and factorisation: the next
    ``integrate`` call with as many columns (a new interval, possibly after a discontinuous change
    of the state) restarts at order 1 from that step size and with that Jacobian, which is
    recomputed when the Newton iteration fails.
    """

    def __init__(self, rtol: float, atol, *, jac_columns=None, jac_sparsity=None,
                 max_step: float = np.inf, newton_matrices=None, quadrature: int = 0,
                 independent: bool = False):
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
        if independent and not getattr(self.newton_matrices, "columnwise", False):
            raise ValueError("independent columns need Newton matrices that factorise each column "
                             "alone (ArrowNewton with a coupling pattern, or DenseNewton)")
        self.newton_tol = max(10 * EPS / self.rtol, min(0.03, self.rtol ** 0.5))
        self.independent = bool(independent)
        self.last_step: np.ndarray | None = None      # (k,), nan where a column took no step
        # (Jacobians (k, n, n), columns live then, their factorisations, their c (k,))
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

        fun(t, Y) is called with the columns' times t (k,) and Y of shape (n, k) and returns
        (n, k). jac(t, Y), if given, returns the per-column Jacobians (k, n, n) over the
        rows before the quadrature ones (it may be called with some columns only); otherwise
        they are finite differences, whose base point is a derivative already evaluated (no
        extra call).
        sample_times (in [t0, t1]) are evaluated from the interpolating polynomial of the step
        containing them. event(Y) -> (k,) margins: a column fires where its margin goes from > 0
        to <= 0 (at t0 if it is <= 0 there) and is frozen from its crossing time on; the call
        returns early when every column has fired. active (bool (k,)): inactive columns are
        frozen from the start. Raises SimulationError on a non-finite value or too small a step.
        """
        return _Run(self, fun, jac, event, float(t0), float(t1), y0, active).solve(sample_times)



class _Run:
    """State of one ``integrate`` call: every column's time, step, order and Newton iteration.

    Each round sets up a step attempt for the columns that start one, factorises the Newton
    matrices of the columns that need it, and takes one Newton iteration of every running column
    (one batched call of the right-hand side); columns whose iteration converged are tested and
    accepted or retried, columns whose iteration failed refactorise, refresh their Jacobian or
    halve their step, each as it would alone. With common steps every decision is taken from the
    maximum norm over the running columns, so all columns take the same steps.
    """

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
        k = self.k
        self.t, self.t1, self.y = np.full(k, t0), t1, y0
        self.atol = np.broadcast_to(solver.atol, (self.n,))[:, None]
        self.live = np.ones(k, bool) if active is None else np.array(active, dtype=bool)
        self.event_times = np.full(k, np.nan)
        self.steps = np.zeros(k, int)
        self.fun_calls = self.jac_calls = self.factorizations = 0
        # common steps update every column's arrays at once (fired columns, with zero derivative
        # and zero differences, stay frozen under any update), independent columns the chosen ones
        self.common = not solver.independent
        self.culprit = "no column identified"

    # --- how the columns decide: alone, or together -------------------------------------------
    def decide(self, values: np.ndarray, among: np.ndarray) -> np.ndarray:
        """Per-column norms as the columns use them: each its own, or (common steps) the largest
        over ``among`` for all (nan if any of them is nan)."""
        if self.solver.independent or not among.any():
            return values
        return np.full(self.k, np.max(values[among]))

    def any_of(self, flags: np.ndarray, among: np.ndarray) -> np.ndarray:
        """Per-column choices: each its own, or (common steps) every column of ``among`` if any."""
        if self.solver.independent:
            return flags & among
        return among & bool(np.any(flags & among))

    # --- right-hand side, Jacobian, factorisation ----------------------------------------------
    def fun(self, t: np.ndarray, Y: np.ndarray) -> np.ndarray:
        self.fun_calls += 1
        F = np.asarray(self.user_fun(t, Y), dtype=float)
        if F.shape != Y.shape:
            raise ValueError(f"fun returned shape {F.shape}, expected {Y.shape}")
        return np.where(self.live, F, 0.0)

    def refresh_jacobian(self, columns: np.ndarray, Y: np.ndarray, F: np.ndarray) -> None:
        """New Jacobians of the chosen columns (bool (k,)) at Y, F (n, k) (their factorisations
        become stale). The user's functions see every column (they may hold per-column
        parameters); the other columns keep their Jacobians."""
        self.jac_calls += 1
        t = self.t_new
        if self.user_jac is not None:
            J = np.array(self.user_jac(t, Y), dtype=float)
            expected = (self.k, self.lead, self.lead)
            if J.shape != expected:
                raise ValueError(f"jac returned shape {J.shape}, expected {expected}")
        else:
            J = finite_difference_jacobian(self.fun, t, Y, F, self.solver.fd_groups(self.n),
                                           self.solver.jac_sparsity, self.atol / self.solver.rtol)
        J[~self.live] = 0.0
        bad = ~np.isfinite(J) & columns[:, None, None]
        if bad.any():
            col, row, _ = np.argwhere(bad)[0]
            raise SimulationError(f"non-finite Jacobian at {_at(t[col])} (column {col}, row {row})")
        if not columns.all():   # a new array, so that cached pieces of the old one are never reused
            J = np.where(columns[:, None, None], J, self.J)
        self.J = J
        self.current_jac[columns] = True
        self.jacobian_live[columns] = self.live[columns]

    def factor(self, columns: np.ndarray) -> None:
        """Factorise the Newton matrices I - c J of the chosen columns at their current c."""
        self.factorizations += 1
        whole = columns.all()
        J = self.J if whole else self.J[columns]
        try:
            new = self.solver.newton_matrices.factor(self.c[columns], J)
        except np.linalg.LinAlgError as exc:
            raise SimulationError(f"singular Newton matrix at {_at(self.t[columns])}: "
                                  f"{exc}") from exc
        self.factors = new if whole else self.solver.newton_matrices.store(
            self.factors, new, columns)
        self.c_factored[columns] = self.c[columns]

    # --- messages ----------------------------------------------------------------------------
    def blame(self, values: np.ndarray, scale: np.ndarray, what: str, columns: np.ndarray) -> None:
        """Remember the worst column and row of a failed attempt, for the error message."""
        ratio = np.where(columns, np.abs(values[:self.lead] / scale[:self.lead]), 0.0)
        if not np.all(np.isfinite(ratio)):
            col, row = _first_bad(ratio, columns)
            self.culprit = f"non-finite {what} in column {col}, row {row}"
        else:
            row, col = np.unravel_index(np.argmax(ratio), ratio.shape)
            self.culprit = f"largest {what} in column {col}, row {row}"

    def check_finite(self, values: np.ndarray, t, what: str, columns: np.ndarray) -> None:
        if not np.all(np.isfinite(values[:, columns])):
            col, row = _first_bad(values, columns)
            time = t[col] if np.ndim(t) else t
            raise SimulationError(f"non-finite {what} at {_at(time)} (column {col}, row {row})")

    # --- start ---------------------------------------------------------------------------------
    def initial_step(self, F0: np.ndarray, running: np.ndarray) -> np.ndarray:
        """Each column's last step size from the previous call, where it has one (common steps:
        where all have one), otherwise scipy's ``select_initial_step`` (order 1) per column
        (common steps: the smallest)."""
        solver, y0, interval = self.solver, self.y, self.t1 - self.t
        last = solver.last_step
        if last is None or last.shape != (self.k,):
            last = np.full(self.k, np.nan)
        kept = np.isfinite(last)
        if not solver.independent:
            kept[:] = bool(np.all(kept[running]))
        reuse = np.minimum(np.minimum(last, interval), solver.max_step)
        if np.all(kept[running]):
            return self.smallest(reuse, running)
        scale = self.atol + solver.rtol * np.abs(y0)
        lead = slice(0, self.lead)
        d0, d1 = column_norms(y0[lead], scale[lead]), column_norms(F0[lead], scale[lead])
        h0 = np.where((d0 < 1e-5) | (d1 < 1e-5), 1e-6, 0.01 * d0 / np.maximum(d1, 1e-300))
        h0 = self.smallest(np.minimum(h0, interval), running)
        F1 = self.fun(self.t + h0, y0 + h0 * F0)
        d2 = column_norms((F1 - F0)[lead], scale[lead]) / h0
        small = (d1 <= 1e-15) & (d2 <= 1e-15)
        h1 = self.smallest(np.where(small, np.maximum(1e-6, h0 * 1e-3),
                                    (0.01 / np.maximum(np.maximum(d1, d2), 1e-300)) ** 0.5),
                           running)
        estimate = np.minimum(np.minimum(100 * h0, h1), np.minimum(interval, solver.max_step))
        return np.where(kept, reuse, estimate)

    def smallest(self, values: np.ndarray, among: np.ndarray) -> np.ndarray:
        """Per-column step sizes: each its own, or (common steps) the smallest over ``among``."""
        if self.solver.independent or not among.any():
            return values
        return np.full(self.k, np.min(values[among]))

    def start(self) -> None:
        solver, k = self.solver, self.k
        self.check_finite(self.y, self.t, "initial state", self.live)
        if self.event is not None:
            self.margin = self.margins(self.y)
            fired = self.live & (self.margin <= 0)
            self.event_times[fired] = self.t[fired]
            self.live &= ~fired
        running = self.live & (self.t < self.t1)
        if not running.any():
            return
        F0 = self.fun(self.t, self.y)
        self.check_finite(F0, self.t, "derivative", running)
        self.h = self.initial_step(F0, running)
        self.D = np.zeros((MAX_ORDER + 3, self.n, k))
        self.D[0] = self.y
        self.D[1] = F0 * self.h
        self.order, self.n_equal = np.ones(k, int), np.zeros(k, int)
        self.t_new, self.c = self.t.copy(), np.ones(k)
        self.unclamped = np.full(k, np.nan)
        self.proposed = np.full(k, np.nan)
        self.current_jac = np.zeros(k, bool)
        self.y_predict, self.psi = self.y.copy(), np.zeros_like(self.y)
        self.scale = self.atol + solver.rtol * np.abs(self.y)
        self.y_iter, self.d = self.y.copy(), np.zeros_like(self.y)
        self.F_predict = F0
        self.iteration, self.dy_norm_old = np.zeros(k, int), np.full(k, np.nan)
        previous, previous_live, factors, c_factored = solver.last_newton
        if previous is not None and previous.shape == (k, self.lead, self.lead):
            self.J, self.jacobian_live = previous, previous_live.copy()
            self.factors, self.c_factored = factors, c_factored.copy()
            stale = self.any_of(~previous_live, running)
        else:
            self.J, self.jacobian_live = np.zeros((k, self.lead, self.lead)), np.zeros(k, bool)
            self.factors, self.c_factored = None, np.full(k, np.nan)
            stale = running.copy()
        if stale.any():
            self.refresh_jacobian(stale, self.y, F0)
            self.c_factored[stale] = np.nan
        self.current_jac[:] = False
        self.begin, self.attempt = running.copy(), running.copy()

    def margins(self, Y: np.ndarray) -> np.ndarray:
        g = np.asarray(self.event(Y), dtype=float)
        if g.shape != (self.k,):
            raise ValueError(f"event returned shape {g.shape}, expected {(self.k,)}")
        return g

    # --- one round -------------------------------------------------------------------------------
    def chosen(self, columns: np.ndarray):
        """Where array updates apply: the chosen columns, or (common steps) every column."""
        return True if self.common else columns

    def change_step(self, columns: np.ndarray, factor) -> None:
        """Multiply the step size of the chosen columns by ``factor`` (scalar or (k,))."""
        factor = np.broadcast_to(np.asarray(factor, dtype=float), (self.k,))
        if self.common:      # one order and one factor: one product for the whole array
            first = int(np.flatnonzero(columns)[0])
            o = int(self.order[first])
            ru = step_change_matrices(o, factor[first:first + 1])[0]
            self.D[:o + 1] = np.tensordot(ru.T, self.D[:o + 1], axes=1)
            self.h = self.h * factor[first]
            self.n_equal[:] = 0
            return
        rescale_differences(self.D, self.order, factor, columns)
        self.h = np.where(columns, self.h * factor, self.h)
        self.n_equal[columns] = 0

    def retry(self, columns: np.ndarray, factor) -> None:
        """A new attempt of the chosen columns with their step size times ``factor``."""
        self.change_step(columns, factor)
        self.unclamped[columns] = np.nan
        self.attempt |= columns

    def set_up(self, columns: np.ndarray) -> None:
        """Predict the chosen columns' next state and prepare their Newton iteration."""
        solver, t = self.solver, self.t
        min_step = 10 * np.abs(np.nextafter(t, np.inf) - t)
        begin = columns & self.begin
        if begin.any():      # a new step: its size within [min_step, max_step]
            wanted = np.minimum(np.maximum(self.h, min_step), solver.max_step)
            change = begin & (wanted != self.h)
            if change.any():
                self.change_step(change, np.where(change, wanted / self.h, 1.0))
                self.h = np.where(change, wanted, self.h)
            self.current_jac[begin], self.unclamped[begin] = False, np.nan
            self.begin &= ~begin
        if np.any(columns & (self.h < min_step)):
            col = int(np.flatnonzero(columns & (self.h < min_step))[0])
            raise SimulationError(f"step size {self.h[col]:.3g} fell below the minimum "
                                  f"{min_step[col]:.3g} at {_at(t[col])}; {self.culprit}")
        t_new = np.where(columns, t + self.h, self.t_new)
        clamp = columns & (t_new > self.t1)
        if clamp.any():
            self.unclamped[clamp] = self.h[clamp]
            self.change_step(clamp, np.where(clamp, (self.t1 - t) / self.h, 1.0))
            t_new[clamp] = self.t1
        self.h = np.where(columns, t_new - t, self.h)
        self.t_new = t_new
        y_predict, psi = predict(self.D, self.order)
        where = self.chosen(columns)
        np.copyto(self.y_predict, y_predict, where=where)
        np.copyto(self.psi, psi, where=where)
        np.copyto(self.scale, self.atol + solver.rtol * np.abs(y_predict), where=where)
        self.c[columns] = self.h[columns] / ALPHA[self.order[columns]]
        if self.common:      # one c for the whole array, so that it is factorised as one
            self.c[:] = self.c[np.flatnonzero(columns)[0]]
        with np.errstate(invalid="ignore"):
            stale = ~(np.abs(self.c / self.c_factored - 1) <= MAX_GAMMA_CHANGE)
        self.need_factor |= self.any_of(stale, columns)
        self.restart_newton(columns)
        self.attempt &= ~columns

    def restart_newton(self, columns: np.ndarray) -> None:
        np.copyto(self.y_iter, self.y_predict, where=self.chosen(columns))
        np.copyto(self.d, 0.0, where=self.chosen(columns))
        self.iteration[columns], self.dy_norm_old[columns] = 0, np.nan

    def newton_iteration(self, running: np.ndarray):
        """One simplified Newton iteration (scipy's ``solve_bdf_system``) of every running
        column, with its matrix factorised at ``c_factored`` and its increment scaled by
        2 / (1 + c / c_factored) (CVODE). Returns (converged, failed) columns."""
        it, tol, scale = self.iteration, self.solver.newton_tol, self.scale
        F = self.fun(self.t_new, self.y_iter)
        np.copyto(self.F_predict, F, where=running & (it == 0))
        finite = np.isfinite(F)
        bad_F = np.zeros(self.k, bool) if finite.all() else running & ~finite.all(axis=0)
        if bad_F.any():
            self.blame(F, scale, "derivative", bad_F)
            bad_F = self.any_of(bad_F, running)
        residual = self.c * F - self.psi - self.d
        dy = np.empty_like(residual)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            # (a column never factorised is frozen: zero factors, no correction)
            correction = np.where(np.isnan(self.c_factored), 1.0, 2 / (1 + self.c / self.c_factored))
            dy[:self.lead] = correction * self.solver.newton_matrices.solve(
                self.factors, residual[:self.lead])
            dy[self.lead:] = residual[self.lead:]     # quadrature rows: explicit corrector
            dy_norm = self.decide(column_norms(dy[:self.lead], scale[:self.lead]), running & ~bad_F)
            rate = np.where(it > 0, dy_norm / self.dy_norm_old, np.nan)
            diverging = (it > 0) & ((rate >= 1) | (rate ** (NEWTON_MAXITER - it) / (1 - rate)
                                                   * dy_norm > tol))
            failed = running & (bad_F | ~np.isfinite(dy_norm) | diverging)
            ok = running & ~failed
            if ok.any():
                np.add(self.y_iter, dy, out=self.y_iter, where=self.chosen(ok))
                np.add(self.d, dy, out=self.d, where=self.chosen(ok))
            converged = ok & ((dy_norm == 0) | ((it > 0) & (rate / (1 - rate) * dy_norm < tol)))
        going = ok & ~converged
        exhausted = going & (it + 1 >= NEWTON_MAXITER)
        failed |= exhausted
        going &= ~exhausted
        if np.any(failed & ~bad_F):
            self.blame(dy, scale, "Newton increment", failed & ~bad_F)
        self.dy_norm_old[going] = dy_norm[going]
        self.n_iter = it + 1
        self.iteration[going] += 1
        return converged, failed

    def after_failure(self, failed: np.ndarray) -> None:
        """A stale c is refactorised first, a stale Jacobian only if that fails, and with both
        fresh the step is halved."""
        fresh = self.c_factored == self.c
        halve = failed & fresh & self.current_jac
        refresh = failed & fresh & ~self.current_jac
        if refresh.any():
            self.refresh_jacobian(refresh, self.y_predict, self.F_predict)
        again = failed & ~halve
        self.need_factor |= again
        self.restart_newton(again)
        if halve.any():
            self.retry(halve, np.where(halve, 0.5, 1.0))

    def error_test(self, converged: np.ndarray) -> np.ndarray:
        """Accept the converged columns whose local error is within tolerance, retry the others
        with a smaller step; returns the accepted columns."""
        scale = self.atol + self.solver.rtol * np.abs(self.y_iter)
        error = ERROR_CONST[self.order] * self.d
        safety = 0.9 * (2 * NEWTON_MAXITER + 1) / (2 * NEWTON_MAXITER + self.n_iter)
        error_norm = self.decide(column_norms(error[:self.lead], scale[:self.lead]), converged)
        accepted = converged & (error_norm <= 1)
        rejected = converged & ~accepted
        if rejected.any():
            self.blame(error, scale, "local error", rejected)
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = np.where(np.isfinite(error_norm), np.maximum(
                    MIN_FACTOR, safety * error_norm ** (-1 / (self.order + 1))), 0.5)
            self.retry(rejected, np.where(rejected, factor, 1.0))
        if accepted.any():
            self.accept(accepted, scale, error_norm, safety)
        return accepted

    def accept(self, columns: np.ndarray, scale, error_norm, safety) -> None:
        self.check_finite(self.y_iter, self.t_new, "state", columns)
        self.steps[columns] += 1
        self.n_equal[columns] += 1
        self.t_old = self.t.copy()
        self.t = np.where(columns, self.t_new, self.t)
        np.copyto(self.y, self.y_iter, where=self.chosen(columns))
        self.proposed[columns] = np.where(np.isnan(self.unclamped), self.h, self.unclamped)[columns]
        D, d = self.D, self.d
        if self.common:
            o = int(self.order[0])
            D[o + 2] = d - D[o + 1]
            D[o + 1] = d
            for i in reversed(range(o + 1)):
                D[i] += D[i + 1]
        else:
            chosen = np.flatnonzero(columns)
            order = self.order[chosen]
            D[order + 2, :, chosen] = (d[:, chosen] - D[order + 1, :, chosen].T).T
            D[order + 1, :, chosen] = d[:, chosen].T
            for i in reversed(range(int(order.max()) + 1)):
                np.add(D[i], D[i + 1], out=D[i], where=columns & (self.order >= i))
        fired = (self.locate_events(columns) if self.event is not None
                 else np.zeros(self.k, bool))
        self.take_samples(columns, fired)
        choose = columns & self.live & (self.n_equal >= self.order + 1)
        if choose.any():
            self.select_order(choose, scale, error_norm, safety)
        self.begin |= columns
        self.attempt |= columns

    def select_order(self, columns: np.ndarray, scale, error_norm, safety) -> None:
        D, order, every, lead = self.D[:, :self.lead], self.order, np.arange(self.k), self.lead
        with np.errstate(invalid="ignore"):
            lower = column_norms(ERROR_CONST[order - 1] * D[order, :, every].T, scale[:lead])
            higher = column_norms(ERROR_CONST[np.minimum(order + 1, MAX_ORDER)]
                                  * D[np.minimum(order + 2, MAX_ORDER + 2), :, every].T,
                                  scale[:lead])
        lower = self.decide(np.where(order > 1, lower, np.inf), columns)
        higher = self.decide(np.where(order < MAX_ORDER, higher, np.inf), columns)
        with np.errstate(divide="ignore"):
            factors = np.stack([lower, error_norm, higher]) ** (
                -1 / (order + np.arange(3)[:, None]))
        best = np.argmax(factors, axis=0)
        factor = np.minimum(MAX_FACTOR, safety * np.max(factors, axis=0))
        self.order = np.where(self.chosen(columns), order + best - 1, order)
        self.change_step(columns, np.where(columns, factor, 1.0))
        self.proposed[columns] = self.h[columns]

    # --- events, samples, driver -------------------------------------------------------------
    def locate_events(self, columns: np.ndarray) -> np.ndarray:
        """Freeze the live columns among ``columns`` whose margin crossed to <= 0 in the step
        they just took; return them."""
        D, order, t_new, h = self.D, self.order, self.t, self.h
        old, margin = self.margin, self.margins(self.y)
        fired = columns & self.live & (old > 0) & (margin <= 0)
        self.margin = np.where(columns & self.live, margin, old)
        if not fired.any():
            return fired
        a, b = self.t_old.copy(), t_new.copy()
        ga, gb = np.where(fired, old, 1.0), np.where(fired, margin, -1.0)
        side = np.zeros(self.k, int)
        for iteration in range(_ROOT_ITERATIONS):
            searching = fired & (b - a > _ROOT_TOL * h)
            if not searching.any():
                break
            with np.errstate(divide="ignore", invalid="ignore"):
                tm = b - gb * (b - a) / (gb - ga)
            bisect = ~np.isfinite(tm) | (tm <= a) | (tm >= b) | (iteration >= _ROOT_ITERATIONS // 2)
            tm = np.where(bisect, 0.5 * (a + b), tm)
            gm = self.margins(interpolate_last_step(D, order, t_new, h, tm[None, :]))
            below = searching & (gm <= 0)
            above = searching & ~below
            ga = np.where(below & (side == 1), 0.5 * ga, ga)
            gb = np.where(above & (side == -1), 0.5 * gb, gb)
            b, gb = np.where(below, tm, b), np.where(below, gm, gb)
            a, ga = np.where(above, tm, a), np.where(above, gm, ga)
            side = np.where(below, 1, np.where(above, -1, side))
        frozen = interpolate_last_step(D, order, t_new, h, b[None, :])
        self.event_times[fired] = b[fired]
        self.y[:, fired] = frozen[:, fired]
        self.D[0][:, fired] = frozen[:, fired]
        self.D[1:][:, :, fired] = 0.0
        self.live &= ~fired
        return fired

    def take_samples(self, columns: np.ndarray, fired: np.ndarray) -> None:
        """Fill the sample times that the step the chosen columns just took covered."""
        due = ~self.filled & columns & (self.times[:, None] <= self.t[None, :])
        rows = np.flatnonzero(due.any(axis=1))
        if not len(rows):
            return
        D, order, t_new, h = self.D, self.order, self.t, self.h
        values = interpolate_last_step(D, order, t_new, h, self.times[rows])
        late = fired & (self.times[rows, None] > self.event_times)
        values = np.where(late[:, None, :], self.y[None], values)
        self.samples[rows] = np.where(due[rows, None, :], values, self.samples[rows])
        self.filled |= due

    def round(self, running: np.ndarray) -> None:
        if np.any(self.attempt & running):
            self.set_up(self.attempt & running)
        need = self.need_factor & running
        if need.any():
            self.factor(np.ones(self.k, bool) if self.common else need)
            self.need_factor &= ~need
        converged, failed = self.newton_iteration(running)
        if failed.any():
            self.after_failure(failed)
        if converged.any():
            self.error_test(converged)

    def solve(self, sample_times) -> BatchSolution:
        times = np.atleast_1d(np.asarray(sample_times, dtype=float))
        if times.size and (times.min() < self.t[0] or times.max() > self.t1):
            raise ValueError(f"sample_times must lie in [{self.t[0]}, {self.t1}]")
        self.times = times
        self.filled = np.broadcast_to(times[:, None] <= self.t[None, :],
                                      (times.size, self.k)).copy()
        self.samples = np.broadcast_to(self.y, (times.size, self.n, self.k)).copy()
        self.need_factor = np.zeros(self.k, bool)
        self.start()
        while True:
            running = self.live & (self.t < self.t1)
            if not running.any():
                break
            self.round(running)
        self.samples = np.where(self.filled[:, None, :], self.samples, self.y[None])
        if self.steps.any():
            previous = self.solver.last_step
            kept = (previous if previous is not None and previous.shape == (self.k,)
                    else np.full(self.k, np.nan))
            self.solver.last_step = np.where(self.steps > 0, self.proposed, kept)
        if hasattr(self, "J"):
            self.solver.last_newton = (self.J, self.jacobian_live, self.factors, self.c_factored)
        reached = self.t1 if self.live.any() else float(np.max(self.t))
        return BatchSolution(self.y, reached, self.event_times, self.samples,
                             int(self.steps.max()), self.fun_calls, self.jac_calls,
                             self.factorizations)
