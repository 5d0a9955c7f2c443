"""The spiking mushroom body: build from a connectome, simulate windows, summarise what they did.

``MushroomBodyNetwork(connectome).simulate(window, efficacy)`` returns a :class:`WindowResult`: KC
responses per odor pulse, MBON rates per pulse, DAN rates per second, spike and release counts, and
the plasticity integrals of the window. The result is a pure function of the window (including its
seed) and the efficacy array.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..connectome.core import Connectome
from ..errors import InputError
from ..stimulus import Window
from .compiled import GROUP_OF, CompiledNetwork, compiled_network, is_cached
from .inputs import WindowInputs, prepare_inputs
from .odors import OdorLibrary
from .parameters import NetworkParameters, load_parameters
from .plasticity import chance_integrals, coincidence_integrals
from .structure import build_structure


@dataclass(frozen=True, eq=False)
class WindowResult:
    """What one window did. Rates in Hz; arrays ordered as the network's names say. The APL is
    graded (no spikes), so it appears in neither ``spikes_by_type`` nor ``release_events``."""

    window: Window
    compartments: tuple[str, ...]
    depression: np.ndarray       # (n_kc, n_comp)
    potentiation: np.ndarray     # (n_kc, n_comp)
    kc_counts: np.ndarray        # (n_odor_pulses, n_kc) spikes during each pulse
    chance_depression: np.ndarray    # (n_kc, n_comp) [s] depression / potentiation integrals
    chance_potentiation: np.ndarray  # that 1 Hz of tonic dopamine gives these KC spikes by chance
    mbon_types: tuple[str, ...]
    mbon_rates: np.ndarray       # (n_odor_pulses, n_mbon_types) mean rate per neuron of the type
    dan_types: tuple[str, ...]
    dan_rates: np.ndarray        # (n_seconds, n_dan_types), 1 s bins
    spikes_by_type: pd.Series    # cell_type -> spikes in the window
    release_events: dict         # presynaptic cell class -> sum over spikes of output synapse count
    #: cell class -> (indices within the class, times [s] from the window start), for the classes
    #: asked for (``record``); MBON trains are this readout column's
    spike_trains: dict = field(default_factory=dict)


class MushroomBodyNetwork:
    """A connectome-built spiking MB, compiled once and reused for every window."""

    def __init__(self, connectome: Connectome, params: NetworkParameters | str | None = None,
                 odors: OdorLibrary | None = None):
        self.params = params if isinstance(params, NetworkParameters) else load_parameters(params)
        self.odors = odors if odors is not None else OdorLibrary.synthetic(self.params)
        self.connectome = connectome
        self.structure = build_structure(connectome)
        self._compiled: dict[bool, CompiledNetwork] = {}     # by "monitors PN spikes"

    # --- names the memory engine relies on --------------------------------------------------
    @property
    def compartments(self) -> tuple[str, ...]:
        return self.structure.compartments

    @property
    def n_kc(self) -> int:
        return self.structure.n_kc

    @property
    def kc_ids(self) -> np.ndarray:
        return self.structure.groups["KC"]["id"].to_numpy()

    @property
    def kc_compartment_mask(self) -> np.ndarray:
        return self.structure.kc_compartment_mask

    @property
    def mbon_types(self) -> tuple[str, ...]:
        return self.structure.mbon_types

    @property
    def mbon_valence(self) -> np.ndarray:
        """+1 for avoidance MBON types, -1 for approach, 0 when unknown (order of mbon_types)."""
        return self.structure.mbon_valence

    @property
    def dan_types(self) -> tuple[str, ...]:
        return self.structure.dan_types

    @property
    def is_compiled(self) -> bool:
        """True when the compiled network is loaded or waits in the cache folder."""
        return False in self._compiled or is_cached(self.structure, self.params)

    def compile(self, pn_spikes: bool = False) -> CompiledNetwork:
        """Build (or find in the cache) the compiled network; done automatically on first use.
        ``pn_spikes``: the variant that also records PN spike trains (compiled when first asked)."""
        if pn_spikes not in self._compiled:
            self._compiled[pn_spikes] = compiled_network(self.structure, self.params, pn_spikes)
        return self._compiled[pn_spikes]

    # --- simulation ---------------------------------------------------------------------------
    def simulate(self, window: Window, efficacy: np.ndarray | None = None,
                 record: tuple[str, ...] = ()) -> WindowResult:
        """Simulate one window with KC->MBON efficacies ``efficacy`` (n_kc, n_comp; None = naive);
        ``record``: cell classes (of :data:`SPIKING_CLASSES`) whose spike trains the result keeps."""
        return self.simulate_columns(window, [efficacy], record)[0]

    def simulate_columns(self, window: Window, efficacies, record: tuple[str, ...] = ()
                         ) -> list[WindowResult]:
        """One window read through several efficacies (each as in :meth:`simulate`): one result
        per efficacy, equal to simulating the window alone with it.

        The readouts share the window's PN, KC and APL activity, which is upstream of the plastic
        synapses (and the DAN activity unless the recurrent pathways are on: then each readout
        has its own DANs); the compiled network reads ``READOUT_COLUMNS`` of them per call.
        """
        inputs = prepare_inputs(window, self.structure, self.odors, self.params)
        per_synapse = [self.synapse_efficacy(e) for e in efficacies]
        width = self.compile().columns
        results = []
        for start in range(0, len(per_synapse), width):
            group = per_synapse[start:start + width]
            padded = group + [np.ones_like(group[0])] * (width - len(group))
            spikes, pn_counts = self._run(window, inputs, np.concatenate(padded), "PN" in record)
            results += self._summarise(window, inputs, spikes, pn_counts, record, len(group),
                                       self.compile().dan_columns > 1)
        return results

    def synapse_efficacy(self, efficacy: np.ndarray | None) -> np.ndarray:
        """Per KC->MBON synapse: mean efficacy over the compartments the pair shares (1 if none)."""
        shape = (self.n_kc, len(self.compartments))
        n_syn = len(self.structure.kc_mbon.pre)
        if efficacy is None:
            return np.ones(n_syn)
        efficacy = np.asarray(efficacy, dtype=float)
        if efficacy.shape != shape or not np.all(np.isfinite(efficacy)):
            raise InputError(found=f"efficacy array of shape {efficacy.shape}"
                             + ("" if np.all(np.isfinite(efficacy)) else " with non-finite values"),
                             expected=f"finite values of shape {shape} (KCs x compartments)",
                             field="efficacy")
        clipped = np.clip(efficacy, 0.0, self.params.max_efficacy)
        averaging = self.structure.synapse_compartments
        per_syn = np.asarray(averaging.multiply(clipped[self.structure.kc_mbon.pre]).sum(axis=1))
        unassigned = 1.0 - np.asarray(averaging.sum(axis=1))
        return (per_syn + unassigned).ravel()

    def _run(self, window: Window, inputs: WindowInputs, synapse_efficacy: np.ndarray,
             pn_spikes: bool = False):
        """Spikes and PN counts of one call; ``synapse_efficacy`` holds every column's synapses;
        ``pn_spikes``: also the PN spike trains."""
        compiled = self.compile(pn_spikes)
        bins, chunk = compiled.bins, self.params.chunk_duration
        steps_per_chunk = int(round(chunk / self.params.time_step))
        constant = {f"{group}.manipulation_set": inputs.manipulation_set[cls]
                    for cls, group in GROUP_OF.items()}
        constant["mbon.manipulation_set"] = np.tile(inputs.manipulation_set["MBON"],
                                                    compiled.columns)
        constant["dan.manipulation_set"] = np.tile(inputs.manipulation_set["DAN"],
                                                   compiled.dan_columns)
        constant |= {"kc_mbon.efficacy": synapse_efficacy,
                     "window_seed": np.array([_seed_value(window)])}
        state: dict[str, np.ndarray] = {}
        spikes = {g: ([], []) for g in (("pn",) if pn_spikes else ()) + ("kc", "mbon", "dan")}
        pn_counts = {"spike_count": 0, "release_count": 0}
        for k in range(inputs.n_chunks):
            rows = slice(k * bins, (k + 1) * bins)
            out = compiled.run_chunk(constant | state | {
                "pn_rate": inputs.pn_rate[rows], "us_drive": inputs.us_drive[rows],
                "activation_gate": inputs.activation_gate[rows],
                "release_gate": inputs.release_gate[rows],
                "step_offset": np.array([float(k * steps_per_chunk)])})
            state = {f"{g}.{v}": out[f"{g}.{v}"] for g, names in compiled.state.items()
                     for v in names}
            for g, (indices, times) in spikes.items():
                indices.append(out[f"{g}.spike_i"])
                times.append(out[f"{g}.spike_t"] + k * chunk)
            for name in pn_counts:
                pn_counts[name] = pn_counts[name] + out[f"pn.{name}"].astype(np.int64)
        merged = {}
        for g, (indices, times) in spikes.items():
            i, t = np.concatenate(indices), np.concatenate(times)
            keep = t < window.duration
            merged[g] = (i[keep].astype(np.int64), t[keep])
        return merged, pn_counts

    def _summarise(self, window, inputs, spikes, pn_counts, record, columns: int,
                   dan_copies: bool) -> list[WindowResult]:
        """One result per readout column; the upstream activity is summarised once (the DANs'
        too unless each column has its own DAN copies)."""
        s = self.structure
        kc_released = self._released(spikes["kc"], inputs, "KC")
        kc_i, kc_t = spikes["kc"][0][kc_released], spikes["kc"][1][kc_released]
        eligible = _during_odors(kc_t, window.odors)   # spontaneous KC spikes do not teach
        chance = chance_integrals(kc_i[eligible], kc_t[eligible], window.duration, s.n_kc,
                                  s.kc_compartment_mask & s.dan_compartments.any(axis=0)[None, :],
                                  self.params.depression_tau, self.params.potentiation_tau)
        kc_counts = np.array([_count_in(spikes["kc"], p.start, p.stop, s.n_kc) for p in window.odors],
                             dtype=np.int64).reshape(len(window.odors), s.n_kc)
        counts = {"PN": pn_counts["spike_count"], "KC": np.bincount(spikes["kc"][0], minlength=s.n_kc)}
        release = {"PN": float(pn_counts["release_count"] @ s.output_synapses["PN"]),
                   "KC": float(s.output_synapses["KC"][kc_i].sum())}
        shared = {cls: spikes[cls.lower()] for cls in record if cls not in ("MBON", "DAN")}

        def dan_summary(dan):
            """Plasticity integrals, rates, counts and release of one column's DAN spikes."""
            released = self._released(dan, inputs, "DAN")
            depression, potentiation = coincidence_integrals(
                kc_i[eligible], kc_t[eligible], dan[0][released], dan[1][released],
                s.dan_compartments, s.n_kc,
                s.kc_compartment_mask, self.params.depression_tau, self.params.potentiation_tau)
            rates = _second_rates(dan, window.duration, s.dan_type_index, len(s.dan_types))
            return (depression, potentiation, rates, np.bincount(dan[0], minlength=s.size("DAN")),
                    float(s.output_synapses["DAN"][dan[0][released]].sum()))

        n_mbon, n_dan = s.size("MBON"), s.size("DAN")
        shared_dans = None if dan_copies else dan_summary(spikes["dan"])
        results = []
        for column in range(columns):
            mbon = _column_spikes(spikes["mbon"], column, n_mbon)
            dan = _column_spikes(spikes["dan"], column, n_dan) if dan_copies else spikes["dan"]
            depression, potentiation, dan_rates, dan_counts, dan_release = (
                shared_dans or dan_summary(dan))
            mbon_rates = _pulse_rates(mbon, window.odors, s.mbon_type_index, len(s.mbon_types))
            fired = mbon[0][self._released(mbon, inputs, "MBON")]
            by_class = counts | {"MBON": np.bincount(mbon[0], minlength=n_mbon), "DAN": dan_counts}
            spikes_by_type = pd.concat([
                pd.Series(by_class[cls], index=s.groups[cls]["cell_type"].to_numpy())
                for cls in ("PN", "KC", "MBON", "DAN")]).groupby(level=0).sum()
            trains = {cls: train for cls, train in (("MBON", mbon), ("DAN", dan)) if cls in record}
            results.append(WindowResult(
                window, self.compartments, depression, potentiation, kc_counts, *chance,
                self.mbon_types,
                mbon_rates, self.dan_types, dan_rates, spikes_by_type.astype(np.int64),
                release | {"DAN": dan_release,
                           "MBON": float(s.output_synapses["MBON"][fired].sum())},
                shared | trains))
        return results

    def _released(self, spikes, inputs: WindowInputs, cls: str) -> np.ndarray:
        """Boolean mask of spikes that release transmitter (not inside a block of their neuron)."""
        index, times = spikes
        rows = np.minimum((times / self.params.input_resolution).astype(int),
                          len(inputs.release_gate) - 1)
        sets = inputs.manipulation_set[cls][index]
        return inputs.release_gate[rows, sets] > 0.5


def _column_spikes(spikes, column: int, size: int):
    """The spikes of one readout column's copies, indexed within the copy."""
    index, times = spikes
    inside = index // size == column
    return index[inside] - column * size, times[inside]


def _pulse_rates(spikes, pulses, type_index: np.ndarray, n_types: int) -> np.ndarray:
    """Mean rate [Hz] per neuron of each type during each pulse, (n_pulses, n_types)."""
    sizes = np.bincount(type_index, minlength=n_types)
    rates = [np.bincount(type_index, weights=_count_in(spikes, p.start, p.stop, len(type_index)),
                         minlength=n_types) / sizes / (p.stop - p.start) for p in pulses]
    return np.array(rates).reshape(len(pulses), n_types)


def _second_rates(spikes, duration: float, type_index: np.ndarray, n_types: int) -> np.ndarray:
    """Mean rate [Hz] per neuron of each type in 1 s bins (the last bin may be shorter)."""
    index, times = spikes
    n_seconds = int(np.ceil(duration - 1e-9))
    counts = np.zeros((n_seconds, n_types))
    np.add.at(counts, (np.minimum(times.astype(int), n_seconds - 1), type_index[index]), 1.0)
    widths = np.minimum(1.0, duration - np.arange(n_seconds))
    return counts / np.bincount(type_index, minlength=n_types)[None, :] / widths[:, None]


def _during_odors(times: np.ndarray, odors) -> np.ndarray:
    """Boolean mask of the spike times that fall inside an odor pulse."""
    inside = np.zeros(len(times), bool)
    for pulse in odors:
        inside |= (times >= pulse.start) & (times < pulse.stop)
    return inside


def _count_in(spikes, start: float, stop: float, n: int) -> np.ndarray:
    index, times = spikes
    inside = (times >= start) & (times < stop)
    return np.bincount(index[inside], minlength=n)


def _seed_value(window: Window) -> float:
    """The noise seed of a window (from its content key, which includes ``window.seed``), so two
    different windows never share noise; an exactly representable float below 2**31."""
    digest = hashlib.sha256(window.key().encode()).digest()
    return float(int.from_bytes(digest[:4], "little") >> 1)
