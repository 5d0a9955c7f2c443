"""Kaplan-Meier survival of one or several results (conditions) under starvation, with 95% bands and,
for two conditions, the log-rank test between them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from ..metabolism.survival import compare_survival, survival_band
from ._common import SECONDS_PER_DAY, axes_or_new, axis_label, group, note_missing, result_title, styled


def conditions(results) -> dict[str, xr.DataTree]:
    """{label: result} from one result, a list of them (labelled by title, numbered when titles repeat)
    or a dict."""
    if isinstance(results, xr.DataTree):
        return {result_title(results): results}
    if isinstance(results, Mapping):
        return dict(results)
    if isinstance(results, Sequence):
        titles = [result_title(tree) for tree in results]
        return {(f"{title} ({index + 1})" if titles.count(title) > 1 else title): tree
                for index, (title, tree) in enumerate(zip(titles, results))}
    raise TypeError(f"expected a DataTree, a list of them or a dict label -> DataTree, got {type(results).__name__}")


def _band(survival: xr.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """The stored pointwise 95% band, or lifelines' band from the death times when it is not stored."""
    if "survival_lower" in survival and "survival_upper" in survival:
        return survival["survival_lower"].values, survival["survival_upper"].values
    censored = survival["censored"].values.astype(bool)
    observed = np.where(censored, float(survival.attrs["horizon_s"]), survival["death_time"].values)
    return survival_band(observed, censored)


def logrank_text(first: xr.Dataset, second: xr.Dataset) -> str:
    """'log-rank test: χ² = 4.1, p = 0.043' between two /survival groups."""
    statistic, p_value = compare_survival(first, second)
    return f"log-rank test: χ² = {statistic:.3g}, p = {p_value:.2g}"


def _draw(ax, label: str, survival: xr.Dataset) -> None:
    """One condition: step curve to the horizon, its band, censoring ticks, the median."""
    days = survival["time"].values / SECONDS_PER_DAY
    fraction = survival["survival_fraction"].values
    lower, upper = _band(survival)
    censored = survival["censored"].values.astype(bool)
    horizon = float(survival.attrs.get("horizon_s", survival["time"].values.max())) / SECONDS_PER_DAY
    steps = np.append(days, horizon)
    line, = ax.step(steps, np.append(fraction, fraction[-1]), where="post",
                    label=f"{label} (n = {censored.size})")
    ax.fill_between(steps, np.append(lower, lower[-1]), np.append(upper, upper[-1]), step="post",
                    color=line.get_color(), alpha=0.18, lw=0)
    if censored.any():
        ax.plot([horizon], [fraction[-1]], "|", color=line.get_color(), ms=10, mew=1.5)
    median = survival.attrs.get("median_survival_s")
    if median is not None and np.isfinite(median):
        ax.plot(float(median) / SECONDS_PER_DAY, 0.5, "o", color=line.get_color(), ms=4)


@styled
def plot_survival(results, ax=None):
    """Surviving fraction against days since the start of starvation, per condition: Kaplan-Meier with
    its pointwise 95% band (exponential Greenwood), a tick for flies alive at the horizon, a dot at the
    median. With two conditions the log-rank test between them is printed on the panel.

    ``results`` is one DataTree, a list of them, or a dict {label: DataTree}.
    """
    ax = axes_or_new(ax)
    found = {label: survival for label, tree in conditions(results).items()
             if (survival := group(tree, "survival")) is not None}
    if not found:
        return note_missing(ax, "Survival", "/survival")
    for label, survival in found.items():
        _draw(ax, label, survival)
    ax.axhline(0.5, color="0.8", lw=0.8)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(left=0)
    ax.set_xlabel(axis_label("time since the start of starvation", "d"))
    ax.set_ylabel(axis_label("fraction alive", "1"))
    ax.set_title("Survival under starvation (Kaplan-Meier, 95% band; o median, | censored)")
    ax.legend(loc="lower left")
    if len(found) == 2:
        ax.text(0.98, 0.97, logrank_text(*found.values()), transform=ax.transAxes, ha="right", va="top",
                fontsize=8)
    return ax
