"""Energy of the run: ATP by cause and compartment (stacked bars), ATP production and pyruvate over time."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ._common import (LOBE_COLORS, SECONDS_PER_HOUR, axes_or_new, group, lobe_of, note_missing,
                      pretty_compartment, scaled_mol)

CAUSE_COLORS = {"spikes": "tab:blue", "synapses": "tab:cyan", "plasticity_labile": "tab:orange",
                "plasticity_ARM": "tab:red", "plasticity_LTM": "tab:purple", "basal": "0.7"}
LINE_STYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)))


def _atp(tree: xr.DataTree) -> xr.DataArray | None:
    energy = group(tree, "energy")
    return None if energy is None else energy["atp"]


def plot_energy_by_compartment(tree: xr.DataTree, ax=None):
    """Cumulative ATP per compartment, stacked by cause."""
    ax = axes_or_new(ax, figsize=(8, 4))
    atp = _atp(tree)
    if atp is None:
        return note_missing(ax, "ATP by compartment", "/energy")
    atp = atp.transpose("cause", "compartment")
    values, unit = scaled_mol(atp.values)
    compartments = [str(c) for c in atp["compartment"].values]
    positions = np.arange(len(compartments))
    bottom = np.zeros(len(compartments))
    for row, cause in zip(values, atp["cause"].values):
        ax.bar(positions, row, bottom=bottom, color=CAUSE_COLORS.get(str(cause)), label=str(cause).replace("_", " "))
        bottom += row
    ax.set_xticks(positions, [pretty_compartment(c) for c in compartments], fontsize=8)
    ax.set_xlabel("MB compartment")
    ax.set_ylabel(f"ATP consumed over the run [{unit}]")
    ax.set_title("ATP use by compartment and cause (mean per fly)")
    ax.legend(fontsize=7, frameon=False, ncol=2)
    return ax


def plot_energy_by_cause(tree: xr.DataTree, ax=None):
    """Cumulative ATP per cause, stacked by lobe."""
    ax = axes_or_new(ax)
    atp = _atp(tree)
    if atp is None:
        return note_missing(ax, "ATP by cause", "/energy")
    atp = atp.transpose("cause", "compartment")
    values, unit = scaled_mol(atp.values)
    causes = [str(c).replace("_", " ") for c in atp["cause"].values]
    lobes = [lobe_of(str(c)) for c in atp["compartment"].values]
    positions = np.arange(len(causes))
    left = np.zeros(len(causes))
    for lobe, color in LOBE_COLORS.items():
        columns = [i for i, name in enumerate(lobes) if name == lobe]
        if columns:
            width = values[:, columns].sum(axis=1)
            ax.barh(positions, width, left=left, color=color, label=f"{lobe} lobe")
            left += width
    ax.set_yticks(positions, causes, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(f"ATP consumed over the run [{unit}]")
    ax.set_title("ATP use by cause and lobe (mean per fly)")
    ax.legend(fontsize=7, frameon=False)
    return ax


def _compartment_traces(metabolism: xr.Dataset, name: str) -> dict[str, xr.DataArray]:
    if name not in metabolism or "compartment" not in metabolism[name].dims:
        return {}
    return {str(c): metabolism[name].sel(compartment=c) for c in metabolism["compartment"].values}


def plot_compartment_timecourse(tree: xr.DataTree, name: str, title: str, ax=None):
    """Mean over flies of the /metabolism variable NAME, one line per compartment."""
    ax = axes_or_new(ax)
    metabolism = group(tree, "metabolism")
    traces = _compartment_traces(metabolism, name) if metabolism is not None else {}
    if not traces:
        return note_missing(ax, title, f"/metabolism/{name}")
    seen_in_lobe: dict[str, int] = {}
    for compartment, trace in traces.items():
        lobe = lobe_of(compartment)
        seen_in_lobe[lobe] = seen_in_lobe.get(lobe, -1) + 1
        mean = trace.mean("fly") if "fly" in trace.dims else trace
        ax.plot(trace["time"].values / SECONDS_PER_HOUR, mean.values, color=LOBE_COLORS.get(lobe, "0.3"),
                lw=1.0, ls=LINE_STYLES[seen_in_lobe[lobe] % len(LINE_STYLES)],
                label=pretty_compartment(compartment))
    first = next(iter(traces.values()))
    units = first.attrs.get("units", "")
    ax.set_xlabel("time since start of training [h]")
    ax.set_ylabel(f"{title} [{units}]" if units else title)
    ax.set_title(f"{title} per compartment (mean over flies)")
    ax.legend(fontsize=6, frameon=False, ncol=3)
    return ax


def plot_atp_flux(tree: xr.DataTree, ax=None):
    """Mitochondrial pyruvate (PDH) flux in KCs per compartment over time (/metabolism/mito_flux)."""
    return plot_compartment_timecourse(tree, "mito_flux", "KC mitochondrial pyruvate flux", ax)


def plot_pyruvate(tree: xr.DataTree, ax=None):
    """KC pyruvate per compartment over time (/metabolism/kc_pyruvate)."""
    return plot_compartment_timecourse(tree, "kc_pyruvate", "KC pyruvate", ax)
