"""Turn a :class:`~mbsim.stimulus.Window` into the network's input tables, after checking it.

Tables are sampled at ``input_resolution`` over whole chunks: PN rates [Hz], the shock and sugar drive
of DANs (relative to the reference voltage/concentration), and per manipulation set an activation gate
(1 = driven) and a release gate (0 = output blocked, shibire-like). Neurons targeted by the same
manipulations share a set; set 0 is "not manipulated".
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np

from ..connectome.mbtypes import type_table
from ..errors import InputError
from ..stimulus import Window
from .compiled import GROUP_OF, MANIPULATION_SETS
from .odors import OdorLibrary
from .parameters import NetworkParameters
from .structure import NetworkStructure

MODES = ("activate", "block")


@dataclass(frozen=True)
class WindowInputs:
    """Input tables of a whole window (``n_chunks * bins`` rows) and the manipulation sets."""

    n_chunks: int
    pn_rate: np.ndarray          # (rows, n_pn) Hz
    us_drive: np.ndarray         # (rows, 2): shock, sugar
    activation_gate: np.ndarray  # (rows, MANIPULATION_SETS)
    release_gate: np.ndarray     # (rows, MANIPULATION_SETS)
    manipulation_set: dict[str, np.ndarray]  # cell class -> set index per neuron


def prepare_inputs(window: Window, structure: NetworkStructure, odors: OdorLibrary,
                   params: NetworkParameters) -> WindowInputs:
    """Check ``window`` against the network and build its input tables (raises InputError)."""
    check_window(window, structure, odors)
    res = params.input_resolution
    n_chunks = int(np.ceil(window.duration / params.chunk_duration - 1e-9))
    rows = n_chunks * int(round(params.chunk_duration / res))
    end = _row(window.duration, res)

    def span(start, stop):
        return slice(_row(start, res), min(_row(stop, res), end))

    glomeruli = structure.groups["PN"]["glomerulus"].tolist()
    pn_rate = np.zeros((rows, len(glomeruli)))
    pn_rate[:end] = odors.pn_rates(glomeruli, None, 1.0, params)
    for pulse in window.odors:
        pn_rate[span(pulse.start, pulse.stop)] = odors.pn_rates(glomeruli, pulse.odor,
                                                                pulse.concentration, params)
    us_drive = np.zeros((rows, 2))
    for shock in window.shocks:
        us_drive[span(shock.start, shock.start + shock.duration), 0] += (
            shock.voltage / params.shock_reference_voltage)
    appetite = 1.0 if window.starved else params.sugar_fed_factor
    for sugar in window.sugar:
        us_drive[span(sugar.start, sugar.stop), 1] += (
            appetite * sugar.concentration / params.sugar_reference_concentration)
    activation = np.zeros((rows, MANIPULATION_SETS))
    release = np.ones((rows, MANIPULATION_SETS))
    membership = {c: [()] * structure.size(c) for c in GROUP_OF}
    for m, manip in enumerate(window.manipulations):
        for cls, indices in resolve_targets(structure, manip.targets).items():
            for i in indices:
                membership[cls][i] = membership[cls][i] + (m,)
    combos = sorted({combo for members in membership.values() for combo in members} - {()})
    if len(combos) >= MANIPULATION_SETS:
        raise InputError(found=f"{len(combos)} different combinations of manipulated neurons",
                         expected=f"at most {MANIPULATION_SETS - 1} per window",
                         field="manipulations")
    set_of = {combo: k + 1 for k, combo in enumerate(combos)} | {(): 0}
    for combo, k in set_of.items():
        for m in combo:
            manip = window.manipulations[m]
            if manip.mode == "activate":
                activation[span(manip.start, manip.stop), k] = 1.0
            else:
                release[span(manip.start, manip.stop), k] = 0.0
    sets = {c: np.array([set_of[combo] for combo in members], dtype=np.int32)
            for c, members in membership.items()}
    driven_pns = np.flatnonzero(sets["PN"])  # activated PNs fire at their maximal rate
    pn_rate[:, driven_pns] = np.where(activation[:, sets["PN"][driven_pns]] > 0,
                                      params.pn_max_rate, pn_rate[:, driven_pns])
    return WindowInputs(n_chunks, pn_rate, us_drive, activation, release, sets)


def check_window(window: Window, structure: NetworkStructure, odors: OdorLibrary) -> None:
    """Reject unknown odors and targets, bad modes and times outside the window."""
    if not window.duration > 0:
        raise InputError(found=f"duration {window.duration}", expected="a positive duration [s]",
                         field="duration")
    intervals = [(f"odors[{k}]", p.start, p.stop) for k, p in enumerate(window.odors)]
    intervals += [(f"shocks[{k}]", s.start, s.start + s.duration) for k, s in enumerate(window.shocks)]
    intervals += [(f"sugar[{k}]", s.start, s.stop) for k, s in enumerate(window.sugar)]
    intervals += [(f"manipulations[{k}]", m.start, m.stop)
                  for k, m in enumerate(window.manipulations)]
    for field, start, stop in intervals:
        if not 0 <= start < stop <= window.duration + 1e-9:
            raise InputError(found=f"interval [{start:g}, {stop:g}] s",
                             expected=f"0 <= start < stop <= window duration {window.duration:g} s",
                             field=field)
    for k, pulse in enumerate(window.odors):
        odors.check(pulse.odor, field=f"odors[{k}].odor")
        if not pulse.concentration >= 0:
            raise InputError(found=f"concentration {pulse.concentration}", expected="a value >= 0",
                             field=f"odors[{k}].concentration")
    for k, manip in enumerate(window.manipulations):
        if manip.mode not in MODES:
            raise InputError(found=f"mode '{manip.mode}'", expected="one of " + ", ".join(MODES),
                             field=f"manipulations[{k}].mode")
        resolve_targets(structure, manip.targets, field=f"manipulations[{k}].targets")


def resolve_targets(structure: NetworkStructure, targets, field: str = "targets"
                    ) -> dict[str, np.ndarray]:
    """Neurons named by manipulation targets, per cell class.

    A target is a cell class (``DAN``), a cell type (``PPL101``), a subtype or family (``PAM``,
    ``KCg-m``), a family with its compartments (``PPL1-g1pedc``, ``MBON-g1pedc``) or a literature
    name from ``connectome/mb_types.csv`` (``MBON-g1pedc>a/b``).
    """
    literature = type_table()["literature_name"]
    by_literature = dict(zip(literature.to_numpy(), literature.index))
    found: dict[str, set[int]] = {}
    for target in targets:
        matched = False
        for cls in GROUP_OF:
            table = structure.groups[cls]
            short = table["compartments"].astype(str).str.replace(";", "", regex=False)
            family = np.where(table["subtype"].astype(str) != "", table["subtype"].astype(str), cls)
            hit = ((table["cell_class"] == target) | (table["cell_type"] == target)
                   | (table["subtype"] == target) | ((family + "-" + short) == target)
                   | (table["cell_type"] == by_literature.get(target, None)))
            if cls == "MBON":
                hit |= ("MBON-" + short) == target
            rows = np.flatnonzero(hit.to_numpy())
            if len(rows):
                found.setdefault(cls, set()).update(rows.tolist())
                matched = True
        if not matched:
            names = _target_names(structure)
            close = difflib.get_close_matches(target, names, n=5, cutoff=0.5)
            raise InputError(found=f"unknown target '{target}'",
                             expected="a cell class, type, family or family-compartments name"
                             + (" (close matches: " + ", ".join(close) + ")" if close else ""),
                             field=field, example="PPL1-g1pedc")
    return {cls: np.array(sorted(rows), dtype=int) for cls, rows in found.items()}


def _target_names(structure: NetworkStructure) -> list[str]:
    names = set(GROUP_OF)
    for table in structure.groups.values():
        names |= set(table["cell_type"].astype(str)) | set(table["subtype"].astype(str))
    return sorted(n for n in names if n)


def _row(time: float, resolution: float) -> int:
    return int(round(time / resolution))
