"""Connectome layer: one table format, loaders for real exports, MB typing and the default."""

from .core import CELL_CLASSES, EDGE_COLUMNS, NEURON_COLUMNS, Connectome
from .default import load_default
from .flywire import load_flywire
from .larva import load_larva
from .loaders import MB_CLASSES, load, select
from .mbtypes import COMPARTMENTS, KC_SUBTYPES, kc_lobe_class, kc_subtype, lobe_compartments
from .neuprint import from_neuprint, load_neuprint
from .tables import EXPECTED_EDGE_CLASSES

__all__ = ["Connectome", "CELL_CLASSES", "NEURON_COLUMNS", "EDGE_COLUMNS", "COMPARTMENTS",
           "KC_SUBTYPES", "MB_CLASSES", "EXPECTED_EDGE_CLASSES", "load", "load_default",
           "load_neuprint", "from_neuprint", "load_flywire", "load_larva", "select",
           "kc_lobe_class", "kc_subtype", "lobe_compartments"]
