"""Meta-learning: an outer loop that searches the rule family for rules that perform, save energy
and keep working when energy is scarce.

Optuna's multi-objective samplers (NSGA-II or TPE, seeded) propose rule parameters one generation
(``population`` rules) at a time through its ask/tell interface; every rule of a generation is
evaluated on every task seed and energy regime (:func:`mbsim.efficiency.episode.run_episode`) on
:class:`mbsim.parallel.Executor` (serially, a Dask LocalCluster or a scheduler, one client for the
whole search), and the three
objectives are told back:

* performance: the mean episode performance in the plentiful regime (the first);
* energy: the mean over regimes of the chosen measure (ATP in mol, M0 or M1);
* resilience: the mean performance in the other regimes divided by the plentiful one, or by
  :data:`RESILIENCE_FLOOR` when the plentiful one is smaller (a rule that hardly learns has no
  performance to keep; the ratio of two near-zero scores would be noise).

Each finished generation is checkpointed beside the output (``<output>.checkpoint/evaluations.json``,
written atomically); ``resume`` replays the seeded sampler and takes the finished evaluations from
disk, so a resumed search gives the same numbers as an uninterrupted one. The result is a DataTree of
format ``mbsim-meta-learning/1`` (docs/meta-learning.md).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from ..engine.memory import load_memory_params
from ..errors import InputError
from ..metabolism.params import load_metabolism_params
from ..parallel import Executor
from .episode import ATP_PARTS, STORES, EnergyCosts, EnergyRegime, Schedule, run_episode
from .meta_experiment import OBJECTIVES, MetaExperiment, SearchedParameter
from .rules import RATE_COMPARTMENTS, RULE, SCALARS, PlasticityRule, load_rule, unmodified_rule
from .sweep import common_provenance
from .task import build_network
from .valence_task import ValenceTask, build_valence_task

FORMAT = "mbsim-meta-learning/1"
LOG = logging.getLogger(__name__)
#: Smallest plentiful performance resilience is taken relative to (assumption: 0.1, a PI that a
#: lab would call a memory).
RESILIENCE_FLOOR = 0.1
#: Update steps timed (and counted) per rule for the hardware cost.
HARDWARE_REPEATS = 30
#: Per-episode scores and counts kept for every (rule, seed, regime).
SCORES = ("learning", "retention", "performance", "programme_hours", "failed_consolidations",
          "updates")


@dataclass(frozen=True)
class MetaProblem:
    """What every evaluation needs: the tasks (one per seed), regimes, schedule, prices, base rule."""

    tasks: tuple[ValenceTask, ...]
    regimes: tuple[EnergyRegime, ...]
    schedule: Schedule
    costs: EnergyCosts
    base_rule: PlasticityRule
    energy_measure: str


@dataclass(frozen=True)
class RuleJob:
    """One rule to evaluate; picklable for Dask workers."""

    problem: MetaProblem
    rule: PlasticityRule


def build_problem(experiment: MetaExperiment) -> MetaProblem:
    """Compile (or load) the network, simulate every task seed's windows, read the prices."""
    task_spec, network_spec = experiment.task, experiment.network
    base = load_rule(experiment.rule) if experiment.rule else load_rule()   # checked before simulating
    network = build_network(network_spec.kc_count, network_spec.connectome_seed,
                            task_spec.odors.library, network_spec.parameters)
    tasks = tuple(build_valence_task(network, task_spec, seed) for seed in network_spec.seeds)
    metabolism, memory = load_metabolism_params(), load_memory_params()
    programme = metabolism["consolidation_systemic_increase"] * metabolism["body_basal_demand"]
    energy = experiment.energy
    costs = EnergyCosts(
        labile=metabolism["labile_cost_per_unit"], arm=metabolism["arm_cost_per_unit"],
        ltm=metabolism["ltm_cost_per_unit"], program_rate=programme,
        program_duration=energy.programme_duration or memory["tau_consolidation_decay"],
        reserve_capacity=programme * energy.reserve_capacity, supply_rate=programme * energy.supply,
        tau_arm=memory["tau_arm"], arm_saturation=memory["arm_saturation"],
        tau_ltm=memory["tau_ltm"])
    schedule = Schedule(task_spec.phases, task_spec.epochs_per_phase,
                        task_spec.trial.inter_trial_interval, task_spec.retention_delay,
                        task_spec.retention_weight)
    regimes = tuple(EnergyRegime(r.name, r.availability, r.scarce_availability,
                                 r.plentiful_time or 0.0, r.scarce_time or 0.0)
                    for r in experiment.regimes)
    return MetaProblem(tasks, regimes, schedule, costs, base, experiment.energy.objective)


def evaluate_rule(job: RuleJob) -> dict:
    """Every (seed, regime) episode of one rule: scores (seed, regime), M0/M1 (seed, regime, store),
    ATP (seed, regime, part), and the three objectives."""
    problem = job.problem
    outcomes = [[run_episode(task, job.rule, regime, problem.schedule, problem.costs, task.seed)
                 for regime in problem.regimes] for task in problem.tasks]
    result = {key: np.array([[getattr(o, key) for o in row] for row in outcomes], dtype=float)
              for key in SCORES}
    for key in ("m0", "m1", "atp"):
        result[key] = np.array([[getattr(o, key) for o in row] for row in outcomes])
    result["objectives"] = objectives(result, problem.energy_measure)
    return result


def objectives(result: dict, measure: str) -> np.ndarray:
    """(performance, energy, resilience) from one rule's episodes (regime 0 is the plentiful one)."""
    by_regime = result["performance"].mean(axis=0)
    plentiful, scarce = by_regime[0], by_regime[1:].mean()
    energy = result["atp"].sum(axis=-1) if measure == "atp" else result[measure].sum(axis=-1)
    resilience = scarce / max(plentiful, RESILIENCE_FLOOR)
    return np.array([plentiful, float(energy.mean()), resilience])


class EvaluationStore:
    """Finished evaluations keyed by rule parameters, kept in ``<folder>/evaluations.json``."""

    def __init__(self, folder: Path | None, identity: str):
        self.folder, self.identity, self.done = folder, identity, {}

    def load(self) -> "EvaluationStore":
        path = self._path()
        if path is None or not path.exists():
            return self
        try:
            stored = json.loads(path.read_text())
            if stored["identity"] != self.identity:
                raise InputError(found="a checkpoint of another experiment or mbsim version",
                                 expected="the checkpoint of this experiment; run without "
                                 "--resume to start again", file=path)
            self.done = {key: {k: np.array(v) for k, v in value.items()}
                         for key, value in stored["evaluations"].items()}
        except (ValueError, KeyError, TypeError) as error:
            raise InputError(found=f"a damaged checkpoint ({type(error).__name__}: {error})",
                             expected="a checkpoint written by mbsim meta-learn; delete it or run "
                             "without --resume", file=path) from None
        return self

    def save(self) -> None:
        path = self._path()
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"identity": self.identity, "evaluations": {
            key: {k: np.asarray(v).tolist() for k, v in value.items()}
            for key, value in self.done.items()}})
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
        os.replace(temporary, path)

    def _path(self) -> Path | None:
        return None if self.folder is None else self.folder / "evaluations.json"


def rule_key(rule: PlasticityRule) -> str:
    return json.dumps(rule.as_dict(), sort_keys=True)


def propose(trial, searched: list[SearchedParameter], restrictions, base: PlasticityRule):
    """The rule an Optuna trial proposes: the base rule with the searched parameters replaced."""
    changes = {name: trial.suggest_float(name, low, high, log=log)
               for name, low, high, log in searched}
    if len(restrictions) > 1:
        changes["restriction"] = trial.suggest_categorical("restriction", list(restrictions))
    else:
        changes["restriction"] = restrictions[0]
    return base.updated(changes, name=f"trial {trial.number}")


def run_meta_learning(experiment: MetaExperiment, searched: list[SearchedParameter], *,
                      jobs: int = 1, scheduler: str | None = None, checkpoint: Path | None = None,
                      resume: bool = False, progress: bool = False, command: str = "",
                      problem: MetaProblem | None = None) -> xr.DataTree:
    """Search the rule family and return the result tree (root attrs carry the provenance);
    ``problem`` is :func:`build_problem` of the experiment, built here when not given."""
    import optuna

    started = datetime.now(timezone.utc)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    store = EvaluationStore(checkpoint, _identity(experiment))
    if resume:
        store.load()
    problem = problem or build_problem(experiment)
    settings = experiment.optimizer
    sampler = (optuna.samplers.NSGAIISampler(population_size=settings.population, seed=settings.seed)
               if settings.sampler == "nsga2" else
               optuna.samplers.TPESampler(seed=settings.seed, multivariate=True))
    study = optuna.create_study(directions=["maximize", "minimize", "maximize"], sampler=sampler)
    rules, results, generation = [], [], []
    references = [problem.base_rule, unmodified_rule()]
    with Executor(jobs, scheduler) as executor:
        for g in tqdm(range(settings.generations), desc="generations", disable=not progress,
                      leave=False):
            trials = [study.ask() for _ in range(settings.population)]
            proposed = [propose(t, searched, experiment.search.restrictions, problem.base_rule)
                        for t in trials]
            missing = [r for r in proposed if rule_key(r) not in store.done]
            computed = executor.map(evaluate_rule, [RuleJob(problem, r) for r in missing])
            store.done.update({rule_key(r): c for r, c in zip(missing, computed)})
            store.save()
            for trial, rule in zip(trials, proposed):
                result = store.done[rule_key(rule)]
                study.tell(trial, [float(v) for v in result["objectives"]])
                rules.append(rule)
                results.append(result)
                generation.append(g)
            LOG.info("generation %d/%d: %d rules evaluated, %d from the checkpoint", g + 1,
                     settings.generations, len(missing), len(proposed) - len(missing))
        reference_results = executor.map(evaluate_rule, [RuleJob(problem, r) for r in references])
    front = {t.number for t in study.best_trials}
    tree = result_tree(problem, rules, results, generation, front, references, reference_results)
    measured = references + [rules[i] for i in sorted(front)]
    tree["hardware"] = xr.DataTree(hardware_dataset(
        problem, measured, ["fly_default", "unmodified"] + [f"trial {i}" for i in sorted(front)]))
    tree.attrs.update(provenance(experiment, problem, settings, started, command))
    return tree


def _identity(experiment: MetaExperiment) -> str:
    from .. import __version__
    return hashlib.sha256((experiment.source_text + __version__).encode()).hexdigest()


def _attrs(units: str, long_name: str) -> dict:
    return {"units": units, "long_name": long_name}


def rules_dataset(rules: list[PlasticityRule], results: list[dict], problem: MetaProblem,
                  dim: str) -> xr.Dataset:
    """Parameters, objectives and episode records of ``rules`` along dimension ``dim``."""
    seeds = [t.seed for t in problem.tasks]
    regimes = [r.name for r in problem.regimes]
    compartments = list(RATE_COMPARTMENTS)
    data = {name: (dim, [float(r.values[name]) for r in rules],
                   _attrs(RULE[name].unit, RULE[name].meaning)) for name in SCALARS}
    data["compartment_rate"] = ((dim, "compartment"),
                                [[r.values["compartment_rate"][c] for c in compartments]
                                 for r in rules], _attrs("1", RULE["compartment_rate"].meaning))
    data["restriction"] = (dim, [r.restriction for r in rules])
    for k, objective in enumerate(OBJECTIVES):
        data[objective] = (dim, [r["objectives"][k] for r in results], _attrs(
            "mol" if objective == "energy" and problem.energy_measure == "atp" else "1",
            {"performance": "mean episode performance, plentiful regime",
             "energy": f"mean {problem.energy_measure} over regimes",
             "resilience": "performance when scarce / when plentiful"}[objective]))
    for key in SCORES:   # the episode's performance beside the objective of the same name
        data["episode_performance" if key == "performance" else key] = (
            (dim, "seed", "regime"), np.array([r[key] for r in results]),
            _attrs("h" if key == "programme_hours" else "1", key.replace("_", " ")))
    for key in ("m0", "m1"):
        data[key] = ((dim, "seed", "regime", "store"), np.array([r[key] for r in results]),
                     _attrs("1", f"{key.upper()} of the changes made, per store"))
    data["atp"] = ((dim, "seed", "regime", "part"), np.array([r["atp"] for r in results]),
                   _attrs("mol", "ATP spent per part"))
    return xr.Dataset(data, coords={"seed": seeds, "regime": regimes, "store": list(STORES),
                                    "part": list(ATP_PARTS), "compartment": compartments})


def result_tree(problem, rules, results, generation, front, references, reference_results):
    """/trials (every rule the search evaluated), /references (the fly's and the unmodified rule)."""
    trials = rules_dataset(rules, results, problem, "trial")
    trials = trials.assign_coords(
        trial=np.arange(len(rules)), generation=("trial", generation),
        on_front=("trial", np.array([i in front for i in range(len(rules))], dtype=np.int8)))
    refs = rules_dataset(references, reference_results, problem, "rule")
    refs = refs.assign_coords(rule=["fly_default", "unmodified"])
    return xr.DataTree.from_dict({"trials": trials, "references": refs})


def hardware_dataset(problem: MetaProblem, rules: list[PlasticityRule], labels: list[str],
                     repeats: int = HARDWARE_REPEATS) -> xr.Dataset:
    """Machine cost of each rule's update step on the first task (fed), per step and per task."""
    from .hardware import measure, rule_update_step
    trials = problem.schedule.phases * problem.schedule.epochs_per_phase * len(problem.tasks[0].odors)
    costs, source = [], ""
    for rule in rules:
        step, operations = rule_update_step(problem.tasks[0], rule, problem.regimes[0],
                                            problem.costs, problem.schedule.interval)
        cost = measure(step, repeats=repeats, operations=operations)
        costs.append(cost)
        source = cost.source

    def column(key):
        return [np.nan if getattr(c, key) is None else float(getattr(c, key)) for c in costs]
    dataset = xr.Dataset({
        "seconds_per_step": ("rule", column("seconds"), _attrs("s", "wall time of one update step")),
        "instructions": ("rule", column("instructions"), _attrs("1", "instructions per step")),
        "cycles": ("rule", column("cycles"), _attrs("1", "cycles per step")),
        "cache_misses": ("rule", column("cache_misses"), _attrs("1", "cache misses per step")),
        "joules_per_step": ("rule", column("joules"), _attrs("J", "energy estimate of one step")),
        "joules_per_task": ("rule", np.array(column("joules")) * trials,
                            _attrs("J", f"energy estimate of the {trials} trials of an episode"))},
        coords={"rule": labels})
    dataset.attrs["counter_source"] = source
    return dataset


def provenance(experiment, problem, settings, started, command) -> dict:
    from importlib.metadata import version
    return {**common_provenance(experiment, FORMAT, f"mbsim meta-learning {experiment.name}",
                                started, command),
            "seeds": json.dumps(list(experiment.network.seeds)),
            "optimizer": f"optuna {version('optuna')} {type_name(settings.sampler)}",
            "optimizer_seed": int(settings.seed), "energy_measure": problem.energy_measure,
            "base_rule": problem.base_rule.values.path,
            "odors": json.dumps(list(problem.tasks[0].odors))}


def type_name(sampler: str) -> str:
    return {"nsga2": "NSGAIISampler", "tpe": "TPESampler(multivariate)"}[sampler]
