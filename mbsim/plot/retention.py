"""Retention curve: performance index vs time since training, per memory phase, with lab data on top."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import InputError
from ..units import parse_quantity
from ._common import (PHASE_COLORS, SECONDS_PER_HOUR, axes_or_new, axis_label, group, note_missing,
                      plain_log_ticks, styled)

LAB_COLUMNS = ("time", "pi")
LAB_EXAMPLE = "time,pi,sem,label\\n2 min,0.82,0.05,Tully 1994\\n24 h,0.35,0.06,Tully 1994"


def read_lab_data(path: str | Path) -> pd.DataFrame:
    """Read measured retention from CSV: columns time (s, or quantities like "24 h"), pi, optional sem,
    label (default: the first reference of a ``source`` column), protocol."""
    path = Path(path)
    if not path.is_file():
        raise InputError(found="no such file", expected="a CSV file of lab retention data", file=path,
                         example=LAB_EXAMPLE)
    try:
        table = pd.read_csv(path, skipinitialspace=True, comment="#")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise InputError(found=f"unreadable CSV ({error})", expected="a CSV table with a header line",
                         file=path, example=LAB_EXAMPLE) from None
    return check_lab_data(table, file=path)


def _short_source(source) -> str:
    """'Tully et al. 1994 (10 cycles ...); other' -> 'Tully et al. 1994'."""
    return str(source).split(";")[0].split("(")[0].strip() or "lab data"


def check_lab_data(table: pd.DataFrame, file: str | Path | None = None) -> pd.DataFrame:
    """Validate lab data; times given as text with units are converted to seconds."""
    missing = [column for column in LAB_COLUMNS if column not in table.columns]
    if missing:
        raise InputError(found="columns " + ", ".join(map(str, table.columns)),
                         expected="columns time [s], pi and optionally sem, label", file=file,
                         field=missing[0], example=LAB_EXAMPLE)
    table = table.copy()
    if not pd.api.types.is_numeric_dtype(table["time"]):
        table["time"] = [parse_quantity(value, "time", file=file, line=row + 2, field="time")
                         for row, value in enumerate(table["time"])]
    if "sem" not in table.columns:
        table["sem"] = np.nan
    if "label" not in table.columns:
        table["label"] = table["source"].map(_short_source) if "source" in table.columns else "lab data"
        if "approximate" in table.columns:
            approximate = table["approximate"].astype(str).str.lower().isin(("true", "1", "yes"))
            table.loc[approximate, "label"] = table.loc[approximate, "label"] + " (approximate)"
    table["label"] = table["label"].fillna("lab data").astype(str)
    return table


def lab_rows(lab_data: pd.DataFrame, tree: xr.DataTree) -> pd.DataFrame:
    """The lab rows that belong to this result: those of its protocol when the table has a
    ``protocol`` column (none if no row matches), else all."""
    lab = check_lab_data(lab_data)
    if "protocol" not in lab.columns:
        return lab
    return lab[lab["protocol"].astype(str) == str(tree.attrs.get("protocol_name"))]


def log_time_interpolation(hours: np.ndarray, values: np.ndarray, points: int = 200):
    """A dense curve through (hours, values): monotone cubic (PCHIP) in log time, so it never
    overshoots the values it joins. Returns (dense hours, dense values)."""
    from scipy.interpolate import PchipInterpolator
    keep = (hours > 0) & np.isfinite(values)
    log_hours, first = np.unique(np.log10(hours[keep]), return_index=True)      # sorted, each time once
    values = values[keep][first]
    if log_hours.size < 2:
        return 10 ** log_hours, values
    dense = np.linspace(log_hours.min(), log_hours.max(), points)
    return 10 ** dense, PchipInterpolator(log_hours, values)(dense)


@styled
def plot_retention(tree: xr.DataTree, ax=None, lab_data: pd.DataFrame | None = None,
                   phases: tuple[str, ...] | None = None):
    """Expected PI per memory phase against retention time (log axis, hours), the cohort's sampled PI
    +- SEM at the tests, lab data of the same protocol over it.

    A result holds the expected PI at its test times only; the lines between them are a monotone
    interpolation in log time (:func:`log_time_interpolation`), marked as such in the legend.
    """
    ax = axes_or_new(ax)
    retention = group(tree, "retention")
    if retention is None:
        return note_missing(ax, "Retention", "/retention")
    hours = retention["retention_time"].values / SECONDS_PER_HOUR
    for phase in phases or [str(p) for p in retention["phase"].values]:
        expected = retention["pi_expected"].sel(phase=phase).values
        color = PHASE_COLORS.get(phase)
        total = phase == "total"
        dense_hours, dense = log_time_interpolation(hours, expected)
        ax.plot(dense_hours, dense, "-", color=color, lw=2.0 if total else 1.1, alpha=1.0 if total else 0.8,
                label=f"{phase}, expected PI")
        ax.plot(hours, expected, "o", color=color, ms=3.5 if total else 2.5)
    n = retention["n"].values
    flies = f"n = {int(n.min())}" if n.min() == n.max() else f"n = {int(n.min())}-{int(n.max())}"
    ax.errorbar(hours, retention["pi"].sel(phase="total").values,
                yerr=retention["pi_sem"].sel(phase="total").values, fmt="s", color="black", mfc="white",
                ms=5, capsize=2.5, zorder=4, label=f"total, sampled choices ± SEM ({flies})")
    if lab_data is not None:
        lab = lab_rows(lab_data, tree)
        for marker, (label, rows) in zip("D^vP*h", lab.groupby("label", sort=False)):
            ax.errorbar(rows["time"] / SECONDS_PER_HOUR, rows["pi"], yerr=rows["sem"], fmt=marker,
                        color="tab:red", mfc="white", ms=5, capsize=3, zorder=5, label=label)
        if lab.empty:
            ax.text(0.02, 0.02, f"no lab data for {tree.attrs.get('protocol_name', 'this protocol')}",
                    transform=ax.transAxes, fontsize=7, color="0.4")
    ax.set_xscale("log")
    plain_log_ticks(ax.xaxis)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_xlabel(axis_label("retention time after training", "h"))
    ax.set_ylabel(axis_label("performance index", "1"))
    ax.set_title(f"Retention ({flies} virtual flies)")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0,
              title="lines: interpolation in log time\nbetween the tests", title_fontsize=7,
              alignment="left")
    return ax
