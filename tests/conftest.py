"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mbsim import paths

#: The analytic stand-in network of the fit tests, for this process, its subprocesses and workers.
os.environ.setdefault("MBSIM_STAND_INS", "analytic=analytic_network:AnalyticNetwork")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real published data folder (``../shared/data`` or ``MBSIM_SHARED_DATA``); fails loudly
    when it is missing, because the count and validation tests must not pass silently without it."""
    folder = paths.shared_data_dir()
    if not (folder / "connectome").is_dir():
        pytest.fail(f"shared data folder not found at {folder}: the real-data tests need it. "
                    "Place the published data there or set MBSIM_SHARED_DATA to its path.",
                    pytrace=False)
    return folder


@pytest.fixture(scope="session")
def params():
    """The default network parameter set."""
    from mbsim.network import load_parameters
    return load_parameters()


@pytest.fixture(scope="session")
def hallem(params, shared_data):
    """The Hallem & Carlson 2006 odor library from the shared data."""
    from mbsim.network import OdorLibrary
    return OdorLibrary.hallem_carlson(params)
