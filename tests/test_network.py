"""Spiking network on the default connectome: coding, determinism, learning, readout and errors."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

from mbsim.connectome import load_default
from mbsim.errors import InputError
from mbsim.network import (Manipulation, MushroomBodyNetwork, OdorPulse, ShockPulse, SugarPulse,
                           Window, choice_probability, cohort_pi, efficacy_change, performance_index)

OCT, MCH = "3-octanol", "4-methylcyclohexanol"
SHOCKS = tuple(ShockPulse(2.0 + 2.0 * k, 1.0, 90.0) for k in range(5))
#: aversive_1x (Tully & Quinn 1985): 60 s CS+ with 12 shocks of 1.5 s at 60 V every 5 s, 45 s air, 60 s CS-.
TRAINING_1X = Window(165.0, odors=(OdorPulse(OCT, 0.0, 60.0), OdorPulse(MCH, 105.0, 165.0)),
                     shocks=tuple(ShockPulse(5.0 * k, 1.5, 60.0) for k in range(12)), seed=1)
#: T-maze test as the memory engine builds it: CS+ 0.5-2.5 s, then CS- 3-5 s.
TEST = Window(5.0, odors=(OdorPulse(OCT, 0.5, 2.5), OdorPulse(MCH, 3.0, 5.0)))
N_FLIES = 8


@pytest.fixture(scope="module")
def net(params, hallem):
    network = MushroomBodyNetwork(load_default(), params, hallem)
    network.compile()
    return network


@pytest.fixture(scope="module")
def naive_tests(net):
    return [net.simulate(TEST.with_seed(100 + s)) for s in range(N_FLIES)]


def expected_pi(net, efficacy, naive_tests) -> float:
    """Noise-free PI of flies whose naive test windows are ``naive_tests`` (seeds 100, 101, ...)."""
    probabilities = [choice_probability(net.simulate(TEST.with_seed(100 + s), efficacy), naive,
                                        net.mbon_valence, net.params.choice_temperature)
                     for s, naive in enumerate(naive_tests)]
    return cohort_pi(probabilities, seed=0).expected_pi


def odor_panel(names, seed=0):
    pulses = tuple(OdorPulse(n, 0.5 + 1.5 * k, 1.5 + 1.5 * k) for k, n in enumerate(names))
    return Window(1.5 * len(names) + 0.5, odors=pulses, seed=seed)


def share_of_smaller(a: np.ndarray, b: np.ndarray) -> float:
    """Shared responding KCs over the smaller of the two sets."""
    return float((a & b).sum() / max(min(a.sum(), b.sum()), 1))


@pytest.fixture(scope="module")
def panel(net, hallem):
    """KCs spiking during 1 s pulses of the 110 Hallem-Carlson odors, then 3-octanol and MCH."""
    names = list(hallem.responses.index[:110]) + [OCT, MCH]
    return net.simulate(odor_panel(names, seed=11)).kc_counts > 0


# --- coding ---------------------------------------------------------------------------------
def test_kc_sparseness_on_hallem_odors(panel):
    """About 5% of KCs respond to an odor (5-10%: Turner et al. 2008; Honegger et al. 2011);
    measured 5.0% on average, 3.6-6.1% for the 5th-95th percentile of odors."""
    fraction = panel[:110].mean(axis=1)
    assert 0.045 <= fraction.mean() <= 0.10
    assert fraction.min() > 0.02 and fraction.max() < 0.12


def test_odors_recruit_different_kc_sets(panel):
    """Odor pairs share a minority of their responding KCs (measured: 0.39 of the smaller set on
    average; 3-octanol vs 4-methylcyclohexanol ~0.35)."""
    shares = [share_of_smaller(panel[a], panel[b]) for a in range(110) for b in range(a + 1, 110)]
    assert np.mean(shares) < 0.42
    assert share_of_smaller(panel[-2], panel[-1]) < 0.45


def test_dan_rates_spontaneous_and_shock(net):
    """DANs fire at a low spontaneous rate; shock drives punishment DANs (PPL1 above PAM)."""
    result = net.simulate(Window(4.0, shocks=(ShockPulse(2.0, 1.0, 90.0),), seed=3))
    table = net.structure.groups["DAN"].groupby("cell_type")[["subtype", "valence"]].first()
    table = table.loc[list(net.dan_types)]
    ppl1 = (table["subtype"] == "PPL1").to_numpy() & (table["valence"] == "punishment").to_numpy()
    reward = (table["valence"] == "reward").to_numpy()
    assert 0.1 < result.dan_rates[:2].mean() < 3.0
    assert result.dan_rates[2, ppl1].mean() > 20.0
    assert result.dan_rates[2, reward].mean() < 3.0


def test_mbon_rates_physiological(net, naive_tests):
    """MBONs fire at 2-20 Hz spontaneously and respond to odors with tens of Hz, never hundreds
    (Hige et al. 2015 Neuron; Owald et al. 2015 Neuron)."""
    blank = net.simulate(Window(4.0, seed=5))
    sizes = np.bincount(net.structure.mbon_type_index)
    spontaneous = blank.spikes_by_type[list(net.mbon_types)].to_numpy() / sizes / 4.0
    assert 2.0 <= np.median(spontaneous) <= 20.0
    assert spontaneous.max() < 40.0
    odor = np.concatenate([r.mbon_rates for r in naive_tests])
    assert np.mean(odor < 80.0) > 0.95
    assert odor.max() < 120.0
    assert np.median(odor) > np.median(spontaneous)


# --- determinism ------------------------------------------------------------------------------
def test_same_seed_bit_identical_different_seed_differs(net):
    window = Window(5.0, odors=(OdorPulse(OCT, 1.0, 3.0),), shocks=(ShockPulse(2.0, 1.0, 90.0),),
                    seed=7)
    first, second = net.simulate(window), net.simulate(window)
    other = net.simulate(window.with_seed(8))
    for name in ("kc_counts", "mbon_rates", "dan_rates", "depression", "potentiation"):
        assert np.array_equal(getattr(first, name), getattr(second, name)), name
    assert first.spikes_by_type.equals(second.spikes_by_type)
    assert not np.array_equal(first.kc_counts, other.kc_counts)
    assert not np.array_equal(first.dan_rates, other.dan_rates)


def test_readout_columns_equal_windows_simulated_alone(net):
    """Efficacies read as columns of one call (more than one call's worth, with a naive and a
    repeated one) give each window's numbers bit for bit as if simulated alone."""
    rng = np.random.default_rng(3)
    shape = (net.n_kc, len(net.compartments))
    depressed = rng.uniform(0.1, 1.2, shape)
    efficacies = [None, depressed, *(rng.uniform(0.1, 1.2, shape) for _ in range(4)), depressed]
    window = TEST.with_seed(5)
    together = net.simulate_columns(window, efficacies)
    assert len(together) == len(efficacies) > net.compile().columns
    for efficacy, column in zip(efficacies, together):
        alone = net.simulate(window, efficacy)
        for name in ("mbon_rates", "kc_counts", "dan_rates", "depression", "potentiation"):
            assert np.array_equal(getattr(alone, name), getattr(column, name)), name
        assert alone.spikes_by_type.equals(column.spikes_by_type)
        assert alone.release_events == column.release_events
    assert not np.array_equal(together[0].mbon_rates, together[1].mbon_rates)


# --- learning ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def aversive(net):
    return net.simulate(Window(12.0, odors=(OdorPulse(OCT, 1.0, 11.0),), shocks=SHOCKS, seed=1))


@pytest.fixture(scope="module")
def training_1x(net, params):
    return efficacy_change(net.simulate(TRAINING_1X), params)


def test_one_training_depresses_g1_by_about_half(net, training_1x, naive_tests):
    """aversive_1x depresses the CS+ KCs' g1 synapses by about half (median; measured -0.49), and
    most of them stay above zero (the most active KCs are silenced: ~30%)."""
    g1 = net.compartments.index("g1")
    cs_plus = (naive_tests[0].kc_counts[0] > 0) & ~(naive_tests[0].kc_counts[1] > 0)
    change = training_1x[cs_plus & net.kc_compartment_mask[:, g1], g1]
    assert len(change) > 10
    assert -0.8 < np.median(change) < -0.25
    assert np.mean(change <= -1.0) < 0.45


@pytest.fixture(scope="module")
def graded_pis(net, training_1x, naive_tests):
    """Expected PI of 4 flies at efficacy 1 + s * delta (delta: one training's change), s = 0.2,
    0.5, 1 and 2."""
    return [expected_pi(net, np.clip(1.0 + s * training_1x, 0.0, 2.0), naive_tests[:4])
            for s in (0.2, 0.5, 1.0, 2.0)]


def test_readout_graded_in_training_strength(graded_pis):
    """Expected PI rises with the scale s of one training's change, by > 0.05 per step up to
    s = 1, and does not drop at s = 2 (massed-like training)."""
    print("expected PI at s = 0.2, 0.5, 1, 2:", np.round(graded_pis, 2))
    assert graded_pis[0] > 0.15
    assert np.all(np.diff(graded_pis[:3]) > 0.05)
    assert graded_pis[3] >= graded_pis[2] - 0.05


def test_one_training_reads_out_as_in_flies(graded_pis):
    """~0.4 at s = 0.2, ~0.7 at 0.5, ~0.85 at 1 (Tully & Quinn 1985)."""
    assert 0.25 <= graded_pis[0] <= 0.6
    assert 0.55 <= graded_pis[1] <= 0.85
    assert 0.75 <= graded_pis[2] <= 0.95


def test_aversive_pairing_depresses_cs_plus_kcs(net, aversive, params):
    """Odor + shock depresses the odor's KCs in punished compartments (g1, g2) by > 10%."""
    change = efficacy_change(aversive, params)
    oct_kcs = aversive.kc_counts[0] > 0
    for compartment in ("g1", "g2"):
        c = net.compartments.index(compartment)
        reachable = oct_kcs & net.kc_compartment_mask[:, c]
        assert reachable.sum() > 5
        assert change[reachable, c].mean() < -0.1
    assert np.abs(change[~oct_kcs]).mean() < 0.02


def test_aversive_pairing_gives_positive_pi(net, aversive, params, naive_tests):
    """PI is 0 for naive flies and clearly positive after one aversive training."""
    assert expected_pi(net, None, naive_tests) == pytest.approx(0.0, abs=1e-12)
    trained = 1.0 + efficacy_change(aversive, params)
    assert expected_pi(net, trained, naive_tests[:4]) > 0.5


def test_cs_minus_stays_near_naive(net, aversive, params):
    """KCs that respond to the CS- but not the CS+ keep their naive efficacy."""
    probe = net.simulate(Window(2.0, odors=(OdorPulse(MCH, 0.5, 1.5),), seed=1))
    only_mch = (probe.kc_counts[0] > 0) & (aversive.kc_counts[0] == 0)
    assert only_mch.sum() > 10
    change = efficacy_change(aversive, params)[only_mch][net.kc_compartment_mask[only_mch]]
    assert np.abs(change).mean() < 0.03


def test_unpaired_training_gives_no_memory(net, params, naive_tests):
    """Shocks 14 s before the odor (beyond the traces) leave PI near 0."""
    unpaired = net.simulate(Window(36.0, odors=(OdorPulse(OCT, 25.0, 35.0),), shocks=SHOCKS, seed=2))
    assert abs(expected_pi(net, 1.0 + efficacy_change(unpaired, params), naive_tests[:4])) < 0.2


def test_appetitive_pairing_gives_negative_pi(net, params, naive_tests):
    """Odor + sugar in hungry flies makes the odor attractive (negative PI)."""
    sugar = net.simulate(Window(12.0, odors=(OdorPulse(OCT, 1.0, 11.0),),
                                sugar=(SugarPulse(2.0, 11.0),), starved=True, seed=3))
    assert expected_pi(net, 1.0 + efficacy_change(sugar, params), naive_tests[:4]) < -0.5


def test_blocking_dan_output_prevents_learning(net, aversive, params):
    """Blocking DAN release (shibire) during training removes the depression."""
    window = Window(12.0, odors=(OdorPulse(OCT, 1.0, 11.0),), shocks=SHOCKS, seed=1,
                    manipulations=(Manipulation(("DAN",), "block", 0.0, 12.0),))
    blocked = net.simulate(window)
    assert blocked.depression.sum() == 0.0
    assert blocked.release_events["DAN"] == 0.0
    assert blocked.spikes_by_type[list(net.dan_types)].sum() > 0
    assert aversive.release_events["DAN"] > 0


def test_activating_ppl1_mimics_shock(net, params):
    """Thermogenetic activation of PPL1 DANs during an odor depresses its KCs in g1."""
    window = Window(12.0, odors=(OdorPulse(OCT, 1.0, 11.0),), seed=1,
                    manipulations=(Manipulation(("PPL1",), "activate", 2.0, 10.0),))
    result = net.simulate(window)
    g1 = net.compartments.index("g1")
    kcs = (result.kc_counts[0] > 0) & net.kc_compartment_mask[:, g1]
    assert efficacy_change(result, params)[kcs, g1].mean() < -0.1


# --- readout and API ------------------------------------------------------------------------
def test_performance_index_counts_choices():
    pi, sem, n = performance_index([1, 1, 1, -1])
    assert (pi, n) == (0.5, 4)
    assert sem == pytest.approx(np.std([1, 1, 1, -1], ddof=1) / 2)


def test_result_shapes(net, naive_tests):
    result = naive_tests[0]
    assert result.kc_counts.shape == (2, net.n_kc)
    assert result.mbon_rates.shape == (2, len(net.mbon_types))
    assert result.dan_rates.shape == (5, len(net.dan_types))
    assert result.depression.shape == (net.n_kc, len(net.compartments)) == net.kc_compartment_mask.shape
    assert set(result.release_events) == {"PN", "KC", "MBON", "DAN"}
    assert len(net.kc_ids) == net.n_kc


# --- bad input ------------------------------------------------------------------------------
def test_unknown_odor_lists_close_matches(net):
    with pytest.raises(InputError, match=r"unknown odor '3-octanal'.*3-octanol"):
        net.simulate(Window(2.0, odors=(OdorPulse("3-octanal", 0.5, 1.5),)))


def test_unknown_target_rejected(net):
    window = Window(2.0, manipulations=(Manipulation(("PPL9",), "block", 0.0, 1.0),))
    with pytest.raises(InputError, match=r"unknown target 'PPL9'"):
        net.simulate(window)


def test_bad_mode_and_interval_rejected(net):
    with pytest.raises(InputError, match=r"mode 'silence'"):
        net.simulate(Window(2.0, manipulations=(Manipulation(("DAN",), "silence", 0.0, 1.0),)))
    with pytest.raises(InputError, match=r"odors\[0\].*interval"):
        net.simulate(Window(2.0, odors=(OdorPulse(OCT, 1.0, 3.0),)))


def test_wrong_efficacy_shape_rejected(net):
    with pytest.raises(InputError, match=r"efficacy array of shape \(3, 3\)"):
        net.simulate(Window(1.0), np.ones((3, 3)))


@pytest.mark.parametrize("cell_class", ["KC", "MBON"])
def test_connectome_without_kcs_or_mbons_rejected(params, cell_class):
    connectome = load_default()
    kept = connectome.neurons.loc[connectome.neurons["cell_class"] != cell_class, "id"]
    with pytest.raises(InputError, match=rf"without {cell_class} neurons"):
        MushroomBodyNetwork(connectome.subset(kept), params)


def test_compiled_network_reused_by_new_process(net):
    """A second process finds the compiled network in the cache instead of compiling again."""
    code = ("from mbsim.connectome import load_default; from mbsim.network import "
            "MushroomBodyNetwork; print(MushroomBodyNetwork(load_default()).compile().directory)")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == str(net.compile().directory)
    assert time.perf_counter() - start < 15.0
