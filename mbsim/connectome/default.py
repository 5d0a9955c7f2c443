"""The embedded default connectome: a seeded draw from hemibrain v1.2.1 type-level statistics.

The tables in ``connectome/default/`` (made by :mod:`mbsim.connectome.default_stats`) give neuron
counts per group, PN partners per KC and per (pre group, post group) connection probabilities and
synapse-count moments. :func:`load_default` builds a :class:`Connectome` with any KC count; KC
subtype counts scale proportionally, every other group keeps its hemibrain count.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from ..errors import InputError
from ..paths import CONNECTOME_DIR
from .core import NEURON_COLUMNS, Connectome
from .tables import build, make_edges

KC_RANGE = (500, 20000)
DEFAULT_DIR = CONNECTOME_DIR / "default"
NEURONS_TABLE = "neurons.csv"
PAIRS_TABLE = "pairs.csv"
PN_INPUTS_TABLE = "kc_pn_inputs.csv"


@lru_cache(maxsize=1)
def default_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The neuron, pair and PN-input tables of the default (read once)."""
    neurons = pd.read_csv(DEFAULT_DIR / NEURONS_TABLE, dtype={c: str for c in NEURON_COLUMNS},
                          keep_default_na=False)
    pairs = pd.read_csv(DEFAULT_DIR / PAIRS_TABLE, keep_default_na=False)
    inputs = pd.read_csv(DEFAULT_DIR / PN_INPUTS_TABLE, keep_default_na=False)
    return neurons, pairs, inputs


def scaled_counts(counts: pd.Series, total: int) -> np.ndarray:
    """Integer counts proportional to ``counts`` summing exactly to ``total`` (largest remainder)."""
    exact = counts.to_numpy(dtype=float) * total / counts.sum()
    result = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - result), kind="stable")
    result[order[: total - result.sum()]] += 1
    return result


def load_default(n_kc: int | None = None, seed: int = 0) -> Connectome:
    """Draw the default MB connectome with ``n_kc`` KCs (hemibrain count when None) from ``seed``."""
    groups, pairs, inputs = default_tables()
    counts = groups["count"].to_numpy().copy()
    kc = (groups["cell_class"] == "KC").to_numpy()
    if n_kc is not None:
        if isinstance(n_kc, bool) or not isinstance(n_kc, (int, np.integer)) or \
                not KC_RANGE[0] <= n_kc <= KC_RANGE[1]:
            raise InputError(found=f"n_kc = {n_kc!r}", expected=f"an integer from {KC_RANGE[0]} "
                             f"to {KC_RANGE[1]}", field="n_kc", example="2000")
        counts[kc] = scaled_counts(groups.loc[kc, "count"], int(n_kc))
    rng = np.random.default_rng(seed)
    members = _members(groups["group"], counts)
    neurons = groups.loc[groups.index.repeat(counts), list(NEURON_COLUMNS[1:])]
    neurons.insert(0, "id", np.arange(1, counts.sum() + 1, dtype=np.int64))
    neurons = neurons.reset_index(drop=True)
    cls = groups.set_index("group")["cell_class"]
    is_pn_kc = ((cls.reindex(pairs["pre_group"]).to_numpy() == "PN")
                & (cls.reindex(pairs["post_group"]).to_numpy() == "KC"))
    parts = [_bernoulli_edges(row, members, rng) for row in pairs[~is_pn_kc].itertuples()]
    parts.append(_pn_kc_edges(pairs[is_pn_kc], inputs, members, rng))
    pre, post, weight = (np.concatenate([p[i] for p in parts]) for i in range(3))
    name = "default_hemibrain_v1.2.1" + ("" if n_kc is None else f"_{n_kc}kc") + f"_seed{seed}"
    return build(name, neurons, make_edges(pre + 1, post + 1, weight),
                 f"mbsim default drawn from {DEFAULT_DIR} (hemibrain v1.2.1, Scheffer et al. 2020)")


def _members(group_names: pd.Series, counts: np.ndarray) -> dict[str, np.ndarray]:
    """Row indices (id - 1) of the neurons of each group."""
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return {g: np.arange(s, s + n) for g, s, n in zip(group_names, starts, counts)}


def synapse_counts(mean: float, var: float, size: int, rng: np.random.Generator) -> np.ndarray:
    """Synapse counts >= 1 with the given mean and variance (1 + negative binomial or Poisson)."""
    shifted = mean - 1.0
    if shifted <= 0:
        return np.ones(size, dtype=np.int64)
    if var <= shifted:
        return 1 + rng.poisson(shifted, size)
    r = shifted ** 2 / (var - shifted)
    return 1 + rng.negative_binomial(r, r / (r + shifted), size)


def _bernoulli_edges(row, members, rng):
    """Connect every (pre, post) of two groups independently with the group-pair probability."""
    pre_ids, post_ids = members[row.pre_group], members[row.post_group]
    hit = rng.random((len(pre_ids), len(post_ids))) < row.probability
    if row.pre_group == row.post_group:
        np.fill_diagonal(hit, False)
    i, j = np.nonzero(hit)
    return pre_ids[i], post_ids[j], synapse_counts(row.synapse_mean, row.synapse_var, len(i), rng)


def _pn_kc_edges(pn_kc: pd.DataFrame, inputs: pd.DataFrame, members, rng):
    """PN->KC claws: each KC draws its number of PN partners from its subtype's histogram, then
    that many distinct PNs with the subtype's PN-type frequencies."""
    pre, post, weight = [], [], []
    for subtype, rows in pn_kc.groupby("post_group"):
        kcs = members[subtype]
        histogram = inputs[inputs["kc_subtype"] == subtype]
        n_inputs = rng.choice(histogram["pn_inputs"].to_numpy(), size=len(kcs),
                              p=histogram["kcs"].to_numpy() / histogram["kcs"].sum())
        pn_ids = np.concatenate([members[g] for g in rows["pre_group"]])
        per_pn = np.concatenate([np.full(len(members[g]), n / len(members[g]))
                                 for g, n in zip(rows["pre_group"], rows["pairs"])])
        row_of_pn = np.repeat(np.arange(len(rows)), [len(members[g]) for g in rows["pre_group"]])
        n_inputs = np.minimum(n_inputs, len(pn_ids))
        # Gumbel top-k: k distinct PNs per KC drawn with probability proportional to per_pn.
        keys = np.log(per_pn)[None, :] - np.log(-np.log(rng.random((len(kcs), len(pn_ids)))))
        ranked = np.argsort(-keys, axis=1)
        take = np.arange(len(pn_ids))[None, :] < n_inputs[:, None]
        kc_index, rank = np.nonzero(take)
        chosen = ranked[kc_index, rank]
        means = rows["synapse_mean"].to_numpy()[row_of_pn[chosen]]
        variances = rows["synapse_var"].to_numpy()[row_of_pn[chosen]]
        pre.append(pn_ids[chosen])
        post.append(kcs[kc_index])
        weight.append(_synapses_per_row(means, variances, rng))
    return np.concatenate(pre), np.concatenate(post), np.concatenate(weight)


def _synapses_per_row(means: np.ndarray, variances: np.ndarray, rng) -> np.ndarray:
    """:func:`synapse_counts` for arrays of (mean, variance), one draw each."""
    out = np.ones(len(means), dtype=np.int64)
    groups = pd.Series(range(len(means))).groupby([means, variances]).groups
    for (mean, var), index in groups.items():
        out[index.to_numpy()] = synapse_counts(mean, var, len(index), rng)
    return out
