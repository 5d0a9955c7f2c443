"""Graded readout: MBON rates of a test window under any efficacy, without re-running the network.

In a test window the KC spike counts of each odor pulse do not depend on the KC->MBON efficacy (no
feedback from MBONs to KCs in the model), so the input to each MBON type during pulse ``p`` is

    drive[p, type] = sum over its KC synapses s of w0[s] * efficacy[s] * kc_count[p, pre(s)].

Each type's rate during each pulse is modelled as a monotone function of that drive, calibrated per
window and pulse from a few spiking runs at uniformly scaled efficacies (one map per pulse: the same
summed drive from another odor's KCs, with other timing, gives another rate; at naive efficacy the
emulated rates are the spiking ones, so a naive fly chooses at chance); the network's
``choice_probability`` formula then turns emulated rates into P(avoid CS+) against the naive window. :class:`EmulatedReadout` wraps a
:class:`~mbsim.engine.network_view.NetworkView` so the engine uses the emulator for test windows and
the spiking network (through the window cache) for everything else.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import sparse

from ..network.readout import avoidance_drive, avoidance_probability, choice_probability

#: Uniform efficacy scales of the calibration runs (1 is the naive window itself).
CALIBRATION_SCALES = (0.0, 0.4, 0.75, 1.0, 1.4)


class ReadoutEmulator:
    """Per-window and pulse monotone maps from summed KC drive to MBON type rate."""

    def __init__(self, view, scales=CALIBRATION_SCALES):
        network = view.network
        structure, params = network.structure, network.params
        synapses = structure.kc_mbon
        self.view, self.network, self.scales = view, network, tuple(scales)
        self.pre = synapses.pre
        self.w0 = params.kc_mbon_current * structure.input_weights(
            synapses, structure.size("MBON"), params.kc_mbon_compensation)
        types = structure.mbon_type_index[synapses.post]
        n_types = len(structure.mbon_types)
        self.type_sum = sparse.csr_matrix((np.ones(len(types)), (types, np.arange(len(types)))),
                                          shape=(n_types, len(types)))
        self.averaging = structure.synapse_compartments
        self.unassigned = 1.0 - np.asarray(self.averaging.sum(axis=1)).ravel()
        self._calibration: dict[str, tuple] = {}
        self._subsets: dict[tuple, tuple] = {}
        self._naive: dict[str, object] = {}
        self.spiking_runs = 0

    def naive(self, window, record: tuple[str, ...] = ()):
        """The window simulated with naive efficacy (spiking, once per window)."""
        key = window.key()
        found = self._naive.get(key)
        if found is None or not set(record) <= set(found.spike_trains):
            self._naive[key] = self.view.simulate(window, None, record)
        return self._naive[key]

    def drive(self, kc_counts: np.ndarray, synapse_efficacy: np.ndarray) -> np.ndarray:
        """(n_pulses, n_types) summed KC input of each MBON type."""
        per_synapse = kc_counts[:, self.pre] * (self.w0 * synapse_efficacy)[None, :]
        return np.asarray(self.type_sum @ per_synapse.T).T

    def calibrate(self, window):
        """The naive result and the calibration points of a window (spiking runs, once)."""
        key = window.key()
        if key not in self._calibration:
            naive = self.naive(window)
            shape = (self.network.n_kc, len(self.network.compartments))
            scaled = [scale for scale in self.scales if scale != 1.0]
            found = dict(zip(scaled, self.view.simulate_columns(
                window, [np.full(shape, scale) for scale in scaled]))) | {1.0: naive}
            self.spiking_runs += len(scaled)
            drives, rates = [], []
            for scale in self.scales:
                result = found[scale]
                efficacy = self.network.synapse_efficacy(np.full(shape, scale))
                drives.append(self.drive(naive.kc_counts, efficacy))
                rates.append(result.mbon_rates)
            drives = np.stack(drives)           # (points, n_pulses, n_types)
            rates = np.stack(rates)
            order = np.argsort(drives, axis=0, kind="stable")
            drives = np.take_along_axis(drives, order, axis=0)
            rates = np.maximum.accumulate(np.take_along_axis(rates, order, axis=0), axis=0)
            self._calibration[key] = (naive, drives, rates)
        return self._calibration[key]

    def rates(self, window, efficacy: np.ndarray) -> np.ndarray:
        """Emulated (n_pulses, n_types) MBON rates of ``window`` under ``efficacy`` (KC x compartment)."""
        naive, drives, rates = self.calibrate(window)
        drive = self.drive(naive.kc_counts, self.network.synapse_efficacy(efficacy))
        out = np.empty_like(drive)
        for p, t in np.ndindex(drive.shape):
            out[p, t] = _monotone(drive[p, t], drives[:, p, t], rates[:, p, t])
        return out

    def result(self, window, efficacy: np.ndarray):
        """The naive result of ``window`` with emulated MBON rates (a WindowResult)."""
        naive = self.calibrate(window)[0]
        return dataclasses.replace(naive, mbon_rates=self.rates(window, efficacy))

    def _subset(self, window, rows: np.ndarray):
        """The synapses of KCs ``rows`` active in ``window``: their positions in ``rows``, averaging
        weights, unassigned share, per-pulse input at efficacy 1 and the drive of all others."""
        key = (window.key(), rows.tobytes())
        if key not in self._subsets:
            naive = self.calibrate(window)[0]
            position = np.full(self.network.n_kc, -1)
            position[rows] = np.arange(len(rows))
            counts = naive.kc_counts[:, self.pre]
            chosen = np.flatnonzero((position[self.pre] >= 0) & (counts > 0).any(axis=0))
            unit = counts[:, chosen] * self.w0[chosen]                   # (n_pulses, n_chosen)
            inputs = self.type_sum[:, chosen]
            others = self.drive(naive.kc_counts, np.ones(len(self.pre))) - (inputs @ unit.T).T
            self._subsets[key] = (position[self.pre[chosen]], self.averaging[chosen].toarray(),
                                  self.unassigned[chosen], unit, inputs, others)
        return self._subsets[key]

    def choice_probabilities(self, window, rows: np.ndarray, efficacy: np.ndarray,
                             params=None) -> np.ndarray:
        """P(avoid CS+) of a test window for k efficacy patterns at once: ``efficacy`` is
        (len(rows), n_comp, k) for the KCs ``rows``; every other KC is naive. Same numbers as
        :meth:`rates` and :meth:`choice_probability` column by column. ``params``: network
        parameters whose readout values may be (k,) arrays (default the network's)."""
        naive, drives, rates = self.calibrate(window)
        position, averaging, unassigned, unit, inputs, others = self._subset(window, rows)
        clipped = np.clip(efficacy[position], 0.0, self.network.params.max_efficacy)
        per_synapse = np.einsum("sc,sck->sk", averaging, clipped) + unassigned[:, None]
        n_pulses, k = unit.shape[0], efficacy.shape[-1]
        weighted = (unit.T[:, :, None] * per_synapse[:, None, :]).reshape(len(position), -1)
        drive = np.asarray(inputs @ weighted).reshape(-1, n_pulses, k) + others.T[:, :, None]
        emulated = np.stack([np.stack([_monotone(drive[t, p], drives[:, p, t], rates[:, p, t])
                                       for p in range(n_pulses)])
                             for t in range(drive.shape[0])], axis=-1)     # (n_pulses, k, n_types)
        valence = self.network.mbon_valence
        temperature = (params or self.network.params).choice_temperature
        relative = (avoidance_drive(np.swapaxes(emulated, 0, 1), valence)
                    - avoidance_drive(naive.mbon_rates, valence))
        return avoidance_probability(relative, temperature)

    def choice_probability(self, result, naive=None, params=None) -> float:
        """P(avoid CS+) of an (emulated) test result against the naive window."""
        naive = naive if naive is not None else self.calibrate(result.window)[0]
        return choice_probability(result, naive, self.network.mbon_valence,
                                  (params or self.network.params).choice_temperature)


def _monotone(x: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Piecewise-linear monotone interpolation, linear extrapolation above, rates >= 0."""
    xs, index = np.unique(xs, return_index=True)
    ys = ys[index]
    if len(xs) == 1:
        return np.full_like(x, ys[0])
    inside = np.interp(x, xs, ys)
    slope = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
    return np.maximum(np.where(x > xs[-1], ys[-1] + slope * (x - xs[-1]), inside), 0.0)


class EmulatedReadout:
    """A NetworkView whose test windows (simulated with an efficacy) are emulated: the graded
    readout of ``Model(readout="graded")`` and of fits."""

    def __init__(self, view):
        self.view = view
        self.emulator = ReadoutEmulator(view)

    def __getattr__(self, name):
        return getattr(self.view, name)

    def simulate(self, window, efficacy=None, record: tuple[str, ...] = ()):
        return self.simulate_columns(window, [efficacy], record)[0]

    def simulate_columns(self, window, efficacies, record: tuple[str, ...] = ()) -> list:
        """Naive windows (efficacy None) are simulated; others are the naive result with emulated
        MBON rates. Spike trains to be recorded are the spiking network's under each efficacy
        (simulated together, for them alone: recording changes no number)."""
        results = [self.emulator.naive(window, record) if efficacy is None
                   else self.emulator.result(window, efficacy) for efficacy in efficacies]
        trained = [j for j, efficacy in enumerate(efficacies) if efficacy is not None]
        if record and trained:
            spiking = self.view.simulate_columns(window, [efficacies[j] for j in trained], record)
            for j, found in zip(trained, spiking):
                results[j] = dataclasses.replace(results[j], spike_trains=found.spike_trains)
        return results

    def choice_probability(self, result, naive=None, params=None) -> float:
        return self.emulator.choice_probability(result, naive, params)

    def choice_probabilities(self, window, rows, efficacy, params=None) -> np.ndarray:
        return self.emulator.choice_probabilities(window, rows, efficacy, params)
