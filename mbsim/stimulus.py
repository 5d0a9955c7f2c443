"""What happens to the fly during one spiking window: odors, shocks, sugar and manipulations.

A :class:`Window` is a frozen, hashable description of a window's inputs. Times are seconds from the
window's start (SI floats; units are checked where protocols are parsed). Its :meth:`Window.key` names
the window in the cache, so a window with the same inputs is simulated once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

#: Cell classes whose spike trains a window can keep (the APL is graded and does not spike).
SPIKING_CLASSES = ("PN", "KC", "MBON", "DAN")


@dataclass(frozen=True)
class OdorPulse:
    """An odor presented from ``start`` to ``stop`` [s]; ``concentration`` scales its profile (1 = as tabulated)."""

    odor: str
    start: float
    stop: float
    concentration: float = 1.0


@dataclass(frozen=True)
class ShockPulse:
    """One electric shock pulse: onset [s], duration [s], voltage [V]."""

    start: float
    duration: float
    voltage: float


@dataclass(frozen=True)
class SugarPulse:
    """Sugar (e.g. 2 M sucrose paper) from ``start`` to ``stop`` [s]; ``concentration`` in mol/l."""

    start: float
    stop: float
    concentration: float = 2.0


@dataclass(frozen=True)
class Manipulation:
    """Thermogenetic activation (TrpA1-like) or block (shibire-ts-like) of neuron types in a time range.

    ``targets`` are cell type names as in the connectome (``PPL101``), or names with their compartment
    (``PPL1-g1pedc``, ``MBON-g1pedc>a/b``); the network resolves them and rejects unknown ones.
    """

    targets: tuple[str, ...]
    mode: str  # "activate" or "block"
    start: float
    stop: float


@dataclass(frozen=True)
class Window:
    """All inputs of one spiking window; the network's output is a pure function of it and the weights."""

    duration: float
    odors: tuple[OdorPulse, ...] = ()
    shocks: tuple[ShockPulse, ...] = ()
    sugar: tuple[SugarPulse, ...] = ()
    manipulations: tuple[Manipulation, ...] = ()
    starved: bool = False
    seed: int = 0
    label: str = field(default="", compare=False)

    def key(self) -> str:
        """Stable content hash (the label is not part of it)."""
        content = asdict(self)
        content.pop("label")
        text = json.dumps(content, sort_keys=True, default=float)
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def with_seed(self, seed: int) -> "Window":
        """The same window with another noise seed."""
        return Window(self.duration, self.odors, self.shocks, self.sugar, self.manipulations,
                      self.starved, seed, self.label)
