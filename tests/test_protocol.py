"""Protocol library and schedule expansion: every shipped file loads, and timings match the literature."""

import hashlib
import math

import numpy as np
import pytest

from mbsim import Model, Result, Simulation
from mbsim.paths import PROTOCOLS_DIR
from mbsim.protocol import load_protocol, parse_protocol_text, shipped_protocols
from mbsim.protocol.jsonschema import SCHEMA_PATHS, schema_text

SHIPPED = shipped_protocols()

MINIMAL = """\
schema_version: 1
name: minimal
odors: {cs_plus: {name: 3-octanol}, cs_minus: {name: 4-methylcyclohexanol}}
training: {type: spaced, repeat: 10, iti: 15 min, reinforcement: {shock: {voltage: 60 V, pulses: 12}}}
tests: {times: [3 min, 1 h, 3 h, 24 h, 4 d, 7 d]}
feeding: [{state: fed}]
cohort: 8
seed: 1
"""


def test_library_is_complete():
    """The protocols the documentation promises are shipped."""
    names = {path.stem for path in SHIPPED}
    expected = {"aversive_1x", "aversive_massed_5x", "aversive_massed_10x", "aversive_spaced_5x",
                "aversive_spaced_10x", "aversive_massed_10x_starved", "aversive_spaced_10x_starved",
                "appetitive_1x_starved", "appetitive_1x_fed", "aversive_unpaired", "aversive_backward",
                "aversive_1x_cold_shock", "aversive_spaced_10x_cycloheximide",
                "aversive_massed_10x_cycloheximide", "aversive_massed_10x_cold_shock",
                "aversive_spaced_10x_starved_mp1_activation",
                "survival_spaced_5x", "survival_massed_5x"}
    assert expected <= names


@pytest.mark.parametrize("path", SHIPPED, ids=[path.stem for path in SHIPPED])
def test_shipped_protocol_validates_and_expands(path):
    """Each shipped protocol is named after its file, cites sources and expands consistently."""
    protocol = load_protocol(path)
    assert protocol.name == path.stem
    assert protocol.description and protocol.references
    schedule = protocol.schedule()
    assert schedule.trials[0].start == 0.0
    assert schedule.training_end == pytest.approx(schedule.trials[-1].end)
    ends = {phase.name: phase.end for phase in schedule.phases}
    assert all(test.time == pytest.approx(ends[test.after] + test.retention_time) and
               test.retention_time > 0 for test in schedule.tests)
    assert schedule.feeding[0][0] == -math.inf
    for trial in schedule.trials:
        stops = [p.stop for p in trial.odors] + [p.stop for p in trial.sugar] + \
                [p.start + p.duration for p in trial.shocks]
        assert max(stops) == pytest.approx(trial.stimulus_duration)


@pytest.mark.slow
@pytest.mark.parametrize("path", SHIPPED, ids=[path.stem for path in SHIPPED])
def test_shipped_protocol_runs(path, tmp_path):
    """Each shipped protocol runs for one fly on the spiking network, and the saved result holds
    a PI between -1 and 1 for every test of the schedule."""
    Simulation(Model(), path).run(cohort=1).save(tmp_path / "run.h5")
    retention = Result.load(tmp_path / "run.h5")["retention"].to_dataset()
    expected = retention["pi_expected"].sel(phase="total").values
    assert len(expected) == len(load_protocol(path).schedule().tests)
    assert np.all(np.abs(expected) <= 1)


def test_spaced_schedule_numbers():
    """Spaced 10x: 165 s cycles (60 s CS+, 45 s gap, 60 s CS-) separated by 15 min rest."""
    schedule = parse_protocol_text(MINIMAL, "minimal.yaml").schedule()
    starts = [trial.start for trial in schedule.trials]
    assert starts == pytest.approx([index * (165 + 900) for index in range(10)])
    assert schedule.training_end == pytest.approx(9 * 1065 + 165)
    assert schedule.test_times[0] == pytest.approx(9750 + 180)
    assert schedule.test_times[-1] == pytest.approx(9750 + 7 * 86400)
    trial = schedule.trials[0]
    assert [(p.odor, p.start, p.stop) for p in trial.odors] == [
        ("3-octanol", 0.0, 60.0), ("4-methylcyclohexanol", 105.0, 165.0)]
    assert [p.start for p in trial.shocks] == pytest.approx([5.0 * k for k in range(12)])
    assert {(p.duration, p.voltage) for p in trial.shocks} == {(1.5, 60.0)}
    assert (schedule.cohort, schedule.seed) == (8, 1)


def test_massed_schedule_numbers():
    """Massed 10x: the next cycle's CS+ follows the CS- after the same 45 s gap."""
    schedule = load_protocol(PROTOCOLS_DIR / "aversive_massed_10x.yaml").schedule()
    assert [trial.start for trial in schedule.trials] == pytest.approx([210.0 * k for k in range(10)])
    assert schedule.training_end == pytest.approx(9 * 210 + 165)


def test_appetitive_trial_is_cs_minus_then_cs_plus_with_sugar():
    """Appetitive default trial: 2 min CS-, 30 s air, 2 min CS+ on 2 M sucrose."""
    schedule = load_protocol(PROTOCOLS_DIR / "appetitive_1x_starved.yaml").schedule()
    trial = schedule.trials[0]
    assert [(p.odor, p.start, p.stop) for p in trial.odors] == [
        ("4-methylcyclohexanol", 0.0, 120.0), ("3-octanol", 150.0, 270.0)]
    assert [(p.start, p.stop, p.concentration) for p in trial.sugar] == [(150.0, 270.0, 2.0)]
    assert schedule.feeding == ((-math.inf, "fed"), (-18 * 3600.0, "starved"))
    assert schedule.feeding_at(0.0) == ("starved", pytest.approx(18 * 3600.0))


def test_starved_then_refed_feeding_states():
    """Starved 21 h before training, fed again when training ends."""
    schedule = load_protocol(PROTOCOLS_DIR / "aversive_spaced_10x_starved.yaml").schedule()
    assert schedule.feeding == ((-math.inf, "fed"), (-21 * 3600.0, "starved"), (9750.0, "fed"))
    assert schedule.feeding_at(-22 * 3600.0)[0] == "fed"
    assert schedule.feeding_at(100.0) == ("starved", pytest.approx(21 * 3600.0 + 100.0))
    assert schedule.feeding_at(10000.0) == ("fed", pytest.approx(250.0))


def test_interventions_in_absolute_time():
    """Cold shock 2 h after training for 2 min; MP1/MV1 activation for 2 h after training."""
    cold = load_protocol(PROTOCOLS_DIR / "aversive_1x_cold_shock.yaml").schedule()
    (shock,) = cold.interventions
    assert (shock.kind, shock.start, shock.stop) == ("cold_shock", 165.0 + 7200.0, 165.0 + 7320.0)
    assert cold.test_times == (165.0 + 3 * 3600.0,)
    mp1 = load_protocol(PROTOCOLS_DIR / "aversive_spaced_10x_starved_mp1_activation.yaml").schedule()
    (activation,) = mp1.interventions
    assert activation.targets == ("PPL1-g1pedc", "PPL1-g2a'1")
    assert (activation.start, activation.stop) == (9750.0, 9750.0 + 7200.0)
    assert mp1.interventions_at(12000.0) == (activation,) and mp1.interventions_at(5000.0) == ()
    assert mp1.survival.starve_from == -21 * 3600.0 and mp1.survival.horizon == 4 * 86400.0


def test_unpaired_and_backward_us_placement():
    """Unpaired: US us_delay after the last odor; backward: US ends us_delay before the CS+."""
    unpaired = load_protocol(PROTOCOLS_DIR / "aversive_unpaired.yaml").schedule().trials[0]
    assert unpaired.shocks[0].start == pytest.approx(165.0 + 180.0)
    assert unpaired.stimulus_duration == pytest.approx(345.0 + 56.5)
    backward_text = MINIMAL.replace("iti: 15 min,", "iti: 15 min, pairing: backward, us_delay: 10 s,")
    backward = parse_protocol_text(backward_text, "backward.yaml").schedule().trials[0]
    assert backward.shocks[0].start == 0.0
    assert backward.odors[0].start == pytest.approx(56.5 + 10.0)
    assert backward.stimulus_duration == pytest.approx(66.5 + 165.0)


def test_time_anchors_and_defaults():
    """'before/after training' anchors resolve against start and end; unit defaults are filled in."""
    text = MINIMAL + ("interventions:\n"
                      "  - {kind: cycloheximide, from: 16 h before training, to: 1 d after training}\n"
                      "genotype: {crebB_block: true}\n")
    protocol = parse_protocol_text(text, "anchors.yaml")
    (cxm,) = protocol.schedule().interventions
    assert (cxm.start, cxm.stop) == (-16 * 3600.0, 9750.0 + 86400.0)
    assert protocol.interventions[0].concentration == pytest.approx(0.035)
    assert protocol.training.reinforcement.shock.pulse_duration == 1.5
    assert protocol.schedule().genotype == frozenset({"crebB_block"})


def test_protocol_keeps_source_and_hash():
    """The validated protocol carries its text and its sha256 for provenance."""
    protocol = parse_protocol_text(MINIMAL, "minimal.yaml")
    assert protocol.source_text == MINIMAL
    assert protocol.sha256 == hashlib.sha256(MINIMAL.encode()).hexdigest()
    assert load_protocol("aversive_1x").source_file.endswith("aversive_1x.yaml")


@pytest.mark.parametrize("version", sorted(SCHEMA_PATHS))
def test_json_schema_file_is_current(version):
    """protocols/schema.json (v1) and schema-v2.json equal what the models generate (regenerate:
    python -m mbsim.protocol.jsonschema)."""
    assert SCHEMA_PATHS[version].read_text(encoding="utf-8") == schema_text(version)
