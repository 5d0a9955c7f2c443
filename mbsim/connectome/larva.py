"""Load the larval mushroom body of Eichler et al. 2017 (dense adjacency plus one label per row)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .core import Connectome
from .tables import build, make_edges

#: Eichler et al. 2017 labels -> (cell class, cell type, subtype). Larval KCs are not split into
#: subtypes here; "I" (modulatory input neurons) mixes dopaminergic, octopaminergic and unidentified
#: neurons and is typed DAN with subtype "MBIN".
LABELS = {"K": ("KC", "KC", "KC"), "P": ("PN", "PN", ""), "I": ("DAN", "MBIN", "MBIN"),
          "O": ("MBON", "MBON", "")}
SIDES = {"left": "L", "right": "R"}


def load_larva(folder: str | Path, side: str = "left") -> Connectome:
    """Load ``{side}_adjacency.csv`` (rows presynaptic, synapse counts, space separated) and
    ``{side}_cell_labels.csv`` (K, P, I or O per row). Neuron ids are the row numbers 1..n.
    """
    if side not in SIDES:
        raise InputError(found=f"side '{side}'", expected="'left' or 'right'", field="side")
    folder = Path(folder)
    labels_path = folder / f"{side}_cell_labels.csv"
    matrix_path = folder / f"{side}_adjacency.csv"
    labels = _read_labels(labels_path)
    matrix = _read_matrix(matrix_path, len(labels))
    ids = np.arange(1, len(labels) + 1, dtype=np.int64)
    classes = [LABELS[label] for label in labels]
    neurons = pd.DataFrame({
        "id": ids, "cell_class": [c[0] for c in classes], "cell_type": [c[1] for c in classes],
        "subtype": [c[2] for c in classes], "compartments": "", "side": SIDES[side],
        "glomerulus": "", "valence": ""})
    pre, post = np.nonzero(matrix)
    edges = make_edges(ids[pre], ids[post], matrix[pre, post])
    return build(f"larva_eichler2017_{side}", neurons, edges, f"Eichler et al. 2017 {folder}")


def _read_labels(path: Path) -> list[str]:
    if not path.is_file():
        raise InputError(found=f"no file '{path.name}'", expected="the label file of the side",
                         file=path)
    labels = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if not labels:
        raise InputError(found="an empty file", expected="one label (K, P, I or O) per row",
                         file=path)
    for number, label in enumerate(labels, start=1):
        if label not in LABELS:
            raise InputError(found=f"label '{label}'", expected="one of K, P, I, O", file=path,
                             line=number)
    return labels


def _read_matrix(path: Path, size: int) -> np.ndarray:
    if not path.is_file():
        raise InputError(found=f"no file '{path.name}'", expected="the adjacency matrix of the side",
                         file=path)
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    if len(lines) != size:
        raise InputError(found=f"{len(lines)} rows", expected=f"{size} rows, one per label",
                         file=path)
    matrix = np.zeros((size, size), dtype=np.int64)
    for number, line in enumerate(lines, start=1):
        cells = line.split()
        if len(cells) != size:
            raise InputError(found=f"{len(cells)} values", expected=f"{size} values per row",
                             file=path, line=number)
        for column, cell in enumerate(cells, start=1):
            try:
                value = float(cell)
            except ValueError:
                value = float("nan")
            if not (np.isfinite(value) and value >= 0 and value == int(value)):
                kind = ("negative" if value < 0 else "non-integer" if np.isfinite(value)
                        else "non-numeric")
                raise InputError(found=f"{kind} weight '{cell}'",
                                 expected="a non-negative integer synapse count", file=path,
                                 line=number, field=f"column {column}")
            matrix[number - 1, column - 1] = int(value)
    return matrix
