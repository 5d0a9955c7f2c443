"""Energy measures of plastic changes: M_alpha = sum over synapses and updates of |dw|^alpha.

M1 (alpha = 1) is the summed size of changes, M0 (alpha -> 0) the number of updates (Li & van Rossum
2020; see ../shared/background 003). Labile and ARM changes are counted when a window makes them; LTM
when the consolidation program moves tagged change into the LTM store. Passive decay is not an update.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .memory import PHASES

#: Changes smaller than this (efficacy units) are not counted as updates in M0.
UPDATE_THRESHOLD = 1e-9


def update_sizes(change: np.ndarray, alpha: float) -> np.ndarray:
    """|change|^alpha of each update (alpha = 0: 1 per update); changes below UPDATE_THRESHOLD
    are not updates."""
    magnitude = np.abs(change)
    if alpha == 0:
        return (magnitude > UPDATE_THRESHOLD).astype(float)
    counted = np.where(magnitude > UPDATE_THRESHOLD, magnitude, 0.0)
    return np.sqrt(counted) if alpha == 0.5 else counted ** alpha


def m_alpha(change: np.ndarray, alpha: float) -> np.ndarray:
    """Sum of |change|^alpha over the first axis (M0 counts the non-zero changes)."""
    return update_sizes(change, alpha).sum(axis=0)


@dataclass
class PlasticityLedger:
    """M0, M1 and M_alpha per phase and compartment, accumulated over a fly's run."""

    compartments: tuple[str, ...]
    alpha: float
    m0: np.ndarray       # (3 phases, n_comp)
    m1: np.ndarray
    malpha: np.ndarray

    @classmethod
    def empty(cls, compartments, alpha: float, columns: int | None = None) -> "PlasticityLedger":
        shape = (len(PHASES), len(compartments)) + ((columns,) if columns else ())
        return cls(tuple(compartments), float(alpha), np.zeros(shape), np.zeros(shape),
                   np.zeros(shape))

    def column(self, j: int) -> "PlasticityLedger":
        """The ledger of column ``j`` of a ledger with a column axis."""
        return PlasticityLedger(self.compartments, self.alpha, self.m0[..., j], self.m1[..., j],
                                self.malpha[..., j])

    def _add(self, phase: str, change: np.ndarray, memory) -> None:
        """Count per-synapse changes of one phase, summed per compartment."""
        i = PHASES.index(phase)
        self.m0[i] += memory.per_compartment(update_sizes(change, 0))
        self.m1[i] += memory.per_compartment(update_sizes(change, 1))
        self.malpha[i] += memory.per_compartment(update_sizes(change, self.alpha))

    def add_window(self, received: dict[str, np.ndarray], memory) -> None:
        """Count the labile and ARM changes one training window made.

        A new tag opens a new LTM update for its synapse: the LTM consolidated under the old tag is
        counted first, so an LTM update's size is its whole consolidated amount however many
        slow-layer intervals it took.
        """
        for phase in ("labile", "ARM"):
            self._add(phase, received[phase], memory)
        retagged = np.abs(received["labile"]) > UPDATE_THRESHOLD
        self._add("LTM", np.where(retagged, memory.consolidated, 0.0), memory)
        memory.consolidated[...] = np.where(retagged, 0.0, memory.consolidated)

    def add_consolidation(self, memory, coefficients) -> None:
        """Accumulate the LTM consolidated over one slow-layer interval, per synapse."""
        if np.any(coefficients.captured > 0):
            memory.consolidated += memory.tag * coefficients.captured

    def close(self, memory) -> None:
        """Count the LTM updates still open at the end of a run."""
        self._add("LTM", memory.consolidated, memory)
        memory.consolidated[:] = 0.0

    def window_costs(self, received: dict[str, np.ndarray], memory) -> dict[str, np.ndarray]:
        """M_alpha per compartment of one window's labile and ARM changes (for the ATP debit)."""
        return {phase: memory.per_compartment(update_sizes(received[phase], self.alpha))
                for phase in ("labile", "ARM")}


class WindowCostLedger(PlasticityLedger):
    """A ledger that only prices each window's plastic change for the metabolism's ATP debit and
    keeps no M0/M1/M_alpha totals (fits, which predict memory and survival, not the ledger)."""

    def add_window(self, received, memory) -> None:
        """Nothing to count."""

    def add_consolidation(self, memory, coefficients) -> None:
        """Nothing to count."""

    def close(self, memory) -> None:
        """Nothing to count."""


def window_activity(result, network, plasticity: dict[str, np.ndarray]):
    """What one spiking window costs, in the form the metabolism model debits."""
    from ..metabolism import WindowActivity
    spikes_by_class = {}
    type_class = network.type_classes
    for cell_type, count in result.spikes_by_type.items():
        cell_class = type_class.get(cell_type, "other")
        spikes_by_class[cell_class] = spikes_by_class.get(cell_class, 0.0) + float(count)
    mask = network.kc_compartment_mask
    per_kc = result.kc_spikes if hasattr(result, "kc_spikes") else result.kc_counts.sum(axis=0)
    share = mask / np.maximum(mask.sum(axis=1, keepdims=True), 1)
    return WindowActivity(duration=result.window.duration, spikes_by_class=spikes_by_class,
                          release_events=dict(result.release_events),
                          kc_spikes_by_compartment=per_kc @ share, plasticity=plasticity)
