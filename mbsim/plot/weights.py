"""KC>MBON efficacy change per compartment and memory phase over time (heat maps)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ._common import SECONDS_PER_HOUR, axes_or_new, group, note_missing, pretty_compartment, pyplot


def _heatmap(ax, hours, compartments, values, title, limit):
    mesh = ax.pcolormesh(hours, np.arange(len(compartments)), values.T, cmap="RdBu_r", vmin=-limit,
                         vmax=limit, shading="nearest")
    ax.set_yticks(np.arange(len(compartments)), [pretty_compartment(c) for c in compartments], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("time since start of training [h]")
    ax.set_title(title)
    return mesh


def plot_weights(tree: xr.DataTree, ax=None, phase: str | None = None):
    """Signed efficacy change (compartment x time); one phase, or the sum over phases if ``phase`` is None."""
    ax = axes_or_new(ax)
    weights = group(tree, "weights")
    if weights is None:
        return note_missing(ax, "Weight change", "/weights")
    change = weights["efficacy_change"]
    values = change.sum("phase") if phase is None else change.sel(phase=phase)
    limit = float(np.nanmax(np.abs(change.values))) or 1.0
    hours = weights["time"].values / SECONDS_PER_HOUR
    compartments = [str(c) for c in weights["compartment"].values]
    title = "KC>MBON efficacy change" + (" (sum over phases)" if phase is None else f", {phase}")
    mesh = _heatmap(ax, hours, compartments, values.transpose("time", "compartment").values, title, limit)
    ax.figure.colorbar(mesh, ax=ax, label="efficacy change [1] (naive = 1)", shrink=0.9)
    return ax


def plot_weights_by_phase(tree: xr.DataTree, axes=None):
    """One heat map per memory phase, sharing the color scale."""
    if axes is None:
        figure, axes = pyplot().subplots(1, 3, figsize=(13, 4.2), layout="constrained", sharey=True)
    weights = group(tree, "weights")
    phases = [str(p) for p in weights["phase"].values] if weights is not None else ["labile", "ARM", "LTM"]
    for ax, phase in zip(axes, phases):
        plot_weights(tree, ax=ax, phase=phase)
    return axes
