"""Factorisation and solution of a batch of Newton matrices I - c J, one per column.

Used by :class:`~mbsim.engine.batch_bdf.BatchBDF`. A Newton-matrix class has
``factor(c, J (k, n, n)) -> factors`` of the matrices I - c J and
``solve(factors, rhs (n, k)) -> (n, k)``.
"""

from __future__ import annotations

import numpy as np


class DenseNewton:
    """Newton matrices of any structure: factorised by inverting the (k, n, n) stack.

    Measured for n = 60 on 2 cores (numpy 2.3, scipy 1.17), one factorisation and one solve:
    k = 64: np.linalg.inv 4.1 ms + matmul solve 0.03 ms; batched scipy lu_factor 1.7 ms +
    lu_solve 0.58 ms; loop of lu_factor 1.5 ms + loop of lu_solve 0.71 ms. k = 256: inv 16 ms +
    0.16 ms; batched lu_factor 7.5 ms + lu_solve 2.2 ms. One factorisation serves about 15
    solves (benchmarks/bench_batch_bdf.py: 83 factorisations, 1200 solves), so the whole run is
    faster with the inverse: k = 16 / 64 / 256 took 0.22 / 0.59 / 2.2 s with it and
    0.41 / 1.19 / 4.3 s with batched lu_factor/lu_solve.
    """

    def factor(self, c: float, J: np.ndarray):
        return np.linalg.inv(np.eye(J.shape[-1]) - c * J)

    def solve(self, inverse: np.ndarray, rhs: np.ndarray) -> np.ndarray:
        """Solve the k systems for the right-hand sides rhs (n, k)."""
        return np.matmul(inverse, rhs.T[:, :, None])[:, :, 0].T


def small_inverse(a: np.ndarray) -> np.ndarray:
    """Inverses of a stack (..., s, s) of small matrices: closed form (adjugate) for s = 3, which
    avoids one LAPACK call per matrix; numpy otherwise."""
    if a.shape[-1] != 3:
        return np.linalg.inv(a)
    (a00, a01, a02), (a10, a11, a12), (a20, a21, a22) = (
        [a[..., i, j] for j in range(3)] for i in range(3))
    cofactors = np.stack([
        np.stack([a11 * a22 - a12 * a21, a02 * a21 - a01 * a22, a01 * a12 - a02 * a11], -1),
        np.stack([a12 * a20 - a10 * a22, a00 * a22 - a02 * a20, a02 * a10 - a00 * a12], -1),
        np.stack([a10 * a21 - a11 * a20, a01 * a20 - a00 * a21, a00 * a11 - a01 * a10], -1)], -2)
    determinant = a00 * cofactors[..., 0, 0] + a01 * cofactors[..., 1, 0] + a02 * cofactors[..., 2, 0]
    if not np.all(np.isfinite(determinant)) or np.any(determinant == 0):
        raise np.linalg.LinAlgError("singular block")
    return cofactors / determinant[..., None, None]


class ArrowNewton:
    """Newton matrices whose variables form independent diagonal blocks coupled only through a
    few border variables (an arrow-shaped Jacobian): factorised by the Schur complement of the
    block-diagonal part, so the cost grows with the number of blocks rather than with n^3. The
    blocks of J are extracted once per Jacobian (a Jacobian serves many factorisations). Entries
    between two different blocks are ignored (they must be zero for an exact Newton matrix).

    ``blocks``: (m, s) state indices of m blocks of s variables; every other index is border.
    Operands of matrix products are made contiguous, so that every column is computed the same
    way whatever the number of columns k.
    """

    def __init__(self, n: int, blocks):
        self.blocks = np.asarray(blocks, dtype=int)
        self.border = np.setdiff1d(np.arange(n), self.blocks.ravel())
        self._pieces: tuple = (None, None)

    def pieces(self, J: np.ndarray) -> tuple:
        """(J_bb, J_bB, J_Bb, J_BB) of a Jacobian: border-border, border-block, block-border and
        the diagonal blocks."""
        if self._pieces[0] is not J:
            B, b = self.blocks, self.border
            border_rows = J[:, b]
            self._pieces = (J, (border_rows[:, :, b],
                                np.ascontiguousarray(np.moveaxis(border_rows[:, :, B], 2, 1)),
                                np.ascontiguousarray(J[:, B][..., b]),
                                J[:, B[:, :, None], B[:, None, :]]))
        return self._pieces[1]

    def factor(self, c: float, J: np.ndarray):
        Jbb, JbB, JBb, JBB = self.pieces(J)
        k, m, s, nb = JBB.shape[0], JBB.shape[1], JBB.shape[2], len(self.border)
        inner = small_inverse(np.eye(s) - c * JBB)                          # (k, m, s, s)
        MBb = -c * JBb                                                       # (k, m, s, nb)
        coupling = (-c * JbB) @ inner                                        # (k, m, nb, s)
        schur = np.eye(nb) - c * Jbb - (coupling @ MBb).sum(axis=1)
        flat_coupling = np.ascontiguousarray(coupling.transpose(0, 2, 1, 3)).reshape(k, nb, m * s)
        return np.linalg.inv(schur), inner, flat_coupling, MBb.reshape(k, m * s, nb)

    def solve(self, factors, rhs: np.ndarray) -> np.ndarray:
        """Solve the k systems for the right-hand sides rhs (n, k)."""
        schur_inverse, inner, coupling, MBb = factors
        B, b = self.blocks, self.border
        k, m, s = inner.shape[:3]
        r_inner = np.ascontiguousarray(np.transpose(rhs[B], (2, 0, 1))).reshape(k, m * s, 1)
        r_border = np.ascontiguousarray(rhs[b].T[..., None])                 # (k, nb, 1)
        x_border = schur_inverse @ (r_border - coupling @ r_inner)           # (k, nb, 1)
        y_inner = (r_inner - MBb @ x_border).reshape(k, m, s, 1)
        x_inner = inner @ y_inner                                            # (k, m, s, 1)
        out = np.empty_like(rhs)
        out[b] = x_border[..., 0].T
        out[B] = np.transpose(x_inner[..., 0], (1, 2, 0))
        return out
