"""The graded readout of runs (the default, ``Model(readout="graded")``): interventions on massed memory have
computed effects in the spiking network's flies, and the graded choice follows the spiking one."""

from __future__ import annotations

import json

import numpy as np
import pytest

import mbsim
from mbsim.errors import InputError

DAY = 86400.0
PROTOCOLS = ("aversive_massed_10x", "aversive_massed_10x_cycloheximide",
             "aversive_massed_10x_cold_shock")


def at_24h(result) -> np.ndarray:
    """(fly, phase) P(avoid CS+) of the test 24 h after training."""
    p = result.tree["choices"]["p_avoid"]
    return p.sel(retention_time=DAY).values


@pytest.fixture(scope="module")
def runs():
    graded = mbsim.Model(readout="graded")
    found = {name: mbsim.Simulation(graded, name).run(cohort=2, seed=1) for name in PROTOCOLS}
    found["spiking"] = mbsim.Simulation(mbsim.Model(readout="spiking"), PROTOCOLS[0]).run(cohort=2, seed=1)
    return found


def test_massed_memory_resists_cycloheximide_and_cold_shock_by_computed_amounts(runs):
    """Read graded, the flies' 24 h choices after massed training differ (not bit-identical) with
    cycloheximide and with a cold shock 2 h after training, and both differences are small:
    massed memory at 24 h is ARM; the cold shock can only take memory away."""
    control = at_24h(runs[PROTOCOLS[0]])[:, 0]
    drug = at_24h(runs["aversive_massed_10x_cycloheximide"])[:, 0]
    cold = at_24h(runs["aversive_massed_10x_cold_shock"])[:, 0]
    assert np.all(drug != control) and np.all(cold != control)
    assert np.all(np.abs(drug - control) < 0.01)
    assert np.all(cold < control) and np.all(control - cold < 0.02)


def test_graded_choices_follow_the_spiking_readout(runs):
    """Fly by fly and test by test, the graded P(avoid CS+) is within 0.025 of the spiking one
    (0.05 in PI) and gives the same retention curve shape: memory falls from 3 min to 7 d."""
    graded = runs[PROTOCOLS[0]].tree["choices"]["p_avoid"].values[..., 0]
    spiking = runs["spiking"].tree["choices"]["p_avoid"].values[..., 0]
    assert np.max(np.abs(graded - spiking)) < 0.025
    assert np.all(graded[:, 0] > graded[:, -1])


def test_the_readout_is_recorded_and_checked(runs):
    """A result records its readout and reruns with it; the default is graded for the
    feedforward circuit and spiking for a recurrent one; an unknown readout and a graded readout
    of a recurrent circuit are refused with the field named."""
    recorded = json.loads(runs[PROTOCOLS[0]].tree.attrs["model"])
    model = mbsim.Model(readout="graded")
    assert model.description()["readout"] == "graded"
    assert mbsim.Model.from_description(model.description()).readout == "graded"
    assert model.key() != mbsim.Model(readout="spiking").key()
    assert mbsim.Model().readout == "graded"
    assert mbsim.Model().updated({"network.recurrent": 1}).readout == "spiking"
    assert recorded["readout"] == "graded"
    assert json.loads(runs["spiking"].tree.attrs["model"])["readout"] == "spiking"
    with pytest.raises(InputError, match="readout") as error:
        mbsim.Model(readout="analog")
    assert error.value.field == "readout"
    with pytest.raises(InputError, match="recurrent"):
        mbsim.Model(readout="graded").updated({"network.recurrent": 1})
