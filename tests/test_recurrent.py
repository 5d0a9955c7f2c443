"""The recurrent mushroom body: MBON->DAN, MBON->MBON and DAN->MBON synapses from the connectome,
signed by transmitter, simulated when ``network.recurrent`` is on; windows stay exact."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from analytic_network import AnalyticNetwork

from mbsim.connectome import Connectome, load, load_default, mbtypes
from mbsim.connectome.transmitters import signs, transmitters
from mbsim.engine.fly import Fly
from mbsim.engine.memory import load_memory_params
from mbsim.engine.slow import SlowLayer
from mbsim.engine.windows import WindowCache
from mbsim.network import MushroomBodyNetwork, OdorPulse, ShockPulse, Window
from mbsim.network.compiled import cache_entry
from mbsim.network.structure import build_structure
from mbsim.protocol import parse_protocol_text
from mbsim.stimulus import Manipulation

FLYWIRE_SIGN = {"ACH": 1, "GABA": -1, "GLUT": -1, "DA": -1}
MEMORY = load_memory_params()
SPACED = """schema_version: 1
name: spaced
odors: {cs_plus: {name: 3-octanol}, cs_minus: {name: 4-methylcyclohexanol}}
training: {type: spaced, repeat: 10, iti: 15 min, reinforcement: {shock: {voltage: 60 V, pulses: 12}}}
tests: {times: [3 min]}
feeding: [{state: fed}]
"""
TABLE_SIGN = {"acetylcholine": 1, "GABA": -1, "glutamate": -1, "dopamine": -1}


def with_edges(connectome: Connectome, pre_type: str, post_type: str, weight: int) -> Connectome:
    """The connectome with every ``pre_type`` neuron connected to every ``post_type`` neuron."""
    neurons = connectome.neurons
    pre = neurons.loc[neurons["cell_type"] == pre_type, "id"].to_numpy()
    post = neurons.loc[neurons["cell_type"] == post_type, "id"].to_numpy()
    assert len(pre) and len(post)
    added = pd.DataFrame({"pre": np.repeat(pre, len(post)), "post": np.tile(post, len(pre)),
                          "weight": weight, "roi": ""})
    return dataclasses.replace(connectome, edges=pd.concat([connectome.edges, added],
                                                           ignore_index=True))


def test_flywire_wiring_has_the_data_counts_and_transmitter_signs(shared_data):
    """Counts and signs per pathway equal those computed from the FlyWire files directly: each
    type's majority ``nt_type``, else the type table's transmitter."""
    folder = shared_data / "connectome" / "flywire_v783_mb"
    structure = build_structure(load(folder))
    table = pd.read_csv(folder / "classification.csv", dtype=str, keep_default_na=False)
    edges = pd.read_csv(folder / "connections.csv", dtype={"pre_root_id": str,
                                                           "post_root_id": str})
    predicted = table[table["nt_type"] != ""].groupby("cell_type")["nt_type"].agg(
        lambda v: v.mode()[0] if len(v.mode()) == 1 else "")
    by_id = table.set_index("root_id")
    pre_class = by_id["class"].reindex(edges["pre_root_id"]).to_numpy()
    post_class = by_id["class"].reindex(edges["post_root_id"]).to_numpy()
    types = pd.read_csv(mbtypes.MB_TYPES_FILE, dtype=str).set_index("type")
    fallback = by_id["cell_type"].map(types["neurotransmitter"]).map(TABLE_SIGN)
    sign = by_id["cell_type"].map(predicted).map(FLYWIRE_SIGN).fillna(fallback).reindex(
        edges["pre_root_id"])
    for pre, post in (("MBON", "MBON"), ("DAN", "MBON")):
        chosen = (pre_class == pre) & (post_class == post) & sign.notna().to_numpy()
        expected = edges["syn_count"].to_numpy()[chosen] * sign.to_numpy()[chosen]
        found = structure.recurrent[pre, post].count
        assert len(found) == chosen.sum() > 100
        assert found[found > 0].sum() == expected[expected > 0].sum()
        assert found[found < 0].sum() == expected[expected < 0].sum() < 0
    assert len(structure.recurrent["MBON", "DAN"].pre) == 0     # the subset holds none


def test_hemibrain_signs_follow_the_type_table(shared_data):
    """Hemibrain MBONs are signed by the type table (Aso et al. 2014a): cholinergic excite,
    GABAergic and glutamatergic inhibit; edges added to the export are wired with those signs."""
    hemibrain = load(shared_data / "connectome" / "hemibrain_v1.2.1_mb")
    mbons = hemibrain.of_class("MBON")
    found = dict(zip(mbons["cell_type"], transmitters(mbons)))
    assert (found["MBON12"], found["MBON11"], found["MBON01"]) == (
        "acetylcholine", "GABA", "glutamate")
    assert set(signs(hemibrain.of_class("DAN"))) == {-1.0}
    assert {"MBON->DAN", "MBON->MBON", "DAN->MBON"} <= set(hemibrain.missing_edge_classes)
    wired = build_structure(with_edges(with_edges(hemibrain, "MBON12", "PAM01_a", 7),
                                       "MBON11", "PPL101", 5))
    to_dans = wired.recurrent["MBON", "DAN"]
    n = hemibrain.neurons["cell_type"].value_counts()
    assert np.sum(to_dans.count == 7) == n["MBON12"] * n["PAM01_a"]
    assert np.sum(to_dans.count == -5) == n["MBON11"] * n["PPL101"]
    assert len(to_dans.count) == n["MBON12"] * n["PAM01_a"] + n["MBON11"] * n["PPL101"]


@pytest.fixture(scope="module")
def feedback_network(params):
    """A small default network with an excitatory (cholinergic MBON12 -> PAM01) and an
    inhibitory (GABAergic MBON11 -> PPL101) MBON->DAN pathway, recurrent on."""
    wired = with_edges(with_edges(load_default(500, seed=3), "MBON12", "PAM01_a", 100),
                       "MBON11", "PPL101", 100)
    return MushroomBodyNetwork(wired, params.updated({"recurrent": 1.0}))


def shocked(seed: int, manipulations=()) -> Window:
    return Window(3.0, odors=(OdorPulse("3-octanol", 0.5, 2.5),),
                  shocks=(ShockPulse(0.5, 2.0, 90.0),), manipulations=manipulations, seed=seed)


def test_feedback_changes_dan_rates_as_the_transmitter_says(feedback_network):
    """Driving MBON12 (cholinergic) raises PAM01's rate; driving MBON11 (GABAergic) lowers the
    shock-driven PPL101 rate."""
    net = feedback_network
    activated = (Manipulation(("MBON12", "MBON11"), "activate", 0.0, 3.0),)
    rates = {}
    for name, manipulations in (("plain", ()), ("driven", activated)):
        result = net.simulate(shocked(1, manipulations))
        rates[name] = dict(zip(result.dan_types, result.dan_rates[1:].mean(axis=0)))
    assert rates["driven"]["PAM01_a"] > rates["plain"]["PAM01_a"] + 5.0
    assert rates["driven"]["PPL101"] < 0.8 * rates["plain"]["PPL101"]


def test_windows_with_feedback_depend_on_the_efficacy_and_are_never_reused(feedback_network):
    """With feedback the DANs read the column's MBONs: two efficacies give two windows (and
    different dopamine), each readout column equals its window alone, and only the same
    efficacy is a cache hit."""
    net = feedback_network
    window = shocked(2)
    naive = np.ones((net.n_kc, len(net.compartments)))
    depressed = naive.copy()
    depressed[:, [net.compartments.index(c) for c in ("g1", "g2", "a'1")]] = 0.0
    cache = WindowCache(net)
    first, second = cache.simulate_columns(window, [naive, depressed])
    assert (cache.misses, cache.hits) == (2, 0)
    assert not np.array_equal(first.dan_rates, second.dan_rates)
    assert cache.simulate(window, depressed.copy()) is second and cache.hits == 1
    alone = net.simulate(window, depressed)
    np.testing.assert_array_equal(alone.dan_rates, second.dan_rates)
    np.testing.assert_array_equal(alone.depression, second.depression)
    np.testing.assert_array_equal(alone.mbon_rates, second.mbon_rates)


def test_off_leaves_the_recurrent_edges_out(params):
    """With ``recurrent`` 0 the recurrent edges change nothing: the same compiled network and
    the same numbers as the connectome without them."""
    plain = MushroomBodyNetwork(load_default(), params)
    wired = MushroomBodyNetwork(with_edges(load_default(), "MBON12", "PAM01_a", 100), params)
    assert len(wired.structure.recurrent["MBON", "DAN"].pre) > 0
    assert cache_entry(wired.structure, params) == cache_entry(plain.structure, params)
    window = shocked(4, (Manipulation(("MBON12",), "activate", 0.0, 3.0),))
    a, b = plain.simulate(window), wired.simulate(window)
    np.testing.assert_array_equal(a.dan_rates, b.dan_rates)
    np.testing.assert_array_equal(a.mbon_rates, b.mbon_rates)
    np.testing.assert_array_equal(a.depression, b.depression)


class FeedbackAnalyticNetwork(AnalyticNetwork):
    """The analytic network, declared recurrent: the engine must treat its windows as
    depending on the efficacy."""

    recurrent = True


@pytest.mark.parametrize("network", [AnalyticNetwork, FeedbackAnalyticNetwork])
def test_spaced_training_costs_one_window_per_distinct_efficacy(network):
    """Spaced 10x: one training window without feedback; with it one per trial whose efficacy
    differs from the earlier trials' (here the analytic change saturates after a few trials,
    and trials at the same efficacy are reused)."""
    schedule = parse_protocol_text(SPACED, "spaced.yaml").schedule()
    net = network()
    fly = Fly(net, schedule, MEMORY, SlowLayer(MEMORY), [1])
    outcome = fly.run(np.array([0.0]))[0]
    training = [w for w in net.simulated if w.label.startswith("training")]
    if network.recurrent:
        assert 3 <= len(training) <= 10
        assert [w.label for w in training] == [f"training trial {i + 1}"
                                               for i in range(len(training))]
    else:
        assert len(training) == 1
    assert len([w for w in outcome.windows if w.label.startswith("training")]) == 10
    assert 2 * outcome.p_avoid[-1, 0] - 1 > 0.2
