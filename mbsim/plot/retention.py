"""Retention curve: performance index vs time since training, per memory phase, with lab data on top."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import InputError
from ..units import parse_quantity
from ._common import PHASE_COLORS, SECONDS_PER_HOUR, axes_or_new, group, note_missing

LAB_COLUMNS = ("time", "pi")
LAB_EXAMPLE = "time,pi,sem,label\\n2 min,0.82,0.05,Tully 1994\\n24 h,0.35,0.06,Tully 1994"


def read_lab_data(path: str | Path) -> pd.DataFrame:
    """Read measured retention from CSV: columns time (s, or quantities like "24 h"), pi, optional sem, label."""
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
        table["label"] = "lab data"
    table["label"] = table["label"].fillna("lab data").astype(str)
    return table


def plot_retention(tree: xr.DataTree, ax=None, lab_data: pd.DataFrame | None = None,
                   phases: tuple[str, ...] | None = None):
    """PI ± SEM vs time (log axis, hours) for each memory phase; lab points drawn over the curves."""
    ax = axes_or_new(ax)
    retention = group(tree, "retention")
    if retention is None:
        return note_missing(ax, "Retention", "/retention")
    hours = retention["retention_time"].values / SECONDS_PER_HOUR
    for phase in phases or [str(p) for p in retention["phase"].values]:
        expected = retention["pi_expected"].sel(phase=phase).values
        color = PHASE_COLORS.get(phase)
        width = 2.0 if phase == "total" else 1.2
        ax.plot(hours, expected, "-", color=color, lw=width, label=f"model {phase} (expected)")
        if phase == "total":
            ax.errorbar(hours, retention["pi"].sel(phase=phase).values,
                        yerr=retention["pi_sem"].sel(phase=phase).values, fmt="o", color=color,
                        ms=4, capsize=2, label="model total, sampled choices ± SEM")
    if lab_data is not None:
        lab = check_lab_data(lab_data)
        if "protocol" in lab.columns and tree.attrs.get("protocol_name") in set(lab["protocol"]):
            lab = lab[lab["protocol"] == tree.attrs["protocol_name"]]
        for marker, (label, rows) in zip("sD^vP*", lab.groupby("label", sort=False)):
            ax.errorbar(rows["time"] / SECONDS_PER_HOUR, rows["pi"], yerr=rows["sem"], fmt=marker, color="0.15",
                        mfc="white", capsize=3, label=label, zorder=5)
    ax.set_xscale("log")
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_xlabel("retention time after training [h]")
    ax.set_ylabel("performance index [1]")
    n = retention["n"].values
    flies = f"n = {int(n.min())}" if n.min() == n.max() else f"n = {int(n.min())}-{int(n.max())}"
    ax.set_title(f"Retention ({flies} virtual flies)")
    ax.legend(fontsize=7, frameon=False)
    return ax

