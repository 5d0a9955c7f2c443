"""Metabolism of the fly and its mushroom body: ATP/compartment ODEs, energy ledger, survival."""

from ..connectome.mbtypes import COMPARTMENTS
from .drive import Drive, WindowActivity
from .layout import BODY_COUNTERS, BRAIN_COUNTERS, CAUSES
from .ledger import energy_balance
from .model import Metabolism
from .params import MetabolismParams, load_metabolism_params
from .survival import (compare_survival, death_times, kaplan_meier, logrank, median_interval, median_survival,
                       survival_band)

__all__ = ["COMPARTMENTS", "Drive", "WindowActivity", "Metabolism", "MetabolismParams",
           "load_metabolism_params", "energy_balance", "kaplan_meier", "median_survival",
           "median_interval", "survival_band", "logrank", "compare_survival", "death_times", "CAUSES", "BODY_COUNTERS", "BRAIN_COUNTERS"]
