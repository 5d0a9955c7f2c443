"""The typed parameter set of the spiking network, read from a YAML file with units and sources.

Every entry of ``data/params/network.yaml`` has a ``value`` with a unit ("10 ms", "-60 mV") and a
``source`` (a paper or the word "assumption"). :func:`load_parameters` checks dimensions and ranges
and names the file, line and field of any bad entry; the result is a frozen :class:`NetworkParameters`
holding SI floats (and, for per-compartment rates, a mapping compartment -> float).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import yaml

from ..errors import InputError
from ..parameters import Entry, read_entries
from ..paths import PARAMS_DIR
from ..units import parse_quantity

DEFAULT_FILE = PARAMS_DIR / "network.yaml"
#: Compartments every per-compartment rate must list (lobe compartments and the peduncle).
RATE_COMPARTMENTS = ("g1", "g2", "g3", "g4", "g5", "b'1", "b'2", "a'1", "a'2", "a'3",
                     "a1", "a2", "a3", "b1", "b2", "pedc")


def _p(dimension: str, low: float, high: float, compiled: bool = True):
    """A field holding a quantity of ``dimension`` in [low, high] (SI); ``compiled=False`` marks
    parameters used outside the compiled network (inputs, plasticity, readout)."""
    return field(metadata={"dimension": dimension, "range": (low, high), "compiled": compiled})


@dataclass(frozen=True)
class NetworkParameters:
    """All numbers of the spiking network in SI units; see the YAML file for meaning and sources."""

    # simulation
    time_step: float = _p("time", 1e-6, 1e-3)
    chunk_duration: float = _p("time", 0.1, 60.0)
    input_resolution: float = _p("time", 1e-4, 0.1)
    noise_interval: float = _p("time", 1e-5, 0.01)
    # projection neurons (odor input)
    pn_max_rate: float = _p("rate", 1.0, 1000.0, compiled=False)
    pn_half_rate: float = _p("rate", 0.1, 500.0, compiled=False)
    pn_lateral_inhibition: float = _p("dimensionless", 0.0, 100.0, compiled=False)
    pn_inhibition_reference: float = _p("rate", 1.0, 1e4, compiled=False)
    pn_spontaneous_rate: float = _p("rate", 0.0, 100.0, compiled=False)
    synthetic_response_fraction: float = _p("dimensionless", 0.0, 1.0, compiled=False)
    synthetic_response_mean: float = _p("rate", 0.0, 500.0, compiled=False)
    synthetic_response_spread: float = _p("rate", 0.0, 500.0, compiled=False)
    synthetic_spontaneous_rate: float = _p("rate", 0.0, 100.0, compiled=False)
    # Kenyon cells
    kc_capacitance: float = _p("capacitance", 1e-13, 1e-9)
    kc_leak_conductance: float = _p("conductance", 1e-11, 1e-7)
    kc_rest: float = _p("voltage", -0.1, -0.02)
    kc_threshold: float = _p("voltage", -0.08, 0.0)
    kc_reset: float = _p("voltage", -0.1, -0.02)
    kc_synapse_tau: float = _p("time", 1e-4, 0.2)
    kc_adaptation_tau: float = _p("time", 1e-3, 10.0)
    kc_adaptation_increment: float = _p("current", 0.0, 1e-9)
    pn_kc_current: float = _p("current", 0.0, 1e-9)
    pn_kc_compensation: float = _p("dimensionless", 0.0, 1.0)
    # APL
    apl_tau: float = _p("time", 1e-3, 1.0)
    kc_apl_increment: float = _p("dimensionless", 0.0, 10.0)
    apl_kc_current: float = _p("current", 0.0, 1e-9)
    apl_kc_mirroring: float = _p("dimensionless", 0.0, 1.0)
    # MBONs
    mbon_capacitance: float = _p("capacitance", 1e-13, 1e-9)
    mbon_leak_conductance: float = _p("conductance", 1e-11, 1e-7)
    mbon_rest: float = _p("voltage", -0.1, -0.02)
    mbon_threshold: float = _p("voltage", -0.08, 0.0)
    mbon_reset: float = _p("voltage", -0.1, -0.02)
    mbon_synapse_tau: float = _p("time", 1e-4, 0.2)
    mbon_bias_current: float = _p("current", -1e-9, 1e-9)
    mbon_noise: float = _p("voltage", 0.0, 0.05)
    kc_mbon_current: float = _p("current", 0.0, 1e-9)
    kc_mbon_compensation: float = _p("dimensionless", 0.0, 1.0)
    # DANs
    dan_capacitance: float = _p("capacitance", 1e-13, 1e-9)
    dan_leak_conductance: float = _p("conductance", 1e-11, 1e-7)
    dan_rest: float = _p("voltage", -0.1, -0.02)
    dan_threshold: float = _p("voltage", -0.08, 0.0)
    dan_reset: float = _p("voltage", -0.1, -0.02)
    dan_bias_current: float = _p("current", -1e-9, 1e-9)
    dan_noise: float = _p("voltage", 0.0, 0.05)
    # unconditioned stimuli and manipulations
    shock_current: float = _p("current", 0.0, 1e-8)
    shock_reference_voltage: float = _p("voltage", 1.0, 500.0, compiled=False)
    sugar_current: float = _p("current", 0.0, 1e-8)
    sugar_reference_concentration: float = _p("concentration", 1e-3, 10.0, compiled=False)
    sugar_fed_factor: float = _p("dimensionless", 0.0, 1.0, compiled=False)
    pam_shock_fraction: float = _p("dimensionless", 0.0, 1.0)
    activation_current: float = _p("current", 0.0, 1e-8)
    # plasticity
    depression_tau: float = _p("time", 1e-3, 100.0, compiled=False)
    potentiation_tau: float = _p("time", 1e-3, 100.0, compiled=False)
    dopamine_baseline_rate: float = _p("rate", 0.0, 100.0, compiled=False)
    depression_rate: dict = _p("dimensionless", 0.0, 10.0, compiled=False)
    potentiation_rate: dict = _p("dimensionless", 0.0, 10.0, compiled=False)
    max_efficacy: float = _p("dimensionless", 1.0, 100.0, compiled=False)
    # T-maze readout
    choice_temperature: float = _p("rate", 1e-3, 1e4, compiled=False)

    source_file: str = field(default="", compare=False)

    def digest(self, compiled_only: bool = False) -> str:
        """Content hash of the values; ``compiled_only`` hashes those the compiled network uses."""
        values = {f.name: getattr(self, f.name) for f in fields(self)
                  if f.metadata and (f.metadata["compiled"] or not compiled_only)}
        return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]

    def rate_array(self, name: str, compartments: tuple[str, ...]):
        """A per-compartment rate (``depression_rate``/``potentiation_rate``) in the given order."""
        rates = getattr(self, name)
        return np.array([rates[c] for c in compartments], dtype=float)


def load_parameters(path: str | Path | None = None) -> NetworkParameters:
    """Read, check and convert a network parameter file (default ``data/params/network.yaml``)."""
    path = Path(path) if path is not None else DEFAULT_FILE
    specs = {f.name: f for f in fields(NetworkParameters) if f.metadata}
    _, entries = read_entries(path, specs, "network")
    values = {name: _convert(entry, specs[name].metadata, path) for name, entry in entries.items()}
    return NetworkParameters(**values, source_file=str(path))


def _convert(entry: Entry, meta, path: Path):
    node = entry.value_node
    if meta["dimension"] == "dimensionless" and isinstance(node, yaml.MappingNode):
        per = {key.value: _scalar(value, meta, path, f"{entry.name}.{key.value}")
               for key, value in node.value}
        if set(per) != set(RATE_COMPARTMENTS):
            raise InputError(found="compartments " + ", ".join(per),
                             expected="exactly " + ", ".join(RATE_COMPARTMENTS),
                             **entry.where(path))
        return per
    if entry.name in ("depression_rate", "potentiation_rate"):
        raise InputError(found=f"'{entry.value}'", expected="a mapping compartment -> rate",
                         example="{g1: 0.5, g2: 0.3, ...}", **entry.where(path))
    return _scalar(node, meta, path, entry.name)


def _scalar(node, meta, path: Path, name: str) -> float:
    where = dict(file=path, line=node.start_mark.line + 1, field=name)
    if not isinstance(node, yaml.ScalarNode):
        raise InputError(found="a nested structure", expected=f"a {meta['dimension']}", **where)
    raw = yaml.safe_load(node.value) if node.style is None else node.value
    value = parse_quantity(raw, meta["dimension"], **where)
    low, high = meta["range"]
    if not low <= value <= high:
        raise InputError(found=f"{node.value} (= {value:g} SI)",
                         expected=f"a value in [{low:g}, {high:g}] (SI units)", **where)
    return value
