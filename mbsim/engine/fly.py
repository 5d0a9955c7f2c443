"""One virtual fly through a protocol: spiking windows where something happens, the slow layer between.

The loop walks the schedule's breakpoints in time order. Between two breakpoints the slow layer
integrates with constant conditions (feeding, drugs, forcing); at a breakpoint the instant events act:
a trial's window is simulated (cached) and its plastic change enters the memory stores, a cold shock
erases labile memory, a test reads the MBONs through each phase's efficacy.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field, replace

import numpy as np

from .energy import PlasticityLedger, window_activity
from .memory import PHASES, SynapticMemory
from ..units import format_time
from .slow import ARM, CAPTURE, GLOBALS, MP1, SIGNAL, Conditions, SlowLayer
from .windows import WindowCache, test_window, trial_window

#: Phases read at every test: all stores together, then each store alone.
TEST_PHASES = ("total",) + PHASES


@dataclass
class WindowRecord:
    label: str
    start: float
    duration: float
    rates: dict  # cell_type -> mean rate [Hz]
    kc_fraction_active: float


@dataclass
class FlyOutcome:
    """Everything one fly contributes to a run's result."""

    p_avoid: np.ndarray                 # (n_tests, len(TEST_PHASES))
    windows: list[WindowRecord]
    sample_times: np.ndarray            # (n_samples,)
    samples: np.ndarray                 # (n_samples, n_state) slow-layer state
    weights: np.ndarray                 # (n_samples, n_comp, 3) mean change of CS+ KCs' synapses
    plasticity: PlasticityLedger
    metabolism_ledger: dict | None
    death_time: float = np.nan
    censored: bool = True
    raster: tuple | None = field(default=None, repr=False)
    timing: dict = field(default_factory=dict)  # wall seconds: spiking windows, slow layer


@dataclass
class Walk:
    """The state of one pass through a protocol."""

    memory: SynapticMemory
    cs_plus_kcs: np.ndarray
    y: np.ndarray
    ledger: PlasticityLedger
    p_avoid: np.ndarray
    y_start: np.ndarray | None = None
    t: float = 0.0
    recent_trials: float = 0.0    # decayed count of recent trial ends (MP1 refractoriness)
    last_trial_end: float = -np.inf
    windows: list = field(default_factory=list)
    samples: list = field(default_factory=list)
    weights: list = field(default_factory=list)
    raster: tuple | None = None


class Fly:
    """Simulates one fly (one network seed) through a schedule.

    ``network`` is a :class:`~mbsim.engine.network_view.NetworkView` (or anything with its methods):
    ``simulate``, ``efficacy_change``, ``choice_probability`` and the KC/compartment layout.
    Subclasses may carry columns (one per parameter vector) in the slow state and memory stores;
    they then set ``record_weights = False``.
    """

    record_weights = True
    columns: int | None = None       # state columns (None: one fly, plain arrays)
    rows: np.ndarray | None = None   # KCs the memory keeps (None: all)
    ledger_class = PlasticityLedger

    def __init__(self, network, schedule, memory_params, metabolism=None, seed: int = 0,
                 alpha: float = 0.5, record_raster: bool = False):
        self.network, self.schedule = network, schedule
        self.params = memory_params
        self.slow = SlowLayer(memory_params, metabolism)
        self.seed, self.alpha, self.record_raster = seed, alpha, record_raster
        self.cache = WindowCache(network)
        self.slow_seconds = 0.0

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
        return max([self.schedule.training_end, *self.schedule.tests])

    def breakpoints(self) -> np.ndarray:
        s = self.schedule
        times = [self.start_time(), 0.0, self.end_time()]
        for trial in s.trials:
            times += [trial.start, trial.start + trial.stimulus_duration]
        times += list(s.tests) + [start for start, _ in s.feeding]
        for item in s.interventions:
            times += [item.start, item.stop]
        times = np.asarray(times, dtype=float)
        keep = np.isfinite(times) & (times >= self.start_time()) & (times <= self.end_time())
        return np.unique(times[keep])

    # --- the loop ------------------------------------------------------------------
    def run(self, sample_times: np.ndarray) -> FlyOutcome:
        """Walk the protocol; then, if it asks, follow a starved sibling until death."""
        walk = self.walk(sample_times, with_tests=True)
        death_time, censored = (self.survival_sibling().follow_survival()
                                if self.schedule.survival is not None
                                and self.slow.metabolism is not None else (np.nan, True))
        return FlyOutcome(walk.p_avoid, walk.windows, sample_times,
                          np.concatenate(walk.samples), np.concatenate(walk.weights),
                          walk.ledger,
                          self.slow.metabolism.ledger(walk.y[len(GLOBALS):])
                          if self.slow.metabolism is not None else None,
                          death_time, censored, walk.raster,
                          {"spiking": self.cache.seconds, "slow": self.slow_seconds})

    def walk(self, sample_times: np.ndarray, with_tests: bool) -> "Walk":
        s = self.schedule
        points = self.breakpoints()
        columns = (self.columns,) if self.columns else ()
        walk = Walk(memory=SynapticMemory.naive(self.network.kc_compartment_mask, self.columns,
                                                self.rows),
                    cs_plus_kcs=np.zeros(self.network.n_kc, dtype=bool),
                    y=self.slow.initial_state(self.fed(points[0]), np.random.default_rng(self.seed)),
                    ledger=self.ledger_class.empty(self.network.compartments, self.alpha,
                                                   self.columns),
                    p_avoid=np.full((len(s.tests), len(TEST_PHASES)) + columns, np.nan))
        walk.y_start = walk.y.copy()
        starts = {round(t.start, 9) for t in s.trials}
        ends = {round(t.start + t.stimulus_duration, 9): t for t in s.trials}
        tests = {round(t, 9): i for i, t in enumerate(s.tests)} if with_tests else {}
        cold_shocks = {round(i.start, 9) for i in s.interventions if i.kind == "cold_shock"}
        for t0, t1 in zip(points[:-1], points[1:]):
            if round(t0, 9) in starts and self.mp1_forcing(t0) is None:
                walk.y[MP1] = 0.0  # a trial interrupts the post-training MP1 episode
            conditions = self.conditions(0.5 * (t0 + t1), walk.memory)
            self.advance(walk, t0, t1, conditions, sample_times)
            key = round(t1, 9)
            if key in ends:
                self.train(ends[key], walk)
                walk.y[MP1] = (0.0 if conditions.mp1_forcing == "block"
                               else np.maximum(walk.y[MP1], self.mp1_episode(walk, t1)))
            if key in cold_shocks:
                walk.memory.cold_shock()
            if key in tests:
                walk.p_avoid[tests[key]] = self.test(t1, walk)
        walk.t = points[-1]
        walk.ledger.close(walk.memory)
        return walk

    def mp1_episode(self, walk: "Walk", t: float) -> float:
        """Amplitude of the MP1 episode after a trial ending at ``t``: weaker after recent trials."""
        decay = np.exp(-(t - walk.last_trial_end) / self.params["mp1_refractory_time"])
        walk.recent_trials = 1.0 + walk.recent_trials * decay
        walk.last_trial_end = t
        return self.params["mp1_episode"] / walk.recent_trials

    def advance(self, walk: "Walk", t0: float, t1: float, conditions: Conditions,
                sample_times: np.ndarray = np.empty(0)) -> None:
        """Carry the slow layer and the memory stores from ``t0`` to ``t1``."""
        inside = sample_times[(sample_times > t0) & (sample_times <= t1)]
        before = walk.memory.compartment_means(walk.cs_plus_kcs) if self.record_weights else None
        started = time.perf_counter()
        walk.y, coefficients, samples = self.slow.advance(t0, t1, walk.y, conditions, inside)
        self.slow_seconds += time.perf_counter() - started
        walk.samples.append(samples)
        if self.record_weights:
            walk.weights.append(self.weights_at(inside - t0, samples, before))
        walk.ledger.add_consolidation(walk.memory, coefficients)
        walk.memory.advance(coefficients, self.params)

    def train(self, trial, walk: "Walk") -> None:
        """Simulate a trial's window and put its change into the memory stores."""
        window = trial_window(trial, self.schedule.interventions, not self.fed(trial.start), self.seed)
        result = self.cache.simulate(window, record_raster=self.record_raster)
        genotype = self.schedule.genotype
        received = walk.memory.add_change(self.network.efficacy_change(result), self.params,
                                          arm_enabled="radish" not in genotype,
                                          ltm_enabled="crebB_block" not in genotype)
        walk.ledger.add_window(received, walk.memory)
        if trial.sugar and not self.fed(trial.start):
            walk.y[SIGNAL] += self.params["sugar_consolidation"]
        if self.slow.metabolism is not None:
            costs = walk.ledger.window_costs(received, walk.memory)
            activity = window_activity(result, self.network, costs)
            walk.y[len(GLOBALS):] = self.slow.metabolism.apply_window(walk.y[len(GLOBALS):],
                                                                      activity)
        if not walk.cs_plus_kcs.any():
            walk.cs_plus_kcs = result.kc_counts[0] > 0
            if self.record_raster:
                walk.raster = getattr(result, "kc_raster", None)
        walk.windows.append(self.record(result, trial.start, window.label))

    def test(self, t, walk: "Walk") -> np.ndarray:
        """P(avoid CS+) read through each phase's efficacy."""
        s = self.schedule
        window = test_window(t, s.cs_plus, s.cs_minus, s.interventions, not self.fed(t),
                             self.seed, f"test at {format_time(t - s.training_end)}")
        naive = self.cache.simulate(window)  # the readout balances innate odor drives against it
        probabilities = []
        for phase in TEST_PHASES:
            efficacy = walk.memory.efficacy(self.params, PHASES if phase == "total" else (phase,))
            result = self.cache.simulate(window, efficacy)
            if phase == "total":
                walk.windows.append(self.record(result, t, window.label))
            probabilities.append(self.network.choice_probability(result, naive))
        return np.asarray(probabilities)

    # --- survival -------------------------------------------------------------------
    def survival_sibling(self) -> "Fly":
        """The same fly in the sibling group that is starved from ``survival.starve_from`` on."""
        s = self.schedule
        start = s.survival.starve_from
        feeding = tuple((t, state) for t, state in s.feeding if t < start) + ((start, "starved"),)
        sibling = copy.copy(self)   # same network, parameters, slow layer and window cache
        sibling.schedule = replace(s, feeding=feeding, tests=())
        return sibling

    def follow_survival(self) -> tuple[float, bool]:
        """(death time [s], censored): walk the protocol starved, then starve until death."""
        walk = self.walk(np.empty(0), with_tests=False)
        start = self.schedule.survival.starve_from
        if start > walk.t:
            self.advance(walk, walk.t, start, self.conditions(walk.t, walk.memory))
            walk.t = start
        return self.slow.until_death(walk.y, walk.t, self.schedule.survival,
                                     self.conditions(walk.t, walk.memory))

    # --- summaries ------------------------------------------------------------------
    def weights_at(self, elapsed, samples, before) -> np.ndarray:
        """Mean change per compartment and phase at sample times, from the coefficients."""
        p = self.params
        out = np.empty((len(elapsed), before.shape[0], len(PHASES)))
        out[:, :, 0] = before[None, :, 0] * np.exp(-elapsed / p["tau_labile"])[:, None]
        out[:, :, 1] = before[None, :, 1] * samples[:, ARM][:, None]
        out[:, :, 2] = (before[None, :, 2] * np.exp(-elapsed / p["tau_ltm"])[:, None]
                        + before[None, :, 3] * samples[:, CAPTURE][:, None])
        return out

    def record(self, result, start, label: str) -> WindowRecord:
        """Summary of a window; ``label`` names this occurrence (a cached result may be shared)."""
        window = result.window
        counts = result.spikes_by_type
        rates = {str(k): float(v) / window.duration / max(self.network.type_sizes.get(k, 1), 1)
                 for k, v in counts.items()}
        active = float(np.mean(result.kc_counts.sum(axis=0) > 0)) if result.kc_counts.size else 0.0
        return WindowRecord(label, float(start), window.duration, rates, active)
