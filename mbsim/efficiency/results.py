"""Energy-sweep result files: atomic write and checked read (HDF5 via xarray's h5netcdf engine)."""

from __future__ import annotations

import os
from pathlib import Path

import xarray as xr

from ..errors import InputError
from ..io import encoding_for, remove_stale_temporaries
from .sweep import FORMAT


def save_sweep(tree: xr.DataTree, path: str | os.PathLike) -> Path:
    """Write a sweep DataTree to ``path`` atomically (temporary file, fsync, rename)."""
    destination = Path(path)
    if not destination.parent.is_dir():
        raise InputError(found=f"no folder {destination.parent}",
                         expected="an existing folder for the sweep file", file=destination)
    if tree.attrs.get("format") != FORMAT:
        raise InputError(found=f"root attribute format={tree.attrs.get('format')!r}",
                         expected=f"format={FORMAT!r}", field="format")
    remove_stale_temporaries(destination)
    temporary = destination.with_name(f".{destination.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        tree.to_netcdf(temporary, mode="w", engine="h5netcdf", encoding=encoding_for(tree))
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, destination)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return destination


def load_sweep(path: str | os.PathLike) -> xr.DataTree:
    """Read a sweep file into memory; InputError unless it is an ``mbsim-energy-sweep/1`` file."""
    file = Path(path)
    expected = f"an energy-sweep file (HDF5 with root attribute format='{FORMAT}')"
    if not file.is_file():
        raise InputError(found="no such file", expected=expected, file=file)
    try:
        with xr.open_datatree(file, engine="h5netcdf") as tree:
            loaded = tree.load()
    except (OSError, ValueError, KeyError) as error:
        raise InputError(found=f"an unreadable file ({type(error).__name__})", expected=expected,
                         file=file) from None
    if loaded.attrs.get("format") != FORMAT:
        raise InputError(found=f"format={loaded.attrs.get('format')!r}", expected=expected,
                         file=file, field="format")
    return loaded
