"""The KC->MBON plasticity rule: coincidence integrals of KC and DAN spikes, per (KC, compartment).

Dopamine arriving after KC activity depresses the KC->MBON synapse, dopamine before KC activity
potentiates it (Hige et al. 2015 Neuron; Handler et al. 2019 Cell). With exponential kernels the
integrals are exact sums over spike pairs:

    depression[k, c]   = sum over KC spikes t_k, DAN spikes t_d >= t_k:  w_c exp(-(t_d - t_k) / tau_dep)
    potentiation[k, c] = sum over DAN spikes t_d < t_k:                 w_c exp(-(t_k - t_d) / tau_pot)

where DAN spikes are those of the DANs innervating compartment c and w_c = 1 / (number of those DANs)
(the mean dopamine signal of the compartment). KC spikes count only during odor pulses (odor-evoked
activity; spontaneous KC spikes do not teach). Spikes inside a block (shibire) release nothing and are
left out. KC, APL and DAN activity do not depend on KC->MBON weights, so the integrals of a window do
not either, and the efficacy change can be computed after the fact for any learning rates.
"""

from __future__ import annotations

import numpy as np

from .parameters import NetworkParameters


def coincidence_integrals(kc_index: np.ndarray, kc_time: np.ndarray, dan_index: np.ndarray,
                          dan_time: np.ndarray, dan_compartments: np.ndarray, n_kc: int,
                          kc_mask: np.ndarray, tau_depression: float, tau_potentiation: float
                          ) -> tuple[np.ndarray, np.ndarray]:
    """``(depression, potentiation)``, each (n_kc, n_compartments), dimensionless and >= 0."""
    n_comp = dan_compartments.shape[1]
    depression = np.zeros((n_kc, n_comp))
    potentiation = np.zeros((n_kc, n_comp))
    if len(kc_time) == 0:
        return depression, potentiation
    for c in range(n_comp):
        members = np.flatnonzero(dan_compartments[:, c])
        if len(members) == 0:
            continue
        times = np.sort(dan_time[np.isin(dan_index, members)])
        if len(times) == 0:
            continue
        weight = 1.0 / len(members)
        later = _after_sum(times, kc_time, tau_depression)
        earlier = _before_sum(times, kc_time, tau_potentiation)
        depression[:, c] = weight * np.bincount(kc_index, weights=later, minlength=n_kc)
        potentiation[:, c] = weight * np.bincount(kc_index, weights=earlier, minlength=n_kc)
    return depression * kc_mask, potentiation * kc_mask


def chance_integrals(kc_index: np.ndarray, kc_time: np.ndarray, duration: float, n_kc: int,
                     plastic: np.ndarray, tau_depression: float, tau_potentiation: float
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The depression and potentiation integrals that dopamine at a constant 1 Hz would give
    these KC spikes in expectation, (n_kc, n_comp) each [s], 0 where ``plastic`` is False. A window
    has no dopamine before its start nor after its end, so a spike at ``t`` expects
    ``tau_dep (1 - exp(-(duration - t) / tau_dep))`` and ``tau_pot (1 - exp(-t / tau_pot))``."""
    later = tau_depression * -np.expm1(-(duration - kc_time) / tau_depression)
    earlier = tau_potentiation * -np.expm1(-kc_time / tau_potentiation)
    return (np.bincount(kc_index, weights=later, minlength=n_kc)[:, None] * plastic,
            np.bincount(kc_index, weights=earlier, minlength=n_kc)[:, None] * plastic)


def efficacy_change(result, params: NetworkParameters) -> np.ndarray:
    """Change of KC->MBON efficacy in a window from its coincidences in excess of chance.

    ``-eta_minus[c] * (D - r0 D1) + eta_plus[c] * (P - r0 P1)``, where ``r0 D1`` and ``r0 P1``
    (:func:`chance_integrals`) are the coincidences that the KC's odor-evoked spikes expect by
    chance with dopamine at its tonic rate ``r0`` (``dopamine_baseline_rate``): tonic dopamine does
    not teach, and chance fluctuations around it average out instead of adding up (no
    rectification).
    """
    eta_minus = params.rate_array("depression_rate", result.compartments)
    eta_plus = params.rate_array("potentiation_rate", result.compartments)
    rate = params.dopamine_baseline_rate
    depression = result.depression - rate * result.chance_depression
    potentiation = result.potentiation - rate * result.chance_potentiation
    return -eta_minus[None, :] * depression + eta_plus[None, :] * potentiation


def _after_sum(events: np.ndarray, queries: np.ndarray, tau: float) -> np.ndarray:
    """For each query time q: sum over events e >= q of exp(-(e - q) / tau)."""
    suffix = np.empty(len(events))
    gaps = np.exp(-np.diff(events) / tau)
    suffix[-1] = 1.0
    for j in range(len(events) - 2, -1, -1):
        suffix[j] = 1.0 + gaps[j] * suffix[j + 1]
    first = np.searchsorted(events, queries, side="left")
    valid = first < len(events)
    out = np.zeros(len(queries))
    idx = first[valid]
    out[valid] = np.exp(-(events[idx] - queries[valid]) / tau) * suffix[idx]
    return out


def _before_sum(events: np.ndarray, queries: np.ndarray, tau: float) -> np.ndarray:
    """For each query time q: sum over events e < q of exp(-(q - e) / tau)."""
    prefix = np.empty(len(events))
    gaps = np.exp(-np.diff(events) / tau)
    prefix[0] = 1.0
    for j in range(1, len(events)):
        prefix[j] = 1.0 + gaps[j - 1] * prefix[j - 1]
    last = np.searchsorted(events, queries, side="left") - 1
    valid = last >= 0
    out = np.zeros(len(queries))
    idx = last[valid]
    out[valid] = np.exp(-(queries[valid] - events[idx]) / tau) * prefix[idx]
    return out
