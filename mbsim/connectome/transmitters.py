"""The transmitter of each neuron and the sign of its fast action (excites +1, inhibits -1).

A data set that predicts transmitters per neuron (FlyWire's ``nt_type``, kept by the loader as the
optional ``transmitter`` column) gives each cell type the majority of its neurons' predictions;
otherwise the type table ``connectome/mb_types.csv`` (Aso et al. 2014a eLife and the sources it
names) does. Signs come from the data file ``connectome/transmitter_signs.csv``; an unknown
transmitter has sign 0, so such a neuron's recurrent synapses are left out.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from ..paths import CONNECTOME_DIR
from .core import TRANSMITTER_COLUMN
from .mbtypes import table_type, type_table

TRANSMITTER_SIGNS_FILE = CONNECTOME_DIR / "transmitter_signs.csv"
#: FlyWire ``nt_type`` codes and the transmitter names of the type table.
FLYWIRE_TRANSMITTERS = {"ACH": "acetylcholine", "GABA": "GABA", "GLUT": "glutamate",
                        "DA": "dopamine", "SER": "serotonin", "OCT": "octopamine"}


@lru_cache(maxsize=1)
def transmitter_signs() -> pd.DataFrame:
    """The sign table, indexed by transmitter: ``sign``, ``basis``, ``source``."""
    return pd.read_csv(TRANSMITTER_SIGNS_FILE, dtype={"sign": int}, keep_default_na=False
                       ).set_index("transmitter")


def transmitters(neurons: pd.DataFrame) -> pd.Series:
    """The transmitter of each neuron (same index as ``neurons``; "unknown" when none is known)."""
    predicted = neurons.get(TRANSMITTER_COLUMN, pd.Series("", index=neurons.index))
    known = predicted[predicted != ""]
    majority = known.groupby(neurons.loc[known.index, "cell_type"]).agg(_majority)
    from_data = neurons["cell_type"].map(majority).fillna("")
    table = type_table()["neurotransmitter"]
    from_table = neurons["cell_type"].map(lambda t: table.get(table_type(t), "unknown"))
    return from_data.where(from_data != "", from_table)


def signs(neurons: pd.DataFrame) -> np.ndarray:
    """The sign (+1, -1 or 0 when unknown) of each neuron's transmitter."""
    table = transmitter_signs()["sign"]
    return transmitters(neurons).map(table).fillna(0).to_numpy(float)


def _majority(values: pd.Series) -> str:
    """The most frequent value; "" on a tie (the type table decides then)."""
    counts = values.value_counts()
    return counts.index[0] if len(counts) == 1 or counts.iloc[0] > counts.iloc[1] else ""
