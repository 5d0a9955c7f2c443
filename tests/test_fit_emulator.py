"""The readout emulator against the spiking readout of the compiled network (tolerance on P(avoid))."""

from __future__ import annotations

import numpy as np
import pytest

from mbsim.model import Model
from mbsim.engine.windows import test_window as make_test_window
from mbsim.engine.readout_emulator import EmulatedReadout
from mbsim.protocol import load_protocol

TOLERANCE = 0.04   # on P(avoid CS+); measured up to 0.030 (potentiated avoidance compartments)


@pytest.fixture(scope="module")
def setup():
    view = Model(metabolism=False, readout="spiking").network
    schedule = load_protocol("aversive_1x").schedule()
    window = make_test_window(schedule.tests[0], (), False, 11)   # the test at 3 min
    return view, EmulatedReadout(view), window


def trained_efficacy(view, naive, depression: float, potentiation: float) -> np.ndarray:
    """CS+ KCs depressed in the compartments of approach MBONs, potentiated in avoidance ones."""
    efficacy = np.ones((view.n_kc, len(view.compartments)))
    cs_plus = naive.kc_counts[0] > 0
    structure = view.network.structure
    mbons = structure.groups["MBON"]
    for compartments, valence in zip(mbons["compartments"],
                                     structure.mbon_valence[structure.mbon_type_index]):
        for name in str(compartments).split(";"):
            if name in view.compartments and valence != 0:
                column = view.compartments.index(name)
                efficacy[cs_plus, column] = depression if valence < 0 else potentiation
    return np.where(view.kc_compartment_mask, efficacy, 1.0)


@pytest.mark.parametrize("depression, potentiation", [(0.1, 1.0), (0.5, 1.0), (0.8, 1.3)])
def test_emulated_choice_matches_spiking(setup, depression, potentiation):
    """P(avoid) from emulated MBON rates is within 0.08 of the spiking readout."""
    view, emulated, window = setup
    naive = emulated.simulate(window)
    efficacy = trained_efficacy(view, naive, depression, potentiation)
    spiking = view.choice_probability(view.simulate(window, efficacy), naive)
    emulator = emulated.choice_probability(emulated.simulate(window, efficacy), naive)
    assert abs(emulator - spiking) < TOLERANCE, (spiking, emulator)
    assert emulated.emulator.spiking_runs == 4      # calibrated once per window



def test_readout_is_graded_and_the_emulator_follows_the_spiking_network(setup):
    """Depressing the CS+ KCs' synapses onto approach MBONs step by step (8% each, to 20% of
    naive) raises the expected PI at every step, in the spiking network and in the emulator (no
    plateau from spike counts or saturation below PI 0.75); a naive fly chooses at chance in
    both, and the emulator stays within 0.05 of the spiking PI."""
    view, emulated, window = setup
    naive = emulated.simulate(window)
    spiking, emulator = [], []
    for depression in np.linspace(1.0, 0.2, 11):
        efficacy = trained_efficacy(view, naive, depression, 1.0)
        spiking.append(2 * view.choice_probability(view.simulate(window, efficacy), naive) - 1)
        emulator.append(2 * emulated.choice_probability(emulated.simulate(window, efficacy),
                                                        naive) - 1)
    spiking, emulator = np.array(spiking), np.array(emulator)
    assert spiking[0] == 0.0 and abs(emulator[0]) < 1e-12
    assert np.all(np.diff(spiking) > 0.02) and np.all(np.diff(emulator) > 0.02), (spiking, emulator)
    assert spiking[-1] > 0.75
    np.testing.assert_allclose(emulator, spiking, atol=0.05)


def test_batched_choices_equal_one_by_one(setup):
    """The batched readout of k efficacy patterns over a subset of KCs equals the per-pattern
    readout of the full efficacy arrays."""
    view, emulated, window = setup
    naive = emulated.simulate(window)
    patterns = [trained_efficacy(view, naive, d, p) for d, p in ((0.1, 1.0), (0.5, 1.0), (0.8, 1.3))]
    rows = np.flatnonzero(np.any(np.array(patterns) != 1.0, axis=(0, 2)))
    assert 0 < len(rows) < view.n_kc
    batch = np.stack([pattern[rows] for pattern in patterns], axis=-1)
    batched = emulated.choice_probabilities(window, rows, batch)
    single = [emulated.choice_probability(emulated.simulate(window, pattern), naive)
              for pattern in patterns]
    np.testing.assert_allclose(batched, single, rtol=1e-10, atol=1e-12)
    assert len(set(np.round(single, 6))) == 3      # the patterns are told apart
