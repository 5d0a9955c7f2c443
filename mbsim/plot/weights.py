"""KC>MBON efficacy change per compartment and memory phase over log time (heat maps)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ._common import (SECONDS_PER_HOUR, axes_or_new, group, log_time_axis, new_figure, note_missing,
                      pretty_compartment, styled, training_end_hours)

COLORBAR_LABEL = "efficacy change of CS+ KC synapses (naive efficacy = 1)"


def log_edges(hours: np.ndarray) -> np.ndarray:
    """Cell edges around positive sample times, halfway between neighbours in log time."""
    logs = np.log10(hours)
    middle = (logs[1:] + logs[:-1]) / 2
    first = logs[0] - (middle[0] - logs[0]) if logs.size > 1 else logs[0] - 0.5
    last = logs[-1] + (logs[-1] - middle[-1]) if logs.size > 1 else logs[0] + 0.5
    return 10 ** np.concatenate([[first], middle, [last]])


def _heatmap(ax, tree, hours, compartments, values, title, limit):
    """Heat map over log time; samples at t = 0 (no change yet) have no width on a log axis and are left out."""
    keep = hours > 0
    mesh = ax.pcolormesh(log_edges(hours[keep]), np.arange(len(compartments) + 1) - 0.5, values[keep].T,
                         cmap="RdBu_r", vmin=-limit, vmax=limit, shading="flat")
    ax.set_yticks(np.arange(len(compartments)), [pretty_compartment(c) for c in compartments], fontsize=7)
    ax.invert_yaxis()
    log_time_axis(ax, tree, hours[keep])
    end = training_end_hours(tree)
    if end is not None:
        ax.axvline(end, color="0.2", lw=0.8, ls="--")
    ax.set_title(title)
    return mesh


@styled
def plot_weights(tree: xr.DataTree, ax=None, phase: str | None = None):
    """Signed efficacy change (compartment x log time); one phase, or all stores together if ``phase``
    is None ("total"; the sum over phases in results that lack it). The dashed line marks the end of
    training."""
    ax = axes_or_new(ax)
    weights = group(tree, "weights")
    if weights is None:
        return note_missing(ax, "Weight change", "/weights")
    change = weights["efficacy_change"]
    phases = [str(p) for p in change["phase"].values]
    if phase is None:
        values = change.sel(phase="total") if "total" in phases else change.sum("phase")
    else:
        values = change.sel(phase=phase)
    limit = float(np.nanmax(np.abs(values.values if phase is None else change.values))) or 1.0
    hours = weights["time"].values / SECONDS_PER_HOUR
    compartments = [str(c) for c in weights["compartment"].values]
    title = "KC>MBON efficacy change" + (" (all phases)" if phase is None else f", {phase}")
    mesh = _heatmap(ax, tree, hours, compartments, values.transpose("time", "compartment").values, title, limit)
    ax.figure.colorbar(mesh, ax=ax, label=COLORBAR_LABEL, shrink=0.9)
    return ax


@styled
def plot_weights_by_phase(tree: xr.DataTree, axes=None):
    """One heat map per memory phase, sharing the color scale."""
    if axes is None:
        figure, axes = new_figure(1, 3, figsize=(13, 4.2), sharey=True)
    weights = group(tree, "weights")
    phases = ([str(p) for p in weights["phase"].values if p != "total"] if weights is not None
              else ["labile", "ARM", "LTM"])
    for ax, phase in zip(axes, phases):
        plot_weights(tree, ax=ax, phase=phase)
    return axes
