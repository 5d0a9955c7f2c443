"""The spiking mushroom body: odors, Brian2 network, plasticity rule and T-maze readout."""

from ..stimulus import Manipulation, OdorPulse, ShockPulse, SugarPulse, Window
from .model import MushroomBodyNetwork, WindowResult
from .odors import OdorLibrary
from .parameters import NetworkParameters, load_parameters
from .plasticity import efficacy_change
from .readout import CohortPI, avoidance_drive, choice_probability, choose, cohort_pi, performance_index

__all__ = ["MushroomBodyNetwork", "WindowResult", "OdorLibrary", "NetworkParameters",
           "load_parameters", "efficacy_change", "choice_probability", "performance_index",
           "cohort_pi", "choose", "avoidance_drive", "CohortPI", "Window", "OdorPulse",
           "ShockPulse", "SugarPulse", "Manipulation"]
