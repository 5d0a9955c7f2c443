"""Load a neuPrint bulk export (hemibrain): traced neurons, total and per-ROI connections."""

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
#: Side of KCs whose instance has no side suffix (hemibrain v1.0): the hemibrain volume holds the
#: right mushroom body only, and KCs are intrinsic to it (Scheffer et al. 2020).
HEMIBRAIN_KC_SIDE = "R"


def load_neuprint(folder: str | Path) -> Connectome:
    """Load ``traced-neurons.csv`` (bodyId, type, instance in any order) and, when present, the
    connection tables. ROI rows become the edges when ``traced-roi-connections.csv`` exists; their
    sums must equal ``traced-total-connections.csv`` pair by pair. A folder with the neuron table
    only gives a connectome without edges (e.g. the whole-brain hemibrain table).
    """
    folder = Path(folder)
    neurons_path = find_file(folder, NEURONS_FILE)
    if neurons_path is None:
        raise InputError(found=f"no {NEURONS_FILE} in '{folder}'",
                         expected="a neuPrint bulk export folder", file=folder)
    neurons = _read_neurons(neurons_path)
    known = neurons["id"].to_numpy()
    total_path, roi_path = find_file(folder, TOTAL_FILE), find_file(folder, ROI_FILE)
    if total_path is None and roi_path is not None:
        raise InputError(found=f"{ROI_FILE} without {TOTAL_FILE}",
                         expected="the total connection table beside the ROI table", file=folder)
    if total_path is None:
        edges = make_edges([], [], [])
    else:
        total = _read_connections(total_path, known, with_roi=False)
        edges = total if roi_path is None else _roi_edges(roi_path, total, known)
    return build(folder.name, neurons, edges, f"neuPrint export {folder}")


def _read_neurons(path: Path) -> pd.DataFrame:
    table = read_table(path, ("bodyId", "type", "instance"))
    ids = parse_ids(table["bodyId"], path, "bodyId")
    check_unique(ids, path, "bodyId")
    typed = type_table_frame(table["type"].str.strip(), table["instance"].str.strip())
    typed.loc[(typed["cell_class"] == "KC") & (typed["side"] == ""), "side"] = HEMIBRAIN_KC_SIDE
    return make_neurons(ids, table["type"].str.strip(), typed)


def _read_connections(path: Path, known: np.ndarray, with_roi: bool) -> pd.DataFrame:
    columns = ("bodyId_pre", "bodyId_post", "weight") + (("roi",) if with_roi else ())
    table = read_table(path, columns)
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


def _roi_edges(path: Path, total: pd.DataFrame, known: np.ndarray) -> pd.DataFrame:
    """The per-ROI edges, checked to sum to the total table for every pair."""
    edges = _read_connections(path, known, with_roi=True)
    summed = edges.groupby(["pre", "post"])["weight"].sum()
    expected = total.set_index(["pre", "post"])["weight"]
    joined = pd.concat([expected.rename("total"), summed.rename("rois")], axis=1).fillna(0)
    wrong = joined[joined["total"] != joined["rois"]]
    if not wrong.empty:
        (pre, post), row = wrong.index[0], wrong.iloc[0]
        raise InputError(found=f"{len(wrong)} pairs whose ROI weights do not sum to the total, "
                         f"e.g. {pre} -> {post}: total {int(row['total'])}, ROI sum "
                         f"{int(row['rois'])}", expected=f"ROI weights that add up to {TOTAL_FILE}",
                         file=path, field="weight")
    return edges
