"""Model parameters, declared once per parameter and held in one kind of set.

Each group declares its parameters with :class:`Declaration` (dimension, bounds, meaning, what it
shapes) in the module that uses them: ``NETWORK`` in :mod:`mbsim.network.parameters`, ``MEMORY`` in
:mod:`mbsim.engine.memory`, ``METABOLISM`` in :mod:`mbsim.metabolism.params`. A
:class:`ParameterSet` holds one group's checked SI values and sources (from a ``{value, source}``
YAML file, :mod:`.files`, or a dict); :class:`Parameters` holds a model's three sets and names
parameters ``group.parameter``.
"""

from .collection import GROUPS, Parameters, declarations_of, split_name
from .declarations import KINDS, SHAPES, Declaration, Declarations
from .files import Entry, read_entries
from .sets import IN_MEMORY, ParameterSet

__all__ = ["Declaration", "Declarations", "Entry", "GROUPS", "IN_MEMORY", "KINDS", "Parameters",
           "ParameterSet", "SHAPES", "declarations_of", "read_entries", "split_name"]
