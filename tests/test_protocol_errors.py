"""Bad protocol files give one InputError naming the file, the line and the field."""

import re

import pytest

from mbsim.errors import InputError
from mbsim.protocol import load_protocol, parse_protocol_text

GOOD = """\
schema_version: 1
name: errors
odors:
  cs_plus: {name: 3-octanol}
  cs_minus: {name: 4-methylcyclohexanol}
training:
  type: spaced
  repeat: 10
  iti: 15 min
  reinforcement:
    shock: {voltage: 60 V, pulses: 12}
tests:
  times: [3 min, 1 h, 24 h]
feeding:
  - {state: starved, from: 21 h before training}
  - {state: fed, from: 0 s after training}
"""


def error_of(text: str) -> str:
    with pytest.raises(InputError) as info:
        parse_protocol_text(text, "bad.yaml")
    return str(info.value)


def test_good_text_is_accepted():
    """The base text of these tests is valid, so each failure below comes from its one change."""
    assert parse_protocol_text(GOOD, "good.yaml").training.iti == 900.0


@pytest.mark.parametrize("old, new, location, message", [
    ("iti: 15 min", "itti: 15 min", "bad.yaml:9, field 'training.itti'",
     "unknown key 'itti'; expected one of the keys type, repeat, iti"),
    ("iti: 15 min", "iti: 15", "bad.yaml:9, field 'training.iti'", "the number 15 without a unit"),
    ("iti: 15 min", "iti: 15 V", "bad.yaml:9, field 'training.iti'", "'15 V', a voltage; expected a time"),
    ("iti: 15 min", "iti: -15 min", "bad.yaml:9, field 'training.iti'", "expected a positive time"),
    ("voltage: 60 V", "voltage: 60 s", "bad.yaml:11, field 'training.reinforcement.shock.voltage'",
     "expected a voltage"),
    ("[3 min, 1 h, 24 h]", "[-3 min, 1 h, 24 h]", "bad.yaml:13, field 'tests.times[0]'",
     "a test before training ends"),
    ("[3 min, 1 h, 24 h]", "[3 min, 24 h, 1 h]", "bad.yaml:13, field 'tests.times[2]'",
     "in increasing order"),
    ("from: 0 s after training", "from: 22 h before training", "bad.yaml:16, field 'feeding[1].from'",
     "feeding states in time order"),
    ("type: spaced", "type: spread", "bad.yaml:7, field 'training.type'",
     "'spread'; expected one of 'single', 'massed' or 'spaced'"),
    ("repeat: 10", "repeat: 1", "bad.yaml:8, field 'training.repeat'", "repeat: N with N >= 2"),
    ("pulses: 12", "pulses: 13", "bad.yaml:11, field 'training.reinforcement.shock'",
     "outlasts the 1 min CS\\+"),
    ("4-methylcyclohexanol", "3-octanol", "bad.yaml:5, field 'odors.cs_minus'", "identical to cs_plus"),
    ("name: 3-octanol", "name: '*octanol'", "bad.yaml:4, field 'odors.cs_plus.name'",
     "expected an odor name"),
    ("    shock: {", "    sugar: {}\n    shock: {", "bad.yaml:10, field 'training.reinforcement'",
     "both shock and sugar"),
    ("[3 min, 1 h, 24 h]", "[]", "bad.yaml:13, field 'tests.times'", "found \\[\\]; expected at least 1"),
    ("name: errors", "name: a b", "bad.yaml:2, field 'name'", "'a b'; expected a text matching"),
    ("schema_version: 1", "schema_version: 3", "bad.yaml:1, field 'schema_version'",
     "expected schema_version: 1 or 2"),
])
def test_bad_field(old, new, location, message):
    """Each mistake is reported at its line and field, saying what was found and expected."""
    text = GOOD.replace(old, new, 1)
    assert text != GOOD
    error = error_of(text)
    assert error.startswith(location + ": found ")
    assert re.search(message, error)


@pytest.mark.parametrize("extra, location, message", [
    ("interventions:\n  - {kind: freeze, at: 2 h after training}\n",
     "bad.yaml:18, field 'interventions[0].kind'", "kind 'freeze'; expected kind: one of 'cold_shock'"),
    ("interventions:\n  - kind: block\n    targets: [PPL1-g1pedc, alpha lobe]\n    from: 0 s\n"
     "    to: 1 h after training\n", "bad.yaml:19, field 'interventions[0].targets[1]'",
     "'alpha lobe'; expected a neuron type name starting with PAM, PPL1"),
    ("interventions:\n  - kind: activate\n    targets: [PPL101]\n    from: 0 s\n",
     "bad.yaml:18, field 'interventions[0].to'", "no 'to'"),
    ("interventions:\n  - {kind: cycloheximide, from: 2 h after training, to: 1 h after training}\n",
     "bad.yaml:18, field 'interventions[0].to'", "ends after it starts"),
    ("interventions:\n  - {kind: activate, targets: [MP1], from: 0 s, to: 2 h}\n"
     "  - {kind: activate, targets: [MP1], from: 1 h, to: 3 h}\n",
     "bad.yaml:19, field 'interventions[1].from'", "overlapping interventions\\[0\\]"),
    ("interventions:\n  - {kind: cold_shock, at: 2 h aftr training}\n",
     "bad.yaml:18, field 'interventions[0].at'", "expected a time such as"),
    ("genotype: {radish: true, dunce: true}\n", "bad.yaml:17, field 'genotype.dunce'",
     "unknown key 'dunce'; expected one of the keys radish, crebB_block"),
    ("survival: {starve_from: 0 s after training}\n", "bad.yaml:17, field 'survival.horizon'",
     "no 'horizon'"),
    ("cohort: 0\n", "bad.yaml:17, field 'cohort'", "found 0; expected a number >= 1"),
    ("seed: 3\nseed: 4\n", "bad.yaml:18, field 'seed'", "the key 'seed' a second time"),
])
def test_bad_addition(extra, location, message):
    """Mistakes in optional sections name the list index and the key."""
    error = error_of(GOOD + extra)
    assert error.startswith(location + ": found ")
    assert re.search(message, error)


def test_yaml_syntax_error_has_line():
    """A YAML syntax error is reported with its line, not as a traceback."""
    with pytest.raises(InputError, match=r"bad.yaml:8: found a YAML syntax error .*flow sequence started on line 7"):
        parse_protocol_text(GOOD.replace("type: spaced", "type: [spaced"), "bad.yaml")


def test_missing_unit_in_interval_matches_brief_example():
    """The canonical example: '15 V' for an interval."""
    with pytest.raises(InputError, match=r"bad.yaml:9, field 'training.iti': found '15 V', a voltage"):
        parse_protocol_text(GOOD.replace("15 min", "15 V"), "bad.yaml")


def test_iti_with_massed_training_is_rejected():
    """An ITI only makes sense for spaced training."""
    with pytest.raises(InputError, match=r"bad.yaml:9, field 'training.iti': found an iti for massed"):
        parse_protocol_text(GOOD.replace("type: spaced", "type: massed"), "bad.yaml")


def test_unpaired_needs_us_delay():
    """Unpaired and backward pairings need the US-odor separation."""
    text = GOOD.replace("  iti: 15 min\n", "  iti: 15 min\n  pairing: unpaired\n")
    with pytest.raises(InputError, match=r"field 'training.us_delay': found pairing unpaired without"):
        parse_protocol_text(text, "bad.yaml")


def test_not_a_mapping_and_missing_file(tmp_path):
    """A file that is not a mapping, and a path that does not exist, are input errors."""
    with pytest.raises(InputError, match=r"bad.yaml:1: found a YAML list"):
        parse_protocol_text("- a\n- b\n", "bad.yaml")
    with pytest.raises(InputError, match=r"found no file '.*nothing.yaml'.*aversive_1x"):
        load_protocol(tmp_path / "nothing.yaml")
