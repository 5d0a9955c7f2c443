"""The metabolism parameter set: typed fields with units, loaded from data/params/metabolism.yaml.

Each field declares its unit and allowed range in its metadata; the loader checks every entry of
the file (value with unit, source or "assumption") and converts it to SI (mol, L, s).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..parameters import read_entries
from ..paths import PARAMS_DIR
from ..units import parse_quantity

DEFAULT_FILE = PARAMS_DIR / "metabolism.yaml"
CELL_CLASSES = ("KC", "PN", "APL", "MBON", "DAN")
POSITIVE = (0.0, math.inf, False)      # (low, high, low allowed)
NON_NEGATIVE = (0.0, math.inf, True)
FRACTION = (0.0, 1.0, False)           # efficiencies and fractions: 0 < x <= 1


def _p(unit: str, doc: str, bounds=POSITIVE):
    return field(metadata={"unit": unit, "doc": doc, "bounds": bounds})


@dataclass(frozen=True)
class MetabolismParams:
    """All metabolism parameters in SI (mol, L, s); see docs/metabolism.md for equations."""

    # stoichiometry (ATP equivalents of complete oxidation)
    atp_per_glucose: float = _p("1", "ATP per glucose, glycolysis + oxidation")
    atp_per_pyruvate: float = _p("1", "ATP per lactate/alanine/pyruvate oxidised in a KC")
    atp_per_tag: float = _p("1", "ATP per triacylglycerol oxidised")
    atp_per_ketone: float = _p("1", "ATP per 3-hydroxybutyrate oxidised")
    glycogen_storage_efficiency: float = _p("1", "ATP-eq kept when sugar is stored as glycogen", FRACTION)
    lipid_storage_efficiency: float = _p("1", "ATP-eq kept when sugar is stored as lipid", FRACTION)
    ketogenesis_efficiency: float = _p("1", "ATP-eq kept when lipid becomes ketone bodies", FRACTION)
    gluconeogenesis_efficiency: float = _p("1", "ATP-eq kept when lipid/protein become sugar", FRACTION)
    # whole body
    hemolymph_volume: float = _p("L", "hemolymph volume")
    glycogen_capacity: float = _p("mol", "glycogen (glucosyl units) at which synthesis stops")
    lipid_capacity: float = _p("mol", "triacylglycerol at which lipogenesis stops")
    feeding_max_rate: float = _p("mol/s", "glucose-equivalent intake of a hungry fed fly")
    feeding_half_inhibition: float = _p("M", "hemolymph sugar halving intake (satiety)")
    consolidation_intake_increase: float = _p("1", "relative rise of intake at consolidation 1",
                                              NON_NEGATIVE)
    body_basal_demand: float = _p("mol/s", "whole-body ATP use at rest")
    consolidation_systemic_increase: float = _p("1", "relative rise of whole-body ATP use at "
                                                "consolidation 1", NON_NEGATIVE)
    glycogen_synthesis_max: float = _p("mol/s", "maximal glycogen synthesis (glucosyl)")
    storage_threshold: float = _p("M", "hemolymph sugar of half-maximal storage (insulin-like)")
    glycogenolysis_max: float = _p("mol/s", "maximal glycogen breakdown (glucosyl)")
    mobilization_threshold: float = _p("M", "hemolymph sugar of half-maximal mobilisation (AKH-like)")
    glycogen_half_saturation: float = _p("mol", "glycogen of half-maximal breakdown")
    lipogenesis_max: float = _p("mol/s", "maximal lipogenesis (TAG)")
    gluconeogenesis_max: float = _p("mol/s", "maximal sugar production from lipid and protein")
    gluconeogenesis_threshold: float = _p("M", "hemolymph sugar of half-maximal gluconeogenesis")
    lipid_half_saturation: float = _p("mol", "lipid of half-maximal lipid use")
    sugar_fuel_threshold: float = _p("M", "hemolymph sugar at which tissues burn sugar and lipid equally")
    hill_coefficient: float = _p("1", "steepness of the hormonal sugar switches", (1.0, 8.0, True))
    # survival
    death_reserve_fraction: float = _p("1", "fraction of fed reserve energy at which a fly dies", FRACTION)
    reserve_variability_cv: float = _p("1", "fly-to-fly coefficient of variation of reserves",
                                       (0.0, 1.0, True))
    # mushroom body and glia
    kc_volume_per_compartment: float = _p("L", "KC axon volume in one MB compartment")
    glia_volume: float = _p("L", "volume of the glia supplying the MB")
    kc_adenine_total: float = _p("M", "ATP + ADP in KCs")
    kc_basal_demand: float = _p("M/s", "resting ATP use of KC axons")
    demand_half_saturation_atp: float = _p("M", "ATP at which ATP-using processes run at half speed")
    glia_glycolysis_max: float = _p("M/s", "maximal glial glycolysis (glucose per glial volume)")
    glia_glucose_half_saturation: float = _p("M", "hemolymph sugar of half-maximal glial glycolysis")
    glia_lactate_inhibition: float = _p("M", "glial lactate halving glial glycolysis")
    lactate_exchange_rate: float = _p("1/s", "glia-to-KC lactate/alanine transfer per unit gradient")
    kc_glycolysis_max: float = _p("M/s", "maximal KC glycolysis (glucose per KC volume)")
    kc_glucose_half_saturation: float = _p("M", "hemolymph sugar of half-maximal KC glycolysis")
    pdh_max: float = _p("M/s", "pyruvate dehydrogenase capacity at activation 1")
    pdh_pyruvate_half_saturation: float = _p("M", "KC pyruvate of half-maximal PDH flux")
    respiratory_control_adp: float = _p("M", "ADP of half-maximal activation of PDH/ketone oxidation")
    coupling_adp_half: float = _p("M", "ADP at which half the oxidative flux makes ATP")
    pdh_time_constant: float = _p("s", "time constant of PDH activation")
    mp1_max_activation: float = _p("1", "maximal extra PDH activation by MP1 dopamine")
    mp1_half_activation: float = _p("1", "MP1 activity of half-maximal extra PDH activation")
    ketogenesis_max: float = _p("M/s", "maximal glial ketogenesis (per glial volume)")
    ketogenesis_threshold: float = _p("M", "hemolymph sugar of half-maximal ketogenesis")
    ketone_inhibition: float = _p("M", "glial ketone concentration halving ketogenesis")
    ketone_oxidation_max: float = _p("M/s", "maximal KC ketone oxidation")
    ketone_half_saturation: float = _p("M", "ketone concentration of half-maximal oxidation")
    trigger_smoothing: float = _p("1", "width of the smooth ramp of the LTM trigger")
    # activity and plasticity costs
    spike_cost_KC: float = _p("molecule/spike", "ATP per KC action potential")
    spike_cost_PN: float = _p("molecule/spike", "ATP per PN action potential")
    spike_cost_APL: float = _p("molecule/spike", "ATP per APL spike-equivalent")
    spike_cost_MBON: float = _p("molecule/spike", "ATP per MBON action potential")
    spike_cost_DAN: float = _p("molecule/spike", "ATP per DAN action potential")
    release_cost: float = _p("molecule/event", "ATP per synaptic release event (pre + post)")
    labile_cost_per_unit: float = _p("molecule/unit", "ATP per unit M_alpha of labile change")
    arm_cost_per_unit: float = _p("molecule/unit", "ATP per unit M_alpha of ARM change")
    ltm_cost_per_unit: float = _p("molecule/unit", "ATP per unit |dLTM| (protein synthesis)")
    consolidation_local_demand: float = _p("M/s", "extra KC ATP use at consolidation 1",
                                           NON_NEGATIVE)
    mp1_target_compartments: tuple[str, ...] = field(
        default=("a1", "a2", "a3", "b1", "b2"),
        metadata={"unit": None, "doc": "compartments where MP1 raises PDH activation"})
    sources: tuple[tuple[str, str], ...] = field(default=(), compare=False,
                                                 metadata={"unit": None, "doc": "name -> source"})

    def spike_cost(self, cell_class: str) -> float:
        """ATP (mol) per spike of one cell class."""
        return getattr(self, f"spike_cost_{cell_class}")

    def to_dict(self) -> dict:
        """Plain values in SI for provenance (JSON-able)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "sources"}
        out["mp1_target_compartments"] = list(self.mp1_target_compartments)
        return out


FIELDS = {f.name: f for f in dataclasses.fields(MetabolismParams)}


def numeric_fields() -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(MetabolismParams) if f.metadata.get("unit")]


def load_metabolism_params(path: str | Path | None = None) -> MetabolismParams:
    """Read and check a metabolism parameter file (default: data/params/metabolism.yaml)."""
    path = Path(path) if path is not None else DEFAULT_FILE
    names = [f.name for f in dataclasses.fields(MetabolismParams) if f.name != "sources"]
    _, entries = read_entries(path, names, "metabolism")
    values = {name: _check_value(FIELDS[name], entry.value, entry.where(path))
              for name, entry in entries.items()}
    return MetabolismParams(**values, sources=tuple((n, e.source) for n, e in entries.items()))


def _check_value(spec: dataclasses.Field, raw, where: dict):
    unit = spec.metadata["unit"]
    if unit is None:  # list of compartment names
        if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw) or not raw:
            raise InputError(found=repr(raw), expected="a non-empty list of compartment names",
                             **where, example="[a1, a2, a3, b1, b2]")
        return tuple(raw)
    value = parse_quantity(raw, unit, **where)
    low, high, low_ok = spec.metadata["bounds"]
    if not math.isfinite(value) or value > high or value < low or (value == low and not low_ok):
        interval = f"{'[' if low_ok else '('}{low:g}, {high:g}]"
        raise InputError(found=f"{raw!r}, which is non-physical",
                         expected=f"a value in {interval} (in {unit})", **where)
    return value
