"""Bounds on what inputs may ask for, declared once and checked before any work.

Each bound is far beyond any experiment a lab runs (assumption: chosen so that a valid input never
meets them), and small enough that a mistyped value fails at once, with a located error, instead of
exhausting memory or time.
"""

from __future__ import annotations

#: Latest time a protocol may name, and longest duration [s]: one year (flies live ~2 months).
HORIZON = 365 * 86400.0
#: Training cycles of one protocol (labs use up to 10; 100 spaced cycles span > 1 day).
MAX_REPEAT = 1000
#: Retention tests of one protocol.
MAX_TESTS = 1000
#: Flies of one cohort.
MAX_COHORT = 100_000
#: Most flies of all lab-like tubes of a run together (tubes x tube size).
MAX_TUBE_FLIES = 1_000_000
#: Largest seed: what HDF5 and numpy store as a signed 64-bit integer.
MAX_SEED = 2**63 - 1
#: Characters of a name that becomes a file name (protocols, experiments, fits).
MAX_NAME_LENGTH = 100
#: Nodes a YAML file may expand to (aliases included), and how deep it may nest.
MAX_YAML_NODES = 200_000
MAX_YAML_DEPTH = 50
#: Largest odor dilution factor (1 = as tabulated).
MAX_DILUTION = 1000.0
