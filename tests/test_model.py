"""The objects a user holds: Model, Parameters, Simulation and Result, built in memory."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import mbsim
from mbsim.cli import main
from mbsim.errors import InputError
from mbsim.protocol import parse_protocol_text
from test_run_cli import SHORT


@pytest.fixture(scope="module")
def default_model():
    return mbsim.Model()


def test_a_model_is_built_from_objects_as_from_names(default_model):
    """A Connectome object (selected or edited in memory) is a model's connectome; equal
    contents give equal keys, and a changed parameter another."""
    connectome = mbsim.connectome.load("default")
    from_object = mbsim.Model(connectome)
    assert from_object.key() == default_model.key()
    changed = default_model.updated({"memory.tau_labile": "2 h"})
    assert changed.parameters["memory.tau_labile"] == 7200.0
    assert changed.key() != default_model.key()
    assert default_model.parameters["memory.tau_labile"] != 7200.0     # the original is kept
    assert changed.connectome is default_model.connectome


def test_parameter_changes_are_checked_with_located_errors(default_model):
    with pytest.raises(InputError, match="memory.tau_labile") as error:
        default_model.updated({"memory.tau_labile": "2 mV"})
    assert error.value.field == "memory.tau_labile"
    with pytest.raises(InputError, match="unknown parameter 'memory.tau_nothing'"):
        default_model.updated({"memory.tau_nothing": "1 h"})
    with pytest.raises(InputError, match="unknown parameter group"):
        default_model.updated({"brain.size": 1})
    with pytest.raises(InputError, match="odors"):
        mbsim.Model(odors="no_such_library")


def test_a_model_without_metabolism_has_no_metabolism_set():
    model = mbsim.Model(metabolism=False)
    assert model.metabolism is None and model.parameters.metabolism is None
    with pytest.raises(InputError, match="metabolism"):
        model.updated({"metabolism.body_basal_demand": 1e-10})


@pytest.fixture(scope="module")
def in_memory_run(default_model, tmp_path_factory):
    """One run of a short protocol with a parameter changed in memory, saved, then re-run from
    the file by ``mbsim rerun``."""
    folder = tmp_path_factory.mktemp("model")
    protocol = parse_protocol_text(SHORT, "short.yaml")
    model = default_model.updated({"memory.tau_labile": "20 min",
                                   "network.choice_temperature": "3 Hz"})
    result = mbsim.Simulation(model, protocol).run(cohort=1)
    result.save(folder / "changed.h5")
    assert main(["-q", "rerun", str(folder / "changed.h5"), "-o", str(folder / "again.h5")]) == 0
    baseline = mbsim.Simulation(default_model, protocol).run(cohort=1)
    return result, mbsim.Result.load(folder / "again.h5"), baseline


def test_rerun_reproduces_an_in_memory_parameter_change(in_memory_run):
    result, again, baseline = in_memory_run
    for group in ("retention", "choices", "metabolism", "energy"):
        xr.testing.assert_identical(result[group].to_dataset(), again[group].to_dataset())
    # the cooler readout (3 Hz) flattens the 3 min choice; the faster labile decay (20 min)
    # leaves no labile memory at 3 h, where the default's 2.5 h leaves some
    early = result.tree["choices"]["p_avoid"].values[0, 0, 0]
    assert 0.5 < early < baseline.tree["choices"]["p_avoid"].values[0, 0, 0] - 0.03
    labile_late = result.tree["retention"]["pi_expected"].sel(phase="labile").values[1]
    assert labile_late < baseline.tree["retention"]["pi_expected"].sel(phase="labile").values[1] - 0.01


def test_result_views(in_memory_run, tmp_path):
    result = in_memory_run[0]
    table = result.retention
    assert list(table.index) == [180.0, 10800.0] and "total" in table.columns
    np.testing.assert_array_equal(table.values, result.tree["retention"]["pi"].values)
    result.plot("retention", tmp_path / "retention.png")
    assert (tmp_path / "retention.png").stat().st_size > 10_000


def test_an_odor_library_built_in_memory_is_checked_and_used(default_model):
    """A library from a table in memory meets the file's checks; a model uses it as given and
    records it, so the run's description rebuilds it."""
    from mbsim.network import OdorLibrary
    library = default_model.odor_library()
    broken = library.responses.copy()
    broken.iloc[0, 3] = float("nan")
    with pytest.raises(InputError, match="non-finite responses"):
        OdorLibrary(broken, library.spontaneous, "in memory")
    with pytest.raises(InputError, match="without glomeruli DL5"):
        OdorLibrary(library.responses.drop(columns="DL5"), library.spontaneous, "in memory")
    model = mbsim.Model(mbsim.connectome.load("default"), OdorLibrary(library.responses * 0.5,
                                                              library.spontaneous, "half"))
    assert model.key() != default_model.key()
    rebuilt = mbsim.Model.from_description(model.description())
    assert rebuilt.key() == model.key()
    selected = mbsim.Model(model.connectome.subset(model.connectome.neurons["id"][:-1]))
    with pytest.raises(InputError, match="selected or edited in memory"):
        mbsim.Model.from_description(selected.description())


def test_run_arguments_and_model_parts_are_checked(default_model):
    protocol = parse_protocol_text(SHORT, "short.yaml")
    simulation = mbsim.Simulation(default_model, protocol)
    for bad in ({"jobs": 0}, {"cohort": 0}, {"cohort": 2.5}):
        with pytest.raises(InputError, match=next(iter(bad))):
            simulation.run(**bad)
    with pytest.raises(InputError, match="mbsim.Parameters"):
        mbsim.Model(parameters={"memory.tau_labile": "2 h"})
