"""Protocol schema version 2: phases in sequence, tests of any two sides, and the v1 -> v2 migration."""

import dataclasses

import pytest

from analytic_network import AnalyticNetwork
from mbsim.cli import main
from mbsim.engine.fly import TEST_PHASES, Fly
from mbsim.engine.memory import load_memory_params
from mbsim.engine.run import sample_times
from mbsim.engine.slow import SlowLayer
from mbsim.engine.windows import test_window as make_test_window
from mbsim.errors import InputError
from mbsim.protocol import load_protocol, parse_protocol_text, shipped_protocols
from mbsim.protocol.migrate import migrate_text

V1 = [path for path in shipped_protocols() if "schema_version: 1" in path.read_text()]

BASE = """\
schema_version: 2
name: v2
odors: {A: {name: 3-octanol}, B: {name: 4-methylcyclohexanol}, C: {name: ethyl acetate}}
phases:
  - {kind: training, name: first, cs_plus: A, cs_minus: B, reinforcement: {shock: {}}}
  - {kind: training, name: second, wait: 30 min, cs_plus: B, cs_minus: A, reinforcement: {shock: {}}}
tests:
  - {sides: [A, B], after: first, times: [3 min]}
  - {sides: [A, C], after: second, times: [3 min, 1 h]}
"""


def schedule_of(text: str):
    return parse_protocol_text(text, "v2.yaml").schedule()


def refused(text: str, field: str) -> str:
    with pytest.raises(InputError) as info:
        parse_protocol_text(text, "bad.yaml")
    message = str(info.value)
    assert message.startswith("bad.yaml:") and f"field '{field}'" in message, message
    return message


@pytest.mark.parametrize("path", V1, ids=[path.stem for path in V1])
def test_migrated_v1_file_gives_the_same_schedule(path):
    """Every shipped v1 protocol and its v2 translation expand to the same schedule (odor keys
    aside: cs_plus/cs_minus become A/B)."""
    text = path.read_text()
    original = parse_protocol_text(text, str(path)).schedule()
    migrated = parse_protocol_text(migrate_text(text, str(path)), "migrated.yaml").schedule()
    assert [odor for _, odor in migrated.odors] == [odor for _, odor in original.odors]
    assert [key for key, _ in migrated.odors] == ["A", "B"]
    assert dataclasses.replace(migrated, odors=original.odors) == original


def test_phases_follow_each_other_and_tests_follow_their_phase():
    """The second phase starts 30 min after the first ends; tests are timed from their phase."""
    schedule = schedule_of(BASE)
    first, second = schedule.phases
    assert (first.start, first.end) == (0.0, 165.0)
    assert second.start == pytest.approx(165.0 + 1800.0)
    assert [trial.phase for trial in schedule.trials] == ["first", "second"]
    assert schedule.trials[1].odors[0].odor == "4-methylcyclohexanol"
    assert [test.time for test in schedule.tests] == pytest.approx(
        [345.0, second.end + 180.0, second.end + 3600.0])
    assert schedule.tests[1].label == "test at 3 min after second, A vs C"
    assert schedule.tests[1].sides[1].name == "ethyl acetate"


def test_trace_pairing_puts_the_us_after_the_cs_plus():
    """Trace 15 s: shocks start 15 s after the 60 s CS+ ends; the CS- follows the shocks after the gap."""
    text = BASE.replace("reinforcement: {shock: {}}}\n  - {kind: training, name: second",
                        "pairing: trace, trace_interval: 15 s, reinforcement: {shock: {}}}\n"
                        "  - {kind: training, name: second", 1)
    trial = schedule_of(text).trials[0]
    assert trial.shocks[0].start == pytest.approx(75.0)
    last_shock = trial.shocks[-1].start + trial.shocks[-1].duration
    assert trial.odors[1].start == pytest.approx(last_shock + 45.0)


def test_exposure_second_order_and_dan_activation_blocks():
    """An exposure presents odors alone; second order presents the trained odor in place of a
    US; a DAN-activation US activates the named DANs during the CS+."""
    text = BASE.replace("""  - {kind: training, name: second, wait: 30 min, cs_plus: B, cs_minus: A, reinforcement: {shock: {}}}
""", """  - {kind: exposure, name: second, wait: 30 min, odors: [A], type: massed, repeat: 3}
  - {kind: second_order, name: third, wait: 10 min, cs_plus: C, reinforcer: A, trace_interval: 5 s}
  - {kind: training, name: opto, wait: 10 min, cs_plus: C, reinforcement: {dan_activation: {targets: [PAM-g5]}}}
""")
    schedule = schedule_of(text)
    exposure = [t for t in schedule.trials if t.phase == "second"]
    assert len(exposure) == 3 and all(not t.shocks and len(t.odors) == 1 for t in exposure)
    second_order = next(t for t in schedule.trials if t.phase == "third")
    assert [(p.odor, p.start, p.stop) for p in second_order.odors] == [
        ("ethyl acetate", 0.0, 60.0), ("3-octanol", 65.0, 125.0)]
    assert not second_order.shocks
    opto = next(t for t in schedule.trials if t.phase == "opto")
    assert opto.manipulations[0].targets == ("PAM-g5",)
    assert (opto.manipulations[0].start, opto.manipulations[0].stop) == (0.0, 60.0)


def test_intervention_during_each_cs_plus_of_a_phase():
    """'during: {phase, stimulus: cs_plus}' blocks the targets in each CS+ of that phase only."""
    text = BASE.replace("""  - {kind: training, name: first, cs_plus: A, cs_minus: B, reinforcement: {shock: {}}}""",
                        """  - {kind: training, name: first, type: massed, repeat: 2, cs_plus: A, cs_minus: B,
     reinforcement: {shock: {}}}""") + """interventions:
  - {kind: block, targets: [MBON-g1pedc], during: {phase: first, stimulus: cs_plus}}
"""
    schedule = schedule_of(text)
    windows = [(item.start, item.stop) for item in schedule.interventions]
    assert windows == [(0.0, 60.0), (210.0, 270.0)]


@pytest.mark.parametrize("old, new, field, words", [
    ("cs_plus: B, cs_minus: A", "cs_plus: D, cs_minus: A", "phases[1]", "odor 'D'"),
    ("after: first", "after: third", "tests[0].after", "phase 'third'"),
    ("sides: [A, B]", "sides: [air, B]", "tests[0].sides", "an odor first"),
    ("wait: 30 min", "wait: 1 min", "tests[0].times[0]", "during trial 1 of phase 'second'"),
    ("name: second,", "name: first,", "phases[1].name", "'first' twice"),
    ("{kind: training, name: second", "{kind: tarining, name: second", "phases[1].kind",
     "kind 'tarining'"),
    ("reinforcement: {shock: {}}}\ntests", "reinforcement: {shock: {}, sugar: {}}}\ntests",
     "phases[1].reinforcement", "exactly one of shock, sugar or dan_activation"),
])
def test_bad_v2_fields_are_located(old, new, field, words):
    """Each mistake gives one error with the file, line and field."""
    assert old in BASE
    message = refused(BASE.replace(old, new, 1), field)
    assert words in message


def test_time_points_name_phases():
    """Feeding times are relative to named phases; an unknown phase is refused."""
    good = BASE + "feeding: [{state: starved, from: 21 h before first}, {state: fed, from: 0 s after second}]\n"
    schedule = schedule_of(good)
    assert schedule.feeding[1] == (-21 * 3600.0, "starved")
    assert schedule.feeding[2][0] == pytest.approx(schedule.phases[1].end)
    message = refused(good.replace("before first", "before third"), "feeding[0].from")
    assert "unknown phase" in message


def test_second_order_needs_a_trained_reinforcer():
    """A second-order block must be reinforced by an odor trained as CS+ before it."""
    text = BASE.replace("""  - {kind: training, name: second, wait: 30 min, cs_plus: B, cs_minus: A, reinforcement: {shock: {}}}""",
                        """  - {kind: second_order, name: second, wait: 30 min, cs_plus: C, reinforcer: B}""")
    assert "not the CS+ of an earlier" in refused(text, "phases[1].reinforcer")


def test_air_side_is_the_first_odor_at_zero_concentration():
    """An odor-against-air test presents clean air (concentration 0) on the second side."""
    text = BASE.replace("sides: [A, C]", "sides: [A, air]")
    test = schedule_of(text).tests[1]
    window = make_test_window(test, (), False, 1)
    assert [(p.odor, p.concentration) for p in window.odors] == [("3-octanol", 1.0), ("3-octanol", 0.0)]


def test_memory_is_per_odor_in_tests_of_any_pair():
    """After A+ B- training (analytic network), A is avoided against B and against a novel odor C;
    B against C stays near chance."""
    text = BASE.replace("""  - {kind: training, name: second, wait: 30 min, cs_plus: B, cs_minus: A, reinforcement: {shock: {}}}
""", "").replace("""  - {sides: [A, B], after: first, times: [3 min]}
  - {sides: [A, C], after: second, times: [3 min, 1 h]}""", """  - {sides: [A, B], times: [3 min]}
  - {sides: [A, C], times: [3 min]}
  - {sides: [B, C], times: [3 min]}""")
    schedule = schedule_of(text)
    params = load_memory_params()
    fly = Fly(AnalyticNetwork(), schedule, params, SlowLayer(params), [1])
    outcome = fly.run(sample_times(schedule, 60))[0]
    pi = 2 * outcome.p_avoid[:, TEST_PHASES.index("total")] - 1
    labels = [test.label for test in schedule.tests]
    by_label = dict(zip(labels, pi))
    assert by_label["test at 3 min, A vs B"] > 0.2
    assert by_label["test at 3 min, A vs C"] > 0.2
    assert abs(by_label["test at 3 min, B vs C"]) < 0.5 * by_label["test at 3 min, A vs C"]


def test_migrate_command_prints_and_writes(tmp_path, capsys):
    """`mbsim migrate` prints the v2 text; with -o it writes a file that validates."""
    assert main(["migrate", "aversive_1x"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("schema_version: 2")
    assert main(["migrate", "aversive_1x", "-o", str(tmp_path / "v2.yaml")]) == 0
    assert load_protocol(tmp_path / "v2.yaml").schema_version == 2
    assert main(["migrate", str(tmp_path / "missing.yaml")]) == 2
