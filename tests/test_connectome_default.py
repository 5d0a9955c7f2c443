"""The embedded default: its tables reproduce hemibrain v1.2.1 statistics within tolerances."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from mbsim.connectome import load, load_default, load_neuprint
from mbsim.connectome.default import DEFAULT_DIR, default_tables
from mbsim.connectome.default_stats import group_of, kc_pn_inputs, neuron_counts
from mbsim.errors import InputError


@pytest.fixture(scope="module")
def hemibrain(shared_data):
    return load_neuprint(shared_data / "connectome" / "hemibrain_v1.2.1_mb")


@pytest.fixture(scope="module")
def default():
    return load("default")


def test_tables_are_current_and_small(hemibrain):
    """The committed neuron table is what default_stats computes now; all tables < 300 KB."""
    committed, _, inputs = default_tables()
    pd.testing.assert_frame_equal(neuron_counts(hemibrain).reset_index(drop=True),
                                  committed.reset_index(drop=True), check_dtype=False)
    pd.testing.assert_frame_equal(kc_pn_inputs(hemibrain), inputs, check_dtype=False)
    assert sum(p.stat().st_size for p in DEFAULT_DIR.iterdir()) < 300_000


def test_type_counts_exact(default, hemibrain):
    """At hemibrain size every group (KC subtype, PN type, type and side) has its real count."""
    real = group_of(hemibrain.neurons).value_counts().sort_index()
    drawn = group_of(default.neurons).value_counts().sort_index()
    pd.testing.assert_series_equal(drawn, real)


def _inputs_per_kc(connectome):
    kcs = connectome.of_class("KC")
    pairs = connectome.pair_weights()
    pn = pairs[pairs["pre"].isin(connectome.of_class("PN")["id"])]
    counts = pn.groupby("post").size().reindex(kcs["id"], fill_value=0)
    return pd.Series(counts.to_numpy(), index=kcs["subtype"].to_numpy())


def test_pn_inputs_per_kc(default, hemibrain):
    """Mean PN partners per KC within 10 % for every subtype with at least 50 KCs and 1 partner."""
    real, drawn = _inputs_per_kc(hemibrain), _inputs_per_kc(default)
    for subtype, mean in real.groupby(level=0).mean().items():
        if (real.index == subtype).sum() >= 50 and mean >= 1:
            assert drawn[subtype].mean() == pytest.approx(mean, rel=0.10), subtype
    assert drawn.mean() == pytest.approx(real.mean(), rel=0.05)


def _group_pairs(connectome):
    groups = pd.Series(group_of(connectome.neurons).to_numpy(), index=connectome.neurons["id"])
    pairs = connectome.pair_weights()
    return pairs.assign(pre_group=groups.reindex(pairs["pre"]).to_numpy(),
                        post_group=groups.reindex(pairs["post"]).to_numpy())


def test_kc_mbon_probabilities(default, hemibrain):
    """KC->MBON connection probability per (KC subtype, MBON type and side) within 4 binomial
    standard deviations + 0.01."""
    sizes = group_of(hemibrain.neurons).value_counts()
    mbon_groups = set(group_of(hemibrain.of_class("MBON")))
    kc_groups = set(hemibrain.of_class("KC")["subtype"])
    real = _group_pairs(hemibrain).groupby(["pre_group", "post_group"]).size()
    drawn = _group_pairs(default).groupby(["pre_group", "post_group"]).size()
    checked = 0
    for kc in kc_groups:
        for mbon in mbon_groups:
            n = sizes[kc] * sizes[mbon]
            p_real = real.get((kc, mbon), 0) / n
            p_drawn = drawn.get((kc, mbon), 0) / n
            assert abs(p_drawn - p_real) <= 4 * np.sqrt(p_real * (1 - p_real) / n) + 0.01, (kc, mbon)
            checked += 1
    assert checked == len(kc_groups) * len(mbon_groups) == 11 * 48


def test_synapse_means_per_class_pair(default, hemibrain):
    """Pairs within 2 % and mean synapses per pair within 5 % for every class pair."""
    real = hemibrain.synapses_by_class_pair().set_index(["pre_class", "post_class"])
    drawn = default.synapses_by_class_pair().set_index(["pre_class", "post_class"])
    assert list(drawn.index) == list(real.index)
    np.testing.assert_allclose(drawn["pairs"], real["pairs"], rtol=0.02)
    np.testing.assert_allclose(drawn["synapses"] / drawn["pairs"], real["synapses"] / real["pairs"],
                               rtol=0.05)
    assert default.missing_edge_classes == hemibrain.missing_edge_classes


def test_scaling_keeps_proportions():
    """5000 KCs: subtype counts proportional to hemibrain (largest remainder), others unchanged."""
    big = load_default(5000, seed=1)
    counts = big.of_class("KC")["subtype"].value_counts()
    assert counts.sum() == 5000
    assert counts["KCg-m"] == round(590 * 5000 / 1919)
    assert big.counts_by_class()["MBON"] == 57 and big.counts_by_class()["DAN"] == 315
    per_kc = _inputs_per_kc(big).mean()
    assert 5.0 < per_kc < 7.0


def test_seed_reproducible_and_fast():
    """The same seed gives the same tables; another seed differs; 2000 KCs in under 1 s."""
    start = time.perf_counter()
    first = load_default(2000, seed=7)
    assert time.perf_counter() - start < 1.0
    assert load_default(2000, seed=7).checksum() == first.checksum()
    assert load_default(2000, seed=8).checksum() != first.checksum()
    assert first.neurons["id"].is_unique and first.edges["weight"].min() >= 1


@pytest.mark.parametrize("n_kc", [499, 20001, 2000.5, "2000", True])
def test_bad_kc_count(n_kc):
    with pytest.raises(InputError, match=r"field 'n_kc'.*an integer from 500 to 20000"):
        load_default(n_kc)
