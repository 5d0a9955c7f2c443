"""Where mbsim's data folders are: the one place the code learns the project layout."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONNECTOME_DIR = PROJECT_ROOT / "connectome"
PROTOCOLS_DIR = PROJECT_ROOT / "protocols"
DATA_DIR = PROJECT_ROOT / "data"
PARAMS_DIR = DATA_DIR / "params"
LAB_DATA_DIR = DATA_DIR / "lab"


def cache_dir() -> Path:
    """Folder for compiled networks and cached spiking windows (``MBSIM_CACHE`` overrides it)."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mbsim"
    path = Path(os.environ.get("MBSIM_CACHE", default))
    path.mkdir(parents=True, exist_ok=True)
    return path


def shared_data_dir() -> Path:
    """The real published data: ``MBSIM_SHARED_DATA`` when set, else the first existing of
    ``../shared/data`` beside the source tree and ``shared/data`` or ``../shared/data`` from the
    working folder (so an installed copy finds it as a checkout does); the first when none exists."""
    if os.environ.get("MBSIM_SHARED_DATA"):
        return Path(os.environ["MBSIM_SHARED_DATA"])
    here = Path.cwd()
    candidates = [PROJECT_ROOT.parent / "shared" / "data", here / "shared" / "data",
                  here.parent / "shared" / "data"]
    return next((path for path in candidates if path.is_dir()), candidates[0])
