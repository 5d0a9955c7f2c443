"""Factorisation and solution of a batch of Newton matrices I - c J, one per column.

Used by :class:`~mbsim.solvers.batch_bdf.BatchBDF`. A Newton-matrix class has
``factor(c (k,), J (k, n, n)) -> factors`` of the matrices I - c J,
``solve(factors, rhs (n, k)) -> (n, k)`` and ``store(factors, new, columns) -> factors``, which
puts the factors of some columns (bool (k,)) into those of all columns (None: not yet made).
Every column is factorised and solved the same way whatever the other columns hold.
"""

from __future__ import annotations

import numpy as np


class DenseNewton:
    """Newton matrices of any structure: factorised by inverting the (k, n, n) stack.

    Measured for n = 60 on 2 cores (numpy 2.3, scipy 1.17), one factorisation and one solve:
    k = 64: np.linalg.inv 4.1 ms + matmul solve 0.03 ms; batched scipy lu_factor 1.7 ms +
    lu_solve 0.58 ms; loop of lu_factor 1.5 ms + loop of lu_solve 0.71 ms. k = 256: inv 16 ms +
    0.16 ms; batched lu_factor 7.5 ms + lu_solve 2.2 ms. One factorisation served about 15
    solves (benchmarks/bench_batch_bdf.py: 83 factorisations, 1200 solves; about 22 since
    factorisations are reused, 61 and 1330), so the whole run is faster with the inverse:
    k = 16 / 64 / 256 took 0.22 / 0.59 / 2.2 s with it and 0.41 / 1.19 / 4.3 s with batched
    lu_factor/lu_solve (measured before the reuse).
    """

    columnwise = True

    def factor(self, c: np.ndarray, J: np.ndarray):
        return np.linalg.inv(np.eye(J.shape[-1]) - c[:, None, None] * J)

    def solve(self, inverse: np.ndarray, rhs: np.ndarray) -> np.ndarray:
        """Solve the k systems for the right-hand sides rhs (n, k)."""
        return np.matmul(inverse, rhs.T[:, :, None])[:, :, 0].T

    @staticmethod
    def store(inverse, new: np.ndarray, columns: np.ndarray):
        if inverse is None:
            inverse = np.zeros((len(columns),) + new.shape[1:])
        inverse[columns] = new
        return inverse


def block_inverse(a: np.ndarray) -> np.ndarray:
    """Inverses of small matrices stored with the matrix axes first, (s, s, ...): closed form
    (adjugate) for s = 3, elementwise over the trailing axes; numpy otherwise."""
    if a.shape[0] != 3:
        return np.moveaxis(np.linalg.inv(np.moveaxis(a, (0, 1), (-2, -1))), (-2, -1), (0, 1))
    (a00, a01, a02), (a10, a11, a12), (a20, a21, a22) = a
    cofactors = np.array([
        [a11 * a22 - a12 * a21, a02 * a21 - a01 * a22, a01 * a12 - a02 * a11],
        [a12 * a20 - a10 * a22, a00 * a22 - a02 * a20, a02 * a10 - a00 * a12],
        [a10 * a21 - a11 * a20, a01 * a20 - a00 * a21, a00 * a11 - a01 * a10]])
    determinant = a00 * cofactors[0, 0] + a01 * cofactors[1, 0] + a02 * cofactors[2, 0]
    if not np.all(np.isfinite(determinant)) or np.any(determinant == 0):
        raise np.linalg.LinAlgError("singular block")
    return cofactors / determinant


class ArrowNewton:
    """Newton matrices whose variables form independent diagonal blocks coupled only through a
    few border variables (an arrow-shaped Jacobian): factorised by the Schur complement of the
    block-diagonal part, so the cost grows with the number of blocks rather than with n^3. The
    blocks of J are extracted once per Jacobian (a Jacobian serves many factorisations). Entries
    between two different blocks are ignored (they must be zero for an exact Newton matrix).

    ``blocks``: (m, s) state indices of m blocks of s variables; every other index is border.
    Block-level arrays keep the columns last, (s, s, m, k), so the many tiny block products are
    elementwise operations over contiguous (m, k) arrays; border-level products are batched
    matrix products on contiguous operands. Either way every column is computed the same way
    whatever the number of columns k.

    ``coupling``: (n, n) pattern, nonzero where derivative i may depend on variable j. Border rows
    that read no block variable and border variables that no block row reads add nothing to the
    Schur complement and are left out of its products. Without a pattern they are found in each
    Jacobian's values (zero in every column), so the columns of one batch share that choice: fine
    for common steps, not for independent columns (``columnwise`` is False); with a pattern (use
    all ones for every border row and column) a column's arithmetic never depends on its batch
    mates.
    """

    def __init__(self, n: int, blocks, coupling=None):
        self.blocks = np.asarray(blocks, dtype=int)
        self.border = np.setdiff1d(np.arange(n), self.blocks.ravel())
        self.columnwise = coupling is not None
        if self.columnwise:
            pattern = np.asarray(coupling) != 0
            self.rows = np.flatnonzero(pattern[self.border][:, self.blocks].any(axis=(1, 2)))
            self.columns = np.flatnonzero(pattern[self.blocks][..., self.border].any(axis=(0, 1)))
        self._pieces: tuple = (None, None)

    def pieces(self, J: np.ndarray) -> tuple:
        """Pieces of a Jacobian (k, n, n): border-border (k, nb, nb); the border rows that
        read block variables, by block columns (r, s, m, k); block rows by the border columns
        they read (s, m, q, k); the diagonal blocks (s, s, m, k); the indices r and q within the
        border."""
        if self._pieces[0] is not J:
            B, b = self.blocks, self.border
            border_rows = J[:, b]
            JbB = border_rows[:, :, B]                                      # (k, nb, m, s)
            JBb = J[:, B][..., b]                                           # (k, m, s, nb)
            if self.columnwise:
                r, q = self.rows, self.columns
            else:
                r = np.flatnonzero(np.any(JbB != 0, axis=(0, 2, 3)))
                q = np.flatnonzero(np.any(JBb != 0, axis=(0, 1, 2)))
            self._pieces = (J, (border_rows[:, :, b],
                                np.ascontiguousarray(JbB[:, r].transpose(1, 3, 2, 0)),
                                np.ascontiguousarray(JBb[..., q].transpose(2, 1, 3, 0)),
                                np.ascontiguousarray(J[:, B[:, :, None], B[:, None, :]]
                                                     .transpose(2, 3, 1, 0)), r, q))
        return self._pieces[1]

    def factor(self, c: np.ndarray, J: np.ndarray):
        Jbb, JbB, JBb, JBB, r, q = self.pieces(J)
        s, m, _, k = JBb.shape
        inner = block_inverse(np.eye(s)[:, :, None, None] - c * JBB)       # (s, s, m, k)
        coupling = sum((-c * JbB[:, i, None]) * inner[i] for i in range(s))  # (r, s, m, k)
        flat_coupling = np.ascontiguousarray(coupling.reshape(len(r), s * m, k).transpose(2, 0, 1))
        flat_MBb = np.ascontiguousarray((-c * JBb).reshape(s * m, len(q), k).transpose(2, 0, 1))
        schur = np.eye(len(self.border)) - c[:, None, None] * Jbb
        schur[:, r[:, None], q] -= flat_coupling @ flat_MBb
        return np.linalg.inv(schur), inner, flat_coupling, flat_MBb, r, q

    @staticmethod
    def store(factors, new: tuple, columns: np.ndarray):
        if factors is None:
            k = len(columns)
            factors = tuple(np.zeros((k,) + a.shape[1:]) for a in new[:1]) + (
                np.zeros(new[1].shape[:-1] + (k,)),) + tuple(
                np.zeros((k,) + a.shape[1:]) for a in new[2:4]) + new[4:]
        factors[0][columns], factors[2][columns], factors[3][columns] = new[0], new[2], new[3]
        factors[1][..., columns] = new[1]
        return factors

    def solve(self, factors, rhs: np.ndarray) -> np.ndarray:
        """Solve the k systems for the right-hand sides rhs (n, k)."""
        schur_inverse, inner, coupling, MBb, r, q = factors
        blocks, b = self.blocks.T, self.border
        s, _, m, k = inner.shape
        r_inner = rhs[blocks]                                                # (s, m, k)
        flat = np.ascontiguousarray(r_inner.reshape(s * m, k).T)[..., None]  # (k, s m, 1)
        r_border = np.ascontiguousarray(rhs[b].T)[..., None]                 # (k, nb, 1)
        r_border[:, r] -= coupling @ flat
        x_border = schur_inverse @ r_border                                  # (k, nb, 1)
        y_inner = r_inner - (MBb @ np.ascontiguousarray(x_border[:, q]))[..., 0].T.reshape(s, m, k)
        out = np.empty_like(rhs)
        out[b] = x_border[..., 0].T
        out[blocks] = sum(inner[:, j] * y_inner[j] for j in range(s))
        return out
