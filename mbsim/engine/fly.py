"""One virtual fly through a protocol: spiking windows where something happens, the slow layer between.

The loop walks the schedule's breakpoints in time order. Between two breakpoints the slow layer
integrates with constant conditions (feeding, drugs, forcing); at a breakpoint the instant events act:
a trial's window is simulated (cached) and its plastic change enters the memory stores, a cold shock
erases labile memory, a test reads the MBONs through each phase's efficacy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .energy import PlasticityLedger, window_activity
from .memory import PHASES, SynapticMemory
from .slow import ARM, CAPTURE, GLOBALS, Conditions, SlowLayer
from .windows import GATING_DAN_NAMES, WindowCache, test_window, trial_window

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


class Fly:
    """Simulates one fly (one network seed) through a schedule.

    ``network`` is a :class:`~mbsim.engine.network_view.NetworkView` (or anything with its methods):
    ``simulate``, ``efficacy_change``, ``choice_probability`` and the KC/compartment layout.
    """

    def __init__(self, network, schedule, memory_params, metabolism=None, seed: int = 0,
                 alpha: float = 0.5, record_raster: bool = False):
        self.network, self.schedule = network, schedule
        self.params = memory_params
        self.slow = SlowLayer(memory_params, metabolism)
        self.seed, self.alpha, self.record_raster = seed, alpha, record_raster
        self.cache = WindowCache(network)

    # --- conditions ----------------------------------------------------------------
    def fed(self, t: float) -> bool:
        survival = self.schedule.survival
        if survival is not None and t >= survival.starve_from:
            return False
        return self.schedule.feeding_at(t)[0] == "fed"

    def conditions(self, t: float, memory: SynapticMemory) -> Conditions:
        forcing = None
        protein_synthesis = True
        for item in self.schedule.interventions_at(t):
            if item.kind == "cycloheximide":
                protein_synthesis = False
            elif item.kind in ("activate", "block") and GATING_DAN_NAMES & set(item.targets):
                forcing = item.kind
        return Conditions(fed=self.fed(t), protein_synthesis=protein_synthesis,
                          ltm_enabled="crebB_block" not in self.schedule.genotype,
                          mp1_forcing=forcing,
                          tag_total=np.abs(memory.tag).sum(axis=0))

    def start_time(self) -> float:
        """Where the slow layer starts: training, or earlier when feeding changes before it."""
        starts = [t for t, _ in self.schedule.feeding if np.isfinite(t)]
        return min([0.0, *starts])

    def breakpoints(self, end: float) -> np.ndarray:
        s = self.schedule
        times = [self.start_time(), 0.0, end]
        for trial in s.trials:
            times += [trial.start, trial.start + trial.stimulus_duration]
        times += list(s.tests) + [start for start, _ in s.feeding]
        for item in s.interventions:
            times += [item.start, item.stop]
        if s.survival is not None:
            times.append(s.survival.starve_from)
        times = np.asarray(times, dtype=float)
        return np.unique(times[np.isfinite(times) & (times >= self.start_time()) & (times <= end)])

    # --- the loop ------------------------------------------------------------------
    def run(self, sample_times: np.ndarray) -> FlyOutcome:
        s, p = self.schedule, self.params
        memory = SynapticMemory.naive(self.network.kc_compartment_mask)
        cs_plus_kcs = np.zeros(self.network.n_kc, dtype=bool)
        rng = np.random.default_rng(self.seed)
        end = self.end_time()
        points = self.breakpoints(end)
        y = self.slow.initial_state(self.fed(points[0]), rng)
        ledger = PlasticityLedger.empty(self.network.compartments, self.alpha)
        starts = {round(t.start, 9): t for t in s.trials}
        ends = {round(t.start + t.stimulus_duration, 9): t for t in s.trials}
        tests = {round(t, 9): i for i, t in enumerate(s.tests)}
        p_avoid = np.full((len(s.tests), len(TEST_PHASES)), np.nan)
        windows, raster = [], None
        all_samples, all_weights = [], []
        for t0, t1 in zip(points[:-1], points[1:]):
            self.at_breakpoint(t0, y, memory, starts, p)
            conditions = self.conditions(0.5 * (t0 + t1), memory)
            inside = sample_times[(sample_times > t0) & (sample_times <= t1)]
            before = memory.compartment_means(cs_plus_kcs)
            y, coefficients, samples = self.slow.advance(t0, t1, y, conditions, inside)
            all_samples.append(samples)
            all_weights.append(self.weights_at(inside - t0, samples, before))
            ledger.add_consolidation(memory, coefficients)
            memory.advance(coefficients, p)
            key = round(t1, 9)
            if key in ends:
                result, y = self.train(ends[key], memory, y, ledger)
                if not cs_plus_kcs.any():
                    cs_plus_kcs = result.kc_counts[0] > 0
                    if self.record_raster:
                        raster = getattr(result, "kc_raster", None)
                windows.append(self.record(result, ends[key].start))
                y[0] = 0.0 if conditions.mp1_forcing == "block" else max(y[0], p["mp1_episode"])
            for item in s.interventions:
                if item.kind == "cold_shock" and round(item.start, 9) == key:
                    memory.cold_shock()
            if key in tests:
                p_avoid[tests[key]] = self.test(t1, memory, windows)
        death_time, censored = self.survival(y, points[-1], memory, ledger)
        return FlyOutcome(p_avoid, windows, sample_times, np.concatenate(all_samples),
                          np.concatenate(all_weights), ledger,
                          self.slow.metabolism.ledger(y[len(GLOBALS):])
                          if self.slow.metabolism is not None else None,
                          death_time, censored, raster)

    def end_time(self) -> float:
        s = self.schedule
        last = max([s.training_end, *s.tests])
        return last

    def at_breakpoint(self, t, y, memory, starts, p) -> None:
        """Instant effects at the start of an interval: a trial starting interrupts MP1 episodes."""
        if round(t, 9) in starts and self.conditions(t, memory).mp1_forcing is None:
            y[0] = 0.0

    def train(self, trial, memory, y, ledger):
        """Simulate a trial's window and put its change into the memory stores."""
        window = trial_window(trial, self.schedule.interventions, not self.fed(trial.start), self.seed)
        result = self.cache.simulate(window)
        delta = self.network.efficacy_change(result)
        genotype = self.schedule.genotype
        received = memory.add_change(delta, self.params, arm_enabled="radish" not in genotype,
                                     ltm_enabled="crebB_block" not in genotype)
        ledger.add_window(received)
        if trial.sugar and not self.fed(trial.start):
            y[1] += self.params["sugar_consolidation"]
        if self.slow.metabolism is not None:
            activity = window_activity(result, self.network, ledger.window_costs(received))
            y[len(GLOBALS):] = self.slow.metabolism.apply_window(y[len(GLOBALS):], activity)
        return result, y

    def test(self, t, memory, windows) -> np.ndarray:
        """P(avoid CS+) read through each phase's efficacy."""
        s = self.schedule
        starved = not self.fed(t)
        probabilities = []
        for phase in TEST_PHASES:
            phases = PHASES if phase == "total" else (phase,)
            efficacy = memory.efficacy(self.params, phases)
            window = test_window(t, s.cs_plus, s.cs_minus, s.interventions, starved, self.seed,
                                 f"test {phase} at {t:.0f} s")
            result = self.cache.simulate(window, efficacy)
            if phase == "total":
                windows.append(self.record(result, t))
            probabilities.append(self.network.choice_probability(result))
        return np.asarray(probabilities)

    def survival(self, y, t, memory, ledger):
        """Starve after the protocol until death or the horizon (only if the protocol asks)."""
        s = self.schedule
        if s.survival is None or self.slow.metabolism is None:
            return np.nan, True
        from .survival_run import starve_until_death
        if s.survival.starve_from > t:
            y, coefficients, _ = self.slow.advance(t, s.survival.starve_from, y,
                                                   self.conditions(t, memory))
            ledger.add_consolidation(memory, coefficients)
            memory.advance(coefficients, self.params)
            t = s.survival.starve_from
        return starve_until_death(self.slow, y, t, s.survival, self.conditions(t, memory))

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

    def record(self, result, start) -> WindowRecord:
        window = result.window
        counts = result.spikes_by_type
        rates = {str(k): float(v) / window.duration / max(self.network.type_sizes.get(k, 1), 1)
                 for k, v in counts.items()}
        active = float(np.mean(result.kc_counts.sum(axis=0) > 0)) if result.kc_counts.size else 0.0
        return WindowRecord(window.label, float(start), window.duration, rates, active)
