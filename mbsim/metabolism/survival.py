"""Survival proxy: death times from reserve trajectories; the field's statistics on them.

The Kaplan-Meier estimate, its pointwise 95% band (exponential Greenwood), the median with its
confidence interval and the log-rank test between two groups are lifelines' (Davidson-Pilon 2019,
J Open Source Softw 4:1317), the statistics survival studies of flies report (e.g. Mery & Kawecki
2005 Science).
"""

from __future__ import annotations

import numpy as np


def death_times(times: np.ndarray, reserves: np.ndarray, threshold: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """First time each fly's reserves fall below ``threshold`` (linear interpolation).

    ``times``: (n_time,) [s]; ``reserves``: (n_fly, n_time) [mol ATP-eq]. Flies that never
    cross are censored at the last time. Returns ``(death_time, censored)``.
    """
    times = np.asarray(times, float)
    reserves = np.atleast_2d(np.asarray(reserves, float))
    if reserves.shape[1] != times.size:
        raise ValueError(f"reserves has {reserves.shape[1]} time points, times has {times.size}")
    below = reserves < threshold
    crossed = below.any(axis=1)
    first = np.argmax(below, axis=1)
    death = np.full(reserves.shape[0], times[-1])
    for fly in np.flatnonzero(crossed):
        j = first[fly]
        if j == 0:
            death[fly] = times[0]
            continue
        r0, r1 = reserves[fly, j - 1], reserves[fly, j]
        death[fly] = times[j - 1] + (times[j] - times[j - 1]) * (r0 - threshold) / (r0 - r1)
    return death, ~crossed


def _fitted(death_time: np.ndarray, censored: np.ndarray, alpha: float = 0.05):
    from lifelines import KaplanMeierFitter
    death_time = np.asarray(death_time, float)
    censored = np.asarray(censored, bool)
    if death_time.shape != censored.shape:
        raise ValueError("death_time and censored must have the same shape")
    return KaplanMeierFitter(alpha=alpha).fit(death_time, event_observed=~censored)


def kaplan_meier(death_time: np.ndarray, censored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier survival estimate as a step function.

    Returns ``(times, fraction)``: ``times`` starts at 0 and lists each distinct death time;
    ``fraction[i]`` is the surviving fraction from ``times[i]`` until the next time.
    """
    fitted = _fitted(death_time, censored)
    events = fitted.event_table
    keep = (events.index == 0) | (events["observed"].to_numpy() > 0)
    times = np.concatenate([[0.0], events.index[keep & (events.index > 0)].to_numpy(float)])
    fraction = fitted.survival_function_.loc[times].to_numpy().ravel()
    return times, fraction


def survival_band(death_time: np.ndarray, censored: np.ndarray, alpha: float = 0.05
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise ``1 - alpha`` band (lower, upper) of :func:`kaplan_meier` at its times."""
    fitted = _fitted(death_time, censored, alpha)
    times, _ = kaplan_meier(death_time, censored)
    band = fitted.confidence_interval_.loc[times].to_numpy()
    return band[:, 0], band[:, 1]


def median_interval(death_time: np.ndarray, censored: np.ndarray, alpha: float = 0.05
                    ) -> tuple[float, float]:
    """``1 - alpha`` confidence interval of the median survival time (inf: not reached)."""
    from lifelines.utils import median_survival_times
    fitted = _fitted(death_time, censored, alpha)
    lower, upper = median_survival_times(fitted.confidence_interval_).to_numpy().ravel()
    return float(lower), float(upper)


def logrank(first: tuple[np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray]
            ) -> tuple[float, float]:
    """Log-rank test between two groups of ``(death_time, censored)``: (statistic, p-value)."""
    from lifelines.statistics import logrank_test
    (death_a, censored_a), (death_b, censored_b) = first, second
    result = logrank_test(np.asarray(death_a, float), np.asarray(death_b, float),
                          event_observed_A=~np.asarray(censored_a, bool),
                          event_observed_B=~np.asarray(censored_b, bool))
    return float(result.test_statistic), float(result.p_value)


def compare_survival(first, second) -> tuple[float, float]:
    """Log-rank test between the ``/survival`` groups of two results (censored flies count as
    alive at their horizon): (statistic, p-value)."""
    def observed(survival):
        censored = survival["censored"].values.astype(bool)
        death = np.where(censored, float(survival.attrs["horizon_s"]), survival["death_time"].values)
        return death, censored
    return logrank(observed(first), observed(second))


def median_survival(times: np.ndarray, fraction: np.ndarray) -> float:
    """First time the Kaplan-Meier fraction is at or below 0.5 (NaN if it never is)."""
    below = np.flatnonzero(np.asarray(fraction) <= 0.5)
    return float(times[below[0]]) if below.size else float("nan")
