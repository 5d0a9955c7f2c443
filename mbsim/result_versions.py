"""Layout versions of run result files, and the conversion of older ones on read.

Version 2 gathers the per-compartment variables of ``/metabolism`` (version 1: one variable per
compartment, ``kc_atp_a'1``) into one variable with a ``compartment`` dimension (``kc_atp``),
like ``/energy`` and ``/weights``; every variable name is then valid in R, MATLAB and CF, and the
compartments' display names are the coordinate's values.
"""

from __future__ import annotations

import re

import numpy as np
import xarray as xr

#: Root attribute ``format`` of the run results this mbsim writes; the number is the layout version.
FORMAT = "mbsim-result/2"
#: Where a version-1 result names its compartments (``mbsim run`` writes both groups).
COMPARTMENT_GROUPS = ("energy", "weights")


def gather_compartments(flat: xr.Dataset, compartments) -> xr.Dataset:
    """``flat`` with each family of variables ``NAME_<compartment>`` (one per compartment, all of
    them present) replaced by one variable ``NAME`` with a trailing ``compartment`` dimension. Its
    units are the family's; its ``long_name`` the first member's without the compartment."""
    compartments = [str(c) for c in compartments]
    families: dict[str, list[str]] = {}
    for name in map(str, flat.data_vars):
        for compartment in compartments:
            if name.endswith(f"_{compartment}"):
                families.setdefault(name[:-len(compartment) - 1], []).append(name)
    gathered = {prefix: [f"{prefix}_{c}" for c in compartments] for prefix, members in families.items()
                if set(members) == {f"{prefix}_{c}" for c in compartments}}
    if not gathered:
        return flat
    members = {name for names in gathered.values() for name in names}
    tidy = flat.drop_vars(sorted(members))
    for prefix, names in gathered.items():
        first = flat[names[0]]
        attrs = {**first.attrs, "long_name": _without_compartment(
            str(first.attrs.get("long_name", prefix)), compartments[0])}
        tidy[prefix] = xr.Variable((*first.dims, "compartment"),
                                   np.stack([flat[name].values for name in names], axis=-1), attrs)
    return tidy.assign_coords(compartment=("compartment", compartments,
                                           {"long_name": "mushroom-body compartment"}))


def _without_compartment(long_name: str, compartment: str) -> str:
    """'KC ATP in a'1' -> 'KC ATP'; '... in KCs, compartment a'1' -> '... in KCs'."""
    return re.sub(rf"(,\s*compartment|\s+in)?\s+{re.escape(compartment)}$", "", long_name)


def upgrade(tree: xr.DataTree) -> xr.DataTree:
    """A run result of layout version 1 in the current layout (root attributes ``format`` set to
    :data:`FORMAT`, ``converted_from`` to the old one); other trees are returned unchanged."""
    if tree.attrs.get("format") != "mbsim-result/1":
        return tree
    upgraded = tree.copy()
    upgraded.attrs = {**tree.attrs, "format": FORMAT, "converted_from": tree.attrs["format"]}
    groups = [tree[name] for name in COMPARTMENT_GROUPS if name in tree.children]
    compartment_groups = [g for g in groups if "compartment" in g.coords]
    if "metabolism" in tree.children and compartment_groups:
        compartments = compartment_groups[0]["compartment"].values
        upgraded["metabolism"] = xr.DataTree(gather_compartments(
            tree["metabolism"].to_dataset(inherit=False), compartments))
    return upgraded
