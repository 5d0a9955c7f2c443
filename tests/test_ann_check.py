"""The ANN check: the MB's plasticity strategies on a plain network learning digits, and its CLI."""

from __future__ import annotations

import numpy as np
import pytest

from mbsim.cli import main
from mbsim.efficiency.ann import (PlainNetwork, RestrictedRule, load_digits_split, make_cached_rule,
                                  train)
from mbsim.efficiency.ann_experiment import AnnCaching, Training, load_ann_experiment
from mbsim.efficiency.experiment import EXPERIMENTS_DIR
from mbsim.efficiency.learning import EnergyLedger
from mbsim.efficiency.strategies import make_selector
from mbsim.io import load

ALPHAS = (0.0, 1.0)
TOTAL, M0, M1 = 0, 0, 1
TRAINING = Training(learning_rate=0.1, batch_size=32, criterion=0.93, max_epochs=100, evaluate_every=5)
CACHING = AnnCaching(thresholds=[0.03], maintenance_cost=0.001)


@pytest.fixture(scope="module")
def data():
    return load_digits_split([0, 1, 2, 3, 4, 5], 0.3, 0)


@pytest.fixture(scope="module")
def network(data):
    return PlainNetwork(64, 128, data.n_classes)


def run(network, data, strategy, parameter=1.0, seed=0):
    weights = network.initial_weights(np.random.default_rng([seed, 1]))
    if strategy == "caching":
        rule = make_cached_rule(weights, ALPHAS, parameter, CACHING)
    else:
        rule = RestrictedRule(make_selector(strategy, network.layout, parameter,
                                            np.random.default_rng([seed, 2])), weights, EnergyLedger(ALPHAS))
    return train(network, data, rule, TRAINING, np.random.default_rng([seed, 3]))


@pytest.fixture(scope="module")
def baseline(network, data):
    outcome = run(network, data, "all")
    assert outcome.reached
    return outcome


@pytest.mark.parametrize("path", sorted(EXPERIMENTS_DIR.glob("ann_*.yaml")), ids=lambda p: p.stem)
def test_shipped_ann_experiments_validate(path):
    """Every shipped ANN-check file loads and reports M0 and M1."""
    experiment = load_ann_experiment(path)
    assert experiment.name == path.stem and {0.0, 1.0} <= set(experiment.energy.alphas)


def test_backpropagation_matches_finite_differences():
    """The analytic gradient of the cross-entropy equals central differences on a tiny network."""
    network = PlainNetwork(5, 3, 4)
    rng = np.random.default_rng(0)
    weights, x, y = network.initial_weights(rng), rng.random((6, 5)), rng.integers(0, 4, 6)

    def loss(w):
        probabilities = network._forward(w, x)[-1]
        return -np.mean(np.log(probabilities[np.arange(len(y)), y]))
    numeric = np.array([(loss(weights + e) - loss(weights - e)) / 2e-6
                        for e in np.eye(network.n_weights) * 1e-6])
    np.testing.assert_allclose(network.gradient(weights, x, y), numeric, rtol=1e-5, atol=1e-8)


def test_layout_groups_weights_by_postsynaptic_neuron():
    """Every weight is plastic; each hidden and output neuron is a group of fan-in + 1 weights."""
    layout = PlainNetwork(64, 10, 6).layout
    assert layout.n_plastic == 65 * 10 + 11 * 6 and layout.n_groups == 16
    assert np.array_equal(np.bincount(layout.group_of), [65] * 10 + [11] * 6)


def test_largest_updates_cut_m0_tenfold_and_lower_m1(network, data, baseline):
    """top_k at P = 0.01 reaches the criterion with >= 10x fewer updates and less M1 than all."""
    outcome = run(network, data, "top_k", 0.01)
    assert outcome.reached
    assert baseline.energy[TOTAL, M0] / outcome.energy[TOTAL, M0] >= 10.0
    assert outcome.energy[TOTAL, M1] < 0.7 * baseline.energy[TOTAL, M1]


def test_random_mask_at_moderate_fraction_reaches_criterion(network, data):
    """A fixed random mask of 30% of the weights still learns the task (as in the poster)."""
    outcome = run(network, data, "random_mask", 0.3)
    assert outcome.reached and outcome.accuracy >= TRAINING.criterion


def test_caching_lowers_total_m1(network, data, baseline):
    """Caching at threshold 0.03 learns as fast (no decay) and pays less M1, maintenance included."""
    outcome = run(network, data, "caching", 0.03)
    assert outcome.reached
    assert outcome.energy[3, M1] > 0  # maintenance was charged
    assert outcome.energy[TOTAL, M1] < 0.8 * baseline.energy[TOTAL, M1]


def test_same_seed_gives_bit_identical_runs(network, data):
    """Two runs with the same seed give the same steps and energies, bit for bit."""
    first, second = (run(network, data, "top_k_per_mbon", 0.03, seed=4) for _ in range(2))
    assert first.trials == second.trials and np.array_equal(first.energy, second.energy)
    other = run(network, data, "top_k_per_mbon", 0.03, seed=5)
    assert not np.array_equal(first.energy, other.energy)


def test_ann_check_cli_writes_a_loadable_result(tmp_path, capsys):
    """``mbsim ann-check ann_small`` writes mbsim-ann-check/1 with provenance and /hardware."""
    path = tmp_path / "ann.h5"
    assert main(["ann-check", "ann_small", "-o", str(path), "-q"]) == 0
    tree = load(path, kind="mbsim-ann-check")
    assert tree.attrs["format"] == "mbsim-ann-check/1" and len(tree.attrs["experiment_sha256"]) == 64
    runs = tree["runs"].to_dataset()
    assert set(runs["strategy"].values) == {"all", "random_mask", "top_k", "top_k_per_mbon", "caching"}
    hardware = tree["hardware"].to_dataset()
    assert "counter_source" in hardware.attrs and (hardware["seconds"].values > 0).all()
    assert (runs["joules_update"].values > 0).all()
    assert "top_k" in capsys.readouterr().out


def test_bad_experiment_file_exits_2_with_file_line_field(tmp_path, capsys):
    """A criterion above 1 is refused before any training, naming the file, line and field."""
    path = tmp_path / "bad.yaml"
    path.write_text("schema_version: 1\nname: bad\nnetwork: {hidden_sizes: [8], seeds: [0]}\n"
                    "training:\n  criterion: 1.5\nstrategies: {fractions: [0.1]}\n")
    assert main(["ann-check", str(path), "-o", str(tmp_path / "out.h5")]) == 2
    error = capsys.readouterr().err
    assert f"{path}:5, field 'training.criterion': found 1.5; expected a number < 1" in error
    assert "Traceback" not in error and not (tmp_path / "out.h5").exists()
