"""Log-likelihoods of lab data given predictions: Gaussian on PI or ratios with the row's SEM,
binomial on T-maze choices, and censored log-normal survival times.

Each function returns the pointwise terms, one per data row in the order given; the log likelihood
of a data set is their sum (ArviZ's ``log_likelihood`` group stores the terms per draw)."""

from __future__ import annotations

import math

import numpy as np
from scipy import special, stats


def gaussian(observed, predicted, sem) -> np.ndarray:
    """Normal(observed | predicted, sem) log density of each row."""
    observed, predicted, sem = (np.asarray(a, float) for a in (observed, predicted, sem))
    return -0.5 * ((observed - predicted) / sem) ** 2 - np.log(sem * math.sqrt(2 * math.pi))


def binomial(observed_pi, predicted_pi, n) -> np.ndarray:
    """Choices as binomial counts: of ``n`` flies, ``n (PI + 1) / 2`` avoided CS+; P(avoid) = (PI+1)/2."""
    n = np.asarray(n, int)
    avoided = np.rint(n * (np.asarray(observed_pi, float) + 1) / 2).astype(int)
    p = np.clip((np.asarray(predicted_pi, float) + 1) / 2, 1e-9, 1 - 1e-9)
    return stats.binom.logpmf(avoided, n, p)


def _log_cdf(t, mu, sigma):
    return special.log_ndtr((np.log(t) - mu) / sigma)


def _log_sf(t, mu, sigma):
    return special.log_ndtr(-(np.log(t) - mu) / sigma)


def survival_fraction(t, mu: float, sigma: float) -> np.ndarray:
    """Predicted surviving fraction at times ``t`` [s] after starvation onset (log-normal deaths)."""
    t = np.maximum(np.asarray(t, float), 1e-9)
    return np.exp(_log_sf(t, mu, sigma))


def censored_flies(death_time, censored, mu: float, sigma: float) -> np.ndarray:
    """Per-fly death times: log density of each death, log survival of each censored fly."""
    t = np.maximum(np.asarray(death_time, float), 1e-9)
    censored = np.asarray(censored, bool)
    log_pdf = stats.norm.logpdf(np.log(t), mu, sigma) - np.log(t)
    return np.where(censored, _log_sf(t, mu, sigma), log_pdf)


def censored_curve(times, fraction, n: int, mu: float, sigma: float) -> np.ndarray:
    """A survival curve of ``n`` flies as interval-censored deaths: between a time and the one
    before it ``n (S_before - S)`` flies died (the row's term); ``n S_last`` were alive at the last
    time (right-censored, added to the last row's term). Terms in the order of ``times``."""
    order = np.argsort(times)
    times = np.concatenate([[0.0], np.asarray(times, float)[order]])
    fraction = np.concatenate([[1.0], np.asarray(fraction, float)[order]])
    deaths = np.maximum(n * -np.diff(fraction), 0.0)
    cdf = np.concatenate([[0.0], np.exp(_log_cdf(np.maximum(times[1:], 1e-9), mu, sigma))])
    probability = np.maximum(np.diff(cdf), 1e-300)
    terms = deaths * np.log(probability)
    terms[-1] += n * fraction[-1] * _log_sf(max(times[-1], 1e-9), mu, sigma)
    pointwise = np.empty_like(terms)
    pointwise[order] = terms
    return pointwise
