"""Posterior sampling with emcee's affine-invariant ensemble; each step's proposals are evaluated as
one batch (:class:`~mbsim.fit.estimate.BatchEvaluator`: on Dask when asked, checkpointed). The
chain's predictions and pointwise log likelihoods come from the evaluations; convergence is judged
by acceptance fraction, emcee's integrated autocorrelation time and ArviZ's diagnostics of the
draws (:func:`mbsim.fit.output.diagnostics_dataset`)."""

from __future__ import annotations

import numpy as np


class BatchPool:
    """The ``pool`` emcee maps walkers through: each step's proposals as one batch."""

    def __init__(self, evaluator):
        self.evaluator = evaluator

    def map(self, _function, coordinates):
        return [e.log_posterior for e in self.evaluator(list(coordinates))]


def initial_walkers(problem, x_center, sd_x, walkers: int, rng) -> np.ndarray:
    """A small ball around the estimate, inside the bounds."""
    bounds = np.array(problem.space.x_bounds())
    width = bounds[:, 1] - bounds[:, 0]
    scale = np.where(np.isfinite(sd_x) & (sd_x > 0), np.minimum(sd_x, 0.05 * width), 0.01 * width)
    ball = x_center + 0.5 * scale * rng.standard_normal((walkers, len(x_center)))
    return np.clip(ball, bounds[:, 0] + 1e-9 * width, bounds[:, 1] - 1e-9 * width)


def run_sampler(problem, evaluator, x_center, sd_x, settings) -> dict:
    """Run emcee; returns chain (walker, step, param) in x coordinates, log posterior, acceptance,
    autocorrelation time, and the predictions and pointwise log likelihood of every kept draw
    (walker, draw, observation)."""
    import emcee
    rng = np.random.default_rng(settings.seed)
    start = initial_walkers(problem, x_center, sd_x, settings.walkers, rng)
    pool = BatchPool(evaluator)
    before = evaluator.evaluations
    sampler = emcee.EnsembleSampler(settings.walkers, len(x_center), _unused, pool=pool)
    sampler.random_state = np.random.RandomState(settings.seed).get_state()
    sampler.run_mcmc(start, settings.steps, progress=False)
    chain = np.swapaxes(sampler.get_chain(), 0, 1)          # (walker, step, param)
    log_posterior = sampler.get_log_prob().T                 # (walker, step)
    kept = [[evaluator.checkpoint.get(x) for x in walker] for walker in chain[:, settings.burn:]]
    return {"chain": chain, "log_posterior": log_posterior, "burn": settings.burn,
            "acceptance": sampler.acceptance_fraction,
            "autocorrelation_time": _autocorrelation_time(sampler, settings.burn),
            "predictions": np.array([[e.predictions for e in walker] for walker in kept]),
            "log_likelihood": np.array([[e.log_likelihood for e in walker] for walker in kept]),
            "evaluations": evaluator.evaluations - before}


def _autocorrelation_time(sampler, burn: int) -> np.ndarray:
    """emcee's integrated autocorrelation time per parameter (NaN where a chain never moved)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return sampler.get_autocorr_time(tol=0, discard=burn)


def _unused(x):  # emcee needs a function; BatchPool evaluates through the fit problem instead
    raise RuntimeError("evaluated through BatchPool")

