"""Posterior sampling with emcee's affine-invariant ensemble; each step's walkers are evaluated as
one batch (on Dask when asked), finished evaluations are checkpointed, and convergence is judged by
acceptance fraction, integrated autocorrelation time and split R-hat across walkers."""

from __future__ import annotations

import numpy as np

from .checkpoint import key_of
from .estimate import evaluate_task


class BatchPool:
    """The ``pool`` emcee maps walkers through: memoised evaluations, the rest on the executor."""

    def __init__(self, problem, executor, checkpoint):
        self.problem, self.executor, self.checkpoint = problem, executor, checkpoint
        self.evaluations = 0

    def map(self, _function, coordinates):
        coordinates = [np.asarray(x, float) for x in coordinates]
        missing = {key_of(x): x for x in coordinates if self.checkpoint.get(x) is None}
        if missing:
            spec = self.problem.spec
            tasks = [(spec.text, str(spec.path), x) for x in missing.values()]
            for x, evaluation in zip(missing.values(), self.executor.map(evaluate_task, tasks)):
                self.checkpoint.add(x, evaluation)
            self.checkpoint.save()
            self.evaluations += len(missing)
        return [self.checkpoint.get(x).log_posterior for x in coordinates]


def initial_walkers(problem, x_center, sd_x, walkers: int, rng) -> np.ndarray:
    """A small ball around the estimate, inside the bounds."""
    bounds = np.array(problem.space.x_bounds())
    width = bounds[:, 1] - bounds[:, 0]
    scale = np.where(np.isfinite(sd_x) & (sd_x > 0), np.minimum(sd_x, 0.05 * width), 0.01 * width)
    ball = x_center + 0.5 * scale * rng.standard_normal((walkers, len(x_center)))
    return np.clip(ball, bounds[:, 0] + 1e-9 * width, bounds[:, 1] - 1e-9 * width)


def run_sampler(problem, executor, checkpoint, x_center, sd_x, settings) -> dict:
    """Run emcee; returns chain (walker, step, param) in x coordinates, log posterior and diagnostics."""
    import emcee
    rng = np.random.default_rng(settings.seed)
    start = initial_walkers(problem, x_center, sd_x, settings.walkers, rng)
    pool = BatchPool(problem, executor, checkpoint)
    sampler = emcee.EnsembleSampler(settings.walkers, len(x_center), _unused, pool=pool)
    sampler.random_state = np.random.RandomState(settings.seed).get_state()
    sampler.run_mcmc(start, settings.steps, progress=False)
    chain = np.swapaxes(sampler.get_chain(), 0, 1)          # (walker, step, param)
    log_posterior = sampler.get_log_prob().T                 # (walker, step)
    kept = chain[:, settings.burn:]
    return {"chain": chain, "log_posterior": log_posterior, "burn": settings.burn,
            "acceptance": sampler.acceptance_fraction,
            "autocorrelation_time": sampler.get_autocorr_time(tol=0, discard=settings.burn),
            "rhat": split_rhat(kept), "evaluations": pool.evaluations}


def _unused(x):  # emcee needs a function; BatchPool evaluates through the fit problem instead
    raise RuntimeError("evaluated through BatchPool")


def split_rhat(chains: np.ndarray) -> np.ndarray:
    """Split R-hat (Gelman et al. 2013) per parameter of chains (chain, draw, param)."""
    n_chain, n_draw, n_param = chains.shape
    half = n_draw // 2
    if half < 2:
        return np.full(n_param, np.nan)
    split = np.concatenate([chains[:, :half], chains[:, half:2 * half]], axis=0)
    means = split.mean(axis=1)
    within = split.var(axis=1, ddof=1).mean(axis=0)
    between = half * means.var(axis=0, ddof=1)
    variance = (half - 1) / half * within + between / half
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(variance / within)

