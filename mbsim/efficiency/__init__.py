"""Energy-efficient plasticity in the MB: restricted and cached plasticity on an odor-valence task.

``load_experiment`` reads a sweep file (data/experiments/*.yaml), ``run_sweep`` trains every network
under every strategy and returns a DataTree; ``mbsim.save`` writes it and
``mbsim.load(path, kind="mbsim-energy-sweep")`` reads it.
"""

from .experiment import Experiment, load_experiment, parse_experiment_text
from .learning import PHASES, EnergyLedger, RunOutcome, train_caching, train_restricted
from .strategies import STRATEGIES, PlasticLayout, make_selector
from .sweep import FORMAT, NetworkJob, run_network, run_sweep
from .task import OdorTask, build_network, build_task

__all__ = ["Experiment", "load_experiment", "parse_experiment_text", "PHASES", "EnergyLedger",
           "RunOutcome", "train_caching", "train_restricted",
           "STRATEGIES", "PlasticLayout", "make_selector", "FORMAT", "NetworkJob", "run_network", "run_sweep",
           "OdorTask", "build_network", "build_task"]
