"""One entry point for every connectome source, and the MB selection of a whole-brain table."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from ..errors import InputError
from .core import Connectome
from .default import load_default
from .flywire import CLASSIFICATION_FILE, load_flywire
from .larva import load_larva
from .neuprint import EXPORT_DIR_FILES, NEURONS_FILE, find_table, from_neuprint, load_neuprint
from .tables import build, find_file

#: The cell classes that make up the mushroom body circuit.
MB_CLASSES = ("KC", "PN", "APL", "DPM", "MBON", "DAN")
HEMISPHERES = ("R", "L", "both")


def detect_format(folder: Path) -> str:
    """'neuprint', 'flywire' or 'larva' from the files a folder holds."""
    if find_file(folder, CLASSIFICATION_FILE):   # before neuPrint: Codex also has neurons.csv.gz
        return "flywire"
    if find_table(folder, NEURONS_FILE):
        return "neuprint"
    if (folder / "left_adjacency.csv").is_file() or (folder / "right_adjacency.csv").is_file():
        return "larva"
    raise InputError(found=f"a folder without a known connectome table: '{folder}'",
                     expected=f"{NEURONS_FILE} or {EXPORT_DIR_FILES[NEURONS_FILE]} (neuPrint), "
                              f"{CLASSIFICATION_FILE} (FlyWire Codex) "
                              "or left_adjacency.csv/right_adjacency.csv (larva)", file=folder)


def load(source: str | Path) -> Connectome:
    """Load ``"default"`` (the embedded hemibrain-derived default), a data folder of any format, or
    neuprint-python's ``(neurons_df, roi_conn_df)`` (:func:`~mbsim.connectome.neuprint.from_neuprint`).

    A larval folder loads its left side; call :func:`load_larva` for the right.
    """
    if isinstance(source, tuple) and len(source) == 2:
        return from_neuprint(*source)
    if not isinstance(source, (str, os.PathLike)):
        raise InputError(found=f"a {type(source).__name__}",
                         expected="'default', a data folder, or the (neurons_df, roi_conn_df) "
                                  "pair that neuprint.fetch_adjacencies returns")
    if str(source) == "default":
        return dataclasses.replace(load_default(), origin="default")
    folder = Path(source)
    if not folder.is_dir():
        raise InputError(found=f"'{source}', which is neither 'default' nor a folder",
                         expected="'default' or a folder with a neuPrint, FlyWire or larval export",
                         example="../shared/data/connectome/hemibrain_v1.2.1_mb")
    loader = {"neuprint": load_neuprint, "flywire": load_flywire, "larva": load_larva}
    return dataclasses.replace(loader[detect_format(folder)](folder), origin=str(source))


def select(connectome: Connectome, hemisphere: str = "R") -> Connectome:
    """The mushroom body neurons of one hemisphere (``"R"``, ``"L"``) or of both (``"both"``).

    Side is the hemisphere a data set gives a neuron (hemibrain: instance suffix, i.e. soma side);
    MB neurons without a side are kept in either selection. A table without any sides can be
    selected with ``"both"`` only.
    """
    if hemisphere not in HEMISPHERES:
        raise InputError(found=f"hemisphere '{hemisphere}'", expected="one of R, L, both",
                         field="hemisphere")
    neurons = connectome.neurons
    keep = neurons["cell_class"].isin(MB_CLASSES)
    if hemisphere != "both":
        if not (neurons.loc[keep, "side"] != "").any():
            raise InputError(found=f"no side information in '{connectome.name}'",
                             expected="hemisphere 'both' for a table without L/R sides",
                             field="hemisphere")
        keep &= neurons["side"].isin([hemisphere, ""])
    suffix = "mb" if hemisphere == "both" else f"mb_{hemisphere}"
    part = connectome.subset(neurons.loc[keep, "id"])
    return build(f"{connectome.name}_{suffix}", part.neurons, part.edges, connectome.source)
