"""A connectome with the recurrent wiring of another data set, type to type, for tests of the
recurrent circuit on a calibrated network (the default connectome has no recurrent edges)."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd

from mbsim.connectome import Connectome

#: The pathways the FlyWire subset of the shared data holds (it has no MBON->DAN edges).
FLYWIRE_PATHWAYS = (("MBON", "MBON"), ("DAN", "MBON"))


def donor_type(cell_type: str) -> str:
    """The FlyWire name of a hemibrain type: PAM01_a and PAM01_b are FlyWire's PAM01."""
    return re.sub(r"_[a-z]$", "", cell_type)


def with_wiring_of(connectome: Connectome, donor: Connectome,
                   pathways=FLYWIRE_PATHWAYS) -> Connectome:
    """The connectome with the donor's edges of ``pathways`` (class pairs), type to type: each
    neuron of a post type receives from a pre type the donor's mean synapse count per neuron of
    that post type, spread evenly over the connectome's neurons of the pre type (rounded to whole
    synapses; pairs that round to 0, and autapses, are left out)."""
    pairs = donor.pair_weights()
    types = donor.neurons.set_index("id")["cell_type"]
    classes = donor.class_of()
    donor_count = donor.neurons["cell_type"].value_counts()
    neurons = connectome.neurons.assign(donor_type=connectome.neurons["cell_type"].map(donor_type))
    added = []
    for pre_class, post_class in pathways:
        chosen = pairs[(classes.reindex(pairs["pre"]).to_numpy() == pre_class)
                       & (classes.reindex(pairs["post"]).to_numpy() == post_class)]
        totals = chosen.groupby([types.reindex(chosen["pre"]).to_numpy(),
                                 types.reindex(chosen["post"]).to_numpy()])["weight"].sum()
        for (pre_type, post_type), total in totals.items():
            pre = neurons.loc[(neurons["cell_class"] == pre_class)
                              & (neurons["donor_type"] == pre_type), "id"].to_numpy()
            post = neurons.loc[(neurons["cell_class"] == post_class)
                               & (neurons["donor_type"] == post_type), "id"].to_numpy()
            weight = round(total / donor_count[post_type] / max(len(pre), 1))
            if len(pre) and len(post) and weight > 0:
                grid = pd.DataFrame({"pre": np.repeat(pre, len(post)),
                                     "post": np.tile(post, len(pre)),
                                     "weight": np.int64(weight), "roi": ""})
                added.append(grid[grid["pre"] != grid["post"]])
    edges = pd.concat([connectome.edges, *added], ignore_index=True)
    return dataclasses.replace(connectome, name=f"{connectome.name} + {donor.name} feedback",
                               edges=edges, origin="")
