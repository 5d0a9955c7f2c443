"""A fit file names data and stand-ins, never code: module:attr is refused, stand-ins come from a
registry (Python or MBSIM_STAND_INS), and shared: paths stay inside the shared data folder."""

from __future__ import annotations

import pytest

from fit_helpers import write_fit, write_retention
from mbsim.errors import InputError
from mbsim.fit import FitProblem, load_fit_file

PARAMS = "  - {name: memory.tau_labile, bounds: [30 min, 10 h]}"
DATA = "  - {kind: retention, file: retention.csv}"
ROWS = [("aversive_1x", "3 min", 0.8, 0.05, 8), ("aversive_1x", "3 h", 0.4, 0.05, 8)]


@pytest.mark.parametrize("network", ["this:s", "os:system", "analytic_network:AnalyticNetwork"])
def test_fit_files_cannot_import_code(tmp_path, network):
    path = write_fit(tmp_path, PARAMS, DATA).read_text().replace('"stand-in:analytic"',
                                                                   f'"{network}"')
    (tmp_path / "fit.yaml").write_text(path)
    with pytest.raises(InputError, match=r"fit.yaml:\d+, field 'model.network'.*do not import code"):
        load_fit_file(tmp_path / "fit.yaml")


def test_unknown_stand_in_lists_the_registered_ones(tmp_path):
    write_retention(tmp_path, ROWS)
    text = write_fit(tmp_path, PARAMS, DATA).read_text().replace("stand-in:analytic",
                                                                 "stand-in:nothing")
    (tmp_path / "fit.yaml").write_text(text)
    with pytest.raises(InputError, match=r"stand-in 'nothing'.*registered stand-in: .*analytic"):
        FitProblem(load_fit_file(tmp_path / "fit.yaml")).forward


def test_registered_stand_in_is_used(tmp_path):
    from mbsim.fit import stand_ins
    made = []

    class Recorder:
        def __init__(self):
            made.append(self)
    stand_ins.register_stand_in("recorder", Recorder)
    try:
        assert isinstance(stand_ins.stand_in("recorder"), Recorder) and len(made) == 1
    finally:
        stand_ins._REGISTRY.pop("recorder")


@pytest.mark.parametrize("file", ["shared:../../../etc/passwd", "shared:/etc/passwd"])
def test_shared_paths_stay_inside_the_shared_data_folder(tmp_path, file, shared_data):
    spec = load_fit_file(write_fit(tmp_path, PARAMS, DATA))
    with pytest.raises(InputError, match="outside the shared data folder"):
        spec.resolve(file)
    assert spec.resolve("shared:lab").is_relative_to(shared_data.resolve())


def test_shared_paths_without_the_folder_say_how_to_set_it(tmp_path, monkeypatch):
    monkeypatch.setenv("MBSIM_SHARED_DATA", str(tmp_path / "nowhere"))
    spec = load_fit_file(write_fit(tmp_path, PARAMS, DATA))
    with pytest.raises(InputError, match="set MBSIM_SHARED_DATA"):
        spec.resolve("shared:lab/retention.csv")
