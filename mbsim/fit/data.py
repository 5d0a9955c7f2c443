"""Lab data for fits: tidy CSV tables of retention, pyruvate-flux ratios and survival, checked at load.

Formats (one row per measurement; every row names its source and says whether its values were read
from a figure, ``approximate``): see data/lab/README.md. Times are quantities with units ("24 h").
Any problem raises one :class:`~mbsim.errors.InputError` naming the file, line and column.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..units import parse_quantity

#: Columns of each kind of table (more columns are allowed); survival tables take one of two shapes.
COLUMNS = {
    "retention": ("protocol", "time", "pi", "sem", "n", "approximate", "source"),
    "flux_ratio": ("condition", "reference", "time", "ratio", "sem", "approximate", "source"),
    "survival_curve": ("protocol", "time", "fraction", "n", "approximate", "source"),
    "survival_flies": ("protocol", "death_time", "censored", "approximate", "source"),
    "survival_ratio": ("condition", "reference", "ratio", "sem", "approximate", "source"),
}
KINDS = ("retention", "flux_ratio", "survival", "survival_ratio")
#: Kinds whose rows compare a ``condition`` protocol with a ``reference`` one.
RATIO_KINDS = ("flux_ratio", "survival_ratio")
EXAMPLE_ROW = {
    "retention": "aversive_1x,24 h,0.15,0.05,8,true,Tully et al. 1994 Cell 79:35",
    "flux_ratio": "aversive_spaced_10x,aversive_massed_10x,30 min,1.3,0.1,true,Placais et al. 2017",
    "survival": "survival_spaced_5x,17 h,0.5,40,true,Mery & Kawecki 2005 Science 308:1148",
    "survival_ratio": "survival_spaced_5x,survival_massed_5x,0.81,0.05,true,Mery & Kawecki 2005",
}


@dataclass(frozen=True)
class LabTable:
    """A checked table: ``kind`` (retention, flux_ratio, survival_curve, survival_flies,
    survival_ratio), rows with times in seconds, the file it came from and the file's SHA-256."""

    kind: str
    rows: pd.DataFrame
    path: str
    sha256: str

    @property
    def protocols(self) -> list[str]:
        column = "condition" if self.kind in RATIO_KINDS else "protocol"
        names = list(dict.fromkeys(self.rows[column]))
        if self.kind in RATIO_KINDS:
            names += [n for n in dict.fromkeys(self.rows["reference"]) if n not in names]
        return names


def read_table(path: str | Path, kind: str) -> LabTable:
    """Read and check a lab table of ``kind`` (retention, flux_ratio, survival or survival_ratio)."""
    path = Path(path)
    if kind not in KINDS:
        raise InputError(found=f"data kind '{kind}'", expected="one of " + ", ".join(KINDS))
    try:
        raw = path.read_bytes()
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise InputError(found="an empty file", expected=f"a {kind} table with a header, e.g. a "
                         f"row {EXAMPLE_ROW[kind]}", file=path) from None
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise InputError(found=f"an unreadable CSV file ({error})",
                         expected=f"a {kind} table, e.g. a row {EXAMPLE_ROW[kind]}", file=path) from None
    shape = kind
    if kind == "survival":
        shape = "survival_flies" if "death_time" in frame.columns else "survival_curve"
    required = COLUMNS[shape]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(found=f"no column(s) {missing}", expected="the header "
                         + ",".join(required), file=path, line=1, example=EXAMPLE_ROW[kind])
    if frame.empty:
        raise InputError(found="no data rows", expected=f"at least one {kind} row", file=path, line=2)
    rows = pd.DataFrame({"line": np.arange(len(frame)) + 2})
    checks = _CHECKS[shape]
    for column in required:
        convert = checks.get(column, _text)
        rows[column] = [convert(value, path, line, column)
                        for value, line in zip(frame[column], rows["line"])]
    return LabTable(shape, rows, str(path), hashlib.sha256(raw).hexdigest())


def _where(path, line, column) -> dict:
    return {"file": path, "line": int(line), "field": column}


def _text(value, path, line, column) -> str:
    if not str(value).strip():
        raise InputError(found="an empty cell", expected=f"a value in column '{column}'",
                         **_where(path, line, column))
    return str(value).strip()


def _number(low: float, high: float, what: str, integer: bool = False):
    def convert(value, path, line, column):
        text = str(value).strip()
        try:
            number = float(text)
        except ValueError:
            raise InputError(found=f"'{text}'" if text else "an empty cell",
                             expected=f"{what} (a number in [{low:g}, {high:g}])",
                             **_where(path, line, column)) from None
        if not (low <= number <= high) or math.isnan(number) or (integer and number != int(number)):
            raise InputError(found=f"{text}", expected=f"{what} in [{low:g}, {high:g}]"
                             + (" (a whole number)" if integer else ""), **_where(path, line, column))
        return int(number) if integer else number
    return convert


def _time(value, path, line, column) -> float:
    text = _text(value, path, line, column)
    seconds = parse_quantity(text, "time", **_where(path, line, column))
    if seconds < 0:
        raise InputError(found=f"'{text}', before training", expected="a time after the end of "
                         "training (>= 0)", **_where(path, line, column))
    return seconds


def _flag(value, path, line, column) -> bool:
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise InputError(found=f"'{value}'", expected="true or false", **_where(path, line, column))
    return text == "true"


_CHECKS = {
    "retention": {"time": _time, "pi": _number(-1.0, 1.0, "a performance index"),
                  "sem": _number(1e-6, 2.0, "the standard error of the PI (> 0)"),
                  "n": _number(1, 1e6, "the number of groups or flies tested", integer=True),
                  "approximate": _flag},
    "flux_ratio": {"time": _time, "ratio": _number(1e-6, 1e3, "a flux ratio (> 0)"),
                   "sem": _number(1e-6, 1e3, "the standard error of the ratio (> 0)"),
                   "approximate": _flag},
    "survival_curve": {"time": _time, "fraction": _number(0.0, 1.0, "a surviving fraction"),
                       "n": _number(1, 1e6, "the number of flies at the start", integer=True),
                       "approximate": _flag},
    "survival_flies": {"death_time": _time, "censored": _flag, "approximate": _flag},
    "survival_ratio": {"ratio": _number(1e-3, 1e3, "a ratio of median survival times (> 0)"),
                       "sem": _number(1e-6, 1e3, "the standard error of the ratio (> 0)"),
                       "approximate": _flag},
}
