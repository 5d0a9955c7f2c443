"""Survival proxy: death times from reserve trajectories, Kaplan-Meier estimate and its median."""

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


def kaplan_meier(death_time: np.ndarray, censored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier survival estimate as a step function.

    Returns ``(times, fraction)``: ``times`` starts at 0 and lists each distinct death time;
    ``fraction[i]`` is the surviving fraction from ``times[i]`` until the next time.
    """
    death_time = np.asarray(death_time, float)
    censored = np.asarray(censored, bool)
    if death_time.shape != censored.shape:
        raise ValueError("death_time and censored must have the same shape")
    event_times = np.unique(death_time[~censored])
    times, fraction, surviving = [0.0], [1.0], 1.0
    for t in event_times:
        at_risk = np.sum(death_time >= t)
        deaths = np.sum((death_time == t) & ~censored)
        surviving *= 1.0 - deaths / at_risk
        times.append(t)
        fraction.append(surviving)
    return np.array(times), np.array(fraction)


def median_survival(times: np.ndarray, fraction: np.ndarray) -> float:
    """First time the Kaplan-Meier fraction is at or below 0.5 (NaN if it never is)."""
    below = np.flatnonzero(np.asarray(fraction) <= 0.5)
    return float(times[below[0]]) if below.size else float("nan")
