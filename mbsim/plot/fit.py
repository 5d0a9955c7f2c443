"""Figures of a fit result: data against predictions (before the fit, at the estimate, and the posterior
predictive band) and each parameter's posterior in the parameter's own units."""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

from ..units import display_unit
from ._common import SECONDS_PER_HOUR, axes_or_new, axis_label, new_figure, plain_log_ticks, styled

#: Observation kind -> what is measured (the y-axis label, all dimensionless).
MEASURED = {"retention": "performance index", "flux_ratio": "pyruvate-flux ratio",
            "survival_ratio": "median survival ratio"}
#: Most parameter panels in one row of the fit figure.
PANELS_PER_ROW = 5


def _dataset(tree: xr.DataTree, label: str | None) -> tuple[xr.Dataset, str]:
    predictions = tree["predictions"].to_dataset()
    labels = list(dict.fromkeys(predictions["dataset"].values.tolist()))
    label = labels[0] if label is None else label
    return predictions.isel(observation=np.flatnonzero(predictions["dataset"].values == label)), label


def _prediction_band(tree: xr.DataTree, observations: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """2.5 and 97.5 percentiles of the posterior predictive at ``observations``, or None without one."""
    if "posterior_predictive" not in tree.children:
        return None
    draws = tree["posterior_predictive"].to_dataset()["observed"]
    values = draws.stack(sample=("chain", "draw")).sel(observation=observations).values
    return np.percentile(values, 2.5, axis=-1), np.percentile(values, 97.5, axis=-1)


@styled
def plot_fit_data(tree: xr.DataTree, ax=None, dataset: str | None = None):
    """One data set of a fit (the first if ``dataset`` is None): measured values +- SEM per protocol,
    the prediction before the fit and at the estimate, and the 95% posterior predictive band when the
    posterior was sampled. Time on a log axis [h]; rows without a time (survival ratios) side by
    side, one position per comparison."""
    ax = axes_or_new(ax)
    rows, label = _dataset(tree, dataset)
    kind = str(rows["kind"].values[0])
    hours = rows["time"].values / SECONDS_PER_HOUR
    timed = bool(np.all(np.isfinite(hours)))
    protocols = list(dict.fromkeys(rows["protocol"].values.tolist()))
    for i, protocol in enumerate(protocols):
        pick = np.flatnonzero(rows["protocol"].values == protocol)
        pick = pick[np.argsort(hours[pick])]
        color = f"C{i}"
        x = hours[pick] if timed else np.full(len(pick), float(i))
        band = _prediction_band(tree, rows["observation"].values[pick])
        if band is not None:
            ax.fill_between(x, band[0], band[1], color=color, alpha=0.18, lw=0,
                            label="95% posterior prediction")
        sem = rows["sem"].values[pick]
        ax.errorbar(x, rows["observed"].values[pick], yerr=None if np.all(np.isnan(sem)) else sem, fmt="o",
                    color=color, label=f"{protocol} data")
        ax.plot(x, rows["predicted_start"].values[pick], ":x", color=color, markersize=5,
                label="before fit")                      # markers: a single row is visible too
        ax.plot(x, rows["predicted"].values[pick], "-s", color=color, markersize=4, fillstyle="none",
                label="fit")
    if timed:
        ax.set_xscale("log" if np.all(hours > 0) else "symlog")
        plain_log_ticks(ax.xaxis)
        ax.set_xlabel(axis_label("time after training" if not kind.startswith("survival")
                                 else "time after starvation onset", "h"))
    else:
        ax.set_xticks(range(len(protocols)), protocols, fontsize=6)
        ax.set_xlim(-0.5, len(protocols) - 0.5)
    ax.set_ylabel(MEASURED.get(kind, "surviving fraction"))
    ax.set_title(label, fontsize=9)
    ax.legend(handles=_legend_handles(ax), fontsize=6.5)
    return ax


def _legend_handles(ax) -> list:
    """One entry per protocol (its colour) and one per kind of line, drawn in neutral grey."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    handles, labels = ax.get_legend_handles_labels()
    protocols = [handle for handle, label in zip(handles, labels) if label.endswith(" data")]
    kinds = [Line2D([], [], ls=":", marker="x", color="0.3", markersize=5, label="before fit"),
             Line2D([], [], ls="-", marker="s", color="0.3", markersize=4, fillstyle="none", label="fit")]
    if "95% posterior prediction" in labels:
        kinds.append(Patch(color="0.3", alpha=0.25, lw=0, label="95% posterior prediction"))
    return protocols + kinds


def parameter_unit(row: xr.Dataset) -> tuple[float, str]:
    """(SI per unit, label) to show a parameter in, chosen from the larger of its start and estimate:
    hours or days for time constants, 1/h for slow rates."""
    magnitude = max(abs(float(row["estimate"])), abs(float(row["start"])))
    return display_unit(str(row["unit"].values), magnitude)


@styled
def plot_posterior(tree: xr.DataTree, ax=None, parameter: str | None = None):
    """One parameter (the first if None) in its own units: posterior histogram (or the estimate's 95%
    interval when no posterior was sampled), the estimate and the start."""
    ax = axes_or_new(ax, figsize=(4, 3))
    estimates = tree["estimates"].to_dataset()
    row = estimates.isel(parameter=0) if parameter is None else estimates.sel(parameter=parameter)
    name = str(row["parameter"].values)
    factor, unit = parameter_unit(row)
    posterior = tree["posterior"].to_dataset() if "posterior" in tree.children else None
    if posterior is not None and name in posterior:
        ax.hist(posterior[name].values.ravel() / factor, bins=30, color="0.65", label="posterior")
    elif np.isfinite(float(row["lower_95"])):
        ax.axvspan(float(row["lower_95"]) / factor, float(row["upper_95"]) / factor, color="0.85",
                   label="95% interval")
    ax.axvline(float(row["estimate"]) / factor, color="black", label="estimate")
    ax.axvline(float(row["start"]) / factor, color="tab:red", linestyle=":", label="start")
    ax.set_xlabel(axis_label(name.split(".")[-1].replace("_", " "), unit))
    ax.set_title(name, fontsize=8)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.legend(fontsize=6)
    return ax


@styled
def fit_figure(tree: xr.DataTree):
    """The data sets side by side on top, the parameters below in rows of at most
    :data:`PANELS_PER_ROW`, each row filling the width (no empty panels)."""
    predictions = tree["predictions"].to_dataset()
    datasets = list(dict.fromkeys(predictions["dataset"].values.tolist()))
    names = tree["estimates"].to_dataset()["parameter"].values.tolist()
    rows = -(-len(names) // PANELS_PER_ROW)
    per_row = -(-len(names) // rows) if names else 1
    chunks = [names[i:i + per_row] for i in range(0, len(names), per_row)]
    width = math.lcm(len(datasets), *[len(chunk) for chunk in chunks])
    figure = new_figure(figsize=(max(3.4 * per_row, 5.0 * len(datasets)), 3.8 + 2.9 * len(chunks)))[0]
    figure.delaxes(figure.axes[0])
    grid = figure.add_gridspec(1 + len(chunks), width, height_ratios=(3.8, *[2.9] * len(chunks)))
    span = width // len(datasets)
    for index, label in enumerate(datasets):
        plot_fit_data(tree, figure.add_subplot(grid[0, index * span:(index + 1) * span]), label)
    for row, chunk in enumerate(chunks, start=1):
        span = width // len(chunk)
        for index, name in enumerate(chunk):
            plot_posterior(tree, figure.add_subplot(grid[row, index * span:(index + 1) * span]), name)
    estimates = tree["estimates"].to_dataset()
    figure.suptitle(f"{tree.attrs.get('title', 'fit')}: log posterior "
                    f"{estimates.attrs['log_posterior_start']:.1f} -> {estimates.attrs['log_posterior']:.1f}")
    return figure


#: Figure kinds of ``mbsim plot --kind`` for fit results.
FIT_KINDS = {"fit": fit_figure}
