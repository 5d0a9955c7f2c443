"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import contextlib
import io
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


@pytest.fixture(scope="session")
def recorded_run(tmp_path_factory):
    """A run of the short protocol on the default network (2 flies) that keeps every class's
    spike trains in every window of both flies: (protocol file, result file, stderr)."""
    from mbsim.cli import main
    from test_run_cli import SHORT
    folder = tmp_path_factory.mktemp("recorded")
    protocol = folder / "short.yaml"
    protocol.write_text(SHORT)
    result = folder / "recorded.h5"
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["run", str(protocol), "-o", str(result), "--record", "all",
                     "--record-flies", "0-1", "--jobs", "1"]) == 0
    return protocol, result, err.getvalue()
