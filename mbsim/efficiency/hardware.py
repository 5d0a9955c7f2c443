"""Machine cost of one plasticity rule's update step: counters where the kernel allows, else timing,
and an energy estimate from a per-operation table (data/params/hardware_energy.yaml, Horowitz 2014).

Functions::

    measure(step, *, repeats, operations=None) -> HardwareCost
        step: a zero-argument callable running one update step; run ``repeats`` times.
    mb_update_step(task, strategy, parameter, *, alphas=(0.0, 1.0), seed=0, caching=None,
                   decay_time=3600.0, interval=900.0) -> (step, OperationCount)
        One trial's update of an MB rule on an :class:`~mbsim.efficiency.task.OdorTask`
        (``strategy`` of strategies.STRATEGIES; ``parameter`` = P, or the threshold for
        ``caching``, which then needs the experiment's :class:`~mbsim.efficiency.experiment.Caching`),
        through the functions the training loops use (learning.restricted_update, cached_update).
    ann_update_step(network, data, strategy, parameter, *, learning_rate, batch_size, alphas,
                    seed=0, caching=None) -> (step, OperationCount)
    rule_update_step(task, rule, regime, costs, interval, seed=0) -> (step, OperationCount)
        One trial of a rule of the family (rules.py) on a valence task, as meta-learning runs it.
        The same for a :class:`~mbsim.efficiency.ann.PlainNetwork` on one mini-batch's gradient;
        ``strategy="backprop"`` is the gradient itself (the same for every rule).

Counters: ``perf stat -x, -e instructions:u,cycles:u,cache-misses:u -p <this process>`` attached
while the step runs ``repeats`` times, minus the same with an empty step (differential). Attaching
to this process lets the steps be closures over arrays already in memory (an MB task costs spiking
simulations to build). Where perf events are not available (no perf, a kernel or virtual machine
without the PMU, perf_event_paranoid), the cost is timing plus the step's declared operation count
(:class:`OperationCount`), converted with the table, and ``source`` says so.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from itertools import cycle
from pathlib import Path

import numpy as np
import yaml

from ..paths import DATA_DIR
from .learning import (CachedDrive, EnergyLedger, SynapticCache, cached_update,
                       restricted_update)
from .strategies import make_selector

ENERGY_TABLE = DATA_DIR / "params" / "hardware_energy.yaml"
EVENTS = ("instructions:u", "cycles:u", "cache-misses:u")
PICOJOULE = 1e-12
WORD_BYTES = 8
LINE_WORDS = 8  # one 64-byte cache line = 8 words of 64 bits
PERF_ATTACH_S = 0.3  # time for perf to attach before the steps run


@dataclass(frozen=True)
class OperationCount:
    """What one step does, counted from its numpy operations: floating-point additions (and
    comparisons, assumption: priced as additions), multiplications, 64-bit words read or written,
    and the bytes it touches (to choose the memory level)."""

    additions: float
    multiplications: float
    words: float
    working_set_bytes: float


@dataclass(frozen=True)
class HardwareCost:
    """Cost of one update step: counters (None where unavailable), seconds, joules and their source."""

    instructions: float | None
    cycles: float | None
    cache_misses: float | None
    seconds: float
    joules: float
    source: str


@dataclass(frozen=True)
class EnergyTable:
    """Joules per operation, per 64-bit memory access by memory size, and per instruction."""

    add: float
    multiply: float
    memory: tuple[tuple[float, float], ...]  # (bytes held, joules per access), smallest first
    dram: float
    instruction: float

    def memory_access(self, working_set_bytes: float) -> float:
        """Joules of one 64-bit access to the smallest memory holding ``working_set_bytes``."""
        return next((joules for size, joules in self.memory if working_set_bytes <= size), self.dram)

    def of_operations(self, count: OperationCount) -> float:
        return (count.additions * self.add + count.multiplications * self.multiply
                + count.words * self.memory_access(count.working_set_bytes))

    def of_counters(self, instructions: float, cache_misses: float) -> float:
        return instructions * self.instruction + cache_misses * LINE_WORDS * self.dram


@cache
def energy_table(path: Path = ENERGY_TABLE) -> EnergyTable:
    """The per-operation energies of ``path`` (values in pJ) in joules."""
    table = yaml.safe_load(path.read_text(encoding="utf-8"))
    if table.get("unit") != "pJ":
        raise ValueError(f"{path}: expected 'unit: pJ', found {table.get('unit')!r}")
    memory = table["memory_64bit_access"]
    levels = sorted((float(row["bytes"]), row["value"] * PICOJOULE) for name, row in memory.items()
                    if name != "dram")
    return EnergyTable(add=table["operations"]["fp32_add"]["value"] * PICOJOULE,
                       multiply=table["operations"]["fp32_multiply"]["value"] * PICOJOULE,
                       memory=tuple(levels), dram=memory["dram"]["value"] * PICOJOULE,
                       instruction=table["instruction"]["value"] * PICOJOULE)


@cache
def perf_unavailable() -> str | None:
    """Why perf events cannot be counted here, or None when they can."""
    if shutil.which("perf") is None:
        return "no perf executable"
    try:
        done = subprocess.run(["perf", "stat", "-x,", "-e", ",".join(EVENTS), "true"],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as error:
        return f"perf stat failed ({error})"
    refused = [line.split(",")[2] for line in done.stderr.splitlines()
               if line.count(",") >= 2 and line.split(",")[0].startswith("<")]
    if done.returncode != 0 or refused:
        paranoid = Path("/proc/sys/kernel/perf_event_paranoid")
        level = paranoid.read_text().strip() if paranoid.exists() else "?"
        what = ", ".join(refused) or done.stderr.strip()[-200:]
        return f"perf stat reports <not supported> for {what}; perf_event_paranoid = {level}"
    return None


def _perf_counts(step, repeats: int) -> np.ndarray:
    """instructions, cycles, cache misses of this process while ``step`` runs ``repeats`` times."""
    with tempfile.TemporaryDirectory(prefix="mbsim-perf-") as folder:
        output = Path(folder) / "perf.csv"
        perf = subprocess.Popen(["perf", "stat", "-x,", "-e", ",".join(EVENTS), "-p", str(os.getpid()),
                                 "-o", str(output)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(PERF_ATTACH_S)
            for _ in range(repeats):
                step()
        finally:
            perf.send_signal(signal.SIGINT)
            perf.wait(timeout=30)
        values = {}
        for line in output.read_text().splitlines():
            fields = line.split(",")
            if len(fields) >= 3 and fields[2] in EVENTS:
                values[fields[2]] = float(fields[0]) if fields[0][:1].isdigit() else math.nan
    return np.array([values.get(event, math.nan) for event in EVENTS])


def measure(step, *, repeats: int, operations: OperationCount | None = None) -> HardwareCost:
    """Cost per call of ``step`` (a zero-argument callable), averaged over ``repeats`` calls."""
    step()  # warm-up: first-call allocations and caches
    started = time.perf_counter()
    for _ in range(repeats):
        step()
    seconds = (time.perf_counter() - started) / repeats
    table = energy_table()
    reason = perf_unavailable()
    if reason is None:
        counts = (_perf_counts(step, repeats) - _perf_counts(lambda: None, repeats)) / repeats
        instructions, cycles, misses = (max(float(v), 0.0) for v in counts)
        return HardwareCost(instructions, cycles, misses, seconds,
                            table.of_counters(instructions, misses),
                            "perf_event: instructions, cycles, cache-misses (user space, differential); "
                            "joules: instructions and cache-miss lines priced by data/params/hardware_energy.yaml")
    joules = table.of_operations(operations) if operations is not None else math.nan
    return HardwareCost(None, None, None, seconds, joules,
                        f"timing only: perf events not available ({reason}); joules: the step's "
                        "operation count priced by data/params/hardware_energy.yaml")


def update_operations(n_proposed: int, n_made: int, alphas, selection: float = 0.0,
                      readout: int = 0, cached: bool = False) -> OperationCount:
    """Operations of one update step (assumption: counted from the numpy calls, constants of sort
    and partition included in ``selection``): ``n_proposed`` proposed changes, ``n_made`` made,
    ``selection`` comparisons choosing them, ``readout`` outputs of a linear readout updated per
    made change (the MB's drive), the ledger's abs, threshold and sum per alpha, and for caching
    the decay, maintenance and threshold test of every held unit."""
    ledger = 3 * len(alphas)
    additions = selection + n_made * (1 + readout) + ledger * n_made
    multiplications = n_made * readout + n_made * len(alphas)
    words = 3 * n_made + n_proposed * (2 if selection else 1)
    if cached:  # hold (decay, maintenance per alpha), store, threshold test
        additions += n_proposed * (3 + ledger)
        multiplications += n_proposed * (1 + len(alphas))
        words += 6 * n_proposed
    return OperationCount(additions, multiplications, words, 3 * n_proposed * WORD_BYTES)


def _selection(strategy: str, n: int, n_groups: int) -> float:
    """Comparisons of a strategy's selection (assumption: partition ~2n, stable sort n log2 n)."""
    if strategy in ("top_k",):
        return 3.0 * n
    if strategy == "top_k_per_mbon":
        return n * math.log2(max(n, 2)) + 3.0 * n + n_groups
    return 1.0 * n if strategy == "random_mask" else 0.0


def mb_update_step(task, strategy: str, parameter: float, *, alphas=(0.0, 1.0), seed: int = 0,
                   caching=None, decay_time: float = 3600.0, interval: float = 900.0):
    """(step, its OperationCount): one trial's update of an MB rule, cycling through the task's
    proposed changes; the state (efficacies, stores, ledger) persists between calls."""
    changes = [change for per_odor in task.changes for change in per_odor]
    upcoming = cycle(changes)
    touched = int(np.mean([len(c.index) for c in changes]))
    n_odors = len(task.odors)
    ledger = EnergyLedger(alphas)
    if strategy == "caching":
        store = SynapticCache(np.ones(task.kernel.shape[1]), ledger, decay_time, caching.maintenance_cost)
        drive = CachedDrive(task, store)

        def step():
            drive.transient *= store.hold(interval)
            cached_update(task, store, drive, next(upcoming), parameter)
        return step, update_operations(touched, touched, alphas, readout=n_odors, cached=True)
    selector = make_selector(strategy, task.layout, parameter, np.random.default_rng(seed))
    efficacy, odor_drive = np.ones(task.kernel.shape[1]), np.zeros(n_odors)
    made = touched if strategy == "all" else min(touched, math.ceil(parameter * task.n_plastic))

    def step():
        restricted_update(task, selector, efficacy, odor_drive, ledger, next(upcoming))
    operations = update_operations(touched, made, alphas, _selection(strategy, touched, len(task.compartments)),
                                   readout=n_odors)
    return step, operations


def ann_update_step(network, data, strategy: str, parameter: float, *, learning_rate: float,
                    batch_size: int, alphas=(0.0, 1.0), seed: int = 0, caching=None):
    """(step, its OperationCount): one mini-batch update of an ANN rule with a fixed proposed
    change (one batch's gradient), or ``strategy="backprop"``: the gradient itself."""
    from .ann import RestrictedRule, make_cached_rule
    rng = np.random.default_rng(seed)
    weights = network.initial_weights(rng)
    batch = rng.permutation(len(data.train_y))[:batch_size]
    x, y = data.train_x[batch], data.train_y[batch]
    n = network.n_weights
    if strategy == "backprop":
        macs = 3.0 * len(y) * n  # forward, error back, weight gradient: one multiply-add per weight each
        return (lambda: network.gradient(weights, x, y),
                OperationCount(macs, macs, 3.0 * n + x.size, (2 * n + x.size) * WORD_BYTES))
    proposed = -learning_rate * network.gradient(weights, x, y)
    if strategy == "caching":
        rule = make_cached_rule(weights, alphas, parameter, caching)
        return (lambda: rule.update(proposed)), update_operations(n, n, alphas, cached=True)
    layout = network.layout
    rule = RestrictedRule(make_selector(strategy, layout, parameter, rng), weights, EnergyLedger(alphas))
    made = n if strategy == "all" else min(n, math.ceil(parameter * n))
    return (lambda: rule.update(proposed)), update_operations(n, made, alphas,
                                                             _selection(strategy, n, layout.n_groups))


def rule_update_step(task, rule, regime, costs, interval: float, seed: int = 0):
    """(step, its OperationCount): one trial of a rule of the family (:mod:`.rules`) on a valence
    task: the inter-trial decay of every store, the readout the error gate reads, and the update,
    through :class:`~mbsim.efficiency.episode.Episode` itself; the state persists between calls."""
    from .episode import Episode
    from .valence_task import SHOCK, SUGAR
    episode = Episode(task, rule, regime, costs, interval, np.random.default_rng(seed))
    n_odors, n = len(task.odors), task.n_pairs
    valence = np.where(np.arange(n_odors) % 2 == 0, 1.0, -1.0)
    order = [(k, r) for r in range(len(task.changes[0][0])) for k in range(n_odors)]
    upcoming = cycle(order)

    def step():
        episode.advance(episode.time + interval)
        odor, repeat = next(upcoming)
        episode.learn(odor, valence, repeat, episode.drive())
    touched = int(np.mean([len(task.changes[k][SHOCK if valence[k] > 0 else SUGAR][r].index)
                           for k, r in order]))
    made = touched if rule.restriction == "all" else min(
        touched, math.ceil(rule.plastic_fraction * task.layout.n_plastic))
    update = update_operations(touched, made, (0.0, 1.0),
                               _selection(rule.restriction, touched, len(task.compartments)),
                               cached=rule.caches)
    # dense parts: three stores decayed, the efficacy summed and clipped, the drive read out
    dense = OperationCount(additions=(4 + 2 + n_odors) * n, multiplications=(3 + n_odors) * n,
                           words=(6 + 4 + n_odors) * n, working_set_bytes=(4 + n_odors) * n * WORD_BYTES)
    return step, OperationCount(update.additions + dense.additions,
                                update.multiplications + dense.multiplications,
                                update.words + dense.words,
                                max(update.working_set_bytes, dense.working_set_bytes))
