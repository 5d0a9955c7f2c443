"""Run results as self-describing HDF5 files: atomic ``save`` and checked ``load`` of an xarray.DataTree.

Files are written with xarray's h5netcdf engine, so they are plain HDF5 (netCDF-4 compatible) that
h5py, netCDF tools, MATLAB and R read. Large numeric arrays are chunked and compressed (gzip level 4
with byte shuffle). See docs/output-format.md for the layout.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import tempfile
from glob import escape as glob_escape
from pathlib import Path

import numpy as np
import xarray as xr

from .errors import InputError
from .result_versions import FORMAT, upgrade

FORMAT_PREFIX = "mbsim-result/"
SUPPORTED_FORMAT_VERSIONS = (1, 2)
#: Every kind of file mbsim writes, with the layout versions this mbsim reads (run results of
#: version 1 are converted on load: :mod:`mbsim.result_versions`).
KINDS = {"mbsim-result": SUPPORTED_FORMAT_VERSIONS, "mbsim-energy-sweep": (1,), "mbsim-fit": (1,),
         "mbsim-meta-learning": (1,),
         "mbsim-ann-check": (1,)}

#: Arrays with at least this many elements are chunked and compressed.
COMPRESS_MIN_ELEMENTS = 4096
#: Target chunk size in bytes (HDF5 works well with chunks of 0.1-1 MiB).
CHUNK_TARGET_BYTES = 512 * 1024
COMPRESSION = {"zlib": True, "complevel": 4, "shuffle": True}
#: What h5py and xarray raise for truncated or damaged files.
_READ_ERRORS = (OSError, ValueError, KeyError, RuntimeError)


def chunk_shape(shape: tuple[int, ...], itemsize: int, target_bytes: int = CHUNK_TARGET_BYTES) -> tuple[int, ...]:
    """Chunk shape near ``target_bytes`` that keeps trailing dims whole and splits the leading ones.

    For (fly, time) time courses this keeps whole time courses of a few flies in one chunk, so
    reading one fly's trace or one variable for all flies touches few chunks.
    """
    chunks = list(shape)
    budget = max(1, target_bytes // itemsize)
    for axis in range(len(shape)):
        rest = int(np.prod(chunks[axis + 1:], dtype=np.int64)) if axis + 1 < len(shape) else 1
        if rest * chunks[axis] <= budget:
            break
        chunks[axis] = max(1, budget // rest) if rest <= budget else 1
    return tuple(max(1, c) for c in chunks)


def _variable_encoding(variable: xr.Variable) -> dict:
    if variable.dtype.kind not in "biuf" or variable.size < COMPRESS_MIN_ELEMENTS or variable.ndim == 0:
        return {}
    itemsize = 1 if variable.dtype.kind == "b" else variable.dtype.itemsize
    return {**COMPRESSION, "chunksizes": chunk_shape(variable.shape, itemsize)}


def encoding_for(tree: xr.DataTree) -> dict[str, dict[str, dict]]:
    """Per-group, per-variable compression and chunking for ``DataTree.to_netcdf``."""
    encoding: dict[str, dict[str, dict]] = {}
    for node in tree.subtree:
        local = node.to_dataset(inherit=False)
        group = {name: enc for name, var in local.variables.items() if (enc := _variable_encoding(var))}
        if group:
            encoding[node.path] = group
    return encoding


def _stamp(tree: xr.DataTree) -> xr.DataTree:
    """A shallow copy of ``tree`` whose root carries ``format`` and ``mbsim_version``."""
    from . import __version__

    stamped = tree.copy(deep=False)
    stamped.attrs = {"format": FORMAT, "mbsim_version": __version__, **tree.attrs}
    kind, _, version = str(stamped.attrs["format"]).partition("/")
    if kind not in KINDS or not version.isdigit() or int(version) not in KINDS[kind]:
        raise InputError(found=f"root attribute format={stamped.attrs['format']!r}",
                         expected="one of " + ", ".join(_known()) + " (or no format attribute: "
                         f"save adds {FORMAT!r})", field="format")
    return stamped


def _known() -> list[str]:
    return [f"'{kind}/{v}'" for kind, versions in KINDS.items() for v in versions]


def _temporary_path(destination: Path) -> Path:
    return destination.with_name(f".{destination.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def _process_alive(pid: int) -> bool:
    if os.name != "posix":  # os.kill(pid, 0) would terminate the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def remove_stale_temporaries(destination: Path) -> list[Path]:
    """Remove temporary files of ``destination`` left by writers that were killed; return them.

    Only files named ``.NAME.PID.RANDOM.tmp`` whose process no longer runs are removed, so a
    concurrent writer of the same destination is never disturbed.
    """
    removed = []
    for candidate in destination.parent.glob(f".{glob_escape(destination.name)}.*.tmp"):
        pid = candidate.name[len(destination.name) + 2:].split(".")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _process_alive(int(pid)):
            candidate.unlink(missing_ok=True)
            removed.append(candidate)
    return removed


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


#: Result size to plan for before a run [bytes]: a fixed part and a part per fly (measured:
#: 3.5 MB for 8 flies of ``aversive_spaced_10x``; assumption: rounded up).
RESULT_BYTES = (2 * 2**20, 2**20)


def check_destination(path: str | os.PathLike, expected_bytes: int = 0) -> Path:
    """Refuse, before any work, a result path that cannot be written: a folder that does not
    exist or is not writable (tried with a probe file), a name the file system cannot hold, or a
    disk without room for ``expected_bytes``."""
    destination = Path(path)
    folder = destination.parent
    if not folder.is_dir():
        raise InputError(found=f"no folder {folder}", expected="an existing folder for the result file",
                         file=destination)
    length = len(os.fsencode(destination.name))
    if length > _name_max(folder):
        raise InputError(found=f"a file name of {length} bytes",
                         expected=f"at most {_name_max(folder)} bytes", file=folder)
    if destination.is_dir():
        raise InputError(found=f"{destination} is a folder", expected="a file name for the result",
                         file=destination)
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".mbsim-probe-"):
            pass
    except OSError as error:
        raise InputError(found=f"a folder this process cannot write ({error.strerror or error})",
                         expected="a writable folder for the result file", file=folder) from None
    free = shutil.disk_usage(folder).free
    if free < expected_bytes:
        raise InputError(found=f"{free / 2**20:.1f} MiB free", expected="room for the result "
                         f"(about {expected_bytes / 2**20:.1f} MiB)", file=folder)
    return destination


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 255


def save(tree: xr.DataTree, path: str | os.PathLike) -> Path:
    """Write ``tree`` to ``path`` as HDF5, atomically; return the path.

    The file is written to a hidden temporary file (``.NAME.PID.RANDOM.tmp``) in the same folder,
    flushed to disk and renamed onto ``path``. If writing fails or is interrupted, the temporary file
    is removed and an existing file at ``path`` is left untouched; a reader never sees a partial file.
    The root gets attrs ``format`` (:data:`FORMAT`) and ``mbsim_version`` unless already present.
    """
    if not isinstance(tree, xr.DataTree):
        raise TypeError(f"save() expects an xarray.DataTree, got {type(tree).__name__}")
    destination = check_destination(path)
    stamped = _stamp(tree)
    # compression only shrinks the arrays; attributes and HDF5 metadata take well under 1 MiB
    needed = sum(node.dataset.nbytes for node in stamped.subtree) + 2**20
    free = shutil.disk_usage(destination.parent).free
    if free < needed:      # libhdf5 may crash the process on a full disk: refuse before it starts
        raise OSError(errno.ENOSPC, f"not enough room in {destination.parent} for {destination.name} "
                      f"({needed / 2**20:.1f} MiB needed, {free / 2**20:.1f} MiB free); nothing was "
                      "written and an older file of that name is intact")
    return write_atomically(destination, lambda temporary: stamped.to_netcdf(
        temporary, mode="w", engine="h5netcdf", encoding=encoding_for(stamped)))


def write_atomically(destination: Path, write) -> Path:
    """``write(temporary)`` a hidden file beside ``destination``, flush it and rename it onto
    ``destination`` (the steps of :func:`save`, for any file mbsim writes)."""
    remove_stale_temporaries(destination)
    temporary = _temporary_path(destination)
    try:
        write(temporary)
        _fsync(temporary)
        os.replace(temporary, destination)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise OSError(error.errno, f"writing {destination} failed ({error.strerror or error}); "
                      "nothing was written and an older file of that name is intact") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_folder(destination.parent)
    return destination


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable (POSIX); folders cannot be opened for fsync on Windows."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def check_result_file(path: str | os.PathLike, kind: str = "mbsim-result") -> Path:
    """Raise :class:`InputError` unless ``path`` is a readable mbsim file of ``kind``; return it.

    ``kind`` is one of :data:`KINDS` (``mbsim-result`` from ``mbsim run``, ``mbsim-fit`` from
    ``mbsim fit``, ``mbsim-energy-sweep`` from ``mbsim energy-sweep``, ``mbsim-meta-learning``
    from ``mbsim meta-learn``, ``mbsim-ann-check`` from ``mbsim ann-check``) or None for any.
    """
    import h5py

    file = Path(path)
    accepted = [kind] if kind else list(KINDS)
    what = {"mbsim-result": "an mbsim result file", "mbsim-fit": "an mbsim fit file",
            "mbsim-energy-sweep": "an mbsim energy-sweep file",
            "mbsim-meta-learning": "an mbsim meta-learning file",
            "mbsim-ann-check": "an mbsim ANN-check file"}.get(kind, "an mbsim file")
    expected = (f"{what} (HDF5 with root attribute format '" + "/N' or '".join(accepted)
                + "/N', written by mbsim)")
    if not file.exists():
        raise InputError(found="no such file", expected=expected, file=file)
    if file.is_dir():
        raise InputError(found="a folder", expected=expected, file=file)
    if not h5py.is_hdf5(file):
        raise InputError(found="a file that is not HDF5", expected=expected, file=file)
    try:
        with h5py.File(file, "r") as handle:
            attrs = dict(handle.attrs)
    except _READ_ERRORS as error:
        raise InputError(found=f"an unreadable HDF5 file ({type(error).__name__}: {error})", expected=expected, file=file) from None
    found_format = attrs.get("format")
    if isinstance(found_format, bytes):
        found_format = found_format.decode()
    found_kind, _, version = str(found_format).partition("/")
    if not isinstance(found_format, str) or found_kind not in accepted or "mbsim_version" not in attrs:
        found = (f"an HDF5 file with format={found_format!r}" if isinstance(found_format, str)
                 else "an HDF5 file without the root attributes format and mbsim_version")
        raise InputError(found=found, expected=expected, file=file, field="format")
    if not version.isdigit() or int(version) not in KINDS[found_kind]:
        raise InputError(found=f"format={found_format!r}",
                         expected="one of " + ", ".join(f"'{found_kind}/{v}'" for v in KINDS[found_kind])
                         + " (a newer mbsim may read this file)", file=file, field="format")
    return file


def load(path: str | os.PathLike, kind: str | None = "mbsim-result") -> xr.DataTree:
    """Read a file written by :func:`save` into memory; the file is closed on return. A run
    result of an older layout version comes back in the current layout.

    Raises :class:`InputError` (naming the file and what was expected) for a missing file, a file
    that is not HDF5, or an HDF5 file that is not an mbsim file of ``kind`` (None: any kind).
    """
    file = check_result_file(path, kind)
    try:
        with xr.open_datatree(file, engine="h5netcdf") as tree:
            return upgrade(tree.load())
    except _READ_ERRORS as error:
        raise InputError(found=f"a damaged or truncated result file ({type(error).__name__}: {error})",
                         expected=f"a complete result file (format '{FORMAT}')", file=file) from None
