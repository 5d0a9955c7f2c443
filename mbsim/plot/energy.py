"""Energy of the run: ATP by cause (log scale), by compartment and cause, plasticity by compartment and
phase on its own scale; KC pyruvate and mitochondrial flux over time."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..units import format_amount
from ._common import (LOBE_COLORS, SECONDS_PER_HOUR, axes_or_new, axis_label, group, lobe_of, log_time_axis,
                      note_missing,
                      pretty_compartment, scaled, styled, unit_for)

CAUSE_COLORS = {"spikes": "tab:blue", "synapses": "tab:cyan", "plasticity_labile": "tab:orange",
                "plasticity_ARM": "tab:red", "plasticity_LTM": "tab:purple", "basal": "0.7"}
LINE_STYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)))


PLASTICITY_CAUSES = {"plasticity_labile": "labile", "plasticity_ARM": "ARM", "plasticity_LTM": "LTM"}
ATP_LABEL = "ATP consumed over the run"


def _atp(tree: xr.DataTree) -> xr.DataArray | None:
    """ATP per cause and compartment from /energy (mol, mean per fly), or None."""
    energy = group(tree, "energy")
    if energy is None or "atp" not in energy:
        return None
    return energy["atp"].transpose("cause", "compartment")


def cause_label(cause: str) -> str:
    """'plasticity_ARM' -> 'plasticity, ARM'."""
    return str(cause).replace("_", ", ", 1) if str(cause).startswith("plasticity_") else str(cause)


def _log_floor(values: np.ndarray) -> float:
    """A decade below the smallest positive value: where log-scale bars start."""
    positive = values[np.isfinite(values) & (values > 0)]
    return 10 ** np.floor(np.log10(positive.min()) - 1) if positive.size else 1e-3


def _share(part: float, total: float) -> str:
    share = 100 * part / total if total > 0 else float("nan")
    return "< 0.01 %" if 0 < share < 0.01 else f"{share:.2g} %"


@styled
def plot_energy_by_cause(tree: xr.DataTree, ax=None):
    """ATP per cause (sum over compartments) on a log axis, each bar labelled with its amount and share,
    so plasticity costs read next to basal use."""
    ax = axes_or_new(ax)
    atp = _atp(tree)
    if atp is None:
        return note_missing(ax, "ATP by cause", "/energy")
    si_unit = atp.attrs.get("units", "mol")
    per_cause = atp.sum("compartment").values
    values, unit = scaled(per_cause, si_unit)
    causes = [str(c) for c in atp["cause"].values]
    positions = np.arange(len(causes))
    floor = _log_floor(values)
    ax.barh(positions, np.where(values > floor, values - floor, 0), left=floor,
            color=[CAUSE_COLORS.get(c, "0.5") for c in causes])
    for position, value, amount in zip(positions, values, per_cause):
        ax.text(max(value, floor) * 1.5, position, f"{format_amount(amount, si_unit)} "
                f"({_share(amount, per_cause.sum())})", va="center", fontsize=7)
    ax.set_xscale("log")
    ax.set_xlim(floor, max(values.max(), floor) * 1e3)
    ax.set_yticks(positions, [cause_label(c) for c in causes])
    ax.invert_yaxis()
    ax.set_xlabel(axis_label(ATP_LABEL + " (log scale)", unit))
    ax.set_title("ATP use by cause (mean per fly)")
    return ax


@styled
def plot_energy_by_compartment(tree: xr.DataTree, ax=None):
    """ATP per compartment and cause, one marker per cause on a log axis (a cause that used no ATP in a
    compartment has no marker)."""
    ax = axes_or_new(ax, figsize=(8, 4))
    atp = _atp(tree)
    if atp is None:
        return note_missing(ax, "ATP by compartment", "/energy")
    values, unit = scaled(atp.values, atp.attrs.get("units", "mol"))
    compartments = [str(c) for c in atp["compartment"].values]
    positions = np.arange(len(compartments))
    causes = [str(c) for c in atp["cause"].values]
    offsets = np.linspace(-0.3, 0.3, len(causes))
    for row, cause, offset in zip(values, causes, offsets):
        shown = row > 0
        ax.plot(positions[shown] + offset, row[shown], "o", ms=4, color=CAUSE_COLORS.get(cause, "0.5"),
                label=cause_label(cause))
    ax.set_yscale("log")
    ax.set_xticks(positions, [pretty_compartment(c) for c in compartments])
    ax.grid(axis="y", color="0.9", lw=0.6)
    ax.set_xlabel("MB compartment")
    ax.set_ylabel(axis_label(ATP_LABEL, unit))
    ax.set_title("ATP use by compartment and cause (mean per fly, log scale)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return ax


def plasticity_per_compartment(tree: xr.DataTree) -> tuple[dict[str, float], str] | None:
    """ATP spent on plastic changes per compartment (all phases) from /energy, readable unit, and its label."""
    atp = _atp(tree)
    if atp is None:
        return None
    total = atp.sel(cause=[c for c in PLASTICITY_CAUSES if c in atp["cause"].values]).sum("cause")
    amounts, unit = scaled(total.values, atp.attrs.get("units", "mol"))
    return ({str(c): float(v) for c, v in zip(total["compartment"].values, amounts)},
            axis_label("ATP spent on plasticity", unit))


@styled
def plot_plasticity_energy(tree: xr.DataTree, ax=None):
    """ATP spent on plastic changes per compartment, one bar per memory phase, on its own log axis (phases
    differ by orders of magnitude); the run's totals of plasticity and basal use are in the title."""
    ax = axes_or_new(ax, figsize=(8, 4))
    atp = _atp(tree)
    if atp is None:
        return note_missing(ax, "ATP of plasticity", "/energy")
    si_unit = atp.attrs.get("units", "mol")
    causes = [c for c in PLASTICITY_CAUSES if c in atp["cause"].values]
    plastic = atp.sel(cause=causes)
    values, unit = scaled(plastic.values, si_unit)
    floor = _log_floor(values)
    compartments = [str(c) for c in atp["compartment"].values]
    positions = np.arange(len(compartments))
    width = 0.8 / len(causes)
    for index, (row, cause) in enumerate(zip(values, causes)):
        ax.bar(positions + (index - (len(causes) - 1) / 2) * width, np.where(row > floor, row - floor, 0),
               bottom=floor, width=width, color=CAUSE_COLORS[cause], label=PLASTICITY_CAUSES[cause])
    ax.set_yscale("log")
    ax.set_ylim(bottom=floor)
    ax.set_xticks(positions, [pretty_compartment(c) for c in compartments])
    ax.grid(axis="y", color="0.9", lw=0.6)
    ax.set_xlabel("MB compartment")
    ax.set_ylabel(axis_label("ATP spent on plasticity (log scale)", unit))
    plastic_total = float(plastic.sum())
    basal = float(atp.sel(cause="basal").sum()) if "basal" in atp["cause"].values else float("nan")
    basal_text = f"; basal use {format_amount(basal, si_unit)}" if np.isfinite(basal) else ""
    ax.set_title(f"ATP of plastic changes (total {format_amount(plastic_total, si_unit)}{basal_text})")
    ax.legend(title="memory phase", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return ax


def _compartment_traces(metabolism: xr.Dataset, name: str) -> dict[str, xr.DataArray]:
    if name not in metabolism or "compartment" not in metabolism[name].dims:
        return {}
    return {str(c): metabolism[name].sel(compartment=c) for c in metabolism["compartment"].values}


@styled
def plot_compartment_timecourse(tree: xr.DataTree, name: str, title: str, ax=None):
    """Mean over flies of the /metabolism variable NAME, one line per compartment, over log time
    since the start of training (training shaded)."""
    ax = axes_or_new(ax)
    metabolism = group(tree, "metabolism")
    traces = _compartment_traces(metabolism, name) if metabolism is not None else {}
    if not traces:
        return note_missing(ax, title, f"/metabolism/{name}")
    first = next(iter(traces.values()))
    means = {compartment: (trace.mean("fly") if "fly" in trace.dims else trace).values
             for compartment, trace in traces.items()}
    factor, unit = unit_for(np.concatenate(list(means.values())), first.attrs.get("units", ""))
    hours = first["time"].values / SECONDS_PER_HOUR
    seen_in_lobe: dict[str, int] = {}
    for compartment, mean in means.items():
        lobe = lobe_of(compartment)
        seen_in_lobe[lobe] = seen_in_lobe.get(lobe, -1) + 1
        ax.plot(hours, mean / factor, color=LOBE_COLORS.get(lobe, "0.3"), lw=1.0,
                ls=LINE_STYLES[seen_in_lobe[lobe] % len(LINE_STYLES)], label=pretty_compartment(compartment))
    log_time_axis(ax, tree, hours)
    ax.set_ylabel(axis_label(title, unit))
    ax.set_title(f"{title} per compartment (mean over flies)")
    ax.legend(fontsize=6, ncol=2, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return ax


def plot_atp_flux(tree: xr.DataTree, ax=None):
    """Mitochondrial pyruvate (PDH) flux in KCs per compartment over time (/metabolism/mito_flux)."""
    return plot_compartment_timecourse(tree, "mito_flux", "KC mitochondrial pyruvate flux", ax)


def plot_pyruvate(tree: xr.DataTree, ax=None):
    """KC pyruvate per compartment over time (/metabolism/kc_pyruvate)."""
    return plot_compartment_timecourse(tree, "kc_pyruvate", "KC pyruvate", ax)
