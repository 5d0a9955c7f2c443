"""Sizes and names at the extremes: bounded repeats, tests, cohorts, seeds and names, YAML that
would expand or nest without bound, the same limits in fit and experiment files. Each is one
located InputError (exit 2 at the command line), in bounded time."""

from __future__ import annotations

import time

import pytest

from bad_input import BASE, alias_bomb, changed, refused
from mbsim import limits
from mbsim.cli import main
from mbsim.engine import RunSettings
from mbsim.errors import InputError
from mbsim.paths import PROJECT_ROOT
from mbsim.yaml_source import read_yaml


@pytest.mark.parametrize("old, new, field", [
    ("type: single", "type: massed\n  repeat: 1000000000", "training.repeat"),
    ("type: single", f"type: massed\n  repeat: {limits.MAX_REPEAT + 1}", "training.repeat"),
    ("cohort: 8", "cohort: 1000000000000", "cohort"),
    ("seed: 1", "seed: 1180591620717411303424", "seed"),
    ("seed: 1", "seed: -1", "seed"),
    ("name: aversive_1x", "name: ..", "name"),
    ("name: aversive_1x", "name: .hidden", "name"),
    ("name: aversive_1x", "name: " + "a" * (limits.MAX_NAME_LENGTH + 1), "name"),
    ("name: aversive_1x", "name: " + "a" * 1_000_000, "name"),
])
def test_sizes_beyond_the_limits_are_refused_with_their_field(old, new, field):
    refused(changed(old, new), field)


def test_many_tests_are_refused_at_once():
    times = ", ".join(f"{k + 1} min" for k in range(limits.MAX_TESTS + 1))
    refused(changed("times: [3 min, 1 h, 3 h, 24 h, 4 d]", f"times: [{times}]"), "tests.times")


def test_training_that_sums_past_the_horizon_is_refused():
    text = changed("type: single", "type: spaced\n  repeat: 900\n  iti: 300 d")
    assert "training within 365 d" in refused(text, "training")


def test_an_alias_bomb_is_refused_quickly():
    message = refused(alias_bomb() + BASE)
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
