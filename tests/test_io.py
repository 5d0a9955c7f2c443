"""Result files: round trip, atomic writes, clear errors for files that are not results."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
import xarray as xr
from xarray.testing import assert_identical

import mbsim
from mbsim import io
from mbsim.errors import InputError
from mbsim.variable_names import is_valid
from result_factory import COMPARTMENTS, make_result

TESTS_DIR = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def result() -> xr.DataTree:
    return make_result(seed=3)


@pytest.fixture(scope="module")
def saved(result, tmp_path_factory) -> Path:
    return io.save(result, tmp_path_factory.mktemp("io") / "result.h5")


def test_round_trip_is_identical(result, saved):
    """load(save(tree)) gives back the same groups, values, dtypes, coords and attrs."""
    assert_identical(io.load(saved), result)


def test_round_trip_keeps_dtypes_strings_and_long_attrs(result, saved):
    """bool, int8, int32 dtypes, primed compartment names and long provenance strings survive."""
    loaded = io.load(saved)
    assert loaded["survival/censored"].dtype == np.bool_
    assert loaded["choices/choice"].dtype == np.int8
    assert loaded["spiking/raster/kc_index"].dtype == np.int32
    assert loaded["neurons/connectome_id"].dtype == np.int64
    assert list(loaded["neurons/compartments"].values[-2:]) == ["g5", "g1;pedc"]
    assert list(loaded["energy/compartment"].values) == list(COMPARTMENTS)
    assert "a'1" in loaded["metabolism"].to_dataset()["compartment"].values
    assert loaded.attrs["protocol_text"] == result.attrs["protocol_text"]
    assert len(loaded.attrs["protocol_text"]) > 5000
    assert json.loads(loaded.attrs["parameters"])["network"]["note"].endswith("\u03b1\u2032 survive")
    assert loaded.attrs["seed"] == 3


def test_save_stamps_format_and_version(tmp_path):
    """A tree without format/mbsim_version gets them; one with a foreign format is refused."""
    bare = make_result()
    bare.attrs = {k: v for k, v in bare.attrs.items() if k not in ("format", "mbsim_version")}
    loaded = io.load(io.save(bare, tmp_path / "bare.h5"))
    assert loaded.attrs["format"] == io.FORMAT
    assert loaded.attrs["mbsim_version"] == mbsim.__version__
    bare.attrs["format"] = "other/3"
    with pytest.raises(InputError, match="format"):
        io.save(bare, tmp_path / "other.h5")


def test_large_arrays_are_chunked_and_compressed(saved):
    """Metabolism time courses and choices are gzip-compressed with shuffle; coords are not."""
    with h5py.File(saved) as handle:
        trace = handle["metabolism/glycogen"]
        assert trace.compression == "gzip" and trace.compression_opts == 4 and trace.shuffle
        assert trace.chunks[1] == trace.shape[1]
        assert handle["retention/phase"].compression is None


@pytest.mark.parametrize("shape, itemsize, expected", [
    ((200, 4000), 8, (16, 4000)),
    ((10, 1_000_000), 8, (1, 65536)),
    ((50,), 8, (50,)),
    ((3_000_000,), 4, (131072,)),
])
def test_chunk_shape(shape, itemsize, expected):
    """Chunks stay near 512 KiB, splitting leading dims first."""
    assert io.chunk_shape(shape, itemsize) == expected


def test_plain_h5py_sees_groups_and_attrs(saved):
    """The file is plain HDF5: groups, variables and attrs readable without xarray."""
    with h5py.File(saved) as handle:
        assert {"retention", "choices", "weights", "spiking", "metabolism", "energy", "survival"} <= set(handle)
        assert "raster" in handle["spiking"]
        assert handle.attrs["format"] == io.FORMAT
        assert handle["retention/pi"].attrs["units"] == "1"
        assert handle["survival"].attrs["starve_from_s"] == pytest.approx(86400.0)
        assert [p.decode() for p in handle["retention/phase"][:]] == ["total", "labile", "ARM", "LTM"]
        assert handle["retention/pi"].shape == (6, 4)


def test_xarray_open_datatree_and_open_dataset_group(result, saved):
    """Readers can open the whole tree or one group with xarray alone."""
    with xr.open_datatree(saved, engine="h5netcdf") as tree:
        assert set(tree.children) == set(result.children)
    with xr.open_dataset(saved, engine="h5netcdf", group="retention") as retention:
        np.testing.assert_allclose(retention["pi"].values, result["retention/pi"].values)
        assert retention["retention_time"].attrs["units"] == "s"


def test_metabolism_has_a_compartment_dimension_and_portable_names(saved):
    """/metabolism read with xarray alone: per-compartment variables over (fly, time, compartment)
    with the display names as coordinate values; names valid in R, MATLAB and CF."""
    with xr.open_dataset(saved, engine="h5netcdf", group="metabolism") as metabolism:
        assert metabolism["kc_pyruvate"].dims == ("fly", "time", "compartment")
        assert list(metabolism["compartment"].values) == list(COMPARTMENTS)
        assert metabolism["kc_pyruvate"].attrs == {"units": "M", "long_name": "KC pyruvate"}
        assert metabolism["glycogen"].dims == ("fly", "time")
        assert all(is_valid(str(name)) for name in metabolism.variables)
        assert not any("'" in str(name) for name in metabolism.variables)


def test_version_1_file_loads_in_the_current_layout(tmp_path):
    """A result written in layout version 1 (one variable per compartment) loads as version 2:
    the same numbers along a compartment dimension, the old format named in converted_from."""
    old = make_result(seed=8, version=1)
    assert "kc_pyruvate_a'1" in old["metabolism"].data_vars
    loaded = io.load(io.save(old, tmp_path / "old.h5"))
    assert loaded.attrs["format"] == io.FORMAT == "mbsim-result/2"
    assert loaded.attrs["converted_from"] == "mbsim-result/1"
    metabolism = loaded["metabolism"].to_dataset()
    for compartment in COMPARTMENTS:
        for name in ("kc_pyruvate", "mito_flux"):
            np.testing.assert_array_equal(metabolism[name].sel(compartment=compartment).values,
                                          old[f"metabolism/{name}_{compartment}"].values)
    assert metabolism["mito_flux"].attrs == {"units": "mol s-1", "long_name": "mitochondrial ATP production"}
    xr.testing.assert_identical(metabolism, make_result(seed=8)["metabolism"].to_dataset())
    for group in ("retention", "energy", "survival"):
        xr.testing.assert_identical(loaded[group].to_dataset(), old[group].to_dataset())
    assert mbsim.Result.load(tmp_path / "old.h5")["metabolism"]["kc_pyruvate"].sizes["compartment"] == 15


def test_load_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"missing\.h5: found no such file; expected an mbsim result"):
        io.load(tmp_path / "missing.h5")


def test_load_non_hdf5_file(tmp_path):
    path = tmp_path / "notes.h5"
    path.write_text("time,pi\n0,0.5\n")
    with pytest.raises(InputError, match="notes.h5: found a file that is not HDF5"):
        io.load(path)


def test_load_hdf5_that_is_not_a_result(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as handle:
        handle["x"] = np.arange(3)
    with pytest.raises(InputError, match="other.h5, field 'format': found an HDF5 file without"):
        io.load(path)


def test_load_newer_format_version(tmp_path):
    path = tmp_path / "future.h5"
    with h5py.File(path, "w") as handle:
        handle.attrs.update({"format": "mbsim-result/9", "mbsim_version": "9.0"})
    with pytest.raises(InputError, match="format='mbsim-result/9'.*newer mbsim"):
        io.load(path)


@pytest.mark.parametrize("exception", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_failed_write_leaves_old_file_and_no_temporary(tmp_path, monkeypatch, exception):
    """An exception or Ctrl-C after writing, before the rename, keeps the older file intact."""
    destination = io.save(make_result(seed=1), tmp_path / "result.h5")
    before = destination.read_bytes()

    def fail(path):
        raise exception
    monkeypatch.setattr(io, "_fsync", fail)
    with pytest.raises(type(exception)):
        io.save(make_result(seed=2), destination)
    assert destination.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.h5"]


def test_encoding_error_mid_write_leaves_no_temporary(tmp_path):
    """A tree that cannot be encoded fails cleanly, without a temporary file or a destination file."""
    tree = make_result()
    tree["survival"].attrs["bad"] = {"nested": "dict"}
    with pytest.raises(Exception):
        io.save(tree, tmp_path / "result.h5")
    assert list(tmp_path.iterdir()) == []


WRITER = """
import sys
sys.path.insert(0, {tests!r})
from result_factory import make_result
from mbsim import io
tree = make_result(seed=7, size="large")
print("ready", flush=True)
io.save(tree, {destination!r})
"""


def test_killed_writer_leaves_old_file_intact(tmp_path):
    """SIGKILL during a write: the older result still loads identically; the partial file is only a hidden .tmp."""
    old = make_result(seed=1)
    destination = io.save(old, tmp_path / "result.h5")
    writer = subprocess.Popen([sys.executable, "-c", WRITER.format(tests=str(TESTS_DIR),
                                                                   destination=str(destination))],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 60
        while not [p for p in tmp_path.glob(".result.h5.*.tmp") if p.stat().st_size > 1_000_000]:
            assert writer.poll() is None, "writer finished before it could be killed"
            assert time.monotonic() < deadline, "no temporary file appeared"
            time.sleep(0.01)
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    finally:
        if writer.poll() is None:
            writer.kill()
        writer.stdout.close()
    assert writer.returncode == -signal.SIGKILL
    assert_identical(io.load(destination), old)
    leftovers = list(tmp_path.glob(".result.h5.*.tmp"))
    assert len(leftovers) == 1 and leftovers[0].name.startswith(".")
    assert [p.name for p in tmp_path.glob("*.h5")] == ["result.h5"]
    with pytest.raises(InputError):
        io.load(leftovers[0])
    io.save(old, destination)  # the next save of the same destination removes the stale temporary
    assert list(tmp_path.glob(".result.h5.*.tmp")) == []


def test_top_level_api():
    assert mbsim.load is io.load and mbsim.save is io.save
