"""Helpers shared by the figure modules: lazy Agg matplotlib, one style, labels with units, missing-group
notes, names and saving."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import xarray as xr

from ..units import display_unit

#: The 15 MB compartments in lobe order, and the lobe each belongs to.
COMPARTMENTS = ("g1", "g2", "g3", "g4", "g5", "b'1", "b'2", "a'1", "a'2", "a'3", "a1", "a2", "a3", "b1", "b2")
LOBES = {"g": "γ", "b'": "β′", "a'": "α′", "a": "α", "b": "β"}
LOBE_COLORS = {"γ": "tab:green", "β′": "tab:orange", "α′": "tab:red", "α": "tab:blue", "β": "tab:purple"}
PHASE_COLORS = {"total": "black", "labile": "tab:orange", "ARM": "tab:blue", "LTM": "tab:purple"}

SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86400.0

#: The style of every mbsim figure (matplotlib rcParams, applied while a figure is drawn).
STYLE = {"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "xtick.labelsize": 8,
         "ytick.labelsize": 8, "legend.fontsize": 7.5, "legend.frameon": False,
         "axes.spines.top": False, "axes.spines.right": False, "lines.linewidth": 1.4,
         "lines.markersize": 4.5, "errorbar.capsize": 2.5, "figure.dpi": 100, "savefig.dpi": 150,
         "image.cmap": "viridis", "axes.titlelocation": "left"}


def pyplot():
    """matplotlib.pyplot with the non-interactive Agg backend (imported only when a figure is drawn)."""
    import matplotlib
    if matplotlib.get_backend().lower() != "agg":
        matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def styled(draw):
    """Decorator: draw the figure or panel in :data:`STYLE`."""
    @functools.wraps(draw)
    def drawn(*args, **kwargs):
        import matplotlib
        with matplotlib.rc_context(STYLE):
            return draw(*args, **kwargs)
    return drawn


def new_figure(rows: int = 1, columns: int = 1, **options):
    """A figure and its Axes in :data:`STYLE`, constrained layout."""
    import matplotlib
    with matplotlib.rc_context(STYLE):
        return pyplot().subplots(rows, columns, layout="constrained", **options)


def axes_or_new(ax, figsize=(6.0, 4.0)):
    """The given Axes, or the Axes of a new figure."""
    if ax is not None:
        return ax
    figure, ax = new_figure(figsize=figsize)
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


def axis_label(quantity: str, unit: str | None) -> str:
    """'quantity [unit]'; a dimensionless quantity (unit "1", "" or None) is named without brackets."""
    return quantity if unit in (None, "", "1") else f"{quantity} [{unit}]"


def unit_for(values: np.ndarray, si_unit: str) -> tuple[float, str]:
    """(SI per unit, label) of the readable unit for values in ``si_unit``, from their largest magnitude."""
    finite = np.abs(np.asarray(values, float)[np.isfinite(values)])
    return display_unit(si_unit, float(finite.max()) if finite.size else 0.0)


def scaled(values: np.ndarray, si_unit: str) -> tuple[np.ndarray, str]:
    """Values in ``si_unit`` in their readable unit: (values / factor, label), e.g. mol -> pmol."""
    factor, label = unit_for(values, si_unit)
    return np.asarray(values, float) / factor, label


def training_end_hours(tree: xr.DataTree) -> float | None:
    """End of training after its start [h] (attribute of /retention), or None."""
    retention = group(tree, "retention")
    end = None if retention is None else retention.attrs.get("training_end_s")
    return None if end is None else float(end) / SECONDS_PER_HOUR


def log_time_axis(ax, tree: xr.DataTree, hours: np.ndarray) -> None:
    """Log time axis in hours since the start of training, with the training period shaded, so
    training (minutes to hours) and decay (days) both show."""
    ax.set_xscale("log")
    positive = hours[hours > 0]
    if positive.size:
        ax.set_xlim(positive.min(), hours.max())
    end = training_end_hours(tree)
    if end is not None and positive.size and end > positive.min():
        ax.axvspan(positive.min(), end, color="0.92", zorder=0, lw=0)
        ax.text(np.sqrt(positive.min() * end), 0.99, "training", transform=ax.get_xaxis_transform(),
                ha="center", va="top", fontsize=7, color="0.3", zorder=6)
    ax.set_xlabel(axis_label("time since the start of training (log scale)", "h"))
    plain_log_ticks(ax.xaxis)


def plain_log_ticks(axis, label_minor: bool = False) -> None:
    """Tick labels of a log axis as plain numbers (0.1, 1, 10, 100), not powers of ten; with
    ``label_minor`` the minor ticks (2, 3, 5 x) are labelled too, for axes spanning about a decade."""
    from matplotlib.ticker import FuncFormatter, LogFormatter, NullFormatter
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    axis.set_major_formatter(plain)
    axis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(1.5, 0.5))
                             if label_minor else NullFormatter())


def result_title(tree: xr.DataTree) -> str:
    """What the result is, for titles and legends: its title, or its protocol's name (never a file)."""
    name = tree.attrs.get("title") or tree.attrs.get("protocol_name") or "mbsim result"
    return str(name).removeprefix("mbsim run of ")


def save_figure(figure, path: str | Path) -> Path:
    """Write the figure (format from the suffix: .png, .pdf, .svg) and close it."""
    path = Path(path)
    figure.savefig(path, dpi=STYLE["savefig.dpi"])
    pyplot().close(figure)
    return path
