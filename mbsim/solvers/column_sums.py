"""Sums over the rows of (m, k) column arrays that compute each column the same way whatever k.

``np.sum(x, axis=0)`` adds the rows one after another when k > 1 but sums a lone column (or a 1-d
array) pairwise, so a column's last bits would depend on how many columns it shares an array
with. A cumulative sum is sequential in every case.
"""

from __future__ import annotations

import numpy as np


def column_sum(x: np.ndarray) -> np.ndarray:
    """Sum of x over its first axis, row after row: (m, ...) -> (...)."""
    x = np.asarray(x)
    if x.shape[0] == 0:
        return np.zeros(x.shape[1:], dtype=x.dtype)
    return np.cumsum(x, axis=0)[-1]
