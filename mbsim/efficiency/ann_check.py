"""Run an ANN check: every (hidden size, seed) network learns the digits under every strategy, and
the hardware cost of every rule's update step is measured.

The result is an ``xarray.DataTree`` (format ``mbsim-ann-check/1``, docs/energy-efficiency.md):
``/runs`` (steps, accuracy, M_alpha per phase, joules per task learned), ``/optimal`` (as the
energy sweep's, per hidden size), ``/networks`` and ``/hardware`` (cost per update step; attributes:
the counter source and the rank correlations of M0 and M1 with the joules per task learned).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import xarray as xr

from ..parallel import map_tasks
from .ann import PlainNetwork, RestrictedRule, load_digits_split, make_cached_rule, train
from .ann_experiment import AnnExperiment
from .hardware import ann_update_step, mb_update_step, measure
from .learning import PHASES, EnergyLedger
from .strategies import make_selector
from .sweep import common_provenance, optimal, runs_of

FORMAT = "mbsim-ann-check/1"
N_INPUTS = 64  # 8 x 8 pixels
COUNTERS = ("instructions", "cycles", "cache_misses")


@dataclass(frozen=True)
class AnnJob:
    """One (hidden size, seed) network of an ANN check; picklable for Dask workers."""

    experiment: AnnExperiment
    n_hidden: int
    seed: int


def digits_of(experiment: AnnExperiment):
    spec = experiment.data
    return load_digits_split(spec.classes, spec.test_fraction, spec.split_seed, spec.max_train_samples)


def run_network(job: AnnJob) -> dict:
    """Train one network under every strategy (same initial weights and batch order for each)."""
    experiment, alphas = job.experiment, experiment_alphas(job.experiment)
    data = digits_of(experiment)
    network = PlainNetwork(N_INPUTS, job.n_hidden, data.n_classes)
    rows = []
    for k, (strategy, parameter) in enumerate(runs_of(experiment)):
        weights = network.initial_weights(np.random.default_rng([job.seed, job.n_hidden]))
        if strategy == "caching":
            rule = make_cached_rule(weights, alphas, parameter, experiment.strategies.caching)
        else:
            selector = make_selector(strategy, network.layout, parameter,
                                     np.random.default_rng([job.seed, job.n_hidden, k]))
            rule = RestrictedRule(selector, weights, EnergyLedger(alphas))
        outcome = train(network, data, rule, experiment.training,
                        np.random.default_rng([job.seed, job.n_hidden, 1_000_000]))
        rows.append({"strategy": strategy, "parameter": parameter, "steps": outcome.trials,
                     "reached": outcome.reached, "accuracy": outcome.accuracy,
                     "energy": outcome.energy})
    return {"n_hidden": job.n_hidden, "seed": job.seed, "rows": rows, "n_weights": network.n_weights,
            "steps_per_epoch": -(-len(data.train_y) // experiment.training.batch_size)}


def experiment_alphas(experiment: AnnExperiment) -> tuple[float, ...]:
    return tuple(experiment.energy.alphas)


def run_ann_check(experiment: AnnExperiment, *, jobs: int = 1, scheduler: str | None = None,
                  progress: bool = False, command: str = "") -> xr.DataTree:
    """Train every network, measure the hardware cost if asked, and return the DataTree."""
    started = datetime.now(timezone.utc)
    job_list = [AnnJob(experiment, h, s) for h in sorted(experiment.network.hidden_sizes, reverse=True)
                for s in experiment.network.seeds]
    results = map_tasks(run_network, job_list, jobs=jobs, scheduler=scheduler, progress=progress,
                        description="networks")
    tree = runs_tree(results, experiment)
    if experiment.hardware is not None:
        hardware = measure_rules(experiment)
        tree["runs"] = xr.DataTree(with_joules(tree["runs"].to_dataset(), hardware))
        tree["hardware"] = xr.DataTree(hardware_with_correlations(hardware, tree["runs"].to_dataset()))
    tree.attrs.update(common_provenance(experiment, FORMAT, f"mbsim ANN check {experiment.name}",
                                        started, command))
    tree.attrs.update({"seeds": json.dumps(list(experiment.network.seeds)),
                       "hidden_sizes": json.dumps(list(experiment.network.hidden_sizes)),
                       "dataset": "sklearn.datasets.load_digits", "sklearn_version": _sklearn_version()})
    return tree


def _sklearn_version() -> str:
    from importlib.metadata import version
    return version("scikit-learn")


def _attrs(units: str, long_name: str) -> dict:
    return {"units": units, "long_name": long_name}


def runs_tree(results: list[dict], experiment: AnnExperiment) -> xr.DataTree:
    """/runs (one row per training run), /networks and /optimal."""
    rows = [(r, row) for r in results for row in r["rows"]]
    coords = {
        "strategy": ("run", [row["strategy"] for _, row in rows]),
        "parameter": ("run", [row["parameter"] for _, row in rows],
                      _attrs("1", "plastic fraction P (restrictions) or consolidation threshold (caching)")),
        "n_hidden": ("run", [r["n_hidden"] for r, _ in rows], _attrs("1", "hidden units (0: perceptron)")),
        "seed": ("run", [r["seed"] for r, _ in rows], _attrs("1", "initial weights, batch order, mask")),
        "phase": ("phase", list(PHASES)),
        "alpha": ("alpha", np.array(experiment.energy.alphas), _attrs("1", "energy exponent"))}
    runs = xr.Dataset({
        "steps": ("run", [row["steps"] for _, row in rows], _attrs("1", "mini-batch steps to criterion (or max)")),
        "epochs": ("run", [row["steps"] / r["steps_per_epoch"] for r, row in rows],
                   _attrs("1", "epochs to criterion (steps / steps per epoch)")),
        "reached": ("run", np.array([row["reached"] for _, row in rows], dtype=np.int8),
                    _attrs("1", "1 if the criterion was reached")),
        "accuracy": ("run", [row["accuracy"] for _, row in rows], _attrs("1", "final test accuracy")),
        "energy": (("run", "phase", "alpha"), np.array([row["energy"] for _, row in rows]),
                   _attrs("1", "M_alpha = sum |dw|^alpha to criterion"))}, coords=coords)
    networks = xr.Dataset({"n_weights": ("network", [r["n_weights"] for r in results],
                                         _attrs("1", "plastic weights (biases included)"))},
                          coords={"n_hidden": ("network", [r["n_hidden"] for r in results]),
                                  "seed": ("network", [r["seed"] for r in results])})
    return xr.DataTree.from_dict({"runs": runs, "networks": networks,
                                  "optimal": optimal(runs, size="n_hidden")})


def measure_rules(experiment: AnnExperiment) -> xr.Dataset:
    """Cost per update step of every (network, strategy, parameter): the ANN rules at each hidden
    size, backprop once per size, and the MB rules if the experiment asks for them."""
    spec, training, alphas = experiment.hardware, experiment.training, experiment_alphas(experiment)
    data = digits_of(experiment)
    entries = []
    for n_hidden in experiment.network.hidden_sizes:
        network = PlainNetwork(N_INPUTS, n_hidden, data.n_classes)
        for strategy, parameter in [("backprop", np.nan)] + runs_of(experiment):
            step, operations = ann_update_step(network, data, strategy, parameter,
                                               learning_rate=training.learning_rate,
                                               batch_size=training.batch_size, alphas=alphas,
                                               caching=experiment.strategies.caching)
            entries.append(("ann", strategy, parameter, n_hidden,
                            measure(step, repeats=spec.repeats, operations=operations)))
    if spec.mushroom_body is not None:
        entries += _mushroom_body_entries(spec, alphas)
    source = {cost.source for *_, cost in entries}
    coords = {"network": ("step", [e[0] for e in entries]), "strategy": ("step", [e[1] for e in entries]),
              "parameter": ("step", [e[2] for e in entries], _attrs("1", "P or threshold")),
              "size": ("step", [e[3] for e in entries], _attrs("1", "hidden units (ann) or KCs (mb)"))}

    def column(name):
        return [np.nan if getattr(e[4], name) is None else getattr(e[4], name) for e in entries]
    data_vars = {"seconds": ("step", column("seconds"), _attrs("s", "wall time per update step")),
                 "joules": ("step", column("joules"), _attrs("J", "energy estimate per update step"))}
    data_vars.update({name: ("step", column(name), _attrs("1", f"{name} per step (perf_event; NaN: not counted)"))
                      for name in COUNTERS})
    return xr.Dataset(data_vars, coords=coords, attrs={"counter_source": "; ".join(sorted(source)),
                                                       "repeats": spec.repeats})


def _mushroom_body_entries(spec, alphas) -> list[tuple]:
    """The MB rules' update steps on the odor task of tests/test_efficiency.py (4 synthetic odors,
    learning_rate_scale 0.03) at the experiment's KC count, P and caching threshold."""
    from ..engine.memory import load_memory_params
    from .experiment import Caching, Odors, Task
    from .task import build_network, build_task
    mb = spec.mushroom_body
    task = build_task(build_network(mb.kc_count, 0, "synthetic", None),
                      Task(odors=Odors(count=4), learning_rate_scale=0.03), seed=0)
    caching = Caching(thresholds=[mb.threshold])
    decay_time = load_memory_params()["tau_labile"]
    entries = []
    for strategy, parameter in [("all", 1.0), ("random_mask", mb.fraction), ("top_k", mb.fraction),
                                ("top_k_per_mbon", mb.fraction), ("caching", mb.threshold)]:
        step, operations = mb_update_step(task, strategy, parameter, alphas=alphas, caching=caching,
                                          decay_time=decay_time)
        entries.append(("mb", strategy, parameter, mb.kc_count,
                        measure(step, repeats=spec.repeats, operations=operations)))
    return entries


def with_joules(runs: xr.Dataset, hardware: xr.Dataset) -> xr.Dataset:
    """``runs`` with joules per task learned: the rule's update step (and update + backprop) x steps."""
    ann = hardware.isel(step=np.flatnonzero(hardware["network"].values == "ann"))
    update, training = [], []
    for strategy, parameter, n_hidden, steps in zip(runs["strategy"].values, runs["parameter"].values,
                                                   runs["n_hidden"].values, runs["steps"].values):
        size = ann["size"].values == n_hidden
        rule = np.flatnonzero(size & (ann["strategy"].values == strategy)
                              & np.isclose(ann["parameter"].values, parameter))
        gradient = np.flatnonzero(size & (ann["strategy"].values == "backprop"))
        per_step = float(ann["joules"].values[rule[0]])
        update.append(per_step * steps)
        training.append((per_step + float(ann["joules"].values[gradient[0]])) * steps)
    return runs.assign(
        joules_update=("run", update, _attrs("J", "joules per task learned: update step x steps")),
        joules_training=("run", training, _attrs("J", "joules per task learned: (update + backprop) x steps")))


def hardware_with_correlations(hardware: xr.Dataset, runs: xr.Dataset) -> xr.Dataset:
    """Spearman rank correlations, over the runs that reached the criterion, of M0 and M1 with the
    joules per task learned (update step only, and update + backprop)."""
    from scipy.stats import spearmanr
    reached = runs["reached"].values == 1
    attrs = dict(hardware.attrs)
    for alpha, name in ((0.0, "M0"), (1.0, "M1")):
        energy = runs["energy"].sel(phase="total", alpha=alpha).values[reached]
        for joules in ("joules_update", "joules_training"):
            value = spearmanr(energy, runs[joules].values[reached]).statistic if reached.sum() > 2 else np.nan
            attrs[f"spearman_{name}_{joules}"] = float(value)
    return hardware.assign_attrs(attrs)
