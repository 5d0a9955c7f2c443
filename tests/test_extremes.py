"""Inputs at the extremes: bounded sizes, times within the horizon, YAML that would expand or nest
without bound, keys given twice in parameter files, and files that used to raise internal errors.
Each gets one located InputError (exit 2 at the command line), in bounded time."""

from __future__ import annotations

import time

import numpy as np
import pytest

from mbsim import limits
from mbsim.cli import main
from mbsim.engine import RunSettings
from mbsim.errors import InputError
from mbsim.fit.checkpoint import Checkpoint
from mbsim.fit.data import read_table
from mbsim.paths import PROJECT_ROOT
from mbsim.protocol import parse_protocol_text
from mbsim.yaml_source import read_yaml

BASE = (PROJECT_ROOT / "protocols" / "aversive_1x.yaml").read_text()


def changed(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new, 1)


def refused(text: str, field: str | None = None, within: float = 2.0) -> str:
    started = time.perf_counter()
    with pytest.raises(InputError) as info:
        parse_protocol_text(text, "bad.yaml")
    assert time.perf_counter() - started < within
    message = str(info.value)
    assert message.startswith("bad.yaml")
    if field is not None:
        assert f"field '{field}'" in message, message
    return message


@pytest.mark.parametrize("old, new, field", [
    ("type: single", "type: massed\n  repeat: 1000000000", "training.repeat"),
    ("type: single", f"type: massed\n  repeat: {limits.MAX_REPEAT + 1}", "training.repeat"),
    ("cohort: 8", "cohort: 1000000000000", "cohort"),
    ("seed: 1", "seed: 1180591620717411303424", "seed"),
    ("seed: 1", "seed: -1", "seed"),
    ("name: aversive_1x", "name: ..", "name"),
    ("name: aversive_1x", "name: .hidden", "name"),
    ("name: aversive_1x", "name: " + "a" * (limits.MAX_NAME_LENGTH + 1), "name"),
    ("times: [3 min, 1 h, 3 h, 24 h]", "times: [3 min, 1e300 d]", "tests.times[1]"),
    ("times: [3 min, 1 h, 3 h, 24 h]", "times: [3 min, 1e309 d]", "tests.times[1]"),
    ("times: [3 min, 1 h, 3 h, 24 h]", "times: [3 min, 400 d]", "tests.times[1]"),
    ("name: 3-octanol}", "name: 3-octanol, concentration: .inf}", "odors.cs_plus.concentration"),
    ("name: 3-octanol}", "name: 3-octanol, concentration: 1e6}", "odors.cs_plus.concentration"),
    ("pulse_duration: 1.5 s", "pulse_duration: 1e308 s", "training.reinforcement.shock.pulse_duration"),
])
def test_values_beyond_the_limits_are_refused_with_their_field(old, new, field):
    refused(changed(old, new), field)


def test_many_tests_are_refused_at_once():
    times = ", ".join(f"{k + 1} min" for k in range(limits.MAX_TESTS + 1))
    refused(changed("times: [3 min, 1 h, 3 h, 24 h]", f"times: [{times}]"), "tests.times")


def test_training_that_sums_past_the_horizon_is_refused():
    text = changed("type: single", "type: spaced\n  repeat: 900\n  iti: 300 d")
    assert "training within 365 d" in refused(text, "training")


def test_an_alias_bomb_is_refused_quickly():
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    message = refused("\n".join(levels) + "\n" + BASE)
    assert f"more than {limits.MAX_YAML_NODES} values" in message


@pytest.mark.parametrize("depth", [limits.MAX_YAML_DEPTH + 5, 20000])
def test_deep_nesting_is_refused(depth):
    message = refused("x: " + "[" * depth + "]" * depth + "\n" + BASE)
    assert "nested" in message


def test_the_limits_leave_shipped_files_alone():
    """Aliases and nesting of ordinary size still read (the limits are far from real files)."""
    text = "a: &a {b: [1, 2, 3]}\nc: *a\nd: " + "[" * 20 + "]" * 20
    assert read_yaml(text, "ok.yaml").data["c"] == {"b": [1, 2, 3]}


@pytest.mark.parametrize("settings", [{"cohort": limits.MAX_COHORT + 1}, {"seed": -1},
                                      {"seed": limits.MAX_SEED + 1}, {"seed": 2.5},
                                      {"alpha": float("nan")}])
def test_run_settings_refuse_values_beyond_the_limits(settings):
    with pytest.raises(InputError, match=next(iter(settings))):
        RunSettings(**settings)


def test_command_line_seed_and_cohort_fail_before_simulating(tmp_path, capsys):
    for flag in (["--seed", "-1"], ["--seed", str(2**70)], ["--cohort", "100000000"],
                 ["--alpha", "nan"]):
        started = time.perf_counter()
        assert main(["run", "aversive_1x", *flag, "-o", str(tmp_path / "x.h5")]) == 2
        assert time.perf_counter() - started < 10
        assert "error:" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


# --- parameter files ----------------------------------------------------------------------------
MEMORY = (PROJECT_ROOT / "data" / "params" / "memory.yaml").read_text()


@pytest.mark.parametrize("old, new, line", [
    ("  tau_labile:\n    value: 1 h\n", "  tau_labile:\n    value: 1 h\n    value: 2 h\n", 10),
    ("parameters:\n", "parameters:\n  arm_fraction:\n    value: 0.3\n    source: x\n", None),
])
def test_parameter_files_refuse_keys_given_twice(tmp_path, old, new, line):
    path = tmp_path / "memory.yaml"
    assert old in MEMORY
    path.write_text(MEMORY.replace(old, new, 1))
    from mbsim.parameters import ParameterSet
    from mbsim.engine.memory import MEMORY as DECLARATIONS
    with pytest.raises(InputError, match="a second time") as info:
        ParameterSet.from_file(DECLARATIONS, path)
    assert str(path) in str(info.value)
    if line is not None:
        assert info.value.line == line


# --- files that used to raise internal errors ---------------------------------------------------
def test_an_empty_lab_table_is_an_input_error(tmp_path):
    path = tmp_path / "retention.csv"
    path.write_text("")
    with pytest.raises(InputError, match="an empty file"):
        read_table(path, "retention")


def test_a_truncated_checkpoint_is_an_input_error(tmp_path):
    folder = tmp_path / "checkpoint"
    folder.mkdir()
    np.savez(folder / "0.npz", x=np.zeros((2, 3)), log_posterior=np.zeros(2),
             predictions=np.zeros((2, 4)))
    data = (folder / "0.npz").read_bytes()
    (folder / "0.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="damaged checkpoint") as info:
        Checkpoint(folder, "0").load()
    assert "0.npz" in str(info.value)


def test_an_intervention_without_kind_names_the_kinds():
    text = changed("feeding:", "interventions:\n  - {from: 1 h, to: 2 h}\nfeeding:")
    message = refused(text, "interventions[0].kind")
    assert "'cold_shock'" in message and "'block'" in message


def test_fit_and_experiment_files_have_the_same_limits(tmp_path):
    from fit_helpers import write_fit
    from mbsim.efficiency import load_experiment
    from mbsim.fit import load_fit_file
    fit = write_fit(tmp_path, "  - {name: memory.tau_labile, bounds: [30 min, 10 h]}",
                    "  - {kind: retention, file: retention.csv}", model=", flies: 1000000000")
    with pytest.raises(InputError, match="field 'model.flies'"):
        load_fit_file(fit)
    experiment = (PROJECT_ROOT / "data" / "experiments" / "energy_small.yaml").read_text()
    path = tmp_path / "energy.yaml"
    path.write_text(experiment.replace("name: energy_small", "name: .."))
    with pytest.raises(InputError, match="field 'name'"):
        load_experiment(path)
