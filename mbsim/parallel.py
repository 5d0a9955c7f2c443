"""Run independent tasks (virtual flies, fit evaluations) serially, on local processes or on Dask.

``jobs=1`` runs in this process; ``jobs>1`` starts a Dask LocalCluster of that many single-threaded
worker processes; ``scheduler="tcp://host:8786"`` uses an existing Dask cluster. Results come back in
the order of the inputs whatever the executor.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence

from tqdm.auto import tqdm


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and batch systems
    restrict), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:   # platforms without affinity (macOS, Windows)
        return max(1, os.cpu_count() or 1)


def map_tasks(func: Callable, items: Sequence, *, jobs: int = 1, scheduler: str | None = None,
              progress: bool = False, description: str = "tasks") -> list:
    """``[func(item) for item in items]`` on the chosen executor, with an optional progress bar."""
    bar = tqdm(total=len(items), desc=description, disable=not progress, leave=False)
    try:
        if scheduler is None and jobs <= 1:
            results = []
            for item in items:
                results.append(func(item))
                bar.update()
            return results
        return _map_dask(func, items, jobs, scheduler, bar)
    finally:
        bar.close()


def _map_dask(func, items, jobs, scheduler, bar) -> list:
    from dask.distributed import Client, LocalCluster, as_completed

    if not logging.getLogger("mbsim").isEnabledFor(logging.DEBUG):  # quiet unless mbsim -v
        logging.getLogger("distributed").setLevel(logging.WARNING)
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.WARNING)
    client = Client(scheduler or cluster)
    try:
        futures = client.map(func, items, pure=False)
        for _ in as_completed(futures):
            bar.update()
        return client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
