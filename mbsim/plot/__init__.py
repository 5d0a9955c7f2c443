"""Figures of run results (matplotlib, imported only when a figure is drawn).

Every ``plot_*(tree, ax=None)`` draws one panel into ``ax`` (or a new figure) and returns the Axes;
a missing optional group gives a panel that says what is missing instead of an error. Figures of fits
are in :mod:`mbsim.plot.fit`, of energy sweeps in :mod:`mbsim.plot.efficiency`.
"""

from .compartment_map import LAYOUT, plot_compartment_map
from .energy import (plot_atp_flux, plot_energy_by_cause, plot_energy_by_compartment, plot_plasticity_energy,
                     plot_pyruvate)
from .overview import KINDS, figure, overview, overview_figure
from .retention import check_lab_data, plot_retention, read_lab_data
from .spiking import plot_raster, plot_sparseness
from .survival import plot_survival
from .weights import plot_weights, plot_weights_by_phase
from ._common import save_figure

__all__ = ["KINDS", "LAYOUT", "check_lab_data", "figure", "overview", "overview_figure",
           "plot_atp_flux", "plot_compartment_map", "plot_energy_by_cause", "plot_energy_by_compartment",
           "plot_plasticity_energy", "plot_pyruvate", "plot_raster", "plot_retention", "plot_sparseness",
           "plot_survival", "plot_weights", "plot_weights_by_phase", "read_lab_data", "save_figure"]
