"""Run an energy sweep: every (KC count, seed) network learns the task under every strategy.

One task per (KC count, seed) runs on :func:`mbsim.parallel.map_tasks` (serially, on a Dask
LocalCluster or on a scheduler): it builds the network (compiled once per KC count and cached on
disk), simulates the conditioning windows, then trains once per strategy and parameter. The result
is an ``xarray.DataTree`` (format ``mbsim-energy-sweep/1``, see docs/energy-efficiency.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import xarray as xr

from ..engine.memory import load_memory_params
from ..parallel import map_tasks
from .experiment import Experiment
from .learning import PHASES, train_caching, train_restricted
from .strategies import make_selector
from .task import build_network, build_task

FORMAT = "mbsim-energy-sweep/1"


@dataclass(frozen=True)
class NetworkJob:
    """One (KC count, seed) network of an experiment; picklable for Dask workers."""

    experiment: Experiment
    n_kc: int
    seed: int


def runs_of(experiment: Experiment) -> list[tuple[str, float]]:
    """(strategy, parameter) of every training run of one network: P for restrictions, the
    consolidation threshold for caching, 1 for the all-plastic baseline."""
    runs = [("all", 1.0)]
    runs += [(s, p) for s in experiment.strategies.restricted for p in experiment.strategies.fractions]
    caching = experiment.strategies.caching
    if caching is not None:
        runs += [("caching", t) for t in caching.thresholds]
    return runs


def run_network(job: NetworkJob) -> dict:
    """Build one network's task and train it under every strategy; plain data for the sweep table."""
    experiment = job.experiment
    task_spec, alphas = experiment.task, experiment.energy.alphas
    network = build_network(job.n_kc, experiment.network.connectome_seed,
                            task_spec.odors.library, experiment.network.parameters)
    task = build_task(network, task_spec, job.seed)
    caching = experiment.strategies.caching
    decay_time = None
    if caching is not None:
        decay_time = caching.decay_time or load_memory_params()["tau_labile"]
    rows = []
    for k, (strategy, parameter) in enumerate(runs_of(experiment)):
        order = np.random.default_rng([job.seed, job.n_kc])  # same trial order for every strategy
        if strategy == "caching":
            outcome = train_caching(task, caching, parameter, decay_time,
                                    task_spec.trial.inter_trial_interval, order, task_spec.criterion,
                                    task_spec.max_trials, alphas)
        else:
            selector = make_selector(strategy, task.layout, parameter, np.random.default_rng([job.seed, job.n_kc, k]))
            outcome = train_restricted(task, selector, order, task_spec.criterion,
                                       task_spec.max_trials, alphas)
        rows.append({"strategy": strategy, "parameter": parameter, "trials": outcome.trials,
                     "reached": outcome.reached, "accuracy": outcome.accuracy,
                     "energy": outcome.energy})
    return {"n_kc": job.n_kc, "seed": job.seed, "rows": rows, "odors": list(task.odors),
            "n_plastic": task.n_plastic, "kc_fraction_active": task.kc_fraction_active,
            "connectome_name": network.connectome.name,
            "decay_time_s": decay_time}


def run_sweep(experiment: Experiment, *, jobs: int = 1, scheduler: str | None = None,
              progress: bool = False, command: str = "") -> xr.DataTree:
    """Run the whole sweep and return its DataTree (root attrs carry the provenance)."""
    started = datetime.now(timezone.utc)
    # Large networks first: they take longest, and each KC count compiles once.
    jobs_list = [NetworkJob(experiment, n, s) for n in sorted(experiment.network.kc_counts, reverse=True)
                 for s in experiment.network.seeds]
    results = map_tasks(run_network, jobs_list, jobs=jobs, scheduler=scheduler, progress=progress,
                        description="networks")
    tree = sweep_tree(results, experiment)
    tree.attrs.update(provenance(experiment, results, started, command))
    return tree


def _attrs(units: str, long_name: str) -> dict:
    return {"units": units, "long_name": long_name}


def sweep_tree(results: list[dict], experiment: Experiment) -> xr.DataTree:
    """/runs (one row per training run), /networks and /optimal from the per-network results."""
    alphas = np.array(experiment.energy.alphas)
    rows = [(r["n_kc"], r["seed"], row) for r in results for row in r["rows"]]
    run_coords = {
        "strategy": ("run", [row["strategy"] for _, _, row in rows]),
        "parameter": ("run", [row["parameter"] for _, _, row in rows],
                      _attrs("1", "plastic fraction P (restrictions) or consolidation threshold (caching)")),
        "n_kc": ("run", [n for n, _, _ in rows], _attrs("1", "number of Kenyon cells")),
        "seed": ("run", [s for _, s, _ in rows], _attrs("1", "network noise and strategy seed")),
        "phase": ("phase", list(PHASES)), "alpha": ("alpha", alphas, _attrs("1", "energy exponent"))}
    runs = xr.Dataset({
        "trials": ("run", [row["trials"] for _, _, row in rows], _attrs("1", "trials to criterion (or max_trials)")),
        "reached": ("run", np.array([row["reached"] for _, _, row in rows], dtype=np.int8),
                    _attrs("1", "1 if the criterion was reached")),
        "accuracy": ("run", [row["accuracy"] for _, _, row in rows], _attrs("1", "final T-maze accuracy")),
        "energy": (("run", "phase", "alpha"), np.array([row["energy"] for _, _, row in rows]),
                   _attrs("1", "M_alpha = sum |dw|^alpha to criterion"))}, coords=run_coords)
    networks = xr.Dataset({
        "n_plastic": ("network", [r["n_plastic"] for r in results], _attrs("1", "plastic (KC, compartment) pairs")),
        "kc_fraction_active": ("network", [r["kc_fraction_active"] for r in results],
                               _attrs("1", "fraction of KCs spiking during an odor"))},
        coords={"n_kc": ("network", [r["n_kc"] for r in results]),
                "seed": ("network", [r["seed"] for r in results])})
    return xr.DataTree.from_dict({"runs": runs, "networks": networks, "optimal": optimal(runs)})


def optimal(runs: xr.Dataset, size: str = "n_kc") -> xr.Dataset:
    """Per strategy, network size (coordinate ``size``) and alpha: the lowest mean total energy over
    parameters among those where every seed reached the criterion, its parameter, and the savings
    ratio all / best."""
    total = runs["energy"].sel(phase="total")
    frame = pd.DataFrame({"strategy": runs["strategy"].values, "parameter": runs["parameter"].values,
                          size: runs[size].values, "reached": runs["reached"].values})
    strategies = list(dict.fromkeys(frame["strategy"]))
    sizes = sorted(set(frame[size]))
    alphas = runs["alpha"].values
    best = np.full((len(strategies), len(sizes), len(alphas)), np.nan)
    where = np.full(best.shape, np.nan)
    for a, alpha in enumerate(alphas):
        frame["energy"] = total.sel(alpha=alpha).values
        grouped = frame.groupby(["strategy", size, "parameter"]).agg(
            energy=("energy", "mean"), reached=("reached", "min")).reset_index()
        grouped = grouped[grouped["reached"] == 1]
        for (strategy, n_kc), part in grouped.groupby(["strategy", size]):
            i = part["energy"].to_numpy().argmin()
            best[strategies.index(strategy), sizes.index(n_kc), a] = part["energy"].iloc[i]
            where[strategies.index(strategy), sizes.index(n_kc), a] = part["parameter"].iloc[i]
    baseline = best[strategies.index("all")][None] if "all" in strategies else np.nan
    coords = {"strategy": strategies, size: sizes, "alpha": alphas}
    dims = ("strategy", size, "alpha")
    return xr.Dataset({
        "energy": (dims, best, _attrs("1", "lowest mean M_alpha to criterion over P (or threshold)")),
        "best_parameter": (dims, where, _attrs("1", "P or threshold at the optimum")),
        "savings": (dims, baseline / best,
                    _attrs("1", "all-plastic energy / best energy of the strategy"))}, coords=coords)


def provenance(experiment: Experiment, results: list[dict], started, command: str) -> dict:
    """Root attributes: what was run, from which file, with which software."""
    return {**common_provenance(experiment, FORMAT, f"mbsim energy sweep {experiment.name}", started,
                                command),
            "seeds": json.dumps(list(experiment.network.seeds)),
            "kc_counts": json.dumps(list(experiment.network.kc_counts)),
            "connectome_names": json.dumps(sorted({r["connectome_name"] for r in results})),
            "odors": json.dumps(results[0]["odors"] if results else []),
            "transient_decay_time_s": float(results[0]["decay_time_s"] or np.nan) if results else np.nan}


def common_provenance(experiment, file_format: str, title: str, started, command: str) -> dict:
    """The root attributes every efficiency result carries: format, software, experiment, times."""
    from ..engine.run import software_provenance
    return {"format": file_format, "title": title, "created_by": command,
            "experiment_name": experiment.name, "experiment_file": experiment.source_file,
            "experiment_text": experiment.source_text, "experiment_sha256": experiment.sha256,
            "start_time": started.isoformat(), "end_time": datetime.now(timezone.utc).isoformat(),
            **software_provenance()}
