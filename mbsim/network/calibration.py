"""The network's first calibration check: KC sparseness and odor overlap over an odor panel.

Every odor of a panel is presented once, for :data:`PULSE` seconds after :data:`GAP` seconds of
clean air, in one window of the naive network. A KC "responds" when it spikes during the pulse.
Published recordings and imaging find 5-10% of KCs responding to an odor (Turner, Bazhenov &
Laurent 2008 J Neurophysiol; Honegger, Campbell & Turner 2011 J Neurosci), and KC responses to two
odors are less correlated than their PN inputs (decorrelation by the expansion and APL feedback;
Lin et al. 2014 Nat Neurosci).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..stimulus import OdorPulse, Window

#: Odor pulse [s]: as long as each odor of a T-maze test window (engine.windows.TEST_PULSES).
PULSE = 2.0
#: Clean air before each pulse [s]: five KC adaptation time constants (kc_adaptation_tau 200 ms)
#: and twenty APL time constants (apl_tau 50 ms), so each response starts from rest (assumption).
GAP = 1.0
#: Published fraction of KCs responding to an odor (Turner et al. 2008; Honegger et al. 2011).
TARGET_CODING_LEVEL = (0.05, 0.10)


@dataclass(frozen=True)
class PanelResponses:
    """KC spike counts during each odor's pulse and the PN input rates that drove them."""

    odors: tuple[str, ...]
    kc_counts: np.ndarray     # (n_odors, n_kc) spikes during the pulse
    pn_rates: np.ndarray      # (n_odors, n_pn) [Hz] input rates during the pulse

    @property
    def responding(self) -> np.ndarray:
        """(n_odors, n_kc) True where the KC spiked during the odor."""
        return self.kc_counts > 0

    def coding_level(self) -> np.ndarray:
        """Fraction of KCs responding, per odor."""
        return self.responding.mean(axis=1)

    def population_sparseness(self) -> np.ndarray:
        """Treves-Rolls population sparseness of the KC counts per odor, in [0, 1] (1: one KC
        carries all spikes; Willmore & Tolhurst 2001 Network); NaN for an odor no KC answers."""
        counts = self.kc_counts.astype(float)
        n = counts.shape[1]
        mean, mean_square = counts.mean(axis=1), (counts ** 2).mean(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (1.0 - mean ** 2 / mean_square) / (1.0 - 1.0 / n)

    def overlap(self) -> np.ndarray:
        """(n_odors, n_odors) Jaccard overlap of the responding KC sets (shared / either)."""
        active = self.responding.astype(float)
        shared = active @ active.T
        either = active.sum(axis=1)[:, None] + active.sum(axis=1)[None, :] - shared
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(either > 0, shared / either, np.nan)

    def mean_pair_correlation(self, responses: np.ndarray) -> float:
        """Mean Pearson correlation between the response vectors of two different odors."""
        varying = responses[responses.std(axis=1) > 0]
        if len(varying) < 2:
            return float("nan")
        matrix = np.corrcoef(varying)
        return float(matrix[np.triu_indices(len(varying), 1)].mean())


def odor_panel(network, odors=None) -> PanelResponses:
    """Present each odor of ``odors`` (default: every odor of the network's library) to the naive
    ``network`` (a :class:`~mbsim.network.MushroomBodyNetwork`) in one window."""
    names = tuple(network.odors.names if odors is None else odors)
    if len(names) < 2:
        raise InputError(found=f"{len(names)} odor(s)", expected="a panel of at least two odors",
                         field="odors", example="benzaldehyde,ethyl acetate")
    for name in names:
        network.odors.check(name, field="odors")
    step = GAP + PULSE
    window = Window(duration=len(names) * step, label="odor panel", odors=tuple(
        OdorPulse(name, i * step + GAP, (i + 1) * step) for i, name in enumerate(names)))
    result = network.simulate(window)
    glomeruli = network.structure.groups["PN"]["glomerulus"].tolist()
    pn_rates = np.array([network.odors.pn_rates(glomeruli, name, 1.0, network.params)
                         for name in names])
    return PanelResponses(names, result.kc_counts, pn_rates)


def describe_panel(panel: PanelResponses, per_odor: bool = False) -> str:
    """A plain-text report: coding level, sparseness, overlap and decorrelation."""
    level = panel.coding_level()
    overlap = panel.overlap()[np.triu_indices(len(panel.odors), 1)]
    low, high = TARGET_CODING_LEVEL
    lines = [
        f"KC responses to {len(panel.odors)} odors ({PULSE:g} s pulses after {GAP:g} s of air; "
        f"{panel.kc_counts.shape[1]} KCs)",
        f"  KCs responding per odor     mean {level.mean():.3f}  median {np.median(level):.3f}  "
        f"range {level.min():.3f}-{level.max():.3f}   (published {low:.2f}-{high:.2f}: "
        "Turner et al. 2008, Honegger et al. 2011)",
        f"  odors inside that range     {int(((level >= low) & (level <= high)).sum())} of "
        f"{len(level)}",
        f"  population sparseness       mean {np.nanmean(panel.population_sparseness()):.3f}  "
        "(Treves-Rolls; 1 = a single KC)",
        f"  overlap of responding KCs   mean {np.nanmean(overlap):.3f}  max {np.nanmax(overlap):.3f}"
        f"  over {len(overlap)} odor pairs (Jaccard)",
        f"  correlation between odors   PN input {panel.mean_pair_correlation(panel.pn_rates):.3f}"
        f" -> KC responses {panel.mean_pair_correlation(panel.kc_counts):.3f}",
        f"  KCs silent to every odor    {1.0 - panel.responding.any(axis=0).mean():.3f}",
    ]
    if per_odor:
        lines += ["", "  odor                                      KCs responding"]
        lines += [f"  {name:<42} {value:.3f}" for name, value in zip(panel.odors, level)]
    return "\n".join(lines)
