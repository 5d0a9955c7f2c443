"""Figures of whole results: the multi-panel overview, and one standalone figure per kind."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import xarray as xr

from ._common import pyplot, result_title, save_figure
from .compartment_map import plot_compartment_map
from .energy import plot_atp_flux, plot_energy_by_cause, plot_energy_by_compartment, plot_pyruvate
from .retention import plot_retention
from .spiking import plot_raster, plot_sparseness
from .survival import plot_survival
from .weights import plot_weights, plot_weights_by_phase


def _provenance_line(tree: xr.DataTree) -> str:
    keys = ("protocol_file", "connectome_name", "n_kc", "seed", "cohort", "mbsim_version", "git_commit")
    parts = [f"{key}={str(tree.attrs[key])[:10] if key == 'git_commit' else tree.attrs[key]}"
             for key in keys if key in tree.attrs]
    return "  ".join(parts)


def overview_figure(tree: xr.DataTree, lab_data: pd.DataFrame | None = None):
    """A 3 x 3 summary: retention, weights, energy; raster, sparseness, compartment map; fluxes, survival."""
    figure, axes = pyplot().subplots(3, 3, figsize=(18, 14), layout="constrained")
    plot_retention(tree, axes[0, 0], lab_data=lab_data)
    plot_weights(tree, axes[0, 1])
    plot_energy_by_compartment(tree, axes[0, 2])
    plot_raster(tree, axes[1, 0])
    plot_sparseness(tree, axes[1, 1])
    plot_compartment_map(tree, axes[1, 2])
    plot_atp_flux(tree, axes[2, 0])
    plot_pyruvate(tree, axes[2, 1])
    plot_survival(tree, axes[2, 2])
    figure.suptitle(f"{result_title(tree)}\n{_provenance_line(tree)}", fontsize=11)
    return figure


def overview(tree: xr.DataTree, path: str | Path, lab_data: pd.DataFrame | None = None) -> Path:
    """Write the overview figure of a result to ``path`` (.png, .pdf or .svg)."""
    return save_figure(overview_figure(tree, lab_data), path)


def _single(plot, figsize=(7, 4.5)):
    def make(tree, lab_data=None):
        figure, ax = pyplot().subplots(figsize=figsize, layout="constrained")
        plot(tree, ax)
        return figure
    return make


def _retention(tree, lab_data=None):
    figure, ax = pyplot().subplots(figsize=(7, 4.5), layout="constrained")
    plot_retention(tree, ax, lab_data=lab_data)
    return figure


def _energy(tree, lab_data=None):
    figure, axes = pyplot().subplots(1, 2, figsize=(14, 4.5), layout="constrained")
    plot_energy_by_compartment(tree, axes[0])
    plot_energy_by_cause(tree, axes[1])
    return figure


def _flux(tree, lab_data=None):
    figure, axes = pyplot().subplots(1, 2, figsize=(14, 4.5), layout="constrained")
    plot_atp_flux(tree, axes[0])
    plot_pyruvate(tree, axes[1])
    return figure


def _spiking(tree, lab_data=None):
    figure, axes = pyplot().subplots(1, 2, figsize=(12, 4.5), layout="constrained", width_ratios=(2, 1))
    plot_raster(tree, axes[0])
    plot_sparseness(tree, axes[1])
    return figure


def _weights(tree, lab_data=None):
    figure, axes = pyplot().subplots(1, 3, figsize=(15, 4.5), layout="constrained", sharey=True)
    plot_weights_by_phase(tree, axes)
    return figure


#: Figure kinds of ``mbsim plot --kind``: name -> function(tree, lab_data) returning a Figure.
KINDS = {
    "overview": overview_figure,
    "retention": _retention,
    "weights": _weights,
    "spiking": _spiking,
    "energy": _energy,
    "flux": _flux,
    "survival": _single(plot_survival),
    "map": _single(plot_compartment_map, figsize=(6.5, 5.5)),
}


def figure(kind: str, tree: xr.DataTree, lab_data: pd.DataFrame | None = None):
    """The figure of one ``kind`` (see :data:`KINDS`) for a result, titled with the result's title."""
    made = KINDS[kind](tree, lab_data)
    if kind != "overview":
        made.suptitle(result_title(tree), fontsize=10)
    return made
