"""`mbsim export nwb`: a result as an NWB file that pynwb reads and the NWB inspector accepts."""

from __future__ import annotations

import sys

import numpy as np
import nwbinspector
import pynwb
import pytest

import mbsim
from mbsim.cli import main

#: Inspector findings that count as errors (the rest are suggestions).
ERRORS = ("CRITICAL", "BEST_PRACTICE_VIOLATION", "ERROR", "PYNWB_VALIDATION")


@pytest.fixture(scope="module")
def exported(recorded_run, tmp_path_factory):
    """The recorded run exported on the command line: (result tree, NWB path)."""
    path = tmp_path_factory.mktemp("nwb") / "run.nwb"
    assert main(["-q", "export", "nwb", str(recorded_run[1]), "-o", str(path)]) == 0
    return mbsim.load(recorded_run[1]), path


def test_nwb_file_passes_the_inspector(exported):
    """No critical finding and no best-practice violation; only suggestions remain."""
    _, path = exported
    found = list(nwbinspector.inspect_nwbfile(nwbfile_path=str(path)))
    errors = [f"{m.importance.name} {m.check_function_name}: {m.message}" for m in found
              if m.importance.name in ERRORS]
    assert errors == []


def test_units_hold_the_result_spike_times_and_connectome_ids(exported):
    """One unit per recorded neuron and fly; its spike times are the result's, in order."""
    tree, path = exported
    spikes, neurons = tree["spikes"].to_dataset(), tree["neurons"].to_dataset()
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        units = io.read().units.to_dataframe()
    spiking = neurons["cell_class"].isin(["PN", "KC", "MBON", "DAN"]).values
    assert len(units) == 2 * spiking.sum()
    assert sum(len(t) for t in units["spike_times"]) == spikes.sizes["spike"]
    rng = np.random.default_rng(0)
    for row in rng.choice(len(units), 60, replace=False):
        unit = units.iloc[row]
        mine = (spikes["fly"].values == unit["fly"]) & (spikes["neuron"].values == unit["neuron"])
        np.testing.assert_array_equal(unit["spike_times"], np.sort(spikes["spike_time"].values[mine]))
        assert unit["connectome_id"] == neurons["connectome_id"].values[unit["neuron"]]
        assert unit["cell_type"] == neurons["cell_type"].values[unit["neuron"]]
    ppl1 = units[(units["cell_type"] == "PPL101") & (units["fly"] == 0)]
    assert len(ppl1) == 2 and set(ppl1["compartments"]) == {"g1;pedc"}
    assert len(units["obs_intervals"].iloc[0]) == tree["spiking"].sizes["window"]


def test_windows_are_epochs_with_their_stimuli(exported):
    """Each window is an epoch; odors and shocks are intervals inside their windows."""
    tree, path = exported
    spiking = tree["spiking"].to_dataset()
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwbfile = io.read()
        epochs = nwbfile.epochs.to_dataframe()
        odors = nwbfile.intervals["odor_presentations"].to_dataframe()
        shocks = nwbfile.intervals["shocks"].to_dataframe()
        retention = nwbfile.processing["behavior"]["retention"].to_dataframe()
        glycogen = nwbfile.processing["metabolism"]["glycogen"]
        glycogen_data, glycogen_times = glycogen.data[:], glycogen.timestamps[:]
    assert list(epochs["label"]) == [str(w) for w in spiking["window"].values]
    np.testing.assert_array_equal(epochs["start_time"], spiking["window_start"].values)
    assert len(odors) == 2 * len(epochs) and set(odors["odor"]) == {"3-octanol",
                                                                    "4-methylcyclohexanol"}
    assert len(shocks) == 2 and set(shocks["window"]) == {"training trial 1"}
    np.testing.assert_allclose(shocks["voltage"], 60.0)
    assert (shocks["stop_time"] <= epochs["stop_time"].iloc[0]).all()
    pi = tree["retention"]["pi"].values
    np.testing.assert_array_equal(retention["pi"].to_numpy().reshape(pi.shape), pi)
    metabolism = tree["metabolism"].to_dataset()
    np.testing.assert_array_equal(glycogen_data, metabolism["glycogen"].transpose("time", "fly"))
    np.testing.assert_array_equal(glycogen_times, metabolism["time"].values)


def test_a_default_result_exports_its_kc_raster(recorded_run, tmp_path):
    """Without /spikes, the units are the first fly's KCs in the raster's window."""
    from mbsim.nwb import export_nwb
    tree = mbsim.load(recorded_run[1]).drop_nodes("spikes")
    path = export_nwb(tree, tmp_path / "raster.nwb")
    raster, neurons = tree["spiking/raster"].to_dataset(), tree["neurons"].to_dataset()
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        units = io.read().units.to_dataframe()
    assert len(units) == (neurons["cell_class"].values == "KC").sum()
    assert set(units["cell_class"]) == {"KC"} and set(units["fly"]) == {0}
    kc = units["class_index"].to_numpy()
    for index in np.unique(raster["kc_index"].values)[:40]:
        expected = raster["spike_time"].values[raster["kc_index"].values == index]
        np.testing.assert_array_equal(units["spike_times"].iloc[int(np.flatnonzero(kc == index)[0])],
                                      np.sort(expected))


def test_missing_pynwb_says_how_to_install_it(recorded_run, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pynwb", None)
    out = tmp_path / "out.nwb"
    assert main(["export", "nwb", str(recorded_run[1]), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "pip install -e '.[nwb]'" in err and "Traceback" not in err and not out.exists()


def test_bad_destination_exits_2(recorded_run, tmp_path, capsys):
    assert main(["export", "nwb", str(recorded_run[1]), "-o",
                 str(tmp_path / "absent" / "out.nwb")]) == 2
    assert "absent" in capsys.readouterr().err


def test_a_result_without_a_neuron_table_is_refused(recorded_run, tmp_path, capsys):
    """An older result (no /neurons) gets one located message, exit 2, and no file."""
    old = tmp_path / "old.h5"
    mbsim.save(mbsim.load(recorded_run[1]).drop_nodes("neurons"), old)
    assert main(["export", "nwb", str(old), "-o", str(tmp_path / "old.nwb")]) == 2
    err = capsys.readouterr().err
    assert "without the group(s) /neurons" in err and "mbsim rerun" in err
    assert not (tmp_path / "old.nwb").exists()
