"""Batched BDF solver against a loop of scipy solve_ivp(method="BDF") calls, one per column.

Usage: python benchmarks/bench_batch_bdf.py [--copies 20] [--t-end 1e5] [--rtol 1e-6]

The test system has n = 3 * copies equations: copies of Robertson's stiff chemistry (time scales
from 1e-8 s to days) whose first species leak weakly into the next copy. Every column (parameter
set) has its own rate constants; the batch shares one step size. Prints, for each batch size k,
wall time, accepted steps, time per step, batched factorisation, Jacobian and right-hand-side
calls and time per column, then the same per column for scipy (finite-difference Jacobians in both).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.integrate import solve_ivp

from mbsim.solvers import BatchBDF

COUPLING = 1e-3  # 1/s, exchange of the first species between neighbouring copies


def parameters(k: int, copies: int, seed: int = 1) -> tuple[np.ndarray, ...]:
    """Rate constants (copies, k) varying by +-50 % around Robertson's values."""
    rng = np.random.default_rng(seed)
    spread = lambda: rng.uniform(0.5, 1.5, (copies, k))  # noqa: E731
    return 0.04 * spread(), 3e7 * spread(), 1e4 * spread()


def coupled_robertson(k1, k2, k3):
    """Right-hand side for states (3 * copies, k); parameters (copies, k) or (copies, 1)."""
    def fun(t, Y):
        y1, y2, y3 = Y[0::3], Y[1::3], Y[2::3]
        leak = COUPLING * (np.roll(y1, 1, axis=0) - y1)
        F = np.empty_like(Y)
        F[0::3] = -k1 * y1 + k3 * y2 * y3 + leak
        F[1::3] = k1 * y1 - k3 * y2 * y3 - k2 * y2 ** 2
        F[2::3] = k2 * y2 ** 2
        return F
    return fun


def initial_state(copies: int, k: int) -> np.ndarray:
    y0 = np.zeros((3 * copies, k))
    y0[0::3] = np.linspace(1.0, 0.5, copies)[:, None]
    return y0


def run_batch(k: int, copies: int, t_end: float, rtol: float, atol: float):
    k1, k2, k3 = parameters(k, copies)
    solver = BatchBDF(rtol, atol)
    y0 = initial_state(copies, k)
    started = time.perf_counter()
    solution = solver.integrate(coupled_robertson(k1, k2, k3), 0.0, t_end, y0)
    return time.perf_counter() - started, solution


def run_scipy(k: int, copies: int, t_end: float, rtol: float, atol: float):
    k1, k2, k3 = parameters(k, copies)
    y0 = initial_state(copies, k)
    started, steps, finals = time.perf_counter(), 0, []
    for j in range(k):
        fun = coupled_robertson(k1[:, j:j + 1], k2[:, j:j + 1], k3[:, j:j + 1])
        result = solve_ivp(lambda t, y: fun(t, y.reshape(len(y), -1)).reshape(y.shape),
                           (0.0, t_end), y0[:, j], method="BDF", rtol=rtol, atol=atol,
                           vectorized=True)
        steps += len(result.t) - 1
        finals.append(result.y[:, -1])
    return time.perf_counter() - started, steps / k, np.array(finals).T


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--t-end", type=float, default=1e5)
    parser.add_argument("--rtol", type=float, default=1e-6)
    parser.add_argument("--atol", type=float, default=1e-10)
    args = parser.parse_args()
    setup = (args.copies, args.t_end, args.rtol, args.atol)
    print(f"n = {3 * args.copies}, t_end = {args.t_end:g} s, rtol = {args.rtol:g}, "
          f"atol = {args.atol:g}")
    print(f"{'k':>5} {'wall s':>8} {'steps':>6} {'ms/step':>8} {'factor.':>8} {'jac':>5} "
          f"{'fun':>6} {'ms/column':>10}")
    per_column = {}
    for k in (1, 16, 64, 256):
        wall, solution = run_batch(k, *setup)
        per_column[k] = 1e3 * wall / k
        print(f"{k:>5} {wall:8.3f} {solution.steps:6d} {1e3 * wall / solution.steps:8.3f} "
              f"{solution.factorizations:8d} {solution.jac_calls:5d} {solution.fun_calls:6d} "
              f"{per_column[k]:10.2f}")
    wall, steps, finals = run_scipy(16, *setup)
    _, batch = run_batch(16, *setup)
    difference = np.max(np.abs(finals - batch.y) / (np.abs(finals) + args.atol / args.rtol))
    scipy_column = 1e3 * wall / 16
    print(f"scipy solve_ivp BDF, loop over 16 columns: {wall:.3f} s, {steps:.0f} steps per column, "
          f"{scipy_column:.2f} ms per column; largest relative difference to the batch "
          f"{difference:.1e}")
    for k, ms in per_column.items():
        print(f"speed-up per column over scipy at k = {k:>3}: {scipy_column / ms:6.1f}x")


if __name__ == "__main__":
    main()
