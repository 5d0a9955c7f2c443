"""Run independent tasks (virtual flies, fit evaluations) serially, on local processes or on Dask.

``jobs=1`` runs in this process; ``jobs>1`` starts a Dask LocalCluster of that many single-threaded
worker processes; ``scheduler="tcp://host:8786"`` uses an existing Dask cluster. Results come back in
the order of the inputs whatever the executor. :func:`map_tasks` starts a cluster per call;
:class:`Executor` keeps one client for a whole search (a fit's sampler or a meta-learning optimiser
maps a small batch at every step).
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


#: Environment of local worker processes: Dask's default without its MALLOC_TRIM_THRESHOLD_, which
#: turns off glibc's adaptive mmap threshold and made every batched evaluation ~2.5x slower (each
#: medium-sized numpy temporary became an mmap/munmap pair).
WORKER_ENVIRONMENT = {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1}


class Executor:
    """``with Executor(jobs, scheduler) as run: run.map(func, items)``; results in input order."""

    def __init__(self, jobs: int = 1, scheduler: str | None = None, env: dict | None = None):
        self.jobs, self.scheduler, self.env = jobs, scheduler, env or {}
        self.client = self.cluster = None

    def __enter__(self) -> "Executor":
        if self.scheduler is None and self.jobs <= 1:
            return self
        import dask
        from dask.distributed import Client, LocalCluster
        logging.getLogger("distributed").setLevel(max(logging.WARNING, logging.root.level))
        if self.scheduler is None:
            with dask.config.set({"distributed.nanny.pre-spawn-environ": WORKER_ENVIRONMENT}):
                self.cluster = LocalCluster(n_workers=self.jobs, threads_per_worker=1,
                                            processes=True, dashboard_address=":0", env=self.env,
                                            silence_logs=logging.WARNING)
        self.client = Client(self.scheduler or self.cluster)
        self.client.run(_import_model)
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    @property
    def workers(self) -> int:
        if self.client is None:
            return 1
        return max(len(self.client.scheduler_info().get("workers", {})), 1)

    def everywhere(self, func: Callable, *args) -> None:
        """Run ``func(*args)`` once on every worker (here when serial), e.g. to warm caches."""
        if self.client is None:
            func(*args)
        else:
            self.client.run(func, *args)

    def map(self, func: Callable, items: Sequence) -> list:
        if self.client is None:
            return [func(item) for item in items]
        futures = self.client.map(func, list(items), pure=False)
        return self.client.gather(futures)


def _import_model() -> None:
    """Import Brian2 (through the network) on a worker's main thread: it installs a signal handler
    on import, which fails in the worker's task threads."""
    import mbsim.network  # noqa: F401
