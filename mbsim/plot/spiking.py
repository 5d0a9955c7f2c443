"""KC spike raster of the recorded window and KC sparseness (fraction of KCs active) per window."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ._common import axes_or_new, group, note_missing, styled


@styled
def plot_raster(tree: xr.DataTree, ax=None):
    """Spike times of KCs in the window stored in /spiking/raster (time from window start)."""
    ax = axes_or_new(ax)
    raster = group(tree, "spiking/raster")
    if raster is None:
        return note_missing(ax, "KC raster", "/spiking/raster")
    window = str(raster.attrs.get("window", "recorded window"))
    times = raster["spike_time"].values
    spiking = group(tree, "spiking")
    start = times.min() if times.size else 0.0
    if spiking is not None and window in spiking["window"].values:
        start = float(spiking["window_start"].sel(window=window))
    kc = raster["kc_index"].values
    ax.scatter(times - start, kc, s=1.5, marker="|", color="black", lw=0.5)
    n_active = np.unique(kc).size
    ax.set_xlabel("time from window start [s]")
    ax.set_ylabel("KC index")
    ax.set_title(f"KC spikes, {window}\n({kc.size} spikes from {n_active} KCs)")
    return ax


@styled
def plot_sparseness(tree: xr.DataTree, ax=None):
    """Fraction of KCs active in each simulated window (bars), the window of the raster highlighted."""
    ax = axes_or_new(ax)
    spiking = group(tree, "spiking")
    if spiking is None:
        return note_missing(ax, "KC sparseness", "/spiking")
    raster = group(tree, "spiking/raster")
    highlighted = raster.attrs.get("window") if raster is not None else None
    windows = [str(w) for w in spiking["window"].values]
    fraction = spiking["kc_fraction_active"].values * 100
    colors = ["tab:red" if w == highlighted else "tab:gray" for w in windows]
    positions = np.arange(len(windows))
    ax.barh(positions, fraction, color=colors)
    ax.set_yticks(positions, windows, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("KCs active during odor [%]")
    ax.set_title("KC sparseness per window" + (" (red: raster)" if highlighted else ""))
    return ax
