"""NDF coefficients and the operations on the differences array of :class:`BatchBDF`.

Orders 1-5 of Shampine & Reichelt (1997) as in ``scipy.integrate.BDF``. The differences array D
has shape (MAX_ORDER + 3, n, k): backward differences of the solution scaled by the step size,
for n variables in k columns.
"""

from __future__ import annotations

import numpy as np

MAX_ORDER = 5
KAPPA = np.array([0, -0.1850, -1 / 9, -0.0823, -0.0415, 0])
GAMMA = np.hstack((0, np.cumsum(1 / np.arange(1, MAX_ORDER + 1))))
ALPHA = (1 - KAPPA) * GAMMA
ERROR_CONST = KAPPA * GAMMA + 1 / np.arange(1, MAX_ORDER + 2)


def step_change_matrix(order: int, factor: float) -> np.ndarray:
    """Matrix that changes the differences array (scipy's ``compute_R``)."""
    i = np.arange(1, order + 1)[:, None]
    j = np.arange(1, order + 1)
    m = np.zeros((order + 1, order + 1))
    m[1:, 1:] = (i - 1 - factor * j) / i
    m[0] = 1
    return np.cumprod(m, axis=0)


def rescale_differences(D: np.ndarray, order: int, factor: float) -> None:
    """Rescale the differences array D (order+3, n, k) in place to a step size times ``factor``."""
    ru = step_change_matrix(order, factor) @ step_change_matrix(order, 1.0)
    D[:order + 1] = np.tensordot(ru.T, D[:order + 1], axes=1)


def interpolate_last_step(D: np.ndarray, order: int, t_new: float, h: float, times) -> np.ndarray:
    """BDF interpolating polynomial of the last step (scipy's ``BdfDenseOutput``).

    ``times`` of shape (m,) gives (m, n, k); of shape (1, k) (one time per column) gives (n, k).
    """
    times = np.asarray(times, dtype=float)
    steps = np.arange(order).reshape((order,) + (1,) * times.ndim)
    x = (times[None] - (t_new - h * steps)) / (h * (1 + steps))
    p = np.cumprod(x, axis=0)
    if times.ndim == 1:
        return D[0] + np.einsum("ink,im->mnk", D[1:order + 1], p)
    return D[0] + np.sum(D[1:order + 1] * p, axis=0)


def column_norms(x: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Per-column RMS norm of x / scale (n, k), shape (k,); every column is reduced the same
    way (as a contiguous row) whatever k."""
    r = np.ascontiguousarray((x / scale).T)
    return np.sqrt(np.mean(r * r, axis=1))
