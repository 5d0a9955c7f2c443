"""Point estimate and its uncertainty.

Every evaluation goes through a :class:`BatchEvaluator`: coordinates are evaluated in batches (all
parameter vectors of a chunk walk the protocols together, :mod:`.columns`) and memoised in the
fit's checkpoint. The optimizer is built for batches: a global search by differential evolution
(Storn & Price 1997; one generation = one batch) followed by L-BFGS-B polishes from the best
distinct members of the final population, with central-difference gradients (one batch of 2n + 1
points per gradient; with several workers the polishes run side by side). The uncertainty comes
from a finite-difference Hessian of the log posterior in the fit coordinates at the best point
(one batch).
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.optimize import differential_evolution, minimize
from scipy.stats import qmc

from .checkpoint import key_of
from .problem import problem_for

#: What the objective returns where the log posterior is -inf (outside the bounds, failed run).
WORST = 1e300
#: Central-difference step of the polish gradients, as a fraction of each coordinate's range.
GRADIENT_STEP = 5e-3


def evaluate_batch_task(task):
    """Evaluations on a worker: ``(fit text, fit path, [x, ...])`` -> [Evaluation, ...]."""
    text, path, xs = task
    return problem_for(text, path).evaluate_batch([np.asarray(x, float) for x in xs])


def value_log_posterior(space, x, evaluation) -> float:
    """Log posterior of the parameter values (the sampler's density in x minus the log Jacobian)."""
    if not math.isfinite(evaluation.log_posterior):
        return -math.inf
    return evaluation.log_posterior - space.log_jacobian(space.from_x(x))


class BatchEvaluator:
    """Evaluations of coordinate batches, memoised in ``checkpoint`` (saved after every batch).

    The missing ones are split into near-equal chunks of at most ``model.batch_size`` vectors,
    in order; each chunk is one task on ``executor``. The split does not depend on the number of
    workers, so neither do the numbers (a vector's result depends on its chunk mates at the level
    of the solver tolerance). Every request is appended to ``trace`` as (stage, x, log posterior of
    the values)."""

    def __init__(self, problem, executor, checkpoint):
        self.problem, self.executor, self.checkpoint = problem, executor, checkpoint
        self.trace: list[tuple[int, np.ndarray, float]] = []
        self.evaluations = 0
        self._lock = threading.Lock()     # callers may evaluate from several threads

    def __call__(self, xs, stage: int | None = None) -> list:
        """The Evaluation of every coordinate vector in ``xs`` (in order)."""
        xs = [np.asarray(x, float) for x in xs]
        with self._lock:
            missing = list({key_of(x): x for x in xs if self.checkpoint.get(x) is None}.values())
        if missing:
            spec = self.problem.spec
            size = self.problem.settings.batch_size
            chunks = np.array_split(np.array(missing), math.ceil(len(missing) / size))
            results = self.executor.map(evaluate_batch_task,
                                        [(spec.text, str(spec.path), chunk) for chunk in chunks])
            with self._lock:
                for x, evaluation in zip(missing, (e for chunk in results for e in chunk)):
                    self.checkpoint.add(x, evaluation)
                self.checkpoint.save()
                self.evaluations += len(missing)
        with self._lock:
            found = [self.checkpoint.get(x) for x in xs]
            if stage is not None:
                self.trace += [(stage, x, value_log_posterior(self.problem.space, x, e))
                               for x, e in zip(xs, found)]
        return found

    def values(self, xs, stage: int | None = None) -> np.ndarray:
        """Log posterior of the parameter values at each of ``xs`` (-inf where it cannot be run)."""
        space = self.problem.space
        return np.array([value_log_posterior(space, x, e) for x, e in zip(xs, self(xs, stage))])


def optimize(problem, evaluator: BatchEvaluator, settings) -> dict:
    """Differential evolution, then L-BFGS-B from the ``settings.restarts`` best distinct members;
    at most about ``settings.max_evaluations`` evaluations. Returns the best point seen."""
    space = problem.space
    bounds = np.array(space.x_bounds())
    n = len(bounds)
    population = settings.population or max(8, 4 * n)
    generations = max(2, (settings.max_evaluations // 2) // population - 1)

    def energies(columns):          # columns: (n, S), one batch per generation
        values = evaluator.values(columns.T, stage=0)
        return np.where(np.isfinite(values), -values, WORST)
    unit = qmc.LatinHypercube(d=n, seed=settings.seed).random(population)
    search = differential_evolution(
        energies, bounds, maxiter=generations, seed=settings.seed, polish=False, vectorized=True,
        updating="deferred", x0=space.to_x(space.start), tol=1e-3,
        init=bounds[:, 0] + unit * (bounds[:, 1] - bounds[:, 0]))
    messages = [f"differential evolution: {search.message}"]
    order = np.argsort(search.population_energies, kind="stable")
    starts = _distinct([search.population[i] for i in order], settings.restarts)
    per_start = max(1, (settings.max_evaluations - len(evaluator.trace))
                    // (max(len(starts), 1) * (2 * n + 1)))

    def polish(stage):
        return minimize(_value_and_gradient(evaluator, bounds, stage), starts[stage - 1],
                        jac=True, method="L-BFGS-B", bounds=bounds,
                        options={"maxfun": per_start, "ftol": 1e-9, "gtol": 1e-5})
    stages = range(1, len(starts) + 1)
    if evaluator.executor.workers > 1:      # polishes side by side, their batches on the workers
        with ThreadPoolExecutor(len(starts)) as pool:
            results = list(pool.map(polish, stages))
    else:
        results = [polish(stage) for stage in stages]
    messages += [f"L-BFGS-B from member {i}: {r.message}" for i, r in zip(stages, results)]
    evaluator.trace.sort(key=lambda item: item[0])   # stable: each stage in its own order
    best = max(evaluator.trace, key=lambda item: item[2])
    return {"x": best[1], "log_posterior": float(best[2]), "messages": messages}


def _distinct(points, count: int) -> list[np.ndarray]:
    """The first ``count`` points that differ from each other."""
    chosen: list[np.ndarray] = []
    for x in points:
        if len(chosen) == count:
            break
        if not any(np.allclose(x, y, rtol=0, atol=1e-9) for y in chosen):
            chosen.append(np.asarray(x, float))
    return chosen


def _value_and_gradient(evaluator, bounds, stage):
    """f(x) = -log posterior and its central-difference gradient, from one batch of 2n+1 points
    (steps shortened at the bounds)."""
    width = bounds[:, 1] - bounds[:, 0]

    def function(x):
        x = np.clip(np.asarray(x, float), bounds[:, 0], bounds[:, 1])
        plus = np.minimum(x + GRADIENT_STEP * width, bounds[:, 1])
        minus = np.maximum(x - GRADIENT_STEP * width, bounds[:, 0])
        points = [x] + [_with(x, i, plus[i]) for i in range(len(x))] \
            + [_with(x, i, minus[i]) for i in range(len(x))]
        values = evaluator.values(points, stage=stage)
        if not np.all(np.isfinite(values)):
            return (WORST if not np.isfinite(values[0]) else -values[0]), np.zeros(len(x))
        n = len(x)
        gradient = (values[1:n + 1] - values[n + 1:]) / (plus - minus)
        return -values[0], -gradient
    return function


def _with(x, i, value):
    y = x.copy()
    y[i] = value
    return y


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
