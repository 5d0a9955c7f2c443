"""The metabolism parameters, declared with units and bounds (data/params/metabolism.yaml).

The loader checks every entry of the file (value with unit, source or "assumption") and converts
it to SI (mol, L, s). All metabolism parameters belong to the slow layer.
"""

from __future__ import annotations

import math
from pathlib import Path

from ..parameters import Declaration, Declarations, ParameterSet
from ..paths import PARAMS_DIR

DEFAULT_FILE = PARAMS_DIR / "metabolism.yaml"
CELL_CLASSES = ("KC", "PN", "APL", "MBON", "DAN")
POSITIVE = (0.0, math.inf, False)      # (low, high, low allowed)
NON_NEGATIVE = (0.0, math.inf, True)
FRACTION = (0.0, 1.0, False)           # efficiencies and fractions: 0 < x <= 1


class MetabolismParams(ParameterSet):
    """The metabolism parameter set in SI (mol, L, s); see docs/metabolism.md for equations."""

    def spike_cost(self, cell_class: str) -> float:
        """ATP (mol) per spike of one cell class."""
        return self[f"spike_cost_{cell_class}"]


def _p(name: str, unit: str, meaning: str, bounds=POSITIVE):
    low, high, low_allowed = bounds
    return Declaration(name, unit, low, high, meaning, "slow", low_allowed)


METABOLISM = Declarations("metabolism", [
    # stoichiometry (ATP equivalents of complete oxidation)
    _p("atp_per_glucose", "1", "ATP per glucose, glycolysis + oxidation"),
    _p("atp_per_pyruvate", "1", "ATP per lactate/alanine/pyruvate oxidised in a KC"),
    _p("atp_per_tag", "1", "ATP per triacylglycerol oxidised"),
    _p("atp_per_ketone", "1", "ATP per 3-hydroxybutyrate oxidised"),
    _p("glycogen_storage_efficiency", "1", "ATP-eq kept when sugar is stored as glycogen",
       FRACTION),
    _p("lipid_storage_efficiency", "1", "ATP-eq kept when sugar is stored as lipid", FRACTION),
    _p("ketogenesis_efficiency", "1", "ATP-eq kept when lipid becomes ketone bodies", FRACTION),
    _p("gluconeogenesis_efficiency", "1", "ATP-eq kept when lipid/protein become sugar", FRACTION),
    # whole body
    _p("hemolymph_volume", "L", "hemolymph volume"),
    _p("glycogen_capacity", "mol", "glycogen (glucosyl units) at which synthesis stops"),
    _p("lipid_capacity", "mol", "triacylglycerol at which lipogenesis stops"),
    _p("feeding_max_rate", "mol/s", "glucose-equivalent intake of a hungry fed fly"),
    _p("feeding_half_inhibition", "M", "hemolymph sugar halving intake (satiety)"),
    _p("consolidation_intake_increase", "1", "relative rise of intake at consolidation 1",
       NON_NEGATIVE),
    _p("body_basal_demand", "mol/s", "whole-body ATP use at rest"),
    _p("consolidation_systemic_increase", "1",
       "relative rise of whole-body ATP use at consolidation 1", NON_NEGATIVE),
    _p("glycogen_synthesis_max", "mol/s", "maximal glycogen synthesis (glucosyl)"),
    _p("storage_threshold", "M", "hemolymph sugar of half-maximal storage (insulin-like)"),
    _p("glycogenolysis_max", "mol/s", "maximal glycogen breakdown (glucosyl)"),
    _p("mobilization_threshold", "M", "hemolymph sugar of half-maximal mobilisation (AKH-like)"),
    _p("glycogen_half_saturation", "mol", "glycogen of half-maximal breakdown"),
    _p("lipogenesis_max", "mol/s", "maximal lipogenesis (TAG)"),
    _p("gluconeogenesis_max", "mol/s", "maximal sugar production from lipid and protein"),
    _p("gluconeogenesis_threshold", "M", "hemolymph sugar of half-maximal gluconeogenesis"),
    _p("lipid_half_saturation", "mol", "lipid of half-maximal lipid use"),
    _p("sugar_fuel_threshold", "M",
       "hemolymph sugar at which tissues burn sugar and lipid equally"),
    _p("hill_coefficient", "1", "steepness of the hormonal sugar switches", (1.0, 8.0, True)),
    # survival
    _p("death_reserve_fraction", "1", "fraction of fed reserve energy at which a fly dies",
       FRACTION),
    _p("reserve_variability_cv", "1", "fly-to-fly coefficient of variation of reserves", (0.0, 1.0,
       True)),
    # mushroom body and glia
    _p("kc_volume_per_compartment", "L", "KC axon volume in one MB compartment"),
    _p("glia_volume", "L", "volume of the glia supplying the MB"),
    _p("kc_adenine_total", "M", "ATP + ADP in KCs"),
    _p("kc_basal_demand", "M/s", "resting ATP use of KC axons"),
    _p("demand_half_saturation_atp", "M", "ATP at which ATP-using processes run at half speed"),
    _p("glia_glycolysis_max", "M/s", "maximal glial glycolysis (glucose per glial volume)"),
    _p("glia_glucose_half_saturation", "M", "hemolymph sugar of half-maximal glial glycolysis"),
    _p("glia_lactate_inhibition", "M", "glial lactate halving glial glycolysis"),
    _p("lactate_exchange_rate", "1/s", "glia-to-KC lactate/alanine transfer per unit gradient"),
    _p("kc_glycolysis_max", "M/s", "maximal KC glycolysis (glucose per KC volume)"),
    _p("kc_glucose_half_saturation", "M", "hemolymph sugar of half-maximal KC glycolysis"),
    _p("pdh_max", "M/s", "pyruvate dehydrogenase capacity at activation 1"),
    _p("pdh_pyruvate_half_saturation", "M", "KC pyruvate of half-maximal PDH flux"),
    _p("respiratory_control_adp", "M", "ADP of half-maximal activation of PDH/ketone oxidation"),
    _p("coupling_adp_half", "M", "ADP at which half the oxidative flux makes ATP"),
    _p("pdh_time_constant", "s", "time constant of PDH activation"),
    _p("mp1_max_activation", "1", "maximal extra PDH activation by MP1 dopamine"),
    _p("mp1_half_activation", "1", "MP1 activity of half-maximal extra PDH activation"),
    _p("ketogenesis_max", "M/s", "maximal glial ketogenesis (per glial volume)"),
    _p("ketogenesis_threshold", "M", "hemolymph sugar of half-maximal ketogenesis"),
    _p("ketone_inhibition", "M", "glial ketone concentration halving ketogenesis"),
    _p("ketone_oxidation_max", "M/s", "maximal KC ketone oxidation"),
    _p("ketone_half_saturation", "M", "ketone concentration of half-maximal oxidation"),
    _p("trigger_smoothing", "1", "width of the smooth ramp of the LTM trigger"),
    # activity and plasticity costs
    _p("spike_cost_KC", "molecule/spike", "ATP per KC action potential"),
    _p("spike_cost_PN", "molecule/spike", "ATP per PN action potential"),
    _p("spike_cost_APL", "molecule/spike", "ATP per APL spike-equivalent"),
    _p("spike_cost_MBON", "molecule/spike", "ATP per MBON action potential"),
    _p("spike_cost_DAN", "molecule/spike", "ATP per DAN action potential"),
    _p("release_cost", "molecule/event", "ATP per synaptic release event (pre + post)"),
    _p("labile_cost_per_unit", "molecule/unit", "ATP per unit M_alpha of labile change"),
    _p("arm_cost_per_unit", "molecule/unit", "ATP per unit M_alpha of ARM change"),
    _p("ltm_cost_per_unit", "molecule/unit", "ATP per unit |dLTM| (protein synthesis)"),
    _p("consolidation_local_demand", "M/s", "extra KC ATP use at consolidation 1", NON_NEGATIVE),
    Declaration("mp1_target_compartments", "", meaning="compartments where MP1 raises PDH "
                "activation", shape="names"),
], DEFAULT_FILE, MetabolismParams)


def load_metabolism_params(path: str | Path | None = None) -> MetabolismParams:
    """Read and check a metabolism parameter file (default: data/params/metabolism.yaml)."""
    return ParameterSet.from_file(METABOLISM, path)
