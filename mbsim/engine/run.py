"""Run a protocol: build the network once, simulate a cohort of flies, return a result DataTree."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache

import numpy as np
import xarray as xr

from .. import __version__
from ..paths import PROJECT_ROOT
from . import results
from .fly import Fly
from .memory import load_memory_params
from .network_view import NetworkView
from .windows import window_seed


@dataclass(frozen=True)
class RunSettings:
    """Everything besides the protocol that determines a run's numbers."""

    connectome: str = "default"
    odors: str = "synthetic"             # or a Hallem-Carlson responses.csv
    network_params: str | None = None   # file path; None = data/params/network.yaml
    memory_params: str | None = None
    metabolism_params: str | None = None
    metabolism: bool = True
    cohort: int | None = None            # None = the protocol's
    seed: int | None = None              # None = the protocol's
    alpha: float = 0.5                   # exponent of M_alpha
    samples: int = 240                   # time points of the recorded time courses


def build_model(settings: RunSettings):
    """Network view, parameter sets and metabolism for one process (cached per process)."""
    return _build_model(settings.connectome, settings.odors, settings.network_params,
                        settings.memory_params, settings.metabolism_params, settings.metabolism)


@lru_cache(maxsize=4)
def _build_model(connectome, odors, network_params, memory_params, metabolism_params, metabolism):
    from ..connectome import load
    from ..network import MushroomBodyNetwork, OdorLibrary, load_parameters
    net_params = load_parameters(network_params)
    library = (OdorLibrary.synthetic(net_params) if odors == "synthetic"
               else OdorLibrary.hallem_carlson(net_params, odors))
    network = NetworkView(MushroomBodyNetwork(load(connectome), net_params, library))
    model = None
    if metabolism:
        from ..metabolism import Metabolism, load_metabolism_params
        model = Metabolism(load_metabolism_params(metabolism_params), network.compartments)
    return network, net_params, load_memory_params(memory_params), model


def sample_times(schedule, count: int) -> np.ndarray:
    """Recording grid (t > 0): linear through training, logarithmic after it until the last test."""
    end = max([schedule.training_end, *schedule.tests])
    training = np.linspace(0.0, schedule.training_end, count // 3 + 1)[1:]
    after = np.geomspace(max(schedule.training_end, 1.0) + 1.0, max(end, 2.0), count - count // 3)
    return np.unique(np.concatenate([training, after]))


def run_fly(task):
    """One fly (a picklable task for process pools and Dask)."""
    schedule, settings, fly_seed = task
    network, _, mem_params, metabolism = build_model(settings)
    fly = Fly(network, schedule, mem_params, metabolism, seed=fly_seed,
              alpha=settings.alpha, record_raster=True)
    return fly.run(sample_times(schedule, settings.samples))


def simulate(protocol, settings: RunSettings = RunSettings(), *, jobs: int = 1,
             scheduler: str | None = None, progress: bool = False,
             command: str = "") -> xr.DataTree:
    """Simulate a protocol's cohort and return the result tree (see docs/output-format.md)."""
    from ..parallel import map_tasks
    started = datetime.now(timezone.utc)
    schedule = protocol.schedule()
    cohort = settings.cohort or schedule.cohort
    seed = schedule.seed if settings.seed is None else settings.seed
    network, net_params, mem_params, metabolism = build_model(settings)
    network.validate_schedule(schedule, protocol)
    compile_started = time.perf_counter()
    network.network.compile()
    compile_seconds = time.perf_counter() - compile_started
    tasks = [(schedule, settings, window_seed(seed, "fly", i)) for i in range(cohort)]
    outcomes = map_tasks(run_fly, tasks, jobs=jobs, scheduler=scheduler, progress=progress,
                         description="flies")
    rng = np.random.default_rng(window_seed(seed, "choices"))
    retention_times = np.asarray(schedule.tests) - schedule.training_end
    retention, choices = results.retention_dataset(outcomes, retention_times, rng)
    retention.attrs["training_end_s"] = float(schedule.training_end)
    names, units = results.slow_names(metabolism)
    groups = {"retention": retention, "choices": choices,
              "weights": results.weights_dataset(outcomes, network.compartments),
              "spiking": results.spiking_dataset(outcomes),
              "metabolism": results.metabolism_dataset(outcomes, names, units, metabolism,
                                                       mem_params),
              "energy": results.energy_dataset(outcomes, network.compartments, settings.alpha)}
    raster = results.raster_dataset(outcomes[0])
    if raster is not None:
        groups["spiking/raster"] = raster
    if schedule.survival is not None and metabolism is not None:
        groups["survival"] = results.survival_dataset(outcomes, schedule.survival.starve_from,
                                                      schedule.survival.horizon)
    tree = xr.DataTree.from_dict(groups)
    tree.attrs.update(provenance(protocol, settings, network, net_params, mem_params, metabolism,
                                 seed, cohort, started, command))
    tree.attrs["timing"] = json.dumps({
        "compile_or_load_s": compile_seconds,
        "spiking_windows_s": sum(o.timing["spiking"] for o in outcomes),
        "slow_layer_s": sum(o.timing["slow"] for o in outcomes),
        "total_s": (datetime.now(timezone.utc) - started).total_seconds()})
    return tree


def provenance(protocol, settings, network, net_params, mem_params, metabolism, seed, cohort,
               started, command) -> dict:
    """Root attributes that say how a result was made, enough to re-run it."""
    import brian2
    sets = {"network": net_params, "memory": mem_params,
            "metabolism": getattr(metabolism, "params", None)}
    return {
        "format": "mbsim-result/1", "title": f"mbsim run of {protocol.name}",
        "mbsim_version": __version__, "git_commit": git_commit(), "created_by": command,
        "protocol_name": protocol.name, "protocol_file": protocol.source_file,
        "protocol_text": protocol.source_text, "protocol_sha256": protocol.sha256,
        "parameters": json.dumps({g: _or_none(p, "values") for g, p in sets.items()},
                                 default=str),
        "parameter_sources": json.dumps({g: _or_none(p, "sources") for g, p in sets.items()}),
        "settings": json.dumps(settings.__dict__),
        "connectome_name": network.connectome.name, "connectome_source": network.connectome.source,
        "connectome_checksum": network.connectome.checksum(), "n_kc": int(network.n_kc),
        "seed": int(seed), "cohort": int(cohort), "start_time": started.isoformat(),
        "end_time": datetime.now(timezone.utc).isoformat(), "platform": platform.platform(),
        "python_version": sys.version.split()[0], "brian2_version": brian2.__version__,
        "numpy_version": np.__version__,
    }


def _or_none(params, attribute: str):
    return None if params is None else getattr(params, attribute)


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
