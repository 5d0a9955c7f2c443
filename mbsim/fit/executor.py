"""Where fit evaluations run: in this process, on a Dask LocalCluster, or on an existing scheduler.

Unlike :func:`mbsim.parallel.map_tasks` (one cluster per call), a fit keeps one client for its whole
run, because the sampler maps a small batch of walkers at every step. Workers build the fit problem
once per process from the fit file's text (:func:`mbsim.fit.problem.problem_for`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence


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
    """Import the model on a worker's main thread (Brian2 installs a signal handler on import,
    which fails in the worker's task threads)."""
    import mbsim.fit.problem  # noqa: F401
