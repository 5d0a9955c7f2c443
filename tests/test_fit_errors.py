"""Bad fit input: one clear InputError (file, line, field) before any evaluation; CLI exit 2."""

from __future__ import annotations

import pytest

from fit_helpers import write_fit, write_retention
from mbsim.cli import main
from mbsim.errors import InputError
from mbsim.fit import FitProblem, load_fit_file, read_table
from mbsim.network import load_parameters
from mbsim.paths import PROJECT_ROOT

PARAMS = "  - {name: memory.tau_labile, bounds: [30 min, 10 h]}"
DATA = "  - {kind: retention, file: retention.csv}"
ROWS = [("aversive_1x", "3 min", 0.8, 0.05, 8), ("aversive_1x", "3 h", 0.4, 0.05, 8)]


class CountingNetwork:
    """Fails the test if the fit ever simulates anything."""

    def __getattr__(self, name):
        raise AssertionError(f"the network was used ({name}) before the input was checked")


def problem(tmp_path, parameters=PARAMS, data=DATA, rows=ROWS, metabolism=False):
    write_retention(tmp_path, rows)
    return FitProblem(load_fit_file(write_fit(tmp_path, parameters, data, metabolism=metabolism)),
                      network=CountingNetwork())


def test_missing_sem_names_file_line_and_column(tmp_path):
    """A retention row without SEM is refused at its CSV line."""
    path = tmp_path / "r.csv"
    path.write_text("protocol,time,pi,sem,n,approximate,source\naversive_1x,3 min,0.8,,8,true,x\n")
    with pytest.raises(InputError, match=r"r.csv:2, field 'sem': found an empty cell"):
        read_table(path, "retention")


def test_missing_n_column(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("protocol,time,pi,sem,approximate,source\naversive_1x,3 min,0.8,0.1,true,x\n")
    with pytest.raises(InputError, match=r"r.csv:1.*no column\(s\) \['n'\]"):
        read_table(path, "retention")


def test_time_before_training(tmp_path):
    with pytest.raises(InputError, match=r"retention.csv:3, field 'time'.*before training"):
        problem(tmp_path, rows=ROWS[:1] + [("aversive_1x", "-1 h", 0.4, 0.05, 8)])


def test_parameter_not_in_model(tmp_path):
    with pytest.raises(InputError, match=r"fit.yaml:4, field 'parameters\[0\].name'.*"
                                         r"memory.tau_labil', not in the model"):
        problem(tmp_path, parameters="  - {name: memory.tau_labil, bounds: [1 h, 2 h]}")


def test_bounds_exclude_start(tmp_path):
    with pytest.raises(InputError, match=r"fit.yaml:4, field 'parameters\[0\].bounds'.*start "
                                         r"value \d+ s \(the model's current value\).*inside the bounds"):
        problem(tmp_path, parameters="  - {name: memory.tau_labile, bounds: [20 h, 30 h]}")


def test_wrong_unit_in_bounds(tmp_path):
    with pytest.raises(InputError, match=r"parameters\[0\].bounds.*'3 V', a voltage"):
        problem(tmp_path, parameters="  - {name: memory.tau_labile, bounds: [3 V, 10 h]}")


def test_protocol_without_the_observable(tmp_path):
    """Survival data need a protocol that records survival."""
    (tmp_path / "s.csv").write_text("protocol,time,fraction,n,approximate,source\n"
                                    "aversive_1x,20 h,0.5,40,true,x\n")
    with pytest.raises(InputError, match=r"s.csv:2, field 'protocol'.*without a 'survival:'"):
        problem(tmp_path, data="  - {kind: survival, file: s.csv}", metabolism=True)


def test_unknown_protocol_in_data(tmp_path):
    with pytest.raises(InputError, match=r"retention.csv:2, field 'protocol'.*'no_such'"):
        problem(tmp_path, rows=[("no_such", "3 min", 0.8, 0.05, 8)])


def test_unknown_key_in_fit_file(tmp_path):
    with pytest.raises(InputError, match=r"fit.yaml:4, field 'parameters\[0\].bound'.*unknown key"):
        problem(tmp_path, parameters="  - {name: memory.tau_labile, bound: [1 h, 2 h]}")


def test_wrong_likelihood_for_kind(tmp_path):
    with pytest.raises(InputError, match=r"data\[0\].likelihood.*'censored' for retention"):
        problem(tmp_path, data="  - {kind: retention, file: retention.csv, likelihood: censored}")


def test_cli_exit_code_2(tmp_path, capsys):
    write_retention(tmp_path, ROWS)
    path = write_fit(tmp_path, "  - {name: memory.nothing, bounds: [1 h, 2 h]}", DATA)
    assert main(["fit", str(path), "-o", str(tmp_path / "out.h5")]) == 2
    assert "not in the model" in capsys.readouterr().err
    assert not (tmp_path / "out.h5").exists()


@pytest.mark.parametrize("path", sorted((PROJECT_ROOT / "data" / "fits").glob("*.yaml")),
                         ids=lambda p: p.name)
def test_shipped_fit_files_are_valid(path, shared_data):
    """Every fit file in data/fits passes all checks (no evaluation runs)."""
    problem = FitProblem(load_fit_file(path), network=CountingNetwork())
    assert len(problem.space.names) >= 2 and len(problem.observations.observed) >= 2


def test_data_protocols_must_be_in_the_table(tmp_path):
    """`protocols:` selecting rows names only protocols the table has."""
    data = "  - {kind: retention, file: retention.csv, protocols: [aversive_spaced_10x]}"
    with pytest.raises(InputError, match=r"fit.yaml:6, field 'data\[0\].protocols'.*"
                                         r"aversive_spaced_10x.*protocols of the table"):
        problem(tmp_path, data=data)


def test_data_protocols_select_rows(tmp_path):
    rows = ROWS + [("aversive_massed_10x", "24 h", 0.3, 0.05, 8)]
    data = "  - {kind: retention, file: retention.csv, protocols: [aversive_massed_10x]}"
    selected = problem(tmp_path, data=data, rows=rows)
    assert list(selected.observations.protocol) == ["aversive_massed_10x"]
    assert sorted(selected.schedules) == ["aversive_massed_10x"]


@pytest.mark.parametrize("name, bounds, reason", [
    ("network.kc_threshold", "[-50 mV, -40 mV]", "shapes the compiled network; a fit reuses one "
                                                 "compiled network"),
    ("network.shock_reference_voltage", "[50 V, 100 V]", "shapes the spiking windows, which a "
                                                          "fit simulates once and reuses"),
    ("network.depression_rate", "[0.1, 1]", "holds one value per compartment"),
    ("metabolism.mp1_target_compartments", "[0, 1]", "is a list of compartment names"),
    ("network.tube_variability", "[0, 1]", "shapes only a run's lab-like tubes"),
])
def test_parameters_a_fit_cannot_vary(tmp_path, name, bounds, reason):
    """Network parameters that shape the compiled network or the windows, and non-scalar ones,
    are refused with the reason."""
    with pytest.raises(InputError, match=rf"fit.yaml:4, field 'parameters\[0\].name'.*'{name}', "
                                         rf"which {reason}"):
        problem(tmp_path, parameters=f"  - {{name: {name}, bounds: {bounds}}}", metabolism=True)


def test_post_network_parameter_enters_the_space(tmp_path):
    """A network parameter used only on a window's results can be named; its changes are kept."""
    fit = problem(tmp_path, parameters="  - {name: network.choice_temperature, bounds: [0.3 Hz, 2 Hz]}")
    assert fit.space.names == ["network.choice_temperature"]
    assert fit.space.start[0] == pytest.approx(load_parameters()["choice_temperature"])
    assert fit.space.changes([1.0]) == {"network": {"choice_temperature": 1.0}, "memory": {},
                                        "metabolism": {}}

