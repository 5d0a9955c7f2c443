"""NDF coefficients and the operations on the differences array of :class:`BatchBDF`.

Orders 1-5 of Shampine & Reichelt (1997) as in ``scipy.integrate.BDF``. The differences array D
has shape (MAX_ORDER + 3, n, k): backward differences of the solution scaled by the step size,
for n variables in k columns. Every column may have its own order and step size; each operation
computes a column the same way whatever the other columns hold and however many there are
(sums over the differences are explicit, in a fixed order, never a BLAS reduction).
"""

from __future__ import annotations

import numpy as np

MAX_ORDER = 5
KAPPA = np.array([0, -0.1850, -1 / 9, -0.0823, -0.0415, 0])
GAMMA = np.hstack((0, np.cumsum(1 / np.arange(1, MAX_ORDER + 1))))
ALPHA = (1 - KAPPA) * GAMMA
ERROR_CONST = KAPPA * GAMMA + 1 / np.arange(1, MAX_ORDER + 2)


def _change_matrices(order: int, factor: np.ndarray) -> np.ndarray:
    """scipy's ``compute_R(order, factor)`` for each factor (c,): (c, order+1, order+1)."""
    i = np.arange(1, order + 1)[:, None, None]
    j = np.arange(1, order + 1)[None, :, None]
    m = np.zeros((order + 1, order + 1, len(factor)))
    m[1:, 1:] = (i - 1 - factor[None, None, :] * j) / i
    m[0] = 1
    return np.ascontiguousarray(np.moveaxis(np.cumprod(m, axis=0), -1, 0))


#: compute_R(order, 1) of every order (the second factor of every change)
_UNIT_CHANGE = {order: np.ascontiguousarray(_change_matrices(order, np.ones(1))[0])
                for order in range(1, MAX_ORDER + 1)}


def step_change_matrices(order: int, factor: np.ndarray) -> np.ndarray:
    """(c, order+1, order+1) matrices that change the differences of c columns of one order to a
    step size times ``factor`` (c,) (scipy's ``compute_R(order, factor) @ compute_R(order, 1)``)."""
    change = _change_matrices(order, np.asarray(factor, dtype=float))
    # a stack of the unit matrix, so that every column's product is its own small product
    unit = np.ascontiguousarray(np.broadcast_to(_UNIT_CHANGE[order], change.shape))
    return np.matmul(change, unit)


def rescale_differences(D: np.ndarray, order: np.ndarray, factor: np.ndarray,
                        columns: np.ndarray) -> None:
    """Rescale in place the differences of the chosen columns (bool (k,)) to their step size
    times ``factor`` (k,), each at its own ``order`` (k,): one stacked matrix product per order
    (each column's product is its own small matrix product, whatever the other columns)."""
    for o in np.unique(order[columns]):
        chosen = np.flatnonzero(columns & (order == o))
        ru_t = np.ascontiguousarray(step_change_matrices(int(o), factor[chosen]).transpose(0, 2, 1))
        old = np.ascontiguousarray(D[:o + 1][:, :, chosen].transpose(2, 0, 1))   # (c, o+1, n)
        D[:o + 1, :, chosen] = np.matmul(ru_t, old).transpose(1, 2, 0)


def predict(D: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Predicted state sum_{i<=order} D[i] and the NDF's psi, each (n, k)."""
    y = D[0].copy()
    psi = np.zeros_like(y)
    uniform = order.min() == order.max()    # then the same sums without masks
    for i in range(1, int(order.max()) + 1):
        on = True if uniform else order >= i
        np.add(y, D[i], out=y, where=on)
        np.add(psi, GAMMA[i] * D[i], out=psi, where=on)
    return y, psi / ALPHA[order]


def interpolate_last_step(D: np.ndarray, order: np.ndarray, t_new: np.ndarray, h: np.ndarray,
                          times) -> np.ndarray:
    """BDF interpolating polynomial of each column's last step (scipy's ``BdfDenseOutput``);
    ``order``, ``t_new``, ``h``: (k,) and D the differences after that step.

    ``times`` of shape (m,) gives (m, n, k); of shape (1, k) (one time per column) gives (n, k).
    """
    times = np.asarray(times, dtype=float)
    per_column = times.ndim == 2
    t = times if per_column else times[:, None]                    # (m, k) or (1, k)
    out = np.broadcast_to(D[0], (len(t),) + D[0].shape).copy()
    p = np.ones_like(t, dtype=float)
    for i in range(int(order.max())):
        p = p * (t - (t_new - h * i)) / (h * (1 + i))
        out += np.where(order > i, D[i + 1][None] * p[:, None, :], 0.0)
    return out[0] if per_column else out


def column_norms(x: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Per-column RMS norm of x / scale (n, k), shape (k,); every column is reduced the same
    way (as a contiguous row) whatever k."""
    r = np.ascontiguousarray((x / scale).T)
    return np.sqrt(np.mean(r * r, axis=1))
