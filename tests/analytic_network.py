"""A stand-in for the spiking network with analytic responses, to test the engine in isolation.

Each odor activates a fixed set of KCs; shocks during an odor depress those KCs' synapses in the
punished compartments; the T-maze choice is a logistic function of the CS+/CS- efficacy difference.
It implements the interface the engine uses (see mbsim/engine/network_view.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mbsim.connectome.core import Connectome

COMPARTMENTS = ("g1", "g2", "g3", "g4", "g5", "b'1", "b'2", "a'1", "a'2", "a'3",
                "a1", "a2", "a3", "b1", "b2")
PUNISHED = ("g1", "g2", "a'1", "a'2", "a2", "a3")
REWARDED = ("g4", "g5", "b'1", "b'2", "b1", "b2", "a1")


@dataclass
class AnalyticResult:
    window: object
    kc_counts: np.ndarray
    change: np.ndarray
    spikes_by_type: pd.Series
    release_events: dict
    efficacy: np.ndarray | None
    spike_trains: dict = field(default_factory=dict)   # the stand-in keeps no spike trains


class AnalyticNetwork:
    """Deterministic odor -> KC sets, US -> compartment changes, efficacy -> choice."""

    recurrent = False   # no feedback: training windows do not depend on the efficacy

    def __init__(self, n_kc: int = 200, active: int = 12, depression: float = 0.35):
        self.n_kc, self.active, self.depression = n_kc, active, depression
        self.compartments = COMPARTMENTS
        self.kc_compartment_mask = np.ones((n_kc, len(COMPARTMENTS)), dtype=bool)
        self.type_sizes = {"KC": n_kc}
        self.type_classes = {"KC": "KC"}
        neurons = pd.DataFrame({"id": np.arange(n_kc, dtype=np.int64), "cell_class": "KC",
                                "cell_type": "KC", "subtype": "KCg-m", "compartments": "",
                                "side": "R", "glomerulus": "", "valence": ""})
        edges = pd.DataFrame({"pre": pd.Series([], dtype=np.int64),
                              "post": pd.Series([], dtype=np.int64),
                              "weight": pd.Series([], dtype=np.int64), "roi": pd.Series([], dtype=str)})
        self.connectome = Connectome("analytic", neurons, edges, "tests")
        self.simulated = []

    def kcs_of(self, odor: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(odor.encode()).digest()[:4], "little")
        chosen = np.random.default_rng(seed).choice(self.n_kc, self.active, replace=False)
        mask = np.zeros(self.n_kc, dtype=bool)
        mask[chosen] = True
        return mask

    def validate_schedule(self, schedule) -> None:
        """Nothing to check: every odor name has a KC set."""

    def gates_ltm(self, targets) -> bool:
        return bool({"PPL1-g1pedc", "PPL1-g2a'1"} & set(targets))

    def simulate(self, window, efficacy=None, record=()) -> AnalyticResult:
        self.simulated.append(window)
        counts = np.array([self.kcs_of(p.odor) * 5.0 for p in window.odors]).reshape(-1, self.n_kc)
        change = np.zeros((self.n_kc, len(COMPARTMENTS)))
        for pulse, active in zip(window.odors, counts > 0):
            shocked = sum(1 for s in window.shocks if pulse.start <= s.start < pulse.stop)
            fed_sugar = [s for s in window.sugar if s.start < pulse.stop and s.stop > pulse.start]
            for name in PUNISHED if shocked else ():
                change[active, COMPARTMENTS.index(name)] -= self.depression * min(shocked, 12) / 12
            if fed_sugar and window.starved:
                for name in REWARDED:
                    change[active, COMPARTMENTS.index(name)] -= self.depression
        spikes = pd.Series({"KC": counts.sum()})
        return AnalyticResult(window, counts, change, spikes, {"KC": counts.sum() * 10}, efficacy)

    def simulate_columns(self, window, efficacies, record=()) -> list:
        return [self.simulate(window, efficacy, record) for efficacy in efficacies]

    def efficacy_change(self, result, params=None) -> np.ndarray:
        return result.change

    def choice_probability(self, result, naive, params=None) -> float:
        """Logistic in the CS+/CS- valence difference, of slope 6 or 1 / ``choice_temperature``
        of the given network parameters."""
        slope = 6.0 if params is None else 1.0 / params.choice_temperature
        efficacy = result.efficacy if result.efficacy is not None else np.ones(
            (self.n_kc, len(COMPARTMENTS)))
        plus, minus = (result.kc_counts[i] > 0 for i in range(2))
        punished = [COMPARTMENTS.index(c) for c in PUNISHED]
        rewarded = [COMPARTMENTS.index(c) for c in REWARDED]
        # depressing approach outputs (punished compartments) of an odor drives avoidance of it
        def valence(kcs):
            return (efficacy[kcs][:, rewarded].mean() - efficacy[kcs][:, punished].mean())
        return float(1.0 / (1.0 + np.exp(-slope * (valence(plus) - valence(minus)))))
