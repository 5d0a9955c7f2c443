"""Load neuPrint data (hemibrain): a bulk export folder, a neuprint-python ``export_dir``, or the
data frames ``neuprint.fetch_adjacencies`` returns (:func:`from_neuprint`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .core import Connectome
from .mbtypes import type_table_frame
from .tables import (build, check_known, check_unique, find_file, make_edges, make_neurons,
                     parse_ids, parse_weights, read_table)

NEURONS_FILE = "traced-neurons.csv"
TOTAL_FILE = "traced-total-connections.csv"
ROI_FILE = "traced-roi-connections.csv"
#: The same tables as ``neuprint.fetch_adjacencies(..., export_dir=...)`` names them.
EXPORT_DIR_FILES = {NEURONS_FILE: "neurons.csv", TOTAL_FILE: "total-connections.csv",
                    ROI_FILE: "roi-connections.csv"}
#: Side of KCs whose instance has no side suffix (hemibrain v1.0): the hemibrain volume holds the
#: right mushroom body only, and KCs are intrinsic to it (Scheffer et al. 2020).
HEMIBRAIN_KC_SIDE = "R"


def find_table(folder: Path, name: str) -> Path | None:
    """A bulk-export table or its neuprint-python ``export_dir`` name, plain or gzipped."""
    return find_file(folder, name) or find_file(folder, EXPORT_DIR_FILES[name])


def load_neuprint(folder: str | Path, partial_rois: bool = False) -> Connectome:
    """Load ``traced-neurons.csv`` (bodyId, type, instance in any order) and, when present, the
    connection tables (or their ``export_dir`` names ``neurons.csv``, ``total-connections.csv``,
    ``roi-connections.csv``). ROI rows become the edges when the ROI table exists; their sums must
    equal the total table pair by pair, unless ``partial_rois`` (a query filtered by ``rois=`` or
    ``min_roi_weight`` keeps only some ROIs: their sums may then fall short of the totals). Without
    a total table the ROI rows are taken as they are. A folder with the neuron table only gives a
    connectome without edges (e.g. the whole-brain hemibrain table).
    """
    folder = Path(folder)
    neurons_path = find_table(folder, NEURONS_FILE)
    if neurons_path is None:
        raise InputError(found=f"no {NEURONS_FILE} (or {EXPORT_DIR_FILES[NEURONS_FILE]}) in "
                         f"'{folder}'", expected="a neuPrint bulk export folder", file=folder)
    neurons = _neurons_from(read_table(neurons_path, NEURON_COLUMNS), neurons_path)
    known = neurons["id"].to_numpy()
    total_path, roi_path = find_table(folder, TOTAL_FILE), find_table(folder, ROI_FILE)
    rois = None if roi_path is None else _connections_from(
        read_table(roi_path, _columns(True)), roi_path, known, with_roi=True)
    if total_path is None:
        edges = rois if rois is not None else make_edges([], [], [])
    else:
        total = _connections_from(read_table(total_path, _columns(False)), total_path, known,
                                  with_roi=False)
        edges = total if rois is None else _checked_against(rois, total, roi_path, partial_rois)
    return build(folder.name, neurons, edges, f"neuPrint export {folder}")


def from_neuprint(neurons: pd.DataFrame, roi_connections: pd.DataFrame,
                  name: str = "neuprint query") -> Connectome:
    """A connectome from ``neuprint.fetch_adjacencies``' ``(neurons_df, roi_conn_df)``: columns
    ``bodyId, instance, type`` and ``bodyId_pre, bodyId_post, roi, weight``, checked as the files
    are (errors name ``neurons_df`` / ``roi_conn_df`` and the row)."""
    for frame, what, columns in ((neurons, "neurons_df", NEURON_COLUMNS),
                                 (roi_connections, "roi_conn_df", _columns(True))):
        if not isinstance(frame, pd.DataFrame):
            raise InputError(found=f"{what} of type {type(frame).__name__}",
                             expected="a pandas DataFrame as neuprint.fetch_adjacencies returns")
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise InputError(found=f"{what} without columns {missing}",
                             expected=f"columns {list(columns)}", field=what)
    as_text = [frame.astype(object).where(frame.notna(), "").astype(str)
               for frame in (neurons, roi_connections)]
    table = _neurons_from(as_text[0], Path("neurons_df"))
    edges = _connections_from(as_text[1], Path("roi_conn_df"), table["id"].to_numpy(), with_roi=True)
    return build(name, table, edges, "neuprint-python fetch_adjacencies")


NEURON_COLUMNS = ("bodyId", "type", "instance")


def _columns(with_roi: bool) -> tuple[str, ...]:
    return ("bodyId_pre", "bodyId_post", "weight") + (("roi",) if with_roi else ())


def _neurons_from(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    ids = parse_ids(table["bodyId"], path, "bodyId")
    check_unique(ids, path, "bodyId")
    typed = type_table_frame(table["type"].str.strip(), table["instance"].str.strip())
    typed.loc[(typed["cell_class"] == "KC") & (typed["side"] == ""), "side"] = HEMIBRAIN_KC_SIDE
    return make_neurons(ids, table["type"].str.strip(), typed)


def _connections_from(table: pd.DataFrame, path: Path, known: np.ndarray,
                      with_roi: bool) -> pd.DataFrame:
    pre = parse_ids(table["bodyId_pre"], path, "bodyId_pre")
    post = parse_ids(table["bodyId_post"], path, "bodyId_post")
    weight = parse_weights(table["weight"], path, "weight")
    check_known(pre, post, known, path, ("bodyId_pre", "bodyId_post"))
    keys = pd.DataFrame({"pre": pre, "post": post, "roi": table["roi"] if with_roi else ""})
    duplicated = keys.duplicated()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0])
        raise InputError(found=f"pair {pre[row]} -> {post[row]} listed twice",
                         expected="one row per connected pair" + (" and ROI" if with_roi else ""),
                         file=path, line=row + 2)
    return make_edges(pre, post, weight, table["roi"].str.strip() if with_roi else None)


def _checked_against(edges: pd.DataFrame, total: pd.DataFrame, path: Path,
                     partial_rois: bool) -> pd.DataFrame:
    """The per-ROI edges, checked to sum to the total table for every pair (to at most the total
    with ``partial_rois``)."""
    summed = edges.groupby(["pre", "post"])["weight"].sum()
    expected = total.set_index(["pre", "post"])["weight"]
    joined = pd.concat([expected.rename("total"), summed.rename("rois")], axis=1).fillna(0)
    wrong = joined[(joined["rois"] > joined["total"]) if partial_rois
                   else (joined["total"] != joined["rois"])]
    if not wrong.empty:
        (pre, post), row = wrong.index[0], wrong.iloc[0]
        hint = "" if partial_rois else (
            "; a query filtered by ROI (rois=, min_roi_weight) keeps only some ROIs: load it with "
            "load_neuprint(folder, partial_rois=True)")
        raise InputError(found=f"{len(wrong)} pairs whose ROI weights do not sum to the total, "
                         f"e.g. {pre} -> {post}: total {int(row['total'])}, ROI sum "
                         f"{int(row['rois'])}", expected=f"ROI weights that add up to {TOTAL_FILE}"
                         + hint, file=path, field="weight")
    return edges
