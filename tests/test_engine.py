"""The engine's event loop and memory phases, on an analytic stand-in network (no Brian2)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from analytic_network import AnalyticNetwork
from mbsim.engine.fly import TEST_PHASES, Fly
from mbsim.engine.memory import Coefficients, SynapticMemory, load_memory_params
from mbsim.engine.run import sample_times
from mbsim.engine.slow import HEAD, Conditions, SlowLayer
from mbsim.protocol import parse_protocol_text

PARAMS = load_memory_params()
TRAINING = {
    "single": "{type: single, reinforcement: {shock: {voltage: 60 V, pulses: 12}}}",
    "massed": "{type: massed, repeat: 10, reinforcement: {shock: {voltage: 60 V, pulses: 12}}}",
    "spaced": "{type: spaced, repeat: 10, iti: 15 min, reinforcement: {shock: {voltage: 60 V, pulses: 12}}}",
}


def protocol(training="spaced", feeding="[{state: fed}]", extra="", tests="[3 min, 3 h, 24 h, 4 d]"):
    text = f"""schema_version: 1
name: engine_test
odors: {{cs_plus: {{name: 3-octanol}}, cs_minus: {{name: 4-methylcyclohexanol}}}}
training: {TRAINING[training]}
tests: {{times: {tests}}}
feeding: {feeding}
{extra}
"""
    return parse_protocol_text(text, "engine_test.yaml").schedule()


def run(schedule, seed=1):
    network = AnalyticNetwork()
    fly = Fly(network, schedule, PARAMS, SlowLayer(PARAMS), [seed])
    return fly.run(sample_times(schedule, 120))[0], network


def pi(outcome, test, phase):
    return 2 * outcome.p_avoid[test, TEST_PHASES.index(phase)] - 1


def test_one_pairing_decays_over_hours():
    """1x: high PI at 3 min, about half by 3 h, small at 24 h (Tully et al. 1994 shape)."""
    outcome, _ = run(protocol("single"))
    assert pi(outcome, 0, "total") > 0.6
    assert 0.2 < pi(outcome, 1, "total") < 0.7 * pi(outcome, 0, "total")
    assert pi(outcome, 2, "total") < 0.25
    assert abs(pi(outcome, 2, "LTM")) < 0.05


def test_spaced_training_forms_ltm_and_massed_forms_arm():
    """Spaced: LTM at 24 h and 4 d; massed: ARM at 24 h, gone by 4 d, no LTM."""
    spaced, _ = run(protocol("spaced"))
    massed, _ = run(protocol("massed"))
    assert pi(spaced, 2, "LTM") > 0.5 and pi(spaced, 3, "total") > 0.5
    assert pi(massed, 2, "ARM") > 0.2 and pi(massed, 2, "LTM") < 0.1
    assert pi(massed, 3, "total") < 0.1
    assert pi(spaced, 2, "total") > pi(massed, 2, "total") + 0.2


def test_starved_flies_keep_arm_but_form_no_ltm():
    starved, _ = run(protocol("spaced", "[{state: starved, from: 21 h before training}]"))
    assert pi(starved, 2, "LTM") < 0.1
    assert pi(starved, 2, "ARM") > 0.2


def test_forced_mp1_activation_restores_ltm_in_starved_flies():
    extra = ("interventions: [{kind: activate, targets: [PPL1-g1pedc, \"PPL1-g2a'1\"], "
             "from: 0 s, to: 3 h after training}]")
    forced, _ = run(protocol("spaced", "[{state: starved, from: 21 h before training}]", extra))
    assert pi(forced, 2, "LTM") > 0.5


def test_cycloheximide_blocks_ltm_not_arm():
    extra = "interventions: [{kind: cycloheximide, from: 16 h before training, to: 24 h after training}]"
    treated, _ = run(protocol("spaced", extra=extra))
    assert pi(treated, 2, "LTM") < 0.1


def test_ltm_program_reports_zero_under_cycloheximide():
    """The shipped cycloheximide protocol: the trigger (consolidation signal) crosses its threshold
    as without the drug, but the recorded LTM program stays at 0 while protein synthesis is blocked."""
    from mbsim.engine.results import metabolism_dataset, slow_names
    from mbsim.paths import PROTOCOLS_DIR
    from mbsim.protocol import load_protocol
    treated = load_protocol(PROTOCOLS_DIR / "aversive_spaced_10x_cycloheximide.yaml").schedule()
    control = protocol("spaced", tests="[3 h, 24 h]")
    names, units = slow_names(None)
    states = {}
    for label, schedule in (("treated", treated), ("control", control)):
        outcome, _ = run(schedule)
        states[label] = metabolism_dataset([outcome], names, units)
    drug_on = states["treated"]["time"] < 24 * 3600 + treated.training_end
    signal = states["treated"]["consolidation_signal"].where(drug_on)
    assert float(signal.max()) > 1.2 * PARAMS["consolidation_threshold"]
    assert float(states["treated"]["ltm_program"].where(drug_on).max()) == 0.0
    assert float(states["control"]["ltm_program"].max()) > 0.9


def test_cold_shock_erases_labile_memory_only():
    extra = "interventions: [{kind: cold_shock, at: 30 min after training}]"
    shocked, _ = run(protocol("single", extra=extra, tests="[3 min, 1 h]"))
    control, _ = run(protocol("single", tests="[3 min, 1 h]"))
    assert pi(shocked, 1, "labile") == pytest.approx(0.0, abs=1e-9)
    assert pi(control, 1, "labile") > 0.1
    assert pi(shocked, 1, "ARM") == pytest.approx(pi(control, 1, "ARM"), abs=1e-6)


def test_massed_memory_resists_cycloheximide_and_cold_shock_by_computed_small_amounts():
    """At 24 h after massed training, cycloheximide and a cold shock 2 h after training leave
    choice probabilities that are computed, not copied: cycloheximide removes the trace of LTM
    the massed program forms (and spares the ARM that LTM formation erases), cold shock the
    labile memory left at 24 h; both effects are small (the memory is ARM)."""
    tests = "[24 h]"
    control, _ = run(protocol("massed", tests=tests))
    drug, _ = run(protocol("massed", tests=tests, extra="interventions: [{kind: cycloheximide, "
                           "from: 14 h before training, to: 24 h after training}]"))
    cold, _ = run(protocol("massed", tests=tests,
                           extra="interventions: [{kind: cold_shock, at: 2 h after training}]"))
    assert drug.p_avoid[0, 0] != control.p_avoid[0, 0] != cold.p_avoid[0, 0]
    assert pi(control, 0, "LTM") > 0 and pi(drug, 0, "LTM") == 0.0
    assert pi(drug, 0, "ARM") >= pi(control, 0, "ARM")
    assert abs(pi(drug, 0, "total") - pi(control, 0, "total")) < 0.01
    assert pi(cold, 0, "labile") == 0.0 < pi(control, 0, "labile")
    assert -0.05 < pi(cold, 0, "total") - pi(control, 0, "total") < 0
    assert pi(cold, 0, "total") > 0.8 * pi(control, 0, "total")     # resistant: mostly ARM


def test_every_store_stays_within_the_synapse_range():
    """Strong changes saturate each store at efficacy_min / efficacy_max instead of adding up; the
    change a store receives is what it actually took (the labile store alone: no STM)."""
    params = PARAMS.replace(stm_gain=0.0)
    low, high = params["efficacy_min"] - 1, params["efficacy_max"] - 1
    memory = SynapticMemory.naive(np.ones((4, 2), dtype=bool))
    depression = np.full((4, 2), -0.8)
    taken = [memory.add_change(depression, params)["labile"] for _ in range(3)]
    np.testing.assert_allclose(memory.labile, low)
    np.testing.assert_allclose([t[0] for t in taken], [-0.8, low + 0.8, 0.0])
    memory.add_change(np.full((4, 2), 5.0), params)
    np.testing.assert_allclose(memory.labile, high)
    assert np.all((memory.arm >= low) & (memory.arm <= high))
    memory.tag[:] = 1.0
    memory.advance(Coefficients(60.0, np.ones(1), np.ones(1), np.full(1, 3.0), np.zeros(1)), params)
    np.testing.assert_allclose(memory.ltm, high)


def test_labile_memory_decays_as_short_and_middle_term_parts():
    """With ``stm_gain`` g a window's change also forms short-term memory (g times the change,
    decaying with ``tau_stm``, bounded on its own like every store) beside the middle-term labile
    memory; the labile phase is their sum, cold shock erases both, and one training then reads
    out higher early and the same once the short-term part has gone."""
    params = PARAMS.replace(stm_gain=0.4, tau_stm=600.0)
    memory = SynapticMemory.naive(np.ones((4, 2), dtype=bool))
    received = memory.add_change(np.full((4, 2), -0.5), params)["labile"]
    np.testing.assert_allclose(memory.stm, -0.2)
    np.testing.assert_allclose(memory.labile, -0.5)
    np.testing.assert_allclose(received, -0.7)                 # both parts are paid for
    for _ in range(6):                                         # each part saturates
        memory.add_change(np.full((4, 2), -0.5), params)
    np.testing.assert_allclose(memory.stm, PARAMS["efficacy_min"] - 1)
    np.testing.assert_allclose(memory.efficacy(params, ("labile",))[0], PARAMS["efficacy_min"])
    stm, labile = memory.stm.copy(), memory.labile.copy()
    memory.advance(Coefficients(600.0, np.ones(1), np.ones(1), np.zeros(1), np.zeros(1)), params)
    np.testing.assert_allclose(memory.stm, stm * np.exp(-1.0))
    np.testing.assert_allclose(memory.labile, labile * np.exp(-600.0 / params["tau_labile"]))
    memory.cold_shock()
    assert not memory.stm.any() and not memory.labile.any()

    schedule = protocol("single", tests="[3 min, 3 h, 24 h]")
    split, one = (Fly(AnalyticNetwork(), schedule, p, SlowLayer(p), [1]).run(
        sample_times(schedule, 120))[0] for p in (params, PARAMS.replace(stm_gain=0.0)))
    assert pi(split, 0, "labile") > pi(one, 0, "labile") + 0.02   # STM adds early memory ...
    assert pi(split, 1, "labile") == pytest.approx(pi(one, 1, "labile"), abs=1e-6)  # ... gone by 3 h
    assert pi(split, 2, "ARM") == pytest.approx(pi(one, 2, "ARM"), abs=1e-12)


def test_massed_training_reports_bounded_efficacy():
    """Ten massed cycles drive the CS+ KCs' synapses to silence, not beyond: /weights reports the
    bounded efficacy (total and every phase within the range, total at the bound)."""
    from mbsim.engine.results import weights_dataset
    outcome, network = run(protocol("massed"))
    change = weights_dataset([outcome], network.compartments)["efficacy_change"]
    assert float(change.min()) >= PARAMS["efficacy_min"] - 1
    assert float(change.sel(phase="total").min()) == pytest.approx(PARAMS["efficacy_min"] - 1)
    assert float(change.sel(phase="labile").min()) > -1.0 - 1e-12


def test_efficacy_distribution_over_the_selected_kcs():
    """Mean and quantiles of the effective efficacy per compartment are those of the selected KCs'
    synapses alone, with each store bounded before and after they are summed."""
    from mbsim.engine.memory import EFFICACY_QUANTILES
    memory = SynapticMemory.naive(np.ones((6, 2), dtype=bool), columns=1)
    rng = np.random.default_rng(3)
    memory.labile[:, 0] = rng.uniform(-1.0, 0.0, 12)
    memory.arm[:, 0] = rng.uniform(-0.5, 0.0, 12)
    selected = np.array([True, True, False, True, True, False])[:, None]
    mean, quantiles = memory.efficacy_at(np.zeros(1), np.ones((1, 1)), np.zeros((1, 1)),
                                         selected, PARAMS)
    for c in range(2):
        entries = (memory.compartment == c) & selected[memory.kc, 0]
        total = np.clip(1 + memory.labile[entries, 0] + memory.arm[entries, 0], 0, 2)
        assert mean[0, c, 0, 0] == pytest.approx(total.mean())
        np.testing.assert_allclose(quantiles[0, c, 0, :, 0], np.quantile(total, EFFICACY_QUANTILES))
        np.testing.assert_allclose(quantiles[0, c, 1, :, 0],
                                   np.quantile(1 + memory.labile[entries, 0], EFFICACY_QUANTILES))
    assert mean[0, 0, 3, 0] == 1.0   # no LTM yet


def test_radish_flies_form_no_arm():
    outcome, _ = run(protocol("massed", extra="genotype: {radish: true}"))
    assert pi(outcome, 2, "ARM") == pytest.approx(0.0, abs=1e-9)


def test_identical_trials_are_simulated_once():
    outcome, network = run(protocol("spaced"))
    training = [w for w in network.simulated if w.label.startswith("training")]
    assert len(training) == 1
    assert len([w for w in outcome.windows if w.label.startswith("training")]) == 10


def test_cost_grows_with_windows_not_protocol_length():
    """A 7-day retention curve needs no more windows than a 1-day one with as many tests."""
    _, short = run(protocol("spaced", tests="[3 min, 1 h, 3 h, 24 h]"))
    _, long = run(protocol("spaced", tests="[3 min, 1 h, 24 h, 7 d]"))
    most = 1 + 4 * (1 + len(TEST_PHASES))  # one training window; four tests: naive + every phase
    assert len(short.simulated) <= most and len(long.simulated) <= most


def test_same_seed_same_numbers():
    first, _ = run(protocol("massed"), seed=4)
    second, _ = run(protocol("massed"), seed=4)
    np.testing.assert_array_equal(first.p_avoid, second.p_avoid)
    np.testing.assert_array_equal(first.samples, second.samples)


def test_coefficients_match_direct_integration():
    """The per-synapse update from fly-wide coefficients equals integrating each synapse's ODEs."""
    slow = SlowLayer(PARAMS)
    y0 = slow.initial_state(None)
    y0[1] = 1.5  # consolidation running
    rng = np.random.default_rng(0)
    memory = SynapticMemory.naive(np.ones((5, 3), dtype=bool))
    memory.labile[:], memory.arm[:], memory.ltm[:], memory.tag[:] = rng.normal(0, 0.2, (4, 15))
    start = [memory.labile.copy(), memory.arm.copy(), memory.ltm.copy(), memory.tag.copy()]
    conditions = Conditions()
    duration = 6 * 3600.0
    _, coefficients, _ = slow.advance(0.0, duration, y0, conditions)
    memory.advance(coefficients, PARAMS)

    def per_synapse(t, state):
        P = slow.consolidation(signal_at(t), conditions)
        labile, arm, ltm, tag = state.reshape(4, -1)
        p = PARAMS
        return np.concatenate([-labile / p["tau_labile"],
                               -arm * (1 / p["tau_arm"] + p["arm_erasure_rate"] * P),
                               p["capture_rate"] * P * tag - ltm / p["tau_ltm"],
                               -tag * (1 / p["tau_tag"] + p["capture_rate"] * P)])

    signal = solve_ivp(slow.derivatives, (0, duration), y0[:, 0], args=(conditions,), dense_output=True,
                       rtol=1e-10, atol=1e-12)

    def signal_at(t):
        return signal.sol(t)

    direct = solve_ivp(per_synapse, (0, duration), np.concatenate([s.ravel() for s in start]),
                       rtol=1e-9, atol=1e-12).y[:, -1].reshape(4, 15)
    for got, expected in zip((memory.labile, memory.arm, memory.ltm, memory.tag), direct):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-7)


def test_energy_bookkeeping_closes_over_a_protocol():
    """Supply = storage change + consumption, body and brain, over spaced training with windows."""
    from mbsim.metabolism import Metabolism, energy_balance
    model = Metabolism()
    schedule = protocol("spaced", tests="[3 min, 24 h]")
    fly = Fly(AnalyticNetwork(), schedule, PARAMS, SlowLayer(PARAMS, model), [2])
    start = fly.slow.initial_state(fly.initial_body(True))[HEAD:, 0]
    walk = fly.walk(np.empty(0), with_tests=True)
    balance = energy_balance(model, start, walk.y[HEAD:, 0])
    assert abs(balance["body_relative"]) < 1e-6
    assert abs(balance["brain_relative"]) < 1e-6
    ledger = model.ledger(walk.y[HEAD:, 0])
    assert ledger["atp"].sum() > 0


def test_plasticity_energy_does_not_depend_on_when_tests_happen():
    """M0 and M1 count updates, not solver intervals: extra tests leave them unchanged."""
    few, _ = run(protocol("spaced", tests="[24 h]"))
    many, _ = run(protocol("spaced", tests="[3 min, 1 h, 3 h, 24 h]"))
    np.testing.assert_allclose(few.plasticity.m1, many.plasticity.m1, rtol=1e-4, atol=1e-9)
    np.testing.assert_array_equal(few.plasticity.m0, many.plasticity.m0)
    assert few.plasticity.m1[2].sum() > 0  # LTM was consolidated and counted


def test_every_window_occurrence_has_its_own_label():
    """Cached windows are shared, but each trial and test keeps its own label in the record."""
    outcome, _ = run(protocol("spaced", tests="[3 min, 24 h]"))
    labels = [w.label for w in outcome.windows]
    assert len(labels) == len(set(labels)) == 12


def test_a_cohort_walked_as_columns_gives_each_fly_its_own_numbers():
    """Three flies (three seeds) as columns of one slow layer, with metabolism and a starved walk
    to death: each fly's choices, state samples, weights, ledgers and death time are the same bits
    as those of the fly run alone or in another batch (each column steps on its own)."""
    from mbsim.metabolism import Metabolism
    model = Metabolism()
    schedule = protocol("spaced", tests="[3 min, 3 h, 24 h]",
                        extra="survival: {starve_from: 1 d, horizon: 10 d}")
    times = sample_times(schedule, 60)
    seeds = [3, 5, 8]

    def flies(chosen):
        slow = SlowLayer(PARAMS, model, columns=len(chosen), independent=True)
        return Fly(AnalyticNetwork(), schedule, PARAMS, slow, chosen).run(times)
    together = flies(seeds)
    reversed_batch = flies(seeds[::-1])[::-1]
    for seed, joint, other in zip(seeds, together, reversed_batch):
        for fly in (flies([seed])[0], other):
            np.testing.assert_array_equal(joint.p_avoid, fly.p_avoid)
            np.testing.assert_array_equal(joint.samples, fly.samples)
            np.testing.assert_array_equal(joint.weights, fly.weights)
            np.testing.assert_array_equal(joint.plasticity.m1, fly.plasticity.m1)
            np.testing.assert_array_equal(joint.plasticity.m0, fly.plasticity.m0)
            assert joint.metabolism_ledger.keys() == fly.metabolism_ledger.keys()
            for key, value in joint.metabolism_ledger.items():
                np.testing.assert_array_equal(value, fly.metabolism_ledger[key])
            assert joint.death_time == fly.death_time and np.isfinite(joint.death_time)
    assert np.ptp([o.p_avoid[1, 0] for o in together]) > 1e-4   # the seeds differ
