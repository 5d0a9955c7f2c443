"""Virtual flies through a protocol: spiking windows where something happens, the slow layer between.

:class:`Fly` walks k state columns through one schedule together: the flies of a cohort (one noise
seed each) or the parameter vectors of a fit's batch (one seed for all). The loop walks the
schedule's breakpoints in time order. Between two breakpoints the slow layer integrates every
column with constant conditions (feeding, drugs, forcing); at a breakpoint the instant events act:
each seed's window is simulated (cached) and its plastic change enters the memory stores, a cold
shock erases labile memory, a test reads the MBONs through each phase's efficacy.
"""

from __future__ import annotations

import copy
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np

from .energy import PlasticityLedger, window_activity
from .memory import PHASES, SynapticMemory
from .outcome import FlyOutcome, window_record
from .recording import Recording
from .slow import ARM, CAPTURE, HEAD, MP1, SIGNAL, Conditions, SlowLayer
from .windows import WindowCache, test_window, trial_label, trial_window

logger = logging.getLogger(__name__)

#: Phases read at every test: all stores together, then each store alone.
TEST_PHASES = ("total",) + PHASES


@dataclass
class Walk:
    """The state of one pass through a protocol (every array carries the column axis last)."""

    memory: SynapticMemory
    cs_plus_kcs: np.ndarray       # (n_kc, k) KCs the first training window's CS+ activated
    y: np.ndarray                 # (n, k) slow-layer state
    ledger: PlasticityLedger
    p_avoid: np.ndarray           # (n_tests, len(TEST_PHASES), k)
    windows: list                 # one list of WindowRecord per column
    t: float = 0.0
    recent_trials: float = 0.0    # decayed count of recent trial ends (MP1 refractoriness)
    last_trial_end: float = -np.inf
    samples: list = field(default_factory=list)
    ltm_program: list = field(default_factory=list)
    weights: list = field(default_factory=list)            # mean effective efficacy per sample
    weight_quantiles: list = field(default_factory=list)   # its quantiles over CS+ KC synapses
    raster: tuple | None = None
    spikes: dict = field(default_factory=dict)  # column -> [(label, start [s], trains)]


class Fly:
    """Walks the columns of ``slow`` (a :class:`SlowLayer`) through a schedule; column j sees the
    spiking windows of noise seed ``seeds[j]``.

    ``network`` is a :class:`~mbsim.engine.network_view.NetworkView` (or anything with its methods):
    ``simulate``, ``efficacy_change``, ``choice_probability`` and the KC/compartment layout.
    ``rows``: the KCs the memory keeps (None: all). ``caches``: seed -> :class:`WindowCache`
    (shared by a survival sibling and across a fit's evaluations). ``threads``: windows of
    different seeds or phases simulated side by side (they run as separate processes).
    ``progress``: called with a label after every training trial and test (e.g. a progress bar).
    ``record_raster``: keep the first fly's KC spikes in the first training window.
    ``recording``: a :class:`~mbsim.engine.recording.Recording` kept for ``recorded_columns``.
    """

    record_weights = True
    ledger_class = PlasticityLedger

    def __init__(self, network, schedule, memory_params, slow: SlowLayer, seeds, *,
                 alpha: float = 0.5, record_raster: bool = False, recording=None,
                 recorded_columns=(), rows: np.ndarray | None = None,
                 caches: dict | None = None, threads: int = 1, progress=None):
        if len(seeds) != slow.columns:
            raise ValueError(f"{len(seeds)} seeds for {slow.columns} columns")
        self.network, self.schedule, self.params, self.slow = network, schedule, memory_params, slow
        self.seeds = [int(s) for s in seeds]
        self.groups = {s: np.flatnonzero(np.array(self.seeds) == s) for s in dict.fromkeys(self.seeds)}
        self.alpha, self.record_raster, self.rows, self.threads = alpha, record_raster, rows, threads
        self.recording = recording or Recording()
        self.recorded_columns = frozenset(recorded_columns)
        self.progress = progress or (lambda label: None)
        self.caches = caches if caches is not None else {}
        for seed in self.groups:
            self.caches.setdefault(seed, WindowCache(network))
        self.slow_seconds = 0.0

    @property
    def columns(self) -> int:
        return self.slow.columns

    def _map(self, function, items) -> list:
        items = list(items)
        if self.threads <= 1 or len(items) <= 1:
            return [function(item) for item in items]
        with ThreadPoolExecutor(min(self.threads, len(items))) as pool:
            return list(pool.map(function, items))

    def _recorded(self, seed, label: str) -> list[int]:
        """The seed's columns whose spike trains are kept in the window of this label."""
        if not self.recording.keeps(label):
            return []
        return [j for j in self.groups[seed] if j in self.recorded_columns]

    def _wanted(self, seed, label: str, raster: bool) -> tuple[str, ...]:
        """Cell classes whose spike trains a seed's window must keep."""
        classes = set(self.recording.classes) if self._recorded(seed, label) else set()
        if raster and seed == self.seeds[0]:
            classes.add("KC")
        return tuple(sorted(classes))

    def _keep_spikes(self, walk: Walk, column: int, label: str, start: float, result) -> None:
        walk.spikes.setdefault(column, []).append(
            (label, start, {c: result.spike_trains[c] for c in self.recording.classes}))

    def _columns_of(self, seed):
        """Column index of a seed's columns: all columns as one slice when there is one seed."""
        return slice(None) if len(self.groups) == 1 else self.groups[seed]

    # --- conditions ----------------------------------------------------------------
    def fed(self, t: float) -> bool:
        return self.schedule.feeding_at(t)[0] == "fed"

    def mp1_forcing(self, t: float) -> str | None:
        """"activate" or "block" while a thermogenetic manipulation of the LTM-gating DANs
        runs at ``t``, else None."""
        forcing = None
        for item in self.schedule.interventions_at(t):
            if item.kind in ("activate", "block") and self.network.gates_ltm(item.targets):
                forcing = item.kind
        return forcing

    def conditions(self, t: float, memory: SynapticMemory) -> Conditions:
        protein_synthesis = not any(item.kind == "cycloheximide"
                                    for item in self.schedule.interventions_at(t))
        return Conditions(fed=self.fed(t), protein_synthesis=protein_synthesis,
                          ltm_enabled="crebB_block" not in self.schedule.genotype,
                          mp1_forcing=self.mp1_forcing(t), tag_total=memory.tag_totals())

    def start_time(self) -> float:
        """Where the slow layer starts: training, or earlier when feeding changes before it."""
        starts = [t for t, _ in self.schedule.feeding if np.isfinite(t)]
        return min([0.0, *starts])

    def end_time(self) -> float:
        return max([self.schedule.training_end, *self.schedule.test_times])

    def breakpoints(self) -> np.ndarray:
        s = self.schedule
        times = [self.start_time(), 0.0, self.end_time()]
        for trial in s.trials:
            times += [trial.start, trial.start + trial.stimulus_duration]
        times += list(s.test_times) + [start for start, _ in s.feeding]
        for item in s.interventions:
            times += [item.start, item.stop]
        times = np.asarray(times, dtype=float)
        keep = np.isfinite(times) & (times >= self.start_time()) & (times <= self.end_time())
        return np.unique(times[keep])

    def initial_body(self, fed: bool) -> np.ndarray | None:
        """(n_metabolism, k) starting metabolism: each fly's reserves drawn from its own seed."""
        metabolism = self.slow.metabolism
        if metabolism is None:
            return None
        return np.stack([metabolism.initial_state(fed, np.random.default_rng(seed))
                         for seed in self.seeds], axis=1)

    # --- the loop ------------------------------------------------------------------
    def run(self, sample_times: np.ndarray) -> list[FlyOutcome]:
        """Walk the protocol; then, if it asks, follow starved siblings until death. One outcome
        per column."""
        walk = self.walk(sample_times, with_tests=True)
        k = self.columns
        death, censored = np.full(k, np.nan), np.ones(k, bool)
        if self.schedule.survival is not None and self.slow.metabolism is not None:
            death, censored = self.survival_sibling().follow_survival()
        samples, weights = np.concatenate(walk.samples), np.concatenate(walk.weights)
        quantiles = np.concatenate(walk.weight_quantiles)
        program = np.concatenate(walk.ltm_program)
        metabolism = self.slow.metabolism
        return [FlyOutcome(walk.p_avoid[..., j], walk.windows[j], sample_times, samples[..., j],
                           program[:, j],
                           weights[..., j], quantiles[..., j], walk.ledger.column(j),
                           metabolism.ledger(walk.y[HEAD:, j]) if metabolism is not None else None,
                           float(death[j]), bool(censored[j]), walk.raster if j == 0 else None,
                           {"spiking": self.caches[seed].seconds / len(self.groups[seed]),
                            "slow": self.slow_seconds / k}, walk.spikes.get(j, []))
                for j, seed in enumerate(self.seeds)]

    def walk(self, sample_times: np.ndarray, with_tests: bool) -> Walk:
        s, k = self.schedule, self.columns
        points = self.breakpoints()
        walk = Walk(memory=SynapticMemory.naive(self.network.kc_compartment_mask, k, self.rows),
                    cs_plus_kcs=np.zeros((self.network.n_kc, k), dtype=bool),
                    y=self.slow.initial_state(self.initial_body(self.fed(points[0]))),
                    ledger=self.ledger_class.empty(self.network.compartments, self.alpha, k),
                    p_avoid=np.full((len(s.tests), len(TEST_PHASES), k), np.nan),
                    windows=[[] for _ in range(k)])
        starts = {round(t.start, 9) for t in s.trials}
        ends = {round(t.start + t.stimulus_duration, 9): t for t in s.trials}
        tests: dict[float, list[int]] = {}
        for index, test in enumerate(s.tests if with_tests else ()):
            tests.setdefault(round(test.time, 9), []).append(index)
        cold_shocks = {round(i.start, 9) for i in s.interventions if i.kind == "cold_shock"}
        for t0, t1 in zip(points[:-1], points[1:]):
            if round(t0, 9) in starts and self.mp1_forcing(t0) is None:
                walk.y[MP1] = 0.0  # a trial interrupts the post-training MP1 episode
            conditions = self.conditions(0.5 * (t0 + t1), walk.memory)
            self.advance(walk, t0, t1, conditions, sample_times)
            key = round(t1, 9)
            if key in ends:
                self.train(ends[key], walk)
                self.progress(trial_label(ends[key]))
                self._log_windows(trial_label(ends[key]))
                walk.y[MP1] = (0.0 if conditions.mp1_forcing == "block"
                               else np.maximum(walk.y[MP1], self.mp1_episode(walk, t1)))
            if key in cold_shocks:
                walk.memory.cold_shock()
            for index in tests.get(key, ()):
                walk.p_avoid[index] = self.test(s.tests[index], walk)
                self.progress(s.tests[index].label)
                self._log_windows(s.tests[index].label)
        walk.t = points[-1]
        walk.ledger.close(walk.memory)
        return walk

    def _log_windows(self, label: str) -> None:
        """With ``mbsim -v``: the windows simulated and reused so far (all flies of this batch)."""
        if logger.isEnabledFor(logging.INFO):
            caches = [self.caches[seed] for seed in dict.fromkeys(self.seeds)]
            logger.info("%s: %d flies, %d windows simulated and %d reused so far, slow layer "
                        "%.2f s", label, self.columns, sum(c.misses for c in caches),
                        sum(c.hits for c in caches), self.slow_seconds)

    def mp1_episode(self, walk: Walk, t: float) -> float:
        """Amplitude of the MP1 episode after a trial ending at ``t``: weaker after recent trials."""
        decay = np.exp(-(t - walk.last_trial_end) / self.params["mp1_refractory_time"])
        walk.recent_trials = 1.0 + walk.recent_trials * decay
        walk.last_trial_end = t
        return self.params["mp1_episode"] / walk.recent_trials

    def advance(self, walk: Walk, t0: float, t1: float, conditions: Conditions,
                sample_times: np.ndarray = np.empty(0)) -> None:
        """Carry the slow layer and the memory stores from ``t0`` to ``t1``."""
        inside = sample_times[(sample_times > t0) & (sample_times <= t1)]
        started = time.perf_counter()
        walk.y, coefficients, samples = self.slow.advance(t0, t1, walk.y, conditions, inside)
        self.slow_seconds += time.perf_counter() - started
        walk.samples.append(samples)
        walk.ltm_program.append(self.slow.consolidation(samples.swapaxes(0, 1), conditions))
        if self.record_weights:
            mean, quantiles = walk.memory.efficacy_at(inside - t0, samples[:, ARM],
                                                      samples[:, CAPTURE], walk.cs_plus_kcs,
                                                      self.params)
            walk.weights.append(mean)
            walk.weight_quantiles.append(quantiles)
        walk.ledger.add_consolidation(walk.memory, coefficients)
        walk.memory.advance(coefficients, self.params)

    def efficacy_changes(self, results: dict) -> np.ndarray:
        """Plastic change per (KC, compartment) of each seed's window: (n_kc, n_comp) when all
        columns share one seed, else (n_kc, n_comp, k)."""
        if len(self.groups) == 1:
            return self.network.efficacy_change(next(iter(results.values())))
        return self._column_changes([(columns, results[seed])
                                     for seed, columns in self.groups.items()])

    def _column_changes(self, shared) -> np.ndarray:
        """(n_kc, n_comp, k) changes from (columns, window result) pairs."""
        out = np.empty(self.network.kc_compartment_mask.shape + (self.columns,))
        for columns, result in shared:
            out[..., columns] = self.network.efficacy_change(result)[..., None]
        return out

    def trial_results(self, windows, wanted, walk: Walk) -> list[tuple]:
        """(columns, window result) pairs of a trial. Without feedback a seed's columns share
        its window, simulated with the naive efficacy (its activity upstream of the plastic
        synapses does not depend on it); with the recurrent pathways DAN activity depends on the
        MBONs, so each column's window runs with that column's current efficacy (a seed's
        columns as readout columns of one call; cached by window and efficacy)."""
        seeds = list(self.groups)
        if not self.network.recurrent:
            found = self._map(lambda i: self.caches[seeds[i]].simulate(windows[i],
                                                                     record=wanted[i]),
                              range(len(seeds)))
            return [(self._columns_of(seed), result) for seed, result in zip(seeds, found)]
        efficacy = walk.memory.efficacy(self.params, PHASES)
        if self.rows is not None:
            full = np.ones(self.network.kc_compartment_mask.shape + efficacy.shape[2:])
            full[self.rows] = efficacy
            efficacy = full
        found = self._map(lambda i: self.caches[seeds[i]].simulate_columns(
            windows[i], [efficacy[..., j] for j in self.groups[seeds[i]]], record=wanted[i]),
            range(len(seeds)))
        return [(np.array([j]), result) for seed, results in zip(seeds, found)
                for j, result in zip(self.groups[seed], results)]

    def train(self, trial, walk: Walk) -> None:
        """Simulate each seed's window of a trial and put its change into the memory stores."""
        starved = not self.fed(trial.start)
        seeds = list(self.groups)
        windows = [trial_window(trial, self.schedule.interventions, starved, s) for s in seeds]
        first = not walk.cs_plus_kcs.any()
        wanted = [self._wanted(s, w.label, first and self.record_raster)
                  for s, w in zip(seeds, windows)]
        shared = self.trial_results(windows, wanted, walk)
        if self.network.recurrent:
            changes = self._column_changes(shared)
        else:
            changes = self.efficacy_changes({seed: result for seed, (_, result)
                                             in zip(seeds, shared)})
        genotype = self.schedule.genotype
        received = walk.memory.add_change(changes, self.params,
                                          arm_enabled="radish" not in genotype,
                                          ltm_enabled="crebB_block" not in genotype)
        walk.ledger.add_window(received, walk.memory)
        if trial.sugar and not self.fed(trial.start):
            walk.y[SIGNAL] += self.params["sugar_consolidation"]
        if self.slow.metabolism is not None:
            costs = walk.ledger.window_costs(received, walk.memory)
            for columns, result in shared:
                activity = window_activity(result, self.network,
                                           {phase: c[:, columns] for phase, c in costs.items()})
                walk.y[HEAD:, columns] = self.slow.metabolism.apply_window(
                    walk.y[HEAD:, columns], activity)
        by_column = {j: result for columns, result in shared
                     for j in np.arange(self.columns)[columns]}
        if first:
            for columns, result in shared:
                walk.cs_plus_kcs[:, columns] = (result.kc_counts[0] > 0)[:, None]
            if self.record_raster:
                walk.raster = by_column[0].spike_trains.get("KC")
        label = windows[0].label
        for columns, result in shared:
            record = window_record(result, trial.start, label, self.network.type_sizes)
            for j in np.arange(self.columns)[columns]:
                walk.windows[j].append(record)
        for seed in seeds:
            for column in self._recorded(seed, label):
                self._keep_spikes(walk, column, label, trial.start, by_column[column])

    def test(self, test, walk: Walk) -> np.ndarray:
        """P(avoid the first side) of a :class:`~mbsim.protocol.schedule.Test` read through each
        phase's efficacy: (len(TEST_PHASES), k)."""
        s, t, label = self.schedule, test.time, test.label
        windows = {seed: test_window(test, s.interventions, not self.fed(t), seed)
                   for seed in self.groups}
        efficacies = [walk.memory.efficacy(self.params, PHASES if phase == "total" else (phase,))
                      for phase in TEST_PHASES]

        def read(seed):
            """The naive reference (the readout balances innate drives), then each phase of each
            of the seed's columns: the readout columns of one window."""
            columns = self.groups[seed]
            readouts = [None] + [efficacies[i][..., j] for i in range(len(TEST_PHASES))
                                 for j in columns]
            naive, *phases = self.caches[seed].simulate_columns(
                windows[seed], readouts, self._wanted(seed, label, raster=False))
            return naive, {(i, j): phases[i * len(columns) + n]
                           for i in range(len(TEST_PHASES)) for n, j in enumerate(columns)}
        read_out = dict(zip(windows, self._map(read, windows)))
        naive = {seed: found[0] for seed, found in read_out.items()}
        results = {job: result for _, found in read_out.values() for job, result in found.items()}
        for j, seed in enumerate(self.seeds):
            walk.windows[j].append(window_record(results[0, j], t, label, self.network.type_sizes))
        for seed in self.groups:
            for column in self._recorded(seed, label):
                self._keep_spikes(walk, column, label, t, results[0, column])
        return np.array([[self.network.choice_probability(results[i, j], naive[self.seeds[j]])
                          for j in range(self.columns)] for i in range(len(TEST_PHASES))])

    # --- survival -------------------------------------------------------------------
    def survival_sibling(self) -> "Fly":
        """The same flies in the sibling group that is starved from ``survival.starve_from`` on."""
        s = self.schedule
        start = s.survival.starve_from
        feeding = tuple((t, state) for t, state in s.feeding if t < start) + ((start, "starved"),)
        sibling = copy.copy(self)   # same network, parameters, slow layer and window caches
        sibling.schedule = replace(s, feeding=feeding, tests=())
        sibling.record_raster, sibling.recorded_columns = False, frozenset()
        return sibling

    def follow_survival(self) -> tuple[np.ndarray, np.ndarray]:
        """(death times [s], censored) per column: walk the protocol starved, then starve until
        death."""
        walk = self.walk(np.empty(0), with_tests=False)
        start = self.schedule.survival.starve_from
        if start > walk.t:
            self.advance(walk, walk.t, start, self.conditions(walk.t, walk.memory))
            walk.t = start
        return self.slow.until_death(walk.y, walk.t, self.schedule.survival,
                                     self.conditions(walk.t, walk.memory))
