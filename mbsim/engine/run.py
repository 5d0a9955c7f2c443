"""Run a protocol on a model: simulate a cohort of flies in batches of columns, return a result DataTree."""

from __future__ import annotations

import json
import logging
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from .. import __version__
from ..errors import InputError
from ..limits import MAX_COHORT, MAX_SEED, MAX_TUBE_FLIES
from ..paths import PROJECT_ROOT
from ..result_versions import FORMAT
from . import results
from .fly import Fly
from .recording import Recording
from .slow import SlowLayer
from .windows import window_seed

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSettings:
    """How to run a model on a protocol (what the model is: :class:`mbsim.Model`)."""

    cohort: int | None = None            # None = the protocol's
    seed: int | None = None              # None = the protocol's
    alpha: float = 0.5                   # exponent of M_alpha
    samples: int = 240                   # time points of the recorded time courses
    batch_size: int = 32                 # flies integrated together as columns of one slow layer
    tubes: int = 8                       # lab-like replicate tubes per test (lab n: 8-12)
    tube_size: int = 100                 # flies per lab-like tube
    record: Recording = Recording()      # spike trains kept beyond the default raster

    def __post_init__(self):
        if isinstance(self.record, dict):    # as stored in a result's settings
            object.__setattr__(self, "record", Recording(**self.record))
        if not isinstance(self.record, Recording):
            raise InputError(found=f"record {self.record!r}", field="record",
                             expected="an mbsim.engine.Recording")
        for name in ("cohort", "samples", "batch_size", "tubes", "tube_size"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise InputError(found=f"{name} {value!r}", expected="a positive integer",
                                 field=name)
        if self.tubes * self.tube_size > MAX_TUBE_FLIES:
            raise InputError(found=f"{self.tubes} tubes of {self.tube_size} flies",
                             expected=f"at most {MAX_TUBE_FLIES} tube flies in all", field="tubes")
        if self.cohort is not None and self.cohort > MAX_COHORT:
            raise InputError(found=f"cohort {self.cohort}", expected=f"at most {MAX_COHORT} flies",
                             field="cohort")
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int)
                                      or not 0 <= self.seed <= MAX_SEED):
            raise InputError(found=f"seed {self.seed!r}",
                             expected=f"a whole number from 0 to {MAX_SEED}", field="seed")
        if not 0.0 <= self.alpha <= 2.0:
            raise InputError(found=f"alpha {self.alpha!r}", expected="an exponent in [0, 2]",
                             field="alpha")


def sample_times(schedule, count: int) -> np.ndarray:
    """Recording grid (t > 0): linear through training, logarithmic after it until the last test."""
    end = max([schedule.training_end, *schedule.test_times])
    training = np.linspace(0.0, schedule.training_end, count // 3 + 1)[1:]
    after = np.geomspace(max(schedule.training_end, 1.0) + 1.0, max(end, 2.0), count - count // 3)
    return np.unique(np.concatenate([training, after]))


def run_batch(task) -> list:
    """A batch of flies, one column each (a picklable task for process pools and Dask): their
    outcomes in order of their seeds."""
    model, schedule, settings, seeds, flies, threads, progress = task
    memory = model.parameters.memory
    slow = SlowLayer(memory, model.metabolism, columns=len(seeds), independent=True)
    survival = schedule.survival is not None and model.metabolism is not None
    events = len(schedule.trials) * (2 if survival else 1) + len(schedule.tests)
    with tqdm(total=events, desc=f"{len(seeds)} flies", unit="window", leave=False,
              disable=not progress, file=sys.stderr) as bar:
        def advance(label):
            bar.set_postfix_str(label)
            bar.update()
        recorded = [j for j, fly in enumerate(flies) if fly in settings.record.flies]
        fly = Fly(model.network, schedule, memory, slow, seeds, alpha=settings.alpha,
                  record_raster=True, recording=settings.record, recorded_columns=recorded,
                  threads=threads, progress=advance)
        return fly.run(sample_times(schedule, settings.samples))


def batches(seeds: list[int], size: int) -> list[list[int]]:
    """The cohort's seeds in consecutive batches of ``size`` (set by the settings, never by the
    number of workers, so numbers do not depend on ``jobs``)."""
    return [seeds[i:i + size] for i in range(0, len(seeds), size)]


def simulate(model, protocol, settings: RunSettings = RunSettings(), *, jobs: int = 1,
             scheduler: str | None = None, progress: bool = False,
             command: str = "") -> xr.DataTree:
    """Simulate a protocol's cohort on a :class:`~mbsim.Model` and return the result tree (see
    docs/output-format.md); ``jobs`` and ``scheduler`` never change the numbers."""
    from ..parallel import map_tasks
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InputError(found=f"jobs {jobs!r}", expected="a positive integer", field="jobs")
    started = datetime.now(timezone.utc)
    schedule = protocol.schedule()
    cohort = settings.cohort or schedule.cohort
    seed = schedule.seed if settings.seed is None else settings.seed
    network, metabolism = model.network, model.metabolism
    network.validate_schedule(schedule, protocol)
    compile_started = time.perf_counter()
    if progress and not network.network.is_compiled:
        print("compiling the network (once per structure and parameter set; about 20-60 s on 2 "
              "cores) ...", file=sys.stderr, flush=True)
    network.network.compile()
    compile_seconds = time.perf_counter() - compile_started
    groups = batches([window_seed(seed, "fly", i) for i in range(cohort)], settings.batch_size)
    flies = batches(list(range(cohort)), settings.batch_size)
    workers = min(jobs, len(groups))
    threads = max(1, jobs // workers) if scheduler is None else 1
    in_process = workers == 1 and scheduler is None     # a bar per batch; Dask shows batches
    logger.info("%d flies in %d batch(es) of up to %d, on %d worker(s) with %d thread(s) each "
                "for their windows; network %s (%.1f s)", cohort, len(groups),
                settings.batch_size, workers, threads, "compiled" if compile_seconds > 1 else
                "from the cache", compile_seconds)
    tasks = [(model, schedule, settings, group, indices, threads, progress and in_process)
             for group, indices in zip(groups, flies)]
    outcomes = [outcome for batch in map_tasks(run_batch, tasks, jobs=workers, scheduler=scheduler,
                                               progress=progress and not in_process,
                                               description="fly batches")
                for outcome in batch]
    rng = np.random.default_rng(window_seed(seed, "choices"))
    retention, choices = results.retention_dataset(
        outcomes, schedule.tests, rng, settings.tubes, settings.tube_size,
        np.random.default_rng(window_seed(seed, "tubes")),
        model.parameters["network.tube_variability"])
    retention.attrs["training_end_s"] = float(schedule.training_end)
    names, units = results.slow_names(metabolism)
    groups = {"retention": retention, "choices": choices,
              "weights": results.weights_dataset(outcomes, network.compartments),
              "spiking": results.spiking_dataset(outcomes),
              "metabolism": results.metabolism_dataset(outcomes, names, units, metabolism),
              "energy": results.energy_dataset(outcomes, network.compartments, settings.alpha),
              "neurons": results.neuron_dataset(network.network.structure)}
    if settings.record.classes:
        groups["spikes"] = results.spikes_dataset(outcomes, network.network.structure)
    raster = results.raster_dataset(outcomes[0])
    if raster is not None:
        groups["spiking/raster"] = raster
    if schedule.survival is not None and metabolism is not None:
        groups["survival"] = results.survival_dataset(outcomes, schedule.survival.starve_from,
                                                      schedule.survival.horizon)
    tree = xr.DataTree.from_dict(groups)
    tree.attrs.update(provenance(protocol, settings, model, seed, cohort, started, command))
    tree.attrs["timing"] = json.dumps({
        "compile_or_load_s": compile_seconds,
        "spiking_windows_s": sum(o.timing["spiking"] for o in outcomes),
        "slow_layer_s": sum(o.timing["slow"] for o in outcomes),
        "total_s": (datetime.now(timezone.utc) - started).total_seconds()})
    return tree


def provenance(protocol, settings, model, seed, cohort, started, command) -> dict:
    """Root attributes that say how a result was made, enough to re-run it."""
    connectome = model.connectome
    description = model.description()
    parameters = description["parameters"]
    return {
        "format": FORMAT, "title": f"mbsim run of {protocol.name}",
        "created_by": command, "protocol_name": protocol.name, "protocol_file": protocol.source_file,
        "protocol_text": protocol.source_text, "protocol_sha256": protocol.sha256,
        "model": json.dumps(description, default=str),
        "parameters": json.dumps({group: None if s is None else s["values"]
                                  for group, s in parameters.items()}, default=str),
        "parameter_sources": json.dumps({group: s["sources"] for group, s in parameters.items()
                                         if s is not None}),
        "settings": json.dumps(asdict(settings)),
        "connectome_name": connectome.name, "connectome_source": connectome.source,
        "connectome_checksum": connectome.checksum(), "n_kc": int(model.network.n_kc),
        "seed": int(seed), "cohort": int(cohort), "start_time": started.isoformat(),
        "end_time": datetime.now(timezone.utc).isoformat(), **software_provenance(),
    }


def software_provenance() -> dict[str, str]:
    """What made a file: mbsim's version and commit, the platform, Python, Brian2 and numpy."""
    from importlib.metadata import version
    return {"mbsim_version": __version__, "git_commit": git_commit(),
            "platform": platform.platform(), "python_version": sys.version.split()[0],
            "brian2_version": version("brian2"), "numpy_version": np.__version__}


def git_commit() -> str:
    """The source tree's commit, with '+dirty' when it has uncommitted changes; '' outside git."""
    try:
        commit = subprocess.run(["git", "-C", str(PROJECT_ROOT), "rev-parse", "HEAD"],
                                capture_output=True, text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(PROJECT_ROOT), "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True, text=True,
                               timeout=5).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return ""
