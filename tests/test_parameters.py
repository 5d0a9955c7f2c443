"""The one parameter mechanism: declarations, parameter sets and the model's collection."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

import numpy as np
import pytest

from mbsim.engine.memory import MEMORY, load_memory_params
from mbsim.errors import InputError
from mbsim.metabolism import load_metabolism_params
from mbsim.metabolism.params import METABOLISM
from mbsim.network import load_parameters
from mbsim.network.parameters import NETWORK
from mbsim.parameters import KINDS, ParameterSet, Parameters

GROUPS = {"network": NETWORK, "memory": MEMORY, "metabolism": METABOLISM}
#: ``digest(kinds=("compiled",))`` of the default network file (5 s chunks, with the recurrent
#: pathways' parameters, off): it keys the compiled-network cache, so it changes only when a
#: compiled parameter's value does (or a parameter is added).
COMPILED_DIGEST = "14e6c0244a0c9ed2"
FULL_DIGEST = "310949ac9fb78ee2"


@pytest.mark.parametrize("group", GROUPS)
def test_every_declared_parameter_has_a_value_and_source(group):
    declarations = GROUPS[group]
    params = ParameterSet.from_file(declarations)
    assert params.group == group and len(declarations) > 0
    for declaration in declarations:
        assert declaration.meaning and declaration.kind in KINDS, declaration.name
        assert declaration.name in params and len(params.sources[declaration.name]) >= 5
        assert params[declaration.name] is getattr(params, declaration.name)


def test_no_parameter_name_shadows_a_set_attribute():
    for declarations in GROUPS.values():
        shadowed = [d.name for d in declarations if hasattr(declarations.set_type or ParameterSet,
                                                            d.name)]
        assert not shadowed


def test_compiled_digest_unchanged():
    params = load_parameters()
    assert params.digest(kinds=("compiled",)) == COMPILED_DIGEST
    assert params.digest() == FULL_DIGEST


def test_kinds_of_network_parameters():
    assert NETWORK["kc_threshold"].kind == "compiled"
    assert {NETWORK[n].kind for n in ("pn_max_rate", "shock_reference_voltage", "depression_tau",
                                      "max_efficacy")} == {"window"}
    assert set(NETWORK.of_kind("post")) == {"dopamine_baseline_rate", "depression_rate",
                                            "potentiation_rate", "choice_temperature",
                                            "tube_variability"}
    assert {d.kind for d in MEMORY} | {d.kind for d in METABOLISM} == {"slow"}


def test_updated_with_units_and_si_numbers():
    memory = load_memory_params()
    changed = memory.updated({"tau_labile": "2 h", "arm_fraction": 0.3})
    assert changed["tau_labile"] == 7200.0 and changed.arm_fraction == 0.3
    assert changed.sources["tau_labile"] == "in-memory" and memory.tau_labile == pytest.approx(3.61 * 3600)
    network = load_parameters().replace(kc_threshold="-44 mV")
    assert network.kc_threshold == pytest.approx(-0.044)
    assert type(network).__name__ == "NetworkParameters"
    assert network.rate_array("depression_rate", ("g1", "a3"))[0] == network.depression_rate["g1"]


@pytest.mark.parametrize("changes, message", [
    ({"tau_labile": "2 V"}, r"field 'tau_labile'.*'2 V', a voltage"),
    ({"tau_labile": "0.1 s"}, r"field 'tau_labile'.*outside the model's range.*\[1, inf\] s"),
    ({"tau_labil": "1 h"}, r"field 'tau_labil'.*unknown parameter 'tau_labil'.*tau_labile"),
    ({"tau_labile": np.array([3600.0, 7200.0])}, r"field 'tau_labile'.*an array of shape \(2,\)"),
])
def test_bad_updates_raise_located_errors(changes, message):
    with pytest.raises(InputError, match=message):
        load_memory_params().updated(changes)


def test_columns_only_on_request():
    metabolism = load_metabolism_params()
    demands = np.array([2e-10, 3e-10])
    batch = metabolism.updated({"body_basal_demand": demands}, columns=True)
    assert batch.batch_size == 2 and metabolism.batch_size is None
    np.testing.assert_array_equal(batch.body_basal_demand, demands)
    with pytest.raises(InputError, match="equal lengths"):
        batch.updated({"pdh_max": np.ones(3) * 1e-5}, columns=True)
    with pytest.raises(InputError, match=r"pdh_max.*column 1"):
        metabolism.updated({"pdh_max": np.array([1e-5, -1.0])}, columns=True)


def test_metabolism_list_and_per_compartment_values():
    metabolism = load_metabolism_params()
    assert metabolism.replace(mp1_target_compartments=["a1"]).mp1_target_compartments == ("a1",)
    with pytest.raises(InputError, match="mp1_target_compartments.*list of compartment names"):
        metabolism.replace(mp1_target_compartments="a1")
    with pytest.raises(InputError, match=r"field 'depression_rate'.*exactly g1"):
        load_parameters().replace(depression_rate={"g1": 0.1})


def test_from_dict_starts_from_the_defaults():
    params = ParameterSet.from_dict(MEMORY, {"tau_labile": {"value": "3 h", "source": "a paper"},
                                             "tau_tag": 600.0})
    assert params.tau_labile == 10800.0 and params.sources["tau_labile"] == "a paper"
    assert params.sources["tau_tag"] == "in-memory"
    assert params.tau_ltm == load_memory_params().tau_ltm


def test_as_dict_is_json_ready_and_sets_pickle():
    params = load_metabolism_params().updated({"pdh_max": np.array([1e-5, 2e-5])}, columns=True)
    described = json.loads(json.dumps(params.as_dict()))
    assert described["values"]["pdh_max"] == [1e-5, 2e-5]
    assert described["values"]["mp1_target_compartments"] == ["a1", "a2", "a3", "b1", "b2"]
    assert described["sources"]["pdh_max"] == "in-memory"
    copy = pickle.loads(pickle.dumps(params))
    assert copy.digest() == params.digest() and copy.spike_cost("KC") == params.spike_cost_KC
    with pytest.raises(AttributeError, match="immutable"):
        params.pdh_max = 1.0


def test_collection_updates_and_names():
    model = Parameters.default()
    changed = model.updated({"memory.tau_labile": "2 h", "network.kc_threshold": "-44 mV"})
    assert changed["memory.tau_labile"] == 7200.0 and model["memory.tau_labile"] == pytest.approx(3.61 * 3600)
    assert changed.network.kc_threshold == pytest.approx(-0.044)
    assert changed.metabolism is model.metabolism
    assert Parameters.declaration("network.kc_threshold").kind == "compiled"
    assert set(json.loads(json.dumps(changed.as_dict()))) == {"network", "memory", "metabolism"}
    with pytest.raises(InputError, match=r"unknown parameter group 'brain'.*network, memory"):
        model.updated({"brain.x": 1.0})
    with pytest.raises(InputError, match=r"unknown parameter 'memory.tau'.*memory.tau_labile"):
        model["memory.tau"]
    with pytest.raises(InputError, match=r"field 'network.kc_threshold'.*outside the model's range"):
        model.updated({"network.kc_threshold": "10 mV"})
    with pytest.raises(InputError, match="without metabolism"):
        Parameters.default(with_metabolism=False)["metabolism.pdh_max"]


def test_importing_parameters_loads_neither_brian2_nor_pandas():
    code = "import sys, mbsim.parameters; print('brian2' in sys.modules or 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
