"""Memory phases of KC->MBON changes: labile, ARM and LTM per synapse group (KC, compartment).

Each training window's efficacy change ``delta`` (from the plasticity rule) enters three stores,
each a component of the synapse's efficacy, bounded as the synapse is: ``1 + store`` stays in
[``efficacy_min``, ``efficacy_max``] (hard bounds, :func:`bounded`):

* labile (anesthesia-sensitive) memory in two parts, middle-term ``L = bounded(L + delta)``,
  ``dL/dt = -L/tau_labile``, and short-term ``S = bounded(S + stm_gain*delta)``,
  ``dS/dt = -S/tau_stm`` (STM and MTM, Margulies et al. 2005); the labile phase is ``L + S``
  (``stm_gain`` 0: one exponential);
* anesthesia-resistant memory: ``A = bounded(s*tanh((A + arm_fraction*delta)/s))`` (``s`` =
  ``arm_saturation``), ``dA/dt = -A*(1/tau_arm + arm_erasure_rate*P)`` (LTM formation erases ARM,
  Isabel et al. 2004);
* a synaptic tag ``X = tanh(X + delta)`` (bounded by one full efficacy), ``dX/dt = -X*(1/tau_tag + capture_rate*P)``, captured into LTM
  ``dT/dt = capture_rate*P*X - T/tau_ltm`` while the fly-wide consolidation program ``P(t)`` runs;
  ``T`` is bounded at the end of every interval.

Because ``P(t)`` is shared by all synapses, every store is a linear function of its value at the start
of an interval with fly-wide coefficients (``a``, ``x``, ``z``): the slow layer integrates five scalars
and updates the arrays exactly, at a cost independent of the interval's length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import sparse

from ..parameters import Declaration, Declarations, ParameterSet
from ..paths import PARAMS_DIR

PHASES = ("labile", "ARM", "LTM")
#: Quantiles of the CS+ KCs' effective efficacy that results report (median and the 5-95% range).
EFFICACY_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def _p(name: str, dimension: str, meaning: str, low: float, high: float = math.inf):
    return Declaration(name, dimension, low, high, meaning, kind="slow")


MEMORY = Declarations("memory", [
    _p("tau_labile", "time", "decay time of labile (middle-term) memory", 1.0),
    _p("stm_gain", "dimensionless", "short-term memory formed per unit labile change", 0.0, 10.0),
    _p("tau_stm", "time", "decay time of short-term memory", 1.0),
    _p("arm_fraction", "dimensionless", "ARM formed per unit labile change", 0.0, 10.0),
    _p("arm_saturation", "dimensionless", "bound on |ARM| (efficacy units)", 1e-6, 10.0),
    _p("tau_arm", "time", "decay time of ARM", 1.0),
    _p("arm_erasure_rate", "rate", "ARM erasure rate at full consolidation", 0.0),
    _p("tau_tag", "time", "lifetime of a synaptic tag", 1.0),
    _p("capture_rate", "rate", "LTM capture rate at full consolidation", 0.0),
    _p("tau_ltm", "time", "decay time of LTM", 1.0),
    _p("tau_mp1", "time", "length of a post-training MP1 episode", 1.0),
    _p("mp1_episode", "dimensionless", "MP1 activity after a trial", 0.0, 100.0),
    _p("mp1_refractory_time", "time", "recovery of MP1 episodes after a trial", 1e-3),
    _p("mp1_forced", "dimensionless", "MP1 activity under thermogenetic activation", 0.0, 100.0),
    _p("tau_forcing", "time", "onset/offset of thermogenetic manipulation", 1e-3),
    _p("trigger_gain", "dimensionless", "gain of the LTM trigger", 0.0, 1e3),
    _p("tau_consolidation", "time", "integration time of the LTM trigger", 1.0),
    _p("tau_consolidation_decay", "time", "decay of the consolidation signal", 1.0),
    _p("consolidation_threshold", "dimensionless", "half-activation of consolidation", 1e-6, 1e3),
    _p("consolidation_hill", "dimensionless", "steepness of the consolidation switch", 1.0, 20.0),
    _p("sugar_consolidation", "dimensionless", "consolidation kick of sugar in hungry flies",
       0.0, 100.0),
    _p("starved_trigger", "dimensionless", "trigger in starved flies (feeding gate)", 0.0, 1.0),
    _p("efficacy_min", "dimensionless", "lower bound of relative efficacy", 0.0, 1.0),
    _p("efficacy_max", "dimensionless", "upper bound of relative efficacy", 1.0, 100.0),
], PARAMS_DIR / "memory.yaml")


def load_memory_params(path=None) -> ParameterSet:
    """The memory-phase parameter set (``data/params/memory.yaml`` by default)."""
    return ParameterSet.from_file(MEMORY, path or None)


def consolidation_level(signal, params: ParameterSet):
    """Activity ``P`` (0..1) of the LTM program for a consolidation signal (Hill switch)."""
    signal = np.maximum(signal, 0.0)
    n, theta = params["consolidation_hill"], params["consolidation_threshold"]
    return signal**n / (signal**n + theta**n)


def consolidation_slope(signal, params: ParameterSet):
    """d P / d signal of :func:`consolidation_level` (0 for a signal <= 0)."""
    n, theta = params["consolidation_hill"], params["consolidation_threshold"]
    s = np.maximum(signal, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = n * s ** (n - 1) * theta**n / (s**n + theta**n) ** 2
    return np.where(s > 0, slope, 0.0)


def bounded(store, params: ParameterSet):
    """A store (efficacy change) within the synapse's range: ``1 + store`` in [efficacy_min,
    efficacy_max]. A depressed synapse cannot fall below silence nor a potentiated one rise above
    its maximum, however strong the dopamine (hard bounds; assumption)."""
    return np.clip(store, params["efficacy_min"] - 1.0, params["efficacy_max"] - 1.0)


@dataclass
class Coefficients:
    """Fly-wide factors that carry each store across one interval of length ``duration``."""

    duration: float
    arm: float       # A(t) = A0 * arm
    tag: float       # X(t) = X0 * tag
    capture: float   # T(t) = T0 * exp(-t/tau_ltm) + X0 * capture
    captured: float  # integral of capture_rate * P * x: the consolidated amount per unit tag (M1)


@dataclass
class SynapticMemory:
    """The three memory stores and the tag of every synapse group: one entry per (KC,
    compartment) pair that has synapses, in order of compartment, then KC.

    A memory may keep only some KCs (``rows``: those any training window of the protocol changes;
    the others stay naive) and carry a trailing column axis, one column per parameter vector of a
    fit's batch: stores are then (n_synapses, k) and parameters may be (k,) arrays.
    """

    labile: np.ndarray        # middle-term part of the labile memory
    stm: np.ndarray           # short-term part of the labile memory
    arm: np.ndarray
    ltm: np.ndarray
    tag: np.ndarray
    consolidated: np.ndarray  # LTM consolidated under each synapse's current tag (energy accounting)
    kc: np.ndarray            # (n_synapses,) KC of each entry, counted within the kept KCs
    compartment: np.ndarray   # (n_synapses,) compartment of each entry
    shape: tuple[int, int]    # (kept KCs, compartments)
    rows: np.ndarray | None = None  # the KCs kept (None: all)

    @classmethod
    def naive(cls, mask: np.ndarray, columns: int | None = None,
              rows: np.ndarray | None = None) -> "SynapticMemory":
        kept = mask if rows is None else mask[rows]
        compartment, kc = np.nonzero(np.asarray(kept, bool).T)
        zeros = np.zeros((len(kc),) + ((columns,) if columns else ()))
        return cls(zeros.copy(), zeros.copy(), zeros.copy(), zeros.copy(), zeros.copy(),
                   zeros.copy(), kc, compartment, kept.shape, rows)

    @cached_property
    def _compartment_sums(self) -> sparse.csr_matrix:
        n = len(self.kc)
        return sparse.csr_matrix((np.ones(n), (self.compartment, np.arange(n))),
                                 shape=(self.shape[1], n))

    def per_compartment(self, values: np.ndarray) -> np.ndarray:
        """Sum of per-synapse ``values`` (n_synapses[, k]) in each compartment: (n_comp[, k])."""
        return self._compartment_sums @ values

    def store(self, phase: str) -> np.ndarray:
        return {"labile": self.labile + self.stm, "ARM": self.arm, "LTM": self.ltm}[phase]

    def tag_totals(self) -> np.ndarray:
        """Sum of |tag| per compartment (what the LTM program has to consolidate)."""
        return self.per_compartment(np.abs(self.tag))

    def efficacy(self, params: ParameterSet, phases=PHASES) -> np.ndarray:
        """Relative efficacy ``1 + sum of the chosen stores``, bounded, on the (KC, compartment)
        grid of the kept KCs (1 where no synapse exists): (n_kc, n_comp[, k])."""
        change = sum(self.store(p) for p in phases)
        grid = np.ones(self.shape + self.labile.shape[1:])
        grid[self.kc, self.compartment] = np.clip(1.0 + change, params["efficacy_min"],
                                                  params["efficacy_max"])
        return grid

    def add_change(self, delta: np.ndarray, params: ParameterSet, *, arm_enabled: bool = True,
                   ltm_enabled: bool = True) -> dict[str, np.ndarray]:
        """Add one window's change (n_kc, n_compartments[, k]) to the stores; returns the change
        each synapse's phases received."""
        delta = np.asarray(delta, float) if self.rows is None else np.asarray(delta, float)[self.rows]
        delta = delta[self.kc, self.compartment]
        if delta.ndim < self.labile.ndim:   # one change for every column
            delta = delta[:, None]
        labile = bounded(self.labile + delta, params)
        stm = bounded(self.stm + params["stm_gain"] * delta, params)
        received = {"labile": (labile - self.labile) + (stm - self.stm)}
        self.labile, self.stm = labile, stm
        if arm_enabled:
            bound = params["arm_saturation"]
            new_arm = bounded(bound * np.tanh((self.arm + params["arm_fraction"] * delta) / bound),
                              params)
            received["ARM"] = new_arm - self.arm
            self.arm = new_arm
        else:
            received["ARM"] = np.zeros_like(delta)
        if ltm_enabled:
            self.tag = np.tanh(self.tag + delta)  # a synapse cannot be tagged beyond full efficacy
        return received

    def cold_shock(self) -> None:
        """Cold-shock anesthesia erases the anesthesia-sensitive (labile) store, both parts."""
        self.labile[:] = 0.0
        self.stm[:] = 0.0

    def advance(self, coefficients: Coefficients, params: ParameterSet) -> None:
        """Carry the stores across an interval (in place)."""
        duration = coefficients.duration
        self.labile *= np.exp(-duration / params["tau_labile"])
        self.stm *= np.exp(-duration / params["tau_stm"])
        self.arm *= coefficients.arm
        self.ltm = bounded(self.ltm * np.exp(-duration / params["tau_ltm"])
                           + self.tag * coefficients.capture, params)
        self.tag *= coefficients.tag

    def efficacy_at(self, elapsed: np.ndarray, arm: np.ndarray, capture: np.ndarray,
                    kc_selection: np.ndarray, params: ParameterSet) -> tuple[np.ndarray, np.ndarray]:
        """Effective efficacy of the selected KCs' synapses at times ``elapsed`` [s] into the current
        interval (before :meth:`advance` moves the stores), from the coefficients sampled there
        (``arm``, ``capture``: (n_times, k)): all stores together ("total") and each store alone,
        as the mean per compartment (n_times, n_comp, 4, k) and its :data:`EFFICACY_QUANTILES` over
        those synapses (n_times, n_comp, 4, n_quantiles, k). ``kc_selection`` is (n_kc, k); a
        compartment without a selected synapse reports the naive efficacy 1."""
        n_times, columns, n_comp = len(elapsed), arm.shape[1], self.shape[1]
        labile_decay = np.exp(-elapsed / params["tau_labile"])[:, None]
        stm_decay = np.exp(-elapsed / params["tau_stm"])[:, None]
        ltm_decay = np.exp(-elapsed / params["tau_ltm"])[:, None]
        mean = np.ones((n_times, n_comp, 4, columns))
        quantiles = np.ones((n_times, n_comp, 4, len(EFFICACY_QUANTILES), columns))
        selected = kc_selection if self.rows is None else kc_selection[self.rows]
        for j in range(columns):
            chosen = np.flatnonzero(selected[self.kc, j])
            stores = np.stack([self.labile[chosen, j] * labile_decay
                               + self.stm[chosen, j] * stm_decay,
                               self.arm[chosen, j] * arm[:, j, None],
                               bounded(self.ltm[chosen, j] * ltm_decay
                                       + self.tag[chosen, j] * capture[:, j, None], params)])
            efficacy = np.clip(1.0 + np.concatenate([stores.sum(axis=0, keepdims=True), stores]),
                               params["efficacy_min"], params["efficacy_max"])
            compartment = self.compartment[chosen]
            for c in np.unique(compartment):
                values = efficacy[:, :, compartment == c]          # (4, n_times, synapses)
                mean[:, c, :, j] = values.mean(axis=2).T
                quantiles[:, c, :, :, j] = np.quantile(values, EFFICACY_QUANTILES,
                                                       axis=2).transpose(2, 1, 0)
        return mean, quantiles
