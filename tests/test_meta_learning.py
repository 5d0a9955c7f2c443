"""The rule family, learning episodes under energy regimes, the meta-learning loop and its command."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mbsim.cli import main
from mbsim.efficiency import meta_learning
from mbsim.efficiency.episode import ATP_PARTS, STORES, run_episode
from mbsim.efficiency.meta_experiment import (META_LEARNING_DIR, load_meta_experiment,
                                              parse_meta_experiment_text)
from mbsim.efficiency.meta_learning import build_problem, evaluate_rule, run_meta_learning
from mbsim.efficiency.rules import ERROR_GATE_OFF, load_rule, unmodified_rule
from mbsim.engine.memory import load_memory_params
from mbsim.errors import InputError
from mbsim.io import load

EXPERIMENT = """\
schema_version: 1
name: meta_test
task:
  odors: {library: synthetic, count: 4}
  learning_rate_scale: 0.3
  phases: 3
  epochs_per_phase: 10
network: {kc_count: 500, seeds: [0]}
regimes:
  - {name: fed, availability: 1}
  - {name: starved, availability: 0.1}
  - {name: comes_and_goes, availability: 1, scarce_availability: 0.1, plentiful_time: 12 h, scarce_time: 12 h}
search:
  parameters:
    learning_rate: {low: 0.1, high: 10, log: true}
    ltm_energy_threshold: {low: 0, high: 1.5}
  restrictions: [all, top_k]
optimizer: {population: 4, generations: 2, seed: 3}
"""
FED, STARVED, COMES_AND_GOES = range(3)


@pytest.fixture(scope="module")
def parsed():
    return parse_meta_experiment_text(EXPERIMENT, "meta_test.yaml")


@pytest.fixture(scope="module")
def problem(parsed):
    return build_problem(parsed[0])


def episode(problem, rule, regime=FED):
    task = problem.tasks[0]
    return run_episode(task, rule, problem.regimes[regime], problem.schedule, problem.costs,
                       task.seed)


def test_the_fly_rule_file_declares_every_parameter_with_its_bounds():
    fly = load_rule()
    assert fly.restriction == "all"
    assert fly.cache_decay_time == pytest.approx(load_memory_params()["tau_labile"], rel=2e-3)
    assert fly.maintenance_cost == pytest.approx(0.01 / 3600.0)
    assert fly.error_margin == ERROR_GATE_OFF
    with pytest.raises(InputError, match=r"field 'plastic_fraction'.*outside the model's range"):
        fly.updated({"plastic_fraction": 1.5})
    with pytest.raises(InputError, match=r"found 'sometimes'; expected one of all, random_mask"):
        fly.updated({"restriction": "sometimes"})


def test_a_bad_rule_file_names_its_line(tmp_path):
    text = (META_LEARNING_DIR.parent / "params" / "rule.yaml").read_text()
    bad = tmp_path / "rule.yaml"
    bad.write_text(text.replace("restriction: {value: all", "restriction: {value: half"))
    line = next(i for i, row in enumerate(bad.read_text().splitlines(), 1) if "value: half" in row)
    with pytest.raises(InputError, match=rf"rule.yaml:{line}, field 'restriction': found 'half'"):
        load_rule(bad)


def test_gating_ltm_by_energy_switches_starved_flies_to_arm(problem):
    """Starved, the reserve cannot keep the LTM programme running: an ungated rule's consolidations
    fail once it is empty; the fly's gate sends them to ARM instead and spends no programme energy.
    Fed, the gate is open and both rules are the same rule."""
    gated = load_rule()
    ungated = gated.updated({"ltm_energy_threshold": 0.0})
    starved_gated, starved_ungated = episode(problem, gated, STARVED), episode(problem, ungated, STARVED)
    assert starved_ungated.failed_consolidations > 10 and starved_gated.failed_consolidations == 0
    assert starved_gated.m0[STORES.index("ARM")] > 0 and starved_gated.m0[STORES.index("LTM")] == 0
    assert starved_ungated.m0[STORES.index("LTM")] > 0
    assert starved_gated.atp.sum() < 1e-6 * starved_ungated.atp.sum()
    # the starved reserve (a tenth of the fed supply) pays a few hours of the programme only
    assert 1.0 < starved_ungated.programme_hours < 12.0
    fed_gated, fed_ungated = episode(problem, gated), episode(problem, ungated)
    assert fed_gated.retention == fed_ungated.retention
    np.testing.assert_array_equal(fed_gated.atp, fed_ungated.atp)


def test_arm_saturates_and_ltm_costs_the_programme(problem):
    arm_only = episode(problem, unmodified_rule().updated({"ltm_energy_threshold": 1.5}))
    assert arm_only.m1[STORES.index("LTM")] == 0 and arm_only.programme_hours == 0
    ltm = episode(problem, unmodified_rule())
    costs = problem.costs
    programme = ltm.atp[ATP_PARTS.index("programme")]
    assert programme == pytest.approx(costs.program_rate * ltm.programme_hours * 3600, rel=1e-12)
    # the programme runs from the first consolidation to programme_duration after the last
    trials = problem.schedule.phases * problem.schedule.epochs_per_phase * 4
    span = ((trials - 1) * problem.schedule.interval + costs.program_duration) / 3600
    assert ltm.programme_hours == pytest.approx(span, abs=problem.schedule.interval / 3600)
    assert programme > 1e6 * ltm.atp[ATP_PARTS.index("LTM")]   # systemic >> per-synapse cost


def test_restriction_and_error_gating_cut_updates(problem):
    every = episode(problem, unmodified_rule())
    largest = episode(problem, unmodified_rule().updated({"restriction": "top_k",
                                                          "plastic_fraction": 0.01}))
    assert every.m0.sum() > 5 * largest.m0.sum()
    gated = episode(problem, unmodified_rule().updated({"error_margin": 0.02}))
    assert gated.updates < every.updates
    assert gated.m1.sum() < every.m1.sum()


def test_a_rule_without_cache_makes_no_labile_change(problem):
    direct = episode(problem, unmodified_rule())
    cached = episode(problem, load_rule())
    assert direct.m0[STORES.index("labile")] == 0 and direct.atp[ATP_PARTS.index("maintenance")] == 0
    assert cached.m0[STORES.index("labile")] > 0 and cached.atp[ATP_PARTS.index("maintenance")] > 0


def test_objectives_follow_their_definition(problem):
    result = evaluate_rule(meta_learning.RuleJob(problem, load_rule()))
    by_regime = result["performance"].mean(axis=0)
    performance, energy, resilience = result["objectives"]
    assert performance == by_regime[FED]
    assert by_regime[FED] > meta_learning.RESILIENCE_FLOOR
    assert resilience == pytest.approx(by_regime[1:].mean() / by_regime[FED])
    assert energy == pytest.approx(result["atp"].sum(axis=-1).mean())


def test_search_resumes_from_its_checkpoint_with_the_same_numbers(parsed, problem, tmp_path,
                                                                 monkeypatch):
    experiment, searched = parsed
    first = run_meta_learning(experiment, searched, checkpoint=tmp_path / "ck", problem=problem)
    trials = first["trials"].to_dataset()
    assert trials.sizes["trial"] == 8 and trials["on_front"].values.sum() >= 1
    assert set(np.unique(trials["generation"].values)) == {0, 1}
    assert np.all(np.isfinite(trials["energy"].values))
    # drop the second generation's evaluations, as if the search had stopped after the first
    path = tmp_path / "ck" / "evaluations.json"
    stored = json.loads(path.read_text())
    keys = [meta_learning.rule_key(r) for r in _rules(first)]
    stored["evaluations"] = {k: v for k, v in stored["evaluations"].items() if k in keys[:4]}
    path.write_text(json.dumps(stored))
    calls = []
    original = meta_learning.evaluate_rule
    monkeypatch.setattr(meta_learning, "evaluate_rule", lambda job: calls.append(1) or original(job))
    resumed = run_meta_learning(experiment, searched, checkpoint=tmp_path / "ck", resume=True,
                                problem=problem)
    # the second generation's rules not also tried in the first, and the two references
    assert len(calls) == len(set(keys[4:]) - set(keys[:4])) + 2
    for name in ("performance", "energy", "resilience", "learning_rate", "on_front"):
        np.testing.assert_array_equal(resumed["trials"][name].values, first["trials"][name].values)


def _rules(tree):
    trials = tree["trials"].to_dataset()
    fly = load_rule()
    return [fly.updated({"learning_rate": float(trials["learning_rate"][i]),
                         "ltm_energy_threshold": float(trials["ltm_energy_threshold"][i]),
                         "restriction": str(trials["restriction"].values[i])},
                        name=f"trial {i}") for i in range(trials.sizes["trial"])]


def test_a_checkpoint_of_another_experiment_is_refused(parsed, tmp_path):
    experiment, searched = parsed
    (tmp_path / "ck").mkdir()
    (tmp_path / "ck" / "evaluations.json").write_text(json.dumps({"identity": "x", "evaluations": {}}))
    with pytest.raises(InputError, match="a checkpoint of another experiment"):
        run_meta_learning(experiment, searched, checkpoint=tmp_path / "ck", resume=True)


def test_command_writes_a_result_that_opens_and_plots(tmp_path, capsys):
    experiment = tmp_path / "meta_test.yaml"
    experiment.write_text(EXPERIMENT)
    out = tmp_path / "meta.h5"
    assert main(["-q", "meta-learn", str(experiment), "-o", str(out), "--jobs", "1"]) == 0
    printed = capsys.readouterr().out
    assert "fly_default" in printed and "unmodified" in printed
    tree = load(out, kind="mbsim-meta-learning")
    assert tree.attrs["format"] == "mbsim-meta-learning/1"
    assert tree.attrs["experiment_text"] == EXPERIMENT and "optuna" in tree.attrs["optimizer"]
    assert list(tree["references"]["rule"].values) == ["fly_default", "unmodified"]
    hardware = tree["hardware"].to_dataset()
    assert hardware.sizes["rule"] == 2 + int(tree["trials"]["on_front"].values.sum())
    assert np.all(hardware["seconds_per_step"].values > 0)
    assert np.all(hardware["joules_per_task"].values > hardware["joules_per_step"].values)
    source = tree["hardware"].attrs["counter_source"]
    assert source.startswith("perf_event") or source.startswith("timing only: perf events not available")
    assert (tmp_path / "meta_front.png").stat().st_size > 10_000
    assert (tmp_path / "meta_rules.png").stat().st_size > 10_000
    assert not (tmp_path / "meta.h5.checkpoint").exists()
    assert main(["plot", str(out), "--kind", "rules", "-o", str(tmp_path / "r.png")]) == 0
    capsys.readouterr()
    assert main(["inspect", str(out)]) == 0
    assert "mbsim-meta-learning file" in capsys.readouterr().out


@pytest.mark.parametrize("old, new, pattern", [
    ("learning_rate: {low: 0.1", "learning_speed: {low: 0.1",
     r"x.yaml:15, field 'search.parameters.learning_speed': found 'learning_speed'; expected a rule parameter"),
    ("high: 1.5}", "high: 3}",
     r"x.yaml:16, field 'search.parameters.ltm_energy_threshold': found \[0, 3\]; expected low < high inside the declared range \[0, 2\]"),
    ("{low: 0.1, high: 10, log: true}", "{low: 0, high: 10, log: true}",
     r"x.yaml:15, .*found log: true with low 0; expected a positive low bound"),
    ("  - {name: fed, availability: 1}\n", "",
     r"x.yaml:9, field 'regimes': found regime 'starved' first; expected the plentiful reference first"),
    ("population: 4", "population: 1", r"x.yaml:\d+, field 'optimizer.population': found 1; expected a number >= 2"),
    ("restrictions: [all, top_k]", "restrictions: [all, half]",
     r"field 'search.restrictions\[1\]': found 'half'; expected one of"),
])
def test_bad_meta_learning_file_names_line_and_field(tmp_path, capsys, old, new, pattern):
    assert old in EXPERIMENT
    bad = tmp_path / "x.yaml"
    bad.write_text(EXPERIMENT.replace(old, new))
    with pytest.raises(InputError, match=pattern):
        load_meta_experiment(bad)
    assert main(["meta-learn", str(bad), "-o", str(tmp_path / "o.h5")]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert not (tmp_path / "o.h5").exists()


@pytest.mark.parametrize("path", sorted(META_LEARNING_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_meta_learning_files_validate(path):
    experiment, searched = load_meta_experiment(path)
    assert experiment.name == path.stem and searched


def test_jobs_do_not_change_the_numbers(parsed, problem):
    experiment, searched = parsed
    serial = run_meta_learning(experiment, searched, jobs=1, problem=problem)
    parallel = run_meta_learning(experiment, searched, jobs=2, problem=problem)
    for group in ("trials", "references"):
        for name, variable in serial[group].to_dataset().data_vars.items():
            np.testing.assert_array_equal(variable.values, parallel[group][name].values)


def test_a_missing_base_rule_file_is_refused_before_simulating(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "x.yaml"
    bad.write_text(EXPERIMENT.replace("search:", f"rule: {tmp_path / 'none.yaml'}\nsearch:"))
    simulated = []
    monkeypatch.setattr(meta_learning, "build_network", lambda *a: simulated.append(a))
    assert main(["meta-learn", str(bad), "-o", str(tmp_path / "o.h5")]) == 2
    assert "none.yaml: found an unreadable file" in capsys.readouterr().err
    assert not simulated and not (tmp_path / "o.h5").exists()
