"""Kaplan-Meier survival curves of one or several results (conditions) on one plot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from ._common import SECONDS_PER_DAY, axes_or_new, group, note_missing, result_title


def kaplan_meier(death_time: np.ndarray, censored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Event times (with 0 first) and the Kaplan-Meier survival just after each."""
    order = np.argsort(death_time, kind="stable")
    times, events = np.asarray(death_time)[order], ~np.asarray(censored, dtype=bool)[order]
    at_risk = len(times) - np.arange(len(times))
    factors = np.where(events, 1 - 1 / at_risk, 1.0)
    survival = np.cumprod(factors)
    keep = events
    return np.concatenate([[0.0], times[keep]]), np.concatenate([[1.0], survival[keep]])


def _conditions(results) -> dict[str, xr.DataTree]:
    if isinstance(results, xr.DataTree):
        return {result_title(results): results}
    if isinstance(results, Mapping):
        return dict(results)
    if isinstance(results, Sequence):
        titles = [result_title(tree) for tree in results]
        return {(f"{title} ({index + 1})" if titles.count(title) > 1 else title): tree
                for index, (title, tree) in enumerate(zip(titles, results))}
    raise TypeError(f"expected a DataTree, a list of them or a dict label -> DataTree, got {type(results).__name__}")


def plot_survival(results, ax=None):
    """Survival fraction vs time (days) per condition; ticks mark censored flies, dots the medians.

    ``results`` is one DataTree, a list of them, or a dict {label: DataTree}.
    """
    ax = axes_or_new(ax)
    conditions = _conditions(results)
    plotted = 0
    starts = set()
    for label, tree in conditions.items():
        survival = group(tree, "survival")
        if survival is None:
            continue
        death, censored = survival["death_time"].values, survival["censored"].values.astype(bool)
        times, fraction = kaplan_meier(death, censored)
        end = max(float(survival["time"].values.max()), float(death.max()))
        line, = ax.step(np.append(times, end) / SECONDS_PER_DAY, np.append(fraction, fraction[-1]),
                        where="post", label=f"{label} (n = {death.size})")
        at_censor = np.interp(death[censored], times, fraction)
        ax.plot(death[censored] / SECONDS_PER_DAY, at_censor, "|", color=line.get_color(), ms=8)
        median = survival.attrs.get("median_survival_s")
        start = float(survival.attrs.get("starve_from_s", 0.0))
        starts.add(start)
        if median is not None and np.isfinite(median):
            ax.plot((start + median) / SECONDS_PER_DAY, 0.5, "o", color=line.get_color(), ms=4)
        plotted += 1
    if not plotted:
        return note_missing(ax, "Survival", "/survival")
    for start in starts:
        ax.axvline(start / SECONDS_PER_DAY, color="0.5", ls=":", lw=1)
    ax.axhline(0.5, color="0.8", lw=0.8)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("time since start of training [d] (dotted: starvation starts)")
    ax.set_ylabel("fraction alive [1]")
    ax.set_title("Survival (Kaplan-Meier; |: censored, o: median)")
    ax.legend(fontsize=7, frameon=False)
    return ax
