"""Experiment files of mbsim energy-sweep: shipped files validate, bad ones name file, line, field."""

from __future__ import annotations

import pytest

from mbsim.cli import main
from mbsim.efficiency import load_experiment, parse_experiment_text
from mbsim.efficiency.experiment import EXPERIMENTS_DIR
from mbsim.errors import InputError

GOOD = """\
schema_version: 1
name: bad_example
task:
  odors: {library: synthetic, count: 4}
network: {kc_counts: [500], seeds: [0]}
strategies:
  fractions: [0.1]
  caching: {thresholds: [0.02]}
"""


@pytest.mark.parametrize("path", sorted(EXPERIMENTS_DIR.glob("energy_*.yaml")), ids=lambda p: p.stem)
def test_shipped_experiments_validate(path):
    """Every file in data/experiments loads, and always reports M0 and M1."""
    experiment = load_experiment(path)
    assert experiment.name == path.stem
    assert {0.0, 1.0} <= set(experiment.energy.alphas)


@pytest.mark.parametrize("old, new, pattern", [
    ("fractions: [0.1]", "fractions: [1.5]", r"x.yaml:7, field 'strategies.fractions\[0\]': found 1.5; expected a number < 1"),
    ("kc_counts: [500]", "kc_counts: [100]", r"x.yaml:5, field 'network.kc_counts\[0\]': found 100; expected a number >= 500"),
    ("{thresholds: [0.02]}", "{thresholds: [0.02], maintenance_cost: 3 mV}", r"x.yaml:8, field 'strategies.caching.maintenance_cost': found '3 mV', a voltage; expected a rate"),
    ("library: synthetic", "library: hallem", r"x.yaml:4, field 'task.odors.library': found 'hallem'; expected one of 'synthetic' or 'hallem_carlson'"),
    ("count: 4}", "count: 4, names: [a, b]}", r"x.yaml:4, field 'task.odors': found both or neither"),
    ("seeds: [0]}", "seeds: [0]}\nsurprise: 1", r"x.yaml:6, field 'surprise': found unknown key 'surprise'"),
])
def test_bad_experiment_names_line_and_field(old, new, pattern):
    """Each error names the file, the line and the field, what was found and what was expected."""
    with pytest.raises(InputError, match=pattern):
        parse_experiment_text(GOOD.replace(old, new), "x.yaml")


def test_cli_exits_2_on_bad_experiment(tmp_path, capsys):
    """A bad experiment file is an input error: exit code 2 and the message on stderr."""
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD.replace("schema_version: 1", "schema_version: 7"))
    assert main(["energy-sweep", str(path), "-o", str(tmp_path / "x.h5")]) == 2
    assert "schema_version" in capsys.readouterr().err
