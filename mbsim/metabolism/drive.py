"""What the rest of the fly imposes on metabolism: slow drive (Drive) and spiking-window debits."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Drive:
    """Inputs to the metabolism ODEs at one time.

    ``fed``: food available. ``mp1``: activity of the MP1 (PPL1-g1pedc) / MV1 gating DANs
    (0 baseline, 1 typical post-spaced-training episode, >1 forced activation).
    ``consolidation``: 0..1 activity of the LTM protein-synthesis programme.
    ``ltm_rate``: (n_compartments,) sum over synapses of |dLTM/dt| [efficacy units / s];
    ``None`` means zero everywhere.
    """

    fed: bool
    mp1: float = 0.0
    consolidation: float = 0.0
    ltm_rate: np.ndarray | None = None


@dataclass(frozen=True)
class WindowActivity:
    """Activity of one spiking window, debited at the window's time.

    ``spikes_by_class`` and ``release_events``: cell class (KC, PN, APL, MBON, DAN) -> count.
    ``kc_spikes_by_compartment``: (n_comp,) KC spikes attributed to each compartment; KC spike and
    release costs are shared among compartments in these proportions (by volume when all zero).
    ``plasticity``: phase ("labile", "ARM") -> (n_comp,) M_alpha of the changes in this window.
    """

    duration: float
    spikes_by_class: dict[str, float] = field(default_factory=dict)
    release_events: dict[str, float] = field(default_factory=dict)
    kc_spikes_by_compartment: np.ndarray | None = None
    plasticity: dict[str, np.ndarray] = field(default_factory=dict)
