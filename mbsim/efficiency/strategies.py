"""Which proposed updates a network makes: all, a fixed random mask, or the largest ones.

Each strategy sees one trial's *applied* changes (proposed changes after the efficacy bounds, on the
flattened (KC, compartment) pairs they touch) and returns which of them are made. The plastic unit is
the (KC, compartment) efficacy, shared by the MBONs of a compartment, so "per MBON" selection is
per compartment. Fractions P are of all (KC, compartment) pairs that have synapses.
"""

from __future__ import annotations

import math

import numpy as np

from .task import OdorTask

STRATEGIES = ("all", "random_mask", "top_k", "top_k_per_mbon", "caching")


class AllPlastic:
    """Every update is made (the unmodified network, P = 1)."""

    def select(self, index: np.ndarray, applied: np.ndarray) -> np.ndarray:
        return np.ones(len(index), dtype=bool)


class RandomMask:
    """A fixed random set of plastic pairs (each plastic with probability P), drawn once per run."""

    def __init__(self, task: OdorTask, fraction: float, rng: np.random.Generator):
        self.mask = task.plastic & (rng.random(task.plastic.shape) < fraction)

    def select(self, index, applied):
        return self.mask[index]


class TopK:
    """The k = ceil(P * plastic pairs) largest |updates| of the trial, network-wide."""

    def __init__(self, task: OdorTask, fraction: float):
        self.k = max(1, math.ceil(fraction * task.n_plastic))

    def select(self, index, applied):
        return _largest(np.abs(applied), self.k)


class TopKPerCompartment:
    """In each compartment, the ceil(P * its plastic pairs) largest |updates| of the trial."""

    def __init__(self, task: OdorTask, fraction: float):
        per_compartment = np.bincount(task.compartment_of[task.plastic],
                                      minlength=len(task.compartments))
        self.k = np.maximum(1, np.ceil(fraction * per_compartment)).astype(np.int64)
        self.compartment_of = task.compartment_of

    def select(self, index, applied):
        keep = np.zeros(len(index), dtype=bool)
        compartment = self.compartment_of[index]
        magnitude = np.abs(applied)
        for c in np.unique(compartment):
            members = np.flatnonzero(compartment == c)
            keep[members[_largest(magnitude[members], int(self.k[c]))]] = True
        return keep


def _largest(magnitude: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of the k largest non-zero entries (all non-zero ones if fewer)."""
    keep = magnitude > 0
    if keep.sum() <= k:
        return keep
    chosen = np.argpartition(-magnitude, k - 1)[:k]
    out = np.zeros(len(magnitude), dtype=bool)
    out[chosen] = True
    return out


def make_selector(strategy: str, task: OdorTask, fraction: float, rng: np.random.Generator):
    """The selector of a restriction strategy (``caching`` is a learning rule, see learning.py)."""
    if strategy == "all":
        return AllPlastic()
    if strategy == "random_mask":
        return RandomMask(task, fraction, rng)
    if strategy == "top_k":
        return TopK(task, fraction)
    if strategy == "top_k_per_mbon":
        return TopKPerCompartment(task, fraction)
    raise ValueError(f"unknown restriction strategy {strategy!r}; one of {STRATEGIES[:4]}")
