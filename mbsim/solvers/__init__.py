"""Stiff ODE solvers for k state columns at once: the batched BDF/NDF method and its Newton matrices."""

from .batch_bdf import BatchBDF, BatchSolution
from .column_sums import column_sum
from .newton_matrices import ArrowNewton, DenseNewton

__all__ = ["BatchBDF", "BatchSolution", "DenseNewton", "ArrowNewton", "column_sum"]
