"""Finite-difference Jacobians of k state columns, perturbing together the variables that no
derivative depends on together (Curtis, Powell & Reid 1974, J. Inst. Math. Appl. 13:117-119)."""

from __future__ import annotations

import numpy as np


def perturbation_groups(variables: np.ndarray, sparsity: np.ndarray) -> list[np.ndarray]:
    """Groups of ``variables`` such that no derivative depends on two variables of one group
    (greedy, in index order); ``sparsity`` (n, n) is True where derivative i may depend on
    variable j. Variables that no derivative depends on are left out."""
    groups, rows = [], []
    for i in variables:
        if not sparsity[:, i].any():
            continue
        for group, used in zip(groups, rows):
            if not np.any(used & sparsity[:, i]):
                group.append(i)
                used |= sparsity[:, i]
                break
        else:
            groups.append([i])
            rows.append(sparsity[:, i].copy())
    return [np.array(group) for group in groups]


def finite_difference_jacobian(fun, t: float, Y: np.ndarray, F: np.ndarray, groups,
                               sparsity: np.ndarray | None, floor: np.ndarray) -> np.ndarray:
    """Per-column Jacobians (k, n, n) of fun(t, Y) (n, k) at Y, whose derivatives are F: one call
    of ``fun`` per group of variables, each variable perturbed by 1.5e-8 times its magnitude or
    ``floor`` (n, 1), whichever is larger. ``sparsity`` (n, n) or None attributes each change to
    the derivatives that may depend on the variable."""
    n, k = Y.shape
    J = np.zeros((k, n, n))
    work = Y.copy()
    for group in groups:
        work[group] = Y[group] + 1.5e-8 * np.maximum(np.abs(Y[group]), floor[group])
        delta = work[group] - Y[group]
        change = fun(t, work) - F
        for i, step in zip(group, delta):
            quotient = change / step
            J[:, :, i] = (quotient if sparsity is None
                          else np.where(sparsity[:, i, None], quotient, 0.0)).T
        work[group] = Y[group]
    return J
