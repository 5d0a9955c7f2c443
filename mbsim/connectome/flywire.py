"""Load FlyWire FAFB tables in the Codex download layout (classification and connections)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .core import Connectome
from .mbtypes import type_table_frame
from .tables import (build, check_known, check_unique, find_file, make_edges, make_neurons,
                     parse_ids, parse_weights, read_table)

CLASSIFICATION_FILE = "classification.csv"
CONNECTIONS_FILE = "connections.csv"
#: FlyWire ``class`` values that name an MB cell class outright.
CLASS_HINTS = {"Kenyon_Cell": "KC", "ALPN": "PN", "DAN": "DAN", "MBON": "MBON"}
_SIDES = {"left": "L", "right": "R", "L": "L", "R": "R"}


def load_flywire(folder: str | Path) -> Connectome:
    """Load ``classification.csv[.gz]`` and ``connections.csv[.gz]`` of a Codex download.

    Connections with a ``neuropil`` column keep one edge per neuropil (``roi``); pair totals are
    the sums over neuropils. Side comes from a ``side`` column when the export has one.
    """
    folder = Path(folder)
    paths = {name: find_file(folder, name) for name in (CLASSIFICATION_FILE, CONNECTIONS_FILE)}
    for name, path in paths.items():
        if path is None:
            raise InputError(found=f"no {name}[.gz] in '{folder}'",
                             expected="a FlyWire Codex download folder", file=folder)
    neurons = _read_classification(paths[CLASSIFICATION_FILE])
    edges = _read_connections(paths[CONNECTIONS_FILE], neurons["id"].to_numpy())
    return build(folder.name, neurons, edges, f"FlyWire Codex tables {folder}")


def _read_classification(path: Path) -> pd.DataFrame:
    table = read_table(path, ("root_id", "class", "cell_type"))
    ids = parse_ids(table["root_id"], path, "root_id")
    check_unique(ids, path, "root_id")
    cell_types = table["cell_type"].str.strip()
    hints = table["class"].str.strip().map(CLASS_HINTS).fillna("")
    typed = type_table_frame(cell_types, None, hints)
    if "sub_class" in table.columns:
        multi = (table["sub_class"].str.strip() == "multiglomerular").to_numpy()
        typed.loc[multi, "glomerulus"] = ""
    if "side" in table.columns:
        typed["side"] = table["side"].str.strip().map(_SIDES).fillna("").to_numpy()
    return make_neurons(ids, cell_types, typed)


def _read_connections(path: Path, known: np.ndarray) -> pd.DataFrame:
    table = read_table(path, ("pre_root_id", "post_root_id", "syn_count"))
    pre = parse_ids(table["pre_root_id"], path, "pre_root_id")
    post = parse_ids(table["post_root_id"], path, "post_root_id")
    weight = parse_weights(table["syn_count"], path, "syn_count")
    check_known(pre, post, known, path, ("pre_root_id", "post_root_id"))
    roi = table["neuropil"].str.strip() if "neuropil" in table.columns else None
    keys = pd.DataFrame({"pre": pre, "post": post, "roi": "" if roi is None else roi})
    duplicated = keys.duplicated()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0])
        raise InputError(found=f"pair {pre[row]} -> {post[row]} listed twice",
                         expected="one row per connected pair and neuropil", file=path,
                         line=row + 2)
    return make_edges(pre, post, weight, roi)
