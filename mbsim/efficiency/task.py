"""The odor-valence learning task on the spiking MB: cached KC codes, per-trial changes and the readout.

What is spiking: for every odor the network simulates ``noise_repeats`` conditioning windows (odor +
shock for punished odors, odor + sugar for rewarded ones; different noise seeds). Each window gives
the KC spike counts during the odor and, through the coincidence integrals of KC and DAN spikes, the
proposed efficacy change of every (KC, compartment) pair (:func:`mbsim.network.efficacy_change`).
KC and DAN activity do not depend on KC->MBON weights, so these windows are simulated once per network
and seed and cycled through the trials (trial n of an odor uses repeat n mod noise_repeats).

What is rate-based: the choice. The avoidance drive of odor k is the valence-weighted mean relative
change of the KC input of each MBON type, with the mean KC spike counts n_k of the odor's windows::

    I_t(k, w) = sum over KC->MBON synapses s onto type t of  n_k[pre_s] g_s e_s(w)
    dA(k)     = sum_t v_t (I_t(k, w) / I_t(k, 1) - 1) / sum_t |v_t|
    P(correct choice, punished p vs rewarded q) = 1 / (1 + exp(-(dA(p) - dA(q)) / choice_temperature))

g_s is the synapse's weight in the network, e_s(w) its efficacy (mean over the compartments it shares
with the KC, as in :meth:`MushroomBodyNetwork.synapse_efficacy`), v_t the MBON type valence (+1
avoidance, -1 approach). As in the T-maze (mbsim.network.readout) the fly chooses between two arms,
here every pair of a punished and a rewarded odor; the accuracy is the mean P(correct) over these
pairs. dA is linear in w, so it is stored as one kernel per odor over the flattened (KC, compartment)
pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ..connectome import load_default
from ..network import (MushroomBodyNetwork, OdorLibrary, OdorPulse, ShockPulse, SugarPulse, Window,
                       efficacy_change)
from ..network.odors import SYNTHETIC_ODORS
from .experiment import ConditioningTask
from .strategies import PlasticLayout

#: Proposed changes smaller than this (efficacy units) are not updates (as mbsim.engine.energy).
CHANGE_FLOOR = 1e-9
WINDOW_MARGIN = 0.5  # s of spontaneous activity before and after the odor


@dataclass(frozen=True)
class SparseChange:
    """One trial's proposed change on the flattened (KC, compartment) pairs it touches."""

    index: np.ndarray   # int64 flat indices
    change: np.ndarray  # efficacy units


@dataclass(frozen=True)
class OdorTask:
    """Everything a learning run needs, independent of the plasticity strategy."""

    odors: tuple[str, ...]
    valence: np.ndarray          # (K,) +1 punished, -1 rewarded
    compartments: tuple[str, ...]
    n_kc: int
    plastic: np.ndarray          # flat bool: the (KC, compartment) pairs that have synapses
    compartment_of: np.ndarray   # flat compartment index of each pair
    kc_counts: np.ndarray        # (K, n_kc) mean KC spike counts during each odor
    kernel: np.ndarray           # (K, n_kc * n_comp) dA per unit efficacy change
    changes: tuple[tuple[SparseChange, ...], ...]  # [odor][repeat]
    max_efficacy: float
    choice_temperature: float
    kc_fraction_active: float

    @property
    def n_plastic(self) -> int:
        return int(self.plastic.sum())

    @property
    def layout(self) -> PlasticLayout:
        """The plastic (KC, compartment) pairs, grouped by compartment."""
        return PlasticLayout(self.plastic, self.compartment_of, len(self.compartments))

    def accuracy(self, drive: np.ndarray) -> float:
        """Mean P(correct T-maze choice) over punished-vs-rewarded odor pairs for drives ``drive`` (K,)."""
        return choice_accuracy(drive, self.valence, self.choice_temperature)


def choice_pairs(valence: np.ndarray) -> np.ndarray:
    """(n_pairs, K): +1 at the punished and -1 at the rewarded odor of each T-maze test."""
    punished, rewarded = np.flatnonzero(valence > 0), np.flatnonzero(valence < 0)
    pairs = np.zeros((len(punished) * len(rewarded), len(valence)))
    rows = np.arange(len(pairs))
    pairs[rows, np.repeat(punished, len(rewarded))] = 1.0
    pairs[rows, np.tile(rewarded, len(punished))] = -1.0
    return pairs


def choice_accuracy(drive: np.ndarray, valence: np.ndarray, temperature: float) -> float:
    """Mean P(correct T-maze choice) over the punished-vs-rewarded pairs of odors of ``valence``."""
    difference = choice_pairs(valence) @ drive
    return float(np.mean(1.0 / (1.0 + np.exp(-difference / temperature))))


def odor_names(task: ConditioningTask, library: OdorLibrary) -> tuple[str, ...]:
    """The task's odors: explicit names, or the first ``count`` of the library."""
    spec = task.odors
    if spec.names is not None:
        for k, name in enumerate(spec.names):
            library.check(name, field=f"task.odors.names[{k}]")
        return tuple(spec.names)
    if spec.library == "synthetic":
        return tuple(SYNTHETIC_ODORS[:spec.count]) if spec.count <= len(SYNTHETIC_ODORS) else \
            tuple(SYNTHETIC_ODORS) + tuple(f"synthetic odor {k + 1}"
                                           for k in range(spec.count - len(SYNTHETIC_ODORS)))
    tabulated = [n for n in library.names if n not in SYNTHETIC_ODORS]
    return tuple(tabulated[:spec.count])


def conditioning_window(odor: str, punished: bool, task: ConditioningTask, seed: int) -> Window:
    """One trial: the odor, with evenly spaced 1 s shocks (punished) or sugar (rewarded)."""
    trial = task.trial
    start, stop = WINDOW_MARGIN, WINDOW_MARGIN + trial.odor_duration
    pulse = (OdorPulse(odor, start, stop),)
    label = f"{odor} + {'shock' if punished else 'sugar'} (repeat seed {seed})"
    if punished:
        spacing = trial.odor_duration / trial.shocks
        shocks = tuple(ShockPulse(start + spacing * (j + 0.5) - 0.5, min(1.0, spacing),
                                  trial.shock_voltage) for j in range(trial.shocks))
        return Window(stop + WINDOW_MARGIN, odors=pulse, shocks=shocks, starved=trial.starved,
                      seed=seed, label=label)
    sugar = (SugarPulse(start, stop, trial.sugar_concentration),)
    return Window(stop + WINDOW_MARGIN, odors=pulse, sugar=sugar, starved=trial.starved, seed=seed,
                  label=label)


def build_network(n_kc: int, connectome_seed: int, library: str, parameters: str | None
                  ) -> MushroomBodyNetwork:
    """The compiled network of a model of the default connectome with ``n_kc`` KCs (compiled once
    per structure)."""
    from ..model import Model
    from ..parameters import Parameters
    model = Model(load_default(n_kc, connectome_seed), library,
                  Parameters.from_files(network=parameters, with_metabolism=False))
    network = model.network.network
    network.compile()
    return network


def build_task(network: MushroomBodyNetwork, task: ConditioningTask, seed: int) -> OdorTask:
    """Simulate the conditioning windows of every odor and assemble the task for ``seed``."""
    names = odor_names(task, network.odors)
    valence = np.where(np.arange(len(names)) % 2 == 0, 1.0, -1.0)  # punished, rewarded, ...
    shape = (network.n_kc, len(network.compartments))
    changes, counts, active = [], [], []
    for k, odor in enumerate(names):
        per_odor, odor_counts, odor_active = conditioned_changes(network, odor, valence[k] > 0,
                                                                 task, seed)
        changes.append(per_odor)
        counts.append(odor_counts)
        active += odor_active
    return OdorTask(odors=names, valence=valence, compartments=network.compartments,
                    n_kc=network.n_kc, plastic=network.kc_compartment_mask.ravel().copy(),
                    compartment_of=np.tile(np.arange(shape[1]), shape[0]),
                    kc_counts=np.array(counts), kernel=readout_kernel(network, np.array(counts)),
                    changes=tuple(changes), max_efficacy=network.params.max_efficacy,
                    choice_temperature=task.choice_temperature,
                    kc_fraction_active=float(np.mean(active)))


def conditioned_changes(network: MushroomBodyNetwork, odor: str, punished: bool, task: ConditioningTask,
                        seed: int) -> tuple[tuple[SparseChange, ...], np.ndarray, list[float]]:
    """The proposed changes of the ``noise_repeats`` conditioning windows of one odor (with shock
    or sugar), the mean KC spike counts during the odor and the fraction of KCs active in each."""
    changes, counts, active = [], [], []
    for repeat in range(task.noise_repeats):
        window = conditioning_window(odor, punished, task, 1000 * seed + repeat)
        result = network.simulate(window)
        proposed = task.learning_rate_scale * efficacy_change(result, network.params)
        flat = np.where(network.kc_compartment_mask, proposed, 0.0).ravel()
        touched = np.flatnonzero(np.abs(flat) > CHANGE_FLOOR)
        changes.append(SparseChange(touched, flat[touched]))
        counts.append(result.kc_counts[0])
        active.append(float((result.kc_counts[0] > 0).mean()))
    return tuple(changes), np.mean(counts, axis=0), active


def readout_kernel(network: MushroomBodyNetwork, kc_counts: np.ndarray) -> np.ndarray:
    """(K, n_kc * n_comp): dA(k) per unit efficacy change of each (KC, compartment) pair."""
    s = network.structure
    syn = s.kc_mbon
    gain = s.input_weights(syn, s.size("MBON"), network.params.kc_mbon_compensation)
    syn_type = s.mbon_type_index[syn.post]
    valence = np.asarray(s.mbon_valence, dtype=float)
    norm = max(np.abs(valence).sum(), 1.0)
    n_types, n_syn = len(valence), len(syn.pre)
    to_kc = sparse.csr_matrix((np.ones(n_syn), (syn.pre, np.arange(n_syn))), shape=(s.n_kc, n_syn))
    kernels = []
    for counts in kc_counts:
        naive_input = np.bincount(syn_type, weights=counts[syn.pre] * gain, minlength=n_types)
        per_type = np.divide(valence, naive_input, out=np.zeros(n_types), where=naive_input > 0)
        per_syn = gain * per_type[syn_type] / norm
        per_pair = to_kc @ s.synapse_compartments.multiply(per_syn[:, None]).tocsr()
        kernels.append((counts[:, None] * per_pair.toarray()).ravel())
    return np.array(kernels)
