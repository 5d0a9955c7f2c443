"""Fixtures shared by the whole test suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from mbsim import paths


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
