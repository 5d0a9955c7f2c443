"""Where a command's independent tasks run: ``--jobs`` local Dask workers or a ``--scheduler``."""

from __future__ import annotations

from ..errors import InputError
from ..parallel import available_cores


def add_worker_options(parser) -> None:
    """``--jobs`` (default: the cores this process may use) and ``--scheduler``."""
    parser.add_argument("--jobs", type=int, default=available_cores(),
                        help="worker processes (Dask LocalCluster; 1 = in this process; default: "
                        "the cores this process may use)")
    parser.add_argument("--scheduler", help="address of an existing Dask scheduler")


def check_jobs(args) -> None:
    """One located error for ``--jobs`` below 1, before any work."""
    if args.jobs < 1:
        raise InputError(found=f"--jobs {args.jobs}", expected="a positive integer", field="--jobs")
