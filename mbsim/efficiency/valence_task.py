"""The odor-valence task with changing contingencies: every odor conditioned with shock and with sugar.

As :mod:`mbsim.efficiency.task`, but each odor's spiking conditioning windows are simulated with both
reinforcers, so the valence of an odor can reverse during a task (reversal learning). KC and DAN
activity do not depend on the KC->MBON weights, so the windows are simulated once per network and
seed and cycled through the trials; the readout kernel uses the KC counts averaged over both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..network import MushroomBodyNetwork
from .experiment import ConditioningTask
from .strategies import PlasticLayout
from .task import SparseChange, conditioned_changes, odor_names, readout_kernel

#: Index of the reinforcer in :attr:`ValenceTask.changes`.
SHOCK, SUGAR = 0, 1


@dataclass(frozen=True)
class ValenceTask:
    """Everything an episode needs, independent of the rule: changes[odor][reinforcer][repeat]."""

    odors: tuple[str, ...]
    compartments: tuple[str, ...]
    layout: PlasticLayout
    kernel: np.ndarray      # (K, n_kc * n_comp) drive per unit efficacy change
    changes: tuple[tuple[tuple[SparseChange, ...], ...], ...]
    max_efficacy: float
    choice_temperature: float
    kc_fraction_active: float
    seed: int

    @property
    def n_pairs(self) -> int:
        return self.kernel.shape[1]


def build_valence_task(network: MushroomBodyNetwork, task: ConditioningTask, seed: int) -> ValenceTask:
    """Simulate every odor with shock and with sugar (``noise_repeats`` windows each)."""
    names = odor_names(task, network.odors)
    n_comp = len(network.compartments)
    changes, counts, active = [], [], []
    for odor in names:
        per_odor, odor_counts = [], []
        for punished in (True, False):
            per_us, us_counts, us_active = conditioned_changes(network, odor, punished, task, seed)
            per_odor.append(per_us)
            odor_counts.append(us_counts)
            active += us_active
        changes.append(tuple(per_odor))
        counts.append(np.mean(odor_counts, axis=0))
    layout = PlasticLayout(network.kc_compartment_mask.ravel().copy(),
                           np.tile(np.arange(n_comp), network.n_kc), n_comp)
    return ValenceTask(odors=names, compartments=network.compartments, layout=layout,
                       kernel=readout_kernel(network, np.array(counts)), changes=tuple(changes),
                       max_efficacy=network.params.max_efficacy,
                       choice_temperature=task.choice_temperature,
                       kc_fraction_active=float(np.mean(active)), seed=seed)
