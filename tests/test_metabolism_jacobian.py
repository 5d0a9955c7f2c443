"""The analytic Jacobian of the slow layer with metabolism against central finite differences."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from mbsim.engine.memory import load_memory_params
from mbsim.engine.slow import HEAD, Conditions, SlowLayer
from mbsim.fit.space import apply_metabolism
from mbsim.metabolism import Metabolism, load_metabolism_params

K = 3


@pytest.fixture(scope="module")
def slow():
    """Three columns with different metabolism and memory parameters."""
    metabolism = Metabolism(apply_metabolism(load_metabolism_params(), {
        "pdh_time_constant": np.array([60.0, 600.0, 1800.0]),
        "mp1_max_activation": np.array([0.5, 1.0, 2.0]),
        "body_basal_demand": np.array([2e-10, 3e-10, 4e-10]),
        "consolidation_systemic_increase": np.array([0.2, 1.0, 2.0])}))
    memory = load_memory_params().updated({"capture_rate": np.array([1e-4, 3e-4, 1e-3])},
                                          columns=True)
    return SlowLayer(memory, metabolism, columns=K, ledger=False)


def finite_differences(slow, y, conditions):
    J = np.zeros((K, len(y), len(y)))
    for j in range(len(y)):
        h = 1e-7 * np.maximum(np.abs(y[j]), slow.scales[j])
        up, down = y.copy(), y.copy()
        up[j] += h
        down[j] -= h
        J[:, :, j] = ((slow.derivatives(0.0, up, conditions)
                       - slow.derivatives(0.0, down, conditions)) / (2 * h)).T
    return J


@pytest.mark.parametrize("fed", [True, False])
@pytest.mark.parametrize("forcing", [None, "activate", "block"])
@pytest.mark.parametrize("protein_synthesis", [True, False])
def test_jacobian_matches_finite_differences(slow, fed, forcing, protein_synthesis):
    """Every entry within 1e-5 of its row's largest finite-difference entry, at states away
    from steady state with every fly-wide variable and LTM rate active."""
    rng = np.random.default_rng(zlib.crc32(repr((fed, forcing, protein_synthesis)).encode()))
    y = slow.initial_state(slow.metabolism.initial_state(fed))[:slow.rows]
    y[:HEAD] = np.array([0.7, 0.6, 0.8, 0.5, 0.3, 0.2])[:, None] * rng.uniform(0.5, 1.5, (HEAD, K))
    y[HEAD:] *= rng.uniform(0.8, 1.2, y[HEAD:].shape)
    conditions = Conditions(fed=fed, protein_synthesis=protein_synthesis, mp1_forcing=forcing,
                            tag_total=rng.uniform(0.0, 2.0, (len(slow.metabolism.compartments), K)))
    analytic = slow.jacobian(0.0, y, conditions)
    numeric = finite_differences(slow, y, conditions)
    row_size = np.maximum(np.abs(numeric).max(axis=2, keepdims=True), 1e-12)
    error = np.abs(analytic - numeric) / row_size
    assert error.max() <= 1e-5, np.unravel_index(np.argmax(error), error.shape)


def test_metabolism_jacobian_covers_the_dynamic_rows():
    """Without batched parameters, with a 1-D drive: the (1, n, n) Jacobian of one column."""
    from mbsim.metabolism.drive import Drive
    from mbsim.metabolism.jacobian import metabolism_jacobian
    model = Metabolism()
    n = model.layout.n_dynamic
    y = model.fed_steady_state[:n, None] * 1.05
    drive = Drive(fed=True, mp1=0.5, consolidation=0.3, ltm_rate=np.full(model.n_comp, 2e-3))
    J = metabolism_jacobian(model, y, drive).state[0]
    for j in (model.layout.hemolymph_sugar, model.layout.atp.start + 1):
        h = 1e-6 * max(abs(y[j, 0]), 1e-3)
        up, down = y.copy(), y.copy()
        up[j] += h
        down[j] -= h
        column = (model.derivatives(0, up, drive) - model.derivatives(0, down, drive))[:, 0] / (2 * h)
        np.testing.assert_allclose(J[:, j], column, rtol=1e-5, atol=1e-7 * np.abs(column).max())
