"""Helpers shared by the figure modules: lazy Agg matplotlib, missing-group notes, names and saving."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

#: The 15 MB compartments in lobe order, and the lobe each belongs to.
COMPARTMENTS = ("g1", "g2", "g3", "g4", "g5", "b'1", "b'2", "a'1", "a'2", "a'3", "a1", "a2", "a3", "b1", "b2")
LOBES = {"g": "γ", "b'": "β′", "a'": "α′", "a": "α", "b": "β"}
LOBE_COLORS = {"γ": "tab:green", "β′": "tab:orange", "α′": "tab:red", "α": "tab:blue", "β": "tab:purple"}
PHASE_COLORS = {"total": "black", "labile": "tab:orange", "ARM": "tab:blue", "LTM": "tab:purple"}

SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86400.0


def pyplot():
    """matplotlib.pyplot with the non-interactive Agg backend (imported only when a figure is drawn)."""
    import matplotlib
    if matplotlib.get_backend().lower() != "agg":
        matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def axes_or_new(ax, figsize=(6.0, 4.0)):
    """The given Axes, or the Axes of a new figure."""
    if ax is not None:
        return ax
    figure, ax = pyplot().subplots(figsize=figsize, layout="constrained")
    return ax


def group(tree: xr.DataTree, path: str) -> xr.Dataset | None:
    """The dataset of group ``path`` (e.g. "spiking/raster"), or None if the result has no such group."""
    node = tree
    for part in path.strip("/").split("/"):
        if part not in node.children:
            return None
        node = node.children[part]
    return node.to_dataset(inherit=False)


def note_missing(ax, title: str, what: str):
    """Blank the panel and say which group is missing, so the figure still renders."""
    ax.set_title(title)
    ax.text(0.5, 0.5, f"not in this result:\n{what}", ha="center", va="center", transform=ax.transAxes,
            color="0.4", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def pretty_compartment(name: str) -> str:
    """'a'1' -> 'α′1', 'g4' -> 'γ4'."""
    for prefix in ("a'", "b'", "a", "b", "g"):
        if name.startswith(prefix):
            return LOBES[prefix] + name[len(prefix):]
    return name


def lobe_of(name: str) -> str:
    """The lobe symbol of a compartment name ('b'2' -> 'β′')."""
    for prefix in ("a'", "b'", "a", "b", "g"):
        if name.startswith(prefix):
            return LOBES[prefix]
    return "?"


def label_with_units(variable: xr.DataArray, fallback: str) -> str:
    """'long name [units]' from a variable's attrs."""
    name = variable.attrs.get("long_name", fallback)
    units = variable.attrs.get("units")
    return f"{name} [{units}]" if units else name


def scaled_mol(values: np.ndarray) -> tuple[np.ndarray, str]:
    """Amounts in mol rescaled to a readable prefix: (values, "pmol") etc."""
    finite = np.abs(values[np.isfinite(values)])
    peak = float(finite.max()) if finite.size else 1.0
    for factor, prefix in ((1e-15, "f"), (1e-12, "p"), (1e-9, "n"), (1e-6, "µ"), (1e-3, "m")):
        if peak < factor * 1e3:
            return values / factor, f"{prefix}mol"
    return values, "mol"


def result_title(tree: xr.DataTree) -> str:
    return str(tree.attrs.get("title") or tree.attrs.get("protocol_name") or "mbsim result")


def save_figure(figure, path: str | Path) -> Path:
    """Write the figure (format from the suffix: .png, .pdf, .svg) and close it."""
    path = Path(path)
    figure.savefig(path, dpi=150)
    pyplot().close(figure)
    return path
