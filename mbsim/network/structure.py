"""The network's structure from a connectome: neuron groups, synapse lists and compartment maps.

Only what the spiking model uses is kept: PN->KC, KC->APL (mirrored as APL->KC, since the data sets
have no APL->KC edges) and KC->MBON synapse counts, the recurrent MBON->DAN, MBON->MBON and DAN->MBON
synapse counts signed by the presynaptic neuron's transmitter (:mod:`mbsim.connectome.transmitters`;
simulated only when the network parameter ``recurrent`` is on), the MBON/DAN types with their
valence and compartments, and each neuron's total output synapse count (for release events).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from ..connectome.core import Connectome
from ..connectome.mbtypes import COMPARTMENTS, kc_lobe_class, lobe_compartments
from ..connectome.transmitters import signs
from ..errors import InputError

#: Compartments of the plasticity rule: the 15 lobe compartments and the peduncle.
NETWORK_COMPARTMENTS = COMPARTMENTS + ("pedc",)
#: Cell classes simulated as spiking groups, in index order.
GROUPS = ("PN", "KC", "APL", "MBON", "DAN")
#: The recurrent pathways (pre class, post class), simulated when ``recurrent`` is on.
RECURRENT_PATHWAYS = (("MBON", "DAN"), ("MBON", "MBON"), ("DAN", "MBON"))


@dataclass(frozen=True)
class Synapses:
    """Connected pairs between two groups: group-local indices and synapse counts (recurrent
    pathways: signed by the presynaptic transmitter, +count excites, -count inhibits)."""

    pre: np.ndarray
    post: np.ndarray
    count: np.ndarray


@dataclass(frozen=True)
class NetworkStructure:
    """Group tables and synapse lists derived from one connectome (see module docstring)."""

    connectome_name: str
    groups: dict[str, pd.DataFrame]   # cell class -> neuron rows (index 0..n-1)
    pn_kc: Synapses
    kc_apl: np.ndarray                # per KC: synapses onto APL (all APL neurons summed)
    kc_mbon: Synapses
    output_synapses: dict[str, np.ndarray]  # cell class -> per neuron total output synapse count
    compartments: tuple[str, ...]
    kc_compartment_mask: np.ndarray   # (n_kc, n_comp) bool
    synapse_compartments: sparse.csr_matrix  # (n_kc_mbon, n_comp) averaging weights, rows sum to 1 or 0
    mbon_types: tuple[str, ...]
    mbon_type_index: np.ndarray       # per MBON neuron
    mbon_valence: np.ndarray          # per MBON type: +1 avoidance, -1 approach, 0 unknown
    dan_types: tuple[str, ...]
    dan_type_index: np.ndarray
    dan_compartments: np.ndarray      # (n_dan, n_comp) bool
    recurrent: dict[tuple[str, str], Synapses]  # RECURRENT_PATHWAYS -> signed synapses

    def input_weights(self, synapses: Synapses, n_post: int, compensation: float) -> np.ndarray:
        """Synapse counts scaled by ``(mean total / total of the postsynaptic neuron) ** compensation``:
        0 keeps raw counts, 1 gives every neuron the mean total input (homeostatic compensation,
        cf. Apostolopoulou & Lin 2020 PNAS for KC claw number)."""
        total = np.bincount(synapses.post, weights=synapses.count, minlength=n_post)
        ratio = np.divide(total[total > 0].mean(), total, out=np.zeros(n_post), where=total > 0)
        return synapses.count * ratio[synapses.post] ** compensation

    def apl_inputs(self, mirroring: float) -> np.ndarray:
        """Mirrored APL->KC synapse count per KC: ``mean * (kc_apl / mean) ** mirroring``; 1 mirrors
        the KC->APL counts, 0 gives every KC the mean count (uniform inhibition)."""
        mean = self.kc_apl.mean()
        return mean * (self.kc_apl / mean) ** mirroring

    @property
    def n_kc(self) -> int:
        return len(self.groups["KC"])

    def size(self, cell_class: str) -> int:
        return len(self.groups[cell_class])

    def digest(self, recurrent: bool = False) -> str:
        """Hash of everything the compiled network depends on (the recurrent synapses only when
        they are simulated, so a network without them keeps its hash)."""
        h = hashlib.sha256()
        for name in GROUPS:
            h.update(name.encode() + str(self.size(name)).encode())
        arrays = [self.pn_kc.pre, self.pn_kc.post, self.pn_kc.count, self.kc_apl,
                  self.kc_mbon.pre, self.kc_mbon.post, self.kc_mbon.count]
        if recurrent:
            arrays += [a for pathway in RECURRENT_PATHWAYS for a in (
                self.recurrent[pathway].pre, self.recurrent[pathway].post,
                self.recurrent[pathway].count)]
        for arr in arrays:
            h.update(np.ascontiguousarray(arr).tobytes())
        return h.hexdigest()[:16]


def build_structure(connectome: Connectome) -> NetworkStructure:
    """Derive the :class:`NetworkStructure`; a connectome without KCs, PNs or MBONs is rejected."""
    neurons = connectome.neurons
    for needed in ("KC", "PN", "MBON", "DAN"):
        if not (neurons["cell_class"] == needed).any():
            raise InputError(found=f"connectome '{connectome.name}' without {needed} neurons",
                             expected="a mushroom body connectome with PNs, KCs, MBONs and DANs",
                             field="cell_class")
    groups = {c: neurons[neurons["cell_class"] == c].reset_index(drop=True) for c in GROUPS}
    if groups["APL"].empty:  # one APL unit; its KC input is then uniform (see kc_apl below)
        groups["APL"] = pd.DataFrame([{c: "" for c in neurons.columns} | {"id": -1,
                                      "cell_class": "APL", "cell_type": "APL"}])
    index = {c: pd.Series(np.arange(len(g)), index=g["id"].to_numpy()) for c, g in groups.items()}
    pairs = connectome.pair_weights()
    pn_kc = _synapses(pairs, index["PN"], index["KC"])
    kc_mbon = _synapses(pairs, index["KC"], index["MBON"])
    if len(kc_mbon.pre) == 0:
        raise InputError(found=f"connectome '{connectome.name}' without KC->MBON synapses",
                         expected="KC->MBON edges", field="edges")
    to_apl = _synapses(pairs, index["KC"], index["APL"])
    kc_apl = np.bincount(to_apl.pre, weights=to_apl.count, minlength=len(groups["KC"]))
    if groups["APL"]["id"].iloc[0] == -1 or kc_apl.sum() == 0:
        kc_apl = np.ones(len(groups["KC"]))
    out = pairs.groupby("pre")["weight"].sum()
    output_synapses = {c: out.reindex(g["id"]).fillna(0).to_numpy(float) for c, g in groups.items()}
    compartments = NETWORK_COMPARTMENTS
    mbon_comp = _compartment_matrix(groups["MBON"], compartments)
    dan_comp = _compartment_matrix(groups["DAN"], compartments)
    kc_mask = _kc_mask(groups["KC"], compartments) & mbon_comp.any(axis=0)[None, :]
    syn_comp = mbon_comp[kc_mbon.post] & kc_mask[kc_mbon.pre]
    norm = syn_comp.sum(axis=1, keepdims=True)
    averaging = sparse.csr_matrix(np.divide(syn_comp, norm, out=np.zeros(syn_comp.shape),
                                            where=norm > 0))
    mbon_types, mbon_type_index = _types(groups["MBON"])
    valence_of = groups["MBON"].groupby("cell_type")["valence"].first()
    mbon_valence = np.array([{"avoidance": 1.0, "approach": -1.0}.get(valence_of[t], 0.0)
                             for t in mbon_types])
    dan_types, dan_type_index = _types(groups["DAN"])
    recurrent = {(pre, post): _signed(_synapses(pairs, index[pre], index[post]),
                                      signs(groups[pre]))
                 for pre, post in RECURRENT_PATHWAYS}
    return NetworkStructure(connectome.name, groups, pn_kc, kc_apl, kc_mbon, output_synapses,
                            compartments, kc_mask, averaging, mbon_types, mbon_type_index,
                            mbon_valence, dan_types, dan_type_index, dan_comp, recurrent)


def _synapses(pairs: pd.DataFrame, pre_index: pd.Series, post_index: pd.Series) -> Synapses:
    chosen = pairs[pairs["pre"].isin(pre_index.index) & pairs["post"].isin(post_index.index)]
    chosen = chosen[chosen["weight"] > 0]
    return Synapses(pre_index.reindex(chosen["pre"]).to_numpy(np.int32),
                    post_index.reindex(chosen["post"]).to_numpy(np.int32),
                    chosen["weight"].to_numpy(float))


def _signed(synapses: Synapses, presynaptic_sign: np.ndarray) -> Synapses:
    """The synapses with counts signed by their presynaptic neuron; unsigned (unknown
    transmitter) neurons' synapses are dropped."""
    sign = presynaptic_sign[synapses.pre]
    keep = sign != 0
    return Synapses(synapses.pre[keep], synapses.post[keep], synapses.count[keep] * sign[keep])


def _compartment_matrix(table: pd.DataFrame, compartments) -> np.ndarray:
    sets = [set(str(v).split(";")) for v in table["compartments"]]
    return np.array([[c in s for c in compartments] for s in sets], dtype=bool).reshape(
        len(table), len(compartments))


def _kc_mask(kcs: pd.DataFrame, compartments) -> np.ndarray:
    """KC k can reach compartment c if c is a lobe compartment of its class or the peduncle."""
    mask = np.zeros((len(kcs), len(compartments)), dtype=bool)
    for lobe in ("gamma", "a'b'", "ab"):
        allowed = [c in lobe_compartments(lobe) or c == "pedc" for c in compartments]
        rows = np.array([kc_lobe_class(s) == lobe for s in kcs["subtype"]], dtype=bool)
        mask[rows] = allowed
    untyped = np.array([kc_lobe_class(s) == "" for s in kcs["subtype"]], dtype=bool)
    mask[untyped] = True
    return mask


def _types(table: pd.DataFrame) -> tuple[tuple[str, ...], np.ndarray]:
    types = tuple(sorted(table["cell_type"].unique()))
    lookup = {t: i for i, t in enumerate(types)}
    return types, np.array([lookup[t] for t in table["cell_type"]], dtype=np.int32)
