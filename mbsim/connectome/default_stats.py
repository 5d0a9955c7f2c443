"""Type-level statistics of a real MB connectome, written as the small tables of the default.

Run ``python -m mbsim.connectome.default_stats FOLDER [--out DIR]`` on the hemibrain v1.2.1 MB
export to regenerate ``connectome/default/``. Neurons are grouped by KC subtype, PN type, or
cell type and side for the other classes; the tables hold counts per group, the number of PN
partners per KC and, per (pre group, post group), the connection probability and the mean and
variance of the synapse count per connected pair.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from .core import CELL_CLASSES, NEURON_COLUMNS, Connectome
from .default import DEFAULT_DIR, NEURONS_TABLE, PAIRS_TABLE, PN_INPUTS_TABLE
from .neuprint import load_neuprint


def group_of(neurons: pd.DataFrame) -> pd.Series:
    """The statistics group of each neuron: KC subtype, PN type, otherwise ``type|side``."""
    group = neurons["cell_type"] + "|" + neurons["side"]
    group = group.mask(neurons["cell_class"] == "PN", neurons["cell_type"])
    return group.mask(neurons["cell_class"] == "KC", neurons["subtype"])


def neuron_counts(connectome: Connectome) -> pd.DataFrame:
    """One row per group with its MB columns and the number of neurons in it."""
    neurons = connectome.neurons.assign(group=group_of(connectome.neurons))
    kc = neurons["cell_class"] == "KC"
    neurons.loc[kc, "cell_type"] = neurons.loc[kc, "subtype"]
    columns = ["group"] + [c for c in NEURON_COLUMNS if c != "id"]
    counts = neurons.groupby(columns, sort=False).size().rename("count").reset_index()
    if counts["group"].duplicated().any():
        raise ValueError("a statistics group mixes neurons with different MB columns")
    order = counts["cell_class"].map({c: i for i, c in enumerate(CELL_CLASSES)})
    return counts.assign(order=order).sort_values(["order", "group"]).drop(columns="order")


def pair_statistics(connectome: Connectome) -> pd.DataFrame:
    """Per (pre group, post group) with at least one connection: pairs, probability, synapses."""
    groups = group_of(connectome.neurons)
    group_by_id = pd.Series(groups.to_numpy(), index=connectome.neurons["id"].to_numpy())
    sizes = groups.value_counts()
    pairs = connectome.pair_weights()
    pairs = pairs.assign(pre_group=group_by_id.reindex(pairs["pre"]).to_numpy(),
                         post_group=group_by_id.reindex(pairs["post"]).to_numpy())
    stats = (pairs.groupby(["pre_group", "post_group"])["weight"]
             .agg(pairs="size", synapse_mean="mean", synapse_var=lambda w: w.var(ddof=0))
             .reset_index())
    n_pre = sizes.reindex(stats["pre_group"]).to_numpy()
    n_post = sizes.reindex(stats["post_group"]).to_numpy()
    self_pairs = np.where(stats["pre_group"] == stats["post_group"], n_pre, 0)
    stats["probability"] = stats["pairs"] / (n_pre * n_post - self_pairs)
    stats["synapse_mean"] = stats["synapse_mean"].round(3)
    stats["synapse_var"] = stats["synapse_var"].round(3)
    stats["probability"] = stats["probability"].round(6)
    return stats[["pre_group", "post_group", "pairs", "probability", "synapse_mean", "synapse_var"]]


def kc_pn_inputs(connectome: Connectome) -> pd.DataFrame:
    """Histogram of the number of distinct PN partners per KC, per KC subtype."""
    neurons = connectome.neurons
    kcs = neurons[neurons["cell_class"] == "KC"]
    pn_ids = neurons.loc[neurons["cell_class"] == "PN", "id"]
    pairs = connectome.pair_weights()
    pn_pairs = pairs[pairs["pre"].isin(pn_ids)]
    inputs = pn_pairs.groupby("post").size().reindex(kcs["id"], fill_value=0)
    table = pd.DataFrame({"kc_subtype": kcs["subtype"].to_numpy(), "pn_inputs": inputs.to_numpy()})
    return (table.groupby(["kc_subtype", "pn_inputs"]).size().rename("kcs").reset_index())


def write_tables(connectome: Connectome, out: Path) -> dict[str, Path]:
    """Write the three default tables into ``out`` and return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    tables = {NEURONS_TABLE: neuron_counts(connectome), PAIRS_TABLE: pair_statistics(connectome),
              PN_INPUTS_TABLE: kc_pn_inputs(connectome)}
    paths = {}
    for name, table in tables.items():
        paths[name] = out / name
        table.to_csv(paths[name], index=False, lineterminator="\n")
    return paths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="neuPrint export of the mushroom body")
    parser.add_argument("--out", type=Path, default=DEFAULT_DIR, help="output folder")
    args = parser.parse_args(argv)
    for path in write_tables(load_neuprint(args.folder), args.out).values():
        print(f"{path}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
