"""Schematic map of the 15 MB compartments laid out like the lobes, colored by a value per compartment.

Vertical lobes (α′ beside α) rise from the lobe junction; horizontal lobes (γ on top, then β′, then β)
run toward the midline (left). The peduncle comes in from the calyx on the right.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

from ._common import axes_or_new, axis_label, group, note_missing, pretty_compartment, scaled, styled

#: compartment -> (x, y, width, height) of its box in the schematic (arbitrary units).
LAYOUT: dict[str, tuple[float, float, float, float]] = {
    "a'1": (1.0, 0.0, 0.8, 1.0), "a'2": (1.0, 1.0, 0.8, 1.0), "a'3": (1.0, 2.0, 0.8, 1.0),
    "a1": (0.1, 0.0, 0.8, 1.2), "a2": (0.1, 1.2, 0.8, 1.2), "a3": (0.1, 2.4, 0.8, 1.2),
    "g1": (1.0, -1.0, 0.9, 0.9), "g2": (0.1, -1.0, 0.9, 0.9), "g3": (-0.8, -1.0, 0.9, 0.9),
    "g4": (-1.7, -1.0, 0.9, 0.9), "g5": (-2.6, -1.0, 0.9, 0.9),
    "b'1": (-0.4, -1.9, 1.4, 0.8), "b'2": (-2.2, -1.9, 1.8, 0.8),
    "b1": (-0.4, -2.8, 1.4, 0.8), "b2": (-2.2, -2.8, 1.8, 0.8),
}
LOBE_LABELS = {"α": (0.5, 3.8), "α′": (1.4, 3.2), "γ": (-2.9, -0.55), "β′": (-2.5, -1.5), "β": (-2.5, -2.4)}


def energy_per_compartment(tree: xr.DataTree) -> tuple[dict[str, float], str] | None:
    """Cumulative ATP per compartment (sum over causes) from /energy, with its colorbar label."""
    energy = group(tree, "energy")
    if energy is None:
        return None
    total = energy["atp"].sum("cause")
    amounts, unit = scaled(total.values, energy["atp"].attrs.get("units", "mol"))
    values = {str(c): float(v) for c, v in zip(total["compartment"].values, amounts)}
    return values, axis_label("ATP consumed over the run", unit)


@styled
def plot_compartment_map(tree: xr.DataTree | None = None, ax=None, values: Mapping[str, float] | None = None,
                         label: str | None = None, cmap: str = "viridis"):
    """Draw the lobes; color compartments by ``values`` (default: ATP per compartment from /energy).

    Compartments without a value are drawn hatched in gray.
    """
    ax = axes_or_new(ax, figsize=(5.5, 5.5))
    if values is None:
        found = energy_per_compartment(tree) if tree is not None else None
        if found is None:
            return note_missing(ax, "Energy per compartment", "/energy")
        values, default_label = found
        label = label or default_label
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.patches import Circle, FancyBboxPatch, Polygon

    numbers = np.array([v for v in values.values() if np.isfinite(v)])
    norm = Normalize(vmin=numbers.min() if numbers.size else 0, vmax=numbers.max() if numbers.size else 1)
    colormap = colormaps[cmap]
    ax.add_patch(Polygon([(1.9, -0.1), (3.6, 0.6), (3.6, 1.1), (1.9, 0.5)], closed=True, color="0.88"))
    ax.add_patch(Circle((4.1, 1.1), 0.7, color="0.88"))
    ax.text(4.1, 1.1, "calyx", ha="center", va="center", fontsize=8, color="0.35")
    ax.text(2.9, 0.25, "peduncle", rotation=22, ha="center", va="center", fontsize=7, color="0.35")
    for name, (x, y, width, height) in LAYOUT.items():
        value = values.get(name, np.nan)
        known = np.isfinite(value)
        face = colormap(norm(value)) if known else "0.9"
        ax.add_patch(FancyBboxPatch((x + 0.04, y + 0.04), width - 0.08, height - 0.08,
                                    boxstyle="round,pad=0.02,rounding_size=0.12", facecolor=face,
                                    edgecolor="0.2", lw=0.8, hatch=None if known else "///"))
        dark = known and norm(value) < 0.55
        ax.text(x + width / 2, y + height / 2, pretty_compartment(name), ha="center", va="center", fontsize=8,
                color="white" if dark and cmap == "viridis" else "black")
    for lobe, (x, y) in LOBE_LABELS.items():
        ax.text(x, y, f"{lobe} lobe", fontsize=9, style="italic", ha="center")
    ax.set_xlim(-3.0, 5.0)
    ax.set_ylim(-3.0, 4.2)
    ax.set_aspect("equal")
    ax.axis("off")
    colorbar = ax.figure.colorbar(ScalarMappable(norm=norm, cmap=colormap), ax=ax, shrink=0.7,
                                  label=label or "value")
    colorbar.ax.tick_params(labelsize=7)
    ax.set_title("MB compartments (schematic; midline to the left)")
    return ax
