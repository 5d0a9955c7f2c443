"""Spike recording (`mbsim run --record`) and the neuron table, on the spiking default network."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import mbsim
from mbsim.cli import main
from mbsim.engine import Recording
from mbsim.errors import InputError


def spikes_of(tree, cell_class=None, fly=None, window=None):
    """(class_index, spike_time) of the kept spikes, optionally of one class, fly and window."""
    spikes, neurons = tree["spikes"].to_dataset(), tree["neurons"].to_dataset()
    keep = np.ones(spikes.sizes["spike"], bool)
    if cell_class is not None:
        keep &= neurons["cell_class"].values[spikes["neuron"].values] == cell_class
    if fly is not None:
        keep &= spikes["fly"].values == fly
    if window is not None:
        keep &= spikes["window"].values == window
    return (neurons["class_index"].values[spikes["neuron"].values[keep]],
            spikes["spike_time"].values[keep])


def test_neuron_table_maps_indices_to_connectome_ids(recorded_run):
    """/neurons lists every simulated neuron with its class index and the connectome's own id."""
    tree = mbsim.load(recorded_run[1])
    neurons = tree["neurons"].to_dataset()
    connectome = mbsim.connectome.load("default")
    kcs = neurons.where(neurons["cell_class"] == "KC", drop=True)
    expected = connectome.of_class("KC")
    np.testing.assert_array_equal(kcs["connectome_id"].values.astype(np.int64),
                                  expected["id"].to_numpy())
    np.testing.assert_array_equal(kcs["class_index"].values, np.arange(len(expected)))
    dans = neurons.where(neurons["cell_class"] == "DAN", drop=True)
    assert (dans["subtype"].values == "PAM").sum() == 300
    assert set(dans["compartments"].values[dans["cell_type"].values == "PPL101"]) == {"g1;pedc"}
    assert neurons.sizes["neuron"] == len(connectome.neurons[connectome.neurons["cell_class"]
                                                              .isin(["PN", "KC", "APL", "MBON",
                                                                     "DAN"])])


def test_recording_keeps_every_class_and_the_raster_is_part_of_it(recorded_run):
    """Each class spikes in each window of both flies; the default raster (fly 0, first
    training window) equals the recorded KC spikes there; a size estimate was printed."""
    _, result, err = recorded_run
    tree = mbsim.load(result)
    windows = list(tree["spiking"]["window"].values)
    for cls in ("PN", "KC", "MBON", "DAN"):
        for fly in (0, 1):
            for w in range(len(windows)):
                assert len(spikes_of(tree, cls, fly, w)[1]) > 0, (cls, fly, windows[w])
    index, times = spikes_of(tree, "KC", 0, 0)
    raster = tree["spiking/raster"].to_dataset()
    np.testing.assert_array_equal(index, raster["kc_index"].values)
    np.testing.assert_array_equal(times, raster["spike_time"].values)
    start = tree["spiking"]["window_start"].values[2]
    times = spikes_of(tree, window=2)[1]
    assert start <= times.min() and times.max() < start + 5.0
    assert "recording PN, KC, MBON, DAN spikes in 3 windows of 2 flies: about" in err


def test_selected_recording_is_the_same_spikes_with_other_jobs(recorded_run, tmp_path):
    """Recording only fly 1's KC and MBON trains in the tests, with 2 jobs (windows on threads),
    keeps exactly those spikes of the full recording and changes no number of the result."""
    protocol, full_file, _ = recorded_run
    part_file = tmp_path / "part.h5"
    assert main(["-q", "run", str(protocol), "-o", str(part_file), "--record", "KC,MBON",
                 "--record-windows", "test at *", "--record-flies", "1", "--jobs", "2"]) == 0
    full, part = mbsim.load(full_file), mbsim.load(part_file)
    for group in ("retention", "choices", "metabolism", "energy", "spiking", "neurons"):
        xr.testing.assert_identical(full[group].to_dataset(), part[group].to_dataset())
    assert set(part["spikes"]["fly"].values) == {1} and set(part["spikes"]["window"].values) == {1, 2}
    for cls in ("KC", "MBON"):
        for window in (1, 2):
            for got, expected in zip(spikes_of(part, cls, 1, window),
                                     spikes_of(full, cls, 1, window)):
                np.testing.assert_array_equal(got, expected)
    assert len(spikes_of(part, "DAN")[1]) == 0


@pytest.mark.parametrize("option, message", [
    (["--record", "APL"], "the APL is graded and does not spike"),
    (["--record", "KC", "--record-windows", "test at 9 d"], "'training trial 1', 'test at 3 min'"),
    (["--record", "KC", "--record-flies", "5"], "flies of the cohort of 2: 0 to 1"),
    (["--record", "KC", "--record-flies", "0-x"], "fly indices and ranges"),
])
def test_bad_recording_options_exit_2_before_running(recorded_run, tmp_path, capsys, option,
                                                      message):
    out = tmp_path / "out.h5"
    assert main(["run", str(recorded_run[0]), "-o", str(out), *option]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_recording_settings_round_trip_through_the_result(recorded_run):
    """A result's settings rebuild its recording (so `mbsim rerun` records the same spikes)."""
    settings = mbsim.engine.RunSettings(**__import__("json").loads(
        mbsim.load(recorded_run[1]).attrs["settings"]))
    assert settings.record == Recording(("PN", "KC", "MBON", "DAN"), ("*",), (0, 1))
    with pytest.raises(InputError, match="at least one cohort index"):
        Recording(("KC",), flies=())
