"""What one fly contributes to a run's result: its choices, windows, slow-layer samples, ledgers."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .energy import PlasticityLedger


@dataclass
class WindowRecord:
    label: str
    start: float
    duration: float
    rates: dict  # cell_type -> mean rate [Hz]
    kc_fraction_active: float


@dataclass
class FlyOutcome:
    """Everything one fly contributes to a run's result."""

    p_avoid: np.ndarray                 # (n_tests, len(TEST_PHASES))
    windows: list[WindowRecord]
    sample_times: np.ndarray            # (n_samples,)
    samples: np.ndarray                 # (n_samples, n_state) slow-layer state
    ltm_program: np.ndarray             # (n_samples,) effective activity P of the LTM program
    weights: np.ndarray                 # (n_samples, n_comp, 4) mean effective efficacy of CS+ KCs'
                                        # synapses: total, then each store alone
    weight_quantiles: np.ndarray        # (n_samples, n_comp, 4, n_quantiles) its quantiles
    plasticity: PlasticityLedger
    metabolism_ledger: dict | None
    death_time: float = np.nan
    censored: bool = True
    raster: tuple | None = field(default=None, repr=False)
    timing: dict = field(default_factory=dict)  # wall seconds: spiking windows, slow layer
    #: kept spike trains: [(window label, window start [s], {cell class: (indices, times [s])})]
    spikes: list = field(default_factory=list, repr=False)


def window_record(result, start: float, label: str, type_sizes: dict) -> WindowRecord:
    """Summary of a window; ``label`` names this occurrence (a cached result may be shared)."""
    window = result.window
    rates = {str(k): float(v) / window.duration / max(type_sizes.get(k, 1), 1)
             for k, v in result.spikes_by_type.items()}
    active = float(np.mean(result.kc_counts.sum(axis=0) > 0)) if result.kc_counts.size else 0.0
    return WindowRecord(label, float(start), window.duration, rates, active)
