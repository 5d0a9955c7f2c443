"""Point estimate: bounded Nelder-Mead from several starts (each a task that can run on a Dask
worker) maximising the log posterior of the parameter values, then the uncertainty from a
finite-difference Hessian of it in the fit coordinates."""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize

from .checkpoint import Checkpoint
from .problem import problem_for

#: What the objective returns where the log posterior is -inf (outside the bounds, failed run).
WORST = 1e300


def evaluate_task(task):
    """One evaluation on a worker: ``(fit text, fit path, x)`` -> Evaluation."""
    text, path, x = task
    return problem_for(text, path).evaluate(np.asarray(x, float))


def value_log_posterior(space, x, evaluation) -> float:
    """Log posterior of the parameter values (the sampler's density in x minus the log Jacobian)."""
    if not math.isfinite(evaluation.log_posterior):
        return -math.inf
    return evaluation.log_posterior - space.log_jacobian(space.from_x(x))


def cached_evaluator(problem, checkpoint: Checkpoint, trace: list | None = None):
    """f(x) -> log posterior of the values, through the checkpoint's memo; appends
    (x, value) to ``trace``."""
    def evaluate(x):
        x = np.asarray(x, float)
        found = checkpoint.get(x)
        if found is None:
            found = problem.evaluate(x)
            checkpoint.add(x, found)
        value = value_log_posterior(problem.space, x, found)
        if trace is not None:
            trace.append((x.copy(), value))
        return value
    return evaluate


def optimize_task(task) -> dict:
    """One restart: ``(fit text, fit path, restart index, x0, max evaluations, checkpoint folder)``."""
    text, path, restart, x0, max_evaluations, folder = task
    problem = problem_for(text, path)
    checkpoint = Checkpoint(folder, f"restart-{restart}", every=5).load()
    trace: list = []
    evaluate = cached_evaluator(problem, checkpoint, trace)

    def objective(x):
        value = evaluate(x)
        return -value if math.isfinite(value) else WORST
    result = minimize(objective, np.asarray(x0, float), method="Nelder-Mead",
                      bounds=problem.space.x_bounds(),
                      options={"maxfev": max_evaluations, "xatol": 1e-3, "fatol": 1e-3})
    checkpoint.save()
    return {"restart": restart, "x": np.asarray(result.x), "log_posterior": -float(result.fun),
            "trace": trace, "message": str(result.message)}


def hessian_points(x: np.ndarray, step: np.ndarray) -> list[np.ndarray]:
    """Points of the central-difference Hessian: x, x +- h_i, x +- h_i +- h_j (i < j)."""
    n = len(x)
    points = [x.copy()]
    for i in range(n):
        for sign in (1, -1):
            points.append(x + sign * step[i] * np.eye(n)[i])
    for i in range(n):
        for j in range(i + 1, n):
            for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                points.append(x + si * step[i] * np.eye(n)[i] + sj * step[j] * np.eye(n)[j])
    return points


def hessian_from(values: list[float], step: np.ndarray) -> np.ndarray:
    """The Hessian of f from its values at :func:`hessian_points` (same order)."""
    n = len(step)
    f0, k = values[0], 1
    hessian = np.zeros((n, n))
    for i in range(n):
        plus, minus = values[k], values[k + 1]
        hessian[i, i] = (plus - 2 * f0 + minus) / step[i] ** 2
        k += 2
    for i in range(n):
        for j in range(i + 1, n):
            pp, pm, mp, mm = values[k:k + 4]
            hessian[i, j] = hessian[j, i] = (pp - pm - mp + mm) / (4 * step[i] * step[j])
            k += 4
    return hessian


def covariance(hessian_of_log_posterior: np.ndarray) -> np.ndarray:
    """Covariance (x coordinates) = inverse of the negative Hessian; NaN where it is not positive."""
    information = -hessian_of_log_posterior
    try:
        values, vectors = np.linalg.eigh(information)
    except np.linalg.LinAlgError:
        return np.full(information.shape, np.nan)
    if np.any(values <= 0):
        return np.full(information.shape, np.nan)
    return (vectors / values) @ vectors.T
