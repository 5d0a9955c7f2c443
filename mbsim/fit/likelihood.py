"""Log-likelihoods of lab data given predictions: Gaussian on PI or ratios with the row's SEM,
binomial on T-maze choices, and censored log-normal survival times."""

from __future__ import annotations

import math

import numpy as np
from scipy import special, stats


def gaussian(observed, predicted, sem) -> float:
    """Sum of Normal(observed | predicted, sem) log densities."""
    observed, predicted, sem = (np.asarray(a, float) for a in (observed, predicted, sem))
    return float(np.sum(-0.5 * ((observed - predicted) / sem) ** 2 - np.log(sem * math.sqrt(2 * math.pi))))


def binomial(observed_pi, predicted_pi, n) -> float:
    """Choices as binomial counts: of ``n`` flies, ``n (PI + 1) / 2`` avoided CS+; P(avoid) = (PI+1)/2."""
    n = np.asarray(n, int)
    avoided = np.rint(n * (np.asarray(observed_pi, float) + 1) / 2).astype(int)
    p = np.clip((np.asarray(predicted_pi, float) + 1) / 2, 1e-9, 1 - 1e-9)
    return float(np.sum(stats.binom.logpmf(avoided, n, p)))


def _log_cdf(t, mu, sigma):
    return special.log_ndtr((np.log(t) - mu) / sigma)


def _log_sf(t, mu, sigma):
    return special.log_ndtr(-(np.log(t) - mu) / sigma)


def survival_fraction(t, mu: float, sigma: float) -> np.ndarray:
    """Predicted surviving fraction at times ``t`` [s] after starvation onset (log-normal deaths)."""
    t = np.maximum(np.asarray(t, float), 1e-9)
    return np.exp(_log_sf(t, mu, sigma))


def censored_flies(death_time, censored, mu: float, sigma: float) -> float:
    """Per-fly death times: log density of deaths, log survival of censored flies."""
    t = np.maximum(np.asarray(death_time, float), 1e-9)
    censored = np.asarray(censored, bool)
    log_pdf = stats.norm.logpdf(np.log(t), mu, sigma) - np.log(t)
    return float(np.sum(np.where(censored, _log_sf(t, mu, sigma), log_pdf)))


def censored_curve(times, fraction, n: int, mu: float, sigma: float) -> float:
    """A survival curve of ``n`` flies as interval-censored deaths: between consecutive times
    ``n (S_i - S_i+1)`` flies died; ``n S_last`` were alive at the last time (right-censored)."""
    order = np.argsort(times)
    times = np.concatenate([[0.0], np.asarray(times, float)[order]])
    fraction = np.concatenate([[1.0], np.asarray(fraction, float)[order]])
    deaths = np.maximum(n * -np.diff(fraction), 0.0)
    cdf = np.concatenate([[0.0], np.exp(_log_cdf(np.maximum(times[1:], 1e-9), mu, sigma))])
    probability = np.maximum(np.diff(cdf), 1e-300)
    alive = n * fraction[-1]
    return float(np.sum(deaths * np.log(probability)) + alive * _log_sf(max(times[-1], 1e-9), mu, sigma))
