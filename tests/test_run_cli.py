"""`mbsim run` / `rerun` end to end on the spiking default network (a short protocol, one fly)."""

from __future__ import annotations

import re

import h5py
import numpy as np
import pytest
import xarray as xr

from mbsim.cli import main
from mbsim.io import load

SHORT = """schema_version: 1
name: short_aversive
description: one short aversive trial, tests at 3 min and 3 h
odors: {cs_plus: {name: 3-octanol}, cs_minus: {name: 4-methylcyclohexanol}}
training:
  type: single
  cs_duration: 10 s
  gap: 5 s
  reinforcement: {shock: {voltage: 60 V, pulses: 2}}
tests: {times: [3 min, 3 h]}
cohort: 2
seed: 3
"""


@pytest.fixture(scope="module")
def run_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    protocol = folder / "short.yaml"
    protocol.write_text(SHORT)
    first, second = folder / "first.h5", folder / "again.h5"
    assert main(["-q", "run", str(protocol), "-o", str(first)]) == 0
    assert main(["-q", "rerun", str(first), "-o", str(second)]) == 0
    return protocol, first, second


def test_result_opens_with_h5py_and_xarray(run_files):
    _, first, _ = run_files
    with h5py.File(first, "r") as f:
        assert {"retention", "choices", "weights", "spiking", "metabolism", "energy"} <= set(f)
        assert f.attrs["protocol_name"] == "short_aversive"
        assert f["retention/pi"].shape == (2, 4)
    tree = xr.open_datatree(first, engine="h5netcdf")
    retention = xr.open_dataset(first, group="retention", engine="h5netcdf")
    np.testing.assert_allclose(retention["retention_time"].values, [180.0, 10800.0])
    assert tree.attrs["seed"] == 3
    tree.close()
    retention.close()


def test_metabolism_group_has_a_compartment_dimension(run_files):
    """/metabolism of a run: KC state and ATP counters over (fly, time, compartment), the
    compartments those of /energy, whose ATP by cause is the counters' mean at the end [fmol -> mol]."""
    _, first, _ = run_files
    with xr.open_dataset(first, group="metabolism", engine="h5netcdf") as metabolism, \
            xr.open_dataset(first, group="energy", engine="h5netcdf") as energy:
        assert list(metabolism["compartment"].values) == list(energy["compartment"].values)
        for name in ("kc_atp", "kc_pyruvate", "pdh_activation", "mito_flux", "atp_spikes"):
            assert metabolism[name].dims == ("fly", "time", "compartment"), name
        assert metabolism["kc_atp"].attrs == {"units": "mmol/L", "long_name": "KC ATP"}
        assert metabolism["glycogen"].dims == metabolism["ltm_trigger"].dims == ("fly", "time")
        assert not [n for n in metabolism.variables if not re.fullmatch(r"[A-Za-z]\w*", str(n))]
        for cause in ("spikes", "synapses", "basal"):
            counted = 1e-15 * metabolism[f"atp_{cause}"].isel(time=-1).mean("fly")
            np.testing.assert_allclose(counted.values, energy["atp"].sel(cause=cause).values,
                                       rtol=1e-6)


def test_rerun_reproduces_the_numbers_exactly(run_files):
    _, first, second = run_files
    a, b = load(first), load(second)
    for group in ("retention", "choices", "weights", "metabolism", "energy", "spiking"):
        xr.testing.assert_identical(a[group].to_dataset(), b[group].to_dataset())
    assert a.attrs["protocol_sha256"] == b.attrs["protocol_sha256"]


def test_inspect_and_plot(run_files, tmp_path, capsys):
    _, first, _ = run_files
    assert main(["inspect", str(first)]) == 0
    assert "short_aversive" in capsys.readouterr().out
    figure = tmp_path / "overview.png"
    assert main(["plot", str(first), "-o", str(figure)]) == 0
    assert figure.stat().st_size > 10_000


def test_lab_like_tubes_in_result_and_inspect(run_files, capsys):
    """The result carries 8 tubes of 100 flies per test and phase, their mean and SEM as a lab
    computes them, and `mbsim inspect` prints them."""
    _, first, _ = run_files
    retention = load(first)["retention"].to_dataset()
    tubes = retention["tube_pi"]
    assert tubes.sizes["tube"] == 8 and retention.attrs["tube_size"] == 100
    assert np.all(np.abs(tubes.values) <= 1.0)
    even = (tubes.values * 100) % 2                  # (avoiding - approaching) is even
    assert np.all(np.isclose(even, 0.0) | np.isclose(even, 2.0))
    np.testing.assert_allclose(retention["tube_pi_mean"], tubes.mean("tube"))
    np.testing.assert_allclose(retention["tube_pi_sem"], tubes.std("tube", ddof=1) / np.sqrt(8))
    assert main(["inspect", str(first)]) == 0
    assert "tubes PI +- SEM" in capsys.readouterr().out


def test_bad_protocol_exits_2_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(SHORT.replace("cs_duration: 10 s", "cs_duration: 10 V"))
    out = tmp_path / "out.h5"
    assert main(["run", str(bad), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml:7" in err and "training.cs_duration" in err and "Traceback" not in err
    assert not out.exists()


def test_unknown_odor_is_rejected_before_running_and_old_file_survives(tmp_path, capsys, run_files):
    _, first, _ = run_files
    old = tmp_path / "old.h5"
    old.write_bytes(first.read_bytes())
    bad = tmp_path / "odor.yaml"
    bad.write_text(SHORT.replace("name: 3-octanol", "name: 3-octanoll"))
    assert main(["run", str(bad), "-o", str(old)]) == 2
    err = capsys.readouterr().err
    assert "odor.yaml:4" in err and "3-octanoll" in err and "odors.cs_plus.name" in err
    assert old.read_bytes() == first.read_bytes()


@pytest.mark.parametrize("assignment, message", [
    ("memory.tau_labile", "GROUP.NAME=VALUE"),
    ("memory.tau_labile=3 mV", "memory.tau_labile"),
    ("network.nothing=1", "unknown parameter 'network.nothing'")])
def test_bad_parameter_settings_stop_before_simulating(tmp_path, capsys, assignment, message):
    protocol = tmp_path / "short.yaml"
    protocol.write_text(SHORT)
    output = tmp_path / "never.h5"
    assert main(["run", str(protocol), "--set", assignment, "-o", str(output)]) == 2
    assert message in capsys.readouterr().err
    assert not output.exists()


def test_neither_jobs_nor_batches_change_the_numbers(run_files, tmp_path):
    """``--jobs 2`` (the cohort's windows on two threads) and flies in batches of one (two Dask
    workers) give the same bits as ``--jobs 1`` with the flies as columns of one batch."""
    protocol, first, _ = run_files
    threads, alone = tmp_path / "threads.h5", tmp_path / "alone.h5"
    assert main(["-q", "run", str(protocol), "--jobs", "2", "-o", str(threads)]) == 0
    assert main(["-q", "run", str(protocol), "--jobs", "2", "--batch-size", "1",
                 "-o", str(alone)]) == 0
    a, b, c = load(first), load(threads), load(alone)
    for group in ("retention", "choices", "metabolism", "energy", "weights"):
        xr.testing.assert_identical(a[group].to_dataset(), b[group].to_dataset())
        xr.testing.assert_identical(a[group].to_dataset(), c[group].to_dataset())


@pytest.mark.parametrize("command", [["run", "aversive_1x"], ["rerun", "result.h5"],
                                     ["fit", "fit.yaml"], ["energy-sweep", "energy_small"]])
def test_jobs_default_to_the_cores_this_process_may_use(command, monkeypatch):
    import os

    from mbsim.cli import build_parser
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 2, 5})
    assert build_parser().parse_args(command).jobs == 3


def test_verbose_says_what_the_run_is_doing(tmp_path, caplog):
    """``-v`` (anywhere on the line): cache hit or compile, the batches, windows simulated and
    reused after each trial and test, and the slow layer's solver steps; other libraries' debug
    output stays out."""
    import logging
    protocol = tmp_path / "short.yaml"
    protocol.write_text(SHORT)
    caplog.handler.setLevel(logging.DEBUG)       # the handler takes all; -v enables mbsim's
    package = logging.getLogger("mbsim")
    try:
        assert main(["run", str(protocol), "--cohort", "2", "-o", str(tmp_path / "quiet.h5")]) == 0
        assert not [r for r in caplog.records if r.levelno < logging.WARNING]
        assert main(["run", str(protocol), "--cohort", "2", "-v", "-o",
                     str(tmp_path / "verbose.h5")]) == 0
    finally:
        package.setLevel(logging.NOTSET)
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("mbsim")]
    text = "\n".join(messages)
    assert "network from the cache" in text or "network compiled" in text
    assert "2 flies in 1 batch(es)" in text
    assert any("windows simulated and" in m and "reused so far" in m for m in messages)
    assert any(m.startswith("slow layer") and "steps" in m for m in messages)
    assert not [r for r in caplog.records if r.levelno < logging.WARNING
                and not r.name.startswith("mbsim")]


def test_a_graded_readout_of_a_recurrent_circuit_stops_before_simulating(tmp_path, capsys):
    protocol = tmp_path / "short.yaml"
    protocol.write_text(SHORT)
    output = tmp_path / "never.h5"
    assert main(["run", str(protocol), "--readout", "graded", "--set", "network.recurrent=1",
                 "-o", str(output)]) == 2
    err = capsys.readouterr().err
    assert "readout" in err and "recurrent" in err and "Traceback" not in err
    assert not output.exists()
