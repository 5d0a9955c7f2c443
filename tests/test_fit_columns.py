"""A fit's batch walk (one column per parameter vector) against the engine's own fly, column by
column, on the analytic stand-in network with the metabolism model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analytic_network import AnalyticNetwork
from mbsim.engine.fly import Fly
from mbsim.engine.memory import load_memory_params
from mbsim.engine.slow import RUN_TOLERANCES, SlowLayer
from mbsim.engine.windows import trial_window, window_seed
from mbsim.fit.forward import ForwardModel, ProtocolNeeds
from mbsim.metabolism import Metabolism, load_metabolism_params
from mbsim.protocol import load_protocol

RETENTION, SURVIVAL = "aversive_spaced_10x", "survival_spaced_5x"
TIMES = (3600.0, 86400.0, 4 * 86400.0)
#: Three parameter vectors: the defaults, then changes of memory and metabolism parameters.
VECTORS = [{"memory": {"tau_labile": 3600.0}, "metabolism": {"body_basal_demand": 4e-10,
                                                             "pdh_time_constant": 600.0}},
           {"memory": {"tau_labile": 7200.0}, "metabolism": {"body_basal_demand": 2e-10,
                                                             "pdh_time_constant": 1800.0}},
           {"memory": {"tau_labile": 1800.0}, "metabolism": {"body_basal_demand": 3e-10,
                                                             "pdh_time_constant": 60.0}}]


@pytest.fixture(scope="module")
def setup():
    network = AnalyticNetwork()
    memory = load_memory_params()
    metabolism = load_metabolism_params().replace(reserve_variability_cv=0.0)
    schedules = {name: load_protocol(name).schedule() for name in (RETENTION, SURVIVAL)}
    needs = {RETENTION: ProtocolNeeds(retention_times=TIMES), SURVIVAL: ProtocolNeeds(survival=True)}
    rtol, atol = RUN_TOLERANCES
    model = ForwardModel(network, schedules, needs, memory, metabolism, network.compartments,
                         rtol=rtol, atol=atol, survival_spread=0.0)
    return network, memory, metabolism, model


def engine_fly(setup, vector, name):
    """The engine's fly of a protocol run (with its ledger counters) with the vector's
    parameters."""
    network, memory, metabolism, model = setup
    params = metabolism.updated(vector["metabolism"])
    memory = memory.updated(vector["memory"])
    slow = SlowLayer(memory, Metabolism(params, network.compartments))
    return Fly(network, model.schedules[name], memory, slow, [window_seed(1, "fly", 0)])


def test_each_column_equals_the_engine_fly(setup):
    """PI at every test and the death time of every column match the engine's fly with the same
    parameters to 1e-6 relative: one slow layer serves runs and fits (a fit leaves out the
    ledger counters, which never change the steps)."""
    model = setup[3]
    pis = []
    for vector in VECTORS:
        prediction = model.predict([vector])[0]   # batch mates move the numbers at rtol: below
        walk = engine_fly(setup, vector, RETENTION).walk(np.empty(0), with_tests=True)
        expected = 2 * walk.p_avoid[:, 0, 0] - 1
        np.testing.assert_allclose([prediction[RETENTION].pi[t] for t in TIMES], expected,
                                   rtol=1e-6, atol=0)
        death, censored = engine_fly(setup, vector, SURVIVAL).survival_sibling().follow_survival()
        survival = model.schedules[SURVIVAL].survival
        assert not censored[0]
        assert prediction[SURVIVAL].death_log_mean == pytest.approx(
            math.log(death[0] - survival.starve_from), rel=1e-6)
        pis.append(expected)
    assert np.ptp(np.array(pis)[:, 0]) > 0.02          # the vectors give different memories


def test_a_column_depends_on_its_batch_only_at_solver_tolerance(setup):
    """A vector alone and inside a batch (which shares step sizes) agree to the solver's
    tolerance; the same batch twice gives identical numbers."""
    model = setup[3]
    alone = model.predict(VECTORS[1:2])[0]
    inside = model.predict(VECTORS)[1]
    again = model.predict(VECTORS)[1]
    for t in TIMES:
        assert inside[RETENTION].pi[t] == pytest.approx(alone[RETENTION].pi[t], rel=1e-5)
        assert again[RETENTION].pi[t] == inside[RETENTION].pi[t]
    assert inside[SURVIVAL].death_log_mean == pytest.approx(alone[SURVIVAL].death_log_mean,
                                                            rel=1e-6)
    assert again[SURVIVAL].death_log_mean == inside[SURVIVAL].death_log_mean


def test_batched_fed_steady_states_equal_the_scalar_ones(setup):
    """Fed steady states searched for a batch of parameter vectors (from a nearby reference state)
    equal those of one metabolism per vector."""
    network, _, metabolism, _ = setup
    demands = np.array([1e-10, 3e-10, 6e-10])
    reference = Metabolism(metabolism, network.compartments).fed_steady_state
    batch = Metabolism(metabolism.updated({"body_basal_demand": demands}, columns=True),
                       network.compartments, steady_guess=reference)
    n = batch.layout.n_dynamic
    for i, demand in enumerate(demands):
        alone = Metabolism(metabolism.replace(body_basal_demand=float(demand)),
                           network.compartments).fed_steady_state
        np.testing.assert_allclose(batch.fed_steady_state[:n, i], alone[:n], rtol=1e-5,
                                   atol=1e-8 * batch.layout.scales.max())
    glycogen = batch.layout.glycogen
    assert np.ptp(batch.fed_steady_state[glycogen]) > 0.05 * reference[glycogen]   # the reserves differ


def test_columns_of_a_plasticity_parameter_get_their_own_changes():
    """A fit varying ``network.dopamine_baseline_rate`` gives each column the plastic change the
    network computes with that column's value (spiking default network, one training window), and
    the memory keeps every KC that spikes."""
    from mbsim import Model
    from mbsim.fit.columns import ColumnFly
    view = Model(metabolism=False).network
    memory = load_memory_params()
    schedule = load_protocol("aversive_1x").schedule()
    rates = np.array([0.0, 0.4, 4.0])
    network = view.network.params.updated({"dopamine_baseline_rate": rates}, columns=True)
    model = ForwardModel(view, {"aversive_1x": schedule},
                         {"aversive_1x": ProtocolNeeds(retention_times=(3600.0,))}, memory, None,
                         view.compartments, network_params=view.network.params)
    fly = model.fly("aversive_1x", [0], memory, None, network, len(rates))
    assert isinstance(fly, ColumnFly) and fly.varied_plasticity
    trial = schedule.trials[0]
    window = trial_window(trial, schedule.interventions, False, fly.seeds[0])
    result = fly.caches[fly.seeds[0]].simulate(window)
    changes = fly.efficacy_changes({fly.seeds[0]: result})
    for j, rate in enumerate(rates):
        expected = view.efficacy_change(result, view.network.params.replace(
            dopamine_baseline_rate=float(rate)))
        np.testing.assert_array_equal(changes[..., j], expected)
    assert not np.array_equal(changes[..., 0], changes[..., 2])
    np.testing.assert_array_equal(fly.rows, np.flatnonzero(result.kc_counts.sum(axis=0) > 0))


class SeededNetwork(AnalyticNetwork):
    """The stand-in network whose training depresses by a different amount in every fly (its
    windows' seeds), so that the flies of a cohort differ."""

    def simulate(self, window, efficacy=None, record=()):
        result = super().simulate(window, efficacy, record)
        result.change = result.change * (0.5 + (window.seed % 101) / 100)
        return result


def test_a_cohort_of_flies_is_the_mean_of_each_fly_alone(setup):
    """With ``flies`` > 1 a fit walks all flies of a protocol as one batch (fly-major columns):
    each vector's PI is the mean over the flies of the engine's fly with that fly's seed and the
    vector's parameters (to the solver tolerance the shared steps allow), and the flies differ."""
    _, memory, metabolism, _ = setup
    network = SeededNetwork()
    schedule = load_protocol(RETENTION).schedule()
    rtol, atol = RUN_TOLERANCES
    model = ForwardModel(network, {RETENTION: schedule},
                         {RETENTION: ProtocolNeeds(retention_times=TIMES)}, memory, metabolism,
                         network.compartments, flies=3, rtol=rtol, atol=atol)
    predictions = model.predict(VECTORS[:2])
    for vector, prediction in zip(VECTORS[:2], predictions):
        slow_memory = memory.updated(vector["memory"])
        per_fly = []
        for index in range(3):
            slow = SlowLayer(slow_memory, Metabolism(metabolism.updated(vector["metabolism"]),
                                                     network.compartments))
            fly = Fly(network, model.schedules[RETENTION], slow_memory, slow,
                      [window_seed(1, "fly", index)])
            per_fly.append(2 * fly.walk(np.empty(0), with_tests=True).p_avoid[:, 0, 0] - 1)
        per_fly = np.array(per_fly)
        assert np.ptp(per_fly, axis=0).max() > 0.01                # the flies differ
        np.testing.assert_allclose([prediction[RETENTION].pi[t] for t in TIMES],
                                   per_fly.mean(axis=0), rtol=1e-5, atol=1e-7)
