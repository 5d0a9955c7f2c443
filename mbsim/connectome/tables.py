"""Strict reading of connectome tables: columns by name, exact 64-bit ids, checked synapse counts.

Every check raises :class:`~mbsim.errors.InputError` naming the file, line and column; a table is
returned only when all of it passed, so nothing is ever half-loaded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .core import EDGE_COLUMNS, NEURON_COLUMNS, Connectome

#: Class pairs a complete MB circuit has; those absent from a data set are reported as missing.
EXPECTED_EDGE_CLASSES = ("PN->KC", "KC->KC", "KC->MBON", "KC->APL", "APL->KC", "KC->DAN",
                         "DAN->KC", "DAN->MBON", "MBON->MBON", "MBON->DAN", "KC->DPM", "DPM->KC",
                         "APL->DPM", "DPM->APL")
_MAX_ID = np.iinfo(np.int64).max


def find_file(folder: Path, name: str) -> Path | None:
    """``folder/name`` or its gzipped version ``name.gz``, whichever exists."""
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def read_table(path: Path, required: tuple[str, ...], sep: str = ",") -> pd.DataFrame:
    """Read a delimited table as strings, requiring the named columns and at least one row."""
    if not path.is_file():
        raise InputError(found=f"no file '{path.name}'", expected="an existing table file",
                         file=path)
    try:
        table = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, na_filter=False)
    except pd.errors.EmptyDataError:
        raise InputError(found="an empty file", expected=f"a header with columns {list(required)}",
                         file=path) from None
    except (pd.errors.ParserError, UnicodeDecodeError, EOFError, OSError) as error:
        raise InputError(found=f"an unreadable table ({error})", expected="a CSV table",
                         file=path) from None
    table.columns = [str(c).strip() for c in table.columns]
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise InputError(found=f"columns {list(table.columns)}",
                         expected=f"columns {list(required)} (any order)", file=path,
                         line=1, field=missing[0])
    if table.empty:
        raise InputError(found="a header but no rows", expected="at least one data row",
                         file=path, line=2)
    return table


def parse_ids(values: pd.Series, path: Path, column: str) -> np.ndarray:
    """Exact int64 ids from text; float-formatted or non-integer ids are refused with their line."""
    text = values.str.strip()
    good = text.str.fullmatch(r"\d{1,19}")
    if good.all():
        as_int = [int(v) for v in text]
        if max(as_int) <= _MAX_ID:
            return np.asarray(as_int, dtype=np.int64)
        good = pd.Series([v <= _MAX_ID for v in as_int], index=text.index)
    row = int(np.flatnonzero(~good.to_numpy())[0])
    found = text.iloc[row]
    looks_float = pd.Series([found]).str.fullmatch(r"[-+]?\d*\.?\d+[eE][-+]?\d+|\d+\.\d*").iloc[0]
    expected = ("an integer id written in full; this float-formatted id has lost precision"
                if looks_float else "a non-negative integer id below 2**63")
    raise InputError(found=f"'{found}'", expected=expected, file=path, line=row + 2, field=column,
                     example="720575940602553568")


def parse_weights(values: pd.Series, path: Path, column: str, line_offset: int = 2) -> np.ndarray:
    """Synapse counts as int64: non-negative integers (``3`` or ``3.0``), checked row by row."""
    text = values.str.strip()
    good = text.str.fullmatch(r"\d+(?:\.0*)?")
    if not good.all():
        row = int(np.flatnonzero(~good.to_numpy())[0])
        found = text.iloc[row]
        try:
            negative = float(found) < 0
        except ValueError:
            negative = False
        raise InputError(found=f"{'negative' if negative else 'non-numeric'} weight '{found}'",
                         expected="a non-negative integer synapse count", file=path,
                         line=row + line_offset, field=column, example="12")
    return text.str.replace(r"\.0*$", "", regex=True).astype(np.int64).to_numpy()


def check_unique(ids: np.ndarray, path: Path, column: str) -> None:
    """Refuse a neuron table that lists one id twice."""
    series = pd.Series(ids)
    duplicated = series.duplicated()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0])
        raise InputError(found=f"id {ids[row]} listed twice", expected="one row per neuron",
                         file=path, line=row + 2, field=column)


def check_known(pre: np.ndarray, post: np.ndarray, known: np.ndarray, path: Path,
                columns: tuple[str, str]) -> None:
    """Refuse edges that name a neuron absent from the neuron table."""
    for values, column in ((pre, columns[0]), (post, columns[1])):
        unknown = ~np.isin(values, known)
        if unknown.any():
            row = int(np.flatnonzero(unknown)[0])
            raise InputError(found=f"neuron {values[row]} ({int(unknown.sum())} edges name "
                             "unknown neurons)", expected="ids listed in the neuron table",
                             file=path, line=row + 2, field=column)


def make_neurons(ids: np.ndarray, cell_types, typed: pd.DataFrame) -> pd.DataFrame:
    """The neuron table in :data:`NEURON_COLUMNS` order from ids, type names and typing columns."""
    table = typed.reset_index(drop=True).assign(id=ids, cell_type=list(cell_types))
    return table[list(NEURON_COLUMNS)]


def make_edges(pre, post, weight, roi=None) -> pd.DataFrame:
    """The edge table in :data:`EDGE_COLUMNS` order, dropping zero-weight rows."""
    edges = pd.DataFrame({"pre": np.asarray(pre, dtype=np.int64),
                          "post": np.asarray(post, dtype=np.int64),
                          "weight": np.asarray(weight, dtype=np.int64),
                          "roi": "" if roi is None else np.asarray(roi, dtype=object)})
    return edges[edges["weight"] > 0].reset_index(drop=True)[list(EDGE_COLUMNS)]


def missing_edge_classes(neurons: pd.DataFrame, edges: pd.DataFrame) -> tuple[str, ...]:
    """Expected class pairs (:data:`EXPECTED_EDGE_CLASSES`) that have no edge in the data."""
    classes = neurons.set_index("id")["cell_class"]
    pre = classes.reindex(edges["pre"]).to_numpy()
    post = classes.reindex(edges["post"]).to_numpy()
    present = {f"{a}->{b}" for a, b in zip(pre, post)}
    return tuple(pair for pair in EXPECTED_EDGE_CLASSES if pair not in present)


def build(name: str, neurons: pd.DataFrame, edges: pd.DataFrame, source: str) -> Connectome:
    """A :class:`Connectome` with its missing edge classes filled in."""
    return Connectome(name, neurons.reset_index(drop=True), edges.reset_index(drop=True), source,
                      missing_edge_classes(neurons, edges))
