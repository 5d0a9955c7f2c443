"""Load FlyWire FAFB tables in the Codex download layout.

The Codex v783 download has ``classification.csv.gz`` (root_id, flow, super_class, class,
sub_class, hemilineage, side, nerve) without cell types, which come in
``consolidated_cell_types.csv.gz`` (root_id, primary_type, additional_type(s)), and connections in
``connections.csv.gz`` or ``connections_princeton.csv.gz`` (pre_root_id, post_root_id, neuropil,
syn_count, nt_type; one row per neuropil). Exports that put ``cell_type`` into the classification
table (the older Codex-like layout) load too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .core import TRANSMITTER_COLUMN, Connectome
from .mbtypes import type_table_frame
from .transmitters import FLYWIRE_TRANSMITTERS
from .tables import (build, check_known, check_unique, find_file, make_edges, make_neurons,
                     parse_ids, parse_weights, read_table)

CLASSIFICATION_FILE = "classification.csv"
CELL_TYPES_FILE = "consolidated_cell_types.csv"
#: Codex table of per-neuron transmitter predictions (root_id, nt_type, ...); optional.
TRANSMITTERS_FILE = "neurons.csv"
#: Connection tables in order of preference (Codex offers both; the first found is read).
CONNECTIONS_FILES = ("connections.csv", "connections_princeton.csv")
#: FlyWire ``class`` values that name an MB cell class outright.
CLASS_HINTS = {"Kenyon_Cell": "KC", "ALPN": "PN", "DAN": "DAN", "MBON": "MBON"}
_SIDES = {"left": "L", "right": "R", "L": "L", "R": "R"}


def load_flywire(folder: str | Path) -> Connectome:
    """Load a Codex download: ``classification.csv[.gz]``, the cell types (in it, or in
    ``consolidated_cell_types.csv[.gz]``) and ``connections.csv[.gz]`` or
    ``connections_princeton.csv[.gz]``.

    Connections with a ``neuropil`` column keep one edge per neuropil (``roi``); pair totals are
    the sums over neuropils. Side comes from a ``side`` column when the export has one; the
    predicted transmitter (``nt_type``, in the classification or in ``neurons.csv[.gz]``) becomes
    the ``transmitter`` column (:mod:`mbsim.connectome.transmitters`).
    """
    folder = Path(folder)
    classification = find_file(folder, CLASSIFICATION_FILE)
    connections = next(filter(None, (find_file(folder, name) for name in CONNECTIONS_FILES)), None)
    if classification is None or connections is None:
        missing = CLASSIFICATION_FILE if classification is None else " or ".join(CONNECTIONS_FILES)
        raise InputError(found=f"no {missing}[.gz] in '{folder}'",
                         expected="a FlyWire Codex download folder", file=folder)
    neurons = _read_classification(classification, find_file(folder, CELL_TYPES_FILE),
                                   find_file(folder, TRANSMITTERS_FILE))
    edges = _read_connections(connections, neurons["id"].to_numpy())
    return build(folder.name, neurons, edges, f"FlyWire Codex tables {folder}")


def _read_classification(path: Path, cell_types_path: Path | None,
                         transmitters_path: Path | None) -> pd.DataFrame:
    table = read_table(path, ("root_id", "class"))
    ids = parse_ids(table["root_id"], path, "root_id")
    check_unique(ids, path, "root_id")
    if "cell_type" in table.columns:
        cell_types = table["cell_type"].str.strip()
    elif cell_types_path is not None:
        cell_types = _by_root_id(cell_types_path, ids, "primary_type")
    else:
        raise InputError(found="no column 'cell_type' and no consolidated_cell_types.csv[.gz]",
                         expected="cell types: a 'cell_type' column, or the Codex file "
                         "consolidated_cell_types.csv.gz (root_id, primary_type) beside it",
                         file=path, line=1)
    hints = table["class"].str.strip().map(CLASS_HINTS).fillna("")
    typed = type_table_frame(cell_types, None, hints)
    if "sub_class" in table.columns:
        multi = (table["sub_class"].str.strip() == "multiglomerular").to_numpy()
        typed.loc[multi, "glomerulus"] = ""
    if "side" in table.columns:
        typed["side"] = table["side"].str.strip().map(_SIDES).fillna("").to_numpy()
    neurons = make_neurons(ids, cell_types, typed)
    if "nt_type" in table.columns:
        predicted = table["nt_type"].str.strip()
    elif transmitters_path is not None:
        predicted = _by_root_id(transmitters_path, ids, "nt_type")
    else:
        return neurons
    transmitter = predicted.map(FLYWIRE_TRANSMITTERS).fillna("").to_numpy()
    return neurons.assign(**{TRANSMITTER_COLUMN: transmitter})


def _by_root_id(path: Path, ids: np.ndarray, column: str) -> pd.Series:
    """One column of a per-neuron Codex table for each root id (empty where it has none)."""
    table = read_table(path, ("root_id", column))
    typed_ids = parse_ids(table["root_id"], path, "root_id")
    check_unique(typed_ids, path, "root_id")
    values = pd.Series(table[column].str.strip().to_numpy(), index=typed_ids)
    return pd.Series(values.reindex(ids).fillna("").to_numpy())


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
