"""The parameters of the spiking network, declared with what each one shapes, and their set.

Every entry of ``data/params/network.yaml`` has a ``value`` with a unit ("10 ms", "-60 mV") and a
``source`` (a paper or the word "assumption"). Each declaration says what the parameter shapes:
``compiled`` (the compiled Brian2 code; these key the compiled-network cache), ``window`` (a
spiking window's inputs or recorded integrals, built outside the compiled code) or ``post`` (applied
to a window's recorded results: plasticity scaling and the T-maze readout). :func:`load_parameters`
returns a :class:`NetworkParameters` holding SI floats (and, for the per-compartment learning
rates, a mapping compartment -> float).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..parameters import Declaration, Declarations, ParameterSet
from ..paths import PARAMS_DIR

DEFAULT_FILE = PARAMS_DIR / "network.yaml"
#: Compartments every per-compartment rate must list (lobe compartments and the peduncle).
RATE_COMPARTMENTS = ("g1", "g2", "g3", "g4", "g5", "b'1", "b'2", "a'1", "a'2", "a'3",
                     "a1", "a2", "a3", "b1", "b2", "pedc")


class NetworkParameters(ParameterSet):
    """The network's parameter set, with its per-compartment rates as arrays."""

    def rate_array(self, name: str, compartments: tuple[str, ...]) -> np.ndarray:
        """A per-compartment rate (``depression_rate``/``potentiation_rate``) in the given order."""
        rates = self[name]
        return np.array([rates[c] for c in compartments], dtype=float)


def _p(name: str, dimension: str, low: float, high: float, meaning: str, kind: str = "compiled",
       shape: str = "scalar"):
    keys = RATE_COMPARTMENTS if shape == "per_compartment" else ()
    return Declaration(name, dimension, low, high, meaning, kind, shape=shape, keys=keys)


NETWORK = Declarations("network", [
    # simulation
    _p("time_step", "time", 1e-6, 1e-3, "integration step"),
    _p("chunk_duration", "time", 0.1, 60.0, "length of one compiled run"),
    _p("input_resolution", "time", 1e-4, 0.1, "time bin of the input tables"),
    _p("noise_interval", "time", 1e-5, 0.01, "interval at which noise currents are redrawn"),
    # projection neurons (odor input)
    _p("pn_max_rate", "rate", 1.0, 1000.0, "maximal PN response", "window"),
    _p("pn_half_rate", "rate", 0.1, 500.0, "ORN rate of half-maximal PN response", "window"),
    _p("pn_lateral_inhibition", "dimensionless", 0.0, 100.0, "strength of PN lateral inhibition",
       "window"),
    _p("pn_inhibition_reference", "rate", 1.0, 1e4, "summed ORN rate normalising inhibition",
       "window"),
    _p("pn_spontaneous_rate", "rate", 0.0, 100.0, "PN rate without odor", "window"),
    _p("synthetic_response_fraction", "dimensionless", 0.0, 1.0,
       "fraction of glomeruli a synthetic odor excites", "window"),
    _p("synthetic_response_mean", "rate", 0.0, 500.0, "mean ORN response of a synthetic odor",
       "window"),
    _p("synthetic_response_spread", "rate", 0.0, 500.0, "spread of synthetic ORN responses",
       "window"),
    _p("synthetic_spontaneous_rate", "rate", 0.0, 100.0, "spontaneous ORN rate of synthetic odors",
       "window"),
    # Kenyon cells
    _p("kc_capacitance", "capacitance", 1e-13, 1e-9, "KC membrane capacitance"),
    _p("kc_leak_conductance", "conductance", 1e-11, 1e-7, "KC leak conductance"),
    _p("kc_rest", "voltage", -0.1, -0.02, "KC resting potential"),
    _p("kc_threshold", "voltage", -0.08, 0.0, "KC spike threshold"),
    _p("kc_reset", "voltage", -0.1, -0.02, "KC reset potential"),
    _p("kc_synapse_tau", "time", 1e-4, 0.2, "decay of the PN->KC current"),
    _p("kc_adaptation_tau", "time", 1e-3, 10.0, "decay of KC spike-frequency adaptation"),
    _p("kc_adaptation_increment", "current", 0.0, 1e-9, "adaptation current added per KC spike"),
    _p("pn_kc_current", "current", 0.0, 1e-9, "current per PN->KC synapse"),
    _p("pn_kc_compensation", "dimensionless", 0.0, 1.0, "compensation of KC input for claw count"),
    # APL
    _p("apl_tau", "time", 1e-3, 1.0, "decay of APL activity"),
    _p("kc_apl_increment", "dimensionless", 0.0, 10.0, "APL activity per KC->APL synapse, spike"),
    _p("apl_kc_current", "current", 0.0, 1e-9, "APL->KC inhibition per unit APL activity"),
    _p("apl_kc_mirroring", "dimensionless", 0.0, 1.0, "how far APL->KC weights mirror KC->APL"),
    # MBONs
    _p("mbon_capacitance", "capacitance", 1e-13, 1e-9, "MBON membrane capacitance"),
    _p("mbon_leak_conductance", "conductance", 1e-11, 1e-7, "MBON leak conductance"),
    _p("mbon_rest", "voltage", -0.1, -0.02, "MBON resting potential"),
    _p("mbon_threshold", "voltage", -0.08, 0.0, "MBON spike threshold"),
    _p("mbon_reset", "voltage", -0.1, -0.02, "MBON reset potential"),
    _p("mbon_synapse_tau", "time", 1e-4, 0.2, "decay of the KC->MBON current"),
    _p("mbon_bias_current", "current", -1e-9, 1e-9, "constant MBON drive"),
    _p("mbon_noise", "voltage", 0.0, 0.05, "MBON membrane noise"),
    _p("kc_mbon_current", "current", 0.0, 1e-9, "current per KC->MBON synapse"),
    _p("kc_mbon_compensation", "dimensionless", 0.0, 1.0, "equalisation of MBONs' total KC input"),
    # DANs
    _p("dan_capacitance", "capacitance", 1e-13, 1e-9, "DAN membrane capacitance"),
    _p("dan_leak_conductance", "conductance", 1e-11, 1e-7, "DAN leak conductance"),
    _p("dan_rest", "voltage", -0.1, -0.02, "DAN resting potential"),
    _p("dan_threshold", "voltage", -0.08, 0.0, "DAN spike threshold"),
    _p("dan_reset", "voltage", -0.1, -0.02, "DAN reset potential"),
    _p("dan_bias_current", "current", -1e-9, 1e-9, "constant DAN drive"),
    _p("dan_noise", "voltage", 0.0, 0.05, "DAN membrane noise"),
    # recurrent pathways (simulated only when recurrent > 0)
    _p("recurrent", "dimensionless", 0.0, 10.0, "gain of the MBON->DAN, MBON->MBON and DAN->MBON "
       "synapses; 0 leaves them out"),
    _p("recurrent_synapse_tau", "time", 1e-4, 0.2, "decay of the recurrent synaptic currents"),
    _p("mbon_dan_current", "current", 0.0, 1e-9, "current per MBON->DAN synapse"),
    _p("mbon_mbon_current", "current", 0.0, 1e-9, "current per MBON->MBON synapse"),
    _p("dan_mbon_current", "current", 0.0, 1e-9, "current per DAN->MBON synapse"),
    # unconditioned stimuli and manipulations
    _p("shock_current", "current", 0.0, 1e-8, "punishment DAN drive by a reference shock"),
    _p("shock_reference_voltage", "voltage", 1.0, 500.0, "shock voltage giving shock_current",
       "window"),
    _p("sugar_current", "current", 0.0, 1e-8, "reward DAN drive by reference sugar"),
    _p("sugar_reference_concentration", "concentration", 1e-3, 10.0,
       "sugar concentration giving sugar_current", "window"),
    _p("sugar_fed_factor", "dimensionless", 0.0, 1.0, "sugar drive of fed relative to hungry flies",
       "window"),
    _p("pam_shock_fraction", "dimensionless", 0.0, 1.0, "shock drive of PAM relative to PPL1 DANs"),
    _p("activation_current", "current", 0.0, 1e-8, "thermogenetic activation drive"),
    # plasticity: the time constants weigh the coincidences a window records, the rest scales them
    _p("depression_tau", "time", 1e-3, 100.0, "KC eligibility before dopamine", "window"),
    _p("potentiation_tau", "time", 1e-3, 100.0, "dopamine trace before KC activity", "window"),
    _p("dopamine_baseline_rate", "rate", 0.0, 100.0,
       "tonic DAN rate whose coincidences do not teach", "post"),
    _p("depression_rate", "dimensionless", 0.0, 10.0, "depression per phasic coincidence", "post",
       "per_compartment"),
    _p("potentiation_rate", "dimensionless", 0.0, 10.0, "potentiation per phasic coincidence",
       "post", "per_compartment"),
    # clips the efficacy test windows are simulated with (and the emulator's), so it shapes windows
    _p("max_efficacy", "dimensionless", 1.0, 100.0, "upper bound of KC->MBON efficacy", "window"),
    # T-maze readout
    _p("choice_temperature", "rate", 1e-3, 1e4, "MBON rate difference that multiplies choice odds "
       "by e", "post"),
    _p("tube_variability", "dimensionless", 0.0, 3.0, "log-sd of the factor on the log-odds of a "
       "lab-like tube's choices (tube-to-tube differences)", "post"),
], DEFAULT_FILE, NetworkParameters)


def load_parameters(path: str | Path | None = None) -> NetworkParameters:
    """Read, check and convert a network parameter file (default ``data/params/network.yaml``)."""
    return ParameterSet.from_file(NETWORK, path)
