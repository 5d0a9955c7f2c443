"""Connectome layer: one table format, loaders for real exports, MB typing and the default."""

from .core import CELL_CLASSES, EDGE_COLUMNS, NEURON_COLUMNS, Connectome

__all__ = ["Connectome", "CELL_CLASSES", "NEURON_COLUMNS", "EDGE_COLUMNS"]
