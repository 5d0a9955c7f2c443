"""The in-memory connectome: a neuron table, an edge table and a graph view.

Every loader (neuPrint, FlyWire Codex, larval adjacency, the embedded default) returns a
:class:`Connectome` with the same columns, so the network layer never knows where data came from.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd

#: Columns of :attr:`Connectome.neurons`, in order.
NEURON_COLUMNS = ("id", "cell_class", "cell_type", "subtype", "compartments", "side", "glomerulus",
                  "valence")
#: Columns of :attr:`Connectome.edges`, in order (``roi`` is "" when unknown).
EDGE_COLUMNS = ("pre", "post", "weight", "roi")
#: Optional neuron column: a transmitter the data set predicts per neuron (FlyWire ``nt_type``).
TRANSMITTER_COLUMN = "transmitter"
#: The cell classes the MB typing assigns; anything else is "other".
CELL_CLASSES = ("KC", "PN", "APL", "DPM", "MBON", "DAN", "other")


@dataclass(frozen=True)
class Connectome:
    """Neurons and synapse counts of one mushroom body data set.

    ``neurons``: one row per neuron; ``id`` int64, ``cell_class`` one of :data:`CELL_CLASSES`,
    ``cell_type`` the data set's type name, ``subtype`` (KC subtype such as ``KCg-m``, DAN family
    ``PAM``/``PPL1``), ``compartments`` the MB compartments a MBON/DAN innervates joined by ``;``
    (e.g. ``g1;pedc``), ``side`` (``R``, ``L`` or ``""``), ``glomerulus`` (PNs only), ``valence``
    (MBONs ``avoidance``/``approach``; DANs ``punishment``/``reward``; otherwise ``""``);
    optionally ``transmitter`` (:data:`TRANSMITTER_COLUMN`) where the data set predicts it.
    ``edges``: one row per connected pair and ROI; ``weight`` is the synapse count (int64);
    pair totals are the sums over ROIs (:meth:`pair_weights`).
    ``missing_edge_classes``: class pairs the data cannot contain (e.g. ``APL->KC``), reported, never
    invented here.
    """

    name: str
    neurons: pd.DataFrame
    edges: pd.DataFrame
    source: str = ""
    missing_edge_classes: tuple[str, ...] = field(default=())
    #: what :func:`mbsim.connectome.load` was given ("default" or a folder); "" once selected or
    #: edited in memory, so a result says whether the connectome can be loaded again
    origin: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        missing = [c for c in NEURON_COLUMNS if c not in self.neurons.columns]
        missing += [c for c in EDGE_COLUMNS if c not in self.edges.columns]
        if missing:
            raise ValueError(f"Connectome '{self.name}' lacks columns {missing}")

    # --- tables -----------------------------------------------------------------
    def pair_weights(self) -> pd.DataFrame:
        """Total synapse count per connected (pre, post) pair, summed over ROIs."""
        return (self.edges.groupby(["pre", "post"], as_index=False, sort=True)["weight"].sum())

    def of_class(self, cell_class: str) -> pd.DataFrame:
        """The neuron rows of one cell class, in table order."""
        return self.neurons[self.neurons["cell_class"] == cell_class]

    def class_of(self) -> pd.Series:
        """Map neuron id -> cell class."""
        return self.neurons.set_index("id")["cell_class"]

    def counts_by_class(self) -> pd.Series:
        """Neuron count per cell class."""
        return self.neurons["cell_class"].value_counts().reindex(CELL_CLASSES, fill_value=0)

    def synapses_by_class_pair(self) -> pd.DataFrame:
        """Synapse and pair counts per (pre class, post class)."""
        pairs = self.pair_weights()
        cls = self.class_of()
        pairs = pairs.assign(pre_class=cls.reindex(pairs["pre"]).to_numpy(),
                             post_class=cls.reindex(pairs["post"]).to_numpy())
        return (pairs.groupby(["pre_class", "post_class"])
                .agg(pairs=("weight", "size"), synapses=("weight", "sum")).reset_index())

    # --- views --------------------------------------------------------------------
    def graph(self) -> nx.DiGraph:
        """A networkx view: nodes carry the neuron columns, edges the total ``weight``."""
        g = nx.DiGraph(name=self.name)
        for row in self.neurons.itertuples(index=False):
            g.add_node(int(row.id), **{c: getattr(row, c) for c in NEURON_COLUMNS[1:]})
        pairs = self.pair_weights()
        g.add_weighted_edges_from(zip(pairs["pre"].tolist(), pairs["post"].tolist(),
                                      pairs["weight"].tolist()))
        return g

    def checksum(self) -> str:
        """SHA-256 of the neuron and edge tables (the transmitter column too, where there is
        one), recorded in every result's provenance."""
        digest = hashlib.sha256()
        neuron_columns = NEURON_COLUMNS + ((TRANSMITTER_COLUMN,)
                                           if TRANSMITTER_COLUMN in self.neurons.columns else ())
        for table, cols in ((self.neurons, neuron_columns), (self.edges, EDGE_COLUMNS)):
            ordered = table[list(cols)].sort_values(list(cols[:2])).reset_index(drop=True)
            digest.update(pd.util.hash_pandas_object(ordered, index=False).to_numpy().tobytes())
        return digest.hexdigest()

    def subset(self, ids, name: str | None = None) -> "Connectome":
        """The connectome restricted to the given neuron ids (edges among them only)."""
        keep = np.asarray(sorted(set(int(i) for i in ids)), dtype=np.int64)
        neurons = self.neurons[self.neurons["id"].isin(keep)].reset_index(drop=True)
        edges = self.edges[self.edges["pre"].isin(keep) & self.edges["post"].isin(keep)]
        return Connectome(name or self.name, neurons, edges.reset_index(drop=True), self.source,
                          self.missing_edge_classes)
