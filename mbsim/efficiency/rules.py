"""A family of plasticity rules with declared, bounded parameters: the fly's rule and its variants.

A :class:`PlasticityRule` says how a proposed efficacy change (a window's coincidence of KC and DAN
activity, :func:`mbsim.network.efficacy_change`) becomes memory:

* ``learning_rate`` x ``compartment_rate[c]`` scale the change of compartment c;
* ``restriction`` and ``plastic_fraction`` choose which changes are made (strategies.py);
* ``error_margin``: an odor whose drive already has the right sign by this margin is not learned
  again (error-driven gating; 10 is off, above any drive the readout reaches);
* ``cache_decay_time`` > 0: changes go to a labile cache decaying with that time, which costs
  ``maintenance_cost`` per unit and hour; a pair whose cached change exceeds
  ``consolidation_threshold`` is consolidated. ``cache_decay_time`` = 0: every change is
  consolidated at once;
* consolidation goes to LTM while the energy availability is at least ``ltm_energy_threshold``
  (values above 1: never), and to ARM (saturating, decaying) otherwise.

The fly's own rule is ``data/params/rule.yaml``; :data:`RULE` declares every parameter with its
bounds, as the model's other parameter groups do (:mod:`mbsim.parameters`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..network.parameters import RATE_COMPARTMENTS
from ..parameters import Declaration, Declarations, ParameterSet, read_entries
from ..paths import PARAMS_DIR

RESTRICTIONS = ("all", "random_mask", "top_k", "top_k_per_mbon")
#: error_margin at or above this is off: no drive reaches it (docs/meta-learning.md).
ERROR_GATE_OFF = 10.0
DEFAULT_FILE = PARAMS_DIR / "rule.yaml"


def _p(name, dimension, low, high, meaning, shape="scalar"):
    keys = RATE_COMPARTMENTS if shape == "per_compartment" else ()
    return Declaration(name, dimension, low, high, meaning, kind="slow", shape=shape, keys=keys)


RULE = Declarations("rule", [
    _p("learning_rate", "dimensionless", 0.0, 100.0, "scale of every proposed change"),
    _p("compartment_rate", "dimensionless", 0.0, 100.0, "scale of the changes of one compartment",
       "per_compartment"),
    _p("plastic_fraction", "dimensionless", 0.0, 1.0, "fraction P of plastic pairs (restrictions)"),
    _p("cache_decay_time", "time", 0.0, 365 * 86400.0, "decay time of the labile cache (0: none)"),
    _p("consolidation_threshold", "dimensionless", 0.0, 10.0,
       "cached |change| at which a pair is consolidated"),
    _p("maintenance_cost", "rate", 0.0, 1.0, "cost of holding one unit of cached change per second"),
    _p("ltm_energy_threshold", "dimensionless", 0.0, 2.0,
       "energy availability from which consolidation goes to LTM instead of ARM (> 1: never)"),
    _p("error_margin", "dimensionless", 0.0, ERROR_GATE_OFF,
       "drive margin above which an odor is not learned again (10: off)"),
], DEFAULT_FILE)
#: The rule's scalar numbers, in declaration order (the per-compartment rates and the restriction
#: are held apart).
SCALARS = tuple(name for name in RULE.names if name != "compartment_rate")


@dataclass(frozen=True)
class PlasticityRule:
    """One rule: a restriction strategy and the checked SI values of :data:`RULE`."""

    restriction: str
    values: ParameterSet
    name: str = ""

    def __getattr__(self, key):
        if key in RULE:
            return self.values[key]
        raise AttributeError(key)

    @property
    def caches(self) -> bool:
        return self.values["cache_decay_time"] > 0

    def rates(self, compartments) -> np.ndarray:
        """learning_rate x compartment_rate of each compartment (1 for names the rule does not list)."""
        per = self.values["compartment_rate"]
        return self.values["learning_rate"] * np.array([per.get(c, 1.0) for c in compartments])

    def updated(self, changes: dict, name: str | None = None) -> "PlasticityRule":
        """A new rule with SI values replaced: scalars by name, ``compartment_rate.<c>`` per
        compartment, ``restriction`` by its name; each value is checked against its bounds."""
        changes = dict(changes)
        restriction = check_restriction(changes.pop("restriction", self.restriction),
                                        {"field": "restriction"})
        per = {key.partition(".")[2]: changes.pop(key) for key in list(changes)
               if key.startswith("compartment_rate.")}
        unknown = set(per) - set(RATE_COMPARTMENTS)
        if unknown:
            raise InputError(found=f"compartment_rate.{sorted(unknown)[0]}",
                             expected="a compartment of " + ", ".join(RATE_COMPARTMENTS),
                             field="compartment_rate")
        if per:
            changes["compartment_rate"] = {**self.values["compartment_rate"], **per}
        values = self.values.updated(changes) if changes else self.values
        return PlasticityRule(restriction, values, self.name if name is None else name)

    def as_dict(self) -> dict:
        """Plain numbers (SI) of every parameter, compartment rates as ``compartment_rate.<c>``."""
        out = {"restriction": self.restriction}
        out.update({key: float(self.values[key]) for key in SCALARS})
        out.update({f"compartment_rate.{c}": float(v)
                    for c, v in self.values["compartment_rate"].items()})
        return out


def check_restriction(value, where: dict) -> str:
    if value not in RESTRICTIONS:
        raise InputError(found=repr(value), expected="one of " + ", ".join(RESTRICTIONS), **where)
    return value


def load_rule(path: str | Path | None = None) -> PlasticityRule:
    """A rule file (``{value, source}`` entries, as the other parameter files); default: the fly's."""
    path = Path(path) if path is not None else DEFAULT_FILE
    name, entries = read_entries(path, RULE.names + ("restriction",), "rule")
    restriction = check_restriction(entries["restriction"].value, entries["restriction"].where(path))
    values = {key: RULE[key].convert(entries[key].value, entries[key].where(path),
                                     key_lines=entries[key].key_lines()) for key in RULE.names}
    sources = {key: entries[key].source for key in RULE.names}
    return PlasticityRule(restriction, ParameterSet(RULE, values, sources, name, str(path)), name)


def unmodified_rule() -> PlasticityRule:
    """Every change made at once, no cache, no gates: the unmodified network of
    docs/energy-efficiency.md (consolidated into LTM whatever the energy)."""
    fly = load_rule()
    return fly.updated({"cache_decay_time": 0.0, "ltm_energy_threshold": 0.0,
                        "error_margin": ERROR_GATE_OFF, "restriction": "all",
                        "plastic_fraction": 1.0}, name="unmodified")
