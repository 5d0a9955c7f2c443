"""Energy-efficient plasticity on the spiking MB: readout, strategies, caching, energy, sweep CLI."""

from __future__ import annotations

import numpy as np
import pytest

from mbsim.cli import main
from mbsim.efficiency import (make_selector, parse_experiment_text, train_caching,
                              train_restricted)
from mbsim.efficiency.learning import PHASES, EnergyLedger
from mbsim.efficiency.task import build_network, build_task
from mbsim.io import load

N_KC = 500
EXPERIMENT = """\
schema_version: 1
name: energy_test
task:
  odors: {library: synthetic, count: 4}
  learning_rate_scale: 0.03
  max_trials: 1500
network: {kc_counts: [500], seeds: [0]}
strategies:
  fractions: [0.01]
  restricted: [top_k]
  caching: {thresholds: [0.02]}
"""
ALPHAS = (0.0, 0.5, 1.0)
TOTAL, TRANSIENT, PERSISTENT, MAINTENANCE = range(len(PHASES))
M0, M1 = 0, 2
HOUR, DAY = 3600.0, 86400.0


@pytest.fixture(scope="module")
def experiment():
    return parse_experiment_text(EXPERIMENT, "energy_test.yaml")


@pytest.fixture(scope="module")
def network():
    return build_network(N_KC, 0, "synthetic", None)


@pytest.fixture(scope="module")
def task(network, experiment):
    return build_task(network, experiment.task, seed=0)


def restricted(task, experiment, strategy, fraction, seed=0):
    selector = make_selector(strategy, task.layout, fraction, np.random.default_rng([seed, 1]))
    return train_restricted(task, selector, np.random.default_rng(seed),
                            experiment.task.criterion, experiment.task.max_trials, ALPHAS)


def caching(task, experiment, threshold, decay_time, interval=15 * 60.0):
    return train_caching(task, experiment.strategies.caching, threshold, decay_time, interval,
                         np.random.default_rng(0), experiment.task.criterion,
                         experiment.task.max_trials, ALPHAS)


@pytest.fixture(scope="module")
def baseline(task, experiment):
    return restricted(task, experiment, "all", 1.0)


def test_readout_kernel_matches_mbon_input(network, task):
    """The linear kernel gives the valence-weighted relative KC input change of the MBON types,
    computed here from the network's own per-synapse efficacies."""
    rng = np.random.default_rng(1)
    efficacy = np.clip(1 + rng.normal(0, 0.3, (task.n_kc, len(task.compartments))), 0, 2)
    efficacy = np.where(network.kc_compartment_mask, efficacy, 1.0)
    s = network.structure
    gain = s.input_weights(s.kc_mbon, s.size("MBON"), network.params.kc_mbon_compensation)
    syn_type = s.mbon_type_index[s.kc_mbon.post]
    per_syn = network.synapse_efficacy(efficacy)
    for odor in range(len(task.odors)):
        drive = task.kc_counts[odor][s.kc_mbon.pre] * gain
        naive = np.bincount(syn_type, weights=drive, minlength=len(s.mbon_types))
        learned = np.bincount(syn_type, weights=drive * per_syn, minlength=len(s.mbon_types))
        relative = np.divide(learned, naive, out=np.ones_like(naive), where=naive > 0) - 1
        expected = float(s.mbon_valence @ relative / np.abs(s.mbon_valence).sum())
        assert task.kernel[odor] @ (efficacy.ravel() - 1) == pytest.approx(expected, rel=1e-6)


def test_every_strategy_reaches_criterion_at_full_plasticity(task, experiment, baseline):
    """At P = 1 all strategies are the unmodified network: same trials to criterion and energy."""
    assert baseline.reached and baseline.accuracy >= 0.95
    assert 5 <= baseline.trials <= 500
    for strategy in ("random_mask", "top_k", "top_k_per_mbon"):
        outcome = restricted(task, experiment, strategy, 1.0)
        assert outcome.reached and outcome.trials == baseline.trials
        assert outcome.energy[TOTAL, M0] == pytest.approx(baseline.energy[TOTAL, M0])


def test_largest_updates_cut_m0_by_a_large_factor(task, experiment, baseline):
    """Selecting the 0.1% largest updates network-wide reaches criterion with >= 10x fewer updates."""
    best = restricted(task, experiment, "top_k", 0.001)
    assert best.reached
    assert baseline.energy[TOTAL, M0] / best.energy[TOTAL, M0] >= 10.0
    assert best.energy[TOTAL, M1] < baseline.energy[TOTAL, M1]


def test_random_mask_fails_where_signal_is_too_small(task, experiment):
    """A fixed 1% random mask cannot reach criterion: the readout change scales with P."""
    outcome = restricted(task, experiment, "random_mask", 0.01)
    assert not outcome.reached and outcome.accuracy < 0.9


def test_caching_with_high_threshold_consolidates_less(task, experiment, baseline):
    """With slowly decaying transients and a high threshold, consolidating the net change costs
    >= 10x fewer persistent updates and less M1 (back-and-forth changes cancel; since only
    odor-evoked spikes are eligible, few changes go back and forth: ~1% less M1)."""
    outcome = caching(task, experiment, threshold=0.5, decay_time=30 * DAY)
    assert outcome.reached
    assert outcome.energy[TOTAL, M0] < baseline.energy[TOTAL, M0] / 10
    assert outcome.energy[PERSISTENT, M1] < 0.995 * baseline.energy[TOTAL, M1]
    assert outcome.energy[TRANSIENT, M1] >= outcome.energy[PERSISTENT, M1]


def test_caching_at_labile_timescale_saves_m1(task, experiment, baseline):
    """With the labile decay time (2.5 h, 15 min between trials) and a low threshold, caching
    reaches criterion with >= 10% less M1 (14% measured) and >= 5x fewer updates than direct
    persistent updates."""
    outcome = caching(task, experiment, threshold=0.02, decay_time=2.5 * HOUR)
    assert outcome.reached
    assert outcome.energy[TOTAL, M1] < 0.90 * baseline.energy[TOTAL, M1]
    assert outcome.energy[TOTAL, M0] < baseline.energy[TOTAL, M0] / 5


def test_caching_with_fast_decay_loses_the_memory(task, experiment):
    """Transients that decay within the inter-trial interval never accumulate to criterion."""
    outcome = caching(task, experiment, threshold=0.5, decay_time=60.0)
    assert not outcome.reached


def test_maintenance_cost_integrates_the_decaying_transient():
    """c * integral of |w| exp(-t/tau) over the interval (alpha 1) and c * interval (alpha 0)."""
    ledger = EnergyLedger((0.0, 1.0))
    ledger.add_maintenance(np.array([0.2, 0.0]), interval=HOUR, decay_time=2 * HOUR, cost_per_hour=0.5)
    assert ledger.values["maintenance"][1] == pytest.approx(0.5 * 0.2 * 2 * (1 - np.exp(-0.5)))
    assert ledger.values["maintenance"][0] == pytest.approx(0.5)


def test_energy_sweep_cli_writes_result_and_figures(tmp_path, experiment, capsys):
    """``mbsim energy-sweep`` writes an mbsim-energy-sweep/1 file with provenance and 3 figures."""
    path = tmp_path / "energy_test.yaml"
    path.write_text(EXPERIMENT)
    output = tmp_path / "sweep.h5"
    assert main(["-q", "energy-sweep", str(path), "-o", str(output)]) == 0
    tree = load(output, kind="mbsim-energy-sweep")
    assert tree.attrs["experiment_sha256"] == experiment.sha256
    assert tree.attrs["experiment_text"] == EXPERIMENT
    runs = tree["runs"].to_dataset()
    assert sorted(set(runs["strategy"].values)) == ["all", "caching", "top_k"]
    assert runs.sizes["run"] == 3 and list(runs["alpha"].values) == [0.0, 0.5, 1.0]
    savings = tree["optimal"]["savings"].sel(strategy="top_k", n_kc=N_KC, alpha=0.0)
    assert float(savings) > 3.0
    for suffix in ("vs_fraction", "optimal", "savings"):
        assert (tmp_path / f"sweep_{suffix}.png").stat().st_size > 10_000
    capsys.readouterr()
    assert main(["inspect", str(output)]) == 0                   # inspect reads sweep files too
    printed = capsys.readouterr().out
    assert printed.startswith("mbsim-energy-sweep file") and "top_k" in printed
