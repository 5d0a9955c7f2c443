"""Which proposed updates a network makes: all, a fixed random mask, or the largest ones.

Each strategy sees one trial's *applied* changes (proposed changes after the bounds, on the flattened
plastic units they touch) and returns which of them are made. A :class:`PlasticLayout` says which
units exist and how they group: in the MB the unit is the (KC, compartment) efficacy, shared by the
MBONs of a compartment, so "per MBON" selection is per compartment; in an artificial network the unit
is a weight and its group the postsynaptic neuron. Fractions P are of all plastic units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

STRATEGIES = ("all", "random_mask", "top_k", "top_k_per_mbon", "caching")


@dataclass(frozen=True)
class PlasticLayout:
    """The plastic units of a network: which flat units exist, and the group (MB compartment or
    postsynaptic neuron) of each."""

    plastic: np.ndarray    # flat bool
    group_of: np.ndarray   # flat int group index
    n_groups: int

    @property
    def n_plastic(self) -> int:
        return int(self.plastic.sum())


class AllPlastic:
    """Every update is made (the unmodified network, P = 1)."""

    def select(self, index: np.ndarray, applied: np.ndarray) -> np.ndarray:
        return np.ones(len(index), dtype=bool)


class RandomMask:
    """A fixed random set of plastic pairs (each plastic with probability P), drawn once per run."""

    def __init__(self, layout: PlasticLayout, fraction: float, rng: np.random.Generator):
        self.mask = layout.plastic & (rng.random(layout.plastic.shape) < fraction)

    def select(self, index, applied):
        return self.mask[index]


class TopK:
    """The k = ceil(P * plastic pairs) largest |updates| of the trial, network-wide."""

    def __init__(self, layout: PlasticLayout, fraction: float):
        self.k = max(1, math.ceil(fraction * layout.n_plastic))

    def select(self, index, applied):
        return _largest(np.abs(applied), self.k)


class TopKPerGroup:
    """In each group (MB compartment, or postsynaptic neuron), the ceil(P * its plastic units)
    largest |updates| of the trial."""

    def __init__(self, layout: PlasticLayout, fraction: float):
        per_group = np.bincount(layout.group_of[layout.plastic], minlength=layout.n_groups)
        self.k = np.maximum(1, np.ceil(fraction * per_group)).astype(np.int64)
        self.group_of = layout.group_of

    def select(self, index, applied):
        keep = np.zeros(len(index), dtype=bool)
        group = self.group_of[index]
        magnitude = np.abs(applied)
        order = np.argsort(group, kind="stable")   # each group's members in index order
        groups, starts = np.unique(group[order], return_index=True)
        for c, members in zip(groups, np.split(order, starts[1:])):
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


def make_selector(strategy: str, layout: PlasticLayout, fraction: float, rng: np.random.Generator):
    """The selector of a restriction strategy (``caching`` is a learning rule, see learning.py)."""
    if strategy == "all":
        return AllPlastic()
    if strategy == "random_mask":
        return RandomMask(layout, fraction, rng)
    if strategy == "top_k":
        return TopK(layout, fraction)
    if strategy == "top_k_per_mbon":
        return TopKPerGroup(layout, fraction)
    raise ValueError(f"unknown restriction strategy {strategy!r}; one of {STRATEGIES[:4]}")
